"""Lazy page walking for list operations that declare ``x-pagination`` in the spec.

The generated ``iter_pages``/``iter_items`` functions (and their async twins) of a paged
operation call :func:`walk_pages` with a function that fetches one page by index. Pages
are fetched one at a time as the caller consumes them and are not kept.

Pages are addressed by index over a list that can change while it is walked: a task
created or deleted meanwhile shifts every later page by one, so an item can come twice or
be skipped. The walk therefore

- never yields an item twice: it remembers the key of every item it yielded (a 64-bit
  hash each, in one flat array, so that 100,000 items cost about 2 MB) and removes
  repeats from the pages it hands out;
- says when it cannot vouch for having seen every item: the total changed between
  pages, a page repeated items already seen, or the walk ended short of the total. That
  is a WARNING through ``logging.getLogger("processor_tasks_client")``, or a
  :class:`~processor_tasks_client.errors.PagingError` in a strict walk;
- stops with :class:`~processor_tasks_client.errors.PagingError` when the server answers
  the same page again for the next index (it ignores the page parameter: the walk would
  never end), or when two pages in a row hold nothing new.

With ``concurrency`` above 1 (opt-in; the default 1 sends exactly what the sequential
walk always sent), pages are fetched side by side once the first page's total tells how
many there are: at most ``concurrency`` pages are in flight or waiting to be consumed, and
they are handed out in page order through the same checks, so nothing above changes. The
async walk runs each page in a task of its own; the sync walk in a thread pool over the
same ``httpx.Client`` (see :func:`walk_pages` for why). A :class:`_Governor` listens to
every answer of every page (through ``retry.PACER``): a 429 or 503 halves the walk's
concurrency (once per round of pages in flight), each run of that many calm pages adds
one back, and a ``Retry-After`` holds every request of the walk until it has passed, the
retries of pages already in flight included. Each change of concurrency is logged at INFO.
Stopping the walk (break, close, cancel, Ctrl-C) cancels the pages not yet consumed.

A walk that stops on an error says where: the error's ``page`` is the index of the page
it could not get (and a note says so), and ``start_page=`` begins a new walk there. The
new walk does not know what the old one yielded, so a list that changed in between can
repeat or skip items across the two. A concurrent walk names the first page, in page
order, that it could not get: the pages before it were all handed out.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import queue
import threading
import time
from array import array
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Hashable, Iterator, Sequence
from concurrent.futures import Future
from typing import Any, Generic, TypeVar

import httpx

from .errors import PagingError, ProcessorTasksError, _error_fields, parse_retry_after
from .retry import PACER
from .types import Unset

P = TypeVar("P")
T = TypeVar("T")

__all__ = [
    "MAX_CONCURRENCY",
    "THROTTLE_STATUSES",
    "apinned",
    "awalk_pages",
    "check_concurrency",
    "pinned",
    "walk_pages",
]

_log = logging.getLogger("processor_tasks_client")

# Pages in a row holding only items already seen after which the walk gives up: one such
# page can be a burst of new tasks shifting the list; two mean the walk is not advancing.
_STALE_PAGES = 2

# Below httpx's default pool of 100 connections, so that pages never queue inside httpx,
# where their call_timeout would already be running.
MAX_CONCURRENCY = 64
# Answers that mean "slow down" for the whole walk, unless the operation's x-pagination
# names others.
THROTTLE_STATUSES = frozenset({429, 503})


def check_concurrency(concurrency: object) -> int:
    """``concurrency`` as a walk accepts it: an int from 1 to MAX_CONCURRENCY, else a typed error."""
    if not isinstance(concurrency, int) or isinstance(concurrency, bool):
        raise TypeError(f"concurrency must be an int, got {type(concurrency).__name__} {concurrency!r}")
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ValueError(f"concurrency must be from 1 to {MAX_CONCURRENCY}, got {concurrency}")
    return concurrency


class _SeenKeys:
    """The set of item keys a walk has yielded, as 64-bit hashes in an open-addressing table.

    A ``set`` of task_id strings costs about 100 bytes per item; this costs 16 to 32.
    Two distinct keys whose hashes collide (odds about n²/2⁶⁵, 3·10⁻¹⁰ for 100,000
    items) would make the second look like a repeat.
    """

    def __init__(self) -> None:
        self._slots = array("q", [0]) * 1024
        self._mask = len(self._slots) - 1
        self._count = 0

    def add(self, key: Hashable) -> bool:
        """Record ``key``; False when it was already there."""
        code = hash(key) or 1  # 0 marks an empty slot
        slots, mask = self._slots, self._mask
        index = code & mask
        while True:
            held = slots[index]
            if held == 0:
                slots[index] = code
                self._count += 1
                if 2 * self._count > mask:
                    self._grow()
                return True
            if held == code:
                return False
            index = (index + 1) & mask

    def _grow(self) -> None:
        old = self._slots
        self._slots = array("q", [0]) * (2 * len(old))  # repeated in place: no bytes object in between
        self._mask = len(self._slots) - 1
        self._count = 0
        for code in old:
            if code:
                self._insert(code)

    def _insert(self, code: int) -> None:
        slots, mask = self._slots, self._mask
        index = code & mask
        while slots[index]:
            index = (index + 1) & mask
        slots[index] = code
        self._count += 1


class _Walk(Generic[T]):
    """Decides, page by page, what is new, what to warn about and whether to go on."""

    def __init__(self, limit: int, key: Callable[[T], Hashable], strict: bool) -> None:
        if limit < 1:
            raise ValueError(f"page size must be at least 1, got {limit}")
        self.limit = limit
        self._key = key
        self._strict = strict
        self._seen = _SeenKeys()
        self._yielded = 0
        self._total: int | None = None
        self._previous: list[Hashable] | None = None
        self._stale = 0

    def fresh(self, index: int, items: Sequence[T], total: int | Unset | None) -> list[T] | None:
        """The items of page ``index`` not yielded before; None when all of them are new."""
        keys = [self._key(item) for item in items]
        if keys and keys == self._previous:
            raise PagingError(
                index,
                f"page {index} holds exactly the items of page {index - 1}: the server seems to ignore "
                "the page index, and the walk would never end",
            )
        self._previous = keys
        if isinstance(total, int) and not isinstance(total, bool):
            if self._total is not None and total != self._total:
                self._unsure(index, f"the total changed from {self._total} to {total} during the walk")
            self._total = total
        new = [item for item, key in zip(items, keys, strict=True) if self._seen.add(key)]
        self._yielded += len(new)
        repeats = len(items) - len(new)
        if not repeats:
            self._stale = 0
            return None
        if new:
            self._stale = 0
            self._unsure(index, f"page {index} repeated {repeats} item(s) already yielded (left out)")
        else:
            self._stale += 1
            if self._stale >= _STALE_PAGES:
                raise PagingError(
                    index, f"{self._stale} pages in a row hold only items already yielded; the walk is not advancing"
                )
            self._unsure(index, f"page {index} holds only items already yielded (left out)")
        return new

    def last_page(self, first_page: int) -> int | None:
        """Index of the last page the latest total promises; None while no total is known."""
        if self._total is None:
            return None
        # Integer ceiling: a total of thousands of digits (a server may send one) overflows a float.
        return first_page + max(0, -(-self._total // self.limit) - 1)

    def more_after(self, index: int, page_size: int) -> bool:
        """Whether a page follows page ``index``, which held ``page_size`` items as sent."""
        if page_size < self.limit:
            if self._total is not None and self._yielded < self._total:
                self._unsure(index, f"the walk ended after {self._yielded} of the {self._total} items counted")
            return False  # a short (or empty) page is the last one
        return not (self._total is not None and self._yielded >= self._total)

    def _unsure(self, index: int, reason: str) -> None:
        if self._strict:
            raise PagingError(index, f"{reason}; the list changed while it was walked")
        _log.warning(
            "page walk may have missed items: %s; the list changed while it was walked",
            reason,
            extra={"page": index, "reason": reason},
        )


def _stopped_at(error: ProcessorTasksError, index: int) -> None:
    # The caller learns where the walk ended and how to go on, whatever ended it.
    error.page = index
    error.add_note(f"the page walk stopped at page {index}; pass start_page={index} to go on from there")


def _admit(walk: _Walk[T], index: int, page: P, items: str, total: Callable[[P], int | Unset | None]) -> bool:
    """Strip repeats from ``page`` in place; whether another page follows it."""
    listed: Sequence[T] = getattr(page, items)
    new = walk.fresh(index, listed, total(page))
    if new is not None:
        setattr(page, items, new)
    return walk.more_after(index, len(listed))


class _WalkStopped(Exception):
    """Ends a page's call in a worker thread once the walk it belongs to has stopped."""


class _Governor:
    """How many pages of one walk may be in flight, and until when every request must hold.

    Additive increase, multiplicative decrease (AIMD), as TCP does: a throttling answer
    (429, 503) halves ``limit``, each run of ``limit`` pages without one adds one, up to
    ``ceiling``. Pages in flight answer at about the same time, so the throttling answers of
    one round (a page's duration, or the Retry-After, after a cut) count as one signal. Shared by the
    walk and the calls of its pages, which may run in threads: hence the lock.
    """

    def __init__(self, ceiling: int, statuses: frozenset[int], clock: Callable[[], float] = time.monotonic) -> None:
        self.ceiling = ceiling
        self.limit = ceiling
        self._statuses = statuses
        self._clock = clock
        self._lock = threading.Lock()
        self._resume_at = 0.0
        self._calm = 0
        self._next_cut = -math.inf
        self._round = 0.0  # running mean of a page's duration
        self.stopped = threading.Event()

    def observe(self, response: httpx.Response) -> None:
        """An answer to one of the walk's requests: a throttling one slows the whole walk."""
        if response.status_code not in self._statuses:
            return
        now = self._clock()
        asked = parse_retry_after(response.headers.get("retry-after"))
        with self._lock:
            self._calm = 0
            if asked is not None:
                self._resume_at = max(self._resume_at, now + asked)
            if now < self._next_cut or self.limit == 1:
                return
            # Answers to requests sent before this cut took effect are the same signal.
            self._next_cut = now + max(self._round, asked or 0.0)
            before, self.limit = self.limit, max(1, self.limit // 2)
        code, _ = _error_fields(response.content)
        self._changed(
            before,
            f"HTTP {response.status_code}"
            + (f" {code}" if code else "")
            + (f", Retry-After {asked:g} s for every request of the walk" if asked is not None else ""),
            status_code=response.status_code,
            error_code=code,
            retry_after=asked,
        )

    def settled(self, seconds: float) -> None:
        """A page arrived after ``seconds``: one more calm page, and a better idea of a round."""
        with self._lock:
            self._round = seconds if self._round == 0.0 else 0.8 * self._round + 0.2 * seconds
            self._calm += 1
            if self._calm < self.limit or self.limit >= self.ceiling:
                return
            self._calm = 0
            before = self.limit
            self.limit += 1
        self._changed(before, f"{before} page(s) in a row without a throttling answer")

    def _changed(self, before: int, why: str, **fields: Any) -> None:
        _log.info(
            "page walk concurrency %d -> %d: %s",
            before,
            self.limit,
            why,
            extra={"concurrency": self.limit, "previous_concurrency": before, "reason": why, **fields},
        )

    def hold(self) -> float:
        """Seconds left of the walk's pause; raises _WalkStopped once the walk has stopped."""
        if self.stopped.is_set():
            raise _WalkStopped("the page walk has stopped")
        return max(0.0, self._resume_at - self._clock())

    def sleep(self, seconds: float) -> None:
        """Wait in a worker thread, ending early (raising) when the walk stops."""
        if self.stopped.wait(seconds):
            raise _WalkStopped("the page walk has stopped")


class _Workers:
    """A fixed set of daemon threads that run the pages of one sync walk.

    Not ``concurrent.futures.ThreadPoolExecutor``: the interpreter joins its threads at
    exit, so a Ctrl-C would still wait until every page in flight had its answer.
    """

    def __init__(self, size: int) -> None:
        self._jobs: queue.SimpleQueue[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]] | None] = (
            queue.SimpleQueue()
        )
        self._threads = [
            threading.Thread(target=self._work, name=f"processor-tasks-walk-{n}", daemon=True) for n in range(size)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, function: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        # The caller's context (a trace span, for one) goes with the page into its thread.
        self._jobs.put((future, contextvars.copy_context().run, (function, *args)))
        return future

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, function, args = job
            del job
            if future.set_running_or_notify_cancel():
                try:
                    result = function(*args)
                except BaseException as exc:
                    future.set_exception(exc)
                else:
                    future.set_result(result)
                    del result
            # A failed page's traceback holds this frame; were the future (which holds the
            # error, and the error its page's body) left in it, the two would form a cycle
            # that only the garbage collector frees. concurrent.futures drops it the same way.
            del future, function, args

    def shutdown(self, wait: bool) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        if wait:
            for thread in self._threads:
                thread.join()


def _fetch_paced(fetch: Callable[[int], P], index: int, governor: _Governor) -> tuple[P, float]:
    """One page of a sync concurrent walk, in a worker thread."""
    while (pause := governor.hold()) > 0:
        governor.sleep(pause)
    token = PACER.set(governor)
    try:
        started = time.monotonic()
        page = fetch(index)
        return page, time.monotonic() - started
    finally:
        PACER.reset(token)


async def _afetch_paced(fetch: Callable[[int], Awaitable[P]], index: int, governor: _Governor) -> tuple[P, float]:
    """One page of an async concurrent walk, in a task of its own (so PACER is its own too)."""
    while (pause := governor.hold()) > 0:
        await asyncio.sleep(pause)
    PACER.set(governor)
    started = time.monotonic()
    page = await fetch(index)
    return page, time.monotonic() - started


def _to_schedule(walk: _Walk[Any], governor: _Governor, first_page: int, index: int, ahead: int, waiting: int) -> bool:
    """Whether page ``ahead`` may be requested now, page ``index`` being the next to hand out."""
    if ahead == index:
        return True  # the page the consumer waits for: always
    last = walk.last_page(first_page)
    return last is not None and ahead <= last and waiting < governor.limit


def walk_pages(
    fetch: Callable[[int], P],
    *,
    items: str,
    key: Callable[[Any], Hashable],
    total: Callable[[P], int | Unset | None],
    limit: int,
    first_page: int,
    strict: bool = False,
    concurrency: int = 1,
    throttle_statuses: frozenset[int] = THROTTLE_STATUSES,
) -> Generator[P, None, None]:
    """Yield pages ``first_page``, ``first_page + 1``, ... until a short page or ``total`` items.

    ``items`` names the page attribute that lists the items; a yielded page lists only the
    items not yielded before (identified by ``key``). ``strict`` turns every warning about
    possibly missed items into a PagingError. ``concurrency`` above 1 fetches up to that
    many pages side by side in a thread pool (``throttle_statuses`` slow it down).

    Threads rather than an event loop of the walk's own: they share the caller's
    ``httpx.Client``, its pool, transport and ``httpx_args`` (a custom sync transport
    included), and they work when the caller already runs an event loop, where a nested
    one cannot.
    """
    check_concurrency(concurrency)
    walk: _Walk[Any] = _Walk(limit, key, strict)
    if concurrency == 1:
        index = first_page
        while True:
            try:
                page = fetch(index)
            except ProcessorTasksError as error:
                _stopped_at(error, index)
                raise
            more = _admit(walk, index, page, items, total)
            yield page
            if not more:
                return
            index += 1
    yield from _walk_concurrently(fetch, walk, items, total, first_page, _Governor(concurrency, throttle_statuses))


def _walk_concurrently(
    fetch: Callable[[int], P],
    walk: _Walk[Any],
    items: str,
    total: Callable[[P], int | Unset | None],
    first_page: int,
    governor: _Governor,
) -> Generator[P, None, None]:
    pool = _Workers(governor.ceiling)
    pending: dict[int, Future[tuple[P, float]]] = {}
    index = ahead = first_page
    interrupted = False
    try:
        while True:
            while _to_schedule(walk, governor, first_page, index, ahead, len(pending)):
                pending[ahead] = pool.submit(_fetch_paced, fetch, ahead, governor)
                ahead += 1
            try:
                page, seconds = pending.pop(index).result()
            except ProcessorTasksError as error:
                _stopped_at(error, index)
                raise
            more = _admit(walk, index, page, items, total)
            governor.settled(seconds)
            if not more:
                yield page
                return
            index += 1
            # Before handing out the page in hand: the next ones travel while the caller works.
            while _to_schedule(walk, governor, first_page, index, ahead, len(pending)):
                pending[ahead] = pool.submit(_fetch_paced, fetch, ahead, governor)
                ahead += 1
            yield page
    except BaseException as exc:
        # Ctrl-C must not wait for pages in flight; closing the client ends their requests.
        interrupted = not isinstance(exc, (Exception, GeneratorExit))
        raise
    finally:
        governor.stopped.set()
        for future in pending.values():
            future.cancel()
        # Otherwise wait for the pages in flight (at most their current attempt: the stop
        # cuts their waits and retries), so that no request of the walk outlives it.
        pool.shutdown(wait=not interrupted)


async def awalk_pages(
    fetch: Callable[[int], Awaitable[P]],
    *,
    items: str,
    key: Callable[[Any], Hashable],
    total: Callable[[P], int | Unset | None],
    limit: int,
    first_page: int,
    strict: bool = False,
    concurrency: int = 1,
    throttle_statuses: frozenset[int] = THROTTLE_STATUSES,
) -> AsyncGenerator[P, None]:
    """Async counterpart of :func:`walk_pages`; concurrent pages run as asyncio tasks.

    Closing the generator (``aclose()``, or cancelling the task that iterates it) cancels
    the pages in flight and waits until they have let go of their connections.
    """
    check_concurrency(concurrency)
    walk: _Walk[Any] = _Walk(limit, key, strict)
    index = first_page
    if concurrency == 1:
        while True:
            try:
                page = await fetch(index)
            except ProcessorTasksError as error:
                _stopped_at(error, index)
                raise
            more = _admit(walk, index, page, items, total)
            yield page
            if not more:
                return
            index += 1
    governor = _Governor(concurrency, throttle_statuses)
    pending: dict[int, asyncio.Task[tuple[P, float]]] = {}
    ahead = first_page
    try:
        while True:
            while _to_schedule(walk, governor, first_page, index, ahead, len(pending)):
                pending[ahead] = asyncio.ensure_future(_afetch_paced(fetch, ahead, governor))
                ahead += 1
            try:
                page, seconds = await pending.pop(index)
            except ProcessorTasksError as error:
                _stopped_at(error, index)
                raise
            more = _admit(walk, index, page, items, total)
            governor.settled(seconds)
            if not more:
                yield page
                return
            index += 1
            # Before handing out the page in hand: the next ones travel while the caller works.
            while _to_schedule(walk, governor, first_page, index, ahead, len(pending)):
                pending[ahead] = asyncio.ensure_future(_afetch_paced(fetch, ahead, governor))
                ahead += 1
            yield page
    finally:
        governor.stopped.set()
        for task in pending.values():
            task.cancel()
        if pending:
            await asyncio.wait(pending.values())
            for task in pending.values():
                if not task.cancelled():
                    task.exception()  # a page that failed after the walk stopped: nobody needs it


def _replaced(index: int) -> PagingError:
    return PagingError(
        index,
        f"the client was replaced during the walk, which would have gone on with the old one; pass "
        f"start_page={index} to go on with the new client (to rotate credentials without a new client, "
        "give it a credential provider: credentials=)",
    )


def pinned(
    pages: Iterator[P], client: Callable[[], object], first: object, start_page: int
) -> Generator[P, None, None]:
    """``pages``, stopped with PagingError before the next page once ``client()`` is not ``first``.

    A facade's walk is bound to the client it started with; one replaced meanwhile
    (``facade.client = new``) would otherwise be ignored without a word.
    """
    index = start_page
    try:
        while True:
            if client() is not first:
                raise _replaced(index)
            try:
                page = next(pages)
            except StopIteration:
                return
            yield page
            index += 1
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()


async def apinned(
    pages: AsyncIterator[P], client: Callable[[], object], first: object, start_page: int
) -> AsyncGenerator[P, None]:
    """Async counterpart of :func:`pinned`."""
    index = start_page
    try:
        while True:
            if client() is not first:
                raise _replaced(index)
            try:
                page = await anext(pages)
            except StopAsyncIteration:
                return
            yield page
            index += 1
    finally:
        aclose = getattr(pages, "aclose", None)
        if aclose is not None:
            await aclose()
