"""Every list semantic the spec states, checked twice: the spec says it, and the mock does it.

Each test first finds the statement in the description of the parameter, field or operation
it belongs to (so deleting the sentence from the spec fails the test), then sends requests to
the mock in-process, over a small store built for the purpose, and checks the answers.
schemathesis (test_contract.py) checks shapes; these check meaning.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from processor_tasks_mock.app import MockServer, create_app
from processor_tasks_mock.seed import generate_tasks
from processor_tasks_mock.settings import Settings
from processor_tasks_mock.spec import Spec, load_spec
from processor_tasks_mock.store import TaskStore

from tests.contract.support import MOCK_AK, MOCK_PROJECT, MOCK_SK, MOCK_TOKEN, SPEC_PATH

LIST_PATH = "/v2/{project_id}/processor-tasks"
DESCRIBE_PATH = "/v2/{project_id}/processor-tasks/{task_id}"
LIST = f"/v2/{MOCK_PROJECT}/processor-tasks"
TOKEN = {"X-Auth-Token": MOCK_TOKEN}

PRECOMPOSED = "Caf\u00e9"  # é as one code point
DECOMPOSED = "Cafe\u0301"  # e + combining acute accent


def _task(task_id: str, **fields: Any) -> dict[str, Any]:
    return {"task_id": task_id, "create_time": 1_600_000_000_000, **fields}


TASKS: list[dict[str, Any]] = [
    _task("t01", name="alpha", workspace_id="0", version_id="v1", data_source={"type": "OBS", "source": "/b/raw/"}),
    _task("t02", name="Zeta", workspace_id="0", version_id="v2", inputs=[{"type": "OBS", "source": "/b/raw"}]),
    _task("t03", name="\u00e9clair", version_id="v3", inputs=[{"type": "CUSTOM", "source": ""}]),  # no workspace
    _task("t04", name="Beta", workspace_id=None, data_source={"type": "DATASET", "source": "ds-1"}),  # null
    _task("t05", name=PRECOMPOSED, workspace_id="0", data_source={"type": "OBS", "source": "/B/raw/"}),
    _task("t06", name=DECOMPOSED, workspace_id="0"),
    _task("t07", name="Stra\u00dfe", workspace_id="0"),
    _task("t08", workspace_id="0"),  # no name
    _task("t09", name="hidden", workspace_id="ws-elsewhere", version_id="v1"),
    _task("t10", name="v-comma", workspace_id="0", version_id="a,b"),
]
DEFAULT_WORKSPACE = {"t01", "t02", "t03", "t04", "t05", "t06", "t07", "t08", "t10"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: Spec = load_spec(SPEC_PATH)
    return loaded.document


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings()
    app = MockServer(settings, load_spec(settings.spec_path), TaskStore.single(MOCK_PROJECT, TASKS))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def param_text(spec: dict[str, Any], name: str) -> str:
    for param in spec["paths"][LIST_PATH]["get"]["parameters"]:
        if param.get("name") == name:
            return _flat(param["description"])
    raise AssertionError(f"no list parameter {name}")


def list_text(spec: dict[str, Any]) -> str:
    return _flat(spec["paths"][LIST_PATH]["get"]["description"])


async def ids(client: httpx.AsyncClient, query: str) -> list[str]:
    answer = await client.get(f"{LIST}?limit=100&{query}", headers=TOKEN)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["count"] == len(body["tasks"])
    return [t["task_id"] for t in body["tasks"]]


async def status_and_code(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> tuple[int, str | None]:
    answer = await client.get(httpx.URL("http://testserver" + url), headers=headers)
    return answer.status_code, answer.json().get("error_code") if answer.status_code != 200 else None


# --- name sort ------------------------------------------------------------------------------


async def test_name_sort_is_code_point_order(spec: dict[str, Any], client: httpx.AsyncClient) -> None:
    text = param_text(spec, "sort_by")
    assert "sorts by Unicode code point" in text and "`Zeta` before `alpha`" in text
    found = await ids(client, "sort_by=name&order=asc")
    names = {t["task_id"]: t.get("name") for t in TASKS}
    named = [name for i in found if isinstance(name := names[i], str)]
    assert named == sorted(named)  # Python compares str by code point
    assert found.index("t02") < found.index("t01") < found.index("t03")  # Zeta < alpha < éclair
    assert found[0] == "t08"  # no name: first in ascending order


# --- empty values ---------------------------------------------------------------------------


async def test_empty_values_are_literal(spec: dict[str, Any], client: httpx.AsyncClient) -> None:
    text = list_text(spec)
    assert "An empty value is taken literally" in text
    assert "`task_name=` matches every task that has a name" in text
    assert "`version_id=` is the empty list and matches no task" in text
    assert "`workspace_id=` names a workspace that holds no task" in text
    assert set(await ids(client, "task_name=")) == DEFAULT_WORKSPACE - {"t08"}
    assert await ids(client, "version_id=") == []
    assert await ids(client, "workspace_id=") == []
    assert set(await ids(client, "source=")) == {"t03"}  # the CUSTOM entry with an empty source
    for name in ("status", "limit", "query_current", "sort_by", "source_type"):
        assert (await client.get(f"{LIST}?{name}=", headers=TOKEN)).status_code == 400, name


# --- task_name text ----------------------------------------------------------------------------


async def test_task_name_uses_canonical_caseless_matching(spec: dict[str, Any], client: httpx.AsyncClient) -> None:
    text = param_text(spec, "task_name")
    assert "canonical caseless matching" in text and "precomposed" in text and "decomposed" in text
    assert unicodedata.normalize("NFC", DECOMPOSED) == PRECOMPOSED  # the fixture means what it says
    for query in (PRECOMPOSED, DECOMPOSED, PRECOMPOSED.upper(), "caf\u00c9"):
        assert set(await ids(client, httpx.QueryParams({"task_name": query}).__str__())) == {"t05", "t06"}, query
    assert await ids(client, "task_name=STRASSE") == ["t07"]  # ß folds to ss
    assert await ids(client, "task_name=%25") == []  # literal, no wildcards


# --- integer syntax ------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "status"), [("05", 200), ("5", 200), ("+5", 400), ("%205", 400), ("5.0", 400)])
async def test_integer_syntax(spec: dict[str, Any], client: httpx.AsyncClient, value: str, status: int) -> None:
    text = list_text(spec)
    assert "Leading zeros are allowed (`limit=05` is 5)" in text and "a `+` sign" in text
    answer = await client.get(httpx.URL(f"http://testserver{LIST}?limit={value}"), headers=TOKEN)
    assert answer.status_code == status, answer.text
    if status == 200:
        assert len(answer.json()["tasks"]) == 5


# --- workspaces ------------------------------------------------------------------------------------


async def test_missing_or_null_workspace_is_workspace_0(spec: dict[str, Any], client: httpx.AsyncClient) -> None:
    assert "missing or `null` is in workspace `0`" in param_text(spec, "workspace_id")
    field = spec["components"]["schemas"]["DescribeProcessorTaskResp"]["properties"]["workspace_id"]
    assert "missing or `null` is in workspace `0`" in _flat(field["description"])
    default = set(await ids(client, ""))
    assert {"t03", "t04"} <= default and set(await ids(client, "workspace_id=0")) == default == DEFAULT_WORKSPACE
    assert await ids(client, "workspace_id=ws-elsewhere") == ["t09"]


async def test_describe_finds_a_task_in_any_workspace(spec: dict[str, Any], client: httpx.AsyncClient) -> None:
    assert "Finds the task in any workspace" in _flat(spec["paths"][DESCRIBE_PATH]["get"]["description"])
    assert "a list call sees one workspace only" in param_text(spec, "workspace_id")
    assert "t09" not in await ids(client, "")
    answer = await client.get(f"{LIST}/t09", headers=TOKEN)
    assert answer.status_code == 200 and answer.json()["workspace_id"] == "ws-elsewhere"


# --- source / source_type ---------------------------------------------------------------------------


async def test_source_matching_is_exact(spec: dict[str, Any], client: httpx.AsyncClient) -> None:
    assert "OBS paths are not normalised" in param_text(spec, "source")
    assert "`obs` is a 400" in param_text(spec, "source_type")
    assert await ids(client, "source=/b/raw/") == ["t01"]  # not /b/raw (no trailing slash), not /B/raw/
    assert await ids(client, "source=/b/raw") == ["t02"]
    assert await ids(client, "source=/B/raw/") == ["t05"]
    assert set(await ids(client, "source_type=OBS")) == {"t01", "t02", "t05"}
    assert (await client.get(f"{LIST}?source_type=obs", headers=TOKEN)).status_code == 400


# --- version_id on the wire --------------------------------------------------------------------------


async def test_version_id_is_one_comma_joined_value(spec: dict[str, Any], client: httpx.AsyncClient) -> None:
    param = next(p for p in spec["paths"][LIST_PATH]["get"]["parameters"] if p.get("name") == "version_id")
    assert (param["style"], param["explode"]) == ("form", False)
    text = param_text(spec, "version_id")
    assert "one comma-joined value" in text and "Repeating the key" in text and "is a 400" in text
    assert set(await ids(client, "version_id=v1,v2")) == {"t01", "t02"}
    assert set(await ids(client, "version_id=v2%2Cv3")) == {"t02", "t03"}
    assert await ids(client, "version_id=a,b") == []  # split at every comma: t10's "a,b" is unreachable
    answer = await client.get(f"{LIST}?version_id=v1&version_id=v2", headers=TOKEN)
    assert answer.status_code == 400 and "version_id" in answer.json()["error_msg"]


# --- precedence -------------------------------------------------------------------------------------------


def _signed(path: str, query: list[tuple[str, Any]], sk: str = MOCK_SK) -> tuple[str, dict[str, str]]:
    request = SdkRequest(
        method="GET",
        schema="http",
        host="testserver",
        resource_path=path,
        query_params=query,
        header_params={"X-Sdk-Date": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")},
        body="",
    )
    Signer(BasicCredentials(MOCK_AK, sk)).sign(request)
    return request.uri, dict(request.header_params)


async def test_order_of_checks(spec: dict[str, Any], client: httpx.AsyncClient) -> None:
    text = _flat(spec["info"]["description"])
    assert "first of: 401" in text and "then 400 (a parameter), then 404" in text
    bad = {"X-Auth-Token": "nope"}
    foreign = "/v2/other-project/processor-tasks"
    assert await status_and_code(client, f"{foreign}?limit=0", bad) == (401, "ModelArts.5002")
    assert await status_and_code(client, f"{foreign}/none", bad) == (401, "ModelArts.5002")
    assert await status_and_code(client, f"{foreign}?limit=0", TOKEN) == (404, "ModelArts.2786")
    assert await status_and_code(client, f"{foreign}/none", TOKEN) == (404, "ModelArts.2786")
    assert await status_and_code(client, f"{LIST}?limit=0", TOKEN) == (400, "ModelArts.0104")
    # Describe's only parameters are in the path, so a 400 and a missing task never meet there;
    # undeclared query parameters are ignored rather than refused.
    assert await status_and_code(client, f"{LIST}/none?limit=0", TOKEN) == (404, "ModelArts.4700")


async def test_a_token_decides_alone(spec: dict[str, Any], client: httpx.AsyncClient) -> None:
    assert "judged by the token alone" in _flat(spec["info"]["description"])
    uri, good_signature = _signed(LIST, [("limit", 1)])
    _, bad_signature = _signed(LIST, [("limit", 1)], sk="WRONG")
    assert await status_and_code(client, uri, good_signature) == (200, None)
    assert await status_and_code(client, uri, bad_signature) == (401, "ModelArts.5002")
    # A valid token carries a request whose signature is wrong; an invalid one sinks a good signature.
    assert await status_and_code(client, uri, {**bad_signature, **TOKEN}) == (200, None)
    assert await status_and_code(client, uri, {**good_signature, "X-Auth-Token": "nope"}) == (401, "ModelArts.5002")


# --- the seeded data ----------------------------------------------------------------------------------------


async def test_every_seeded_task_is_in_a_workspace_the_spec_names(spec: dict[str, Any]) -> None:
    mock = next(s for s in spec["servers"] if s["url"].startswith("http://127.0.0.1"))
    named = re.findall(r"`([^`]+)`", _flat(mock["description"]))
    workspaces = [w for w in named if w not in ("make mock", MOCK_PROJECT)]
    assert "0" in workspaces and len(workspaces) >= 2
    settings = Settings()
    seeded = generate_tasks(settings.seed, settings.task_count)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings)), base_url="http://testserver"
    ) as c:
        total = 0
        for workspace in workspaces:
            answer = await c.get(LIST, params={"workspace_id": workspace, "limit": 1}, headers=TOKEN)
            assert answer.status_code == 200
            assert answer.json()["count"] > 0, f"the spec names workspace {workspace!r}, which holds nothing"
            total += answer.json()["count"]
    assert total == len(seeded), "some seeded tasks sit in a workspace the spec does not name"
