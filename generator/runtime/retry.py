"""Retries for idempotent requests, as httpx transports.

The client wraps its transport in :class:`RetryTransport` (or the async twin) unless it is
built with ``retry=None``. A request is retried on a connection error or timeout and on
429, 502, 503 and 504, with exponential backoff and full jitter, honouring ``Retry-After``,
and bounded both in attempts and in total time. Only idempotent methods are retried.
Signing happens before the transport, so a retried request is resent byte for byte.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import anyio
import httpx

__all__ = ["AsyncRetryTransport", "RetryPolicy", "RetryTransport"]


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before trying a request again.

    Attributes:
        max_attempts: Attempts in all, the first included; 1 means no retry.
        backoff_base: Upper bound of the first wait, in seconds; it doubles per retry.
        backoff_max: Cap of any single backoff wait, in seconds.
        max_elapsed: No retry starts once this many seconds have passed since the first try.
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


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date), if usable."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class _Attempts:
    """The retry decision, shared by the sync and async transports."""

    def __init__(self, policy: RetryPolicy, clock: Callable[[], float]) -> None:
        self._policy = policy
        self._clock = clock
        self._started = clock()
        self.retries = 0

    def wait_after(self, response: httpx.Response | None) -> float | None:
        """Seconds to wait before the next try, or None to stop.

        ``response`` is None when the attempt raised a transport error.
        """
        policy = self._policy
        if self.retries + 1 >= policy.max_attempts:
            return None
        if response is not None and response.status_code not in policy.statuses:
            return None
        wait = policy.backoff(self.retries + 1)
        if response is not None:
            asked = _retry_after(response)
            if asked is not None:
                if asked > policy.max_retry_after:
                    return None
                wait = asked
        if self._clock() - self._started + wait > policy.max_elapsed:
            return None
        self.retries += 1
        return wait


class RetryTransport(httpx.BaseTransport):
    """Wraps a transport and retries what :class:`RetryPolicy` allows."""

    def __init__(
        self,
        transport: httpx.BaseTransport,
        policy: RetryPolicy | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._transport = transport
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method not in self._policy.methods:
            return self._transport.handle_request(request)
        attempts = _Attempts(self._policy, self._clock)
        while True:
            try:
                response = self._transport.handle_request(request)
            except httpx.TransportError:
                wait = attempts.wait_after(None)
                if wait is None:
                    raise
            else:
                wait = attempts.wait_after(response)
                if wait is None:
                    return response
                response.close()
            self._sleep(wait)

    def close(self) -> None:
        self._transport.close()


class AsyncRetryTransport(httpx.AsyncBaseTransport):
    """Async counterpart of :class:`RetryTransport`."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport,
        policy: RetryPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._transport = transport
        self._policy = policy or RetryPolicy()
        self._clock = clock

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method not in self._policy.methods:
            return await self._transport.handle_async_request(request)
        attempts = _Attempts(self._policy, self._clock)
        while True:
            try:
                response = await self._transport.handle_async_request(request)
            except httpx.TransportError:
                wait = attempts.wait_after(None)
                if wait is None:
                    raise
            else:
                wait = attempts.wait_after(response)
                if wait is None:
                    return response
                await response.aclose()
            await anyio.sleep(wait)

    async def aclose(self) -> None:
        await self._transport.aclose()
