"""Error classification by status *and* code, as the provider's error-code appendix requires.

The appendix files ModelArts.4700 under 400 (task does not exist) and under 503 (gateway
unavailable), and ModelArts.2786 (credentials of another project) under 404. These tests pin
what the client makes of each pair, and that an answer without ``X-Request-Id`` (which the
spec makes optional) loses nothing.
"""

from __future__ import annotations

import json

import pytest
from processor_tasks_client import AuthenticatedClient, RetryPolicy, errors
from processor_tasks_client.api.processor_tasks import describe_processor_task, list_processor_tasks

from tests.client.stub_server import Answer, StubServer

NO_REQUEST_ID = {"Content-Type": "application/json"}


def error_answer(status: int, code: str, *, request_id: bool = True) -> Answer:
    headers = {**NO_REQUEST_ID, **({"X-Request-Id": "rid-7"} if request_id else {})}
    return Answer(status=status, body=json.dumps({"error_code": code, "error_msg": "m"}).encode(), headers=headers)


@pytest.mark.parametrize(
    ("status", "code", "expected", "not_expected"),
    [
        # Task not found: status 400 or 404 together with code 4700 or 4612.
        (400, "ModelArts.4700", errors.TaskNotFoundError, errors.BadRequestError),
        (400, "ModelArts.4612", errors.TaskNotFoundError, errors.BadRequestError),
        (404, "ModelArts.4700", errors.TaskNotFoundError, errors.ProjectMismatchError),
        (404, "ModelArts.4612", errors.TaskNotFoundError, errors.ProjectMismatchError),
        # The same code under 503 is the gateway, not a missing task.
        (503, "ModelArts.4700", errors.ServerError, errors.NotFoundError),
        # Other 404 codes are "not found", but not a missing task.
        (404, "ModelArts.6650", errors.NotFoundError, errors.TaskNotFoundError),
        (404, "ModelArts.4204", errors.NotFoundError, errors.TaskNotFoundError),
        (404, "ModelArts.2836", errors.NotFoundError, errors.TaskNotFoundError),
        # Credentials of another project: never read as not found.
        (404, "ModelArts.2786", errors.ProjectMismatchError, errors.NotFoundError),
        (403, "ModelArts.0210", errors.ProjectMismatchError, errors.NotFoundError),
        # A code filed under two statuses keeps the status's meaning.
        (401, "ModelArts.0112", errors.AuthenticationError, errors.PermissionDeniedError),
        (403, "ModelArts.0112", errors.PermissionDeniedError, errors.ProjectMismatchError),
        (400, "ModelArts.0104", errors.BadRequestError, errors.NotFoundError),
    ],
)
def test_status_and_code_decide_together(
    stub: StubServer,
    client: AuthenticatedClient,
    status: int,
    code: str,
    expected: type[errors.APIStatusError],
    not_expected: type[errors.APIStatusError],
) -> None:
    stub.reply(error_answer(status, code))
    with pytest.raises(errors.APIStatusError) as caught:
        describe_processor_task.sync("proj", "t", client=client)
    assert isinstance(caught.value, expected), type(caught.value)
    assert not isinstance(caught.value, not_expected)
    assert (caught.value.status_code, caught.value.error_code) == (status, code)


def test_project_mismatch_says_what_to_check(stub: StubServer, client: AuthenticatedClient) -> None:
    stub.reply(error_answer(404, "ModelArts.2786"))
    with pytest.raises(errors.PermissionDeniedError) as caught:
        list_processor_tasks.sync("proj", client=client)
    message = str(caught.value)
    assert "ModelArts.2786" in message and "another project" in message and "rid-7" in message


def test_503_with_4700_is_retried_not_read_as_not_found(stub: StubServer, fast_retry: RetryPolicy) -> None:
    ok = Answer(body=json.dumps({"task_id": "t"}).encode())
    stub.reply(error_answer(503, "ModelArts.4700"), ok)
    with AuthenticatedClient(base_url=stub.base_url, token="t", retry=fast_retry) as c:
        assert describe_processor_task.sync("p", "t", client=c).task_id == "t"
    assert len(stub.seen) == 2


def test_400_with_4700_is_not_retried(stub: StubServer, fast_retry: RetryPolicy) -> None:
    stub.reply(error_answer(400, "ModelArts.4700"), Answer(body=b'{"task_id": "t"}'))
    with (
        AuthenticatedClient(base_url=stub.base_url, token="t", retry=fast_retry) as c,
        pytest.raises(errors.TaskNotFoundError),
    ):
        describe_processor_task.sync("p", "t", client=c)
    assert len(stub.seen) == 1


# --- X-Request-Id is optional ----------------------------------------------------------------


def test_success_without_request_id(stub: StubServer, client: AuthenticatedClient) -> None:
    stub.reply(Answer(body=b'{"count": 0, "tasks": []}', headers=NO_REQUEST_ID))
    assert list_processor_tasks.sync("proj", client=client).count == 0
    detailed = list_processor_tasks.sync_detailed("proj", client=client)
    assert detailed.status_code == 200 and "x-request-id" not in detailed.headers


def test_error_without_request_id(stub: StubServer, client: AuthenticatedClient) -> None:
    stub.reply(error_answer(400, "ModelArts.0104", request_id=False))
    with pytest.raises(errors.BadRequestError) as caught:
        list_processor_tasks.sync("proj", client=client)
    assert caught.value.request_id is None
    assert "[request" not in str(caught.value) and "ModelArts.0104" in str(caught.value)


def test_undecodable_answer_without_request_id(stub: StubServer, client: AuthenticatedClient) -> None:
    stub.reply(Answer(body=b'{"count": "x"}', headers=NO_REQUEST_ID))
    with pytest.raises(errors.ResponseDecodeError) as caught:
        list_processor_tasks.sync("proj", client=client)
    assert caught.value.request_id is None and caught.value.content == b'{"count": "x"}'
