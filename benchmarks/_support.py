"""What the benchmark modules share: the result record, the timing helper and test data."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "generated_client"
PROJECT = "mock-project"
TOKEN = "mock-token"
# The mock's default store; the same seed as the server so that (a) parses what (b) fetches.
SEED = 20240101

Detail = float | int | str | bool


@dataclass(frozen=True)
class BenchResult:
    """One row of the table: the client's number, the baseline's, their ratio and the verdict."""

    key: str
    """Letter of the benchmark in issue 4: "a" ... "e"."""
    title: str
    subject: str
    """What was measured on the client's side."""
    baseline: str
    """What it is compared with, measured in the same run."""
    subject_value: float
    baseline_value: float
    unit: str
    ratio: float
    """subject_value / baseline_value."""
    target: str
    """The target as text, or "-" when the issue sets none."""
    met: bool | None
    """Whether the target is met; None when there is no target."""
    verdict: str
    """PASS/MISS/INFO with by how much, e.g. "MISS: 3.1x the target"."""
    details: dict[str, Detail] = field(default_factory=dict)


@dataclass(frozen=True)
class Comparison:
    """Median cost per call of a subject and its baseline, in nanoseconds."""

    subject_ns: float
    baseline_ns: float
    subject_runs_ns: list[float]
    baseline_runs_ns: list[float]

    @property
    def ratio(self) -> float:
        return self.subject_ns / self.baseline_ns

    def spread(self) -> dict[str, Detail]:
        """Fastest and slowest batch of each side, so a reader can judge the noise."""
        return {
            "subject_min_us": round(min(self.subject_runs_ns) / 1e3, 2),
            "subject_max_us": round(max(self.subject_runs_ns) / 1e3, 2),
            "baseline_min_us": round(min(self.baseline_runs_ns) / 1e3, 2),
            "baseline_max_us": round(max(self.baseline_runs_ns) / 1e3, 2),
            "batches": len(self.subject_runs_ns),
        }


def _batch_ns(function: Callable[[], object], number: int) -> float:
    # Collect first so that garbage left by the other side is not charged to this one; the
    # collector stays on while timing because the client's users run with it on.
    gc.collect()
    start = time.perf_counter_ns()
    for _ in range(number):
        function()
    return (time.perf_counter_ns() - start) / number


def compare(
    subject: Callable[[], object],
    baseline: Callable[[], object],
    *,
    repeats: int,
    number: int,
    warmup: int,
) -> Comparison:
    """Median per-call time of ``subject`` and ``baseline`` over ``repeats`` batches of ``number`` calls.

    Batches alternate (subject first, then baseline first) so that neither side always runs
    on a warmer cache or a calmer machine; ``warmup`` calls of each come first and are not
    counted (imports, connection set-up, branch predictors).
    """
    for _ in range(warmup):
        subject()
        baseline()
    subject_runs: list[float] = []
    baseline_runs: list[float] = []
    for index in range(repeats):
        if index % 2 == 0:
            subject_runs.append(_batch_ns(subject, number))
            baseline_runs.append(_batch_ns(baseline, number))
        else:
            baseline_runs.append(_batch_ns(baseline, number))
            subject_runs.append(_batch_ns(subject, number))
    return Comparison(
        subject_ns=statistics.median(subject_runs),
        baseline_ns=statistics.median(baseline_runs),
        subject_runs_ns=subject_runs,
        baseline_runs_ns=baseline_runs,
    )


def ratio_verdict(ratio: float, limit: float) -> tuple[bool, str]:
    """(met, text) for a "ratio at most ``limit``" target."""
    if ratio <= limit:
        return True, f"PASS ({ratio:.2f}x <= {limit:g}x)"
    return False, f"MISS: {ratio / limit:.1f}x the target ({ratio:.2f}x vs {limit:g}x)"


def ratio_result(
    *, key: str, title: str, subject: str, baseline: str, timing: Comparison, limit: float, details: dict[str, Detail]
) -> BenchResult:
    """The row of a "client at most ``limit`` times its baseline" benchmark, timed in microseconds."""
    met, verdict = ratio_verdict(timing.ratio, limit)
    return BenchResult(
        key=key,
        title=title,
        subject=subject,
        baseline=baseline,
        subject_value=timing.subject_ns / 1e3,
        baseline_value=timing.baseline_ns / 1e3,
        unit="us",
        ratio=timing.ratio,
        target=f"<= {limit:g}x",
        met=met,
        verdict=verdict,
        details={**details, **timing.spread()},
    )


def realistic_tasks(count: int, *, workspace: str | None = None) -> list[dict[str, Any]]:
    """``count`` tasks from the mock's own seed generator (every template, status and source shape).

    ``workspace`` puts every task in that workspace, so that a list call with the default
    filter (workspace "0") sees all of them.
    """
    from processor_tasks_mock.seed import generate_tasks

    tasks = generate_tasks(SEED, count)
    if workspace is not None:
        for task in tasks:
            task["workspace_id"] = workspace
    return tasks


def page_bytes(tasks: list[dict[str, Any]], count: int) -> bytes:
    """A list answer body byte for byte as the mock sends it (Starlette's JSONResponse rendering)."""
    from starlette.responses import JSONResponse

    return bytes(JSONResponse({"count": count, "tasks": tasks}).body)
