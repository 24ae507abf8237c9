"""(c) Peak memory of walking 100,000 tasks with ``iter_items`` (limit=100) vs a 1,000-task walk.

Target (issue 4): the 100,000-task walk peaks no more than 10 MB above the 1,000-task walk,
i.e. auto-pagination keeps one page alive, not the walk. Peak memory is tracemalloc's peak
in this (the client's) process, traced only while the walk runs; the mock runs in its own
process, so its memory is not counted.

How the mock holds 100,000 tasks: a ``MOCK_FIXTURE`` file of 1,000 seeded tasks repeated
with distinct ``task_id`` suffixes, all in the default workspace "0" so that a walk with
default filters sees every one (``MOCK_TASK_COUNT`` spreads tasks over several workspaces,
so a default walk would see only about half of them). The 1,000-task baseline uses the same
1,000 tasks. The mock loads the fixture in a few seconds and sorts the matches once per
query, not per page, so most of the run time is the client's walk under tracemalloc.

The walk checks itself in constant memory: the default order is ``create_time`` then
``task_id``, both descending, so strictly decreasing keys prove no task came twice, and the
count proves none was missed.
"""

from __future__ import annotations

import gc
import json
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from processor_tasks_client import AuthenticatedClient
from processor_tasks_client.api.processor_tasks import list_processor_tasks
from processor_tasks_mock.process import running_mock_server

from benchmarks._support import PROJECT, TOKEN, BenchResult, realistic_tasks

TARGET_MB = 10.0
LIMIT = 100
BIG, SMALL = 100_000, 1_000
SMOKE_BIG, SMOKE_SMALL = 250, 100
MB = 1024 * 1024
# Loading 100,000 fixture records takes the mock about six seconds; the margin is for slow
# or busy machines.
START_TIMEOUT_S = 120.0


def write_fixture(path: Path, total: int) -> None:
    """A fixture of ``total`` tasks: the first 1,000 seeded tasks, repeated with new ids.

    Written one task at a time so that the benchmark process never holds 100,000 tasks
    (it would not distort the traced walk, but it would cost hundreds of MB for nothing).
    """
    base = realistic_tasks(min(total, SMALL), workspace="0")
    with path.open("w", encoding="utf-8") as out:
        out.write('{"project": ' + json.dumps(PROJECT) + ', "tasks": [')
        for index in range(total):
            task = dict(base[index % len(base)])
            task["task_id"] = f"{task['task_id']}-{index // len(base):03d}"
            out.write(("," if index else "") + json.dumps(task, ensure_ascii=False))
        out.write("]}")


def walk(base_url: str, expected: int) -> tuple[int, float, bool]:
    """(peak traced bytes, seconds, ordered and complete) of one ``iter_items`` walk."""
    with AuthenticatedClient(base_url=base_url, token=TOKEN) as client:
        # Connect and import lazily loaded modules before tracing, so both walks start equal.
        list_processor_tasks.sync(PROJECT, client=client, limit=1)
        gc.collect()
        tracemalloc.start()
        started = time.perf_counter()
        seen = 0
        ordered = True
        previous: tuple[object, str] | None = None
        for task in list_processor_tasks.iter_items(PROJECT, client=client, limit=LIMIT):
            key = (task.create_time, task.task_id)
            if previous is not None and not key < previous:
                ordered = False
            previous = key
            seen += 1
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak, elapsed, ordered and seen == expected


def run(smoke: bool = False, big: int | None = None) -> BenchResult:
    """Peak memory of the big walk against the median of three small walks."""
    big = big or (SMOKE_BIG if smoke else BIG)
    small = SMOKE_SMALL if smoke else SMALL
    small_runs = 1 if smoke else 3
    with tempfile.TemporaryDirectory(prefix="bench-walk-") as tmp:
        small_fixture, big_fixture = Path(tmp) / "small.json", Path(tmp) / "big.json"
        write_fixture(small_fixture, small)
        write_fixture(big_fixture, big)
        with running_mock_server({"MOCK_FIXTURE": str(small_fixture)}) as url:
            small_walks = [walk(url, small) for _ in range(small_runs)]
        started = time.perf_counter()
        with running_mock_server({"MOCK_FIXTURE": str(big_fixture)}, timeout=START_TIMEOUT_S) as url:
            mock_start_s = time.perf_counter() - started
            big_peak, big_seconds, big_ok = walk(url, big)
    small_peak = statistics.median(peak for peak, _, _ in small_walks)
    excess_mb = (big_peak - small_peak) / MB
    met = excess_mb <= TARGET_MB
    verdict = (
        f"PASS (+{excess_mb:.2f} MB <= +{TARGET_MB:g} MB)"
        if met
        else f"MISS: +{excess_mb:.2f} MB, {excess_mb - TARGET_MB:.2f} MB over +{TARGET_MB:g} MB"
    )
    return BenchResult(
        key="c",
        title=f"walk {big:,} vs {small:,} tasks (iter_items, limit={LIMIT}), peak memory",
        subject=f"iter_items over {big:,} tasks",
        baseline=f"iter_items over {small:,} tasks",
        subject_value=big_peak / MB,
        baseline_value=small_peak / MB,
        unit="MB",
        ratio=big_peak / small_peak,
        target=f"<= +{TARGET_MB:g} MB",
        met=met,
        verdict=verdict,
        details={
            "excess_mb": round(excess_mb, 3),
            "big_walk_s": round(big_seconds, 1),
            "small_walk_s": round(statistics.median(seconds for _, seconds, _ in small_walks), 2),
            "mock_start_s": round(mock_start_s, 1),
            "big_walk_complete_and_unique": big_ok,
            "small_walk_complete_and_unique": all(ok for _, _, ok in small_walks),
            "small_walks": small_runs,
        },
    )
