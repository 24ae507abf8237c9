"""Polling an operation until a field of its answer reaches a final state (``x-waiters``).

The generated ``wait()``/``async_wait()`` functions of an operation that declares
``x-waiters`` in the spec (and the facade's ``wait_*``/``await_*`` methods) call
:func:`run_wait` or :func:`arun_wait` with a function that fetches the resource once and
the :class:`Waiter` the contract describes. What a wait does, decided here once for every
waiter:

- **Returns** the resource as last fetched, once its field holds a state named in
  ``until`` (default: the waiter's success states).
- **Raises** :class:`~processor_tasks_client.errors.TaskFailedError` (task, status,
  ``error_msg``) when the field holds a failure state that ``until`` does not name, and
  :class:`~processor_tasks_client.errors.WaitError` when it holds another final state
  ``until`` does not name (waiting for RUNNING, the task is already COMPLETED).
- **Keeps waiting** on the pending states, on any value the contract does not list (an
  open enum may grow: a status ``7``) and on a field that is null or missing; the first
  such answer is logged at WARNING. A value of another type than the contract's (a
  status ``"BANANA"`` where it says integer) never gets here: the answer is off the
  contract, and its ``ResponseDecodeError`` ends the wait like any other.
- **Pauses** between polls: the first pause is ``delay`` seconds, each next one
  ``multiplier`` times the one before, capped at ``max_delay``; each is drawn uniformly
  between half and all of that (jitter, so that many waiters do not poll in step). A
  ``Retry-After`` on a 429 or 5xx answer is waited for when it is longer.
- **Transient errors** (429, 5xx, no answer, after the client's own retries) are logged at
  WARNING and the wait goes on; their time counts against the wait's ``timeout``. Any other
  error (401, 403, a wrong project, an answer off the contract) ends the wait at once.
- **Not found**: a 404 (``TaskNotFoundError``) on a resource never seen ends the wait at
  once with that error; after the resource was seen, it was deleted while waiting:
  :class:`~processor_tasks_client.errors.TaskDeletedError` (a ``TaskNotFoundError``)
  carrying the last resource seen. There is no grace period that polls a not-found
  resource again (the contract's ``x-waiters`` description says why).
- **Time**: ``timeout`` is a positive number of seconds, or None (or ``math.inf``) for no
  end; ``poll`` pauses are positive and at most :data:`MAX_PAUSE` (a year), and their
  growth stops at ``max_delay`` however many polls a wait makes. After ``timeout`` seconds,
  or as soon as the next pause would end after that,
  :class:`~processor_tasks_client.errors.WaitTimeoutError` carries the last resource seen
  (None if every poll failed). A poll under way is cut off at the deadline (its call's
  ``call_timeout`` is shortened to what is left), so the wait never runs past ``timeout``
  by more than a moment.
- **Visible**: every poll is logged at INFO through ``logging.getLogger("processor_tasks_client")``
  (state, elapsed time, next pause; also as record attributes), and ``progress``, when
  given, is called after every poll with a :class:`WaitProgress`. With tracing on
  (``_tracing.py``), the wait is one span (``DescribeProcessorTask wait``) whose polls'
  calls are its children, with an event per poll and the outcome.

Time comes from a :class:`Clock`: the system's monotonic clock by default; a test passes
one whose ``sleep`` moves simulated time instead (the mock's ``handle.clock``), so a wait
test never sleeps.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import anyio

from . import _tracing, errors
from ._responses import call_deadline_within
from ._transfer import finite_number
from .types import Unset

__all__ = ["MAX_PAUSE", "Clock", "PollPolicy", "SystemClock", "WaitProgress", "Waiter", "arun_wait", "run_wait"]

T = TypeVar("T")

_log = logging.getLogger("processor_tasks_client")


class Clock(Protocol):
    """Where a wait reads time and how it pauses. Only differences of ``now()`` matter."""

    def now(self) -> float:
        """Seconds on this clock (any origin)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Pause a sync wait."""
        ...

    async def asleep(self, seconds: float) -> None:
        """Pause an async wait."""
        ...


class SystemClock:
    """The default clock: ``time.monotonic``, ``time.sleep`` and ``anyio.sleep``."""

    def now(self) -> float:
        """Seconds of the monotonic clock."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Sleep the thread, a long pause in pieces that ``time.sleep`` accepts."""
        while seconds > 0:
            piece = min(seconds, _SLEEP_PIECE)
            time.sleep(piece)
            seconds -= piece

    async def asleep(self, seconds: float) -> None:
        """Sleep the task (a long pause in pieces, as :meth:`sleep`)."""
        while seconds > 0:
            piece = min(seconds, _SLEEP_PIECE)
            await anyio.sleep(piece)
            seconds -= piece


MAX_PAUSE = 86400.0 * 365
"""Longest pause a PollPolicy may ask for, in seconds (a year)."""

# The longest single sleep; longer pauses (a Retry-After of years) are slept in pieces,
# since time.sleep refuses what its platform's time_t cannot hold.
_SLEEP_PIECE = 86400.0


@dataclass(frozen=True)
class PollPolicy:
    """How long to pause between polls.

    Attributes:
        delay: Upper bound of the first pause, in seconds.
        multiplier: Factor from one pause's bound to the next (1 keeps it fixed).
        max_delay: Cap of any pause's bound, in seconds.
        jitter: Source of uniform numbers in [0, 1); each pause is ``bound * (0.5 + jitter() / 2)``.
    """

    delay: float
    multiplier: float = 1.0
    max_delay: float | None = None
    jitter: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("delay", "max_delay"):
            value = getattr(self, name)
            if value is None and name == "max_delay":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"poll {name}: expected a number of seconds, got {type(value).__name__}")
            # A pause no clock can sleep (inf, 1e300, an int past any float) is no pause.
            if not (finite_number(value) and 0 < value <= MAX_PAUSE):
                raise ValueError(
                    f"poll {name} must be a positive number of seconds up to {MAX_PAUSE:.0f} (a year), got {value!r:.40}"
                )
        multiplier = self.multiplier
        if isinstance(multiplier, bool) or not isinstance(multiplier, int | float):
            raise TypeError(f"poll multiplier: expected a number, got {type(multiplier).__name__}")
        if not (multiplier >= 1):  # NaN too
            raise ValueError(f"poll multiplier must be at least 1, got {multiplier!r:.40}")

    def bound(self, pause_number: int) -> float:
        """Upper bound of pause ``pause_number`` (1-based), before jitter."""
        cap = float(max(self.max_delay if self.max_delay is not None else self.delay, self.delay))
        delay = float(self.delay)
        if delay >= cap or pause_number <= 1:
            return min(cap, delay)
        try:
            # Past the cap the growth no longer matters: a wait without end makes thousands
            # of pauses, and 1.5 ** 1800 is past any float (OverflowError).
            grown = delay * float(self.multiplier) ** (pause_number - 1)
        except OverflowError:
            return cap
        return min(cap, grown)

    def pause(self, pause_number: int) -> float:
        """Pause ``pause_number`` with jitter: between half and all of its bound."""
        return self.bound(pause_number) * (0.5 + float(self.jitter()) / 2)


@dataclass(frozen=True)
class Waiter:
    """One waiter of the contract (``x-waiters``), as the generator writes it.

    Attributes:
        name: The waiter's name in the spec.
        field: Attribute of the fetched model that holds the state.
        success, failure, pending: State name -> wire value, as the spec sorts them.
        error_field: Attribute that explains a failure (``error_msg``), if any.
        poll: The contract's default pauses.
        timeout: The contract's default longest wait, in seconds.
        operation: The operationId polled (the name of the wait's trace span).
    """

    name: str
    field: str
    success: Mapping[str, Any]
    failure: Mapping[str, Any]
    pending: Mapping[str, Any]
    error_field: str | None
    poll: PollPolicy
    timeout: float
    operation: str = "wait"

    def state_name(self, value: Any) -> str:
        """The contract's name of a state value, or the value itself as text."""
        for states in (self.success, self.failure, self.pending):
            for name, known in states.items():
                if _same(known, value):
                    return name
        return repr(value)

    def targets(self, until: Iterable[Any] | Any | None) -> list[Any]:
        """The states that end a wait successfully: ``until`` checked against the contract."""
        if until is None:
            return list(self.success.values())
        chosen = [until] if isinstance(until, str | int) or not isinstance(until, Iterable) else list(until)
        if not chosen:
            raise ValueError(f"until: name at least one {self.field} to wait for")
        known = {**self.success, **self.failure, **self.pending}
        values: list[Any] = []
        for item in chosen:
            if isinstance(item, bool):
                raise TypeError(f"until: expected a {self.field} value, got {item!r}")
            if isinstance(item, str) and item in known and not any(_same(item, v) for v in known.values()):
                values.append(known[item])  # a state's name, as the contract spells it
            elif any(_same(item, v) for v in known.values()):
                values.append(next(v for v in known.values() if _same(item, v)))
            else:
                raise ValueError(f"until: {item!r} is not a {self.field} of the contract (known: {', '.join(known)})")
        return values


def _same(a: Any, b: Any) -> bool:
    # IntEnum members equal their values; a str never equals an int (no "2" == 2).
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    if isinstance(a, int) and isinstance(b, int):
        return int(a) == int(b)
    if isinstance(a, str) and isinstance(b, str):
        return str(a) == str(b)
    return False


@dataclass(frozen=True)
class WaitProgress:
    """What a wait knows after one poll, handed to its ``progress`` callback.

    Attributes:
        polls: Polls made so far, this one included.
        elapsed: Seconds since the wait began.
        resource: The resource as last fetched (None while no poll has succeeded).
        state: Its state's name in the contract (``"RUNNING"``), or None.
        error: The transient error this poll ended with, or None when it got an answer.
        next_poll_in: Seconds until the next poll; None when the wait is over.
    """

    polls: int
    elapsed: float
    resource: Any
    state: str | None
    error: errors.ProcessorTasksError | None
    next_poll_in: float | None


_TRANSIENT = (errors.RateLimitError, errors.ServerError, errors.APIConnectionError)


class _Wait:
    """The decisions of one wait, shared by the sync and async loops."""

    def __init__(
        self,
        waiter: Waiter,
        what: str,
        until: Iterable[Any] | Any | None,
        timeout: float | None,
        poll: PollPolicy | float | None,
        progress: Callable[[WaitProgress], None] | None,
        clock: Clock | None,
    ) -> None:
        if timeout is not None:
            if isinstance(timeout, bool) or not isinstance(timeout, int | float):
                raise TypeError(f"timeout: expected a number of seconds or None, got {type(timeout).__name__}")
            # math.inf waits without end, as None does; NaN and an int past any float bound nothing.
            if not (timeout > 0) or (timeout != math.inf and not finite_number(timeout)):
                raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout!r:.40}")
            timeout = float(timeout)
        if isinstance(poll, int | float) and not isinstance(poll, bool):
            poll = PollPolicy(delay=poll)  # a fixed interval (with jitter)
        elif poll is not None and not isinstance(poll, PollPolicy):
            raise TypeError(f"poll: expected seconds or a PollPolicy, got {type(poll).__name__}")
        self.waiter = waiter
        self.what = what
        self.targets = waiter.targets(until)
        self.policy = poll or waiter.poll
        self.progress = progress
        self.clock = clock or SystemClock()
        self.started = self.clock.now()
        self.deadline = None if timeout is None or timeout == math.inf else self.started + timeout
        self.timeout = timeout
        self.span: Any = None  # the wait's trace span, when tracing is on
        self.polls = 0
        self.pauses = 0
        self.last: Any = None
        self.seen = False
        self.warned_unknown = False

    def budget(self) -> float | None:
        """Seconds the next poll may take (what is left of the wait), or None for no bound."""
        if self.deadline is None:
            return None
        left = self.deadline - self.clock.now()
        if left <= 0:
            raise self._timeout("the time ran out")
        return left  # a bound past what a socket can hold is capped where it is applied (_transfer)

    def answered(self, resource: Any) -> bool:
        """Judge a fetched resource: True to return it; raises when the wait fails."""
        self.polls += 1
        self.last, self.seen = resource, True
        value = getattr(resource, self.waiter.field, None)
        state = None if value is None or isinstance(value, Unset) else value
        name = None if state is None else self.waiter.state_name(state)
        if state is not None and any(_same(state, t) for t in self.targets):
            self._report(None, None)
            return True
        waiter = self.waiter
        if state is not None and any(_same(state, v) for v in waiter.failure.values()):
            self._report(None, None)
            message = getattr(resource, waiter.error_field, None) if waiter.error_field else None
            error_msg = message if isinstance(message, str) else None
            raise errors.TaskFailedError(
                f"{self.what} ended in {name}" + (f": {error_msg}" if error_msg else ""),
                task=resource,
                status=state,
                state=name,
                error_msg=error_msg,
                elapsed=self._elapsed(),
                polls=self.polls,
            )
        if state is not None and any(_same(state, v) for v in waiter.success.values()):
            self._report(None, None)
            wanted = ", ".join(self.waiter.state_name(t) for t in self.targets)
            raise errors.WaitError(
                f"{self.what} reached {name}, a final state, and will never be {wanted}",
                task=resource,
                status=state,
                state=name,
                elapsed=self._elapsed(),
                polls=self.polls,
            )
        unknown = state is None or not any(_same(state, v) for v in waiter.pending.values())
        if unknown and not self.warned_unknown:
            self.warned_unknown = True
            _log.warning(
                "%s has %s %r, which the contract does not list; still waiting",
                self.what,
                waiter.field,
                state,
                extra={"wait_state": name, "polls": self.polls},
            )
        return False

    def failed(self, error: errors.ProcessorTasksError) -> None:
        """Judge a poll that raised: return to poll again, or raise what ends the wait."""
        self.polls += 1
        if isinstance(error, errors.TaskNotFoundError):
            if not self.seen:
                raise error
            self._report(error, None)
            raise errors.TaskDeletedError(
                error.status_code,
                last_task=self.last,
                error_code=error.error_code,
                error_msg=error.error_msg,
                request_id=error.request_id,
                content=error.content,
                headers=error.headers,
            ) from error
        if not isinstance(error, _TRANSIENT):
            raise error
        if self.deadline is not None and self.clock.now() >= self.deadline:
            raise self._timeout(f"the last poll failed: {error}") from error
        # Text, not the error: a handler that keeps records (pytest's, a MemoryHandler)
        # would otherwise keep the error's body alive with them.
        text = str(error)
        _log.warning(
            "polling %s failed (%s); still waiting, %s",
            self.what,
            text,
            "no time limit" if self.deadline is None else f"{self.deadline - self.clock.now():.1f} s left",
            extra={"polls": self.polls, "error": text, "elapsed": self._elapsed()},
        )

    def pause(self, error: errors.ProcessorTasksError | None) -> float:
        """Seconds to pause before the next poll; raises WaitTimeoutError when it would end too late."""
        self.pauses += 1
        wait = self.policy.pause(self.pauses)
        asked = getattr(error, "retry_after", None) if error is not None else None
        if asked is None and isinstance(error, errors.APIStatusError):
            asked = errors.parse_retry_after(error.headers.get("retry-after") or error.headers.get("Retry-After"))
        if isinstance(asked, int | float) and asked > wait:
            wait = float(asked)
        if self.deadline is not None and self.clock.now() + wait >= self.deadline:
            self._report(error, None)
            raise self._timeout(f"the next poll, in {wait:.1f} s, would come after it")
        state = self._state_name()
        _log.info(
            "waiting for %s: %s after %.1f s (poll %d); next poll in %.1f s",
            self.what,
            state or "no answer",
            self._elapsed(),
            self.polls,
            wait,
            extra={"wait_state": state, "polls": self.polls, "elapsed": self._elapsed(), "wait": wait},
        )
        self._report(error, wait)
        return wait

    def _state_name(self) -> str | None:
        if not self.seen:
            return None
        value = getattr(self.last, self.waiter.field, None)
        return None if value is None or isinstance(value, Unset) else self.waiter.state_name(value)

    def _elapsed(self) -> float:
        return self.clock.now() - self.started

    def _report(self, error: errors.ProcessorTasksError | None, next_poll_in: float | None) -> None:
        if self.span is not None:
            event: dict[str, str | int | float] = {
                "modelarts.wait.polls": self.polls,
                "modelarts.wait.elapsed": self._elapsed(),
            }
            state = self._state_name()
            if state is not None:
                event["modelarts.wait.state"] = state
            if error is not None:
                event["error.type"] = type(error).__name__
            self.span.add_event("poll", event)
            self.span.set_attribute("modelarts.wait.polls", self.polls)
            if state is not None:
                self.span.set_attribute("modelarts.wait.state", state)
        if self.progress is not None:
            self.progress(WaitProgress(self.polls, self._elapsed(), self.last, self._state_name(), error, next_poll_in))

    def _timeout(self, why: str) -> errors.WaitTimeoutError:
        state = self._state_name()
        last = state or (f"no {self.waiter.field}" if self.seen else "never answered")
        return errors.WaitTimeoutError(
            f"gave up waiting for {self.what} after {self._elapsed():.1f} s of {self.timeout:g} s ({why}); "
            f"last state: {last}",
            task=self.last,
            status=None if not self.seen else getattr(self.last, self.waiter.field, None),
            state=state,
            elapsed=self._elapsed(),
            polls=self.polls,
        )


def _span_attributes(wait: _Wait) -> dict[str, str | int | float | bool]:
    attributes: dict[str, str | int | float | bool] = {
        "modelarts.wait.name": wait.waiter.name,
        "modelarts.wait.for": ",".join(wait.waiter.state_name(t) for t in wait.targets),
    }
    if wait.timeout is not None:
        attributes["modelarts.wait.timeout"] = float(wait.timeout)
    return attributes


def run_wait(
    fetch: Callable[[], T],
    waiter: Waiter,
    *,
    what: str,
    until: Iterable[Any] | Any | None = None,
    timeout: float | None = None,
    poll: PollPolicy | float | None = None,
    progress: Callable[[WaitProgress], None] | None = None,
    clock: Clock | None = None,
) -> T:
    """Call ``fetch`` until the waiter's field reaches a state of ``until``; see the module docstring."""
    wait = _Wait(waiter, what, until, timeout, poll, progress, clock)
    with _tracing.wait(waiter.operation, _span_attributes(wait)) as wait.span:
        while True:
            budget = wait.budget()
            error: errors.ProcessorTasksError | None = None
            try:
                with call_deadline_within(budget):
                    resource = fetch()
            except errors.ProcessorTasksError as exc:
                wait.failed(exc)
                error = exc
            else:
                if wait.answered(resource):
                    return resource
            try:
                pause = wait.pause(error)
            finally:
                # The failed poll's traceback holds this frame: kept in a local, the error
                # (and its body) would live in a cycle until the garbage collector runs.
                error = None
            wait.clock.sleep(pause)


async def arun_wait(
    fetch: Callable[[], Awaitable[T]],
    waiter: Waiter,
    *,
    what: str,
    until: Iterable[Any] | Any | None = None,
    timeout: float | None = None,
    poll: PollPolicy | float | None = None,
    progress: Callable[[WaitProgress], None] | None = None,
    clock: Clock | None = None,
) -> T:
    """Async counterpart of :func:`run_wait`."""
    wait = _Wait(waiter, what, until, timeout, poll, progress, clock)
    with _tracing.wait(waiter.operation, _span_attributes(wait)) as wait.span:
        while True:
            budget = wait.budget()
            error: errors.ProcessorTasksError | None = None
            try:
                with call_deadline_within(budget):
                    resource = await fetch()
            except errors.ProcessorTasksError as exc:
                wait.failed(exc)
                error = exc
            else:
                if wait.answered(resource):
                    return resource
            try:
                pause = wait.pause(error)
            finally:
                error = None  # as in run_wait: no cycle through the failed poll's traceback
            await wait.clock.asleep(pause)
