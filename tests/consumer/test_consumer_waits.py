"""A service that waits for tasks, tested as mock_server/README.md ("Tasks that move through
their lifecycle") and the client's guide ("Waiting for a task") say, in a fresh venv.

Its code under test waits on a task that completes, one that fails and one that never
finishes: in-process on the handle's clock (no sleeping), over a socket on wall time, sync
and async, and through both console scripts (``processor-tasks-mock --lifecycle FILE`` and
``processor-tasks wait``). Its tests pass ``mypy --strict``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.consumer.conftest import FreshVenv, pip_install, run

pytestmark = pytest.mark.slow  # builds wheels and venvs

WAIT_TESTS = '''
"""Tests of a service that starts processing tasks elsewhere and waits for them here."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from processor_tasks_client import ProcessorTasks, TaskFailedError, WaitTimeoutError
from processor_tasks_client.models import DescribeProcessorTaskResp, TaskStatus
from processor_tasks_client.waiter import Clock
from processor_tasks_mock.testing import MockHandle

# Seconds as the mock's README writes them: INITIALIZED, RUNNING 2 s later, COMPLETED 5 s after that.
LIFECYCLES: dict[str, list[dict[str, Any]]] = {
    "done": [{"after": 0, "status": "INITIALIZED"}, {"after": 2, "status": "RUNNING"}, {"after": 5, "status": "COMPLETED"}],
    "fails": [{"after": 1, "status": "RUNNING"}, {"after": 3, "status": "FAILED", "error_msg": "OBS denied."}],
    "never": [{"after": 1, "status": "RUNNING"}],
}
# The same shapes in tenths of a second, for wall time.
QUICK = {
    task_id: [{**step, "after": float(step["after"]) / 10} for step in steps] for task_id, steps in LIFECYCLES.items()
}


def finish(tasks: ProcessorTasks, task_id: str, clock: Clock | None = None, timeout: float = 600) -> str:
    """The code under test: wait for a task and say how it ended."""
    try:
        task = tasks.wait_processor_task(task_id, timeout=timeout, clock=clock, poll=0.1 if clock is None else None)
    except TaskFailedError as error:
        return f"failed: {error.error_msg}"
    except WaitTimeoutError as error:
        assert error.task is not None
        return f"gave up in {error.state}"
    return f"done in {task.duration_seconds} s"


async def afinish(tasks: ProcessorTasks, task_id: str, clock: Clock | None = None, timeout: float = 600) -> str:
    """The same, for async code."""
    try:
        task: DescribeProcessorTaskResp = await tasks.await_processor_task(
            task_id, timeout=timeout, clock=clock, poll=0.1 if clock is None else None
        )
    except TaskFailedError as error:
        return f"failed: {error.error_msg}"
    except WaitTimeoutError as error:
        return f"gave up in {error.state}"
    return f"done in {task.duration_seconds} s"


def test_in_process_the_waits_never_sleep(processor_tasks_mock: MockHandle) -> None:
    processor_tasks_mock.seed([], lifecycles=LIFECYCLES)
    tasks = processor_tasks_mock.processor_tasks()
    clock = processor_tasks_mock.clock
    start = clock.now()
    assert finish(tasks, "done", clock) == "done in 5 s"
    assert finish(tasks, "fails", clock) == "failed: OBS denied."
    assert finish(tasks, "never", clock) == "gave up in RUNNING"
    assert clock.now() - start > 500  # ten minutes of the mock's time went by, in no time of ours


def test_in_process_async(processor_tasks_mock: MockHandle) -> None:
    processor_tasks_mock.seed([], lifecycles=LIFECYCLES)
    tasks = processor_tasks_mock.processor_tasks("aksk")
    clock = processor_tasks_mock.clock
    assert asyncio.run(afinish(tasks, "done", clock)) == "done in 5 s"
    assert asyncio.run(afinish(tasks, "fails", clock)) == "failed: OBS denied."
    assert asyncio.run(afinish(tasks, "never", clock)) == "gave up in RUNNING"


def test_advance_moves_the_tasks(processor_tasks_mock: MockHandle) -> None:
    processor_tasks_mock.seed([], lifecycles=LIFECYCLES)
    tasks = processor_tasks_mock.processor_tasks()
    assert tasks.describe_processor_task("done").status == TaskStatus.INITIALIZED
    processor_tasks_mock.advance(3)
    running = sorted(t.task_id for t in tasks.iter_list_processor_tasks(status=TaskStatus.RUNNING))
    assert running == ["done", "fails", "never"]


def test_over_a_socket_on_wall_time(processor_tasks_mock_server: MockHandle) -> None:
    processor_tasks_mock_server.seed([], lifecycles=QUICK)
    with ProcessorTasks.from_env(processor_tasks_mock_server.env()) as tasks:
        assert finish(tasks, "done") == "done in 0 s"  # 0.5 s of running, in whole seconds
        assert finish(tasks, "fails") == "failed: OBS denied."
        assert finish(tasks, "never", timeout=1) == "gave up in RUNNING"
    tasks = processor_tasks_mock_server.processor_tasks()
    assert asyncio.run(afinish(tasks, "never", timeout=1)) == "gave up in RUNNING"


def test_the_console_scripts(tmp_path: Path) -> None:
    timelines = tmp_path / "timelines.json"
    timelines.write_text(json.dumps(QUICK))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        ["processor-tasks-mock", "--port", str(port), "--lifecycle", str(timelines), "--log-level", "warning"]
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
        env = {
            **os.environ,
            "PROCESSOR_TASKS_BASE_URL": f"http://127.0.0.1:{port}",
            "HUAWEICLOUD_SDK_PROJECT_ID": "mock-project",
            "PROCESSOR_TASKS_TOKEN": "mock-token",
        }
        outcomes = {}
        for task_id, extra in (("done", []), ("fails", []), ("never", ["--timeout", "1"]), ("gone", [])):
            done = subprocess.run(
                ["processor-tasks", "wait", task_id, "--poll", "0.1", *extra],
                env=env, capture_output=True, text=True, timeout=60, check=False,
            )
            outcomes[task_id] = done.returncode
            if task_id != "gone":
                assert json.loads(done.stdout)["task_id"] == task_id  # the final task on stdout
                assert f"processor-tasks: task {task_id}:" in done.stderr  # progress on stderr
        assert outcomes == {"done": 0, "fails": 23, "never": 21, "gone": 15}
    finally:
        server.terminate()
        server.wait(timeout=10)
'''


def test_a_service_waits_on_tasks_as_the_readmes_say(
    tmp_path: Path, fresh_venv: FreshVenv, wheels: Path, mypy_cache: Path
) -> None:
    python = fresh_venv(tmp_path / "venv")
    pip_install(python, *sorted(wheels.glob("*.whl")), cwd=tmp_path)
    service = tmp_path / "service"
    (service / "tests").mkdir(parents=True)
    (service / "tests" / "test_waits.py").write_text(WAIT_TESTS)
    path = f"{python.parent}:/usr/bin:/bin"  # the console scripts, as on an activated venv's PATH
    strict = ["-W", "error::ResourceWarning", "-W", "error::pytest.PytestUnraisableExceptionWarning"]
    done = run([python, "-m", "pytest", "-q", *strict, "-p", "no:cacheprovider", "tests"], service, env={"PATH": path})
    assert done.stdout.strip().splitlines()[-1].startswith("5 passed in"), done.stdout  # none skipped
    checked = run([python, "-m", "mypy", "--strict", "--cache-dir", mypy_cache, "tests"], service)
    assert "Success: no issues found in 1 source file" in checked.stdout, checked.stdout
