"""A consumer's own test suite, run in a fresh venv with the client and the mock installed.

The suite below is what another service would write: it uses the pytest plugin through its
``pytest11`` entry point only (no conftest, no ``-p``), both mock variants, token and AK/SK,
seeded tasks, injected faults, the recorded requests, and both console scripts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.consumer.conftest import FreshVenv, pip_install, run

pytestmark = pytest.mark.slow  # builds wheels and venvs: about a minute for the folder

CONSUMER_TESTS = '''
"""Tests of a service that reads processing tasks (here: the function summarise)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

import pytest
from processor_tasks_client import AuthenticatedClient, ProcessorTasks, RetryPolicy, errors
from processor_tasks_client.api.processor_tasks import list_processor_tasks
from processor_tasks_client.models import TaskStatus
from processor_tasks_mock.testing import MockHandle

TASKS = [
    {"task_id": "a", "name": "first", "status": 2, "create_time": 1700000003000},
    {"task_id": "b", "name": "second", "status": 3, "create_time": 1700000002000},
    {"task_id": "c", "name": "third", "status": 2, "create_time": 1700000001000},
]
NO_WAIT = RetryPolicy(max_attempts=3, backoff_base=0.0, backoff_max=0.0)


def summarise(client: AuthenticatedClient, project_id: str) -> dict[str, int]:
    """The code under test: count completed and failed tasks."""
    counts: dict[str, int] = {}
    for status in (TaskStatus.COMPLETED, TaskStatus.FAILED):
        counts[status.name] = list_processor_tasks.sync(project_id, client=client, status=status, limit=1).count
    return counts


@pytest.mark.parametrize("auth", ["token", "aksk"])
def test_summary_in_process(processor_tasks_mock: MockHandle, auth: str) -> None:
    processor_tasks_mock.seed(TASKS)
    client = processor_tasks_mock.client(auth)
    assert summarise(client, processor_tasks_mock.project_id) == {"COMPLETED": 2, "FAILED": 1}
    schemes = {request.auth_scheme for request in processor_tasks_mock.requests}
    assert schemes == {auth}
    if auth == "token":
        assert processor_tasks_mock.requests[0].headers["x-auth-token"] == processor_tasks_mock.token
    else:
        assert processor_tasks_mock.requests[0].access_key == processor_tasks_mock.access_key


def test_ready_client_fixture(processor_tasks_client: AuthenticatedClient) -> None:
    page = list_processor_tasks.sync("mock-project", client=processor_tasks_client, limit=3)
    assert len(page.tasks) == 3


def test_throttling_is_retried(processor_tasks_mock: MockHandle) -> None:
    processor_tasks_mock.seed(TASKS)
    processor_tasks_mock.inject(throttle=2, retry_after=0)
    client = processor_tasks_mock.client(retry=NO_WAIT)
    assert summarise(client, processor_tasks_mock.project_id)["COMPLETED"] == 2
    assert [r.status for r in processor_tasks_mock.requests][:3] == [429, 429, 200]


def test_outage_surfaces_as_server_error(processor_tasks_mock: MockHandle) -> None:
    processor_tasks_mock.inject(unavailable=10)
    with pytest.raises(errors.ServerError):
        summarise(processor_tasks_mock.client(retry=NO_WAIT), processor_tasks_mock.project_id)


@pytest.mark.processor_tasks_mock(project="team-42", task_count=60)
def test_marker_configures_the_mock(processor_tasks_mock: MockHandle) -> None:
    assert processor_tasks_mock.project_id == "team-42" and len(processor_tasks_mock.tasks()) == 60


@pytest.mark.parametrize("auth", ["token", "aksk"])
def test_real_socket_from_env_and_drop(processor_tasks_mock_server: MockHandle, auth: str) -> None:
    processor_tasks_mock_server.seed(TASKS)
    processor_tasks_mock_server.inject(drop=1)
    with ProcessorTasks.from_env(processor_tasks_mock_server.env(auth), retry=NO_WAIT) as tasks:
        assert [t.task_id for t in tasks.iter_list_processor_tasks(limit=2)] == ["a", "b", "c"]
    assert processor_tasks_mock_server.requests[0].status is None


@pytest.mark.parametrize("auth", ["token", "aksk"])
def test_async_code_in_process_and_over_a_socket(
    processor_tasks_mock: MockHandle, processor_tasks_mock_server: MockHandle, auth: str
) -> None:
    async def completed(tasks: ProcessorTasks) -> list[str]:
        return [t.task_id async for t in tasks.aiter_list_processor_tasks(limit=2, status=TaskStatus.COMPLETED)]

    for handle in (processor_tasks_mock, processor_tasks_mock_server):
        handle.seed(TASKS)
        # Each asyncio.run is an event loop that is closed when it returns, as a test's is.
        assert asyncio.run(completed(handle.processor_tasks(auth))) == ["a", "c"]
        assert {r.auth_scheme for r in handle.requests} == {auth}


def test_cli_console_script(processor_tasks_mock_server: MockHandle) -> None:
    processor_tasks_mock_server.seed(TASKS)
    env = {**os.environ, **processor_tasks_mock_server.env("aksk")}
    done = subprocess.run(
        ["processor-tasks", "list", "--all", "--limit", "2", "--output", "jsonl"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["task_id"] for line in done.stdout.splitlines()] == ["a", "b", "c"]
    assert "page 2: 3 of 3 tasks" in done.stderr
    missing = subprocess.run(["processor-tasks", "describe", "zzz"], env=env, capture_output=True, text=True, check=False)
    assert missing.returncode == 15


def test_mock_console_script_with_a_fixture(tmp_path: Path) -> None:
    fixture = tmp_path / "tasks.json"
    fixture.write_text(json.dumps(TASKS))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        ["processor-tasks-mock", "--port", str(port), "--fixture", str(fixture), "--log-level", "warning"]
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "mock did not start"
                time.sleep(0.05)
        client = AuthenticatedClient(base_url=f"http://127.0.0.1:{port}", token="mock-token")
        with client:
            assert summarise(client, "mock-project") == {"COMPLETED": 2, "FAILED": 1}
    finally:
        server.terminate()
        server.wait(timeout=10)
'''


def test_consumer_suite_passes_with_the_installed_plugin(tmp_path: Path, fresh_venv: FreshVenv, wheels: Path) -> None:
    python = fresh_venv(tmp_path / "venv")
    pip_install(python, *sorted(wheels.glob("*.whl")), cwd=tmp_path)
    service = tmp_path / "service"
    (service / "tests").mkdir(parents=True)
    (service / "tests" / "test_tasks.py").write_text(CONSUMER_TESTS)
    # The console scripts are in the venv's bin, as they would be on an activated venv's PATH.
    path = f"{python.parent}:/usr/bin:/bin"
    # An unclosed socket (of a handle's async client, say) is reported from __del__ as an
    # unraisable ResourceWarning: make it fail the suite instead of scrolling past.
    strict = ["-W", "error::ResourceWarning", "-W", "error::pytest.PytestUnraisableExceptionWarning"]
    done = run([python, "-m", "pytest", "-q", *strict, "-p", "no:cacheprovider", "tests"], service, env={"PATH": path})
    assert done.stdout.strip().splitlines()[-1].startswith("12 passed in"), done.stdout  # none skipped
    # Found through the distribution's pytest11 entry point, not a conftest or -p.
    config = run([python, "-m", "pytest", "--trace-config", "--co", "-q", "tests"], service).stdout
    assert f"processor_tasks_mock.pytest_plugin' from '{tmp_path / 'venv'}" in config, config
