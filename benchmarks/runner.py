"""Run the benchmarks, print the ratio table and save it as JSON (default reports/bench.json).

    python -m benchmarks                  # every one, full size (a few minutes: see (c))
    python -m benchmarks --only "a,a',b,p"   # a subset (p: the peers' table)
    python -m benchmarks --smoke          # tiny sizes, one repetition: proves the code runs
    python -m benchmarks --walk-tasks 20000   # a shorter (c) while iterating on the client

The exit status is 0 whether targets are met or missed: a missed target is a finding to
report, not a failure of the run (timings are never asserted). It is 1 only when a
benchmark itself breaks.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import call_memory, list_call, pagination_memory, parse_page, peers, regenerate, signing, walk
from benchmarks._support import ROOT, BenchResult

DEFAULT_JSON = ROOT / "reports" / "bench.json"


def _benchmarks(walk_tasks: int | None) -> dict[str, Callable[[bool], BenchResult]]:
    return {
        "a": parse_page.run,
        "a'": parse_page.run_evolved,
        "b": list_call.run,
        "f": walk.run,
        "c": lambda smoke: pagination_memory.run(smoke, big=walk_tasks),
        "g": call_memory.run_sequential,
        "g'": call_memory.run_sequential_async,
        "h": call_memory.run_concurrent,
        "h'": call_memory.run_concurrent_async,
        "d": signing.run,
        "e": regenerate.run,
    }


def _value(value: float, unit: str) -> str:
    if unit == "us" and value >= 1000:
        return f"{value / 1000:.2f} ms"
    if unit == "us":
        return f"{value:.1f} us"
    if unit == "s":
        return f"{value:.2f} s"
    return f"{value:.2f} {unit}"


def table(results: Sequence[BenchResult]) -> str:
    """A Markdown table (it reads fine in a terminal and pastes into the README as is)."""
    header = ("benchmark", "client", "baseline", "ratio", "target", "result")
    rows = [
        (
            f"({result.key}) {result.title}",
            _value(result.subject_value, result.unit),
            _value(result.baseline_value, result.unit),
            f"{result.ratio:.2f}x",
            result.target,
            result.verdict,
        )
        for result in results
    ]
    widths = [max(len(row[column]) for row in (header, *rows)) for column in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

    return "\n".join([line(header), line(["-" * width for width in widths]), *(line(row) for row in rows)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        default="aa'bfcgg'hh'dep",
        help="keys of the benchmarks to run, e.g. \"a,a',b\"; p is the peers' table",
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one repetition (numbers are meaningless)")
    parser.add_argument("--walk-tasks", type=int, default=None, help="tasks in the long walk of (c); default 100000")
    parser.add_argument(
        "--json", type=Path, default=DEFAULT_JSON, help=f"where to save results (default {DEFAULT_JSON})"
    )
    args = parser.parse_args(argv)

    available = _benchmarks(args.walk_tasks)
    wanted = set(re.findall(r"[a-z]'?", args.only.lower()))
    chosen = [key for key in available if key in wanted]
    results: list[BenchResult] = []
    failed: list[str] = []
    for key in chosen:
        started = time.perf_counter()
        print(f"running ({key}) ...", file=sys.stderr, flush=True)
        try:
            results.append(available[key](args.smoke))
        except Exception:  # one broken benchmark must not hide the others' numbers
            traceback.print_exc()
            failed.append(key)
        print(f"  ({key}) took {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)

    peer_rows: list[peers.PeerRow] = []
    if "p" in wanted:
        print("running (p) peers ...", file=sys.stderr, flush=True)
        try:
            peer_rows = peers.run(args.smoke)
        except Exception:
            traceback.print_exc()
            failed.append("p")

    print(table(results))
    if peer_rows:
        print("\nPeers on the page of (a), same run:\n\n" + peers.table(peer_rows))
    report = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "smoke": args.smoke,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "results": [asdict(result) for result in results],
        "peers": [asdict(row) for row in peer_rows],
        "failed": failed,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nsaved {args.json}", file=sys.stderr)
    return 1 if failed else 0
