"""(a) Parsing a 100-task page: ``ListProcessorTasksResp.from_dict(json.loads(b))`` vs ``json.loads(b)``.

Target (issue 4): at most 2x. The bytes are a realistic page: 100 tasks from the mock's
seed generator (every template, status, source shape, results, operator parameters),
serialised the way the mock serialises its answers.
"""

from __future__ import annotations

import json

from processor_tasks_client.models import ListProcessorTasksResp

from benchmarks._support import BenchResult, compare, page_bytes, ratio_verdict, realistic_tasks

TARGET = 2.0
PAGE_SIZE = 100


def run(smoke: bool = False) -> BenchResult:
    """Median cost of decoding one page into models against decoding it into dicts."""
    tasks = realistic_tasks(320)
    body = page_bytes(tasks[:PAGE_SIZE] if not smoke else tasks[:5], count=len(tasks))

    def client() -> object:
        return ListProcessorTasksResp.from_dict(json.loads(body))

    def baseline() -> object:
        return json.loads(body)

    # Same answer on both sides, so the ratio compares like with like.
    parsed = ListProcessorTasksResp.from_dict(json.loads(body))
    if len(parsed.tasks) != len(json.loads(body)["tasks"]):
        raise RuntimeError("the models lost tasks; the comparison would be meaningless")

    repeats, number, warmup = (1, 1, 1) if smoke else (25, 40, 20)
    timing = compare(client, baseline, repeats=repeats, number=number, warmup=warmup)
    # from_dict alone, on a dict decoded once, isolates the models' share for the README.
    decoded = json.loads(body)
    models_only = compare(
        lambda: ListProcessorTasksResp.from_dict(decoded),
        lambda: None,
        repeats=repeats,
        number=number,
        warmup=warmup,
    )
    met, verdict = ratio_verdict(timing.ratio, TARGET)
    task_count = len(parsed.tasks)
    return BenchResult(
        key="a",
        title=f"parse a {task_count}-task page",
        subject="ListProcessorTasksResp.from_dict(json.loads(b))",
        baseline="json.loads(b)",
        subject_value=timing.subject_ns / 1e3,
        baseline_value=timing.baseline_ns / 1e3,
        unit="us",
        ratio=timing.ratio,
        target=f"<= {TARGET:g}x",
        met=met,
        verdict=verdict,
        details={
            "page_bytes": len(body),
            "tasks": task_count,
            "from_dict_only_us": round(models_only.subject_ns / 1e3, 2),
            "from_dict_per_task_us": round(models_only.subject_ns / 1e3 / task_count, 2),
            "json_loads_per_task_us": round(timing.baseline_ns / 1e3 / task_count, 2),
            **timing.spread(),
        },
    )
