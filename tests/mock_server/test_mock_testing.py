"""processor_tasks_mock.testing: the handle behind the pytest plugin, in-process and over a socket."""

from __future__ import annotations

import asyncio
import gc
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from processor_tasks_client import ProcessorTasks, RetryPolicy, errors
from processor_tasks_client.api.processor_tasks import describe_processor_task, list_processor_tasks
from processor_tasks_client.models import TaskStatus
from processor_tasks_mock.fixtures import FixtureError
from processor_tasks_mock.settings import Settings
from processor_tasks_mock.testing import MockHandle, in_process, serving

from tests.paths import ROOT

FAST_RETRY = RetryPolicy(max_attempts=3, backoff_base=0.0, backoff_max=0.0)
TASKS = [
    {"task_id": "t-1", "name": "alpha", "status": 2, "create_time": 3},
    {"task_id": "t-2", "name": "beta", "status": 1, "create_time": 2},
    {"task_id": "t-3", "name": "gamma", "status": 2, "create_time": 1},
]


@pytest.fixture
def mock() -> Iterator[MockHandle]:
    with in_process() as handle:
        yield handle


def test_in_process_token_and_aksk_requests_are_recorded_with_their_credentials(mock: MockHandle) -> None:
    page = list_processor_tasks.sync(mock.project_id, client=mock.client(), limit=5)
    in_default_workspace = [t for t in mock.tasks() if t.get("workspace_id", "0") == "0"]
    assert len(page.tasks) == 5 and page.count == len(in_default_workspace)
    task = describe_processor_task.sync(mock.project_id, page.tasks[0].task_id, client=mock.client("aksk"))
    assert task.task_id == page.tasks[0].task_id
    first, second = mock.requests
    assert (first.auth_scheme, first.headers["x-auth-token"], first.status) == ("token", mock.token, 200)
    assert ("limit", "5") in first.query and first.path == f"/v2/{mock.project_id}/processor-tasks"
    assert (second.auth_scheme, second.access_key, second.status) == ("aksk", "MOCKAK", 200)
    assert "x-sdk-date" in second.headers
    mock.clear_requests()
    assert mock.requests == []


def test_seed_replaces_the_tasks_and_refuses_records_off_the_contract(mock: MockHandle) -> None:
    mock.seed(TASKS)
    tasks = mock.processor_tasks()
    assert [t.task_id for t in tasks.iter_list_processor_tasks(limit=2, status=TaskStatus.COMPLETED)] == ["t-1", "t-3"]
    assert tasks.describe_processor_task("t-2").name == "beta"
    with pytest.raises(FixtureError, match=r"seed\(\): record 1 .*status"):
        mock.seed([{"task_id": "ok"}, {"task_id": "bad", "status": "done"}])
    assert [t["task_id"] for t in mock.tasks()] == ["t-1", "t-2", "t-3"]  # a refused seed changes nothing


def test_injected_429_503_and_drop_are_retried_and_visible_in_the_requests(mock: MockHandle) -> None:
    mock.seed(TASKS)
    client = mock.client(retry=FAST_RETRY)
    mock.inject(throttle=1, retry_after=0)
    assert list_processor_tasks.sync(mock.project_id, client=client).count == 3
    mock.inject(drop=1)
    assert list_processor_tasks.sync(mock.project_id, client=client).count == 3
    assert [r.status for r in mock.requests] == [429, 200, None, 200]
    mock.inject(unavailable=5)
    with pytest.raises(errors.ServerError) as raised:
        list_processor_tasks.sync(mock.project_id, client=client)
    assert raised.value.status_code == 503
    mock.clear_faults()
    assert list_processor_tasks.sync(mock.project_id, client=client).count == 3


def test_a_dropped_connection_is_a_connection_error_in_process_too(mock: MockHandle) -> None:
    mock.inject(drop=1)
    with pytest.raises(errors.APIConnectionError):
        list_processor_tasks.sync(mock.project_id, client=mock.client(retry=None))


async def test_async_client_in_process(mock: MockHandle) -> None:
    mock.seed(TASKS)
    async with mock.async_client("aksk") as client:
        found = [t.task_id async for t in list_processor_tasks.aiter_items(mock.project_id, client=client, limit=1)]
    assert found == ["t-1", "t-2", "t-3"]
    assert {r.auth_scheme for r in mock.requests} == {"aksk"}


async def test_one_client_serves_sync_and_async_calls_and_so_does_the_facade(mock: MockHandle) -> None:
    mock.seed(TASKS)
    tasks = mock.processor_tasks("aksk")
    assert (await tasks.adescribe_processor_task("t-2")).name == "beta"
    assert [t.task_id async for t in tasks.aiter_list_processor_tasks(limit=2)] == ["t-1", "t-2", "t-3"]
    assert tasks.describe_processor_task("t-3").name == "gamma"
    assert {r.auth_scheme for r in mock.requests} == {"aksk"}


def test_in_process_an_answer_slower_than_the_read_timeout_times_out(mock: MockHandle) -> None:
    # No socket bounds the wait in-process; the transports apply the client's read timeout.
    mock.inject(slow=2, latency_ms=5_000)
    client = mock.client(timeout=httpx.Timeout(0.2), retry=None)
    with pytest.raises(errors.APITimeoutError):
        list_processor_tasks.sync(mock.project_id, client=client)
    with pytest.raises(errors.APITimeoutError):
        asyncio.run(list_processor_tasks.asyncio(mock.project_id, client=client))
    assert [r.status for r in mock.requests] == [None, None]
    assert list_processor_tasks.sync(mock.project_id, client=client).count  # the latency was for two


def test_async_clients_are_closed_and_leave_no_socket_open_when_the_handle_ends() -> None:
    gc.collect()  # what earlier tests left behind is not this handle's
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with serving() as handle:
            handle.seed(TASKS)
            client = handle.async_client("aksk")

            async def walk() -> list[str]:
                return [t.task_id async for t in list_processor_tasks.aiter_items(handle.project_id, client=client)]

            # Each asyncio.run is a test's event loop, closed when it ends.
            assert asyncio.run(walk()) == asyncio.run(walk()) == ["t-1", "t-2", "t-3"]
        gc.collect()
    assert client._async_client is not None and client._async_client.is_closed
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_settings_reach_the_mock() -> None:
    with in_process(Settings(project="p-42", task_count=60, seed=7)) as handle:
        assert handle.project_id == "p-42" and len(handle.tasks()) == 60
        everywhere = [t for t in handle.tasks() if t.get("workspace_id", "0") == "0"]
        assert list_processor_tasks.sync("p-42", client=handle.client("aksk")).count == len(everywhere) > 0


def test_serving_over_a_real_socket_with_env_and_faults() -> None:
    with serving() as handle:
        assert handle.base_url.startswith("http://127.0.0.1:")
        handle.seed(TASKS)
        with ProcessorTasks.from_env(handle.env("aksk"), retry=FAST_RETRY) as tasks:
            handle.inject(drop=1)
            assert [t.task_id for t in tasks.iter_list_processor_tasks()] == ["t-1", "t-2", "t-3"]
        assert [r.status for r in handle.requests] == [None, 200]
        answer = httpx.get(f"{handle.base_url}/v2/{handle.project_id}/processor-tasks", headers={"X-Auth-Token": "no"})
        assert answer.status_code == 401 and handle.requests[-1].headers["x-auth-token"] == "no"


def test_socket_clients_ignore_a_proxy_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy that is not on loopback: the client refuses to send credentials over plain http
    # through it, so a handed-out client that honoured it would fail before sending anything.
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example.invalid:3128")
    monkeypatch.setenv("ALL_PROXY", "http://proxy.example.invalid:3128")
    with serving() as handle:
        handle.seed(TASKS)
        for auth in ("token", "aksk"):
            page = list_processor_tasks.sync(handle.project_id, client=handle.client(auth), limit=3)
            assert [t.task_id for t in page.tasks] == ["t-1", "t-2", "t-3"]


def test_the_readme_example_suite_passes_with_the_plugin(tmp_path: Path) -> None:
    code = re.findall(r"```python\n(.*?)```", (ROOT / "mock_server" / "README.md").read_text(), flags=re.S)
    assert len(code) == 3  # the pytest example, the expiring credential and the lifecycle one (both use its imports)
    (tmp_path / "test_readme_example.py").write_text("\n".join(code))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "generated_client"), str(ROOT / "mock_server")])}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "processor_tasks_mock.pytest_plugin", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and "5 passed" in done.stdout, done.stdout + done.stderr
