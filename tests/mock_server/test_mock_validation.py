"""Invalid parameters answer 400 ModelArts.0104 naming the parameter; junk never yields a 500."""

from __future__ import annotations

import random
import string

import httpx
import pytest
from mock_helpers import LIST, TOKEN

INVALID = [
    ("limit=0", "limit"),
    ("limit=101", "limit"),
    ("limit=-1", "limit"),
    ("limit=1.5", "limit"),
    ("limit=", "limit"),
    ("limit=ten", "limit"),
    ("limit=%2B5", "limit"),
    ("limit=%205", "limit"),
    ("limit=1&limit=2", "limit"),
    ("offset=abc", "offset"),
    ("offset=-1", "offset"),
    ("offset=2147483648", "offset"),
    ("offset=99999999999999999999999", "offset"),
    ("offset=" + "9" * 5000, "offset"),  # past Python's int() digit limit: once a 500
    ("limit=-" + "1" * 5000, "limit"),
    ("status=9", "status"),
    ("status=-1", "status"),
    ("status=", "status"),
    ("status=running", "status"),
    ("order=up", "order"),
    ("order=ASC", "order"),
    ("order=asc&order=desc", "order"),
    ("sort_by=status", "sort_by"),
    ("sort_by=", "sort_by"),
    ("task_type=sys_data_unknown", "task_type"),
    ("source_type=S3", "source_type"),
    ("source_type=obs", "source_type"),
    ("query_current=yes", "query_current"),
    ("query_current=1", "query_current"),
    ("query_current=True", "query_current"),
    ("return_result=", "return_result"),
    ("return_result=false&return_result=true", "return_result"),
    ("task_name=a&task_name=b", "task_name"),
    ("workspace_id=0&workspace_id=1", "workspace_id"),
    ("source=a&source=b", "source"),
    # explode: false -- the list travels in one comma-joined value, never as a repeated key.
    ("version_id=a&version_id=b", "version_id"),
    ("version_id=a&version_id=a", "version_id"),
]


@pytest.mark.parametrize(("query", "parameter"), INVALID)
async def test_invalid_parameter_is_400_naming_it(client: httpx.AsyncClient, query: str, parameter: str) -> None:
    answer = await client.get(f"{LIST}?{query}", headers=TOKEN)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-request-id"]
    body = answer.json()
    assert body["error_code"] == "ModelArts.0104"
    assert f" {parameter}:" in body["error_msg"]


@pytest.mark.parametrize(
    "query",
    [
        "limit=1",
        "limit=100",
        "offset=2147483647",
        "status=0&status_extra=9",
        "unknown=1&unknown=2",
        "version_id=a,a",
        "version_id=a%2Cb",
        "version_id=",
        "task_name=%25",
        "workspace_id=",
        "sort_by=name&order=asc",
        "query_current=false&return_result=true",
    ],
)
async def test_valid_edge_values_are_accepted(client: httpx.AsyncClient, query: str) -> None:
    answer = await client.get(f"{LIST}?{query}", headers=TOKEN)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", LIST, 405),
        ("PUT", LIST + "/x", 405),
        ("DELETE", LIST + "/x", 405),
        ("PATCH", LIST, 405),
        ("HEAD", LIST, 405),
        ("OPTIONS", LIST, 405),
        ("GET", "/", 404),
        ("GET", "/v2/mock-project/processor-tasks/", 404),
        ("GET", "/v2/mock-project/processor-tasks/a/b", 404),
        ("GET", "/v2//processor-tasks", 404),
        ("GET", "/v1/mock-project/processor-tasks", 404),
        ("POST", "/nowhere", 404),
    ],
)
async def test_other_methods_and_paths(client: httpx.AsyncClient, method: str, path: str, status: int) -> None:
    answer = await client.request(method, path, headers=TOKEN)
    assert answer.status_code == status
    assert answer.headers["x-request-id"]
    assert answer.headers["content-type"] == "application/json"
    if status == 405:
        assert answer.headers["allow"] == "GET"
    if method != "HEAD":
        assert set(answer.json()) == {"error_code", "error_msg"}


async def test_spec_is_served_without_auth(client: httpx.AsyncClient) -> None:
    as_json = await client.get("/openapi.json")
    assert as_json.status_code == 200 and as_json.json()["openapi"].startswith("3.1")
    as_yaml = await client.get("/openapi.yaml")
    assert as_yaml.status_code == 200 and "ListProcessorTasks" in as_yaml.text


async def test_request_ids_are_fresh(client: httpx.AsyncClient) -> None:
    ids = {(await client.get(LIST, headers=TOKEN)).headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


def _junk(rng: random.Random) -> str:
    pieces = [
        "%",
        "%ZZ",
        "%00",
        "%C3",
        "%FF%FE",
        "&&",
        "==",
        "+",
        "\u00e9",
        "名",
        "%F0%9F%98%80",
        ";",
        "\\",
        "[]",
        "{}",
        "..",
        "/",
        "-1",
        "1e9",
        "NaN",
        "null",
        "true",
        "9" * 30,
        "9" * 4400,
    ]
    return "".join(rng.choice(pieces + list(string.ascii_letters)) for _ in range(rng.randint(0, 6)))


async def test_junk_never_yields_a_500(client: httpx.AsyncClient) -> None:
    rng = random.Random(3)
    names = [
        "limit",
        "offset",
        "order",
        "sort_by",
        "status",
        "task_type",
        "source_type",
        "source",
        "task_name",
        "version_id",
        "workspace_id",
        "query_current",
        "return_result",
        "junk",
    ]
    headers_choices = [
        TOKEN,
        {},
        {"X-Auth-Token": _junk(rng)},
        {"Authorization": "SDK-HMAC-SHA256 Access=MOCKAK, SignedHeaders=host;x-sdk-date, Signature=00"},
        {
            "Authorization": "SDK-HMAC-SHA256 Access=MOCKAK, SignedHeaders=host;x-sdk-date;nope, Signature=ab",
            "X-Sdk-Date": "20240101T000000Z",
        },
        {
            "Authorization": "SDK-HMAC-SHA256 Access=MOCKAK, SignedHeaders=x-sdk-date, Signature=ab",
            "X-Sdk-Date": "99999999T999999Z",
        },
    ]
    for _ in range(400):
        query = "&".join(
            f"{rng.choice(names) if rng.random() < 0.8 else _junk(rng)}={_junk(rng)}" for _ in range(rng.randint(0, 5))
        )
        path = rng.choice([LIST, f"{LIST}/{_junk(rng) or 'x'}", f"/v2/{_junk(rng) or 'p'}/processor-tasks"])
        answer = await client.get(
            httpx.URL("http://testserver" + path.replace(" ", "%20") + "?" + query), headers=rng.choice(headers_choices)
        )
        assert answer.status_code < 500, (path, query, answer.text)
        assert answer.headers["x-request-id"]
        if answer.status_code != 200:
            assert set(answer.json()) == {"error_code", "error_msg"}
