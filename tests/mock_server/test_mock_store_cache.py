"""The store's cache of sorted matches: answers stay those of a fresh computation, and it stays bounded."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from mock_oracle import expected_ids
from processor_tasks_mock import store as store_module
from processor_tasks_mock.store import ListQuery, TaskStore, matches

Task = dict[str, Any]
PROJECT = "p"


def _queries(seeded: list[Task]) -> list[ListQuery]:
    versions = sorted({t["version_id"] for t in seeded if "version_id" in t})
    queries = []
    for sort_by in ("create_time", "name", "duration_seconds", "status"):
        for order in ("asc", "desc"):
            queries.append(ListQuery(sort_by=sort_by, order=order))
    queries += [ListQuery(status=s, limit=7) for s in range(5)]
    queries += [ListQuery(task_name=n, sort_by="name") for n in ("pre", "PRE", "ü", "")]
    queries += [ListQuery(version_id=versions[:3]), ListQuery(version_id=versions[2::-1]), ListQuery(version_id=[])]
    queries += [ListQuery(workspace_id="ws-vision-01", source_type="DATASET"), ListQuery(query_current=True)]
    return queries


def _brute_force(tasks: list[Task], query: ListQuery) -> tuple[int, list[Task]]:
    # The uncached computation, restated: filter, then sort on a fresh list every time.
    found = [t for t in tasks if matches(t, query)]
    found.sort(key=lambda t: store_module._sort_key(t, query.sort_by), reverse=query.order == "desc")
    start = query.offset * query.limit
    page = [dict(t) for t in found[start : start + query.limit]]
    if not query.return_result:
        for t in page:
            t.pop("result", None)
    return len(found), page


def test_cached_answers_equal_fresh_ones_in_any_order(seeded: list[Task]) -> None:
    store = TaskStore.single(PROJECT, seeded)
    queries = _queries(seeded)
    # More distinct queries than the cache holds, asked repeatedly and shuffled, so that
    # hits, misses and evictions all happen.
    assert len(queries) > store_module.MATCH_CACHE_SIZE // 2
    rng = random.Random(7)
    asked = [q for q in queries for _ in range(3)]
    rng.shuffle(asked)
    for query in asked:
        for offset in (0, 1, 5):
            paged = dataclasses.replace(query, offset=offset)
            assert store.list(PROJECT, paged) == _brute_force(seeded, paged), paged


def test_equivalent_queries_share_an_entry_and_distinct_ones_do_not(seeded: list[Task]) -> None:
    store = TaskStore.single(PROJECT, seeded)
    versions = sorted({t["version_id"] for t in seeded if "version_id" in t})
    store.list(PROJECT, ListQuery(limit=5, offset=0, version_id=versions[:2], task_name="Pre"))
    store.list(PROJECT, ListQuery(limit=50, offset=3, return_result=False, version_id=versions[1::-1], task_name="pRE"))
    assert len(store._matches) == 1
    store.list(PROJECT, ListQuery(version_id=versions[:2], task_name="Pre", order="asc"))
    store.list(PROJECT, ListQuery(version_id=None))
    store.list(PROJECT, ListQuery(version_id=[]))
    assert len(store._matches) == 4
    count, _ = store.list(PROJECT, ListQuery(version_id=[]))
    assert count == 0
    assert store.list("other", ListQuery()) == (0, [])
    assert len(store._matches) == 5


def test_the_cache_is_bounded_and_keeps_the_recently_used(seeded: list[Task]) -> None:
    store = TaskStore.single(PROJECT, seeded)
    first = ListQuery(task_name="a")
    cached = store.sorted_matches(PROJECT, first)
    for index in range(store_module.MATCH_CACHE_SIZE * 2):
        store.list(PROJECT, ListQuery(task_name=f"no-such-name-{index}"))
        # Touching ``first`` keeps it the most recently used, so it is never evicted.
        store.list(PROJECT, first)
    assert len(store._matches) == store_module.MATCH_CACHE_SIZE
    # The very same list: ``first`` was never evicted and recomputed.
    assert store._matches[store_module._cache_key(PROJECT, first)] is cached
    assert store_module._cache_key(PROJECT, ListQuery(task_name="no-such-name-0")) not in store._matches


def test_answers_are_copies_that_do_not_reach_the_cache(seeded: list[Task]) -> None:
    store = TaskStore.single(PROJECT, seeded)
    query = ListQuery(task_type="sys_data_analyse", status=2, return_result=False)
    _, page = store.list(PROJECT, query)
    assert page and all("result" not in t for t in page)
    page.clear()
    _, again = store.list(PROJECT, ListQuery(task_type="sys_data_analyse", status=2))
    assert again and all("result" in t for t in again)
    assert {t["task_id"] for t in store.sorted_matches(PROJECT, query)} == expected_ids(
        seeded, task_type="sys_data_analyse", status=2
    )
