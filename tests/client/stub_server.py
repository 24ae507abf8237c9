"""A programmable HTTP server on 127.0.0.1 for client tests.

Each test queues the answers it wants (status, headers, raw body, delay, or a dropped
connection); the server records every request it saw. Real sockets, so the client's
whole stack (httpx transport, timeouts, retries) is exercised.

Answers can also misbehave the way hostile gateways do: trickle the status line, headers
or body one byte at a time, send a body that never ends, announce a Content-Length that
is not the body's, or name a Content-Encoding the body does not have (just set the
header). The answer is written as raw bytes, so nothing in between tidies it up; ``raw``
sends bytes given whole (status line, headers, body and whatever follows), so that a test
can send anything at all, more than one answer per request included.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(
        default_factory=lambda: {"Content-Type": "application/json", "X-Request-Id": "req-1"}
    )
    delay: float = 0.0
    drop: bool = False
    truncate: bool = False  # announce more bytes than are sent, then close
    trickle: float = 0.0  # pause after each single byte of the body
    trickle_head: float = 0.0  # pause after each single byte of the status line and headers
    endless: bytes = b""  # after the body, send this again and again until the client hangs up
    content_length: int | None = None  # announce this instead of the body's true length
    raw: bytes | None = None  # written as is instead of status, headers and body
    keep_open: bool = False  # after a raw answer, wait for the next request instead of hanging up


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    raw_headers: list[tuple[str, str]] = field(default_factory=list)  # as sent, repeats included


class StubServer:
    """Serves queued answers in order; the last one repeats when the queue runs dry."""

    def __init__(self) -> None:
        self.answers: deque[Answer] = deque()
        self.default = Answer(body=b'{"count": 0, "tasks": []}')
        self.seen: list[Seen] = []
        self.connections = 0  # connections accepted so far
        count_lock = threading.Lock()
        self.stopping = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                with count_lock:  # one handler per connection, each in a thread of its own
                    stub.connections += 1
                super().setup()

            def do_GET(self) -> None:
                headers = list(self.headers.items())
                stub.seen.append(Seen("GET", self.path, {k.lower(): v for k, v in headers}, headers))
                answer = (
                    stub.answers.popleft()
                    if len(stub.answers) > 1
                    else (stub.answers[0] if stub.answers else stub.default)
                )
                if answer.delay:
                    time.sleep(answer.delay)
                if answer.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                try:
                    self._answer(answer)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client hung up, as it should on a bad answer

            def _answer(self, answer: Answer) -> None:
                if answer.raw is not None:
                    self.wfile.write(answer.raw)
                    if not answer.keep_open:
                        self.close_connection = True
                        with contextlib.suppress(OSError):  # the client may have hung up first
                            self.connection.shutdown(socket.SHUT_RDWR)
                    return
                headers = dict(answer.headers)
                if answer.content_length is not None:
                    headers["Content-Length"] = str(answer.content_length)
                elif answer.endless:
                    headers["Connection"] = "close"  # the body ends when the connection does
                else:
                    headers["Content-Length"] = str(len(answer.body) + (64 if answer.truncate else 0))
                known = answer.status in HTTPStatus._value2member_map_
                status = f"HTTP/1.1 {answer.status} {HTTPStatus(answer.status).phrase if known else 'Other'}\r\n"
                head = status + "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
                if answer.trickle_head or answer.trickle:
                    self._send(head.encode("latin-1"), answer.trickle_head)
                    self._send(answer.body, answer.trickle)
                else:
                    self._send(head.encode("latin-1") + answer.body, 0.0)  # one write: no Nagle stall
                while answer.endless and not stub.stopping.is_set():
                    self._send(answer.endless, answer.trickle)
                if answer.endless or answer.truncate or answer.content_length is not None:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)

            def _send(self, data: bytes, pause: float) -> None:
                if not pause:
                    self.wfile.write(data)
                    return
                for index in range(len(data)):
                    if stub.stopping.is_set():
                        return
                    self.wfile.write(data[index : index + 1])
                    time.sleep(pause)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # A short poll interval keeps shutdown() (once per test) from costing half a second.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()  # ends trickling and endless answers still being written
        self._server.shutdown()
        self._server.server_close()

    def reply(self, *answers: Answer) -> None:
        """Queue answers for the next requests (the last repeats)."""
        self.answers.clear()
        self.answers.extend(answers)

    def reply_json(self, payload: Any, status: int = 200, **headers: str) -> None:
        base = Answer().headers
        self.reply(Answer(status=status, body=json.dumps(payload).encode(), headers={**base, **headers}))
