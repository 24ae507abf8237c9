"""AK/SK signing is byte-identical to the provider's official SDK signer, and secrets stay secret."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from processor_tasks_client import AkSkAuth, AuthenticatedClient, Client, errors
from processor_tasks_client.api.processor_tasks import describe_processor_task, list_processor_tasks
from processor_tasks_client.auth import canonical_query, canonical_uri
from processor_tasks_client.models import TaskStatus

AK, SK = "AKEXAMPLE", "SKEXAMPLE"
DATE = "20240101T000000Z"


def capture(auth: AkSkAuth, call: Any, headers: dict[str, str] | None = None) -> httpx.Request:
    """Run `call(client)` against a MockTransport and return the request as sent."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"count": 0, "tasks": [], "task_id": "x"})

    client = Client(
        base_url="http://127.0.0.1:8080",
        auth=auth,
        headers={"X-Sdk-Date": DATE} if headers is None else headers,
        retry=None,
        httpx_args={"transport": httpx.MockTransport(handler)},
    )
    call(client)
    return sent[-1]


def sdk_authorization(request: httpx.Request, query: list[tuple[str, Any]], security_token: str | None = None) -> str:
    """What huaweicloudsdkcore's Signer puts in Authorization for the same request."""
    headers = {"Host": request.headers["host"], "X-Sdk-Date": request.headers["x-sdk-date"]}
    if security_token:
        headers["X-Security-Token"] = security_token
    sdk_request = SdkRequest(
        method="GET",
        schema="http",
        host=request.headers["host"],
        resource_path=request.url.raw_path.split(b"?")[0].decode(),
        query_params=query,
        header_params=headers,
        body="",
    )
    Signer(BasicCredentials(AK, SK)).sign(sdk_request)
    return str(sdk_request.header_params["Authorization"])


def test_the_shared_test_vector() -> None:
    request = capture(AkSkAuth(AK, SK), lambda c: list_processor_tasks.sync_detailed("PROJ", client=c))
    # Reduce to the vector's query: limit=10&offset=0 (the client sends its defaults too).
    vector = httpx.Request(
        "GET", "http://127.0.0.1:8080/v2/PROJ/processor-tasks?limit=10&offset=0", headers={"X-Sdk-Date": DATE}
    )
    AkSkAuth(AK, SK).sign(vector)
    assert vector.headers["Authorization"] == (
        "SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders=host;x-sdk-date, "
        "Signature=b3a5dfff1895ec390ce4e478c9e2363cc5e9ca818329d963faf44b21ad1d6a37"
    )
    assert request.headers["Authorization"].startswith(
        "SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders=host;x-sdk-date, "
    )


CASES: dict[str, dict[str, Any]] = {
    "defaults": {},
    "array": {"version_id": ["vB", "vA", "vC"]},  # one comma-joined value (explode: false)
    "booleans": {"query_current": True, "return_result": False},
    "spaces": {"task_name": "my task  name"},
    "slashes": {"source": "obs://bucket/dir/sub dir/"},
    "reserved": {"task_name": "a+b=c&d?e#f%g;h,i:j@k!l*m'n(o)p[q]r$s~t"},
    "non-ascii": {"task_name": "données-数据-ü ✓", "source": "/Ωbucket/é"},
    "everything": {
        "limit": 100,
        "offset": 7,
        "status": TaskStatus.FAILED,
        "version_id": ["z z", "a/b", "é"],
        "task_name": "x y/z",
        "workspace_id": "ws 1",
    },
}


def _sdk_query(request: httpx.Request) -> list[tuple[str, Any]]:
    """The query as the official SDK holds it: one tuple per key, lists for repeated keys."""
    grouped: dict[str, list[str]] = {}
    for key, value in request.url.params.multi_items():
        grouped.setdefault(key, []).append(value)
    return [(k, v if len(v) > 1 else v[0]) for k, v in grouped.items()]


@pytest.mark.parametrize("kwargs", CASES.values(), ids=CASES.keys())
def test_list_signatures_match_the_official_sdk(kwargs: dict[str, Any]) -> None:
    request = capture(AkSkAuth(AK, SK), lambda c: list_processor_tasks.sync_detailed("PROJ", client=c, **kwargs))
    assert request.headers["Authorization"] == sdk_authorization(request, _sdk_query(request))


def test_sdk_typed_values_give_the_same_signature() -> None:
    """The SDK signs Python booleans and ints; they canonicalise like the strings we send."""
    request = capture(
        AkSkAuth(AK, SK), lambda c: list_processor_tasks.sync_detailed("PROJ", client=c, query_current=True, limit=25)
    )
    typed = [
        (k, {"true": True, "false": False}.get(v, int(v) if v.isdigit() else v))
        for k, v in _sdk_query(request)
        if not isinstance(v, list)
    ]
    assert request.headers["Authorization"] == sdk_authorization(request, typed)


@pytest.mark.parametrize(
    "task_id", ["AcYfsdfhGyrWL5TtahH", "with space", "ü-é", "a~b.c_d-e", "a%41", "100%", "x%2Fy", "a/b"]
)
def test_path_signatures_match_the_official_sdk(task_id: str) -> None:
    request = capture(AkSkAuth(AK, SK), lambda c: describe_processor_task.sync_detailed("PROJ", task_id, client=c))
    assert request.headers["Authorization"] == sdk_authorization(request, [])


def test_security_token_is_sent_and_signed() -> None:
    request = capture(
        AkSkAuth(AK, SK, security_token="TEMP-TOKEN"),
        lambda c: describe_processor_task.sync_detailed("P", "t", client=c),
    )
    assert request.headers["X-Security-Token"] == "TEMP-TOKEN"
    assert "SignedHeaders=host;x-sdk-date;x-security-token," in request.headers["Authorization"]
    assert request.headers["Authorization"] == sdk_authorization(request, [], security_token="TEMP-TOKEN")


def test_existing_date_is_reused_otherwise_now() -> None:
    reused = capture(AkSkAuth(AK, SK), lambda c: describe_processor_task.sync_detailed("P", "t", client=c))
    assert reused.headers["X-Sdk-Date"] == DATE
    before = datetime.now(UTC).replace(microsecond=0)
    fresh = capture(AkSkAuth(AK, SK), lambda c: describe_processor_task.sync_detailed("P", "t", client=c), headers={})
    stamped = datetime.strptime(fresh.headers["X-Sdk-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert 0 <= (stamped - before).total_seconds() <= 5
    assert fresh.headers["Authorization"] == sdk_authorization(fresh, [])


def test_canonical_pieces() -> None:
    assert canonical_uri("/v2/p j/processor-tasks") == "/v2/p%20j/processor-tasks/"
    assert canonical_uri("/") == "/"
    assert canonical_query([("b", "2"), ("a", "y z"), ("a", "x/")]) == "a=x%2F&a=y%20z&b=2"


def test_secrets_never_shown(caplog: pytest.LogCaptureFixture) -> None:
    auth = AkSkAuth("AK-VISIBLE", "SK-HIDDEN-123", security_token="TOKEN-HIDDEN-456")
    assert "SK-HIDDEN-123" not in repr(auth) and "SK-HIDDEN-123" not in str(auth)
    assert "TOKEN-HIDDEN-456" not in repr(auth)
    signed = AuthenticatedClient(base_url="http://127.0.0.1:9", auth=auth)
    token_client = AuthenticatedClient(base_url="http://127.0.0.1:9", token="TOKEN-HIDDEN-789")
    for client in (signed, token_client):
        shown = (
            repr(client) + str(client) + repr(client.get_httpx_client().headers) + repr(client.get_httpx_client().auth)
        )
        assert not {"SK-HIDDEN-123", "TOKEN-HIDDEN-456", "TOKEN-HIDDEN-789"} & set(shown.replace("'", " ").split())
        assert "HIDDEN" not in shown
    with caplog.at_level(logging.DEBUG):
        capture(auth, lambda c: list_processor_tasks.sync_detailed("P", client=c))
        transport = httpx.MockTransport(lambda request: httpx.Response(404, json={"error_code": "E", "error_msg": "m"}))
        with (
            AuthenticatedClient(
                base_url="http://127.0.0.1:9", token="TOKEN-HIDDEN-789", retry=None, httpx_args={"transport": transport}
            ) as c,
            pytest.raises(errors.NotFoundError) as caught,
        ):
            describe_processor_task.sync("P", "t", client=c)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records, "httpx logs each request at DEBUG/INFO; the test must see some records"
    assert "HIDDEN" not in logged and "HIDDEN" not in str(caught.value) and "HIDDEN" not in repr(caught.value)


def test_token_and_auth_together_are_refused() -> None:
    with pytest.raises(errors.ConfigurationError):
        AuthenticatedClient(base_url="http://127.0.0.1:9", token="t", auth=AkSkAuth("A", "S"))


def test_from_env_reads_the_official_sdk_names() -> None:
    auth = AkSkAuth.from_env(
        {"HUAWEICLOUD_SDK_AK": "A", "HUAWEICLOUD_SDK_SK": "S", "HUAWEICLOUD_SDK_SECURITY_TOKEN": "T"}
    )
    assert auth.access_key == "A" and "security_token=***" in repr(auth)
    with pytest.raises(errors.ConfigurationError, match="HUAWEICLOUD_SDK_SK"):
        AkSkAuth.from_env({"HUAWEICLOUD_SDK_AK": "A"})
    with pytest.raises(errors.ConfigurationError):
        AkSkAuth("", "S")
