"""Retries and give-ups are logged, without secrets; the User-Agent names the client (issue 10 §5)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import traceback
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from processor_tasks_client import AkSkAuth, AuthenticatedClient, RetryPolicy, errors
from processor_tasks_client.api.processor_tasks import describe_processor_task, list_processor_tasks
from processor_tasks_client.client import USER_AGENT

from tests.client.stub_server import Answer, StubServer

pytestmark = pytest.mark.timeout(30)

MODES = ["sync", "async"]
LOGGER = "processor_tasks_client"
OK = Answer(body=json.dumps({"task_id": "t"}).encode())
FAST = RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.002)
SPEC = Path(__file__).resolve().parents[2] / "openapi" / "processor-tasks.yaml"


def busy(request_id: str = "req-busy") -> Answer:
    body = json.dumps({"error_code": "ModelArts.0000", "error_msg": "busy"}).encode()
    return Answer(status=503, body=body, headers={"Content-Type": "application/json", "X-Request-Id": request_id})


def describe(mode: str, **client_args: Any) -> Any:
    if mode == "sync":
        with AuthenticatedClient(**client_args) as client:
            return describe_processor_task.sync("p", "t", client=client)

    async def run() -> Any:
        async with AuthenticatedClient(**client_args) as client:
            return await describe_processor_task.asyncio("p", "t", client=client)

    return asyncio.run(run())


def ours(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER]


@pytest.mark.parametrize("mode", MODES)
def test_each_retry_is_logged_with_its_reason(stub: StubServer, caplog: pytest.LogCaptureFixture, mode: str) -> None:
    stub.reply(busy("req-1"), busy("req-2"), OK)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert describe(mode, base_url=stub.base_url, token="t", retry=FAST).task_id == "t"
    records = ours(caplog)
    assert [r.levelno for r in records] == [logging.INFO, logging.INFO]
    assert [(r.attempt, r.max_attempts, r.reason, r.status_code, r.request_id) for r in records] == [  # type: ignore[attr-defined]
        (1, 3, "status", 503, "req-1"),
        (2, 3, "status", 503, "req-2"),
    ]
    for record in records:
        wait = record.wait  # type: ignore[attr-defined]
        assert 0 <= wait <= 0.002
        message = record.getMessage()
        assert "GET /v2/p/processor-tasks/t" in message and "HTTP 503" in message and record.request_id in message  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", MODES)
def test_giving_up_is_logged(stub: StubServer, caplog: pytest.LogCaptureFixture, mode: str) -> None:
    stub.reply(busy())
    with caplog.at_level(logging.INFO, logger=LOGGER), pytest.raises(errors.ServerError):
        describe(mode, base_url=stub.base_url, token="t", retry=FAST)
    *retries, last = ours(caplog)
    assert len(retries) == 2 and last.levelno == logging.WARNING
    assert last.attempt == 3 and last.status_code == 503 and last.request_id == "req-busy"  # type: ignore[attr-defined]
    assert "giving up" in last.getMessage() and "all 3 attempts used" in last.getMessage()


@pytest.mark.parametrize("mode", MODES)
def test_giving_up_on_a_long_retry_after_is_logged(
    stub: StubServer, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    stub.reply(Answer(status=429, body=b"{}", headers={"Retry-After": "120", "X-Request-Id": "req-429"}))
    with caplog.at_level(logging.INFO, logger=LOGGER), pytest.raises(errors.RateLimitError):
        describe(mode, base_url=stub.base_url, token="t", retry=RetryPolicy(max_retry_after=10))
    [record] = ours(caplog)
    assert record.levelno == logging.WARNING and "max_retry_after" in record.getMessage()
    assert record.give_up.startswith("Retry-After 120 s") and record.request_id == "req-429"  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", MODES)
def test_transport_failures_and_timeouts_are_logged(
    stub: StubServer, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    slow = Answer(body=b'{"task_id": "t"}' + b" " * 1000, trickle=0.02)
    stub.reply(Answer(drop=True), slow, OK)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        describe(mode, base_url=stub.base_url, token="t", retry=FAST, attempt_timeout=0.3)
    dropped, timed_out = ours(caplog)
    assert dropped.reason == "transport error" and dropped.status_code is None  # type: ignore[attr-defined]
    assert dropped.error.startswith(("RemoteProtocolError", "ReadError", "ConnectError"))  # type: ignore[attr-defined]
    assert timed_out.reason == "timeout" and "attempt_timeout" in timed_out.error  # type: ignore[attr-defined]


def test_an_answer_that_is_not_retried_logs_nothing(stub: StubServer, caplog: pytest.LogCaptureFixture) -> None:
    stub.reply(Answer(status=404, body=b'{"error_code": "ModelArts.4700", "error_msg": "no"}'))
    with caplog.at_level(logging.DEBUG, logger=LOGGER), pytest.raises(errors.NotFoundError):
        describe("sync", base_url=stub.base_url, token="t", retry=FAST)
    assert ours(caplog) == []


@pytest.mark.parametrize("mode", MODES)
def test_logs_never_carry_a_secret(stub: StubServer, caplog: pytest.LogCaptureFixture, mode: str) -> None:
    """Token, SK, security token and signature stay out of every record, retries and give-ups included."""
    secrets = {"TOKEN-HIDDEN-1", "SK-HIDDEN-2", "STS-HIDDEN-3"}
    slow = Answer(body=b"{}" + b" " * 1000, trickle=0.02)
    with caplog.at_level(logging.DEBUG):
        for client_args in (
            {"token": "TOKEN-HIDDEN-1"},
            {"auth": AkSkAuth("AK-VISIBLE", "SK-HIDDEN-2", security_token="STS-HIDDEN-3")},
        ):
            stub.reply(busy(), Answer(drop=True), slow, busy())
            with pytest.raises(errors.ServerError):
                describe(
                    mode,
                    base_url=stub.base_url,
                    retry=RetryPolicy(max_attempts=4, backoff_base=0.001),
                    attempt_timeout=0.3,
                    **client_args,
                )
    signatures = {
        re.sub(r".*Signature=", "", s.headers["authorization"]) for s in stub.seen if "authorization" in s.headers
    }
    assert signatures and all(len(s) == 64 for s in signatures)  # the test saw real signatures
    assert len(ours(caplog)) == 8  # three retries and one give-up per client
    for record in caplog.records:
        shown = record.getMessage() + " " + " ".join(str(v) for v in vars(record).values())
        assert not (secrets | signatures) & set(re.split(r"[\s'\"(),=:]+", shown)), record.getMessage()
        assert "HIDDEN" not in shown


@pytest.mark.parametrize("mode", MODES)
def test_user_agent_names_client_version_and_httpx(stub: StubServer, mode: str) -> None:
    stub.reply(OK)
    describe(mode, base_url=stub.base_url, token="t")
    version = yaml.safe_load(SPEC.read_text())["info"]["version"]
    assert f"processor-tasks-client/{version} python-httpx/{httpx.__version__}" == USER_AGENT
    assert [v for k, v in stub.seen[0].raw_headers if k.lower() == "user-agent"] == [USER_AGENT]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["User-Agent", "user-agent"])
def test_user_agent_can_be_replaced(stub: StubServer, mode: str, name: str) -> None:
    stub.reply(OK)
    describe(mode, base_url=stub.base_url, token="t", headers={name: "billing-service/7"})
    assert [v for k, v in stub.seen[0].raw_headers if k.lower() == "user-agent"] == ["billing-service/7"]


def test_user_agent_survives_with_headers(stub: StubServer) -> None:
    stub.reply_json({"count": 0, "tasks": []})
    with AuthenticatedClient(base_url=stub.base_url, token="t").with_headers({"X-Trace": "1"}) as client:
        list_processor_tasks.sync("p", client=client)
    assert stub.seen[0].headers["user-agent"] == USER_AGENT and stub.seen[0].headers["x-trace"] == "1"


def shown(exc: BaseException) -> str:
    """Every rendering of an error and of the requests its chain keeps."""
    parts = ["".join(traceback.format_exception(exc))]
    seen: BaseException | None = exc
    while seen is not None:
        parts += [str(seen), repr(seen), repr(vars(seen))]
        request = getattr(seen, "_request", None)
        if isinstance(request, httpx.Request):
            parts += [repr(request.headers), str(dict(request.headers))]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("failure", ["too slow", "cut off"])
def test_errors_while_the_body_streams_in_carry_no_credential(stub: StubServer, mode: str, failure: str) -> None:
    """The attempt deadline and a cut-off body strike after the auth flow; the error still holds no secret."""
    answer = (
        Answer(body=b'{"task_id": "t"}' + b" " * 1000, trickle=0.02)
        if failure == "too slow"
        else Answer(body=b'{"task_id": ', truncate=True)
    )
    for client_args in (
        {"token": "TOKEN-HIDDEN-1"},
        {"auth": AkSkAuth("AK-VISIBLE", "SK-HIDDEN-2", security_token="STS-HIDDEN-3")},
    ):
        stub.reply(answer)
        with pytest.raises(errors.APIConnectionError) as caught:
            describe(mode, base_url=stub.base_url, retry=None, attempt_timeout=0.3, **client_args)
        assert "HIDDEN" not in shown(caught.value)
        assert "Signature=" not in shown(caught.value) and "TOKEN" not in shown(caught.value)
    assert "HIDDEN" in stub.seen[0].headers["x-auth-token"]  # the server did get the token
