"""The waiter against hostile servers and odd arguments: every failure is typed, every wait ends.

A stub server on 127.0.0.1 answers what each test queues (statuses the contract does not
list, null, strings, 429s with a Retry-After past the deadline, trickled answers); the
long-running cases drive ``run_wait`` with a simulated clock so that they never sleep.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import math
import sys
import threading
import time
import tracemalloc
from dataclasses import dataclass
from typing import Any

import pytest
from processor_tasks_client import AuthenticatedClient, PollPolicy, ProcessorTasks, errors
from processor_tasks_client.api.processor_tasks import describe_processor_task
from processor_tasks_client.waiter import SystemClock, arun_wait, run_wait

from tests.client.stub_server import Answer, StubServer

WAITER = describe_processor_task._WAIT_WAITER


def task(status: Any = ..., **fields: Any) -> Answer:
    body = {"task_id": "t1", "name": "probe", **fields}
    if status is not ...:
        body["status"] = status
    return Answer(body=json.dumps(body).encode())


def tasks(stub: StubServer, **client_args: Any) -> ProcessorTasks:
    return ProcessorTasks(AuthenticatedClient(base_url=stub.base_url, token="stub-token", **client_args), "proj")


class SimulatedClock:
    def __init__(self) -> None:
        self.time = 0.0
        self.pauses: list[float] = []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.time += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


@dataclass
class Task:
    status: Any


def test_pause_bounds_stop_growing_at_the_cap_however_many_polls() -> None:
    # 1.5 ** 1800 is past any float: a wait without end would have died after ~15 h of 30 s pauses.
    assert WAITER.poll.bound(1) == 2 and WAITER.poll.bound(10_000) == 30
    assert PollPolicy(delay=0.01, multiplier=2, max_delay=0.05).bound(2000) == 0.05
    assert PollPolicy(delay=1, multiplier=1e300, max_delay=5).bound(3) == 5
    clock = SimulatedClock()
    polls = iter(range(5000))
    done = run_wait(
        lambda: Task(2 if next(polls) == 4000 else 1),
        WAITER,
        what="t1",
        timeout=None,
        poll=PollPolicy(delay=0.01, multiplier=2, max_delay=0.02),
        clock=clock,
    )
    assert done.status == 2 and len(clock.pauses) == 4000 and max(clock.pauses) <= 0.02


@pytest.mark.parametrize(
    ("arguments", "error", "named"),
    [
        ({"timeout": 0}, ValueError, "timeout"),
        ({"timeout": -1}, ValueError, "timeout"),
        ({"timeout": math.nan}, ValueError, "timeout"),
        ({"timeout": -math.inf}, ValueError, "timeout"),
        ({"timeout": 10**400}, ValueError, "timeout"),
        ({"timeout": True}, TypeError, "timeout"),
        ({"timeout": "60"}, TypeError, "timeout"),
        ({"poll": math.inf}, ValueError, "poll delay"),
        ({"poll": 1e300}, ValueError, "poll delay"),
        ({"poll": 10**400}, ValueError, "poll delay"),
        ({"poll": math.nan}, ValueError, "poll delay"),
        ({"poll": -0.0}, ValueError, "poll delay"),
        ({"poll": True}, TypeError, "poll"),
        ({"poll": "1"}, TypeError, "poll"),
    ],
)
def test_bad_timeout_and_poll_arguments_name_the_argument(
    arguments: dict[str, Any], error: type[Exception], named: str
) -> None:
    facade = ProcessorTasks(AuthenticatedClient(base_url="http://127.0.0.1:9", token="t"), "proj")
    with pytest.raises(error, match=named):
        facade.wait_processor_task("t1", **arguments)


@pytest.mark.parametrize(
    "policy",
    [{"delay": 1, "max_delay": math.inf}, {"delay": 1, "max_delay": math.nan}, {"delay": 1, "multiplier": math.nan}],
)
def test_a_poll_policy_no_clock_can_sleep_is_refused(policy: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="poll"):
        PollPolicy(**policy)


@pytest.mark.parametrize("timeout", [math.inf, 1e308, 10**300])
def test_huge_timeouts_wait_as_long_as_it_takes(stub: StubServer, timeout: float) -> None:
    # A client with no time bounds of its own: the wait's budget is what each poll gets.
    stub.reply(task(1), task(2))
    unbounded = tasks(stub, timeout=None, attempt_timeout=None, call_timeout=None)
    assert unbounded.wait_processor_task("t1", timeout=timeout, poll=0.01).status == 2


def test_a_retry_after_of_years_without_a_timeout_is_slept_in_pieces(
    stub: StubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)  # time.sleep(1e11) overflows
    stub.reply(
        Answer(status=429, body=b"{}", headers={"Content-Type": "application/json", "Retry-After": "99999999999"}),
        task(2),
    )
    assert tasks(stub, retry=None).wait_processor_task("t1", timeout=None, poll=0.01).status == 2
    assert sum(slept) == pytest.approx(99999999999) and max(slept) <= 86400
    slept.clear()
    SystemClock().sleep(200000.5)
    assert slept == [86400.0, 86400.0, pytest.approx(27200.5)]


@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_past_the_deadline_ends_the_wait_at_once(stub: StubServer, status: int) -> None:
    headers = {"Content-Type": "application/json", "Retry-After": "30"}
    stub.reply(Answer(status=status, body=b'{"error_code": "x", "error_msg": "busy"}', headers=headers))
    started = time.monotonic()
    with pytest.raises(errors.WaitTimeoutError, match="would come after it") as timed_out:
        tasks(stub).wait_processor_task("t1", timeout=2, poll=0.1)
    assert time.monotonic() - started < 1 and timed_out.value.task is None


def test_a_trickled_answer_is_cut_off_at_the_deadline_without_client_bounds(stub: StubServer) -> None:
    stub.reply(Answer(body=json.dumps({"task_id": "t1", "status": 1}).encode(), trickle=0.2))
    started = time.monotonic()
    with pytest.raises(errors.WaitTimeoutError) as timed_out:
        tasks(stub, attempt_timeout=None, call_timeout=None).wait_processor_task("t1", timeout=1, poll=0.1)
    assert time.monotonic() - started < 2
    assert isinstance(timed_out.value.__cause__, errors.APITimeoutError)


@pytest.mark.parametrize("status", [None, ..., 7, -1, 10**20])
def test_a_status_null_missing_or_unlisted_keeps_waiting_and_the_timeout_says_what_was_seen(
    stub: StubServer, status: Any
) -> None:
    stub.reply(task(status))
    with pytest.raises(errors.WaitTimeoutError) as timed_out:
        tasks(stub).wait_processor_task("t1", timeout=0.5, poll=0.05)
    error = timed_out.value
    assert error.polls >= 2 and error.task is not None and error.task.task_id == "t1"
    assert "never answered" not in str(error)  # it did answer, without a status the contract lists
    assert str(error).endswith("last state: no status" if status in (None, ...) else f"last state: {status!r}")


@pytest.mark.parametrize("status", ["BANANA", "x" * 100_000, True, 2.0, [], {}])
def test_a_status_of_another_type_is_off_the_contract_and_ends_the_wait(stub: StubServer, status: Any) -> None:
    stub.reply(task(status))
    with pytest.raises(errors.ResponseDecodeError):
        tasks(stub).wait_processor_task("t1", timeout=5, poll=0.05)
    assert len(stub.seen) == 1


def test_a_status_that_flips_back_and_forth_ends_at_the_first_final_one(stub: StubServer) -> None:
    stub.reply(*(task(s) for s in (1, 0, 1, 7, 0, 1, 4, 2)))
    with pytest.raises(errors.TaskFailedError) as failed:
        tasks(stub).wait_processor_task("t1", timeout=5, poll=0.01)
    assert failed.value.state == "STOPPED" and len(stub.seen) == 7


@pytest.mark.parametrize("when", ["polling", "pausing"])
async def test_cancelling_an_async_wait_leaves_no_task_generator_or_thread_behind(stub: StubServer, when: str) -> None:
    stub.reply(Answer(body=json.dumps({"task_id": "t1", "status": 1}).encode(), delay=2 if when == "polling" else 0))
    finalized: list[str] = []
    hooks = sys.get_asyncgen_hooks()

    def finalizer(generator: Any) -> None:  # only generators nobody closed get here
        finalized.append(generator.__qualname__)
        assert hooks.finalizer is not None
        hooks.finalizer(generator)

    threads = set(threading.enumerate())
    sys.set_asyncgen_hooks(firstiter=hooks.firstiter, finalizer=finalizer)
    try:
        async with tasks(stub) as facade:
            waiting = asyncio.create_task(facade.await_processor_task("t1", timeout=60, poll=30))
            await asyncio.sleep(0.3)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
        gc.collect()
        await asyncio.sleep(0)
    finally:
        sys.set_asyncgen_hooks(*hooks)
    assert finalized == []
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
    new = [t for t in set(threading.enumerate()) - threads if not t.name.endswith("(process_request_thread)")]
    assert new == []


class _KeepRecords(logging.Handler):
    """A handler that keeps every record, as a MemoryHandler or an error reporter does."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _wait_that_times_out_after_a_failed_poll(mode: str, content: bytes) -> str:
    """The message of the WaitTimeoutError that ends the wait, caught where it is raised."""

    def fetch() -> Task:
        raise errors.ServerError(503, content=content, headers={"Retry-After": "100"})

    async def afetch() -> Task:
        return fetch()

    clock = SimulatedClock()
    if mode == "sync":
        try:
            run_wait(fetch, WAITER, what="t1", timeout=10, clock=clock)
        except errors.WaitTimeoutError as exc:
            return str(exc)
        raise AssertionError("the wait did not time out")

    # Caught inside the coroutine: an exception leaving asyncio.run is held in a cycle
    # of asyncio's own (the task and run_until_complete's frame), whoever raised it.
    async def main() -> str:
        try:
            await arun_wait(afetch, WAITER, what="t1", timeout=10, clock=clock)
        except errors.WaitTimeoutError as exc:
            return str(exc)
        raise AssertionError("the wait did not time out")

    return asyncio.run(main())


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_wait_that_ends_after_a_failed_poll_frees_the_poll_error_without_the_collector(mode: str) -> None:
    # The poll error carries its body. Kept in the wait's frame (which its own traceback
    # holds) or in a log record's arguments, it would outlive the wait.
    body = 4 * 1024 * 1024
    kept = _KeepRecords()
    logger = logging.getLogger("processor_tasks_client")
    logger.addHandler(kept)
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        message = _wait_that_times_out_after_a_failed_poll(mode, b"x" * body)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        gc.enable()
        logger.removeHandler(kept)
    assert "would come after it" in message
    assert any("polling t1 failed (HTTP 503" in record.getMessage() for record in kept.records)
    assert held < body / 4, f"{held / 1e6:.1f} MB still held after the wait ended"
