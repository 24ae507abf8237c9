"""The ASGI application: routing, the order of checks, and the answers.

Routes: the spec's two paths (``GET`` only; any other method, HEAD included, answers 405
with ``Allow: GET``), plus ``GET /openapi.json`` and ``GET /openapi.yaml`` (unauthenticated, never
faulted), plus a stand-in for the ECS metadata service (never faulted, not recorded):
``PUT /meta-data/latest/api/token`` hands out a session token, and ``GET
/openstack/latest/securitykey`` issues fresh temporary AK/SK and security token for the
mock's project, valid ``temporary_ttl_seconds``, in the metadata service's format. Every
other path answers 404 ModelArts.4204.

For the two operations the checks run in this order, and the first failure answers:

1. injected faults (drop, 503, 429; latency delays whatever follows), as a gateway would;
2. the method (405);
3. authentication (401 ModelArts.5002);
4. the project of the credentials against the path's ``project_id`` (404 ModelArts.2786);
5. parameters against the spec (400 ModelArts.0104, naming the parameter);
6. the task lookup of DescribeProcessorTask (404 ModelArts.4700).

Every answer carries a fresh ``X-Request-Id`` header (the spec makes it optional; the mock
always sends it). Error codes are the ones processor_tasks_mock.errors lists.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from processor_tasks_mock import errors
from processor_tasks_mock.auth import Authenticator, AuthError, WireRequest
from processor_tasks_mock.faults import DroppedConnection, Fault, FaultInjector
from processor_tasks_mock.fixtures import FixtureError, load_fixture
from processor_tasks_mock.lifecycle import MockClock, WallClock, load_lifecycles, new_lifecycle
from processor_tasks_mock.seed import generate_tasks
from processor_tasks_mock.settings import Settings
from processor_tasks_mock.spec import Spec, SpecError, load_spec
from processor_tasks_mock.store import ListQuery, TaskStore
from processor_tasks_mock.validation import OperationParameters, ParameterError, operation_parameters

LIST_OPERATION = "ListProcessorTasks"
DESCRIBE_OPERATION = "DescribeProcessorTask"
SPEC_PATHS = ("/openapi.json", "/openapi.yaml")
METADATA_TOKEN_PATH = "/meta-data/latest/api/token"
METADATA_KEY_PATH = "/openstack/latest/securitykey"
METADATA_PATHS = (METADATA_TOKEN_PATH, METADATA_KEY_PATH)
UNFAULTED_PATHS = SPEC_PATHS + METADATA_PATHS
_ALLOW = {"Allow": "GET"}


def _starlette_path(spec_path: str) -> str:
    # OpenAPI and Starlette share the {name} template syntax; only check there is nothing else.
    if any(char in spec_path for char in ":*"):
        raise SpecError(f"path {spec_path!r} uses syntax the mock cannot route")
    return spec_path


class MockServer(Starlette):
    """The mock's Starlette application, with faults and request ids wrapped around it."""

    def __init__(self, settings: Settings, spec: Spec, store: TaskStore) -> None:
        self.settings = settings
        self.spec = spec
        self.store = store
        # What task timelines run on; the test handle replaces it with its own clock.
        self.clock: MockClock = store.lifecycle.clock if store.lifecycle is not None else WallClock()
        self.list_parameters = operation_parameters(spec, LIST_OPERATION)
        self.describe_parameters = operation_parameters(spec, DESCRIBE_OPERATION)
        unknown = {p.name for p in self.list_parameters.parameters if p.location == "query"} - set(
            ListQuery.__dataclass_fields__
        )
        if unknown:
            raise SpecError(f"{LIST_OPERATION} declares parameters the mock does not implement: {sorted(unknown)}")
        # Mutable copies: tests issue, expire and revoke credentials while the mock runs.
        self.tokens: dict[str, str] = dict(settings.tokens)
        self.aksk: dict[str, tuple[str, str]] = dict(settings.aksk)
        self.expires_at: dict[str, float] = {}
        self.security_tokens: dict[str, str] = {}
        self.metadata_sessions: set[str] = set()
        self.issued: list[dict[str, str]] = []
        """Every temporary credential the metadata endpoint issued, oldest first."""
        self.authenticator = Authenticator(
            tokens=self.tokens,
            aksk=self.aksk,
            clock_skew_seconds=settings.clock_skew_seconds,
            clock=settings.clock,
            expires_at=self.expires_at,
            security_tokens=self.security_tokens,
        )
        self.faults = FaultInjector(settings.faults)
        list_path = spec.operation(LIST_OPERATION)[0]
        describe_path = spec.operation(DESCRIBE_OPERATION)[0]
        super().__init__(
            routes=[
                Route(_starlette_path(list_path), self.list_tasks, methods=["GET"]),
                Route(_starlette_path(describe_path), self.describe_task, methods=["GET"]),
                Route("/openapi.json", self.openapi_json, methods=["GET"]),
                Route("/openapi.yaml", self.openapi_yaml, methods=["GET"]),
                Route(METADATA_TOKEN_PATH, self.metadata_token, methods=["PUT"]),
                Route(METADATA_KEY_PATH, self.metadata_securitykey, methods=["GET"]),
            ],
            exception_handlers={HTTPException: self._http_exception, Exception: self._unexpected},
        )
        # A trailing slash is a different, unknown path, not a redirect.
        self.router.redirect_slashes = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request_id = uuid.uuid4().hex

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        if scope["path"] not in UNFAULTED_PATHS:
            decision = self.faults.decide()
            if decision.delay_seconds:
                await asyncio.sleep(decision.delay_seconds)
            if decision.fault is Fault.DROP:
                await _drop_connection(receive)
                return
            if decision.fault is Fault.UNAVAILABLE:
                response: Response = errors.error_response(
                    503, errors.UNAVAILABLE, "The service is temporarily unavailable (injected fault)."
                )
                await response(scope, receive, send_with_id)
                return
            if decision.fault is Fault.THROTTLE:
                response = errors.error_response(
                    429,
                    errors.THROTTLED,
                    "The request was throttled (injected fault).",
                    headers={"Retry-After": str(self.settings.faults.retry_after_seconds)},
                )
                await response(scope, receive, send_with_id)
                return
        await super().__call__(scope, receive, send_with_id)

    async def _wire(self, request: Request) -> WireRequest:
        scope = request.scope
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        query = parse_qsl(
            scope.get("query_string", b"").decode("utf-8", "replace"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="replace",
        )
        headers = [
            (name.decode("latin-1").lower(), value.decode("utf-8", "replace")) for name, value in scope["headers"]
        ]
        return WireRequest(
            method=request.method,
            raw_path=raw_path.decode("utf-8", "replace"),
            query=query,
            headers=headers,
            body=await request.body(),
        )

    async def _authorise(
        self, request: Request, parameters: OperationParameters
    ) -> tuple[str, dict[str, Any]] | Response:
        """Steps 2 to 5 of the module docstring: (project, parameters) or the error answer."""
        if request.method != "GET":
            return errors.error_response(
                405, errors.METHOD_NOT_ALLOWED, f"The method {request.method} is not allowed here.", _ALLOW
            )
        wire = await self._wire(request)
        try:
            project = self.authenticator.project_of(wire)
        except AuthError as exc:
            return errors.error_response(401, errors.TOKEN_INVALID, str(exc))
        if project != request.path_params["project_id"]:
            # The gateway's answer, not 403: the provider's appendix files
            # TokenProjectIDNotMatch under 404 (spec: ProjectNotFound).
            return errors.error_response(
                404,
                errors.TOKEN_PROJECT_MISMATCH,
                "The project of the credentials does not match the project in the path.",
            )
        try:
            values = parameters.parse(wire.query, request.path_params)
        except ParameterError as exc:
            return errors.error_response(400, errors.PARAMETER_ERROR, str(exc))
        return project, values

    async def list_tasks(self, request: Request) -> Response:
        """ListProcessorTasks."""
        outcome = await self._authorise(request, self.list_parameters)
        if isinstance(outcome, Response):
            return outcome
        project, values = outcome
        count, page = self.store.list(project, ListQuery.from_params(values))
        return JSONResponse({"count": count, "tasks": page})

    async def describe_task(self, request: Request) -> Response:
        """DescribeProcessorTask."""
        outcome = await self._authorise(request, self.describe_parameters)
        if isinstance(outcome, Response):
            return outcome
        project, values = outcome
        task = self.store.get(project, values["task_id"])
        if task is None:
            return errors.error_response(404, errors.TASK_NOT_FOUND, "The task does not exist.")
        return JSONResponse(task)

    async def openapi_json(self, request: Request) -> Response:
        """The contract, as JSON."""
        if request.method != "GET":
            return errors.error_response(
                405, errors.METHOD_NOT_ALLOWED, f"The method {request.method} is not allowed here.", _ALLOW
            )
        return Response(self.spec.json_text, media_type="application/json")

    async def openapi_yaml(self, request: Request) -> Response:
        """The contract, as the YAML it was loaded from."""
        if request.method != "GET":
            return errors.error_response(
                405, errors.METHOD_NOT_ALLOWED, f"The method {request.method} is not allowed here.", _ALLOW
            )
        return Response(self.spec.yaml_text, media_type="application/yaml")

    def issue_temporary(self, ttl_seconds: float | None = None, project: str | None = None) -> dict[str, str]:
        """New temporary AK/SK and security token for ``project``, accepted until they expire.

        Returns the metadata service's ``credential`` object: ``access``, ``secret``,
        ``securitytoken`` and ``expires_at`` (UTC, ``%Y-%m-%dT%H:%M:%S.%fZ``).
        """
        ttl = self.settings.temporary_ttl_seconds if ttl_seconds is None else ttl_seconds
        access = "TMP" + secrets.token_hex(8).upper()
        secret = secrets.token_hex(16)
        token = secrets.token_hex(32)
        expires_at = self.settings.clock() + ttl
        self.aksk[access] = (secret, project or self.settings.served_project)
        self.security_tokens[access] = token
        self.expires_at[access] = expires_at
        credential = {
            "access": access,
            "secret": secret,
            "securitytoken": token,
            "expires_at": datetime.fromtimestamp(expires_at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        self.issued.append(credential)
        return credential

    async def metadata_token(self, request: Request) -> Response:
        """``PUT /meta-data/latest/api/token``: a session token for the metadata endpoint."""
        token = secrets.token_hex(16)
        self.metadata_sessions.add(token)
        return Response(token, media_type="text/plain")

    async def metadata_securitykey(self, request: Request) -> Response:
        """``GET /openstack/latest/securitykey``: fresh temporary credentials.

        A session token is optional (as on older instances), but one that was not handed out
        is refused with 401, which tells a client to get a new one.
        """
        session = request.headers.get("x-metadata-token")
        if session is not None and session not in self.metadata_sessions:
            return Response("the metadata session token is invalid or expired", status_code=401)
        return JSONResponse({"credential": self.issue_temporary()})

    async def _http_exception(self, request: Request, exc: Exception) -> Response:
        # Starlette raises these for paths no route matches (404) and for methods other
        # than GET and HEAD on a known path (405); HEAD reaches the endpoints, which refuse it.
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        if status == 404:
            return errors.error_response(404, errors.API_NOT_FOUND, "The API does not exist.")
        if status == 405:
            return errors.error_response(
                405, errors.METHOD_NOT_ALLOWED, f"The method {request.method} is not allowed here.", _ALLOW
            )
        return errors.error_response(status, errors.INTERNAL, str(getattr(exc, "detail", "")) or "Error.")

    async def _unexpected(self, request: Request, exc: Exception) -> Response:
        # Still a 500, so tests that forbid 500s keep failing on bugs; only the body is JSON.
        return errors.error_response(500, errors.INTERNAL, f"Internal error: {type(exc).__name__}.")


async def _drop_connection(receive: Receive) -> None:
    """Close the client's connection without answering (see processor_tasks_mock.faults)."""
    # uvicorn's receive is a bound method of its request cycle, which holds the transport.
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    close = getattr(transport, "close", None)
    if close is None:
        raise DroppedConnection("connection dropped by fault injection")
    close()

    # Wait for uvicorn to notice, so that it does not answer 500 for the missing response.
    async def until_disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(until_disconnected(), timeout=5)


def build_store(settings: Settings, spec: Spec, clock: MockClock | None = None) -> TaskStore:
    """The fixture's tasks when MOCK_FIXTURE is set, else the seeded ones; with MOCK_LIFECYCLE,
    their timelines, started now on ``clock`` (default: wall time)."""
    if settings.fixture_path is not None:
        project, tasks = load_fixture(settings.fixture_path, spec, settings.served_project)
    else:
        project, tasks = settings.served_project, generate_tasks(settings.seed, settings.task_count)
    lifecycle = None
    if settings.lifecycle_path is not None:
        timelines = load_lifecycles(settings.lifecycle_path, spec)
        lifecycle = new_lifecycle(timelines, project, spec, clock or WallClock())
    return TaskStore.single(project, tasks, lifecycle)


def settle(settings: Settings, spec: Spec, clock: MockClock | None = None) -> tuple[Settings, TaskStore]:
    """The settings the mock really runs with, and its store.

    A fixture that names its project makes it the mock's project when none was given
    (``Settings.project`` is None); a project that was given (``MOCK_PROJECT``, ``--project``,
    ``project=``), even ``mock-project`` itself, and disagrees with the fixture's is refused
    with FixtureError rather than silently serving tasks nobody asked for. The settings
    returned always name the project served. The default credentials then follow it
    (:meth:`Settings.with_default_credentials`). Task timelines (``lifecycle_path``) run on
    ``clock`` (default: wall time).
    """
    store = build_store(settings, spec, clock)
    served = settings.served_project
    if settings.fixture_path is not None:
        # build_store puts a fixture's tasks in exactly one project: the one it names, if any.
        owner = next(iter(store.projects), served)
        if owner != served:
            if settings.project is not None:
                raise FixtureError(
                    f"fixture {settings.fixture_path} names project {owner!r}, but the mock is configured for "
                    f"project {settings.project!r} (MOCK_PROJECT, --project or project=): drop one or make them agree"
                )
            served = owner
    return dataclasses.replace(settings, project=served).with_default_credentials(), store


def create_app(settings: Settings | None = None) -> MockServer:
    """Build the mock server (see :func:`settle` for the project and credentials it serves).

    Raises SpecError when the spec cannot be loaded and FixtureError when the fixture does
    not follow it, so that a misconfigured server never starts.
    """
    settings = settings if settings is not None else Settings.from_env()
    spec = load_spec(settings.spec_path)
    settled, store = settle(settings, spec)
    return MockServer(settled, spec, store)
