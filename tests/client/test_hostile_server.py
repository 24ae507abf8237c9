"""Bounded time and bounded memory against servers that misbehave on purpose (issue 10 §1, §2).

Every scenario runs against the stub on 127.0.0.1 (real sockets), sync and async. The
servers here would keep a call busy for minutes or feed it without end; what ends each
call is the client's bound, and the watchdog (pytest-timeout) fails the test, instead of
hanging the suite, if a bound does not hold. No assertion is about how long anything took.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import re
import socket
import tracemalloc
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from processor_tasks_client import AuthenticatedClient, RetryPolicy, errors
from processor_tasks_client.api.processor_tasks import describe_processor_task
from processor_tasks_client.models import DescribeProcessorTaskResp
from processor_tasks_client.retry import send_with_retries

from tests.client.stub_server import Answer, StubServer

pytestmark = pytest.mark.timeout(30)

MODES = ["sync", "async"]
OK_BODY = json.dumps({"task_id": "t"}).encode()
JSON = {"Content-Type": "application/json", "X-Request-Id": "req-h"}
# Per-operation timeouts longer than the watchdog: only the bound under test can end the call in time.
SLOW_OPS = httpx.Timeout(60.0)


def describe(mode: str, base_url: str, **client_args: Any) -> DescribeProcessorTaskResp:
    """describe_processor_task through a fresh client, sync or async."""
    args: dict[str, Any] = {"base_url": base_url, "token": "t", "retry": None, "timeout": SLOW_OPS, **client_args}
    if mode == "sync":
        with AuthenticatedClient(**args) as client:
            return describe_processor_task.sync("p", "t", client=client)

    async def run() -> DescribeProcessorTaskResp:
        async with AuthenticatedClient(**args) as client:
            return await describe_processor_task.asyncio("p", "t", client=client)

    return asyncio.run(run())


# --- bounded time --------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_trickled_body_ends_at_the_attempt_deadline(stub: StubServer, mode: str) -> None:
    # 2,000 bytes at one per 20 ms: 40 s, every read well inside the 20 s read timeout.
    stub.reply(Answer(body=OK_BODY + b" " * 2000, headers=JSON, trickle=0.02))
    with pytest.raises(errors.APITimeoutError, match="attempt_timeout"):
        describe(mode, stub.base_url, attempt_timeout=0.3)
    assert len(stub.seen) == 1


@pytest.mark.parametrize("mode", MODES)
def test_trickled_headers_end_at_the_attempt_deadline(stub: StubServer, mode: str) -> None:
    stub.reply(Answer(body=OK_BODY, headers={**JSON, "X-Padding": "p" * 2000}, trickle_head=0.02))
    with pytest.raises(errors.APITimeoutError):
        describe(mode, stub.base_url, attempt_timeout=0.3)


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A listening port whose backlog is full, so a new connection waits for ever."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    pending: list[socket.socket] = []
    try:
        while True:  # fill the backlog until a connect no longer completes
            probe = socket.socket()
            probe.settimeout(0.2)
            try:
                probe.connect(("127.0.0.1", port))
            except OSError:
                probe.close()
                break
            pending.append(probe)
        yield f"http://127.0.0.1:{port}"
    finally:
        for probe in pending:
            probe.close()
        server.close()


@pytest.mark.parametrize("mode", MODES)
def test_connect_ends_at_the_attempt_deadline(black_hole: str, mode: str) -> None:
    with pytest.raises(errors.APITimeoutError):
        describe(mode, black_hole, attempt_timeout=0.3)


@pytest.mark.parametrize("mode", MODES)
def test_call_deadline_bounds_all_attempts(stub: StubServer, mode: str) -> None:
    stub.reply(Answer(body=OK_BODY + b" " * 2000, headers=JSON, trickle=0.02))
    policy = RetryPolicy(max_attempts=50, backoff_base=0.01, backoff_max=0.01)
    with pytest.raises(errors.APITimeoutError):
        describe(mode, stub.base_url, retry=policy, attempt_timeout=0.25, call_timeout=0.6)
    # Fifty attempts were allowed; the call's deadline left room for three at most.
    assert 2 <= len(stub.seen) <= 3


@pytest.mark.parametrize("mode", MODES)
def test_no_retry_wait_runs_past_the_call_deadline(
    stub: StubServer, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    stub.reply(Answer(status=503, body=b"{}", headers={**JSON, "Retry-After": "5"}), Answer(body=OK_BODY))
    with caplog.at_level(logging.WARNING, logger="processor_tasks_client"), pytest.raises(errors.ServerError):
        describe(mode, stub.base_url, retry=RetryPolicy(), call_timeout=1.0)
    assert len(stub.seen) == 1
    assert [r.give_up for r in caplog.records] == ["waiting 5.00 s would pass call_timeout"]  # type: ignore[attr-defined]


def test_the_call_deadline_stops_backoff_waits() -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds + 1.0  # each attempt takes a second

    policy = RetryPolicy(max_attempts=100, backoff_base=2.0, backoff_max=2.0, max_elapsed=1000.0, jitter=lambda: 1.0)
    response = send_with_retries(
        lambda: httpx.Response(503), "GET", policy, sleep=sleep, clock=lambda: now[0], deadline=10.0
    )
    assert response.status_code == 503 and waits == [2.0, 2.0, 2.0]  # a fourth wait would end at 11 s


@pytest.mark.parametrize("mode", MODES)
def test_an_attempt_within_its_deadline_succeeds(stub: StubServer, mode: str) -> None:
    stub.reply(Answer(body=OK_BODY, headers=JSON, trickle=0.001))
    assert describe(mode, stub.base_url, attempt_timeout=10.0).task_id == "t"


@pytest.mark.parametrize("mode", MODES)
def test_a_timed_out_attempt_is_retried(stub: StubServer, mode: str) -> None:
    stub.reply(Answer(body=OK_BODY + b" " * 2000, headers=JSON, trickle=0.02), Answer(body=OK_BODY, headers=JSON))
    policy = RetryPolicy(backoff_base=0.001, backoff_max=0.001)
    assert describe(mode, stub.base_url, retry=policy, attempt_timeout=0.3).task_id == "t"
    assert len(stub.seen) == 2


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "bounds",
    [
        {"call_timeout": 1e12, "attempt_timeout": None, "timeout": None},
        {"call_timeout": None, "attempt_timeout": 1e300, "timeout": None},
        {"call_timeout": None, "attempt_timeout": None, "timeout": httpx.Timeout(1e12)},
    ],
    ids=["call", "attempt", "socket"],
)
def test_a_bound_longer_than_a_socket_can_hold_is_no_bound(stub: StubServer, mode: str, bounds: dict[str, Any]) -> None:
    # Past about 9.2e9 s the socket layer raises a bare OverflowError; such a bound means "none".
    stub.reply(Answer(body=OK_BODY, headers=JSON))
    assert describe(mode, stub.base_url, **bounds).task_id == "t"


def test_bounds_are_checked() -> None:
    for bad in ({"attempt_timeout": 0}, {"call_timeout": -1.0}, {"max_response_bytes": 0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            AuthenticatedClient(base_url="http://127.0.0.1:9", **bad)
    # True would be one second or one byte; a string would fail only at the first call.
    for wrong in ({"call_timeout": True}, {"attempt_timeout": "10"}, {"max_response_bytes": False}):
        with pytest.raises(TypeError, match=next(iter(wrong))):
            AuthenticatedClient(base_url="http://127.0.0.1:9", **wrong)


@pytest.mark.parametrize("mode", MODES)
def test_a_socket_timeout_says_which_wait_ran_out(stub: StubServer, mode: str) -> None:
    # httpx's async ReadTimeout has an empty message: "request timed out: " told nothing.
    stub.reply(Answer(body=OK_BODY + b" " * 100, headers=JSON, trickle=1.0))
    with pytest.raises(errors.APITimeoutError) as timed_out:
        describe(mode, stub.base_url, timeout=httpx.Timeout(10.0, read=0.2))
    assert re.fullmatch(r"request timed out: \S.*", str(timed_out.value)), str(timed_out.value)


# --- bounded memory ------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_endless_body_stops_at_the_cap(stub: StubServer, mode: str) -> None:
    stub.reply(Answer(body=b'{"task_id": "', headers=JSON, endless=b"x" * 8192))
    with pytest.raises(errors.ResponseTooLargeError) as caught:
        describe(mode, stub.base_url, max_response_bytes=100_000)
    error = caught.value
    assert error.status_code == 200 and error.limit == 100_000 and error.request_id == "req-h"
    assert error.headers["x-request-id"] == "req-h" and error.headers["connection"] == "close"
    assert error.content.startswith(b'{"task_id": "xxx') and 0 < len(error.content) <= 64 * 1024
    assert isinstance(error, errors.ResponseDecodeError)  # callers catching decode errors catch this too


def traced_peak(call: Any, warm_up: Any) -> int:
    """Peak bytes allocated while ``call`` runs (it is expected to raise).

    ``warm_up`` runs first, untraced, so that modules imported on first use (the event
    loop's, anyio's backend) do not count.
    """
    warm_up()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        call()
    except errors.ProcessorTasksError:
        pass
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("mode", MODES)
def test_memory_stays_near_the_cap_on_an_endless_body(stub: StubServer, mode: str) -> None:
    cap = 256 * 1024
    stub.reply(Answer(body=OK_BODY, headers=JSON), Answer(body=b'{"task_id": "', headers=JSON, endless=b"x" * 65536))
    peak = traced_peak(
        lambda: describe(mode, stub.base_url, max_response_bytes=cap), lambda: describe(mode, stub.base_url)
    )
    # Without a cap the endless body would grow until the watchdog fired; with it the whole
    # call (client set-up included) stays within a few caps.
    assert peak < 8 * cap


@pytest.mark.parametrize("mode", MODES)
def test_a_compression_bomb_is_stopped_at_the_cap(stub: StubServer, mode: str) -> None:
    cap = 1024 * 1024
    bomb = gzip.compress(b'{"task_id": "' + b"a" * 30_000_000 + b'"}')  # 30 MB in about 30 KB
    stub.reply(Answer(body=OK_BODY, headers=JSON), Answer(body=bomb, headers={**JSON, "Content-Encoding": "gzip"}))
    caught: list[errors.ResponseTooLargeError] = []

    def call() -> None:
        try:
            describe(mode, stub.base_url, max_response_bytes=cap)
        except errors.ResponseTooLargeError as error:
            caught.append(error)
            raise

    peak = traced_peak(call, lambda: describe(mode, stub.base_url))
    assert caught and caught[0].content.startswith(b'{"task_id": "aaaa')
    assert peak < 8 * cap  # far below the 30 MB the body inflates to


@pytest.mark.parametrize("mode", MODES)
def test_announced_length_past_the_cap_fails_after_the_first_bytes(stub: StubServer, mode: str) -> None:
    stub.reply(Answer(body=b'{"task_id": "', headers=JSON, endless=b"y" * 4096, content_length=10**12))
    with pytest.raises(errors.ResponseTooLargeError) as caught:
        describe(mode, stub.base_url, max_response_bytes=1_000_000)
    assert caught.value.headers["content-length"] == str(10**12)
    assert len(caught.value.content) <= 64 * 1024


@pytest.mark.parametrize("mode", MODES)
def test_a_body_shorter_than_announced_is_a_connection_error(stub: StubServer, mode: str) -> None:
    stub.reply(Answer(body=OK_BODY, headers=JSON, content_length=len(OK_BODY) + 100))
    with pytest.raises(errors.APIConnectionError):
        describe(mode, stub.base_url)


@pytest.mark.parametrize("mode", MODES)
def test_a_body_longer_than_announced_is_cut_at_the_announced_length(stub: StubServer, mode: str) -> None:
    stub.reply(Answer(body=OK_BODY, headers=JSON, content_length=5))
    with pytest.raises(errors.ResponseDecodeError) as caught:
        describe(mode, stub.base_url)
    assert caught.value.status_code == 200 and caught.value.content == OK_BODY[:5]


@pytest.mark.parametrize("mode", MODES)
def test_no_cap_reads_any_size(stub: StubServer, mode: str) -> None:
    big = json.dumps({"task_id": "t", "description": "d" * 3_000_000}).encode()
    stub.reply(Answer(body=big, headers=JSON))
    assert describe(mode, stub.base_url, max_response_bytes=None).task_id == "t"
    with pytest.raises(errors.ResponseTooLargeError):
        describe(mode, stub.base_url, max_response_bytes=len(big) - 1)
    assert describe(mode, stub.base_url, max_response_bytes=len(big)).task_id == "t"


# --- Content-Encoding ----------------------------------------------------------------


def raw_deflate(data: bytes) -> bytes:
    squeezer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return squeezer.compress(data) + squeezer.flush()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip", gzip.compress(OK_BODY)),
        ("x-gzip", gzip.compress(OK_BODY)),
        ("deflate", zlib.compress(OK_BODY)),
        ("deflate", raw_deflate(OK_BODY)),  # without the zlib wrapper, as some servers send it
        ("identity", OK_BODY),
        ("deflate, gzip", gzip.compress(zlib.compress(OK_BODY))),
    ],
)
def test_encoded_bodies_are_decoded(stub: StubServer, mode: str, coding: str, body: bytes) -> None:
    stub.reply(Answer(body=body, headers={**JSON, "Content-Encoding": coding}))
    assert describe(mode, stub.base_url).task_id == "t"
    assert stub.seen[0].headers["accept-encoding"] == "gzip, deflate"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("coding", "body"),
    [("gzip", gzip.compress(OK_BODY)), ("deflate", zlib.compress(OK_BODY)), ("deflate", raw_deflate(OK_BODY))],
)
def test_encoded_bodies_arriving_byte_by_byte_are_decoded(
    stub: StubServer, mode: str, coding: str, body: bytes
) -> None:
    stub.reply(Answer(body=body, headers={**JSON, "Content-Encoding": coding}, trickle=0.002))
    assert describe(mode, stub.base_url).task_id == "t"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("status", "coding", "body", "reason"),
    [
        (200, "gzip", b'{"task_id": "t"}', "cannot be undone"),  # says gzip, is not
        (503, "gzip", b"<html>busy</html>", "cannot be undone"),
        (200, "deflate", b"\x00\x01 not deflate either", "cannot be undone"),
        (200, "gzip", gzip.compress(OK_BODY)[:-12], "ends early"),  # cut inside the stream
        (404, "br", b"\x8b\x02\x80brotli?", "not supported"),
        (200, "gzip, snappy", b"whatever", "not supported"),
    ],
)
def test_broken_encoding_keeps_status_and_raw_bytes(
    stub: StubServer, mode: str, status: int, coding: str, body: bytes, reason: str
) -> None:
    stub.reply(Answer(status=status, body=body, headers={**JSON, "Content-Encoding": coding}))
    with pytest.raises(errors.ResponseDecodeError, match=reason) as caught:
        describe(mode, stub.base_url)
    error = caught.value
    assert (error.status_code, error.content, error.request_id) == (status, body, "req-h")
    assert error.headers["content-encoding"] == coding


# --- redirect answers (follow_redirects=True) ----------------------------------------
# httpx reads the body of each redirect it is handed back from an auth flow in full and
# decodes it, outside the size cap; the client's CredentialGuard throws it away first.


def moved(body: bytes, coding: str | None = None) -> Answer:
    headers = {**JSON, "Location": "/v2/p/processor-tasks/t2"}
    if coding is not None:
        headers["Content-Encoding"] = coding
    return Answer(status=302, body=body, headers=headers)


@pytest.mark.parametrize("mode", MODES)
def test_a_redirect_body_is_not_read_past_the_cap(stub: StubServer, mode: str) -> None:
    cap = 256 * 1024
    bomb = gzip.compress(b"r" * 40_000_000)  # 40 MB in about 40 KB, under a redirect
    stub.reply(Answer(body=OK_BODY, headers=JSON), moved(bomb, "gzip"), Answer(body=OK_BODY))
    results: list[DescribeProcessorTaskResp] = []

    def call() -> None:
        results.append(describe(mode, stub.base_url, max_response_bytes=cap, follow_redirects=True))

    peak = traced_peak(call, lambda: describe(mode, stub.base_url))
    assert [r.task_id for r in results] == ["t"]
    assert [s.path for s in stub.seen[1:]] == ["/v2/p/processor-tasks/t", "/v2/p/processor-tasks/t2"]
    assert peak < 8 * cap  # far below the 40 MB the redirect's body inflates to


@pytest.mark.parametrize("mode", MODES)
def test_a_long_redirect_body_is_dropped_not_read(stub: StubServer, mode: str) -> None:
    # Past its first 64 KiB a redirect's body is not read on: the connection is dropped
    # and the call goes on to the next hop. (Finite here, so that a client that reads it
    # all costs the test a few MB, not the machine's memory.)
    cap = 256 * 1024
    long = moved(b"x" * 4_000_000)
    long.trickle_head = 0.0001  # head and body in two writes: the stub then sends the body without copying it
    stub.reply(Answer(body=OK_BODY, headers=JSON), long, Answer(body=OK_BODY))
    results: list[DescribeProcessorTaskResp] = []

    def call() -> None:
        results.append(describe(mode, stub.base_url, max_response_bytes=cap, follow_redirects=True))

    peak = traced_peak(call, lambda: describe(mode, stub.base_url))
    assert [r.task_id for r in results] == ["t"] and len(stub.seen) == 3
    assert peak < 8 * cap


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_a_redirect_body_with_a_broken_encoding_is_ignored(stub: StubServer, mode: str, coding: str) -> None:
    # httpx would raise its own DecodingError here, outside the client's error hierarchy.
    stub.reply(moved(b"not compressed at all", coding), Answer(body=OK_BODY))
    assert describe(mode, stub.base_url, follow_redirects=True).task_id == "t"
