"""Settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from processor_tasks_mock.settings import FaultSettings, Settings, SettingsError


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.port == 8080 and settings.host == "127.0.0.1"
    assert dict(settings.tokens) == {"mock-token": "mock-project", "other-token": "other-project"}
    assert dict(settings.aksk) == {"MOCKAK": ("MOCKSK", "mock-project")}
    assert settings.fixture_path is None and not settings.faults.enabled
    # No project given: mock-project is served, but a fixture that names its own may replace it.
    assert settings.project is None and settings.served_project == "mock-project"
    assert Settings.from_env({"MOCK_PROJECT": " "}).project is None  # blank is not given
    assert Settings.from_env({"MOCK_PROJECT": "mock-project"}).project == "mock-project"  # given, as the default


def test_paths_given_as_text_are_paths_and_anything_else_is_refused() -> None:
    settings = Settings(fixture_path="a.json", lifecycle_path="b.json", spec_path="c.yaml")  # type: ignore[arg-type]
    assert (settings.fixture_path, settings.lifecycle_path, settings.spec_path) == (
        Path("a.json"),
        Path("b.json"),
        Path("c.yaml"),
    )
    with pytest.raises(SettingsError, match="lifecycle_path must be a path"):
        Settings(lifecycle_path=42)  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="project=\\) must be a non-empty string"):
        Settings(project="")


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "PORT": "9000",
            "MOCK_TOKENS": "a=p1, b=p2",
            "MOCK_AKSK": "AK1:SK1=p1,AK2:S:K2=p2",
            "MOCK_PROJECT": "p1",
            "MOCK_SEED": "5",
            "MOCK_TASK_COUNT": "400",
            "MOCK_FIXTURE": "x.json",
            "MOCK_CLOCK_SKEW_SECONDS": "60",
            "MOCK_FAULT_LATENCY_MS": "10",
            "MOCK_FAULT_LATENCY_RATE": "0.5",
            "MOCK_FAULT_LATENCY_FIRST_N": "1",
            "MOCK_FAULT_429_RATE": "0.1",
            "MOCK_FAULT_429_FIRST_N": "2",
            "MOCK_FAULT_RETRY_AFTER": "3",
            "MOCK_FAULT_503_RATE": "0.2",
            "MOCK_FAULT_503_FIRST_N": "4",
            "MOCK_FAULT_DROP_RATE": "0.3",
            "MOCK_FAULT_DROP_FIRST_N": "5",
            "MOCK_FAULT_SEED": "6",
        }
    )
    assert settings.port == 9000
    assert dict(settings.tokens) == {"a": "p1", "b": "p2"}
    assert dict(settings.aksk) == {"AK1": ("SK1", "p1"), "AK2": ("S:K2", "p2")}
    assert (settings.project, settings.seed, settings.task_count) == ("p1", 5, 400)
    assert settings.fixture_path == Path("x.json") and settings.clock_skew_seconds == 60
    assert settings.faults == FaultSettings(10, 0.5, 1, 0.1, 2, 3, 0.2, 4, 0.3, 5, 6)


@pytest.mark.parametrize(
    "env",
    [
        {"PORT": "eighty"},
        {"MOCK_TOKENS": "no-project"},
        {"MOCK_AKSK": "AKONLY=p"},
        {"MOCK_FAULT_429_RATE": "2"},
        {"MOCK_FAULT_DROP_FIRST_N": "x"},
        {"MOCK_TASK_COUNT": "10"},
        {"MOCK_LOG_LEVEL": "loud"},
    ],
)
def test_malformed_values_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env(env)
