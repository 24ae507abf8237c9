"""Error answers, malformed answers and network faults all surface as the client's own
typed exceptions — never a bare KeyError, ValueError, TypeError or JSONDecodeError."""

from __future__ import annotations

import json
import socket

import pytest
from processor_tasks_client import AuthenticatedClient, errors
from processor_tasks_client.api.processor_tasks import describe_processor_task, list_processor_tasks
from processor_tasks_client.models import ErrorResponse

from tests.client.stub_server import Answer, StubServer


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, "ModelArts.0104", errors.BadRequestError),
        (400, "ModelArts.4700", errors.NotFoundError),
        (400, "ModelArts.4612", errors.NotFoundError),
        (401, "ModelArts.5002", errors.AuthenticationError),
        (403, "ModelArts.0112", errors.PermissionDeniedError),
        (404, "ModelArts.4700", errors.NotFoundError),
        (429, "ModelArts.0000", errors.RateLimitError),
        (500, "ModelArts.0001", errors.ServerError),
        (503, "ModelArts.0002", errors.ServerError),
        (418, "ModelArts.0003", errors.UnexpectedStatus),
    ],
)
def test_error_statuses_raise_typed_errors(
    stub: StubServer, client: AuthenticatedClient, status: int, code: str, expected: type[errors.APIStatusError]
) -> None:
    stub.reply_json({"error_code": code, "error_msg": "explained"}, status=status, **{"X-Request-Id": "rid-42"})
    with pytest.raises(expected) as caught:
        describe_processor_task.sync("proj", "t", client=client)
    error = caught.value
    assert isinstance(error, errors.APIStatusError) and isinstance(error, errors.ProcessorTasksError)
    assert (error.status_code, error.error_code, error.error_msg, error.request_id) == (
        status,
        code,
        "explained",
        "rid-42",
    )
    assert "rid-42" in str(error) and code in str(error)


def test_detailed_calls_return_the_response_with_the_error_body(stub: StubServer, client: AuthenticatedClient) -> None:
    stub.reply_json({"error_code": "ModelArts.5002", "error_msg": "bad token"}, status=401)
    response = list_processor_tasks.sync_detailed("proj", client=client)
    assert response.status_code == 401
    assert isinstance(response.parsed, ErrorResponse) and response.parsed.error_code == "ModelArts.5002"


def test_retry_after_is_exposed_on_rate_limit(stub: StubServer, client: AuthenticatedClient) -> None:
    stub.reply_json({"error_code": "ModelArts.0000", "error_msg": "slow down"}, status=429, **{"Retry-After": "7"})
    with pytest.raises(errors.RateLimitError) as caught:
        list_processor_tasks.sync("proj", client=client)
    assert caught.value.retry_after == 7.0


def test_error_page_that_is_not_json_keeps_status_and_text(stub: StubServer, client: AuthenticatedClient) -> None:
    stub.reply(Answer(status=401, body=b"<html>gateway says no</html>", headers={"Content-Type": "text/html"}))
    with pytest.raises(errors.AuthenticationError) as caught:
        list_processor_tasks.sync("proj", client=client)
    assert caught.value.error_code is None and "gateway says no" in (caught.value.error_msg or "")
    assert list_processor_tasks.sync_detailed("proj", client=client).parsed is None


@pytest.mark.parametrize("status", [499, 520, 299])
def test_non_standard_status_codes(stub: StubServer, client: AuthenticatedClient, status: int) -> None:
    stub.reply(Answer(status=status, body=b"odd"))
    response = describe_processor_task.sync_detailed("proj", "t", client=client)
    assert response.status_code == status and response.parsed is None and response.content == b"odd"
    with pytest.raises(errors.APIStatusError) as caught:
        describe_processor_task.sync("proj", "t", client=client)
    assert caught.value.status_code == status


def test_raise_on_unexpected_status(stub: StubServer) -> None:
    with AuthenticatedClient(base_url=stub.base_url, token="t", retry=None, raise_on_unexpected_status=True) as c:
        stub.reply(Answer(status=418, body=b"teapot"))
        with pytest.raises(errors.UnexpectedStatus):
            describe_processor_task.sync_detailed("proj", "t", client=c)
        stub.reply(Answer(status=500, body=b'{"error_code": "X.1", "error_msg": "boom"}'))
        with pytest.raises(errors.ServerError) as caught:
            describe_processor_task.sync_detailed("proj", "t", client=c)
        assert caught.value.error_code == "X.1"
        stub.reply(Answer(status=299, body=b"odd"))
        with pytest.raises(errors.UnexpectedStatus):
            describe_processor_task.sync_detailed("proj", "t", client=c)


def test_body_whose_content_encoding_cannot_be_undone(stub: StubServer, client: AuthenticatedClient) -> None:
    stub.reply(
        Answer(body=b"this is not gzip", headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    )
    with pytest.raises(errors.ResponseDecodeError, match="Content-Encoding cannot be undone") as caught:
        describe_processor_task.sync("proj", "t", client=client)
    assert caught.value.status_code == 200 and caught.value.content == b"this is not gzip"


def test_retry_after_as_http_date() -> None:
    error = errors.error_for_status(429, b"", {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert isinstance(error, errors.RateLimitError) and error.retry_after == 0.0
    unreadable = errors.error_for_status(429, b"", {"retry-after": "nan"})
    assert isinstance(unreadable, errors.RateLimitError) and unreadable.retry_after is None


MALFORMED = {
    "not-json": b"<html>oops</html>",
    "truncated-json": b'{"count": 1, "tasks": [',
    "empty-body": b"",
    "top-level-list": b"[]",
    "top-level-string": b'"tasks"',
    "tasks-not-a-list": json.dumps({"count": 1, "tasks": {"task_id": "a"}}).encode(),
    "task-not-an-object": json.dumps({"count": 1, "tasks": ["a"]}).encode(),
    "missing-task-id": json.dumps({"count": 1, "tasks": [{"name": "x"}]}).encode(),
    "missing-count": json.dumps({"tasks": []}).encode(),
    "task-id-not-a-string": json.dumps({"count": 1, "tasks": [{"task_id": 7}]}).encode(),
    "count-not-an-integer": json.dumps({"count": "1", "tasks": []}).encode(),
    "count-is-a-boolean": json.dumps({"count": True, "tasks": []}).encode(),
    "name-not-a-string": json.dumps({"count": 1, "tasks": [{"task_id": "a", "name": 5}]}).encode(),
    "status-not-an-integer": json.dumps({"count": 1, "tasks": [{"task_id": "a", "status": "2"}]}).encode(),
    "status-is-a-boolean": json.dumps({"count": 1, "tasks": [{"task_id": "a", "status": True}]}).encode(),
    "is-current-not-a-boolean": json.dumps({"count": 1, "tasks": [{"task_id": "a", "is_current": "yes"}]}).encode(),
    "template-not-an-object": json.dumps({"count": 1, "tasks": [{"task_id": "a", "template": "x"}]}).encode(),
    "inputs-not-a-list": json.dumps({"count": 1, "tasks": [{"task_id": "a", "inputs": {"type": "OBS"}}]}).encode(),
    "operator-params-wrong": json.dumps(
        {"count": 1, "tasks": [{"task_id": "a", "template": {"operator_params": [3]}}]}
    ).encode(),
    "params-not-an-object": json.dumps(
        {"count": 1, "tasks": [{"task_id": "a", "template": {"operator_params": [{"params": [1]}]}}]}
    ).encode(),
    "nested-too-deep": b"[" * 100_000,
    "object-nested-too-deep": b'{"count": 1, "tasks": ' + b"[" * 100_000,
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_success_answers_raise_response_decode_error(
    stub: StubServer, client: AuthenticatedClient, body: bytes
) -> None:
    stub.reply(Answer(status=200, body=body, headers={"Content-Type": "application/json", "X-Request-Id": "rid-7"}))
    for call in (
        lambda: list_processor_tasks.sync("proj", client=client),
        lambda: list_processor_tasks.sync_detailed("proj", client=client),
    ):
        with pytest.raises(errors.ResponseDecodeError) as caught:
            call()
        assert caught.value.content == body and caught.value.status_code == 200 and caught.value.request_id == "rid-7"
        assert caught.value.reason


def test_decode_error_names_the_field(stub: StubServer, client: AuthenticatedClient) -> None:
    stub.reply(Answer(body=MALFORMED["name-not-a-string"]))
    with pytest.raises(errors.ResponseDecodeError, match="name"):
        list_processor_tasks.sync("proj", client=client)
    stub.reply(Answer(body=MALFORMED["missing-task-id"]))
    with pytest.raises(errors.ResponseDecodeError, match="missing required field 'task_id'"):
        list_processor_tasks.sync("proj", client=client)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connection_refused_is_a_connection_error() -> None:
    with (
        AuthenticatedClient(base_url=f"http://127.0.0.1:{_closed_port()}", token="t", retry=None) as c,
        pytest.raises(errors.APIConnectionError) as caught,
    ):
        list_processor_tasks.sync("proj", client=c)
    assert not isinstance(caught.value, errors.APITimeoutError)


def test_dropped_connection_is_a_connection_error(stub: StubServer, client: AuthenticatedClient) -> None:
    stub.reply(Answer(drop=True))
    with pytest.raises(errors.APIConnectionError):
        list_processor_tasks.sync("proj", client=client)


def test_slow_answer_is_a_timeout_error(stub: StubServer) -> None:
    import httpx

    stub.reply(Answer(delay=0.5, body=b'{"task_id": "t"}'))
    with (
        AuthenticatedClient(base_url=stub.base_url, token="t", retry=None, timeout=httpx.Timeout(0.1)) as c,
        pytest.raises(errors.APITimeoutError),
    ):
        describe_processor_task.sync("proj", "t", client=c)


async def test_async_calls_raise_the_same_errors(stub: StubServer) -> None:
    stub.reply_json({"error_code": "ModelArts.4700", "error_msg": "gone"}, status=404)
    async with AuthenticatedClient(base_url=stub.base_url, token="t", retry=None) as c:
        with pytest.raises(errors.NotFoundError):
            await describe_processor_task.asyncio("proj", "t", client=c)
        stub.reply(Answer(body=b"not json"))
        with pytest.raises(errors.ResponseDecodeError):
            await describe_processor_task.asyncio_detailed("proj", "t", client=c)
    async with AuthenticatedClient(base_url=f"http://127.0.0.1:{_closed_port()}", token="t", retry=None) as c:
        with pytest.raises(errors.APIConnectionError):
            await list_processor_tasks.asyncio("proj", client=c)
