"""(f) Walking 1,000 tasks with ``iter_items(limit=100)`` vs a raw httpx page loop.

Target (issue 12, tightened by issue 22): at most 1.1x. Both sides walk the same mock process, loaded with a
1,000-task ``MOCK_FIXTURE`` (the seeded tasks, all in the default workspace), through one
keep-alive ``httpx.Client`` each with the same timeout and token. The raw loop asks for the
very URLs the client asks for (captured from the client itself through an
``httpx.MockTransport``), decodes each page with ``json.loads`` and stops on the same rule
(a short page, or ``count`` tasks seen). Each side proves it saw every task once.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import httpx
from processor_tasks_client import DEFAULT_TIMEOUT, AuthenticatedClient
from processor_tasks_client.api.processor_tasks import list_processor_tasks
from processor_tasks_mock.process import running_mock_server

from benchmarks._support import PROJECT, TOKEN, BenchResult, compare, ratio_result
from benchmarks.pagination_memory import write_fixture

TARGET = 1.1
LIMIT = 100
TASKS, SMOKE_TASKS = 1_000, 120


def client_urls(total: int) -> list[str]:
    """Path and query of every page request ``iter_items`` makes over ``total`` tasks."""
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode("ascii"))
        page = int(request.url.params.get("offset", "0"))
        size = max(0, min(LIMIT, total - page * LIMIT))
        tasks = [{"task_id": f"t{page}-{index}"} for index in range(size)]
        return httpx.Response(200, json={"count": total, "tasks": tasks})

    probe = AuthenticatedClient(
        base_url="http://127.0.0.1", token=TOKEN, httpx_args={"transport": httpx.MockTransport(answer)}
    )
    with probe:
        walked = sum(1 for _ in list_processor_tasks.iter_items(PROJECT, client=probe, limit=LIMIT))
    if walked != total:
        raise RuntimeError(f"the probe walk saw {walked} of {total} tasks")
    return seen


def run(smoke: bool = False) -> BenchResult:
    """Median wall time of one whole walk each way against one mock process."""
    total = SMOKE_TASKS if smoke else TASKS
    urls = client_urls(total)
    with tempfile.TemporaryDirectory(prefix="bench-walk-") as tmp:
        fixture = Path(tmp) / "tasks.json"
        write_fixture(fixture, total)
        with running_mock_server({"MOCK_FIXTURE": str(fixture)}) as base_url:
            client = AuthenticatedClient(base_url=base_url, token=TOKEN)
            raw = httpx.Client(base_url=base_url, headers={"X-Auth-Token": TOKEN}, timeout=DEFAULT_TIMEOUT)
            with client, raw:

                def through_client() -> int:
                    return len({task.task_id for task in list_processor_tasks.iter_items(
                        PROJECT, client=client, limit=LIMIT)})  # fmt: skip

                def baseline() -> int:
                    ids: set[Any] = set()
                    seen = 0
                    for url in urls:
                        page = json.loads(raw.get(url).content)
                        ids.update(task["task_id"] for task in page["tasks"])
                        seen += len(page["tasks"])
                        if len(page["tasks"]) < LIMIT or seen >= page["count"]:
                            break
                    return len(ids)

                if through_client() != total or baseline() != total:
                    raise RuntimeError("a walk missed tasks or saw one twice")
                repeats, number, warmup = (1, 1, 1) if smoke else (11, 3, 3)
                timing = compare(through_client, baseline, repeats=repeats, number=number, warmup=warmup)
    return ratio_result(
        key="f",
        title=f"walk {total:,} tasks (iter_items, limit={LIMIT})",
        subject="list_processor_tasks.iter_items(limit=100)",
        baseline="httpx.Client.get per page (same URLs) + json.loads",
        timing=timing,
        limit=TARGET,
        details={
            "pages": len(urls),
            "walk_complete_and_unique": True,
            "client_overhead_per_page_us": round((timing.subject_ns - timing.baseline_ns) / 1e3 / len(urls), 1),
        },
    )
