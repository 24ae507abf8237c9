"""A programmable HTTP server on 127.0.0.1 for client tests.

Each test queues the answers it wants (status, headers, raw body, delay, or a dropped
connection); the server records every request it saw. Real sockets, so the client's
whole stack (httpx transport, timeouts, retries) is exercised.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
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


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


class StubServer:
    """Serves queued answers in order; the last one repeats when the queue runs dry."""

    def __init__(self) -> None:
        self.answers: deque[Answer] = deque()
        self.default = Answer(body=b'{"count": 0, "tasks": []}')
        self.seen: list[Seen] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                stub.seen.append(Seen("GET", self.path, {k.lower(): v for k, v in self.headers.items()}))
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
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body) + (64 if answer.truncate else 0)))
                self.end_headers()
                self.wfile.write(answer.body)
                if answer.truncate:
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)

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
        self._server.shutdown()
        self._server.server_close()

    def reply(self, *answers: Answer) -> None:
        """Queue answers for the next requests (the last repeats)."""
        self.answers.clear()
        self.answers.extend(answers)

    def reply_json(self, payload: Any, status: int = 200, **headers: str) -> None:
        base = Answer().headers
        self.reply(Answer(status=status, body=json.dumps(payload).encode(), headers={**base, **headers}))
