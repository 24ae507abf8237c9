# Copied from generator/runtime/_transfer.py by generator/regenerate.py. Do not edit here: edit the source.
"""One HTTP exchange with bounded time and bounded memory.

httpx's ``timeout`` bounds each socket operation, not an exchange: a server that sends
one byte just before every read timeout keeps a request alive for hours. And
``Client.request`` reads a body into memory whatever its size. This module sends each
attempt with ``stream=True`` and

- ends it at a deadline that covers connect, send, the headers and the whole body
  (``attempt_timeout``, capped by what is left of the call's ``call_timeout``), raising
  ``httpx.ReadTimeout`` (or ``ConnectTimeout``/``WriteTimeout``) so that the retry loop
  treats it like any other timeout;
- reads the body as a stream up to ``max_response_bytes`` of decoded bytes, undoing
  ``gzip``/``deflate`` itself so that a small compressed body cannot inflate past the
  cap either.

Sync clients get the deadline inside every socket operation: :func:`install_deadlines`
wraps the network backend of the httpx client's connection pools, and each read, write,
connect and TLS handshake is given at most the time left. Async attempts run inside an
``anyio`` cancel scope instead, which ends them wherever they wait.
"""

from __future__ import annotations

import contextvars
import ssl
import time
import zlib
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import anyio
import httpcore
import httpx

from . import errors
from .auth import CREDENTIAL_HEADERS

__all__ = [
    "ACCEPT_ENCODING",
    "DEFAULT_ATTEMPT_TIMEOUT",
    "DEFAULT_CALL_TIMEOUT",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "TransferLimits",
    "aexchange",
    "check_limit",
    "exchange",
    "install_deadlines",
]

DEFAULT_ATTEMPT_TIMEOUT = 60.0
"""Seconds one attempt may take in all: connect, send, headers and the whole body."""

DEFAULT_CALL_TIMEOUT = 120.0
"""Seconds one call may take in all: every attempt plus the waits between them."""

DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
"""Cap of one decoded body. The largest answer the contract allows is one page of 100
tasks, about 91 KB with the mock's seed data; 8 MiB leaves room for tasks 90 times larger."""

ACCEPT_ENCODING = "gzip, deflate"
"""The encodings asked for: the ones this module can undo within the size cap."""

# How much of an oversized body the error keeps for the caller to look at.
_HEAD = 64 * 1024

_DEADLINE_PASSED = "the attempt ran out of time (attempt_timeout / call_timeout)"

# The monotonic deadline of the attempt running in this thread or task, read by the
# wrapped network streams; None outside an attempt, so other users of the same httpx
# client see plain httpx behaviour.
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "processor_tasks_client_deadline", default=None
)


@dataclass(frozen=True)
class TransferLimits:
    """The bounds of one call; ``None`` switches a bound off.

    Attributes:
        attempt_timeout: Seconds one attempt may take from connecting to the last byte
            of the body.
        call_timeout: Seconds one call may take: all attempts and the waits between
            them. An attempt gets at most what is left of it; no retry wait starts that
            would end past it.
        max_response_bytes: Most bytes of one (decoded) body; a longer one raises
            ``ResponseTooLargeError``.
    """

    attempt_timeout: float | None = DEFAULT_ATTEMPT_TIMEOUT
    call_timeout: float | None = DEFAULT_CALL_TIMEOUT
    max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES

    def __post_init__(self) -> None:
        for name in ("attempt_timeout", "call_timeout", "max_response_bytes"):
            check_limit(name, getattr(self, name))

    def call_deadline(self, now: float) -> float | None:
        """The monotonic time by which a call started at ``now`` must end."""
        return None if self.call_timeout is None else now + self.call_timeout


def check_limit(name: str, value: float | None) -> None:
    """Refuse a bound that is zero or negative (``None``, no bound, is fine)."""
    if value is not None and not value > 0:
        raise ValueError(f"{name} must be positive or None, got {value!r}")


def _attempt_deadline(limits: TransferLimits, call_deadline: float | None) -> float | None:
    own = None if limits.attempt_timeout is None else time.monotonic() + limits.attempt_timeout
    if own is None or call_deadline is None:
        return call_deadline if own is None else own
    return min(own, call_deadline)


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` shortened to what is left of the current attempt; ``error`` once nothing is."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error(_DEADLINE_PASSED)
    return left if timeout is None else min(timeout, left)


def _passed() -> bool:
    deadline = _DEADLINE.get()
    return deadline is not None and time.monotonic() >= deadline


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation ends by the attempt's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))
        except httpcore.ReadTimeout:
            if _passed():  # say which bound it was: the shortened timeout, not the read timeout
                raise httpcore.ReadTimeout(_DEADLINE_PASSED) from None
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))
        except httpcore.WriteTimeout:
            if _passed():
                raise httpcore.WriteTimeout(_DEADLINE_PASSED) from None
            raise

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """Wraps httpcore's network backend so that connections honour the attempt's deadline."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        try:
            stream = self._backend.connect_tcp(host, port, bounded, local_address, socket_options)
        except httpcore.ConnectTimeout:
            if _passed():
                raise httpcore.ConnectTimeout(_DEADLINE_PASSED) from None
            raise
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def install_deadlines(client: httpx.Client) -> None:
    """Make the connection pools of ``client`` (proxy mounts included) honour attempt deadlines.

    httpx offers no public hook for the network backend, so this reaches into its
    transports; a transport it does not recognise (a MockTransport, a custom one) is left
    alone, and the body loop still checks the deadline between chunks. Idempotent.
    """
    transports = [getattr(client, "_transport", None), *getattr(client, "_mounts", {}).values()]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.NetworkBackend) and not isinstance(backend, _DeadlineBackend):
            pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]


class _Inflater:
    """Undoes one gzip or deflate layer, never producing more than it is allowed to."""

    def __init__(self, coding: str) -> None:
        # Some servers send "deflate" as raw deflate, without the zlib wrapper the RFC asks
        # for; zlib tells after the wrapper's two header bytes. Until then the bytes fed
        # are kept, to start over without the wrapper.
        self._start: bytes | None = b"" if coding == "deflate" else None
        self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS if coding in ("gzip", "x-gzip") else zlib.MAX_WBITS)

    def feed(self, data: bytes, room: int | None) -> bytes:
        """Decompressed bytes of ``data``; at most ``room + 1`` of them, so that overflow shows."""
        limit = 0 if room is None else room + 1
        try:
            out = self._zlib.decompress(data, limit)
        except zlib.error:
            if self._start is None:
                raise
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            data, self._start = self._start + data, None
            return self._zlib.decompress(data, limit)
        if self._start is not None:
            self._start += data
            if len(self._start) >= 2:
                self._start = None  # the zlib wrapper is there
        return out

    def finish(self) -> bytes:
        out = self._zlib.flush()
        if not self._zlib.eof:
            raise zlib.error("the compressed stream ends early")
        return out


class _Body:
    """Collects one answer's body within the cap, undoing its Content-Encoding."""

    def __init__(self, response: httpx.Response, limit: int | None) -> None:
        self._response = response
        self._limit = limit
        codings = [c.strip().lower() for c in response.headers.get("content-encoding", "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        self._problem: str | None = None
        unknown = [c for c in codings if c not in ("gzip", "x-gzip", "deflate")]
        if unknown:
            self._problem = f"Content-Encoding {', '.join(unknown)!r} is not supported (only {ACCEPT_ENCODING})"
        # The last coding applied is the first to undo.
        self._inflaters = [] if unknown else [_Inflater(c) for c in reversed(codings)]
        # Raw bytes are kept only for encoded bodies: the error for a broken encoding
        # must show what arrived. Plain bodies are their own raw bytes.
        self._raw: list[bytes] | None = [] if codings else None
        self._raw_size = 0
        self._parts: list[bytes] = []
        self._size = 0
        declared = response.headers.get("content-length", "")
        # A plain body announced as too large fails after its first bytes, not after the cap.
        self._doomed = not codings and limit is not None and declared.isdigit() and int(declared) > limit

    def preloaded(self) -> bool:
        """Whether the transport already read the body (httpx.MockTransport, custom transports).

        Such a body is in memory already and decoded by httpx; only the cap is checked.
        """
        try:
            content = self._response.content
        except httpx.ResponseNotRead:
            return False
        if self._limit is not None and len(content) > self._limit:
            self._parts = [content[:_HEAD]]
            raise self._too_large()
        return True

    def _too_large(self, extra: bytes = b"") -> errors.ResponseTooLargeError:
        # Decoded bytes, or the raw ones when the encoding already proved broken.
        parts = self._raw if self._problem is not None and self._raw is not None else [*self._parts, extra]
        head = bytearray()
        for part in parts:  # no join of the whole body: it may be the cap's size
            head += part[: _HEAD - len(head)]
        response = self._response
        return errors.ResponseTooLargeError(
            response.status_code,
            bytes(head),
            self._limit or 0,  # only raised when a cap is set
            response.headers.get("x-request-id"),
            headers=response.headers,
        )

    def _room(self) -> int | None:
        return None if self._limit is None else self._limit - self._size

    def feed(self, chunk: bytes) -> None:
        """Take the next raw chunk; raises ResponseTooLargeError once the body outgrows the cap."""
        if self._raw is not None:
            self._raw_size += len(chunk)
            if self._limit is not None and self._raw_size > self._limit:
                raise self._too_large()
            self._raw.append(chunk)
        if self._problem is not None:
            return
        try:
            self._add(self._through(chunk, self._inflaters))
        except zlib.error as exc:
            self._problem = f"Content-Encoding cannot be undone ({exc})"
            return
        if self._doomed and self._size >= min(_HEAD, self._limit or 0):
            raise self._too_large()

    def _through(self, data: bytes, inflaters: list[_Inflater]) -> bytes:
        room = self._room()
        for inflater in inflaters:
            data = inflater.feed(data, room)
            # Past the room, an inflater stops early and keeps the rest: the body is too
            # large whatever the rest holds (checked per layer, so none is cut silently).
            if room is not None and len(data) > room:
                raise self._too_large(data)
        return data

    def _add(self, data: bytes) -> None:
        room = self._room()
        if room is not None and len(data) > room:
            raise self._too_large(data)
        if data:
            self._parts.append(data)
            self._size += len(data)

    def finish(self) -> bytes:
        """The decoded body, or ResponseDecodeError (status and raw bytes kept) for a broken encoding."""
        if self._problem is None:
            try:
                for index, inflater in enumerate(self._inflaters):
                    self._add(self._through(inflater.finish(), self._inflaters[index + 1 :]))
            except zlib.error as exc:
                self._problem = f"Content-Encoding cannot be undone ({exc})"
        if self._problem is not None:
            response = self._response
            raise errors.ResponseDecodeError(
                response.status_code,
                b"".join(self._raw or ()),
                self._problem,
                response.headers.get("x-request-id"),
                headers=response.headers,
            )
        return b"".join(self._parts)


def _check_deadline(deadline: float | None, request: httpx.Request) -> None:
    # Transports that install_deadlines cannot reach are held to the deadline here,
    # between chunks.
    if deadline is not None and time.monotonic() >= deadline:
        raise httpx.ReadTimeout(_DEADLINE_PASSED, request=request)


def _keep(response: httpx.Response, content: bytes) -> None:
    # The body was read raw and decoded here; hand it over the way Response.read() would
    # have stored it, so that .content, .text and .json() work as usual.
    response._content = content


def _build(
    client: httpx.Client | httpx.AsyncClient, kwargs: Mapping[str, Any], deadline: float | None
) -> httpx.Request:
    args = dict(kwargs)
    headers = httpx.Headers(args.pop("headers", None))
    # Only encodings _Body can undo within the cap; httpx would also offer br and zstd
    # when their packages happen to be installed.
    headers["Accept-Encoding"] = ACCEPT_ENCODING
    if deadline is not None:
        left = max(deadline - time.monotonic(), 0.0)
        base = client.timeout

        def shorter(value: float | None) -> float:
            return left if value is None else min(value, left)

        args["timeout"] = httpx.Timeout(
            connect=shorter(base.connect), read=shorter(base.read), write=shorter(base.write), pool=shorter(base.pool)
        )
    return client.build_request(headers=headers, **args)


class _Scrubber:
    """Removes credentials from the requests of an attempt whose body could not be read.

    The auth's CredentialGuard does this for failures while sending; a failure while the
    body streams in (cut off, too slow) comes later, outside the auth flow, and the httpx
    error raised for it keeps the request too.
    """

    def __init__(self, request: httpx.Request) -> None:
        self._request = request
        self._before = set(request.headers.multi_items())

    def __call__(self, response: httpx.Response | None) -> None:
        requests = [self._request] if response is None else [self._request, response.request]
        for request in requests:
            for name, value in request.headers.multi_items():
                # What the auth added (a token, a signature, its date), and any credential header.
                if (name, value) not in self._before or name.lower() in CREDENTIAL_HEADERS:
                    request.headers.pop(name, None)


def exchange(
    client: httpx.Client, kwargs: Mapping[str, Any], limits: TransferLimits, call_deadline: float | None
) -> httpx.Response:
    """One attempt: send the request built from ``kwargs`` and read the whole body within the limits."""
    deadline = _attempt_deadline(limits, call_deadline)
    request = _build(client, kwargs, deadline)
    scrub = _Scrubber(request)
    token = _DEADLINE.set(deadline)
    try:
        _check_deadline(deadline, request)
        response = client.send(request, stream=True)
        try:
            body = _Body(response, limits.max_response_bytes)
            if not body.preloaded():
                for chunk in response.iter_raw():
                    body.feed(chunk)
                    _check_deadline(deadline, request)
                _keep(response, body.finish())
        except httpx.HTTPError:
            scrub(response)
            raise
        finally:
            response.close()
    finally:
        _DEADLINE.reset(token)
    return response


async def aexchange(
    client: httpx.AsyncClient, kwargs: Mapping[str, Any], limits: TransferLimits, call_deadline: float | None
) -> httpx.Response:
    """Async counterpart of :func:`exchange`; the deadline is a cancel scope around the attempt."""
    deadline = _attempt_deadline(limits, call_deadline)
    request = _build(client, kwargs, deadline)
    scrub = _Scrubber(request)
    scope: AbstractContextManager[Any] = (
        nullcontext() if deadline is None else anyio.fail_after(max(deadline - time.monotonic(), 0.0))
    )
    response: httpx.Response | None = None
    try:
        with scope:
            response = await client.send(request, stream=True)
            try:
                body = _Body(response, limits.max_response_bytes)
                if not body.preloaded():
                    async for chunk in response.aiter_raw():
                        body.feed(chunk)
                    _keep(response, body.finish())
            finally:
                # Closing must finish even when the deadline cancelled the read.
                with anyio.CancelScope(shield=True):
                    await response.aclose()
    except httpx.HTTPError:
        if response is not None:
            scrub(response)
        raise
    except TimeoutError as exc:
        scrub(response)
        raise httpx.ReadTimeout(_DEADLINE_PASSED, request=request) from exc
    return response
