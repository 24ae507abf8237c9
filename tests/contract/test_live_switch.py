"""The live target needs its own switch: client credentials in the shell never select it, the
switch makes it the only target, and everything sent to it is read-only."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from tests.contract.conftest import DEFAULT_TARGETS, TARGETS_ENV, selected_targets
from tests.contract.support import (
    ENV_AK,
    ENV_BASE_URL,
    ENV_LIVE,
    ENV_PROJECT_ID,
    ENV_PROJECT_ID_FALLBACK,
    ENV_SK,
    ENV_TOKEN,
    MOCK_PROJECT,
    MOCK_TOKEN,
    READ_ONLY_METHODS,
    REPO_ROOT,
    ReadOnlyViolation,
    Target,
    read_only_send,
    remote_target_from_env,
)

# A shell set up for the client (README: ProcessorTasks.from_env()), pointing at a real endpoint.
CLIENT_SHELL = {
    ENV_BASE_URL: "https://modelarts.example.invalid",
    ENV_PROJECT_ID: "p1",
    ENV_TOKEN: "t",
    ENV_AK: "ak",
    ENV_SK: "sk",
}


def test_client_credentials_alone_never_select_the_live_target() -> None:
    assert selected_targets(CLIENT_SHELL) == DEFAULT_TARGETS
    assert "remote" not in DEFAULT_TARGETS


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_the_switch_makes_the_live_target_the_only_one(value: str) -> None:
    assert selected_targets({**CLIENT_SHELL, ENV_LIVE: value}) == ["remote"]
    assert selected_targets({**CLIENT_SHELL, ENV_LIVE: "0"}) == DEFAULT_TARGETS


def test_an_explicit_target_list_still_wins() -> None:
    assert selected_targets({ENV_LIVE: "1", TARGETS_ENV: "asgi, http"}) == ["asgi", "http"]


def test_live_target_reads_the_clients_project_variable_then_its_fallback() -> None:
    base = {ENV_BASE_URL: "https://x.example", ENV_TOKEN: "t"}
    primary = remote_target_from_env({**base, ENV_PROJECT_ID: "p1", ENV_PROJECT_ID_FALLBACK: "p2"})
    fallback = remote_target_from_env({**base, ENV_PROJECT_ID_FALLBACK: "p2"})
    assert isinstance(primary, Target) and isinstance(fallback, Target)
    assert (primary.project_id, fallback.project_id) == ("p1", "p2")


def child_run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in (*CLIENT_SHELL, ENV_LIVE, TARGETS_ENV)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests/contract/test_contract.py", "-k", "test_stateful", "-x", "-q", "-p",
         "no:cacheprovider"],
        cwd=REPO_ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip


def test_naming_the_remote_target_without_the_switch_is_an_error() -> None:
    done = child_run({**CLIENT_SHELL, TARGETS_ENV: "remote"})
    assert done.returncode != 0
    assert f"`make contract-live` ({ENV_LIVE}=1)" in done.stdout + done.stderr


def test_switch_without_an_endpoint_fails_instead_of_skipping() -> None:
    done = child_run({ENV_LIVE: "1"})
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{ENV_LIVE} is on but remote live target not configured" in done.stdout
    assert "skipped" not in done.stdout


def test_read_only_guard_refuses_writes_before_sending(mock_server_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[str] = []
    real_send = requests.Session.send

    def counting_send(
        session: requests.Session, request: requests.PreparedRequest, **kwargs: object
    ) -> requests.Response:
        sent.append(str(request.method))
        return real_send(session, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", read_only_send(counting_send))
    url = f"{mock_server_url}/v2/{MOCK_PROJECT}/processor-tasks"
    headers = {"X-Auth-Token": MOCK_TOKEN}
    assert requests.get(url, headers=headers, params={"limit": 1}, timeout=10).status_code == 200
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        with pytest.raises(ReadOnlyViolation, match=f"refusing to send {method}"):
            requests.request(method, url, headers=headers, timeout=10)
    assert sent == ["GET"]
    assert {"POST", "PUT", "PATCH", "DELETE"}.isdisjoint(READ_ONLY_METHODS)


def test_make_contract_live_sets_the_switch() -> None:
    done = subprocess.run(
        ["make", "-n", "contract-live"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    assert f"{ENV_LIVE}=1 " in done.stdout and "tests/contract/test_contract.py" in done.stdout
