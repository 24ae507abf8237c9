"""The client against the mock server over real HTTP: listing, filtering, paging (also
with injected faults), describing, both kinds of auth, and the entry point from the environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from processor_tasks_client import AkSkAuth, AuthenticatedClient, ProcessorTasks, RetryPolicy, errors
from processor_tasks_client.api.processor_tasks import describe_processor_task, list_processor_tasks
from processor_tasks_client.models import Order, SortBy, TaskStatus, TemplateId
from processor_tasks_mock.process import running_mock_server

PROJECT = "mock-project"


@pytest.fixture
def client(mock_server_url: str) -> Iterator[AuthenticatedClient]:
    with AuthenticatedClient(base_url=mock_server_url, token="mock-token") as c:
        yield c


def all_ids(client: AuthenticatedClient, **filters: object) -> list[str]:
    """Every matching id, read with one big page per request (the oracle for paging)."""
    ids: list[str] = []
    page = 0
    while True:
        body = list_processor_tasks.sync(PROJECT, client=client, limit=100, offset=page, **filters)  # type: ignore[arg-type]
        ids += [t.task_id for t in body.tasks]
        if len(body.tasks) < 100:
            return ids
        page += 1


def test_list_describe_and_filter(client: AuthenticatedClient) -> None:
    page = list_processor_tasks.sync(
        PROJECT, client=client, status=TaskStatus.COMPLETED, task_type=TemplateId.SYS_DATA_ANALYSE
    )
    assert page.count > 0 and page.tasks
    for task in page.tasks:
        assert task.status is TaskStatus.COMPLETED
        assert task.template and task.template.id is TemplateId.SYS_DATA_ANALYSE
    described = describe_processor_task.sync(PROJECT, page.tasks[0].task_id, client=client)
    assert described.to_dict() == page.tasks[0].to_dict()
    with pytest.raises(errors.NotFoundError) as caught:
        describe_processor_task.sync(PROJECT, "no-such-task", client=client)
    assert caught.value.error_code == "ModelArts.4700" and caught.value.request_id


@pytest.mark.parametrize("limit", [1, 7, 100])
def test_iter_items_walks_every_match_once(client: AuthenticatedClient, limit: int) -> None:
    filters = {"order": Order.ASC, "sort_by": SortBy.NAME}
    expected = all_ids(client, **filters)
    walked = [t.task_id for t in list_processor_tasks.iter_items(PROJECT, client=client, limit=limit, **filters)]  # type: ignore[arg-type]
    assert walked == expected and len(set(walked)) == len(walked) > 100


def test_iter_pages_stops_on_count_and_short_page(client: AuthenticatedClient) -> None:
    pages = list(list_processor_tasks.iter_pages(PROJECT, client=client, limit=10, status=TaskStatus.FAILED))
    count = pages[0].count
    assert sum(len(p.tasks) for p in pages) == count
    assert len(pages) == max(1, -(-count // 10))  # ceil: no request past the last match
    assert all(p.count == count for p in pages)


def test_walk_stops_when_count_is_reached_on_a_full_page(client: AuthenticatedClient) -> None:
    count = list_processor_tasks.sync(PROJECT, client=client, limit=1).count
    divisor = next(d for d in (10, 8, 5, 4, 2, 1) if count % d == 0)
    pages = list(list_processor_tasks.iter_pages(PROJECT, client=client, limit=divisor))
    assert len(pages) == count // divisor  # no extra request for an empty page


async def test_async_iteration_matches_sync(client: AuthenticatedClient) -> None:
    expected = all_ids(client, task_type=TemplateId.SYS_DATA_CLEANING)
    walked = [
        t.task_id
        async for t in list_processor_tasks.aiter_items(
            PROJECT, client=client, limit=9, task_type=TemplateId.SYS_DATA_CLEANING
        )
    ]
    assert walked == expected


def test_aksk_client(mock_server_url: str) -> None:
    with AuthenticatedClient(base_url=mock_server_url, auth=AkSkAuth("MOCKAK", "MOCKSK")) as c:
        # One version ID: its wire form is the same whether the list is comma-joined or repeated.
        page = list_processor_tasks.sync(PROJECT, client=c, version_id=["a b/c"], task_name="é ü")
        assert page.count == 0
        assert list_processor_tasks.sync(PROJECT, client=c, limit=5).tasks
        # Percent signs in a path segment: client and mock must canonicalise it alike.
        # (its "/" makes it an unknown path: 404 ModelArts.4204, not a missing task)
        with pytest.raises(errors.NotFoundError):
            describe_processor_task.sync(PROJECT, "a%41 100%/x", client=c)
        with pytest.raises(errors.TaskNotFoundError):
            describe_processor_task.sync(PROJECT, "a%41 100%", client=c)
    with (
        AuthenticatedClient(base_url=mock_server_url, auth=AkSkAuth("MOCKAK", "WRONG")) as c,
        pytest.raises(errors.AuthenticationError),
    ):
        list_processor_tasks.sync(PROJECT, client=c)


def test_wrong_project_and_bad_token(mock_server_url: str) -> None:
    with (
        AuthenticatedClient(base_url=mock_server_url, token="other-token") as c,
        pytest.raises(errors.ProjectMismatchError),
    ):
        list_processor_tasks.sync(PROJECT, client=c)
    with AuthenticatedClient(base_url=mock_server_url, token="nope") as c, pytest.raises(errors.AuthenticationError):
        list_processor_tasks.sync(PROJECT, client=c)


def test_invalid_parameter_is_a_bad_request(client: AuthenticatedClient) -> None:
    with pytest.raises(errors.BadRequestError) as caught:
        list_processor_tasks.sync(PROJECT, client=client, limit=101)
    assert caught.value.error_code == "ModelArts.0104"


def test_facade_from_env(mock_server_url: str) -> None:
    env = {
        "PROCESSOR_TASKS_BASE_URL": mock_server_url,
        "HUAWEICLOUD_SDK_PROJECT_ID": PROJECT,
        "PROCESSOR_TASKS_TOKEN": "mock-token",
    }
    tasks = ProcessorTasks.from_env(env)
    first = next(tasks.iter_list_processor_tasks(limit=3))
    assert tasks.describe_processor_task(first.task_id).task_id == first.task_id
    signed = ProcessorTasks.from_env(
        {**env, "PROCESSOR_TASKS_TOKEN": "", "HUAWEICLOUD_SDK_AK": "MOCKAK", "HUAWEICLOUD_SDK_SK": "MOCKSK"}
    )
    assert signed.list_processor_tasks(limit=1).count == tasks.list_processor_tasks(limit=1).count
    assert "mock-token" not in repr(tasks)
    with ProcessorTasks.from_env(env) as scoped:
        assert scoped.list_processor_tasks(limit=1).tasks
    assert scoped.client.get_httpx_client().is_closed


async def test_async_facade_as_context_manager(mock_server_url: str) -> None:
    env = {
        "PROCESSOR_TASKS_BASE_URL": mock_server_url,
        "HUAWEICLOUD_SDK_PROJECT_ID": PROJECT,
        "PROCESSOR_TASKS_TOKEN": "mock-token",
    }
    async with ProcessorTasks.from_env(env) as tasks:
        first = [t async for t in tasks.aiter_list_processor_tasks(limit=2)][0]  # noqa: RUF015 -- next() cannot take an async generator
        assert (await tasks.adescribe_processor_task(first.task_id)).task_id == first.task_id
    assert tasks.client.get_async_httpx_client().is_closed


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, r"PROCESSOR_TASKS_BASE_URL \(or HUAWEICLOUD_SDK_REGION\) and HUAWEICLOUD_SDK_PROJECT_ID"),
        (
            {"PROCESSOR_TASKS_BASE_URL": "http://x", "PROCESSOR_TASKS_PROJECT_ID": "p"},
            "PROCESSOR_TASKS_TOKEN, or HUAWEICLOUD_SDK_AK",
        ),
    ],
)
def test_facade_from_env_names_missing_variables(env: dict[str, str], missing: str) -> None:
    with pytest.raises(errors.ConfigurationError, match=missing):
        ProcessorTasks.from_env(env)


def test_paginated_walk_with_injected_faults_loses_and_duplicates_nothing() -> None:
    faults = {
        "MOCK_FAULT_DROP_RATE": "0.15",
        "MOCK_FAULT_503_RATE": "0.15",
        "MOCK_FAULT_429_RATE": "0.15",
        "MOCK_FAULT_RETRY_AFTER": "0",
        "MOCK_FAULT_SEED": "7",
    }
    policy = RetryPolicy(max_attempts=8, backoff_base=0.001, backoff_max=0.01, max_elapsed=30.0)
    with running_mock_server() as clean_url, AuthenticatedClient(base_url=clean_url, token="mock-token") as clean:
        expected = all_ids(clean, order=Order.ASC)
    with running_mock_server(faults) as url, AuthenticatedClient(base_url=url, token="mock-token", retry=policy) as c:
        walked = [t.task_id for t in list_processor_tasks.iter_items(PROJECT, client=c, limit=10, order=Order.ASC)]
        with (
            AuthenticatedClient(base_url=url, token="mock-token", retry=None) as fragile,
            pytest.raises((errors.APIConnectionError, errors.ServerError, errors.RateLimitError)),
        ):
            for _ in range(40):
                list_processor_tasks.sync(PROJECT, client=fragile, limit=1)
    assert walked == expected and len(set(walked)) == len(walked)
