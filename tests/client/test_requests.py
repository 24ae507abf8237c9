"""What the client sends: the token header, parameters as the spec defines them, timeouts."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import httpx
from processor_tasks_client import DEFAULT_TIMEOUT, AuthenticatedClient, Client
from processor_tasks_client.api.processor_tasks import describe_processor_task, list_processor_tasks
from processor_tasks_client.models import DataSourceType, Order, SortBy, TaskStatus, TemplateId

from tests.client.stub_server import StubServer


def test_token_goes_in_x_auth_token_not_authorization(stub: StubServer, client: AuthenticatedClient) -> None:
    list_processor_tasks.sync("proj", client=client)
    headers = stub.seen[-1].headers
    assert headers["x-auth-token"] == "stub-token"
    assert "authorization" not in headers


def test_query_parameters_follow_the_spec(stub: StubServer, client: AuthenticatedClient) -> None:
    list_processor_tasks.sync(
        "proj",
        client=client,
        limit=50,
        offset=3,
        order=Order.ASC,
        sort_by=SortBy.DURATION_SECONDS,
        query_current=True,
        return_result=False,
        source="obs://bucket/a b",
        source_type=DataSourceType.OBS,
        status=TaskStatus.FAILED,
        task_name="Pré",
        task_type=TemplateId.SYS_DATA_SELECTION,
        version_id=["v2", "v1"],
        workspace_id="ws-1",
    )
    url = urlsplit(stub.seen[-1].path)
    assert url.path == "/v2/proj/processor-tasks"
    assert parse_qsl(url.query) == [
        ("limit", "50"),
        ("offset", "3"),
        ("order", "asc"),
        ("sort_by", "duration_seconds"),
        ("query_current", "true"),
        ("return_result", "false"),
        ("source", "obs://bucket/a b"),
        ("source_type", "OBS"),
        ("status", "3"),
        ("task_name", "Pré"),
        ("task_type", "sys_data_selection"),
        ("version_id", "v2,v1"),  # style form, explode false: one comma-joined value
        ("workspace_id", "ws-1"),
    ]


def test_defaults_are_the_documented_ones(stub: StubServer, client: AuthenticatedClient) -> None:
    list_processor_tasks.sync("proj", client=client)
    query = dict(parse_qsl(urlsplit(stub.seen[-1].path).query))
    assert query == {
        "limit": "10",
        "offset": "0",
        "order": "desc",
        "sort_by": "create_time",
        "query_current": "false",
        "return_result": "true",
        "workspace_id": "0",
    }


def test_path_parameters_are_escaped(stub: StubServer, client: AuthenticatedClient) -> None:
    stub.reply_json({"task_id": "a/b c"})
    describe_processor_task.sync("p j", "a/b c", client=client)
    assert urlsplit(stub.seen[-1].path).path == "/v2/p%20j/processor-tasks/a%2Fb%20c"


def test_timeout_is_on_by_default() -> None:
    for c in (Client(base_url="http://127.0.0.1:9"), AuthenticatedClient(base_url="http://127.0.0.1:9", token="t")):
        assert c.get_httpx_client().timeout == DEFAULT_TIMEOUT
        assert c.get_async_httpx_client().timeout == DEFAULT_TIMEOUT
        assert DEFAULT_TIMEOUT.read is not None and DEFAULT_TIMEOUT.connect is not None


def test_token_never_appears_in_repr() -> None:
    c = AuthenticatedClient(base_url="http://127.0.0.1:9", token="very-secret-token")
    assert "very-secret-token" not in repr(c) and "very-secret-token" not in str(c)


def test_a_caller_supplied_transport_is_used(stub: StubServer) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json={"task_id": "x"})

    c = AuthenticatedClient(
        base_url="https://example.invalid", token="t", httpx_args={"transport": httpx.MockTransport(handler)}
    )
    assert describe_processor_task.sync("p", "x", client=c).task_id == "x"
    assert len(calls) == 1
