"""Fault injection: added latency, 429 with Retry-After, 503 and dropped connections.

Which request gets which fault is decided by :class:`FaultInjector` from
:class:`processor_tasks_mock.settings.FaultSettings` (see the settings module for the environment
variables). Decisions depend only on the request's sequence number and a seeded RNG, so a
sequential client sees the same faults on every run.

A dropped connection closes the TCP connection without any HTTP answer when the server is
uvicorn. In-process (Starlette's TestClient, httpx.ASGITransport) there is no connection to
close, so :class:`DroppedConnection` is raised out of the ASGI application instead, and the
in-process transport passes it to the caller.
"""

from __future__ import annotations

import enum
import random
import threading
from dataclasses import dataclass

from processor_tasks_mock.settings import FaultSettings


class Fault(enum.Enum):
    """An answer that replaces the normal one."""

    DROP = "drop"
    UNAVAILABLE = "503"
    THROTTLE = "429"


class DroppedConnection(ConnectionResetError):
    """Raised in-process where the mock would close the connection without answering."""


@dataclass(frozen=True)
class FaultDecision:
    """What happens to one request: an optional replacing fault and a delay."""

    fault: Fault | None
    delay_seconds: float


class FaultInjector:
    """Decides, request by request, which fault to inject."""

    def __init__(self, settings: FaultSettings) -> None:
        self.settings = settings
        self._rng = random.Random(settings.seed)
        self._count = 0
        # uvicorn runs one event loop, but TestClient may call from several threads.
        self._lock = threading.Lock()

    def decide(self) -> FaultDecision:
        """Count one request and decide its faults."""
        s = self.settings
        with self._lock:
            self._count += 1
            n = self._count
            # One draw per configured rate, always in the same order and whatever the
            # first-N counters say, so that request n meets the same draws on every run.
            draws = [
                self._rng.random() if rate > 0 else 1.0
                for rate in (s.drop_rate, s.unavailable_rate, s.throttle_rate, s.latency_rate)
            ]
        drop = n <= s.drop_first_n or draws[0] < s.drop_rate
        unavailable = n <= s.unavailable_first_n or draws[1] < s.unavailable_rate
        throttle = n <= s.throttle_first_n or draws[2] < s.throttle_rate
        slow = n <= s.latency_first_n or draws[3] < s.latency_rate
        fault = Fault.DROP if drop else Fault.UNAVAILABLE if unavailable else Fault.THROTTLE if throttle else None
        return FaultDecision(fault=fault, delay_seconds=s.latency_ms / 1000 if slow else 0.0)
