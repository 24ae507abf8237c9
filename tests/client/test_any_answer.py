"""Whatever a server answers, a call returns or raises from the client's hierarchy (issue 19 §1).

A property, not a list of cases: hypothesis builds answers from status lines, headers
(Retry-After, Location, Content-Encoding, Content-Length, Transfer-Encoding, Set-Cookie)
and bodies, each drawn from values that broke clients before (an absurd Retry-After, a
``mailto:`` Location, a body nested past the stack, gzip members, lengths that lie), and
the stub on 127.0.0.1 sends each as raw bytes, then hangs up. Every public call, sync and
async, must then return or raise a ``ProcessorTasksError``; reading the error's fields
(``str()``, ``retry_after``) must not raise either. The calls' arguments are valid, so no
``ValueError`` or ``TypeError`` is expected.

The example count is small so that the test runs in seconds; hypothesis remembers a
failing answer (``.hypothesis/``) and tries it first next time.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from processor_tasks_client import AuthenticatedClient, RetryPolicy, errors
from processor_tasks_client.api.processor_tasks import describe_processor_task, list_processor_tasks

from tests.client.stub_server import Answer, StubServer

pytestmark = pytest.mark.timeout(120)

EXAMPLES = 100

TASK = json.dumps({"task_id": "t", "name": "n", "status": 2}).encode()
PAGE = json.dumps({"count": 1, "tasks": [{"task_id": "t"}]}).encode()
ERROR = json.dumps({"error_code": "ModelArts.4700", "error_msg": "gone"}).encode()

BODIES: list[bytes] = [
    TASK,
    PAGE,
    ERROR,
    b"[" * 100_000,
    b"",
    b"<html>bad gateway</html>",
    b"[" * 100_000,  # past the interpreter's recursion limit
    b'{"a":' * 50_000,
    b"\xff\xfe\x00garbage",
    json.dumps({"task_id": 5}).encode(),
    json.dumps({"count": "x", "tasks": {}}).encode(),
    json.dumps({"error_code": ["x"], "error_msg": {"y": 1}}).encode(),
]

# Weighted towards the statuses the client acts on: success, redirects, retried ones, errors.
STATUS_CODES = [200, 200, 204, 206, 301, 302, 302, 303, 307, 308, 400, 401, 403, 404, 404, 418]
STATUS_CODES += [429, 429, 429, 499, 500, 502, 503, 503, 503, 504]
ODD_STATUS_LINES = [
    "HTTP/1.1 200",
    "HTTP/1.0 200 OK",
    "HTTP/1.1 999 Beyond",
    "HTTP/1.1 100 Continue",
    "HTTP/1.1 101 Switching Protocols",
    "HTTP/1.1 abc Nope",
    "HTTP/2 200 OK",
    "ICY 200 OK",
    "garbage",
    "",
]

RETRY_AFTER = [
    "0",
    "1",
    "-5",
    "0.001",
    "1e999",
    "nan",
    "inf",
    "99999999999999999999999",
    "soon",
    "",
    "Mon, 01 Jan 2024 00:00:00 +99999999999999",  # a zone offset no C int holds
    "Tue, 02 Jan 2024 00:00:00 -99999999999999",
    "Wed, 03 Jan 2024 00:00:00 +9999999999999999999999",
    "Fri, 31 Dec 9999 23:59:59 -9999",
    "Wed, 21 Oct 2015 07:28:00 GMT",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "Sun, 06 Nov 94 08:49:37 GMT",
]

LOCATION = [
    "mailto:ops@example.com",
    "javascript:alert(1)",
    "data:text/plain,hi",
    "http://[::1",
    "http://[::1]:99999/",
    "ftp://127.0.0.1/x",
    "http:",
    "//",
    "///x",
    "/v2/p/processor-tasks/t2",
    "t2",
    "?offset=1",
    "http://127.0.0.1:1/",
    "https://127.0.0.1:{port}/",
    "http://127.0.0.1:{port}/v2/p/processor-tasks/t",
    "http://127.0.0.1:65536/",
    "http://127.0.0.1:0/",
    "http://%zz/",
    "\x7f",
    "/v2/p/processor-tasks/\u00e9",
]

CONTENT_ENCODING = ["gzip", "x-gzip", "deflate", "identity", "br", "zstd", "gzip, gzip", "deflate, gzip", "GZIP", "x"]

# How the body is framed: (Content-Length / Transfer-Encoding headers, the bytes on the wire).
FRAMINGS = ["length", "chunked", "none", "length-short", "length-long", "length-twice", "length-bad", "chunked-bad"]
TRANSFER_ENCODING_EXTRA = ["gzip, chunked", "chunked, chunked", "identity", "foo"]


# How the body is encoded, and the Content-Encoding that says so ("mismatch": a header
# that does not match the plain body).
ENCODINGS = ["plain", "plain", "plain", "gzip", "gzip-members", "gzip-cut", "deflate", "mismatch"]


def encoded(body: bytes, how: str) -> bytes:
    if how == "gzip":
        return gzip.compress(body, mtime=0)
    if how == "gzip-members":
        half = len(body) // 2
        return gzip.compress(body[:half], mtime=0) + gzip.compress(body[half:], mtime=0)
    if how == "gzip-cut":
        return gzip.compress(body, mtime=0)[:-3]
    if how == "deflate":
        return zlib.compress(body)
    return body


def chunked(body: bytes, broken: bool) -> bytes:
    out = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:7], body[7:]) if part)
    return out + (b"zz\r\n" if broken else b"0\r\n\r\n")


# Each answer puts one part of it in focus (drawn always, with statuses that make the
# client act on it), the others drawn now and then: a blind draw of every part at once
# rarely pairs, say, a redirect status with a Location that cannot be followed.
FOCUS_STATUSES = {
    "retry-after": [429, 502, 503, 504],
    "location": [301, 302, 303, 307, 308],
    "body": [200, 400, 404, 429, 500, 503],
}


@st.composite
def answers(draw: st.DrawFn, port: int) -> bytes:
    """One raw answer: status line, headers and body, as a hostile or broken server might send.

    Mostly well-formed HTTP carrying hostile values, so that the answers get past the
    HTTP parser to the client's own code; now and then broken HTTP itself.
    """
    focus = draw(st.sampled_from(["status", "retry-after", "location", "body", "framing"]))
    if focus == "status" and draw(st.booleans()):
        status = draw(st.sampled_from(ODD_STATUS_LINES))
    else:
        codes = FOCUS_STATUSES.get(focus, STATUS_CODES) if draw(st.integers(0, 4)) else STATUS_CODES
        status = f"HTTP/1.1 {draw(st.sampled_from(codes))} {draw(st.sampled_from(['OK', '', 'Whatever']))}"

    def sometimes(part: str) -> bool:
        return focus == part or draw(st.integers(0, 3)) == 0

    how = draw(st.sampled_from(ENCODINGS)) if sometimes("body") else "plain"
    body = encoded(draw(st.one_of(st.sampled_from(BODIES), st.binary(max_size=40))), how)
    headers: list[tuple[str, str]] = [("Content-Type", "application/json")]
    if how == "mismatch":
        headers.append(("Content-Encoding", draw(st.sampled_from(CONTENT_ENCODING))))
    elif how != "plain":
        headers.append(("Content-Encoding", "deflate" if how == "deflate" else "gzip"))
    if draw(st.booleans()):
        headers.append(("X-Request-Id", draw(st.sampled_from(["r-1", "", "\u00ff\u00fe"]))))
    if sometimes("retry-after"):
        headers.append(("Retry-After", draw(st.sampled_from(RETRY_AFTER))))
    if sometimes("location"):
        headers.append(("Location", draw(st.sampled_from(LOCATION)).replace("{port}", str(port))))
    if draw(st.integers(0, 3)) == 0:
        headers.append(("Set-Cookie", f"s={draw(st.integers(0, 9))}; Path=/"))
    framing = draw(st.sampled_from(FRAMINGS)) if sometimes("framing") else "length"
    wire = body
    if framing.startswith("length"):
        length = {"length-short": len(body) - 1, "length-long": len(body) + 5}.get(framing, len(body))
        headers.append(("Content-Length", "x1" if framing == "length-bad" else str(max(length, 0))))
        if framing == "length-twice":
            headers.append(("Content-Length", str(len(body) + 1)))
    elif framing.startswith("chunked"):
        headers.append(("Transfer-Encoding", "chunked"))
        wire = chunked(body, broken=framing == "chunked-bad")
    if focus == "framing" and draw(st.booleans()):
        headers.append(("Transfer-Encoding", draw(st.sampled_from(TRANSFER_ENCODING_EXTRA))))
    if draw(st.integers(0, 5)) == 0:
        wire += TASK  # bytes after the answer
    head = status + "\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n"
    return head.encode("utf-8") + wire


@pytest.fixture(scope="module")
def server() -> Iterator[StubServer]:
    stub = StubServer()
    stub.start()
    yield stub
    stub.stop()


def client_for(base_url: str, follow: bool) -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url=base_url,
        token="t",
        follow_redirects=follow,
        # Retries on, so that Retry-After is read; waits too long for a test are given up on.
        retry=RetryPolicy(max_attempts=2, backoff_base=0.001, backoff_max=0.001, max_retry_after=0.01),
        attempt_timeout=5.0,
        call_timeout=10.0,
        httpx_args={"max_redirects": 2},
    )


def touch(error: errors.ProcessorTasksError) -> None:
    """Read what a caller reads of an error: none of it may raise."""
    str(error)
    repr(error)
    if isinstance(error, errors.RateLimitError):
        wait = error.retry_after
        assert wait is None or wait >= 0


CALLS = ["describe", "describe_detailed", "list"]


def sync_call(client: AuthenticatedClient, call: str) -> None:
    try:
        if call == "describe":
            describe_processor_task.sync("p", "t", client=client)
        elif call == "describe_detailed":
            describe_processor_task.sync_detailed("p", "t", client=client)
        else:
            list_processor_tasks.sync("p", client=client)
    except errors.ProcessorTasksError as error:
        touch(error)


async def async_call(client: AuthenticatedClient, call: str) -> None:
    try:
        if call == "describe":
            await describe_processor_task.asyncio("p", "t", client=client)
        elif call == "describe_detailed":
            await describe_processor_task.asyncio_detailed("p", "t", client=client)
        else:
            await list_processor_tasks.asyncio("p", client=client)
    except errors.ProcessorTasksError as error:
        touch(error)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_any_answer_gives_a_result_or_a_typed_error(server: StubServer, mode: str) -> None:
    port = int(server.base_url.rsplit(":", 1)[1])

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    @given(answer=answers(port), follow=st.booleans(), call=st.sampled_from(CALLS))
    def check(answer: bytes, follow: bool, call: str) -> None:
        server.reply(Answer(raw=answer))
        client = client_for(server.base_url, follow)
        if mode == "sync":
            with client:
                sync_call(client, call)
        else:

            async def run() -> None:
                async with client:
                    await async_call(client, call)

            asyncio.run(run())

    check()


def test_the_answers_reach_the_client(server: StubServer) -> None:
    # The property would hold vacuously if the stub sent nothing usable: one valid answer
    # built the same way decodes.
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(TASK)}\r\n\r\n"
    server.reply(Answer(raw=head.encode() + TASK))
    with client_for(server.base_url, False) as client:
        assert describe_processor_task.sync("p", "t", client=client).task_id == "t"
