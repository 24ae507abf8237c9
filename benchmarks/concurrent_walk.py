"""(k) (k') (l) (m) (n): concurrent page walks against a mock that adds 20 ms to every answer.

Targets (issue 22), all measured in one run against one mock process holding 10,000 tasks
(a ``MOCK_FIXTURE``, all in the default workspace) with ``MOCK_FAULT_LATENCY_MS=20`` on
every request, walking ``aiter_items(limit=100)`` (100 pages):

- (k) concurrency 8 vs the sequential walk (concurrency 1): at most 0.2x the time, i.e.
  at least 5x faster; (k') concurrency 4 vs sequential, reported only.
- (l) concurrency 8 vs the ideal: a raw ``httpx.AsyncClient`` fetching the very page URLs
  the client asks for (captured from the client) all at once with ``asyncio.gather``, each
  decoded with ``json.loads``: at most 1.25x.
- (m) with 10% of answers 429 (``Retry-After: 1``) on top, the walk at concurrency 8
  finishes and yields every task exactly once (the probe); its time is reported.
- (n) tracemalloc's peak in this process during the walk at concurrency 8 vs the
  sequential walk: at most 10 MB more.

Every walk proves it saw every task exactly once. The async walk is measured because it is
the first-class one; the sync walk runs the same scheduler on threads.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import httpx
from processor_tasks_client import DEFAULT_TIMEOUT, AuthenticatedClient
from processor_tasks_client.api.processor_tasks import list_processor_tasks
from processor_tasks_mock.process import running_mock_server

from benchmarks._support import PROJECT, TOKEN, BenchResult, Comparison, compare, ratio_result
from benchmarks.pagination_memory import write_fixture
from benchmarks.walk import client_urls

SPEEDUP_TARGET = 0.2  # concurrency 8 takes at most a fifth of the sequential walk's time
IDEAL_TARGET = 1.25
MEMORY_TARGET_MB = 10.0
LIMIT = 100
TASKS, SMOKE_TASKS = 10_000, 300
LATENCY_MS, SMOKE_LATENCY_MS = 20, 2
MB = 1024 * 1024


def _env(fixture: Path, latency_ms: int, **extra: str) -> dict[str, str]:
    return {
        "MOCK_FIXTURE": str(fixture),
        "MOCK_FAULT_LATENCY_MS": str(latency_ms),
        "MOCK_FAULT_LATENCY_RATE": "1",
        **extra,
    }


async def _walk(client: AuthenticatedClient, concurrency: int) -> int:
    ids: set[str] = set()
    seen = 0
    async for task in list_processor_tasks.aiter_items(PROJECT, client=client, limit=LIMIT, concurrency=concurrency):
        ids.add(task.task_id)
        seen += 1
    if seen != len(ids):
        raise RuntimeError("a task came twice")
    return len(ids)


async def _gather(raw: httpx.AsyncClient, urls: list[str], at_once: int | None = None) -> int:
    gate = asyncio.Semaphore(at_once or len(urls))

    async def one(url: str) -> list[Any]:
        async with gate:
            return list(json.loads((await raw.get(url)).content)["tasks"])

    pages = await asyncio.gather(*(one(url) for url in urls))
    return len({task["task_id"] for page in pages for task in page})


def _peak_mb(function: Any) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()


@functools.cache
def _measure(smoke: bool) -> dict[str, Any]:
    """Everything (k) to (n) report, measured once per run."""
    total = SMOKE_TASKS if smoke else TASKS
    latency = SMOKE_LATENCY_MS if smoke else LATENCY_MS
    urls = client_urls(total)
    out: dict[str, Any] = {"pages": len(urls), "tasks": total, "latency_ms": latency}
    with tempfile.TemporaryDirectory(prefix="bench-concurrent-") as tmp:
        fixture = Path(tmp) / "tasks.json"
        write_fixture(fixture, total)
        with running_mock_server(_env(fixture, latency)) as base_url:
            loop = asyncio.new_event_loop()
            client = AuthenticatedClient(base_url=base_url, token=TOKEN)
            raw = httpx.AsyncClient(
                base_url=base_url,
                headers={"X-Auth-Token": TOKEN},
                timeout=DEFAULT_TIMEOUT,
                limits=httpx.Limits(max_connections=len(urls)),
            )
            try:

                def walk(concurrency: int) -> Any:
                    return lambda: loop.run_until_complete(_walk(client, concurrency))

                def ideal() -> int:
                    return loop.run_until_complete(_gather(raw, urls))

                def ideal_8() -> int:
                    return loop.run_until_complete(_gather(raw, urls, 8))

                for check in (walk(1), walk(4), walk(8), ideal):
                    if check() != total:
                        raise RuntimeError("a walk missed tasks or saw one twice")
                repeats, number, warmup = (1, 1, 0) if smoke else (5, 1, 1)
                out["c8_vs_seq"] = compare(walk(8), walk(1), repeats=repeats, number=number, warmup=warmup)
                out["c4_vs_seq"] = compare(walk(4), walk(1), repeats=repeats, number=number, warmup=warmup)
                out["c8_vs_ideal"] = compare(walk(8), ideal, repeats=repeats, number=number, warmup=warmup)
                out["c8_vs_ideal_8"] = compare(walk(8), ideal_8, repeats=repeats, number=number, warmup=warmup)
                out["peak_seq_mb"] = _peak_mb(walk(1))
                out["peak_c8_mb"] = _peak_mb(walk(8))
            finally:
                loop.run_until_complete(client.__aexit__(None, None, None))
                loop.run_until_complete(raw.aclose())
                loop.close()
        throttled = _env(fixture, latency, MOCK_FAULT_429_RATE="0.1", MOCK_FAULT_RETRY_AFTER="0" if smoke else "1")
        with running_mock_server(throttled) as base_url:
            started = time.perf_counter()
            client = AuthenticatedClient(base_url=base_url, token=TOKEN)

            async def throttled_walk() -> int:
                async with client:
                    return await _walk(client, 8)

            out["throttled_complete_and_unique"] = asyncio.run(throttled_walk()) == total
            out["throttled_s"] = time.perf_counter() - started
    return out


def _title(what: str, smoke: bool) -> str:
    total = SMOKE_TASKS if smoke else TASKS
    latency = SMOKE_LATENCY_MS if smoke else LATENCY_MS
    return f"{what}, {total:,} tasks, +{latency} ms per answer"


def run_speedup(smoke: bool = False) -> BenchResult:
    """(k) concurrency 8 vs the sequential walk."""
    m = _measure(smoke)
    timing: Comparison = m["c8_vs_seq"]
    return ratio_result(
        key="k",
        title=_title("concurrent walk (concurrency=8) vs sequential", smoke),
        subject="aiter_items(limit=100, concurrency=8)",
        baseline="aiter_items(limit=100), one page at a time",
        timing=timing,
        limit=SPEEDUP_TARGET,
        details={"pages": m["pages"], "speedup": round(1 / timing.ratio, 2), "walk_complete_and_unique": True},
    )


def run_speedup_4(smoke: bool = False) -> BenchResult:
    """(k') concurrency 4 vs the sequential walk, reported only."""
    m = _measure(smoke)
    timing: Comparison = m["c4_vs_seq"]
    return BenchResult(
        key="k'",
        title=_title("concurrent walk (concurrency=4) vs sequential", smoke),
        subject="aiter_items(limit=100, concurrency=4)",
        baseline="aiter_items(limit=100), one page at a time",
        subject_value=timing.subject_ns / 1e3,
        baseline_value=timing.baseline_ns / 1e3,
        unit="us",
        ratio=timing.ratio,
        target="-",
        met=None,
        verdict=f"INFO ({1 / timing.ratio:.1f}x faster)",
        details={"pages": m["pages"], "walk_complete_and_unique": True, **timing.spread()},
    )


def run_ideal(smoke: bool = False) -> BenchResult:
    """(l) concurrency 8 vs a raw asyncio.gather of every page at once."""
    m = _measure(smoke)
    return ratio_result(
        key="l",
        title=_title("concurrent walk (concurrency=8) vs raw gather", smoke),
        subject="aiter_items(limit=100, concurrency=8)",
        baseline="httpx.AsyncClient.get of every page URL at once (asyncio.gather) + json.loads",
        timing=m["c8_vs_ideal"],
        limit=IDEAL_TARGET,
        details={
            "pages": m["pages"],
            "walk_complete_and_unique": True,
            # The same gather held to 8 requests at a time, as the walk is: the fairer ideal
            # when the server answers one request at a time.
            "vs_gather_8_at_a_time_ratio": round(m["c8_vs_ideal_8"].ratio, 3),
            "gather_8_at_a_time_us": round(m["c8_vs_ideal_8"].baseline_ns / 1e3, 1),
        },
    )


def run_throttled(smoke: bool = False) -> BenchResult:
    """(m) 10% of answers 429: the walk finishes with every task once."""
    m = _measure(smoke)
    complete = bool(m["throttled_complete_and_unique"])
    return BenchResult(
        key="m",
        title=_title("concurrent walk with 10% answers 429 (Retry-After 1 s)", smoke),
        subject="aiter_items(limit=100, concurrency=8), 10% 429",
        baseline="the same walk without 429s (k)",
        subject_value=m["throttled_s"],
        baseline_value=m["c8_vs_seq"].subject_ns / 1e9,
        unit="s",
        ratio=m["throttled_s"] / (m["c8_vs_seq"].subject_ns / 1e9),
        target="every task once",
        met=complete,
        verdict=("PASS" if complete else "MISS") + f" (finished in {m['throttled_s']:.1f} s)",
        details={"walk_complete_and_unique": complete},
    )


def run_memory(smoke: bool = False) -> BenchResult:
    """(n) peak memory of the walk at concurrency 8 vs the sequential walk."""
    m = _measure(smoke)
    extra = m["peak_c8_mb"] - m["peak_seq_mb"]
    met = extra <= MEMORY_TARGET_MB
    return BenchResult(
        key="n",
        title=_title("concurrent walk (concurrency=8) vs sequential, peak memory", smoke),
        subject="tracemalloc peak, aiter_items(concurrency=8)",
        baseline="tracemalloc peak, aiter_items(concurrency=1)",
        subject_value=m["peak_c8_mb"],
        baseline_value=m["peak_seq_mb"],
        unit="MB",
        ratio=m["peak_c8_mb"] / m["peak_seq_mb"],
        target=f"<= +{MEMORY_TARGET_MB:g} MB",
        met=met,
        verdict=("PASS" if met else "MISS") + f" ({extra:+.2f} MB)",
        details={"extra_mb": round(extra, 2), "walk_complete_and_unique": True},
    )
