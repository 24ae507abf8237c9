# Copied from generator/runtime/retry.py by generator/regenerate.py. Do not edit here: edit the source.
"""Retries for idempotent requests.

The endpoint functions send each request through :func:`send_with_retries` (or the async
twin) with the client's :class:`RetryPolicy`; ``retry=None`` on the client switches this
off. A request is retried on a transport failure (refused, reset, dropped mid-body, timed
out) and on 429, 502, 503 and 504, with exponential backoff and full jitter, honouring
``Retry-After``, bounded both in attempts and in total time. Only idempotent methods are
retried.

Retrying here, around ``httpx.Client.request``, rather than in a transport wrapper means
the whole body has been read when an attempt counts as done (a connection that drops
mid-body is retried too), and httpx keeps its own transport set-up, proxies from the
environment included.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio
import httpx

from .errors import parse_retry_after

__all__ = ["RetryPolicy", "asend_with_retries", "send_with_retries"]

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
            after the first attempt began (the attempt itself is bounded by the timeout).
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


class _Attempts:
    """The retry decision, shared by the sync and async paths."""

    def __init__(self, policy: RetryPolicy, clock: Callable[[], float]) -> None:
        self._policy = policy
        self._clock = clock
        self._started = clock()
        self.retries = 0

    def wait_after(self, response: httpx.Response | None) -> float | None:
        """Seconds to wait before the next try, or None to stop.

        ``response`` is None when the attempt raised a transient transport error.
        """
        policy = self._policy
        if self.retries + 1 >= policy.max_attempts:
            return None
        if response is not None and response.status_code not in policy.statuses:
            return None
        wait = policy.backoff(self.retries + 1)
        if response is not None:
            asked = parse_retry_after(response.headers.get("retry-after"))
            if asked is not None:
                if asked > policy.max_retry_after:
                    return None
                wait = asked
        if self._clock() - self._started + wait > policy.max_elapsed:
            return None
        self.retries += 1
        return wait


def send_with_retries(
    attempt: Callable[[], httpx.Response],
    method: str,
    policy: RetryPolicy | None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> httpx.Response:
    """Call ``attempt`` (one whole request, body read) until it succeeds or the policy says stop.

    The last answer is returned, or the last transport error raised.
    """
    if policy is None or method.upper() not in policy.methods:
        return attempt()
    attempts = _Attempts(policy, clock)
    while True:
        try:
            response = attempt()
        except _NOT_TRANSIENT:
            raise
        except httpx.TransportError:
            wait = attempts.wait_after(None)
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
) -> httpx.Response:
    """Async counterpart of :func:`send_with_retries`."""
    if policy is None or method.upper() not in policy.methods:
        return await attempt()
    attempts = _Attempts(policy, clock)
    while True:
        try:
            response = await attempt()
        except _NOT_TRANSIENT:
            raise
        except httpx.TransportError:
            wait = attempts.wait_after(None)
            if wait is None:
                raise
        else:
            wait = attempts.wait_after(response)
            if wait is None:
                return response
        await anyio.sleep(wait)
