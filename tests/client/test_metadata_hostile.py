"""MetadataProvider against a hostile metadata service: a raw socket server on 127.0.0.1.

The service hands out the secret key, so whatever it sends must end in a CredentialsError
within the provider's timeout and its size cap, and no error (nor its chain) may quote the
answer. The server below answers the session-token PUT as the test says (404 by default:
a service without session tokens) and the security-key GET with whatever the test sends.
"""

from __future__ import annotations

import json
import logging
import math
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from processor_tasks_client import ConfigurationError, Credentials, CredentialsError, MetadataProvider

SECRET = "SK-TOP-SECRET-0123456789"
Send = Callable[[socket.socket], None]


class MetadataService:
    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self.key: Send = answer(credential())
        self.token: Send = answer(b"", status="404 Not Found")
        self.stopping = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._socket.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            try:
                while True:
                    head = b""
                    while b"\r\n\r\n" not in head:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        head += chunk
                    (self.token if head.startswith(b"PUT") else self.key)(conn)
            except OSError:
                return

    def stop(self) -> None:
        self.stopping.set()
        self._socket.close()


def answer(body: bytes, status: str = "200 OK", content_type: str = "application/json") -> Send:
    def send(conn: socket.socket) -> None:
        head = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        conn.sendall(head.encode() + body)

    return send


def credential(**fields: Any) -> bytes:
    entry = {
        "access": "AK-EXAMPLE",
        "secret": SECRET,
        "securitytoken": "ST-SECRET",
        "expires_at": "2099-01-01T00:00:00Z",
    }
    return json.dumps({"credential": {**entry, **fields}}).encode()


@pytest.fixture
def service() -> Iterator[MetadataService]:
    server = MetadataService()
    yield server
    server.stop()


def refused(provider: MetadataProvider) -> CredentialsError:
    with pytest.raises(CredentialsError) as caught:
        provider.load()
    error: BaseException | None = caught.value
    while error is not None:  # nothing of the answer anywhere in the chain
        assert SECRET not in str(error) and SECRET not in repr(error)
        assert not isinstance(getattr(error, "content", None), bytes) or SECRET.encode() not in error.content  # type: ignore[attr-defined]
        error = error.__cause__ or error.__context__
    return caught.value


def test_a_sound_answer_is_a_credential(service: MetadataService) -> None:
    credentials = MetadataProvider(service.url).load()
    assert credentials.secret_key == SECRET and credentials.expires_at == 4070908800.0


def test_an_endless_or_huge_answer_is_cut_at_the_cap(service: MetadataService) -> None:
    def endless(conn: socket.socket) -> None:  # chunked, 32 MB at most so that a failing test ends
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"10000\r\n" + b" " * 0x10000 + b"\r\n"
        for _ in range(512):
            if service.stopping.is_set():
                return
            conn.sendall(chunk)

    def huge(conn: socket.socket) -> None:  # announces 100 MB, sends 32 MB
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n")
        for _ in range(512):
            conn.sendall(b" " * 0x10000)

    for send in (endless, huge):
        service.key = send
        tracemalloc.start()
        try:
            error = refused(MetadataProvider(service.url, timeout=10))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert "longer than 65536 bytes" in str(error)
        assert peak < 4 * 1024 * 1024, f"{send.__name__}: {peak} bytes held"


def test_a_slow_drip_ends_at_the_timeout(service: MetadataService) -> None:
    body = credential()

    def drip(conn: socket.socket) -> None:  # a byte every 50 ms: every read is quick, the answer is not
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
        for index in range(len(body)):
            if service.stopping.is_set():
                return
            conn.sendall(body[index : index + 1])
            time.sleep(0.05)

    service.key = drip
    started = time.monotonic()
    error = refused(MetadataProvider(service.url, timeout=0.5))
    assert time.monotonic() - started < 2  # the whole answer would take about 8 s
    assert "did not answer within 0.5 s" in str(error)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 20000 + b"]" * 20000,  # deeper than the parser's stack, within the cap
        b"<html><body>Service Unavailable</body></html>",
        b'{"credential": ',
        b'"a string"',
        b'{"credential": [1, 2]}',
        credential(secret=12345),  # an SK that is no string would fail only when signing
        credential(access=["AK"]),
        credential(securitytoken={"t": 1}),
        credential(expires_at=4102444800),
        credential(expires_at="tomorrow"),
        credential(expires_at="10000-01-01T00:00:00Z"),
        credential(expires_at=None),
        json.dumps({"credential": {"secret": SECRET, "expires_at": "2099-01-01T00:00:00Z"}}).encode(),
    ],
    ids=lambda body: body[:30].decode(errors="replace"),
)
def test_an_answer_that_is_no_credential_raises_without_quoting_it(service: MetadataService, body: bytes) -> None:
    service.key = answer(body)
    assert "not a credential" in str(refused(MetadataProvider(service.url)))


def test_a_session_token_no_header_can_carry_is_refused_unseen(service: MetadataService) -> None:
    service.token = answer("tök-SK-TOP-SECRET-0123456789".encode())
    error = refused(MetadataProvider(service.url))
    assert "session token contains a non-ASCII character" in str(error)
    service.token = answer(b"tok\x01" + SECRET.encode())
    assert "control character" in str(refused(MetadataProvider(service.url)))


def test_server_errors_refusals_and_no_service_are_credentials_errors(
    service: MetadataService, caplog: pytest.LogCaptureFixture
) -> None:
    service.key = answer(credential(), status="500 Internal Server Error")
    with caplog.at_level(logging.DEBUG):
        assert "answered HTTP 500" in str(refused(MetadataProvider(service.url)))
    assert SECRET not in caplog.text
    service.key = lambda conn: conn.sendall(b"NOT HTTP\r\n\r\n")
    assert "cannot reach" in str(refused(MetadataProvider(service.url)))
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    assert "cannot reach" in str(refused(MetadataProvider(f"http://127.0.0.1:{port}", timeout=1)))


def test_expiry_in_the_past_far_future_and_without_a_zone(service: MetadataService) -> None:
    service.key = answer(credential(expires_at="2099-01-01T00:00:00"))  # no zone: UTC, as the service writes
    assert MetadataProvider(service.url).load().expires_at == 4070908800.0
    service.key = answer(credential(expires_at="9999-12-31T23:59:59+00:00"))
    assert MetadataProvider(service.url).load().expires_at == 253402300799.0
    # Already expired: the provider reports what it got; the client refuses to use it.
    service.key = answer(credential(expires_at="2001-01-01T00:00:00Z"))
    assert MetadataProvider(service.url).load().expires_at == 978307200.0


@pytest.mark.parametrize("timeout", [0, -1, math.nan])
def test_a_timeout_that_bounds_nothing_is_refused(timeout: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        MetadataProvider("http://127.0.0.1:9", timeout=timeout)
    with pytest.raises(TypeError, match="timeout"):
        MetadataProvider("http://127.0.0.1:9", timeout="3")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"access_key": "AK", "secret_key": 12345}, "secret_key must be a string"),
        ({"token": b"TOKEN"}, "token must be a string"),
        ({"token": "T", "expires_at": math.nan}, "expires_at"),
        ({"token": "T", "expires_at": math.inf}, "expires_at"),
        ({"token": "T", "expires_at": "2099-01-01"}, "expires_at"),
        ({"token": "T", "expires_at": 10**400}, "expires_at"),
    ],
)
def test_credentials_of_the_wrong_type_are_refused_at_once(fields: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        Credentials(**fields)


def test_a_password_in_the_endpoint_url_is_never_shown(service: MetadataService) -> None:
    # httpx sends it as Basic auth; messages and the repr show the endpoint without it.
    with_password = service.url.replace("http://", "http://agent:PW-SECRET-42@")
    provider = MetadataProvider(with_password)
    assert "PW-SECRET-42" not in repr(provider) and "***@127.0.0.1" in repr(provider)
    service.key = answer(b"{}", status="500 Internal Server Error")
    assert "***@127.0.0.1" in str(refused(provider))
    service.key = answer(b"x" * 200_000)
    too_long = refused(provider)
    assert "longer than" in str(too_long) and "PW-SECRET-42" not in str(too_long)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    unreachable = refused(MetadataProvider(f"http://agent:PW-SECRET-42@127.0.0.1:{port}", timeout=1))
    assert "cannot reach http://***@127.0.0.1" in str(unreachable)
    with pytest.raises(ConfigurationError) as not_http:
        MetadataProvider("ftp://agent:PW-SECRET-42@example.test/")
    assert "PW-SECRET-42" not in str(not_http.value) and "ftp://***@example.test" in str(not_http.value)
