"""(a) Parsing a 100-task page and (a') the same page from an evolved server.

(a) ``decode_model(b, ListProcessorTasksResp.from_dict)`` (what every list call runs on the
answer's bytes: processor_tasks_client/_decode.py) vs ``json.loads(b)``; target (issue 12)
at most 1.25x. The bytes are a realistic page: 100 tasks from the mock's seed generator
(every template, status, source shape, results, operator parameters), serialised the way
the mock serialises its answers.

(a') The same page where every task carries a field the contract does not list and one in
ten an enum value it does not list yet, against ``json.loads`` of that page; target at
most 1.6x: an evolved server must not push the client back onto the slow path.

Both also record the reference path (``json.loads`` + ``from_dict``, what runs without
msgspec) in the same run, and check that the models give back exactly what was sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from processor_tasks_client import _decode
from processor_tasks_client.models import ListProcessorTasksResp

from benchmarks._support import BenchResult, compare, page_bytes, ratio_result, realistic_tasks

TARGET = 1.25
EVOLVED_TARGET = 1.6
PAGE_SIZE = 100


def _page(smoke: bool) -> list[dict[str, Any]]:
    return realistic_tasks(320)[: 5 if smoke else PAGE_SIZE]


def evolve(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every task gains a field the contract does not list; one in ten an unknown status."""
    evolved = []
    for index, task in enumerate(tasks):
        changed = {**task, "priority_class": {"name": "batch", "weight": index % 7}}
        if index % 10 == 0:
            changed["status"] = 7
        evolved.append(changed)
    return evolved


def _decoder(fast: bool) -> Callable[[bytes], Any]:
    def decode(body: bytes) -> Any:
        _decode.FAST = fast
        try:
            return _decode.decode_model(body, ListProcessorTasksResp.from_dict)
        finally:
            _decode.FAST = _decode.FAST_AVAILABLE

    return decode


def _measure(key: str, title: str, body: bytes, target: float, smoke: bool) -> BenchResult:
    fast, reference = _decoder(True), _decoder(False)
    expected = json.loads(body)
    for decode in (fast, reference):
        if decode(body).to_dict() != expected:
            raise RuntimeError("the models did not give back the page; the comparison would be meaningless")
    repeats, number, warmup = (1, 1, 1) if smoke else (25, 40, 20)
    timing = compare(lambda: fast(body), lambda: json.loads(body), repeats=repeats, number=number, warmup=warmup)
    slow = compare(lambda: reference(body), lambda: json.loads(body), repeats=repeats, number=number, warmup=warmup)
    tasks = len(expected["tasks"])
    return ratio_result(
        key=key,
        title=title.format(tasks=tasks),
        subject="decode_model(b, ListProcessorTasksResp.from_dict)",
        baseline="json.loads(b)",
        timing=timing,
        limit=target,
        details={
            "page_bytes": len(body),
            "tasks": tasks,
            "fast_path": _decode.FAST_AVAILABLE,
            "reference_path_ratio": round(slow.ratio, 3),
            "per_task_us": round(timing.subject_ns / 1e3 / tasks, 2),
            "json_loads_per_task_us": round(timing.baseline_ns / 1e3 / tasks, 2),
        },
    )


def run(smoke: bool = False) -> BenchResult:
    """(a): median cost of decoding one page into models against decoding it into dicts."""
    tasks = _page(smoke)
    return _measure("a", "parse a {tasks}-task page", page_bytes(tasks, count=320), TARGET, smoke)


def run_evolved(smoke: bool = False) -> BenchResult:
    """(a'): the same on a page from a server that has moved on."""
    tasks = evolve(_page(smoke))
    return _measure("a'", "parse an evolved {tasks}-task page", page_bytes(tasks, count=320), EVOLVED_TARGET, smoke)
