"""Waiters generated from x-waiters: describe_processor_task.wait()/async_wait() and the facade's
wait_processor_task()/await_processor_task(), against the mock whose tasks follow a timeline.

In-process the mock's clock stands still until the waiter's pauses move it (handle.clock), so
these tests never sleep; the socket tests run on wall time with short timelines.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from processor_tasks_client import PollPolicy, ProcessorTasks, WaitProgress, errors
from processor_tasks_client.api.processor_tasks import describe_processor_task
from processor_tasks_client.models import TaskStatus
from processor_tasks_client.waiter import SystemClock
from processor_tasks_mock.testing import MockHandle, in_process, serving

from tests.paths import ROOT

DONE = [{"after": 0, "status": "INITIALIZED"}, {"after": 2, "status": "RUNNING"}, {"after": 5, "status": "COMPLETED"}]
FAILS = [{"after": 1, "status": "RUNNING"}, {"after": 3, "status": "FAILED", "error_msg": "OBS path not found."}]
STOPS = [{"after": 1, "status": "RUNNING"}, {"after": 3, "status": "STOPPED"}]
NEVER = [{"after": 1, "status": "RUNNING"}]
# Pauses at their upper bound, so that the sequence is known.
FULL = PollPolicy(delay=2, multiplier=1.5, max_delay=30, jitter=lambda: 1.0)


@pytest.fixture
def mock() -> Iterator[MockHandle]:
    with in_process() as handle:
        handle.seed([], lifecycles={"done": DONE, "fails": FAILS, "stops": STOPS, "never": NEVER})
        yield handle


def facade(handle: MockHandle, **client_args: Any) -> ProcessorTasks:
    return handle.processor_tasks(**client_args)


def test_a_task_that_completes_is_returned_as_last_fetched_sync_and_async(mock: MockHandle) -> None:
    seen: list[WaitProgress] = []
    task = facade(mock).wait_processor_task("done", clock=mock.clock, poll=FULL, progress=seen.append)
    assert task.status == TaskStatus.COMPLETED and task.duration_seconds == 5
    # Pauses of 2 s, then 3, then 4.5: polls at 0, 2 (RUNNING from 2 s), 5 and 9.5 s (COMPLETED from 7 s).
    assert [p.state for p in seen] == ["INITIALIZED", "RUNNING", "RUNNING", "COMPLETED"]
    assert [p.next_poll_in for p in seen] == [2.0, 3.0, 4.5, None]
    assert seen[-1].elapsed == pytest.approx(9.5) and seen[-1].resource is task


async def test_the_async_twins_wait_on_the_same_clock(mock: MockHandle) -> None:
    task = await facade(mock).await_processor_task("done", clock=mock.clock, poll=FULL)
    assert task.status == TaskStatus.COMPLETED
    again = await describe_processor_task.async_wait(
        mock.project_id, "done", client=mock.client(), clock=mock.clock, until=["COMPLETED"]
    )
    assert again.task_id == "done"
    with pytest.raises(errors.TaskFailedError) as failed:
        await facade(mock).await_processor_task("fails", clock=mock.clock)
    assert failed.value.error_msg == "OBS path not found."


@pytest.mark.parametrize(
    ("task_id", "state", "message"), [("fails", "FAILED", "OBS path not found."), ("stops", "STOPPED", None)]
)
def test_a_failure_state_raises_with_the_task_its_status_and_error_msg(
    mock: MockHandle, task_id: str, state: str, message: str | None
) -> None:
    with pytest.raises(errors.TaskFailedError) as failed:
        facade(mock).wait_processor_task(task_id, clock=mock.clock)
    error = failed.value
    assert error.state == state and error.status == TaskStatus[state] and error.error_msg == message
    assert error.task.task_id == task_id and error.task.status == TaskStatus[state]
    assert error.task.duration_seconds == 3  # ran from 1 s to 4 s
    assert isinstance(error, errors.WaitError) and state in str(error)


def test_running_out_of_time_raises_with_the_last_task_seen_before_the_deadline(mock: MockHandle) -> None:
    start = mock.clock.now()
    with pytest.raises(errors.WaitTimeoutError) as timed_out:
        facade(mock).wait_processor_task("never", clock=mock.clock, timeout=60, poll=FULL)
    error = timed_out.value
    assert error.task.status == TaskStatus.RUNNING and error.state == "RUNNING"
    # Polls at 0, 2, 5, 9.5, 16.25, 26.375, 41.5625; the next (+22.8) would pass 60 s: it ends there.
    assert error.polls == 7 and mock.clock.now() - start == pytest.approx(41.5625)
    assert mock.clock.now() - start < 60


def test_pauses_grow_with_jitter_up_to_the_cap(mock: MockHandle) -> None:
    draws = iter([0.0, 1.0] * 20)
    seen: list[WaitProgress] = []
    policy = PollPolicy(delay=4, multiplier=2, max_delay=10, jitter=lambda: next(draws))
    with pytest.raises(errors.WaitTimeoutError):
        facade(mock).wait_processor_task("never", clock=mock.clock, timeout=50, poll=policy, progress=seen.append)
    pauses = [p.next_poll_in for p in seen if p.next_poll_in is not None]
    # Bounds 4, 8, 10, 10, ...; each pause between half and all of its bound.
    assert pauses[:5] == [2.0, 8.0, 5.0, 10.0, 5.0]
    assert max(pauses) == 10.0
    # The contract's default policy draws in the same bounds.
    default = describe_processor_task._WAIT_WAITER.poll
    assert (default.delay, default.multiplier, default.max_delay) == (2, 1.5, 30)
    assert all(default.bound(1) / 2 <= default.pause(1) <= default.bound(1) for _ in range(50))


def test_transient_errors_are_logged_honour_retry_after_and_do_not_end_the_wait(
    mock: MockHandle, caplog: pytest.LogCaptureFixture
) -> None:
    # retry=None: every 429/503/drop reaches the waiter instead of the client's own retries.
    tasks = facade(mock, retry=None)
    mock.inject(throttle=1, retry_after=11)
    seen: list[WaitProgress] = []
    with caplog.at_level(logging.INFO, logger="processor_tasks_client"):
        task = tasks.wait_processor_task("done", clock=mock.clock, poll=FULL, progress=seen.append)
    assert task.status == TaskStatus.COMPLETED
    assert isinstance(seen[0].error, errors.RateLimitError) and seen[0].next_poll_in == 11.0  # Retry-After > 2 s
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "still waiting" in r.getMessage()]
    assert len(warnings) == 1 and "429" in warnings[0].getMessage()
    infos = [r for r in caplog.records if r.levelno == logging.INFO and r.getMessage().startswith("waiting for")]
    assert infos and all(hasattr(r, "wait_state") and hasattr(r, "elapsed") for r in infos)

    mock.seed([], lifecycles={"done": DONE})
    mock.inject(unavailable=2, drop=1)
    seen.clear()
    assert tasks.wait_processor_task("done", clock=mock.clock, poll=FULL, progress=seen.append).status == 2
    # The first request is both dropped and a 503 by count: the drop wins (as in the server).
    assert [type(p.error).__name__ for p in seen[:3]] == ["APIConnectionError", "ServerError", "NoneType"]


def test_transient_errors_count_against_the_deadline(mock: MockHandle) -> None:
    mock.inject(unavailable_rate=1.0)
    with pytest.raises(errors.WaitTimeoutError) as timed_out:
        facade(mock, retry=None).wait_processor_task("done", clock=mock.clock, timeout=20, poll=FULL)
    assert timed_out.value.task is None and timed_out.value.state is None  # never answered
    assert isinstance(timed_out.value.__cause__, errors.ServerError) or timed_out.value.polls >= 4


def test_not_found_before_the_task_was_seen_ends_at_once(mock: MockHandle) -> None:
    with pytest.raises(errors.TaskNotFoundError) as missing:
        facade(mock).wait_processor_task("no-such-task", clock=mock.clock)
    assert type(missing.value) is errors.TaskNotFoundError
    assert len(mock.requests) == 1


class _TaskAppearsLater:
    """The mock's clock, on which task ``late`` exists only once ``seconds`` have passed."""

    def __init__(self, handle: MockHandle, seconds: float) -> None:
        self.handle, self.appears_at, self.slept = handle, handle.clock.now() + seconds, 0.0

    def now(self) -> float:
        return self.handle.clock.now()

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.handle.advance(seconds)
        if self.now() >= self.appears_at and not self.handle.tasks():
            self.handle.seed([{"task_id": "late", "status": 2}])

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


async def test_no_grace_period_for_a_task_that_appears_later_as_the_contract_says(mock: MockHandle) -> None:
    mock.seed([])
    mock.clear_requests()
    clock = _TaskAppearsLater(mock, seconds=1)
    with pytest.raises(errors.TaskNotFoundError):
        facade(mock).wait_processor_task("late", clock=clock, poll=FULL, timeout=60)
    # Not polled again: a grace period would have paused (1 s is within one 2 s pause) and
    # then found the task COMPLETED.
    assert len(mock.requests) == 1 and clock.slept == 0 and mock.tasks() == []
    clock = _TaskAppearsLater(mock, seconds=1)
    with pytest.raises(errors.TaskNotFoundError):
        await facade(mock).await_processor_task("late", clock=clock, poll=FULL, timeout=60)
    assert len(mock.requests) == 2 and clock.slept == 0 and mock.tasks() == []
    # The decision is the contract's, in its words, and the READMEs repeat it.
    spec = yaml.safe_load((ROOT / "openapi" / "processor-tasks.yaml").read_text())
    waiter = spec["paths"]["/v2/{project_id}/processor-tasks/{task_id}"]["get"]["x-waiters"]["wait"]
    assert "There is no grace period" in waiter["description"]
    assert "deliberately no grace period" in (ROOT / "README.md").read_text()
    assert "no grace period polls a missing task again" in (ROOT / "generated_client" / "README.md").read_text()


def test_a_task_deleted_while_waiting_raises_with_the_last_task_seen(mock: MockHandle) -> None:
    def delete_after_first_poll(progress: WaitProgress) -> None:
        if progress.polls == 2:
            mock.seed([])  # the task is gone

    with pytest.raises(errors.TaskDeletedError) as deleted:
        facade(mock).wait_processor_task("done", clock=mock.clock, progress=delete_after_first_poll)
    error = deleted.value
    assert isinstance(error, errors.TaskNotFoundError) and error.status_code == 404
    assert error.last_task.task_id == "done" and error.last_task.status == TaskStatus.INITIALIZED
    assert "deleted while waiting" in str(error)


def test_until_names_the_states_that_end_the_wait(mock: MockHandle) -> None:
    tasks = facade(mock)
    running = tasks.wait_processor_task("done", clock=mock.clock, until=TaskStatus.RUNNING)
    assert running.status == TaskStatus.RUNNING
    failed = tasks.wait_processor_task("fails", clock=mock.clock, until=["COMPLETED", 3, TaskStatus.STOPPED])
    assert failed.status == TaskStatus.FAILED  # asked for: returned, not raised
    mock.advance(10)
    with pytest.raises(errors.WaitError, match="will never be RUNNING") as final:
        tasks.wait_processor_task("done", clock=mock.clock, until="RUNNING")  # completed by now
    assert type(final.value) is errors.WaitError and final.value.state == "COMPLETED"
    with pytest.raises(ValueError, match="'DONE' is not a status"):
        tasks.wait_processor_task("done", until="DONE")
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        tasks.wait_processor_task("done", timeout=0)
    with pytest.raises(ValueError, match="poll delay must be a positive number"):
        tasks.wait_processor_task("done", poll=-1)


def test_a_status_the_contract_does_not_list_keeps_waiting_with_one_warning(
    mock: MockHandle, caplog: pytest.LogCaptureFixture
) -> None:
    mock.seed([{"task_id": "odd", "status": 7}])
    with caplog.at_level(logging.WARNING, logger="processor_tasks_client"), pytest.raises(errors.WaitTimeoutError):
        facade(mock).wait_processor_task("odd", clock=mock.clock, timeout=30)
    unknown = [r for r in caplog.records if "does not list" in r.getMessage()]
    assert len(unknown) == 1


def test_other_errors_end_the_wait_at_once() -> None:
    with in_process() as handle:
        other = ProcessorTasks(handle.client(), "other-project")  # mock-token belongs to mock-project
        with pytest.raises(errors.ProjectMismatchError):
            other.wait_processor_task("anything", clock=handle.clock)
        assert len(handle.requests) == 1


def test_over_a_socket_on_wall_time_sync_and_async() -> None:
    timeline = [{"after": 0.2, "status": "RUNNING"}, {"after": 0.3, "status": "COMPLETED"}]
    with serving() as handle:
        handle.seed([], lifecycles={"quick": timeline, "breaks": [{"after": 0.2, "status": "FAILED"}]})
        tasks = handle.processor_tasks()
        started = time.monotonic()
        task = tasks.wait_processor_task("quick", poll=0.1)
        assert task.status == TaskStatus.COMPLETED and time.monotonic() - started >= 0.45
        with pytest.raises(errors.TaskFailedError) as failed:
            tasks.wait_processor_task("breaks", poll=0.1, clock=SystemClock())
        assert failed.value.error_msg == "The task failed."  # the mock's default message


async def test_over_a_socket_async() -> None:
    with serving() as handle:
        handle.seed([], lifecycles={"quick": [{"after": 0.2, "status": "RUNNING"}, {"after": 0.2, "status": 2}]})
        task = await handle.processor_tasks().await_processor_task("quick", poll=0.1)
        assert task.status == TaskStatus.COMPLETED


def test_a_poll_under_way_is_cut_off_at_the_deadline() -> None:
    # Every answer is 5 s late; the wait's 1 s deadline shortens the poll's call_timeout.
    with serving() as handle:
        handle.seed([], lifecycles={"slow": NEVER})
        handle.inject(slow=100, latency_ms=5000)
        started = time.monotonic()
        with pytest.raises(errors.WaitTimeoutError) as timed_out:
            handle.processor_tasks().wait_processor_task("slow", timeout=1, poll=0.1)
        assert time.monotonic() - started < 4  # not the 5 s answer, nor the client's 120 s call_timeout
        assert isinstance(timed_out.value.__cause__, errors.APITimeoutError)
