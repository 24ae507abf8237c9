"""Concurrent page walks (issue 22) against the mock, in-process and over a socket, sync and async.

What a walk with ``concurrency`` above 1 must keep from the sequential one: items in page
order, none twice, the warnings (or PagingError) about a list that changed meanwhile; and
what it adds: at most ``concurrency`` pages in flight, stopping early cancels the pages in
flight, and a 429 slows down the whole walk (concurrency cut, Retry-After for everyone).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import aclosing, closing
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from processor_tasks_client import AuthenticatedClient, ProcessorTasks, RetryPolicy, errors
from processor_tasks_client.api.processor_tasks import list_processor_tasks
from processor_tasks_client.pagination import _Governor
from processor_tasks_mock.testing import MockHandle, in_process, serving

pytestmark = pytest.mark.timeout(60)

LOGGER = "processor_tasks_client"
TASKS = 230  # 23 pages of 10
EXPECTED = [f"t{i:04d}" for i in range(TASKS)]


def tasks(n: int = TASKS) -> list[dict[str, Any]]:
    # Newest first is the mock's default order: t0000 comes first.
    return [{"task_id": f"t{i:04d}", "create_time": 1_700_000_000_000 - i} for i in range(n)]


@pytest.fixture(params=["in-process", "socket"])
def mock(request: pytest.FixtureRequest) -> Iterator[MockHandle]:
    with in_process() if request.param == "in-process" else serving() as handle:
        handle.seed(tasks())
        yield handle


@dataclass
class Traffic:
    """Every request of a walk as httpx event hooks see it: start, answer, and how many overlap."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    peak: int = 0
    started: list[tuple[float, str]] = field(default_factory=list)
    answered: list[tuple[float, str, int]] = field(default_factory=list)
    on_answer: Callable[[str, int], None] | None = None

    def request(self, request: httpx.Request) -> None:
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self.started.append((time.monotonic(), request.url.params["offset"]))

    def response(self, response: httpx.Response) -> None:
        offset = response.request.url.params["offset"]
        with self.lock:
            self.in_flight -= 1
            self.answered.append((time.monotonic(), offset, response.status_code))
        if self.on_answer is not None:
            self.on_answer(offset, response.status_code)

    def hooks(self, mode: str) -> dict[str, Any]:
        if mode == "sync":
            return {"event_hooks": {"request": [self.request], "response": [self.response]}}

        async def request(request: httpx.Request) -> None:
            self.request(request)

        async def response(response: httpx.Response) -> None:
            self.response(response)

        return {"event_hooks": {"request": [request], "response": [response]}}


def client_for(mock: MockHandle, mode: str, traffic: Traffic, **client_args: Any) -> AuthenticatedClient:
    return mock.client(httpx_args=traffic.hooks(mode), **client_args)


def walk_ids(client: AuthenticatedClient, mode: str, project: str, **kwargs: Any) -> list[str]:
    if mode == "sync":
        return [t.task_id for t in list_processor_tasks.iter_items(project, client=client, **kwargs)]

    async def run() -> list[str]:
        async with aclosing(list_processor_tasks.aiter_items(project, client=client, **kwargs)) as items:
            return [t.task_id async for t in items]

    return asyncio.run(run())


def offsets_requested(mock: MockHandle) -> list[int]:
    return sorted(int(dict(r.query)["offset"]) for r in mock.requests if r.path.endswith("/processor-tasks"))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_pages_come_in_order_none_twice_and_at_most_concurrency_in_flight(mock: MockHandle, mode: str) -> None:
    mock.inject(slow=1000, latency_ms=15)  # long enough for requests to overlap
    traffic = Traffic()
    client = client_for(mock, mode, traffic)
    assert walk_ids(client, mode, mock.project_id, limit=10, concurrency=4, strict=True) == EXPECTED
    assert offsets_requested(mock) == list(range(23))  # each page once, none past the last
    assert 2 <= traffic.peak <= 4, traffic.peak  # side by side, never more than asked
    assert traffic.in_flight == 0


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_the_facade_and_iter_pages_take_concurrency(mode: str) -> None:
    with in_process() as mock:
        mock.seed(tasks(25))
        facade = ProcessorTasks(mock.client(), mock.project_id)
        if mode == "sync":
            pages = [
                [t.task_id for t in p.tasks] for p in facade.iter_list_processor_tasks_pages(limit=10, concurrency=3)
            ]
            items = [t.task_id for t in facade.iter_list_processor_tasks(limit=10, concurrency=3)]
        else:

            async def run() -> tuple[list[list[str]], list[str]]:
                pages = [
                    [t.task_id for t in p.tasks]
                    async for p in facade.aiter_list_processor_tasks_pages(limit=10, concurrency=3)
                ]
                items = [t.task_id async for t in facade.aiter_list_processor_tasks(limit=10, concurrency=3)]
                return pages, items

            pages, items = asyncio.run(run())
    assert pages == [EXPECTED[0:10], EXPECTED[10:20], EXPECTED[20:25]]
    assert items == EXPECTED[:25]


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("bad", ["4", True, 2.0])
def test_concurrency_of_the_wrong_type_is_a_type_error_before_anything_is_sent(mode: str, bad: object) -> None:
    with in_process() as mock, pytest.raises(TypeError, match="concurrency must be an int"):
        walk_ids(mock.client(), mode, mock.project_id, concurrency=bad)
    assert mock.requests == []


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("bad", [0, -1, 65])
def test_concurrency_out_of_range_is_a_value_error_before_anything_is_sent(mode: str, bad: int) -> None:
    with in_process() as mock, pytest.raises(ValueError, match="from 1 to 64"):
        walk_ids(mock.client(), mode, mock.project_id, concurrency=bad)
    assert mock.requests == []


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("strict", [False, True])
def test_a_list_that_changes_during_a_concurrent_walk_warns_or_raises_and_repeats_nothing(
    mock: MockHandle, mode: str, strict: bool, caplog: pytest.LogCaptureFixture
) -> None:
    def grow(offset: str, status: int) -> None:
        # Once page 0 is answered, a new task is created at the front: every later page
        # shifts by one, so each repeats the last task of the page before it.
        if offset == "0" and len(mock.tasks()) == TASKS:
            mock.seed([{"task_id": "new", "create_time": 1_800_000_000_000}, *tasks()])

    traffic = Traffic(on_answer=grow)
    client = client_for(mock, mode, traffic)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        if strict:
            with pytest.raises(errors.PagingError, match="total changed from 230 to 231"):
                walk_ids(client, mode, mock.project_id, limit=10, concurrency=4, strict=True)
            return
        ids = walk_ids(client, mode, mock.project_id, limit=10, concurrency=4)
    assert ids == EXPECTED  # "new" sorts first, before page 0 was read; everything else once
    messages = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert any("total changed from 230 to 231" in m for m in messages), messages
    assert any("page 1 repeated 1 item(s)" in m for m in messages), messages


def test_breaking_out_of_an_async_walk_cancels_the_pages_in_flight(mock: MockHandle) -> None:
    mock.inject(slow=1000, latency_ms=2000)
    traffic = Traffic()
    client = client_for(mock, "async", traffic)

    async def run() -> float:
        mock.clear_faults()  # page 0 fast, the others slow
        async with aclosing(
            list_processor_tasks.aiter_items(mock.project_id, client=client, limit=10, concurrency=4)
        ) as items:
            async for _ in items:
                mock.inject(slow=1000, latency_ms=2000)
                await asyncio.sleep(0.1)  # pages 1-4 are on their way
                started = time.monotonic()
                break
        return time.monotonic() - started

    stopping = asyncio.run(run())
    assert stopping < 1.0  # cancelled, not waited for (each would take 2 s)
    assert traffic.in_flight == 4  # four requests sent, none answered: cancelled mid-flight
    assert len(traffic.started) == 5


def test_cancelling_the_task_of_an_async_walk_releases_every_connection() -> None:
    with serving() as mock:
        mock.seed(tasks())
        traffic = Traffic()
        # Kept-alive connections, so that a connection left half-used would stay in the pool.
        client = mock.client(
            httpx_args={**traffic.hooks("async"), "limits": httpx.Limits(max_keepalive_connections=10)}
        )

        async def run() -> list[Any]:
            async def walk() -> None:
                async for _ in list_processor_tasks.aiter_items(
                    mock.project_id, client=client, limit=10, concurrency=4
                ):
                    mock.inject(slow=1000, latency_ms=2000)

            task = asyncio.create_task(walk())
            await asyncio.sleep(0.5)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            pool = client.get_async_httpx_client()._transport._pool  # type: ignore[attr-defined]
            busy = [c for c in pool.connections if not c.is_idle()]
            await client.get_async_httpx_client().aclose()
            return busy

        assert asyncio.run(run()) == []
        assert len(traffic.started) == 5 and traffic.in_flight == 4


def test_breaking_out_of_a_sync_walk_leaves_no_request_running() -> None:
    with serving() as mock:
        mock.seed(tasks())
        traffic = Traffic()
        client = mock.client(httpx_args=traffic.hooks("sync"))
        with closing(list_processor_tasks.iter_items(mock.project_id, client=client, limit=10, concurrency=4)) as items:
            for _ in items:
                mock.inject(slow=1000, latency_ms=300)
                break
        # Closed: the pages in flight (at most 4) have finished their one attempt; no more start.
        assert traffic.in_flight == 0
        assert len(traffic.started) <= 5
        time.sleep(0.4)
        assert len(traffic.started) <= 5
        pool = client.get_httpx_client()._transport._pool  # type: ignore[attr-defined]
        assert [c for c in pool.connections if not c.is_idle()] == []


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_429_cuts_concurrency_and_its_retry_after_holds_every_request_of_the_walk(
    mock: MockHandle, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    def throttle_after_first_page(offset: str, status: int) -> None:
        if offset == "0" and status == 200:
            mock.inject(throttle=2, retry_after=1)  # the next two requests: 429, Retry-After: 1

    traffic = Traffic(on_answer=throttle_after_first_page)
    client = client_for(mock, mode, traffic)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        ids = walk_ids(client, mode, mock.project_id, limit=10, concurrency=4)
    assert ids == EXPECTED
    throttled = [at for at, _, status in traffic.answered if status == 429]
    assert len(throttled) == 2
    # No request starts between the first 429 and the end of its Retry-After, whichever
    # page it is for: the hold is the walk's, not only the throttled request's. (Requests
    # already on their way when the 429 arrived, within a few ms, cannot be called back.)
    window = (throttled[0] + 0.05, throttled[0] + 0.95)
    early = [(at - throttled[0], offset) for at, offset in traffic.started if window[0] < at < window[1]]
    assert early == []
    changes = [r for r in caplog.records if r.name == LOGGER and hasattr(r, "concurrency")]
    cuts = [(r.previous_concurrency, r.concurrency) for r in changes if r.concurrency < r.previous_concurrency]  # type: ignore[attr-defined]
    # Two 429s: one cut when they come in one round (over a socket), two when the second
    # comes after the hold (in-process, page 1 can run to its 429 before the others start).
    assert cuts in ([(4, 2)], [(4, 2), (2, 1)]), cuts
    assert changes[0].status_code == 429 and changes[0].error_code == "ModelArts.2799"  # type: ignore[attr-defined]
    assert "Retry-After 1 s" in changes[0].getMessage()
    grown_log = [r.getMessage() for r in changes if r.concurrency > r.previous_concurrency]  # type: ignore[attr-defined]
    assert all("without a throttling answer" in m for m in grown_log)
    grown = [(r.previous_concurrency, r.concurrency) for r in changes if r.concurrency > r.previous_concurrency]  # type: ignore[attr-defined]
    low = cuts[-1][1]
    assert grown == [(n, n + 1) for n in range(low, 4)]  # and it grows back, one at a time, to 4


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_walk_with_many_429s_still_yields_every_task_once(mock: MockHandle, mode: str) -> None:
    mock.inject(throttle_rate=0.3, retry_after=0, seed=7)
    fast = RetryPolicy(max_attempts=10, backoff_base=0.001, backoff_max=0.01)
    client = client_for(mock, mode, Traffic(), retry=fast)
    assert walk_ids(client, mode, mock.project_id, limit=10, concurrency=8) == EXPECTED


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_call_timeout_applies_to_each_page(mode: str) -> None:
    with in_process() as mock:
        mock.seed(tasks())
        client = mock.client(call_timeout=0.3, retry=None)
        seen: list[str] = []

        def slow_after_first(offset: str, status: int) -> None:
            seen.append(offset)
            mock.inject(slow=1000, latency_ms=1000)

        client = client_for(mock, mode, Traffic(on_answer=slow_after_first), call_timeout=0.3, retry=None)
        with pytest.raises(errors.APITimeoutError):
            walk_ids(client, mode, mock.project_id, limit=10, concurrency=4)
        assert seen == ["0"]


# --- the governor alone, on a clock the test moves ------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def answer(status: int, retry_after: str | None = None, code: str = "ModelArts.4206") -> httpx.Response:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    return httpx.Response(status, headers=headers, json={"error_code": code, "error_msg": "slow down"})


def test_governor_cuts_once_per_round_grows_one_per_calm_run_and_holds_for_retry_after() -> None:
    clock = Clock()
    governor = _Governor(8, frozenset({429, 503}), clock)
    governor.settled(0.5)  # a round is about half a second
    governor.observe(answer(200))
    assert governor.limit == 8
    governor.observe(answer(429))
    assert governor.limit == 4
    clock.now += 0.1
    governor.observe(answer(503))  # same round: the same congestion
    assert governor.limit == 4
    clock.now += 1.0
    governor.observe(answer(503))
    assert governor.limit == 2
    clock.now += 1.0
    governor.observe(answer(429, retry_after="3"))
    assert governor.limit == 1 and governor.hold() == 3.0
    clock.now += 2.0
    governor.observe(answer(429))  # at 1 already: nothing to cut, the hold stays
    assert governor.limit == 1 and governor.hold() == 1.0
    clock.now += 1.5
    assert governor.hold() == 0.0
    for _ in range(1 + 2 + 3):  # 1 calm page grows 1 -> 2, 2 more 2 -> 3, 3 more 3 -> 4
        governor.settled(0.5)
    assert governor.limit == 4
    for _ in range(100):
        governor.settled(0.5)
    assert governor.limit == 8  # never above what was asked for


def test_governor_ignores_other_statuses_and_a_stopped_walk_ends_waits() -> None:
    governor = _Governor(4, frozenset({429}), Clock())
    governor.observe(answer(503))
    assert governor.limit == 4
    governor.stopped.set()
    with pytest.raises(Exception, match="stopped"):
        governor.hold()
    with pytest.raises(Exception, match="stopped"):
        governor.sleep(10)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_concurrent_walk_that_fails_names_the_first_page_it_could_not_get(mode: str) -> None:
    with in_process() as mock:
        mock.seed(tasks())

        def fail_after_first(offset: str, status: int) -> None:
            if offset == "0":
                mock.inject(unavailable=1000)

        client = client_for(mock, mode, Traffic(on_answer=fail_after_first), retry=None)
        with pytest.raises(errors.ServerError) as caught:
            walk_ids(client, mode, mock.project_id, limit=10, concurrency=4)
    assert caught.value.page == 1


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_total_too_large_for_a_float_is_planned_with_integers(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    """A count of 4,000 digits parses (under Python's 4,300-digit limit); the plan of pages
    once divided it as floats and raised a bare OverflowError."""
    huge = 10**4000

    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        tasks = [{"task_id": f"x{offset}-{i}"} for i in range(10)] if offset < 3 else []
        return httpx.Response(200, content=b'{"count": %d, "tasks": %s}' % (huge, json.dumps(tasks).encode()))

    client = AuthenticatedClient(
        base_url="http://127.0.0.1", token="t", retry=None, httpx_args={"transport": httpx.MockTransport(handler)}
    )
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        ids = walk_ids(client, mode, "p", limit=10, concurrency=8)
    assert ids == [f"x{page}-{i}" for page in range(3) for i in range(10)]
    assert any("may have missed items" in record.getMessage() for record in caplog.records)
