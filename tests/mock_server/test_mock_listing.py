"""List semantics against a brute-force oracle over the seeded data: paging, filters, sorting."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from mock_helpers import LIST, TOKEN, list_all
from mock_oracle import expected_ids

Task = dict[str, Any]


def _channels(task: Task) -> list[Task]:
    return list(task.get("inputs") or []) + ([task["data_source"]] if task.get("data_source") else [])


# --- paging -------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 7, 10, 100])
async def test_pages_are_disjoint_cover_every_match_and_keep_count(
    client: httpx.AsyncClient, seeded: list[Task], limit: int
) -> None:
    count, tasks = await list_all(client, {}, limit=limit)
    ids = [t["task_id"] for t in tasks]
    assert len(ids) == len(set(ids)), "a task appears on two pages"
    assert set(ids) == expected_ids(seeded)
    assert count == len(ids)


async def test_offset_is_a_page_index_not_an_item_offset(client: httpx.AsyncClient) -> None:
    _, everything = await list_all(client, {"sort_by": "name", "order": "asc"})
    answer = await client.get(LIST, params={"sort_by": "name", "order": "asc", "limit": 7, "offset": 3}, headers=TOKEN)
    assert [t["task_id"] for t in answer.json()["tasks"]] == [t["task_id"] for t in everything[21:28]]


async def test_page_past_the_end_is_empty_but_counts(client: httpx.AsyncClient, seeded: list[Task]) -> None:
    answer = await client.get(LIST, params={"limit": 100, "offset": 50}, headers=TOKEN)
    assert answer.json() == {"count": len(expected_ids(seeded)), "tasks": []}


async def test_defaults_are_ten_tasks_newest_first(client: httpx.AsyncClient) -> None:
    default = (await client.get(LIST, headers=TOKEN)).json()
    explicit = (
        await client.get(
            LIST,
            params={"limit": 10, "offset": 0, "sort_by": "create_time", "order": "desc", "workspace_id": "0"},
            headers=TOKEN,
        )
    ).json()
    assert len(default["tasks"]) == 10
    assert default == explicit


# --- filters ------------------------------------------------------------------------------


def _filter_cases(seeded: list[Task]) -> list[dict[str, Any]]:
    datasets = sorted({c["source"] for t in seeded for c in _channels(t) if c["type"] == "DATASET"})
    obs_paths = sorted({c["source"] for t in seeded for c in _channels(t) if c["type"] == "OBS"})
    task_sources = sorted({c["source"] for t in seeded for c in _channels(t) if c["type"] == "TASK"})
    versions = sorted({t["version_id"] for t in seeded if t.get("version_id")})
    workspaces = sorted({t["workspace_id"] for t in seeded})
    cases: list[dict[str, Any]] = [{}]
    cases += [{"status": s} for s in range(5)]
    cases += [{"task_type": t} for t in sorted({t["template"]["id"] for t in seeded})]
    cases += [{"source_type": s} for s in ("OBS", "TASK", "DATASET", "CUSTOM")]
    cases += [{"source": datasets[0]}, {"source": obs_paths[0]}, {"source": task_sources[0]}, {"source": ""}]
    cases += [{"source_type": "DATASET", "source": datasets[1]}, {"source_type": "OBS", "source": datasets[1]}]
    cases += [{"source_type": "CUSTOM", "source": ""}]
    cases += [{"task_name": n} for n in ("pre", "PRE", "ü", "%", "_", "50%_s", "-a", "nothing-like-this", "")]
    cases += [{"version_id": [versions[0]]}, {"version_id": versions[1:4]}, {"version_id": ["no-such-version"]}]
    cases += [{"workspace_id": w} for w in workspaces] + [{"workspace_id": "nowhere"}]
    cases += [{"query_current": True}, {"query_current": False}]
    cases += [
        {"status": 2, "task_type": "sys_data_analyse", "query_current": True},
        {"workspace_id": workspaces[-1], "source_type": "DATASET", "task_name": "e"},
    ]
    return cases


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "filters" in metafunc.fixturenames:
        from processor_tasks_mock.seed import generate_tasks
        from processor_tasks_mock.settings import Settings

        s = Settings()
        cases = _filter_cases(generate_tasks(s.seed, s.task_count))
        metafunc.parametrize("filters", cases, ids=[repr(c) for c in cases])


async def test_filter_matches_the_oracle(
    client: httpx.AsyncClient, seeded: list[Task], filters: dict[str, Any]
) -> None:
    params = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in filters.items()}
    if "version_id" in params:  # explode: false, one comma-joined value
        params["version_id"] = ",".join(params["version_id"])
    count, tasks = await list_all(client, params)
    expected = expected_ids(seeded, **filters)
    assert {t["task_id"] for t in tasks} == expected
    assert count == len(expected)


def test_the_filter_cases_are_not_trivial(seeded: list[Task]) -> None:
    # A filter test only bites if its case selects some tasks but not all of them.
    everything = expected_ids(seeded)
    sizes = [len(expected_ids(seeded, **case)) for case in _filter_cases(seeded)]
    assert sum(0 < size < len(everything) for size in sizes) >= len(sizes) - 8


async def test_return_result_false_leaves_result_out(client: httpx.AsyncClient, seeded: list[Task]) -> None:
    params = {"task_type": "sys_data_analyse", "status": 2}
    _, with_result = await list_all(client, params)
    _, without = await list_all(client, {**params, "return_result": "false"})
    assert with_result and all(isinstance(t["result"], dict) for t in with_result)
    assert all("result" not in t for t in without)
    assert [{k: v for k, v in t.items() if k != "result"} for t in with_result] == without
    # The store itself is untouched: describe still returns the result.
    described = await client.get(f"{LIST}/{without[0]['task_id']}", headers=TOKEN)
    assert "result" in described.json()


async def test_describe_returns_the_seeded_task(client: httpx.AsyncClient, seeded: list[Task]) -> None:
    for task in seeded[::37]:
        answer = await client.get(f"{LIST}/{task['task_id']}", headers=TOKEN)
        assert answer.status_code == 200
        assert answer.json() == task


async def test_unknown_task_is_404_modelarts_4700(client: httpx.AsyncClient) -> None:
    answer = await client.get(f"{LIST}/no-such-task", headers=TOKEN)
    assert answer.status_code == 404
    assert answer.json()["error_code"] == "ModelArts.4700"
    assert answer.headers["x-request-id"]
    assert answer.headers["content-type"] == "application/json"


# --- sorting ------------------------------------------------------------------------------


@pytest.mark.parametrize("sort_by", ["create_time", "name", "duration_seconds"])
@pytest.mark.parametrize("order", ["asc", "desc"])
async def test_sort_order_with_task_id_tie_breaker(
    client: httpx.AsyncClient, seeded: list[Task], sort_by: str, order: str
) -> None:
    _, tasks = await list_all(client, {"sort_by": sort_by, "order": order}, limit=13)
    in_workspace = [t for t in seeded if t["workspace_id"] == "0"]

    def key(task: Task) -> tuple[Any, ...]:
        value = task.get(sort_by)
        return (value is not None, value if value is not None else 0, task["task_id"])

    expected = sorted(in_workspace, key=key, reverse=order == "desc")
    assert [t["task_id"] for t in tasks] == [t["task_id"] for t in expected]
    # The seed is built with ties on every sort field, so the tie-breaker is exercised.
    assert max(Counter(t.get(sort_by) for t in in_workspace).values()) > 1


async def test_order_alone_reverses_create_time(client: httpx.AsyncClient) -> None:
    _, asc = await list_all(client, {"order": "asc"})
    _, desc = await list_all(client, {})
    assert asc == desc[::-1]
