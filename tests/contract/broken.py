"""Deliberately broken variants of the mock, to prove the contract suite catches real faults.

Each variant wraps the real mock application in a small ASGI middleware that injects exactly one
fault; nothing of the mock is copied. `test_contract_bites.py` runs the unchanged suite against
each of them and requires it to fail with the check named in `BrokenVariant.caught_by`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _is_list_call(scope: Scope) -> bool:
    path: str = scope.get("path", "")
    return (
        scope.get("type") == "http" and scope.get("method") == "GET" and path.rstrip("/").endswith("/processor-tasks")
    )


def _query(scope: Scope) -> list[tuple[str, str]]:
    raw: bytes = scope.get("query_string", b"")
    return parse_qsl(raw.decode("latin-1"), keep_blank_values=True)


class _Middleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app


class PageShiftedByOne(_Middleware):
    """Off-by-one paging: asked for page n, it serves page n+1 (as if pages counted from 1)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _is_list_call(scope):
            pairs = _query(scope)
            values = dict(pairs)
            try:
                shifted = int(values.get("offset", "0")) + 1
            except ValueError:
                # Invalid offsets still go to the real validation unchanged.
                shifted = None
            if shifted is not None:
                pairs = [(k, v) for k, v in pairs if k != "offset"] + [("offset", str(shifted))]
                scope = dict(scope, query_string=urlencode(pairs).encode())
        await self.app(scope, receive, send)


class ServerErrorOnLimitZero(_Middleware):
    """Crashes on `limit=0` instead of answering 400: the classic unvalidated division or slice."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _is_list_call(scope) and dict(_query(scope)).get("limit") == "0":
            body = json.dumps({"error_code": "ModelArts.0000", "error_msg": "division by zero"}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"x-request-id", b"broken-variant"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


class _BodyRewriter(_Middleware):
    """Buffers a response so that a subclass can rewrite its headers and body."""

    def rewrite(
        self, scope: Scope, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> tuple[list[tuple[bytes, bytes]], bytes]:
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    headers, body = self.rewrite(
                        scope, start["status"], list(start.get("headers", [])), b"".join(chunks)
                    )
                    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                    headers.append((b"content-length", str(len(body)).encode()))
                    await send({**start, "headers": headers})
                    await send({"type": "http.response.body", "body": body})
            else:
                await send(message)

        await self.app(scope, receive, capture)


class TaskIdMissingFromListItems(_BodyRewriter):
    """Drops the one required task field, `task_id`, from every listed task."""

    def rewrite(
        self, scope: Scope, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> tuple[list[tuple[bytes, bytes]], bytes]:
        if _is_list_call(scope) and status == 200:
            data = json.loads(body)
            for task in data.get("tasks", []):
                task.pop("task_id", None)
            body = json.dumps(data).encode()
        return headers, body


class WrongContentType(_BodyRewriter):
    """Labels the JSON answers `text/plain`, which no documented response uses."""

    def rewrite(
        self, scope: Scope, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> tuple[list[tuple[bytes, bytes]], bytes]:
        headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
        headers.append((b"content-type", b"text/plain; charset=utf-8"))
        return headers, body


class MissingRequestId(_BodyRewriter):
    """Forgets the `X-Request-Id` header the provider's SDK reads on every answer."""

    def rewrite(
        self, scope: Scope, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> tuple[list[tuple[bytes, bytes]], bytes]:
        return [(k, v) for k, v in headers if k.lower() != b"x-request-id"], body


class AuthNotEnforced(_Middleware):
    """Lets requests without credentials through as if they carried the default token."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") == "http":
            headers = list(scope.get("headers", []))
            names = {k.lower() for k, _ in headers}
            if b"x-auth-token" not in names and b"authorization" not in names:
                headers.append((b"x-auth-token", b"mock-token"))
                scope = dict(scope, headers=headers)
        await self.app(scope, receive, send)


@dataclass(frozen=True)
class BrokenVariant:
    wrap: Callable[[ASGIApp], ASGIApp]
    # Name of the check whose failure proves the fault was caught for the right reason.
    caught_by: str
    # Text that check's failure report contains.
    evidence: str


BROKEN_VARIANTS: dict[str, BrokenVariant] = {
    "page_shifted_by_one": BrokenVariant(PageShiftedByOne, "paging_invariant", "Paging invariant violated"),
    "server_error_on_limit_zero": BrokenVariant(ServerErrorOnLimitZero, "not_a_server_error", "ST101 Server error"),
    "task_id_missing": BrokenVariant(
        TaskIdMissingFromListItems, "response_schema_conformance", '"task_id" is a required property'
    ),
    "wrong_content_type": BrokenVariant(WrongContentType, "content_type_conformance", "Undocumented Content-Type"),
    "missing_request_id": BrokenVariant(MissingRequestId, "request_id_header", "Missing X-Request-Id header"),
    "auth_not_enforced": BrokenVariant(AuthNotEnforced, "ignored_auth", "API accepts requests without authentication"),
}
