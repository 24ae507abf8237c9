"""Endpoints by region: region= and HUAWEICLOUD_SDK_REGION build the URL from the contract's
server template, an explicit base URL wins, and a bad base URL or region is refused when the
client is built, naming the setting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from processor_tasks_client import AuthenticatedClient, Client, ConfigurationError, ProcessorTasks, endpoint
from processor_tasks_client._contract import CONTRACT
from processor_tasks_client.api.processor_tasks import list_processor_tasks

from tests.client.stub_server import StubServer

SPEC = Path(__file__).resolve().parents[2] / "openapi" / "processor-tasks.yaml"
ENV = {"HUAWEICLOUD_SDK_PROJECT_ID": "p", "PROCESSOR_TASKS_TOKEN": "t"}


def spec_regions() -> list[str]:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    server = next(s for s in spec["servers"] if "{region}" in s["url"])
    return [str(v) for v in server["variables"]["region"]["enum"]]


def test_the_generated_table_follows_the_spec() -> None:
    variable = CONTRACT["endpoint"]["variables"]["region"]
    assert variable["enum"] == spec_regions() and {"eu-de", "eu-nl"} <= set(variable["enum"])
    assert variable["env"] == "HUAWEICLOUD_SDK_REGION"
    assert endpoint.SERVER_TEMPLATE == "https://modelarts.{region}.otc.t-systems.com"


@pytest.mark.parametrize("region", spec_regions())
@pytest.mark.parametrize("cls", [AuthenticatedClient, Client])
def test_region_builds_the_regional_url(cls: Any, region: str) -> None:
    client = cls(region=region)
    expected = f"https://modelarts.{region}.otc.t-systems.com"
    assert client.base_url == expected
    # httpx keeps the base URL without its trailing slash and joins paths onto it.
    assert str(client.get_httpx_client().base_url).rstrip("/") == expected
    assert str(client.get_async_httpx_client().base_url).rstrip("/") == expected


def test_a_request_goes_to_the_regional_host() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json={"count": 0, "tasks": []})

    client = AuthenticatedClient(region="eu-nl", token="t", httpx_args={"transport": httpx.MockTransport(handler)})
    list_processor_tasks.sync("p", client=client)
    assert [(u.scheme, u.host, u.path) for u in seen] == [
        ("https", "modelarts.eu-nl.otc.t-systems.com", "/v2/p/processor-tasks")
    ]


@pytest.fixture
def loopback_template(stub: StubServer, monkeypatch: pytest.MonkeyPatch) -> StubServer:
    # The real template names hosts on the provider's network; this one keeps the region in
    # the path of a loopback server, so that a region's request can travel over a socket.
    monkeypatch.setattr(endpoint, "SERVER_TEMPLATE", stub.base_url + "/{region}")
    return stub


def test_region_reaches_its_url_over_a_socket(loopback_template: StubServer) -> None:
    with AuthenticatedClient(region="eu-nl", token="t", retry=None) as client:
        list_processor_tasks.sync("p", client=client)
    assert [s.path.split("?")[0] for s in loopback_template.seen] == ["/eu-nl/v2/p/processor-tasks"]


async def test_region_reaches_its_url_over_a_socket_async(loopback_template: StubServer) -> None:
    async with AuthenticatedClient(region="eu-de", token="t", retry=None) as client:
        await list_processor_tasks.asyncio("p", client=client)
    assert [s.path.split("?")[0] for s in loopback_template.seen] == ["/eu-de/v2/p/processor-tasks"]


async def test_facade_from_env_region_reaches_its_url(loopback_template: StubServer) -> None:
    env = {**ENV, "HUAWEICLOUD_SDK_REGION": "eu-nl"}
    with ProcessorTasks.from_env(env, retry=None) as tasks:
        list(tasks.iter_list_processor_tasks())
    async with ProcessorTasks.from_env(env, region="eu-de", retry=None) as tasks:
        [t async for t in tasks.aiter_list_processor_tasks()]
    assert [s.path.split("?")[0] for s in loopback_template.seen] == [
        "/eu-nl/v2/p/processor-tasks",
        "/eu-de/v2/p/processor-tasks",
    ]


def test_an_explicit_base_url_wins(stub: StubServer) -> None:
    assert AuthenticatedClient(base_url=stub.base_url, region="eu-nl").base_url == stub.base_url
    env = {**ENV, "HUAWEICLOUD_SDK_REGION": "eu-nl", "PROCESSOR_TASKS_BASE_URL": stub.base_url}
    assert ProcessorTasks.from_env(env).client.base_url == stub.base_url
    assert ProcessorTasks.from_env(env, region="eu-de").client.base_url == stub.base_url
    assert ProcessorTasks.from_env(ENV, base_url=stub.base_url, region="eu-nl").client.base_url == stub.base_url


def test_region_argument_wins_over_the_environment() -> None:
    env = {**ENV, "HUAWEICLOUD_SDK_REGION": "eu-nl"}
    assert ProcessorTasks.from_env(env, region="eu-de").client.base_url == "https://modelarts.eu-de.otc.t-systems.com"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, r"give the client base_url or region= \(eu-de, eu-nl"),
        ({"region": "eu-xx"}, r"region 'eu-xx' is not one of .*eu-de, eu-nl"),
        ({"region": "EU-DE"}, r"region 'EU-DE' is not one of"),
        ({"base_url": "eu-nl"}, r"base_url must be an absolute http:// or https:// URL.*'eu-nl' is a region"),
        ({"base_url": "modelarts.eu-de.otc.t-systems.com"}, r"base_url must be an absolute"),
        ({"base_url": "ftp://host"}, r"base_url must be an absolute"),
        ({"base_url": "https://"}, r"base_url"),
        ({"base_url": "https://user:secret@host"}, r"base_url must not carry user information"),
    ],
)
def test_bad_endpoint_settings_are_refused_when_the_client_is_built(kwargs: dict[str, Any], message: str) -> None:
    for cls in (AuthenticatedClient, Client):
        with pytest.raises(ConfigurationError, match=message) as caught:
            cls(**kwargs)
        assert "secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"PROCESSOR_TASKS_BASE_URL": "eu-nl"},
            r"PROCESSOR_TASKS_BASE_URL must be .*'eu-nl' is a region.*HUAWEICLOUD_SDK_REGION",
        ),
        ({"HUAWEICLOUD_SDK_REGION": "mars-1"}, r"HUAWEICLOUD_SDK_REGION 'mars-1' is not one of"),
        ({}, r"PROCESSOR_TASKS_BASE_URL \(or HUAWEICLOUD_SDK_REGION\)"),
    ],
)
def test_from_env_refuses_a_bad_endpoint_before_any_call(stub: StubServer, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        ProcessorTasks.from_env({**ENV, **env})
    assert stub.seen == []


async def test_from_env_refuses_a_bad_base_url_in_async_code(stub: StubServer) -> None:
    # Before this check the first call failed with APIConnectionError ("missing an 'http://'
    # or 'https://' protocol"); now nothing is built, so nothing is sent.
    with pytest.raises(ConfigurationError, match="PROCESSOR_TASKS_BASE_URL"):
        async with ProcessorTasks.from_env({**ENV, "PROCESSOR_TASKS_BASE_URL": "eu-nl"}) as tasks:
            await tasks.alist_processor_tasks()
    assert stub.seen == []
