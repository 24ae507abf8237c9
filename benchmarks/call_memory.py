"""(g) and (h): memory held across calls whose answers are just under the size cap.

Target (issue 19 §2): one call holds about two caps (the body while it is read, and one
copy while it is decoded), and nothing of it outlives the call. So

- (g) 20 calls one after another, through one client, peak no higher than one call alone
  (<= 1.25x), sync (g) and async (g');
- (h) 8 calls at a time, three rounds, peak no higher than 8 times one call alone (<= 1.25x),
  sync on 8 threads (h) and async with ``asyncio.gather`` (h').

The baseline is one call's peak, measured in the same run on the same warmed-up client.
Peaks are tracemalloc's in this process, with the garbage collector on, as callers run;
the answer is prebuilt bytes that the local server sends without copying them, so the
server's memory hardly counts. Before the fix (httpx's Response and its stream refer to
each other, so a body lived until the collector ran) 20 sequential calls peaked at about 9
caps.
"""

from __future__ import annotations

import asyncio
import gc
import json
import threading
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from processor_tasks_client import AuthenticatedClient
from processor_tasks_client._transfer import DEFAULT_MAX_RESPONSE_BYTES
from processor_tasks_client.api.processor_tasks import describe_processor_task

from benchmarks._support import BenchResult, Detail, ratio_verdict

LIMIT = 1.25
MB = 1024 * 1024
SMOKE_CAP = 256 * 1024


@dataclass(frozen=True)
class Sizes:
    calls: int  # in a row
    width: int  # at a time
    rounds: int  # of width calls at a time


SIZES = Sizes(calls=20, width=8, rounds=3)
SMOKE_SIZES = Sizes(calls=3, width=2, rounds=1)


def near_cap_answer(cap: int) -> bytes:
    """A whole HTTP answer: a task whose description makes the body 100 bytes short of ``cap``."""
    body = json.dumps({"task_id": "t", "description": "d" * (cap - 100)}).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


@contextmanager
def serving(answer: bytes) -> Iterator[str]:
    """A keep-alive server on 127.0.0.1 that answers every request with ``answer``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def peak_of(run: Callable[[], object]) -> int:
    """tracemalloc's peak while ``run`` runs, in bytes."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def sync_peaks(base_url: str, cap: int, sizes: Sizes) -> tuple[int, int, int]:
    """(one call, calls in a row, rounds of calls on threads at once) peaks, sync client."""
    with AuthenticatedClient(base_url=base_url, token="t", retry=None, max_response_bytes=cap) as client:

        def one() -> None:
            describe_processor_task.sync("p", "t", client=client)

        def in_a_row() -> None:
            for _ in range(sizes.calls):
                one()

        def at_once() -> None:
            for _ in range(sizes.rounds):
                threads = [threading.Thread(target=one) for _ in range(sizes.width)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()

        at_once()  # warm up: imports, and a connection per thread in the pool
        return peak_of(one), peak_of(in_a_row), peak_of(at_once)


def async_peaks(base_url: str, cap: int, sizes: Sizes) -> tuple[int, int, int]:
    """Async counterpart of :func:`sync_peaks` (``asyncio.gather`` instead of threads)."""

    async def run() -> tuple[int, int, int]:
        async with AuthenticatedClient(base_url=base_url, token="t", retry=None, max_response_bytes=cap) as client:

            async def one() -> None:
                await describe_processor_task.asyncio("p", "t", client=client)

            async def in_a_row() -> None:
                for _ in range(sizes.calls):
                    await one()

            async def at_once() -> None:
                for _ in range(sizes.rounds):
                    await asyncio.gather(*(one() for _ in range(sizes.width)))

            async def peak(coroutine: Callable[[], Awaitable[None]]) -> int:
                gc.collect()
                tracemalloc.start()
                try:
                    tracemalloc.reset_peak()
                    await coroutine()
                    return tracemalloc.get_traced_memory()[1]
                finally:
                    tracemalloc.stop()

            await at_once()
            return await peak(one), await peak(in_a_row), await peak(at_once)

    return asyncio.run(run())


def _measure(key: str, smoke: bool) -> BenchResult:
    cap = SMOKE_CAP if smoke else DEFAULT_MAX_RESPONSE_BYTES
    sizes = SMOKE_SIZES if smoke else SIZES
    mode = "async" if key.endswith("'") else "sync"
    with serving(near_cap_answer(cap)) as base_url:
        single, in_a_row, at_once = (async_peaks if mode == "async" else sync_peaks)(base_url, cap, sizes)
    common: dict[str, Detail] = {"cap_mb": round(cap / MB, 3), "caps_one_call": round(single / cap, 2)}
    if key.startswith("g"):
        held, alone = in_a_row, single
        title = f"{sizes.calls} near-cap calls in a row ({mode}), peak memory"
        subject, baseline = f"{sizes.calls} describe calls, one client", "one describe call, same client"
        details = {**common, "caps_held": round(held / cap, 2), "calls": sizes.calls}
    else:
        held, alone = at_once, sizes.width * single
        how = "asyncio.gather" if mode == "async" else "threads"
        title = f"{sizes.width} near-cap calls at a time x {sizes.rounds} ({mode}), peak memory"
        subject = f"{sizes.rounds} rounds of {sizes.width} describe calls at once ({how})"
        baseline = f"{sizes.width} x one describe call"
        details = {
            **common,
            "caps_held": round(held / cap, 2),
            "caps_per_call": round(held / cap / sizes.width, 2),
            "width": sizes.width,
            "rounds": sizes.rounds,
        }
    ratio = held / alone
    met, verdict = ratio_verdict(ratio, LIMIT)
    return BenchResult(
        key=key,
        title=title,
        subject=subject,
        baseline=baseline,
        subject_value=held / MB,
        baseline_value=alone / MB,
        unit="MB",
        ratio=ratio,
        target=f"<= {LIMIT:g}x",
        met=met,
        verdict=verdict,
        details=details,
    )


def run_sequential(smoke: bool = False) -> BenchResult:
    """(g): sync calls one after another."""
    return _measure("g", smoke)


def run_sequential_async(smoke: bool = False) -> BenchResult:
    """(g'): async calls one after another."""
    return _measure("g'", smoke)


def run_concurrent(smoke: bool = False) -> BenchResult:
    """(h): sync calls on threads at once."""
    return _measure("h", smoke)


def run_concurrent_async(smoke: bool = False) -> BenchResult:
    """(h'): async calls at once."""
    return _measure("h'", smoke)
