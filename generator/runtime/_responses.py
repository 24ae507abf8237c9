"""Helpers the generated endpoint modules share: sending, decoding and raising.

Kept out of the templates so that each operation module stays a thin, readable shell
and the error behaviour lives (and is tested) in one place.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from http import HTTPStatus
from typing import Any, TypeVar

import httpx

from . import _tracing, errors
from ._decode import SHAPE_ERRORS, InvalidBody, decode_model
from ._transfer import TransferLimits, aexchange, exchange, install_deadlines, install_hooks
from .retry import RetryPolicy, asend_with_retries, send_with_retries
from .types import Response

T = TypeVar("T")

# A monotonic deadline that calls made in this context must end by, on top of their own
# call_timeout: a waiter (waiter.py) sets it so that a poll cannot outlast the wait.
_OUTER_DEADLINE: ContextVar[float | None] = ContextVar("processor_tasks_client_outer_deadline", default=None)


@contextmanager
def call_deadline_within(seconds: float | None) -> Iterator[None]:
    """Calls made inside end within ``seconds`` (None: no extra bound), whatever their call_timeout."""
    if seconds is None:
        yield
        return
    token = _OUTER_DEADLINE.set(time.monotonic() + max(seconds, 0.0))
    try:
        yield
    finally:
        _OUTER_DEADLINE.reset(token)


def _call_deadline(limits: TransferLimits) -> float | None:
    own, outer = limits.call_deadline(time.monotonic()), _OUTER_DEADLINE.get()
    if own is None or outer is None:
        return own if outer is None else outer
    return min(own, outer)


def status_of(code: int) -> int:
    """The HTTPStatus member for a known code, the bare int for others (499, 520, ...).

    ``HTTPStatus(499)`` raises ValueError, and a client must not fail on a status a proxy
    invented.
    """
    try:
        return HTTPStatus(code)
    except ValueError:
        return code


_CLOSED = "the client was closed; build a new one (a closed client cannot be opened again)"


@contextmanager
def _client_errors(client: httpx.Client | httpx.AsyncClient) -> Iterator[None]:
    """Turn httpx's failures into the client's own exceptions (shared by send and asend)."""
    if client.is_closed:
        raise errors.ClientClosedError(_CLOSED)
    try:
        yield
    except httpx.TimeoutException as exc:
        # httpx's async read timeouts carry no message; the class still says which wait ran out.
        raise errors.APITimeoutError(f"request timed out: {str(exc) or type(exc).__name__}") from exc
    except httpx.TransportError as exc:
        raise errors.APIConnectionError(f"request failed: {exc!r}") from exc
    except RuntimeError as exc:
        if not client.is_closed:
            raise
        # Closed by another thread or task while this call was under way.
        raise errors.ClientClosedError(_CLOSED) from exc


def _what(kwargs: dict[str, Any]) -> str:
    # Method and path only, for log records: the query holds filters, the headers credentials.
    return f"{kwargs['method'].upper()} {str(kwargs['url']).split('?', 1)[0]}"


def send(
    client: httpx.Client, kwargs: dict[str, Any], retry: RetryPolicy | None, limits: TransferLimits | None = None
) -> httpx.Response:
    """Send a request (with retries) within ``limits``, turning transport failures into the client's own exceptions.

    The returned response has its whole body read (``.content``), decoded and within the cap.
    """
    limits = limits or TransferLimits()
    install_deadlines(client)
    install_hooks(client)
    deadline = _call_deadline(limits)
    traced = _tracing.Attempts(kwargs, client.base_url)  # a span per attempt, when tracing is on
    with _client_errors(client):
        return send_with_retries(
            lambda: traced.send(lambda request: exchange(client, request, limits, deadline)),
            kwargs["method"],
            retry,
            deadline=deadline,
            what=_what(kwargs),
        )


async def asend(
    client: httpx.AsyncClient, kwargs: dict[str, Any], retry: RetryPolicy | None, limits: TransferLimits | None = None
) -> httpx.Response:
    """Async counterpart of :func:`send`."""
    limits = limits or TransferLimits()
    install_hooks(client)
    deadline = _call_deadline(limits)
    traced = _tracing.Attempts(kwargs, client.base_url)
    with _client_errors(client):
        return await asend_with_retries(
            lambda: traced.asend(lambda request: aexchange(client, request, limits, deadline)),
            kwargs["method"],
            retry,
            deadline=deadline,
            what=_what(kwargs),
        )


def decode(response: httpx.Response, from_dict: Callable[[Mapping[str, Any]], T]) -> T:
    """Decode a success body into its model; any deviation raises ResponseDecodeError."""
    try:
        # The one point where bytes become models (_decode.py: fast path and reference path).
        return decode_model(response.content, from_dict)
    except InvalidBody as exc:
        request_id = response.headers.get("x-request-id")
        raise errors.ResponseDecodeError(response.status_code, response.content, exc.reason, request_id) from exc


def decode_error(response: httpx.Response, from_dict: Callable[[Mapping[str, Any]], T]) -> T | None:
    """Decode an error body leniently: ``None`` when it is not the documented error object.

    A gateway's HTML 401 page is still a 401; the status must reach the caller intact.
    """
    try:
        data = json.loads(response.content)
        return from_dict(data) if isinstance(data, dict) else None
    except (ValueError, *SHAPE_ERRORS):
        return None


def unwrap(response: Response[Any], expected: type[T]) -> T:
    """Return the success model of a detailed response, or raise the matching exception."""
    headers = response.headers
    if 200 <= response.status_code <= 299 and isinstance(response.parsed, expected):
        return response.parsed
    if 200 <= response.status_code <= 299:
        # A 2xx the contract does not document for this operation.
        raise errors.UnexpectedStatus(
            response.status_code,
            request_id=headers.get("x-request-id"),
            content=response.content,
            headers=headers,
        )
    raise errors.error_for_status(response.status_code, response.content, headers)
