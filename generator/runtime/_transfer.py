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

Each attempt also keeps two promises httpx leaves to its users:

- one answer per request: bytes that arrive after an answer's end (its ``Content-Length``,
  or the last chunk) are no answer to anything, and the connection they came on is
  closed instead of going back to the pool, where the next request would read them as
  its own answer;
- a body's memory is given back when the call is done: httpx's Response and its stream
  refer to each other, so without help a body lived until the garbage collector ran.

It also hides, for the length of the attempt, a redirect's ``Location`` that cannot be
followed (not http or https, or no URL at all), which httpx would otherwise turn into an
exception before anyone saw the answer; the redirect then comes back like any other
undocumented status, its ``Location`` restored.
"""

from __future__ import annotations

import contextvars
import logging
import math
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from http.cookiejar import CookieJar
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
    "finite_number",
    "install_deadlines",
    "install_hooks",
    "keep_no_cookies",
]

_log = logging.getLogger("processor_tasks_client")

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

# Set while an attempt of this client runs in this thread or task: the response hook
# leaves other users of the same httpx client alone.
_IN_ATTEMPT: contextvars.ContextVar[bool] = contextvars.ContextVar("processor_tasks_client_attempt", default=False)

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


def finite_number(value: object) -> bool:
    """Whether ``value`` is an int or float (not a bool) that a float can hold and that is finite."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def check_limit(name: str, value: float | None) -> None:
    """Refuse a bound that is not a number, or zero or negative (``None``, no bound, is fine)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        # True would pass as one second (or one byte), a string would fail only at the first call.
        raise TypeError(f"{name}: expected a number or None, got {type(value).__name__}")
    if value is not None and not value > 0:
        raise ValueError(f"{name} must be positive or None, got {value!r}")


def _attempt_deadline(limits: TransferLimits, call_deadline: float | None) -> float | None:
    own = None if limits.attempt_timeout is None else time.monotonic() + limits.attempt_timeout
    if own is None or call_deadline is None:
        return call_deadline if own is None else own
    return min(own, call_deadline)


# The longest wait handed to a socket or lock. The OS counts timeouts in nanoseconds of a
# 64-bit time_t (about 292 years); a bound past that (``call_timeout=1e12`` with
# ``timeout=None``) made the socket layer raise a bare OverflowError before anything was
# sent. Any wait longer than this is no bound at all in practice (about 31 years).
_LONGEST_WAIT = 1e9


def _capped(seconds: float) -> float:
    return min(seconds, _LONGEST_WAIT)


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` shortened to what is left of the current attempt; ``error`` once nothing is."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return None if timeout is None else _capped(timeout)
    left = deadline - time.monotonic()
    if left <= 0:
        raise error(_DEADLINE_PASSED)
    return _capped(left if timeout is None else min(timeout, left))


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
        self._gzip = coding in ("gzip", "x-gzip")
        self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS if self._gzip else zlib.MAX_WBITS)

    def feed(self, data: bytes, room: int | None) -> bytes:
        """Decompressed bytes of ``data``; at most ``room + 1`` of them, so that overflow shows."""
        limit = 0 if room is None else room + 1
        out = self._one(data, limit)
        # A gzip body may be several members one after the other (RFC 1952 2.2), each
        # needing a decompressor of its own; zlib stops at the end of the first. Bytes
        # after a member that are not a member fail in the next decompressor.
        while self._gzip and self._zlib.eof and self._zlib.unused_data:
            left = 0 if limit == 0 else limit - len(out)
            if limit and left <= 0:
                break  # already past the room: the caller raises
            rest = self._zlib.unused_data
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += self._zlib.decompress(rest, left)
        return out

    def _one(self, data: bytes, limit: int) -> bytes:
        # Past a member's end (one that ended where a chunk did), zlib keeps what follows
        # as unused data, for feed() to start the next member with.
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


def _h11_state(response: httpx.Response) -> Any:
    """The h11 state machine of the HTTP/1.1 connection ``response`` came on, or None.

    httpx has no public way to reach it; this walks httpx's and httpcore's stream
    wrappers (httpx response stream, pool stream, HTTP/1.1 connection stream). Any
    other transport (HTTP/2, a MockTransport, one of the caller's) gives None.
    """
    found: Any = response.stream
    for name in ("_stream", "_httpcore_stream", "_stream", "_connection", "_h11_state"):
        found = getattr(found, name, None)
    return found if hasattr(found, "trailing_data") and hasattr(found, "send_failed") else None


def _drop_if_surplus(response: httpx.Response, state: Any) -> None:
    """Keep the connection out of the pool when bytes followed the answer's end.

    Called once the body has been read to its end and before the response is closed,
    which is when httpcore hands the connection back to the pool; h11 then still holds
    what it read past the answer. (Bytes arriving later make the idle socket readable,
    and httpcore drops such a connection before reusing it.)
    """
    surplus, _ = state.trailing_data
    if not surplus:
        return
    # A connection whose own side failed is closed when the response is, instead of
    # being reused: the next request would read these bytes as its answer.
    state.send_failed()
    request = response.request
    _log.warning(
        "dropping the connection of %s %s: %d bytes followed the answer (request id %s)",
        request.method,
        request.url.path,
        len(surplus),
        response.headers.get("x-request-id"),
    )


class _Watched(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response's stream, checked for surplus bytes at its end and let go of once closed.

    The response hook puts it in place of ``response.stream`` for every answer of an
    attempt. httpx's own stream refers back to the response (for ``elapsed``): dropping
    that stream on close breaks the cycle, so the body goes when the last reference to the
    response does, not when the garbage collector runs.
    """

    def __init__(self, response: httpx.Response) -> None:
        self._response: httpx.Response | None = response
        self._inner: Any = response.stream
        self._state = _h11_state(response)

    def _ended(self) -> None:
        if self._state is not None and self._response is not None:
            _drop_if_surplus(self._response, self._state)

    def _let_go(self) -> Any:
        inner, self._inner = self._inner, httpx.ByteStream(b"")
        self._state = self._response = None
        return inner

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner
        self._ended()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk
        self._ended()

    def close(self) -> None:
        self._let_go().close()

    async def aclose(self) -> None:
        await self._let_go().aclose()


_HIDDEN_LOCATION = "processor_tasks_client.location"


def _followable(response: httpx.Response) -> bool:
    """Whether a redirect's Location names an http(s) URL httpx can build a request for.

    The same steps as httpx's own (absolute, scheme without host, relative), which raise
    ``InvalidURL`` or ``RemoteProtocolError`` on a Location such as ``mailto:x``,
    ``javascript:x`` or ``http://[::1``: an answer would be lost as an exception (and the
    latter retried as a network fault).
    """
    request = response.request
    try:
        url = httpx.URL(response.headers["location"])
        if url.scheme and not url.host:
            url = url.copy_with(host=request.url.host)
        if url.is_relative_url:
            url = request.url.join(url)
        port = url.port
    except (httpx.InvalidURL, UnicodeError, ValueError):
        return False
    # httpx parses ports past 65535, which the socket layer then refuses with OverflowError.
    return url.scheme in ("http", "https") and bool(url.host) and (port is None or 0 < port < 65536)


def _on_response(response: httpx.Response) -> None:
    """httpx's response hook: runs on every answer of an attempt, redirect hops included,
    before anyone reads its body."""
    if not _IN_ATTEMPT.get():
        return
    if not isinstance(response.stream, _Watched):
        response.stream = _Watched(response)
    if response.has_redirect_location and not _followable(response):
        # Without a Location httpx builds no redirect request (and the auth flow follows none).
        response.extensions[_HIDDEN_LOCATION] = response.headers["location"]
        del response.headers["location"]


async def _aon_response(response: httpx.Response) -> None:
    _on_response(response)


def _restore_location(response: httpx.Response) -> None:
    hidden = response.extensions.pop(_HIDDEN_LOCATION, None)
    if isinstance(hidden, str):
        response.headers["location"] = hidden


def install_hooks(client: httpx.Client | httpx.AsyncClient) -> None:
    """Add the response hook that watches each answer of an attempt (see above). Idempotent.

    Installed on every client the endpoint functions send through, the caller's own
    (``set_httpx_client``) included; outside an attempt the hook does nothing.
    """
    hook: Any = _aon_response if isinstance(client, httpx.AsyncClient) else _on_response
    hooks = client.event_hooks
    if hook not in hooks.get("response", []):
        client.event_hooks = {**hooks, "response": [*hooks.get("response", []), hook]}


class _KeepNoCookies(CookieJar):
    """A cookie jar that stores no cookie a server sets; those the caller gives it, it sends."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        """Ignore every ``Set-Cookie``: the API uses no cookies, and a jar that grows with
        each answer would make every later request larger and slower."""


def keep_no_cookies(cookies: Mapping[str, str]) -> CookieJar:
    """The cookie jar of the client's httpx clients: ``cookies`` only, whatever servers set."""
    jar = _KeepNoCookies()
    httpx.Cookies(jar).update(dict(cookies))
    return jar


def _build(
    client: httpx.Client | httpx.AsyncClient, kwargs: Mapping[str, Any], deadline: float | None
) -> httpx.Request:
    args = dict(kwargs)
    headers = httpx.Headers(args.pop("headers", None))
    # Only encodings _Body can undo within the cap; httpx would also offer br and zstd
    # when their packages happen to be installed.
    headers["Accept-Encoding"] = ACCEPT_ENCODING
    if deadline is not None:
        left = _capped(max(deadline - time.monotonic(), 0.0))
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
    attempt = _IN_ATTEMPT.set(True)
    try:
        _check_deadline(deadline, request)
        response = client.send(request, stream=True)
        try:
            _restore_location(response)
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
        _IN_ATTEMPT.reset(attempt)
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
    attempt = _IN_ATTEMPT.set(True)
    try:
        with scope:
            response = await client.send(request, stream=True)
            try:
                _restore_location(response)
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
    finally:
        _IN_ATTEMPT.reset(attempt)
    return response
