"""Retries: what is retried, how long it waits, and that it stops."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from processor_tasks_client import AuthenticatedClient, RetryPolicy, errors
from processor_tasks_client.api.processor_tasks import describe_processor_task
from processor_tasks_client.retry import send_with_retries

from tests.client.stub_server import Answer, StubServer

OK = Answer(body=json.dumps({"task_id": "t"}).encode())


def err(status: int, **headers: str) -> Answer:
    body = json.dumps({"error_code": "ModelArts.0000", "error_msg": "busy"}).encode()
    return Answer(status=status, body=body, headers={"Content-Type": "application/json", **headers})


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retried_statuses_then_success(stub: StubServer, fast_retry: RetryPolicy, status: int) -> None:
    stub.reply(err(status), err(status), OK)
    with AuthenticatedClient(base_url=stub.base_url, token="t", retry=fast_retry) as c:
        assert describe_processor_task.sync("p", "t", client=c).task_id == "t"
    assert len(stub.seen) == 3


def test_dropped_connection_is_retried(stub: StubServer, fast_retry: RetryPolicy) -> None:
    stub.reply(Answer(drop=True), OK)
    with AuthenticatedClient(base_url=stub.base_url, token="t", retry=fast_retry) as c:
        assert describe_processor_task.sync("p", "t", client=c).task_id == "t"
    assert len(stub.seen) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 500])
def test_other_statuses_are_not_retried(stub: StubServer, fast_retry: RetryPolicy, status: int) -> None:
    stub.reply(err(status), OK)
    with (
        AuthenticatedClient(base_url=stub.base_url, token="t", retry=fast_retry) as c,
        pytest.raises(errors.APIStatusError),
    ):
        describe_processor_task.sync("p", "t", client=c)
    assert len(stub.seen) == 1


def test_attempts_are_bounded(stub: StubServer, fast_retry: RetryPolicy) -> None:
    stub.reply(err(503))
    with (
        AuthenticatedClient(base_url=stub.base_url, token="t", retry=fast_retry) as c,
        pytest.raises(errors.ServerError),
    ):
        describe_processor_task.sync("p", "t", client=c)
    assert len(stub.seen) == fast_retry.max_attempts


def test_retries_switched_off(stub: StubServer) -> None:
    stub.reply(err(503), OK)
    with AuthenticatedClient(base_url=stub.base_url, token="t", retry=None) as c, pytest.raises(errors.ServerError):
        describe_processor_task.sync("p", "t", client=c)
    assert len(stub.seen) == 1


def _scripted(
    statuses: list[int], headers: dict[str, str] | None = None
) -> tuple[Callable[[], httpx.Response], list[int]]:
    """An attempt function answering the given statuses in turn (the last one repeats)."""
    seen: list[int] = []

    def attempt() -> httpx.Response:
        status = statuses[min(len(seen), len(statuses) - 1)]
        seen.append(status)
        return httpx.Response(status, headers=headers or {}, json={"task_id": "t"})

    return attempt, seen


def test_backoff_is_exponential_with_full_jitter() -> None:
    waits: list[float] = []
    policy = RetryPolicy(max_attempts=5, backoff_base=1.0, backoff_max=100.0, max_elapsed=1000.0, jitter=lambda: 1.0)
    attempt, _ = _scripted([503])
    send_with_retries(attempt, "GET", policy, sleep=waits.append)
    assert waits == [1.0, 2.0, 4.0, 8.0]
    half = RetryPolicy(max_attempts=3, backoff_base=1.0, jitter=lambda: 0.5)
    waits.clear()
    send_with_retries(_scripted([503])[0], "GET", half, sleep=waits.append)
    assert waits == [0.5, 1.0]


def test_backoff_is_capped() -> None:
    waits: list[float] = []
    policy = RetryPolicy(max_attempts=6, backoff_base=1.0, backoff_max=3.0, max_elapsed=1000.0, jitter=lambda: 1.0)
    send_with_retries(_scripted([502])[0], "GET", policy, sleep=waits.append)
    assert waits == [1.0, 2.0, 3.0, 3.0, 3.0]


def test_retry_after_seconds_is_honoured() -> None:
    waits: list[float] = []
    attempt, seen = _scripted([429, 200], {"Retry-After": "3"})
    response = send_with_retries(attempt, "GET", RetryPolicy(), sleep=waits.append)
    assert response.status_code == 200 and waits == [3.0] and seen == [429, 200]


def test_retry_after_http_date_is_honoured() -> None:
    waits: list[float] = []
    attempt, _ = _scripted([503, 200], {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    send_with_retries(attempt, "GET", RetryPolicy(), sleep=waits.append)
    assert waits == [0.0]  # a date in the past means "now"


def test_too_long_retry_after_returns_the_answer() -> None:
    waits: list[float] = []
    attempt, seen = _scripted([429, 200], {"Retry-After": "3600"})
    response = send_with_retries(attempt, "GET", RetryPolicy(max_retry_after=60), sleep=waits.append)
    assert response.status_code == 429 and waits == [] and seen == [429]


def test_total_time_is_bounded() -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    policy = RetryPolicy(max_attempts=100, backoff_base=4.0, backoff_max=4.0, max_elapsed=10.0, jitter=lambda: 1.0)
    attempt, seen = _scripted([503])
    send_with_retries(attempt, "GET", policy, sleep=sleep, clock=lambda: now[0])
    assert waits == [4.0, 4.0] and len(seen) == 3


def test_non_idempotent_methods_are_not_retried() -> None:
    attempt, seen = _scripted([503, 200])
    response = send_with_retries(attempt, "POST", RetryPolicy(), sleep=lambda s: None)
    assert response.status_code == 503 and seen == [503]


async def test_async_retries(stub: StubServer, fast_retry: RetryPolicy) -> None:
    stub.reply(err(503), Answer(drop=True), OK)
    async with AuthenticatedClient(base_url=stub.base_url, token="t", retry=fast_retry) as c:
        task = await describe_processor_task.asyncio("p", "t", client=c)
    assert task.task_id == "t" and len(stub.seen) == 3


def test_answer_cut_off_mid_body_is_retried(stub: StubServer, fast_retry: RetryPolicy) -> None:
    stub.reply(Answer(body=b'{"task_id": "t"', truncate=True), OK)
    with AuthenticatedClient(base_url=stub.base_url, token="t", retry=fast_retry) as c:
        assert describe_processor_task.sync("p", "t", client=c).task_id == "t"
    assert len(stub.seen) == 2


def test_configuration_errors_are_not_retried(fast_retry: RetryPolicy) -> None:
    calls: list[int] = []

    def attempt() -> httpx.Response:
        calls.append(1)
        raise httpx.UnsupportedProtocol("ftp is not http")

    with pytest.raises(httpx.UnsupportedProtocol):
        send_with_retries(attempt, "GET", fast_retry, sleep=lambda s: None)
    assert len(calls) == 1


async def test_async_retry_after_is_honoured(stub: StubServer) -> None:
    stub.reply(err(429, **{"Retry-After": "0"}), OK)
    policy = RetryPolicy(backoff_base=5.0, backoff_max=5.0)  # a backoff wait would take 5 s; Retry-After says 0
    async with AuthenticatedClient(base_url=stub.base_url, token="t", retry=policy) as c:
        task = await describe_processor_task.asyncio("p", "t", client=c)
    assert task.task_id == "t" and len(stub.seen) == 2


def test_environment_proxy_is_used(stub: StubServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries must not cost services behind an egress proxy their HTTP_PROXY settings."""
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", stub.base_url)
    stub.reply(OK)
    # Plain http to a remote host: only a test proxy on loopback can answer it here.
    with AuthenticatedClient(base_url="http://tasks.example.invalid", token="t", allow_insecure_http=True) as c:
        assert describe_processor_task.sync("p", "t", client=c).task_id == "t"
    assert stub.seen[-1].path == "http://tasks.example.invalid/v2/p/processor-tasks/t"
