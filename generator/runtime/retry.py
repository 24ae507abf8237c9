"""Retries for idempotent requests.

The endpoint functions send each request through :func:`send_with_retries` (or the async
twin) with the client's :class:`RetryPolicy`; ``retry=None`` on the client switches this
off. A request is retried on a transport failure (refused, reset, dropped mid-body, timed
out) and on 429, 502, 503 and 504, with exponential backoff and full jitter, honouring
``Retry-After``, bounded both in attempts and in total time. Only idempotent methods are
retried.

Retrying here, around one whole exchange (see ``_transfer.py``), rather than in a
transport wrapper means the whole body has been read when an attempt counts as done (a
connection that drops mid-body is retried too), and httpx keeps its own transport set-up,
proxies from the environment included.

Every retry is logged at INFO, and every give-up (a retryable failure that is not
retried any more) at WARNING, through ``logging.getLogger("processor_tasks_client")``:
the attempt, the reason, the status or error, the wait and the ``X-Request-Id``, also as
the record attributes ``attempt``, ``max_attempts``, ``reason``, ``status_code``,
``error``, ``wait`` and ``request_id`` (and ``give_up``, why, on a give-up). Records
name the method and the URL path only: credentials travel in headers, never logged.

A concurrent page walk (``pagination.py``) runs each page's call with a :class:`Pacer` in
:data:`PACER`: it sees every answer an attempt gets and may lengthen a wait, so that a 429
or 503 slows the whole walk down, not only the request that got it.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

import anyio
import httpx

from .errors import parse_retry_after

__all__ = ["PACER", "Pacer", "RetryPolicy", "asend_with_retries", "send_with_retries"]

_log = logging.getLogger("processor_tasks_client")

# Transport errors that no retry can cure: the request itself is wrong.
_NOT_TRANSIENT = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before trying a request again.

    Attributes:
        max_attempts: Attempts in all, the first included; 1 means no retry.
        backoff_base: Upper bound of the first wait, in seconds; it doubles per retry.
        backoff_max: Cap of any single backoff wait, in seconds.
        max_elapsed: No retry starts if its wait would end more than this many seconds
            after the first attempt began (the client's ``attempt_timeout`` bounds the
            attempt itself, its ``call_timeout`` the whole call).
        max_retry_after: A longer ``Retry-After`` than this is not waited for; the answer
            is returned to the caller instead.
        statuses: Statuses that are retried.
        methods: Methods that are retried (idempotent ones only).
        jitter: Source of uniform numbers in [0, 1); replace it to make waits predictable.
    """

    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    max_elapsed: float = 60.0
    max_retry_after: float = 60.0
    statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    methods: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS"})
    jitter: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def backoff(self, retry_number: int) -> float:
        """Full-jitter wait before retry ``retry_number`` (1-based)."""
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** (retry_number - 1))
        return ceiling * float(self.jitter())


class Pacer(Protocol):
    """What a page walk that runs pages side by side learns from, and imposes on, each attempt."""

    def observe(self, response: httpx.Response) -> None:
        """Called with every answer an attempt gets, before deciding whether to retry."""

    def hold(self) -> float:
        """Seconds every request of the walk must still wait (a Retry-After seen by any of them)."""
        ...

    def sleep(self, seconds: float) -> None:
        """A sync wait between attempts that ends early, raising, when the walk has stopped."""


# Set by pagination.py around one page's call; a context variable, so that it follows the
# call into its own task or thread and nothing else sees it.
PACER: ContextVar[Pacer | None] = ContextVar("processor_tasks_client_pacer", default=None)


class _Attempts:
    """The retry decision, shared by the sync and async paths; it also logs each retry and give-up."""

    def __init__(self, policy: RetryPolicy, clock: Callable[[], float], deadline: float | None, what: str) -> None:
        self._policy = policy
        self._clock = clock
        self._started = clock()
        self._deadline = deadline
        self._what = what
        self.retries = 0

    def wait_after(self, response: httpx.Response | None, error: Exception | None = None) -> float | None:
        """Seconds to wait before the next try, or None to stop.

        ``response`` is None when the attempt raised ``error``, a transient transport error.
        """
        policy = self._policy
        pacer = PACER.get()
        if pacer is not None and response is not None:
            pacer.observe(response)
        if response is not None and response.status_code not in policy.statuses:
            return None  # an answer to keep, not a failure
        outcome = _Outcome(response, error)
        if self.retries + 1 >= policy.max_attempts:
            self._give_up(outcome, f"all {policy.max_attempts} attempts used")
            return None
        wait = policy.backoff(self.retries + 1)
        if response is not None:
            asked = parse_retry_after(response.headers.get("retry-after"))
            if asked is not None:
                if asked > policy.max_retry_after:
                    self._give_up(outcome, f"Retry-After {asked:g} s exceeds max_retry_after")
                    return None
                wait = asked
        if pacer is not None:
            wait = max(wait, pacer.hold())
        now = self._clock()
        if now - self._started + wait > policy.max_elapsed:
            self._give_up(outcome, f"waiting {wait:.2f} s would pass max_elapsed")
            return None
        if self._deadline is not None and now + wait >= self._deadline:
            self._give_up(outcome, f"waiting {wait:.2f} s would pass call_timeout")
            return None
        self.retries += 1
        _log.info(
            "retrying %s in %.2f s: attempt %d of %d failed with %s (request id %s)",
            self._what,
            wait,
            self.retries,
            policy.max_attempts,
            outcome.text,
            outcome.request_id,
            extra=outcome.fields(self.retries, policy.max_attempts, wait),
        )
        return wait

    def _give_up(self, outcome: _Outcome, why: str) -> None:
        attempts = self.retries + 1
        _log.warning(
            "giving up on %s after %d attempt(s), %s; last failure: %s (request id %s)",
            self._what,
            attempts,
            why,
            outcome.text,
            outcome.request_id,
            extra={**outcome.fields(attempts, self._policy.max_attempts, None), "give_up": why},
        )


class _Outcome:
    """What a failed attempt ended with, in the words and fields the log records use."""

    def __init__(self, response: httpx.Response | None, error: Exception | None) -> None:
        self.status_code = None if response is None else response.status_code
        self.request_id = None if response is None else response.headers.get("x-request-id")
        if response is not None:
            self.reason = "status"
            self.error = None
            self.text = f"HTTP {response.status_code}"
        else:
            self.reason = "timeout" if isinstance(error, httpx.TimeoutException) else "transport error"
            # httpx's messages name the failure (refused, reset, timed out), never a header.
            self.error = f"{type(error).__name__}: {error}"
            self.text = f"{self.reason} ({self.error})"

    def fields(self, attempt: int, max_attempts: int, wait: float | None) -> dict[str, object]:
        return {
            "attempt": attempt,
            "max_attempts": max_attempts,
            "reason": self.reason,
            "status_code": self.status_code,
            "error": self.error,
            "wait": wait,
            "request_id": self.request_id,
        }


def send_with_retries(
    attempt: Callable[[], httpx.Response],
    method: str,
    policy: RetryPolicy | None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    deadline: float | None = None,
    what: str = "the request",
) -> httpx.Response:
    """Call ``attempt`` (one whole request, body read) until it succeeds or the policy says stop.

    The last answer is returned, or the last transport error raised. ``deadline`` (in
    ``clock``'s time) is the call's end: no wait starts that would reach it. ``what``
    names the request in log records.
    """
    if policy is None or method.upper() not in policy.methods:
        return attempt()
    attempts = _Attempts(policy, clock, deadline, what)
    pacer = PACER.get()
    if pacer is not None and sleep is time.sleep:
        sleep = pacer.sleep
    while True:
        try:
            response = attempt()
        except _NOT_TRANSIENT:
            raise
        except httpx.TransportError as exc:
            wait = attempts.wait_after(None, exc)
            if wait is None:
                raise
        else:
            wait = attempts.wait_after(response)
            if wait is None:
                return response
        sleep(wait)


async def asend_with_retries(
    attempt: Callable[[], Awaitable[httpx.Response]],
    method: str,
    policy: RetryPolicy | None,
    *,
    clock: Callable[[], float] = time.monotonic,
    deadline: float | None = None,
    what: str = "the request",
) -> httpx.Response:
    """Async counterpart of :func:`send_with_retries`."""
    if policy is None or method.upper() not in policy.methods:
        return await attempt()
    attempts = _Attempts(policy, clock, deadline, what)
    while True:
        try:
            response = await attempt()
        except _NOT_TRANSIENT:
            raise
        except httpx.TransportError as exc:
            wait = attempts.wait_after(None, exc)
            if wait is None:
                raise
        else:
            wait = attempts.wait_after(response)
            if wait is None:
                return response
        await anyio.sleep(wait)
