"""Walking pages of a list that changes meanwhile (issue 10 §6).

The stub answers page after page as a server would while tasks are created or deleted:
the pages shift, so a task comes again or the total moves. The walk must never yield a
task twice, must say (a warning, or PagingError when strict) when it cannot vouch for
having seen every task, and must end with PagingError on a server that ignores `offset`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from processor_tasks_client import AuthenticatedClient, ProcessorTasks, errors
from processor_tasks_client.api.processor_tasks import list_processor_tasks
from processor_tasks_client.pagination import _SeenKeys

from tests.client.stub_server import Answer, StubServer

pytestmark = pytest.mark.timeout(30)

MODES = ["sync", "async"]
LOGGER = "processor_tasks_client"


def page(count: int, ids: str) -> Answer:
    """A page whose tasks have the one-letter ids in ``ids``."""
    return Answer(body=json.dumps({"count": count, "tasks": [{"task_id": i} for i in ids]}).encode())


def walk(mode: str, base_url: str, *, limit: int = 3, strict: bool = False, pages: bool = False) -> list[Any]:
    """Every task id (or every page's ids) of a walk, sync or async."""
    args: dict[str, Any] = {"client": None, "limit": limit, "strict": strict}

    def ids(page: Any) -> list[str]:
        return [t.task_id for t in page.tasks]

    if mode == "sync":
        with AuthenticatedClient(base_url=base_url, token="t", retry=None) as client:
            args["client"] = client
            if pages:
                return [ids(p) for p in list_processor_tasks.iter_pages("p", **args)]
            return [t.task_id for t in list_processor_tasks.iter_items("p", **args)]

    async def run() -> list[Any]:
        async with AuthenticatedClient(base_url=base_url, token="t", retry=None) as client:
            args["client"] = client
            if pages:
                return [ids(p) async for p in list_processor_tasks.aiter_pages("p", **args)]
            return [t.task_id async for t in list_processor_tasks.aiter_items("p", **args)]

    return asyncio.run(run())


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]


def offsets(stub: StubServer) -> list[str]:
    return [dict(parse_qsl(urlsplit(s.path).query))["offset"] for s in stub.seen]


@pytest.mark.parametrize("mode", MODES)
def test_a_steady_list_walks_without_a_word(stub: StubServer, caplog: pytest.LogCaptureFixture, mode: str) -> None:
    stub.reply(page(7, "abc"), page(7, "def"), page(7, "g"))
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        assert walk(mode, stub.base_url, strict=True) == list("abcdefg")
    assert warnings(caplog) == [] and offsets(stub) == ["0", "1", "2"]


@pytest.mark.parametrize("mode", MODES)
def test_a_task_created_mid_walk_shifts_the_pages_but_nothing_comes_twice(
    stub: StubServer, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    # After page 0, task "n" is created at the front: "c" moves to page 1, "f" to page 2.
    stub.reply(page(7, "abc"), page(8, "cde"), page(8, "fg"))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert walk(mode, stub.base_url) == list("abcdefg")
    told = warnings(caplog)
    assert any("total changed from 7 to 8" in m for m in told)
    assert any("page 1 repeated 1 item(s) already yielded" in m for m in told)


@pytest.mark.parametrize("mode", MODES)
def test_pages_hand_out_only_new_tasks(stub: StubServer, mode: str) -> None:
    stub.reply(page(7, "abc"), page(8, "cde"), page(8, "fg"))
    assert walk(mode, stub.base_url, pages=True) == [list("abc"), list("de"), list("fg")]


@pytest.mark.parametrize("mode", MODES)
def test_a_task_deleted_mid_walk_is_reported(stub: StubServer, caplog: pytest.LogCaptureFixture, mode: str) -> None:
    # After page 0, "b" is deleted: "d" moves to page 0 and is never seen.
    stub.reply(page(7, "abc"), page(6, "efg"))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert walk(mode, stub.base_url) == list("abcefg")
    assert any("total changed from 7 to 6" in m for m in warnings(caplog))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("answers", "where", "why"),
    [
        ([page(7, "abc"), page(8, "cde"), page(8, "fg")], 1, "total changed"),
        ([page(7, "abc"), page(7, "cde"), page(7, "fg")], 1, "repeated 1 item"),
        ([page(7, "abc"), page(7, "bca"), page(7, "d")], 1, "only items already yielded"),
        ([page(7, "abc"), page(7, "d")], 1, "ended after 4 of the 7"),
        ([page(7, "aab"), page(7, "d")], 0, "repeated 1 item"),
    ],
)
def test_strict_walks_raise_instead_of_warning(
    stub: StubServer, caplog: pytest.LogCaptureFixture, mode: str, answers: list[Answer], where: int, why: str
) -> None:
    stub.reply(*answers)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        walk(mode, stub.base_url)
    assert any(why in m for m in warnings(caplog))  # the lenient walk warns ...
    stub.reply(*answers)
    with pytest.raises(errors.PagingError, match=why) as caught:
        walk(mode, stub.base_url, strict=True)  # ... the strict one stops
    assert caught.value.page == where


@pytest.mark.parametrize("mode", MODES)
def test_a_page_of_only_repeats_is_skipped_with_a_warning(
    stub: StubServer, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    stub.reply(page(9, "abc"), page(9, "bca"), page(9, "def"), page(9, "ghi"))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert walk(mode, stub.base_url) == list("abcdefghi")
    assert any("page 1 holds only items already yielded" in m for m in warnings(caplog))


@pytest.mark.parametrize("mode", MODES)
def test_a_walk_that_stops_advancing_ends_with_an_error(stub: StubServer, mode: str) -> None:
    stub.reply(page(9, "abc"), page(9, "bca"), page(9, "cab"), page(9, "def"))
    with pytest.raises(errors.PagingError, match="2 pages in a row") as caught:
        walk(mode, stub.base_url)
    assert caught.value.page == 2 and len(stub.seen) == 3


@pytest.mark.parametrize("mode", MODES)
def test_a_server_that_ignores_offset_ends_the_walk(stub: StubServer, mode: str) -> None:
    stub.reply(page(1000, "abc"))  # the same first page, whatever offset asks for
    with pytest.raises(errors.PagingError, match="ignore the page index") as caught:
        walk(mode, stub.base_url)
    assert caught.value.page == 1 and offsets(stub) == ["0", "1"]


@pytest.mark.parametrize("mode", MODES)
def test_a_server_that_ignores_offset_ends_the_item_walk_after_one_page(stub: StubServer, mode: str) -> None:
    stub.reply(page(1000, "abc"))
    seen: list[str] = []

    async def consume() -> None:
        async with AuthenticatedClient(base_url=stub.base_url, token="t", retry=None) as client:
            async for task in ProcessorTasks(client, "p").aiter_list_processor_tasks(limit=3):
                seen.append(task.task_id)

    with pytest.raises(errors.PagingError):
        if mode == "sync":
            with ProcessorTasks(AuthenticatedClient(base_url=stub.base_url, token="t", retry=None), "p") as tasks:
                for task in tasks.iter_list_processor_tasks(limit=3):
                    seen.append(task.task_id)
        else:
            asyncio.run(consume())
    assert seen == list("abc")


def test_strict_reaches_the_walk_through_the_facade(stub: StubServer) -> None:
    stub.reply(page(7, "abc"), page(8, "def"), page(8, "gh"))
    with (
        ProcessorTasks(AuthenticatedClient(base_url=stub.base_url, token="t", retry=None), "p") as tasks,
        pytest.raises(errors.PagingError, match="total changed"),
    ):
        list(tasks.iter_list_processor_tasks(limit=3, strict=True))


def test_seen_keys_remember_many_keys_exactly() -> None:
    seen = _SeenKeys()
    keys = [f"task-{n:06d}" for n in range(50_000)]
    assert all(seen.add(k) for k in keys)  # grows through several resizes
    assert not any(seen.add(k) for k in keys[::7])
    assert seen.add("") and not seen.add("")  # hash("") is 0, the empty-slot marker
