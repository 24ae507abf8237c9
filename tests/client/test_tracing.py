"""Traces (processor_tasks_client/_tracing.py), recorded by the OpenTelemetry SDK's in-memory
exporter: a span per call, walk and HTTP attempt forming one tree, the HTTP semantic
conventions on each attempt, no credential on any span (with opentelemetry-instrumentation-httpx
capturing every header), AK/SK signatures valid with traceparent, and a no-op without
OpenTelemetry."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from processor_tasks_client import AkSkAuth, AuthenticatedClient, RetryPolicy, _tracing, errors
from processor_tasks_client.api.processor_tasks import describe_processor_task, list_processor_tasks
from processor_tasks_mock.testing import serving

from tests.client.stub_server import Answer, StubServer

ROOT = Path(__file__).resolve().parents[2]
_EXPORTER = InMemorySpanExporter()
_PROVIDER = TracerProvider()
_PROVIDER.add_span_processor(SimpleSpanProcessor(_EXPORTER))


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    # The global provider can be set once per process; every test here shares it and
    # starts from an empty exporter.
    if trace.get_tracer_provider() is not _PROVIDER:
        trace.set_tracer_provider(_PROVIDER)
    assert trace.get_tracer_provider() is _PROVIDER, "another test set a tracer provider first"
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


def ids(span: ReadableSpan) -> tuple[int, int | None]:
    assert span.context is not None
    return span.context.span_id, None if span.parent is None else span.parent.span_id


def by_kind(finished: tuple[ReadableSpan, ...], kind: SpanKind) -> list[ReadableSpan]:
    return [s for s in finished if s.kind == kind]


def error_body(code: str) -> bytes:
    return json.dumps({"error_code": code, "error_msg": "m"}).encode()


def answers_503_503_200() -> list[Answer]:
    headers = {"Content-Type": "application/json"}
    return [
        Answer(status=503, body=error_body("ModelArts.4302"), headers={**headers, "X-Request-Id": "r1"}),
        Answer(status=503, body=error_body("ModelArts.4302"), headers={**headers, "X-Request-Id": "r2"}),
        Answer(body=b'{"count": 0, "tasks": []}', headers={**headers, "X-Request-Id": "r3"}),
    ]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_the_spans_of_a_retried_call_form_one_tree(
    mode: str, stub: StubServer, fast_retry: RetryPolicy, spans: InMemorySpanExporter
) -> None:
    stub.reply(*answers_503_503_200())
    outer_tracer = trace.get_tracer("the-service")
    async with AuthenticatedClient(base_url=stub.base_url, token="secret-token", retry=fast_retry) as client:
        with outer_tracer.start_as_current_span("handle request") as outer:
            if mode == "sync":
                with client:
                    list_processor_tasks.sync("p", client=client, limit=5)
            else:
                await list_processor_tasks.asyncio("p", client=client, limit=5)
    finished = spans.get_finished_spans()
    (call,) = [s for s in finished if s.name == "ListProcessorTasks"]
    attempts = by_kind(finished, SpanKind.CLIENT)
    assert len(finished) == 5  # the service's span, the call, three attempts
    # One trace: the service's span > the call > its three attempts.
    assert ids(call)[1] == outer.get_span_context().span_id
    assert [ids(a)[1] for a in attempts] == [ids(call)[0]] * 3
    assert {s.context.trace_id for s in finished if s.context} == {outer.get_span_context().trace_id}
    assert call.kind == SpanKind.INTERNAL and call.attributes == {"modelarts.operation": "ListProcessorTasks"}
    # The HTTP semantic conventions on each attempt, the resend count from the first retry on.
    assert [a.name for a in attempts] == ["GET /v2/{project_id}/processor-tasks"] * 3
    assert [a.attributes.get("http.request.resend_count") for a in attempts if a.attributes] == [None, 1, 2]
    assert [a.attributes.get("http.response.status_code") for a in attempts if a.attributes] == [503, 503, 200]
    assert [a.attributes.get("error.type") for a in attempts if a.attributes] == ["503", "503", None]
    assert [a.attributes.get("modelarts.error_code") for a in attempts if a.attributes] == [
        "ModelArts.4302",
        "ModelArts.4302",
        None,
    ]
    assert [a.attributes.get("modelarts.request_id") for a in attempts if a.attributes] == ["r1", "r2", "r3"]
    assert [a.status.status_code for a in attempts] == [StatusCode.ERROR, StatusCode.ERROR, StatusCode.UNSET]
    first = dict(attempts[0].attributes or {})
    port = int(stub.base_url.rsplit(":", 1)[1])
    assert first["http.request.method"] == "GET"
    assert first["server.address"] == "127.0.0.1" and first["server.port"] == port
    assert first["url.template"] == "/v2/{project_id}/processor-tasks"
    assert str(first["url.full"]).startswith(f"{stub.base_url}/v2/p/processor-tasks?limit=5&offset=0")
    assert first["network.protocol.version"] == "1.1"
    # Each attempt carried its own span as the parent in traceparent.
    assert [s.headers["traceparent"].split("-")[2] for s in stub.seen] == [format(ids(a)[0], "016x") for a in attempts]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_failed_call_records_its_error(mode: str, stub: StubServer, spans: InMemorySpanExporter) -> None:
    stub.reply(Answer(status=404, body=error_body("ModelArts.4700"), headers={"X-Request-Id": "req-9"}))
    async with AuthenticatedClient(base_url=stub.base_url, token="t", retry=None) as client:
        with pytest.raises(errors.TaskNotFoundError):
            if mode == "sync":
                with client:
                    describe_processor_task.sync("p", "t1", client=client)
            else:
                await describe_processor_task.asyncio("p", "t1", client=client)
    (call,) = by_kind(spans.get_finished_spans(), SpanKind.INTERNAL)
    (attempt,) = by_kind(spans.get_finished_spans(), SpanKind.CLIENT)
    assert call.name == "DescribeProcessorTask" and call.status.status_code == StatusCode.ERROR
    assert call.attributes is not None and attempt.attributes is not None
    assert call.attributes["error.type"] == "processor_tasks_client.errors.TaskNotFoundError"
    assert call.attributes["modelarts.error_code"] == "ModelArts.4700"
    assert call.attributes["modelarts.request_id"] == "req-9"
    assert call.attributes["http.response.status_code"] == 404
    assert [e.name for e in call.events] == ["exception"]
    assert attempt.attributes["error.type"] == "404" and attempt.name.endswith("/{task_id}")


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_transport_failure_is_an_attempt_error(mode: str, spans: InMemorySpanExporter) -> None:
    client = AuthenticatedClient(base_url="http://127.0.0.1:9", token="t", retry=None)  # discard port: refused
    with pytest.raises(errors.APIConnectionError):
        if mode == "sync":
            list_processor_tasks.sync("p", client=client)
        else:
            await list_processor_tasks.asyncio("p", client=client)
    (attempt,) = by_kind(spans.get_finished_spans(), SpanKind.CLIENT)
    (call,) = by_kind(spans.get_finished_spans(), SpanKind.INTERNAL)
    assert attempt.attributes is not None and call.attributes is not None
    assert attempt.attributes["error.type"] == "httpx.ConnectError"
    assert "http.response.status_code" not in attempt.attributes
    assert call.attributes["error.type"] == "processor_tasks_client.errors.APIConnectionError"


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_walk_is_one_span_over_its_calls(mode: str, spans: InMemorySpanExporter) -> None:
    with serving() as mock:
        mock.inject(unavailable=1)
        tasks = mock.processor_tasks(retry=RetryPolicy(backoff_base=0.001, backoff_max=0.002))
        if mode == "sync":
            found = list(tasks.iter_list_processor_tasks(limit=100))
        else:
            found = [t async for t in tasks.aiter_list_processor_tasks(limit=100)]
    finished = spans.get_finished_spans()
    (walk,) = [s for s in finished if s.name == "ListProcessorTasks walk"]
    calls = [s for s in finished if s.name == "ListProcessorTasks"]
    attempts = by_kind(finished, SpanKind.CLIENT)
    pages = (len(found) + 99) // 100
    assert walk.parent is None and len(calls) == pages
    assert all(ids(c)[1] == ids(walk)[0] for c in calls)
    assert all(ids(a)[1] in {ids(c)[0] for c in calls} for a in attempts)
    assert len(attempts) == pages + 1  # the first page was retried once
    assert walk.attributes is not None
    assert walk.attributes["modelarts.walk.pages"] == pages
    assert walk.attributes["modelarts.walk.items"] == len(found)
    assert [e.attributes["modelarts.page"] for e in walk.events if e.attributes] == list(range(pages))


def test_a_walk_stopped_early_still_ends_its_span(spans: InMemorySpanExporter) -> None:
    with serving() as mock:
        tasks = mock.processor_tasks()
        walk = tasks.iter_list_processor_tasks(limit=10)
        next(walk)
        walk.close()  # type: ignore[attr-defined]
    (span,) = [s for s in spans.get_finished_spans() if s.name == "ListProcessorTasks walk"]
    assert span.attributes is not None and span.attributes["modelarts.walk.stopped_early"] is True


def test_a_wait_span_records_its_outcome(spans: InMemorySpanExporter) -> None:
    with _tracing.wait("DescribeProcessorTask", {"modelarts.wait.for": "completed"}):
        pass
    with pytest.raises(errors.APITimeoutError), _tracing.wait("DescribeProcessorTask"):
        raise errors.APITimeoutError("gave up")
    done, failed = spans.get_finished_spans()
    assert done.name == "DescribeProcessorTask wait" and done.status.status_code == StatusCode.UNSET
    assert failed.status.status_code == StatusCode.ERROR


def test_tracing_can_be_switched_off(
    stub: StubServer, spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_tracing, "TRACING", False)
    with AuthenticatedClient(base_url=stub.base_url, token="t", retry=None) as client:
        list(list_processor_tasks.iter_items("p", client=client))
    assert spans.get_finished_spans() == ()
    assert "traceparent" not in stub.seen[0].headers


# -- credentials ---------------------------------------------------------------------------

TOKEN = "mock-token"  # the mock's; the token client sends it
SECURITY_TOKEN = "SECURITY-TOKEN-must-not-leak"


def everything(span: ReadableSpan) -> str:
    """All a span holds, as text: name, attributes, events, links, status, resource."""
    parts: list[Any] = [span.name, dict(span.attributes or {}), span.status.description, span.resource.attributes]
    parts += [(e.name, dict(e.attributes or {})) for e in span.events]
    parts += [dict(link.attributes or {}) for link in span.links]
    return repr(parts)


def instrumentation() -> Any:
    # Not installed by `make compat`'s lowest set, whose opentelemetry-api is older than any
    # instrumentation release accepts; requirements/dev.txt pins it for every other run.
    return pytest.importorskip("opentelemetry.instrumentation.httpx")


@pytest.fixture
def instrumented(monkeypatch: pytest.MonkeyPatch, spans: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    """opentelemetry-instrumentation-httpx on every httpx client, capturing every header."""
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST", ".*")
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_RESPONSE", ".*")
    instrumentor = instrumentation().HTTPXClientInstrumentor()
    instrumentor.instrument(tracer_provider=_PROVIDER)
    try:
        yield spans
    finally:
        instrumentor.uninstrument()


@pytest.mark.parametrize("auth", ["token", "aksk"])
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_no_span_holds_a_credential(mode: str, auth: str, instrumented: InMemorySpanExporter) -> None:
    with serving() as mock:
        mock.inject(unavailable=1)  # one retry, so that a resent request is covered too
        retry = RetryPolicy(backoff_base=0.001, backoff_max=0.002)
        if auth == "token":
            client = mock.client("token", retry=retry)
        else:
            aksk = AkSkAuth(mock.access_key, mock.secret_key, security_token=SECURITY_TOKEN)
            client = AuthenticatedClient(
                base_url=mock.base_url, auth=aksk, retry=retry, httpx_args={"trust_env": False}
            )
        if mode == "sync":
            with client:
                list_processor_tasks.sync(mock.project_id, client=client, limit=3)
        else:
            async with client:
                await list_processor_tasks.asyncio(mock.project_id, client=client, limit=3)
        sent = mock.requests
    assert [r.status for r in sent] == [503, 200]  # AK/SK signatures with traceparent verified
    secrets = [TOKEN] if auth == "token" else [mock.secret_key, SECURITY_TOKEN]
    secrets += [r.headers["authorization"] for r in sent if "authorization" in r.headers]
    secrets += [r.headers["authorization"].rsplit("Signature=", 1)[1] for r in sent if "authorization" in r.headers]
    finished = instrumented.get_finished_spans()
    # The instrumentation made no span of its own: the client's attempt span replaced it.
    assert {s.instrumentation_scope.name for s in finished if s.instrumentation_scope} == {"processor_tasks_client"}
    for span in finished:
        text = everything(span)
        assert not [s for s in secrets if s in text], span.name
    # The capture setting is honoured, with the credentials redacted.
    attempt = by_kind(finished, SpanKind.CLIENT)[-1]
    assert attempt.attributes is not None
    credential = "http.request.header.x_auth_token" if auth == "token" else "http.request.header.authorization"
    assert attempt.attributes[credential] == ("[REDACTED]",)
    assert attempt.attributes["http.request.header.traceparent"]
    assert attempt.attributes["http.response.header.x_request_id"]
    if auth == "aksk":
        assert attempt.attributes["http.request.header.x_security_token"] == ("[REDACTED]",)
    # traceparent reached the server on every attempt, and the mock verified each signature.
    assert all("traceparent" in r.headers for r in sent)


def test_requests_sent_through_the_httpx_client_directly_are_the_instrumentation_s(
    instrumented: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the guide warns about: get_httpx_client() used by hand bypasses the client's
    # spans, so the instrumentation captures the token unless told to sanitize it.
    with serving() as mock:
        client = mock.client()
        client.get_httpx_client().get(f"/v2/{mock.project_id}/processor-tasks")
    (raw,) = instrumented.get_finished_spans()
    assert raw.attributes is not None and raw.attributes["http.request.header.x_auth_token"] == (TOKEN,)
    instrumentor = instrumentation().HTTPXClientInstrumentor()
    instrumentor.uninstrument()
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS", "x-auth-token,authorization")
    instrumentor.instrument(tracer_provider=_PROVIDER)
    instrumented.clear()
    with serving() as mock:
        mock.client().get_httpx_client().get(f"/v2/{mock.project_id}/processor-tasks")
    (raw,) = instrumented.get_finished_spans()
    assert raw.attributes is not None and raw.attributes["http.request.header.x_auth_token"] == ("[REDACTED]",)


def test_without_opentelemetry_tracing_is_a_no_op(stub: StubServer) -> None:
    script = f"""
import sys
sys.modules["opentelemetry"] = None  # as if the tracing extra were not installed
from processor_tasks_client import AuthenticatedClient, _tracing
from processor_tasks_client.api.processor_tasks import list_processor_tasks
assert not _tracing.AVAILABLE
client = AuthenticatedClient(base_url={stub.base_url!r}, token="t", retry=None)
print(len(list(list_processor_tasks.iter_items("p", client=client))))
"""
    env = {"PYTHONPATH": str(ROOT / "generated_client"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"
    assert len(stub.seen) == 1 and "traceparent" not in stub.seen[0].headers


def test_the_extra_pins_the_api_only() -> None:
    text = (ROOT / "generated_client" / "pyproject.toml").read_text(encoding="utf-8")
    assert 'tracing = ["opentelemetry-api>=1.27.0"]' in text


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_wait_is_one_span_over_its_polls(mode: str, spans: InMemorySpanExporter) -> None:
    from processor_tasks_mock.testing import in_process

    timeline = [{"after": 1, "status": "RUNNING"}, {"after": 3, "status": "FAILED", "error_msg": "denied"}]
    with in_process() as handle:
        handle.seed([], lifecycles={"t": timeline})
        tasks = handle.processor_tasks()
        with pytest.raises(errors.TaskFailedError):
            if mode == "sync":
                tasks.wait_processor_task("t", clock=handle.clock)
            else:
                await tasks.await_processor_task("t", clock=handle.clock)
    finished = spans.get_finished_spans()
    (wait,) = [s for s in finished if s.name == "DescribeProcessorTask wait"]
    calls = [s for s in finished if s.name == "DescribeProcessorTask"]
    assert len(calls) >= 2 and all(ids(call)[1] == ids(wait)[0] for call in calls)  # the polls are its children
    assert wait.attributes is not None and wait.attributes["modelarts.wait.for"] == "COMPLETED"
    assert wait.attributes["modelarts.wait.state"] == "FAILED" and wait.attributes["modelarts.wait.polls"] == len(calls)
    polls = [e.attributes for e in wait.events if e.name == "poll" and e.attributes is not None]
    assert len(polls) == len(calls) and polls[-1].get("modelarts.wait.state") == "FAILED"
    assert wait.status.status_code == StatusCode.ERROR
