"""Request parameters are checked before anything is sent, and arrays travel as the spec says.

Enum parameters take a member or its plain value; an unknown value raises ValueError, a
wrong type TypeError, each naming the parameter (and the accepted values) while the stub
server on loopback sees no request at all. ``version_id`` is ``style: form, explode:
false`` in the spec, so it travels as one comma-joined value, and an item that contains a
comma is refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from processor_tasks_client import AuthenticatedClient, ProcessorTasks
from processor_tasks_client.api.processor_tasks import describe_processor_task, list_processor_tasks
from processor_tasks_client.models import DataSourceType, Order, SortBy, TaskStatus, TemplateId

from tests.client.stub_server import StubServer

ENUMS: dict[str, tuple[Any, Any]] = {
    "order": (Order.ASC, "asc"),
    "sort_by": (SortBy.DURATION_SECONDS, "duration_seconds"),
    "source_type": (DataSourceType.OBS, "OBS"),
    "status": (TaskStatus.COMPLETED, 2),
    "task_type": (TemplateId.SYS_DATA_ANALYSE, "sys_data_analyse"),
}


def query_of(stub: StubServer) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(stub.seen[-1].path).query, keep_blank_values=True)


@pytest.mark.parametrize("name", ENUMS)
def test_an_enum_parameter_takes_its_member_or_its_plain_value(
    stub: StubServer, client: AuthenticatedClient, name: str
) -> None:
    member, plain = ENUMS[name]
    list_processor_tasks.sync("p", client=client, **{name: member})
    by_member = query_of(stub)
    list_processor_tasks.sync("p", client=client, **{name: plain})
    assert query_of(stub) == by_member
    assert (name, str(plain)) in by_member


def test_the_issue_examples_work(stub: StubServer, client: AuthenticatedClient) -> None:
    list_processor_tasks.sync("p", client=client, status=2, task_type="sys_data_analyse")
    query = dict(query_of(stub))
    assert query["status"] == "2" and query["task_type"] == "sys_data_analyse"


UNKNOWN: dict[str, tuple[Any, str]] = {
    "status": (9, "0, 1, 2, 3, 4"),
    "order": ("ascending", "'asc', 'desc'"),
    "task_type": ("sys_data_nothing", "'sys_data_analyse'"),
    "source_type": ("S3", "'OBS'"),
    "sort_by": ("size", "'create_time'"),
}


@pytest.mark.parametrize("name", UNKNOWN)
def test_an_unknown_enum_value_is_refused_before_sending(
    stub: StubServer, client: AuthenticatedClient, name: str
) -> None:
    value, accepted = UNKNOWN[name]
    with pytest.raises(ValueError, match=rf"^{name} must be one of .*{value!r}") as caught:
        list_processor_tasks.sync("p", client=client, **{name: value})
    assert accepted in str(caught.value)
    assert stub.seen == []


WRONG_TYPES: list[tuple[str, Any]] = [
    ("status", "2"),
    ("status", True),
    ("status", 2.0),
    ("status", Order.ASC),
    ("order", SortBy.NAME),  # a member of another enum, even if a plain str
    ("order", 1),
    ("limit", "5"),
    ("limit", True),
    ("limit", 5.0),
    ("offset", "1"),
    ("query_current", "true"),
    ("query_current", 1),
    ("source", 5),
    ("task_name", b"x"),
    ("workspace_id", 0),
    ("version_id", "v1"),
    ("version_id", {"v1"}),
    ("version_id", [1]),
    ("version_id", ["a", None]),
]


@pytest.mark.parametrize(("name", "value"), WRONG_TYPES, ids=[f"{n}={v!r}" for n, v in WRONG_TYPES])
def test_a_value_of_the_wrong_type_is_refused_before_sending(
    stub: StubServer, client: AuthenticatedClient, name: str, value: Any
) -> None:
    with pytest.raises(TypeError, match=rf"^{name}(\[\d\])? (must|is required)"):
        list_processor_tasks.sync("p", client=client, **{name: value})
    assert stub.seen == []


def test_the_type_error_lists_the_accepted_values(client: AuthenticatedClient) -> None:
    with pytest.raises(TypeError) as caught:
        list_processor_tasks.sync("p", client=client, status="2")  # type: ignore[arg-type]  # the wrong type is the test
    assert str(caught.value) == "status must be a TaskStatus or one of its values (0, 1, 2, 3, 4), got str '2'"


def test_none_leaves_an_optional_parameter_out(stub: StubServer, client: AuthenticatedClient) -> None:
    list_processor_tasks.sync("p", client=client, status=None, source=None, version_id=None)  # type: ignore[arg-type]
    assert {k for k, _ in query_of(stub)}.isdisjoint({"status", "source", "version_id"})


@pytest.mark.parametrize(
    ("project_id", "task_id", "error", "message"),
    [
        ("p", "", ValueError, "task_id must not be ''"),
        ("p", "..", ValueError, "task_id must not be '..'"),
        ("p", ".", ValueError, "task_id must not be '.'"),
        ("", "t", ValueError, "project_id must not be ''"),
        ("p", 5, TypeError, "task_id must be a str, got int 5"),
        (None, "t", TypeError, "project_id is required, got None"),
    ],
)
def test_path_parameters_are_checked(
    stub: StubServer, client: AuthenticatedClient, project_id: Any, task_id: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=rf"^{message}"):
        describe_processor_task.sync(project_id, task_id, client=client)
    assert stub.seen == []


def test_a_dotted_task_id_that_is_not_a_dot_segment_is_sent(stub: StubServer, client: AuthenticatedClient) -> None:
    stub.reply_json({"task_id": "...x"})
    describe_processor_task.sync("p", "...x", client=client)
    assert urlsplit(stub.seen[-1].path).path == "/v2/p/processor-tasks/...x"


CALLS: dict[str, Callable[[AuthenticatedClient], Any]] = {
    "asyncio": lambda c: asyncio.run(list_processor_tasks.asyncio("p", client=c, status=7)),
    "asyncio_detailed": lambda c: asyncio.run(list_processor_tasks.asyncio_detailed("p", client=c, status=7)),
    "sync_detailed": lambda c: list_processor_tasks.sync_detailed("p", client=c, status=7),
    "iter_items": lambda c: list(list_processor_tasks.iter_items("p", client=c, status=7)),
    "facade": lambda c: ProcessorTasks(c, "p").list_processor_tasks(status=7),
    "facade-async": lambda c: asyncio.run(ProcessorTasks(c, "p").alist_processor_tasks(status=7)),
    "describe-async": lambda c: asyncio.run(describe_processor_task.asyncio("p", "", client=c)),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_every_way_in_checks_first(stub: StubServer, call: Callable[[AuthenticatedClient], Any]) -> None:
    with (
        AuthenticatedClient(base_url=stub.base_url, token="t", retry=None) as c,
        pytest.raises(ValueError, match=r"^(status|task_id) must"),
    ):
        call(c)
    assert stub.seen == []


def test_the_facade_takes_plain_values(stub: StubServer, client: AuthenticatedClient) -> None:
    ProcessorTasks(client, "p").list_processor_tasks(status=2, order="asc")
    query = dict(query_of(stub))
    assert query["status"] == "2" and query["order"] == "asc"


# -- version_id: style form, explode false --------------------------------------------------


@pytest.mark.parametrize("value", [["v2", "v1"], ("v2", "v1")], ids=["list", "tuple"])
def test_version_id_is_one_comma_joined_value(stub: StubServer, client: AuthenticatedClient, value: Any) -> None:
    list_processor_tasks.sync("p", client=client, version_id=value)
    raw = urlsplit(stub.seen[-1].path).query
    assert "version_id=v2%2Cv1" in raw.split("&")
    assert [v for k, v in query_of(stub) if k == "version_id"] == ["v2,v1"]


def test_one_version_id_and_none_at_all(stub: StubServer, client: AuthenticatedClient) -> None:
    list_processor_tasks.sync("p", client=client, version_id=["only"])
    assert [v for k, v in query_of(stub) if k == "version_id"] == ["only"]
    list_processor_tasks.sync("p", client=client, version_id=[])
    assert "version_id" not in dict(query_of(stub))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["a", "b,c"], r"^version_id\[1\] = 'b,c' contains ',': version_id travels as one ','-separated value"),
        ([","], r"^version_id\[0\] = ',' contains ','"),
        (["a", ""], r"^version_id\[1\] = '' is empty"),
    ],
)
def test_a_version_id_the_joined_form_cannot_carry_is_refused(
    stub: StubServer, client: AuthenticatedClient, value: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        list_processor_tasks.sync("p", client=client, version_id=value)
    with pytest.raises(ValueError, match=message):
        list(list_processor_tasks.iter_items("p", client=client, version_id=value))
    assert stub.seen == []
