"""(b) One list call (limit=100) through the client vs raw httpx + ``json.loads``, over real HTTP.

Target (issue 12): at most 1.1x. Both sides talk to the same ``python -m processor_tasks_mock``
process (default store, 320 tasks) through one keep-alive ``httpx.Client`` each, with the
same timeout and the same token header, and ask for the very same URL: it is captured from
the client itself (through an ``httpx.MockTransport``) rather than rebuilt by hand, so
parameter defaults the client adds cannot make the two requests differ.
"""

from __future__ import annotations

import json

import httpx
from processor_tasks_client import DEFAULT_TIMEOUT, AuthenticatedClient
from processor_tasks_client._decode import decode_model
from processor_tasks_client.api.processor_tasks import list_processor_tasks
from processor_tasks_client.models import ListProcessorTasksResp
from processor_tasks_mock.process import running_mock_server

from benchmarks._support import PROJECT, TOKEN, BenchResult, compare, ratio_result

TARGET = 1.1
LIMIT = 100


def client_url(limit: int) -> str:
    """Path and query string the client sends for ``sync(PROJECT, limit=limit)``."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"count": 0, "tasks": []})

    probe = AuthenticatedClient(
        base_url="http://127.0.0.1", token=TOKEN, httpx_args={"transport": httpx.MockTransport(answer)}
    )
    with probe:
        list_processor_tasks.sync(PROJECT, client=probe, limit=limit)
    return seen[0].url.raw_path.decode("ascii")


def run(smoke: bool = False) -> BenchResult:
    """Median wall time of one list call each way against one mock process."""
    limit = 5 if smoke else LIMIT
    path = client_url(limit)
    with running_mock_server() as base_url:
        client = AuthenticatedClient(base_url=base_url, token=TOKEN)
        raw = httpx.Client(base_url=base_url, headers={"X-Auth-Token": TOKEN}, timeout=DEFAULT_TIMEOUT)
        with client, raw:

            def through_client() -> object:
                return list_processor_tasks.sync(PROJECT, client=client, limit=limit)

            def baseline() -> object:
                return json.loads(raw.get(path).content)

            # Both sides must get the same page, or the ratio compares different work.
            ids = [task.task_id for task in list_processor_tasks.sync(PROJECT, client=client, limit=limit).tasks]
            raw_ids = [task["task_id"] for task in json.loads(raw.get(path).content)["tasks"]]
            if ids != raw_ids or len(ids) != limit:
                raise RuntimeError(f"client and raw httpx got different pages for {path}")

            def raw_with_models() -> object:
                # The client's own decoding call (fast path when msgspec is installed).
                return decode_model(raw.get(path).content, ListProcessorTasksResp.from_dict)

            repeats, number, warmup = (1, 1, 1) if smoke else (21, 15, 20)
            timing = compare(through_client, baseline, repeats=repeats, number=number, warmup=warmup)
            # Where the difference goes: raw httpx plus the models, against raw httpx alone,
            # splits the client's extra cost into decoding (models) and plumbing (the rest).
            models = compare(raw_with_models, baseline, repeats=repeats, number=number, warmup=warmup)
    return ratio_result(
        key="b",
        title=f"one list call (limit={limit}) over HTTP",
        subject="list_processor_tasks.sync(limit=...)",
        baseline="httpx.Client.get(same URL) + json.loads",
        timing=timing,
        limit=TARGET,
        details={
            "url": path,
            "client_overhead_us": round((timing.subject_ns - timing.baseline_ns) / 1e3, 1),
            "of_which_models_us": round((models.subject_ns - models.baseline_ns) / 1e3, 1),
            "raw_plus_models_ratio": round(models.ratio, 3),
        },
    )
