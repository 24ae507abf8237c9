"""mock_server/README.md read literally by a service in another repository, in fresh venvs.

One service installs the client and the mock (as the README's first install line says), keeps
a fixture file that names its own project next to its tests, starts pytest from its root,
runs the console script with ``--project`` and ``--fixture``, has an ``async def`` test run by
pytest-asyncio, and type-checks its tests with ``mypy --strict``. Another installs the mock
alone, by the README's git URL form, and learns from the error what else to install.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.consumer.conftest import MOCK_PROJECT, FreshVenv, pip_install, run

pytestmark = pytest.mark.slow  # builds wheels and venvs

TEAM_FIXTURE = {
    "project": "team-42",
    "tasks": [
        {"task_id": "a", "name": "first", "status": 2, "create_time": 1700000003000},
        {"task_id": "b", "name": "second", "status": 3, "create_time": 1700000002000},
        {"task_id": "c", "name": "third", "status": 2, "create_time": 1700000001000},
    ],
}

TEAM_TESTS = '''
"""Tests of a service whose fixture file names the project it works in."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import pytest
from processor_tasks_client import AkSkAuth, AuthenticatedClient, ProcessorTasks, errors
from processor_tasks_client.api.processor_tasks import list_processor_tasks
from processor_tasks_mock.testing import MockHandle

IDS = ["a", "b", "c"]
FIXTURE = Path(__file__).parent / "data" / "team.json"


def task_ids(client: AuthenticatedClient, project_id: str) -> list[str]:
    """The code under test."""
    return [task.task_id for task in list_processor_tasks.sync(project_id, client=client).tasks]


@pytest.mark.processor_tasks_mock(fixture="data/team.json")
@pytest.mark.parametrize("auth", ["token", "aksk"])
def test_the_fixtures_project_is_the_mocks(processor_tasks_mock: MockHandle, auth: Literal["token", "aksk"]) -> None:
    assert processor_tasks_mock.project_id == "team-42"
    assert [task["task_id"] for task in processor_tasks_mock.tasks()] == IDS
    assert task_ids(processor_tasks_mock.client(auth), processor_tasks_mock.project_id) == IDS


@pytest.mark.processor_tasks_mock(fixture="data/team.json")
def test_over_a_socket_from_the_environment(processor_tasks_mock_server: MockHandle) -> None:
    with ProcessorTasks.from_env(processor_tasks_mock_server.env("aksk")) as tasks:
        assert [task.task_id for task in tasks.iter_list_processor_tasks(limit=2)] == IDS


@pytest.mark.asyncio
@pytest.mark.processor_tasks_mock(fixture="data/team.json")
async def test_async_code(processor_tasks_mock: MockHandle) -> None:
    tasks = processor_tasks_mock.processor_tasks("aksk")
    assert (await tasks.adescribe_processor_task("b")).name == "second"


@contextmanager
def console_mock(*args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """processor-tasks-mock with ``args``, on a free port; yields its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = ["processor-tasks-mock", "--port", str(port), "--log-level", "warning", *args]
    server = subprocess.Popen(command, env=env)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "mock did not start"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.parametrize("args", [["--project", "team-42"], ["--fixture", str(FIXTURE)]], ids=["project", "fixture"])
def test_the_console_script_moves_the_default_credentials(args: list[str]) -> None:
    with console_mock(*args) as url:
        for client in (
            AuthenticatedClient(base_url=url, token="mock-token"),
            AuthenticatedClient(base_url=url, auth=AkSkAuth("MOCKAK", "MOCKSK")),
        ):
            with client:
                found = task_ids(client, "team-42")
                if "--fixture" in args:
                    assert found == IDS
                else:
                    assert len(found) > 0  # generated tasks


def test_the_console_script_keeps_credentials_you_set() -> None:
    with console_mock("--project", "team-42", env={**os.environ, "MOCK_TOKENS": "svc-token=team-42"}) as url:
        with AuthenticatedClient(base_url=url, token="svc-token") as client:
            assert task_ids(client, "team-42")
        with AuthenticatedClient(base_url=url, token="mock-token") as client, pytest.raises(errors.AuthenticationError):
            task_ids(client, "team-42")
'''

MOCK_ALONE_TESTS = '''
"""A service that installed the mock without the client."""

import pytest
from processor_tasks_mock.testing import MockHandle


def test_the_handle_says_what_to_install(processor_tasks_mock: MockHandle) -> None:
    processor_tasks_mock.seed([{"task_id": "a"}])
    assert [task["task_id"] for task in processor_tasks_mock.tasks()] == ["a"]
    with pytest.raises(ModuleNotFoundError) as raised:
        processor_tasks_mock.client()
    assert type(raised.value).__name__ == "ClientNotInstalledError"
    assert "pip install ./generated_client ./mock_server" in str(raised.value)
'''


def _pytest(python: Path, service: Path) -> str:
    path = f"{python.parent}:/usr/bin:/bin"  # the console scripts, as on an activated venv's PATH
    strict = ["-W", "error::ResourceWarning", "-W", "error::pytest.PytestUnraisableExceptionWarning"]
    done = run([python, "-m", "pytest", "-q", *strict, "-p", "no:cacheprovider", "tests"], service, env={"PATH": path})
    return done.stdout.strip().splitlines()[-1]


def test_a_service_with_its_own_project_follows_the_readme(
    tmp_path: Path, fresh_venv: FreshVenv, wheels: Path, mypy_cache: Path
) -> None:
    python = fresh_venv(tmp_path / "venv")
    pip_install(python, *sorted(wheels.glob("*.whl")), cwd=tmp_path)
    service = tmp_path / "service"
    (service / "tests" / "data").mkdir(parents=True)
    (service / "tests" / "data" / "team.json").write_text(json.dumps(TEAM_FIXTURE))
    (service / "tests" / "test_team.py").write_text(TEAM_TESTS)
    # pytest starts in the service's root, one folder above the test file and its data.
    assert _pytest(python, service).startswith("7 passed in")  # none skipped, none errored
    checked = run([python, "-m", "mypy", "--strict", "--cache-dir", mypy_cache, "tests"], service)
    assert "Success: no issues found in 1 source file" in checked.stdout, checked.stdout


def test_the_mock_installed_alone_by_its_git_url_says_what_else_to_install(
    tmp_path: Path, fresh_venv: FreshVenv
) -> None:
    if shutil.which("git") is None:
        pytest.fail("git is needed for the README's git URL form")  # present wherever this repository is cloned
    python = fresh_venv(tmp_path / "venv")
    # The README's pinned git URL form, against a snapshot of mock_server/ in a repository of its own.
    upstream = tmp_path / "upstream"
    shutil.copytree(MOCK_PROJECT, upstream / "mock_server", ignore=shutil.ignore_patterns("__pycache__"))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"]
    run([*git, "init", "-q"], upstream)
    run([*git, "add", "-A"], upstream)
    run([*git, "commit", "-q", "-m", "mock snapshot"], upstream)
    commit = run(["git", "rev-parse", "HEAD"], upstream).stdout.strip()
    pip_install(
        python, f"processor-tasks-mock @ git+file://localhost{upstream}@{commit}#subdirectory=mock_server", cwd=tmp_path
    )
    service = tmp_path / "service"
    (service / "tests").mkdir(parents=True)
    (service / "tests" / "test_alone.py").write_text(MOCK_ALONE_TESTS)
    assert _pytest(python, service).startswith("1 passed in")
    probe = run([python, "-c", "import importlib.util as u; print(u.find_spec('processor_tasks_client'))"], service)
    assert probe.stdout.strip() == "None"  # the client really is absent from that venv
