"""The paging helpers are generated from x-pagination with the list call's own arguments."""

from __future__ import annotations

import inspect
import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from processor_tasks_client import AuthenticatedClient, ProcessorTasks
from processor_tasks_client.api.processor_tasks import list_processor_tasks
from processor_tasks_client.models import DataSourceType, Order, SortBy, TaskStatus, TemplateId

from tests.client.stub_server import Answer, StubServer


def page(count: int, ids: list[str]) -> Answer:
    return Answer(body=json.dumps({"count": count, "tasks": [{"task_id": i} for i in ids]}).encode())


HELPERS = ("iter_pages", "iter_items", "aiter_pages", "aiter_items")


@pytest.mark.parametrize("name", HELPERS)
def test_helpers_take_every_list_argument_but_the_page_index(name: str) -> None:
    listed = dict(inspect.signature(list_processor_tasks.sync).parameters)
    del listed["offset"]
    helper = dict(inspect.signature(getattr(list_processor_tasks, name)).parameters)
    assert helper.pop("start_page").default == 0  # where the walk begins (to go on after an error), last
    assert helper.pop("strict").default is False  # the walk's own switch
    assert list(helper) == list(listed)
    for param, spec in listed.items():
        if param == "limit":
            assert helper[param].annotation in (int, "int") and helper[param].default == 10
        else:
            assert (helper[param].annotation, helper[param].default) == (spec.annotation, spec.default)


def test_facade_mirrors_the_module_functions() -> None:
    for method, function in (
        ("list_processor_tasks", list_processor_tasks.sync),
        ("iter_list_processor_tasks", list_processor_tasks.iter_items),
    ):
        bound = list(inspect.signature(getattr(ProcessorTasks, method)).parameters)
        assert bound == ["self"] + [
            p for p in inspect.signature(function).parameters if p not in {"project_id", "client"}
        ]


def test_every_filter_reaches_every_page(stub: StubServer, client: AuthenticatedClient) -> None:
    stub.reply(*(page(5, [str(2 * n), str(2 * n + 1)]) for n in range(3)))
    filters = {
        "order": Order.ASC,
        "sort_by": SortBy.NAME,
        "query_current": True,
        "return_result": False,
        "source": "s",
        "source_type": DataSourceType.TASK,
        "status": TaskStatus.RUNNING,
        "task_name": "n",
        "task_type": TemplateId.SYS_DATA_AUGMENTATION,
        "version_id": ["v1", "v2"],
        "workspace_id": "w",
    }
    ids = [t.task_id for t in list_processor_tasks.iter_items("p", client=client, limit=2, **filters)]  # type: ignore[arg-type]
    assert ids == [str(i) for i in range(6)]  # pages 0, 1, 2: the third reaches count (5) only by length
    queries = [parse_qsl(urlsplit(s.path).query) for s in stub.seen]
    assert [dict(q)["offset"] for q in queries] == ["0", "1", "2"]
    for query in queries:
        assert [v for k, v in query if k == "version_id"] == ["v1,v2"]  # explode: false in the spec
        single = dict(query)
        assert single["task_type"] == "sys_data_augmentation" and single["status"] == "1" and single["limit"] == "2"
        assert {
            k: single[k]
            for k in (
                "order",
                "sort_by",
                "query_current",
                "return_result",
                "source",
                "source_type",
                "task_name",
                "workspace_id",
            )
        } == {
            "order": "asc",
            "sort_by": "name",
            "query_current": "true",
            "return_result": "false",
            "source": "s",
            "source_type": "TASK",
            "task_name": "n",
            "workspace_id": "w",
        }


def test_walk_stops_on_an_empty_page_whatever_count_claims(stub: StubServer, client: AuthenticatedClient) -> None:
    stub.reply_json({"count": 1000, "tasks": []})
    assert [p.count for p in list_processor_tasks.iter_pages("p", client=client)] == [1000]
    assert len(stub.seen) == 1


def test_pages_are_fetched_lazily(stub: StubServer, client: AuthenticatedClient) -> None:
    stub.reply_json({"count": 1000, "tasks": [{"task_id": "x"}] * 10})
    walk = list_processor_tasks.iter_items("p", client=client)
    assert stub.seen == []
    next(walk)
    assert len(stub.seen) == 1
