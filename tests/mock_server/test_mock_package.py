"""mock_server/ as a distribution: bundled spec, version, console script options."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import yaml
from processor_tasks_mock.__main__ import main, settings_from
from processor_tasks_mock._version import from_spec
from processor_tasks_mock.settings import DEFAULT_SPEC_PATH

from tests.paths import ROOT, SPEC

PROJECT = ROOT / "mock_server"


def test_the_bundled_spec_is_the_contract_byte_for_byte() -> None:
    assert DEFAULT_SPEC_PATH.parent == PROJECT / "processor_tasks_mock"
    assert DEFAULT_SPEC_PATH.read_bytes() == SPEC.read_bytes(), "run `make` to refresh the mock's copy"


def test_the_distribution_version_is_the_contract_version_and_declares_script_and_plugin() -> None:
    meta = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    assert meta["dynamic"] == ["version"]  # from the bundled spec, by _version.from_spec at build time
    assert from_spec() == yaml.safe_load(SPEC.read_text())["info"]["version"]
    assert meta["scripts"]["processor-tasks-mock"] == "processor_tasks_mock.__main__:main"
    assert meta["entry-points"]["pytest11"]["processor_tasks_mock"] == "processor_tasks_mock.pytest_plugin"


def test_options_override_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PORT", "9001")
    monkeypatch.setenv("MOCK_PROJECT", "from-env")
    settings = settings_from(["--port", "0", "--fixture", str(tmp_path / "t.json"), "--task-count", "77"])
    assert (settings.port, settings.project, settings.task_count) == (0, "from-env", 77)
    assert settings.fixture_path == tmp_path / "t.json"


def test_a_refused_configuration_exits_2_with_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fixture = tmp_path / "tasks.json"
    fixture.write_text('[{"task_id": 5}]')
    assert main(["--fixture", str(fixture)]) == 2
    assert "record 0" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "named"),
    [(["--task-count", "3"], "--task-count"), (["--port", "99999"], "--port")],
)
def test_a_refused_option_is_named_by_its_flag(argv: list[str], named: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert named in capsys.readouterr().err


def test_an_unknown_log_level_is_a_usage_error_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--log-level", "loud"])
    assert exited.value.code == 2
    assert "invalid choice: 'loud'" in capsys.readouterr().err
