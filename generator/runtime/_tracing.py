"""OpenTelemetry traces of what a call did; a no-op unless ``opentelemetry-api`` is installed.

Install the ``tracing`` extra (``opentelemetry-api`` only) and configure an SDK as usual;
without a configured SDK the API's no-op tracer makes all of this nearly free. The shape
follows azure-core (``DistributedHttpTracingPolicy``: a CLIENT span per HTTP attempt with
the HTTP semantic conventions, ``http.request.resend_count`` on retries, the trace context
injected into the request, automatic HTTP instrumentation suppressed under it) and the
Google Cloud Python clients (an optional import with a null context manager in its place):

- one INTERNAL span per logical call, named after the operation (``ListProcessorTasks``),
  which records the error a call raises (``error.type``, the error code and request id);
- one INTERNAL span per page walk (``ListProcessorTasks walk``), with an event per page,
  whose calls are its children; one per wait, for waiters;
- one CLIENT span per HTTP attempt (``GET /v2/{project_id}/processor-tasks``), a child of
  its call, with ``http.request.method``, ``url.full``, ``url.template``,
  ``server.address``, ``server.port``, ``http.response.status_code``, ``error.type``,
  ``network.protocol.version``, ``http.request.resend_count`` (1 for the first retry, 2
  for the next...), ``modelarts.request_id`` (``X-Request-Id``) and
  ``modelarts.error_code`` (``ModelArts.xxxx`` of an error answer).

**No credential on any span.** The attempt span is the HTTP span: inside it, automatic
HTTP instrumentation (opentelemetry-instrumentation-httpx) is suppressed through the
context key it honours, so its span, which captures request headers as configured by
``OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST`` (``X-Auth-Token``, the AK/SK
``Authorization`` signature, ``X-Security-Token``), is never made for this client's
requests. The attempt span honours the same capture variables itself
(``..._CLIENT_REQUEST``, ``..._CLIENT_RESPONSE``, ``..._SANITIZE_FIELDS``), writing
``[REDACTED]`` for every credential header and every header the auth added, whatever the
settings say. The trace context (``traceparent``) is injected into each attempt's
request before the auth runs; the AK/SK signer signs a fixed set of headers and lists them
in ``SignedHeaders``, so the signature stays valid with it (the tests check this against
the mock, which verifies every signature).

``TRACING = False`` switches all spans off (for a process that traces through other means).
"""

from __future__ import annotations

import contextvars
import json
import os
import re
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

import httpx

from .auth import CREDENTIAL_HEADERS

try:  # the `tracing` extra
    from opentelemetry import context as otel_context
    from opentelemetry import propagate, trace

    # The context key automatic HTTP instrumentation checks before it makes a span (in
    # opentelemetry-api since before 1.27, the extra's floor).
    from opentelemetry.context import _SUPPRESS_HTTP_INSTRUMENTATION_KEY as _SUPPRESS_HTTP
    from opentelemetry.trace import SpanKind, Status, StatusCode

    AVAILABLE = True
except ImportError:
    AVAILABLE = False

__all__ = ["AVAILABLE", "TRACING", "Attempts", "awalk", "call", "wait", "walk"]

TRACING = True
"""Set to False to make no spans even when OpenTelemetry is installed."""

P = TypeVar("P")

_TRACER_NAME = "processor_tasks_client"
# The semantic conventions the attribute names follow (stable HTTP conventions).
_SCHEMA_URL = "https://opentelemetry.io/schemas/1.26.0"
_REDACTED = "[REDACTED]"
_CAPTURE_REQUEST = "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST"
_CAPTURE_RESPONSE = "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_RESPONSE"
_SANITIZE = "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS"

# The logical call running in this thread or task: (operation, method, URL template). A call
# entered inside another of the same operation (sync() calling sync_detailed()) adds no span.
_CALL: contextvars.ContextVar[tuple[str, str, str] | None] = contextvars.ContextVar(
    "processor_tasks_client_call", default=None
)


def _on() -> bool:
    return AVAILABLE and TRACING


def _tracer() -> Any:
    # Looked up per span, not cached: a tracer provider set after import is honoured.
    from . import __version__

    return trace.get_tracer(_TRACER_NAME, __version__, schema_url=_SCHEMA_URL)


def _error_type(error: BaseException) -> str:
    kind = type(error)
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def _fail(span: Any, error: BaseException) -> None:
    span.set_attribute("error.type", _error_type(error))
    for name, attribute in (
        ("status_code", "http.response.status_code"),
        ("error_code", "modelarts.error_code"),
        ("request_id", "modelarts.request_id"),
    ):
        value = getattr(error, name, None)
        if isinstance(value, int) and not isinstance(value, bool):
            span.set_attribute(attribute, int(value))  # an HTTPStatus member as the plain number
        elif isinstance(value, str):
            span.set_attribute(attribute, value)
    # The message, never the request: the client's errors and httpx's name the failure only.
    span.record_exception(error)
    span.set_status(Status(StatusCode.ERROR, type(error).__name__))


@contextmanager
def call(operation: str, method: str, url_template: str) -> Iterator[None]:
    """The span of one logical call (all its attempts and the waits between them)."""
    running = _CALL.get()
    if not _on() or (running is not None and running[0] == operation):
        yield
        return
    token = _CALL.set((operation, method.upper(), url_template))
    try:
        with _tracer().start_as_current_span(
            operation,
            kind=SpanKind.INTERNAL,
            attributes={"modelarts.operation": operation},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                yield
            except BaseException as error:
                _fail(span, error)
                raise
    finally:
        _CALL.reset(token)


@contextmanager
def wait(operation: str, attributes: Mapping[str, str | int | float | bool] | None = None) -> Iterator[Any]:
    """The span of one wait (a waiter polling until a condition holds); yields the span, or None."""
    if not _on():
        yield None
        return
    with _tracer().start_as_current_span(
        f"{operation} wait",
        kind=SpanKind.INTERNAL,
        attributes={"modelarts.operation": operation, **(attributes or {})},
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield span
        except BaseException as error:
            _fail(span, error)
            raise


class _Walk:
    """The span of one page walk, current only while a page is fetched (never while the
    caller holds a page: the caller's own spans are not the walk's children)."""

    def __init__(self, operation: str, items: str, first_page: int) -> None:
        self.span = _tracer().start_span(
            f"{operation} walk", kind=SpanKind.INTERNAL, attributes={"modelarts.operation": operation}
        )
        self._items = items
        self._index = first_page
        self._pages = 0
        self._count = 0

    def fetching(self) -> AbstractContextManager[Any]:
        return trace.use_span(self.span, end_on_exit=False, record_exception=False, set_status_on_exception=False)

    def page(self, page: Any) -> None:
        listed = getattr(page, self._items, None)
        size = len(listed) if isinstance(listed, list) else 0
        self.span.add_event("page", {"modelarts.page": self._index, "modelarts.page.items": size})
        self._index += 1
        self._pages += 1
        self._count += size

    def end(self, error: BaseException | None) -> None:
        self.span.set_attribute("modelarts.walk.pages", self._pages)
        self.span.set_attribute("modelarts.walk.items", self._count)
        if isinstance(error, GeneratorExit):
            self.span.set_attribute("modelarts.walk.stopped_early", True)  # the caller stopped iterating
        elif error is not None:
            _fail(self.span, error)
        self.span.end()


def walk(operation: str, pages: Iterator[P], *, items: str, first_page: int) -> Generator[P, None, None]:
    """``pages`` (a page walk) inside one span; each page's call is its child.

    Closing this walk closes ``pages`` at once, so that a concurrent walk stops its pages in flight.
    """
    try:
        yield from _walk(operation, pages, items=items, first_page=first_page)
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()


def _walk(operation: str, pages: Iterator[P], *, items: str, first_page: int) -> Iterator[P]:
    if not _on():
        yield from pages
        return
    span = _Walk(operation, items, first_page)
    error: BaseException | None = None
    try:
        while True:
            with span.fetching():
                try:
                    page = next(pages)
                except StopIteration:
                    return
            span.page(page)
            yield page
    except BaseException as exc:
        error = exc
        raise
    finally:
        span.end(error)
        # The error's traceback holds this frame: keeping the error in it would make a
        # cycle that holds the failed page's body (up to max_response_bytes) until the
        # garbage collector runs.
        error = None


async def awalk(operation: str, pages: AsyncIterator[P], *, items: str, first_page: int) -> AsyncGenerator[P, None]:
    """Async counterpart of :func:`walk`."""
    try:
        if not _on():
            async for page in pages:
                yield page
            return
        span = _Walk(operation, items, first_page)
        error: BaseException | None = None
        try:
            while True:
                with span.fetching():
                    try:
                        page = await pages.__anext__()
                    except StopAsyncIteration:
                        return
                span.page(page)
                yield page
        except BaseException as exc:
            error = exc
            raise
        finally:
            span.end(error)
            error = None  # no cycle through this frame (see _walk)
    finally:
        aclose = getattr(pages, "aclose", None)
        if aclose is not None:
            await aclose()


def _header_patterns(variable: str) -> list[re.Pattern[str]]:
    raw = os.environ.get(variable, "")
    return [re.compile(item.strip(), re.IGNORECASE) for item in raw.split(",") if item.strip()]


def _matches(patterns: list[re.Pattern[str]], name: str) -> bool:
    return any(p.fullmatch(name) for p in patterns)


def _capture(span: Any, headers: httpx.Headers, variable: str, prefix: str, secret: Callable[[str, str], bool]) -> None:
    # The capture settings of opentelemetry-instrumentation-httpx, applied here because its
    # own spans are suppressed; a credential is written as [REDACTED] whatever they say.
    wanted = _header_patterns(variable)
    if not wanted:
        return
    sanitize = _header_patterns(_SANITIZE)
    captured: dict[str, list[str]] = {}
    for name, value in headers.multi_items():
        lower = name.lower()
        if not _matches(wanted, lower):
            continue
        shown = _REDACTED if secret(lower, value) or _matches(sanitize, lower) else value
        captured.setdefault(f"{prefix}.{lower.replace('-', '_')}", []).append(shown)
    for key, values in captured.items():
        span.set_attribute(key, values)


def _error_code(response: httpx.Response) -> str | None:
    if response.status_code < 400 or not response.content:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    code = body.get("error_code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


class Attempts:
    """Spans for the HTTP attempts of one call, numbered for ``http.request.resend_count``.

    Args:
        kwargs: The request (``method``, ``url``, ``params``, ``headers``), as given to
            ``_transfer.exchange``.
        base_url: The httpx client's base URL, to name the server.
    """

    def __init__(self, kwargs: Mapping[str, Any], base_url: httpx.URL) -> None:
        self._kwargs = kwargs
        self._base_url = base_url
        self._sent = 0
        self._plain: frozenset[tuple[str, str]] = frozenset()

    def send(self, exchange: Callable[[Mapping[str, Any]], httpx.Response]) -> httpx.Response:
        """Run one attempt (``exchange`` of the request) inside its span."""
        if not _on():
            return exchange(self._kwargs)
        span, kwargs = self._start()
        try:
            with self._current(span):
                response = exchange(kwargs)
        except BaseException as error:
            self._failed(span, error)
            raise
        self._answered(span, response)
        return response

    async def asend(self, exchange: Callable[[Mapping[str, Any]], Awaitable[httpx.Response]]) -> httpx.Response:
        """Async counterpart of :meth:`send`."""
        if not _on():
            return await exchange(self._kwargs)
        span, kwargs = self._start()
        try:
            with self._current(span):
                response = await exchange(kwargs)
        except BaseException as error:
            self._failed(span, error)
            raise
        self._answered(span, response)
        return response

    def _start(self) -> tuple[Any, dict[str, Any]]:
        kwargs = dict(self._kwargs)
        method = str(kwargs["method"]).upper()
        running = _CALL.get()
        template = running[2] if running is not None else None
        url = self._base_url.join(str(kwargs["url"]))
        if kwargs.get("params"):
            url = url.copy_merge_params(kwargs["params"])
        port = url.port or (443 if url.scheme == "https" else 80)
        attributes: dict[str, Any] = {
            "http.request.method": method,
            "url.full": str(url.copy_with(username=None, password=None)),
            "server.address": url.host,
            "server.port": port,
        }
        if template:
            attributes["url.template"] = template
        if self._sent:
            attributes["http.request.resend_count"] = self._sent
        self._sent += 1
        span = _tracer().start_span(
            f"{method} {template}" if template else method, kind=SpanKind.CLIENT, attributes=attributes
        )
        # The trace context goes into the request before the auth runs; the signer signs
        # only the headers it lists in SignedHeaders, so the signature stays valid.
        headers = httpx.Headers(kwargs.get("headers"))
        self._plain = frozenset((k.lower(), v) for k, v in headers.multi_items())
        with trace.use_span(span, end_on_exit=False):
            propagate.inject(headers)
        kwargs["headers"] = headers
        return span, kwargs

    @contextmanager
    def _current(self, span: Any) -> Iterator[None]:
        with trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
            token = otel_context.attach(otel_context.set_value(_SUPPRESS_HTTP, True))
            try:
                yield
            finally:
                otel_context.detach(token)

    def _secret(self, name: str, value: str) -> bool:
        # A credential header, or anything the auth added to what the caller asked to send
        # (a signature date, a custom auth's header): never on a span.
        return name in CREDENTIAL_HEADERS or ((name, value) not in self._plain and name not in _SAFE_ADDED)

    def _answered(self, span: Any, response: httpx.Response) -> None:
        status = response.status_code
        span.set_attribute("http.response.status_code", status)
        version = response.http_version.removeprefix("HTTP/")
        if version:
            span.set_attribute("network.protocol.version", version)
        request_id = response.headers.get("x-request-id")
        if request_id:
            span.set_attribute("modelarts.request_id", request_id)
        if span.is_recording():
            _capture(span, response.request.headers, _CAPTURE_REQUEST, "http.request.header", self._secret)
            _capture(span, response.headers, _CAPTURE_RESPONSE, "http.response.header", lambda name, _v: False)
        if status >= 400:
            span.set_attribute("error.type", str(status))
            code = _error_code(response) if span.is_recording() else None
            if code:
                span.set_attribute("modelarts.error_code", code)
            span.set_status(Status(StatusCode.ERROR))
        span.end()

    def _failed(self, span: Any, error: BaseException) -> None:
        _fail(span, error)
        span.end()


# Headers httpx or this client add to every request that carry nothing secret, so that a
# capture setting may show them: httpx's own and the trace context.
_SAFE_ADDED = frozenset(
    {
        "host",
        "accept",
        "accept-encoding",
        "connection",
        "user-agent",
        "content-length",
        "content-type",
        "traceparent",
        "tracestate",
        "baggage",
    }
)
