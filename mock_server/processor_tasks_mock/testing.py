"""The mock as a test double for other services: a handle to seed, fault and inspect it.

:func:`in_process` serves the mock through httpx transports that call the ASGI application
directly (no socket, no thread per request; fast), :func:`serving` runs it with uvicorn on
a free loopback port in a background thread (real HTTP end to end, for code that builds
its own client from a URL or for a subprocess such as the ``processor-tasks`` CLI). Both
yield a :class:`MockHandle`; the pytest plugin (:mod:`processor_tasks_mock.pytest_plugin`)
wraps them in fixtures.

The ready-made clients need the ``processor_tasks_client`` package (the generated client,
installed beside the mock), which is imported only when a client is asked for; without it
they raise :class:`ClientNotInstalledError`, which says what to install.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import secrets
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import anyio.from_thread
import httpx
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from processor_tasks_mock.app import UNFAULTED_PATHS, MockServer, settle
from processor_tasks_mock.faults import DroppedConnection, FaultInjector
from processor_tasks_mock.fixtures import FixtureError, check_tasks
from processor_tasks_mock.lifecycle import ManualClock, MockClock, WallClock, new_lifecycle, parse_lifecycles
from processor_tasks_mock.settings import FaultSettings, Settings
from processor_tasks_mock.spec import Spec, load_spec

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal
    from processor_tasks_client import AuthenticatedClient, Credentials, MetadataProvider, ProcessorTasks

__all__ = [
    "ClientNotInstalledError",
    "FixtureError",
    "MockHandle",
    "MockTokenProvider",
    "RecordedRequest",
    "Settings",
    "in_process",
    "serving",
]

Auth = Literal["token", "aksk", "refreshing", "metadata"]
# In-process requests never leave the process; a loopback URL keeps clients that refuse to
# send credentials over plain HTTP to other hosts content.
IN_PROCESS_URL = "http://127.0.0.1"


CLIENT_PACKAGE = "processor_tasks_client"
INSTALL_CLIENT = (
    "install the client beside the mock from the contract repository (it is not on the package index): "
    "`pip install ./generated_client ./mock_server` in a checkout of it, or "
    "`pip install 'processor-tasks-client @ git+https://HOST/REPO.git@COMMIT#subdirectory=generated_client'`"
)


class ClientNotInstalledError(ModuleNotFoundError):
    """A ready-made client was asked for, but the ``processor_tasks_client`` package is not installed.

    ``pip install ./mock_server`` alone gives the mock, its console script, the pytest
    fixtures and the handle's ``base_url``, ``env()``, ``seed()``, ``inject()`` and
    ``requests``; the clients the handle hands out are the generated client's, installed
    separately. A ``ModuleNotFoundError``, so code that catches that still does.
    """


@contextmanager
def _needs_client(what: str) -> Iterator[None]:
    try:
        yield
    except ModuleNotFoundError as exc:
        # Only the client itself missing is the user's install to fix; a dependency missing
        # inside an installed client is another problem and keeps its own message.
        if exc.name != CLIENT_PACKAGE:
            raise
        raise ClientNotInstalledError(
            f"{what} needs the processor-tasks client ({CLIENT_PACKAGE}), which is not installed in this "
            f"environment; {INSTALL_CLIENT}",
            name=CLIENT_PACKAGE,
        ) from exc


@dataclass(frozen=True)
class RecordedRequest:
    """One request the mock received, as it arrived (header names lowercased)."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    status: int | None
    """The status answered; None when the connection was dropped by an injected fault, or
    when an in-process client stopped waiting (read timeout) before the answer began."""

    @property
    def auth_scheme(self) -> Literal["token", "aksk"] | None:
        """Which credentials the request carried: ``token`` (X-Auth-Token), ``aksk`` or None."""
        if "x-auth-token" in self.headers:
            return "token"
        if self.headers.get("authorization", "").startswith("SDK-HMAC-SHA256 "):
            return "aksk"
        return None

    @property
    def access_key(self) -> str | None:
        """The AK named in an SDK-HMAC-SHA256 Authorization header."""
        header = self.headers.get("authorization", "")
        for part in header.removeprefix("SDK-HMAC-SHA256 ").split(","):
            name, _, value = part.strip().partition("=")
            if name == "Access":
                return value
        return None


class _Recorder:
    """ASGI wrapper that records every API request and the status it got."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNFAULTED_PATHS:
            await self.app(scope, receive, send)
            return
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        query = httpx.QueryParams(scope.get("query_string", b"").decode("latin-1"))
        record = RecordedRequest(scope["method"], scope["path"], tuple(query.multi_items()), headers, None)
        # Recorded before the app runs and completed before the answer leaves, so a client
        # that has its answer always finds its request here, whatever thread serves it.
        with self._lock:
            index = len(self.requests)
            self.requests.append(record)

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                with self._lock:
                    if index < len(self.requests) and self.requests[index] is record:
                        self.requests[index] = dataclasses.replace(record, status=int(message["status"]))
            await send(message)

        await self.app(scope, receive, watch)


def _read_timeout(request: httpx.Request) -> float | None:
    """The client's read timeout for ``request``: in-process, it bounds the wait for the answer."""
    timeout = request.extensions.get("timeout", {})
    read = timeout.get("read") if isinstance(timeout, Mapping) else None
    return float(read) if isinstance(read, int | float) else None


class _AsyncTransport(httpx.ASGITransport):
    """httpx's ASGI transport, behaving as a socket would where a client can tell the difference.

    A dropped connection surfaces as ``httpx.RemoteProtocolError``, and an answer that takes
    longer than the client's read timeout (an injected latency) as ``httpx.ReadTimeout``:
    without a socket nothing else would bound the wait, and a test of the caller's timeout
    handling would pass in-process only by waiting out the latency.
    """

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        read = _read_timeout(request)
        try:
            with anyio.fail_after(read):
                return await super().handle_async_request(request)
        except DroppedConnection as exc:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request) from exc
        except TimeoutError as exc:
            raise httpx.ReadTimeout(f"no answer within the read timeout ({read} s)", request=request) from exc


class _InProcessTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Serves sync and async httpx clients from the ASGI app, so one client does both.

    Async requests run on the caller's event loop; sync ones on an event loop owned by
    ``portal``. One transport for both matters because ``AuthenticatedClient`` gives the same
    ``httpx_args`` to its sync and its async httpx client: the ``ProcessorTasks`` facade's
    ``a*`` methods then work on a handle's client as its sync methods do.
    """

    def __init__(self, app: ASGIApp, portal: BlockingPortal) -> None:
        self._inner = _AsyncTransport(app=app)
        self._portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()

        async def call() -> tuple[int, httpx.Headers, bytes]:
            inner = httpx.Request(
                request.method, request.url, headers=request.headers, content=body, extensions=request.extensions
            )
            response = await self._inner.handle_async_request(inner)
            return response.status_code, response.headers, await response.aread()

        status, headers, content = self._portal.call(call)
        return httpx.Response(status, headers=headers, content=content, request=request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(request)


@functools.lru_cache(maxsize=4)
def _spec(path: Path) -> Spec:
    return load_spec(path)


def _app(settings: Settings, clock: MockClock) -> MockServer:
    spec = _spec(settings.spec_path)
    # The same project and credentials as the console script would serve with these settings.
    settled, store = settle(settings, spec, clock)
    app = MockServer(settled, spec, store)
    app.clock = clock
    return app


class MockTokenProvider:
    """A credential provider (``load()``) whose every load is a new token issued by the mock.

    Give it to a client (``credentials=``) to test code that must survive tokens that
    expire or are revoked: ``handle.expire(provider.issued[-1])`` makes the mock refuse
    the current one, and the client comes back here for the next.

    Attributes:
        issued: Every token handed out, oldest first.
    """

    def __init__(self, handle: MockHandle, ttl_seconds: float | None) -> None:
        self._handle = handle
        self._ttl = ttl_seconds
        self.issued: list[str] = []

    def __repr__(self) -> str:
        return f"MockTokenProvider(issued={len(self.issued)}, ttl_seconds={self._ttl!r})"

    def load(self) -> Credentials:
        """A new token, with the expiry the mock will enforce."""
        from processor_tasks_client import Credentials

        token = self._handle.issue_token(self._ttl)
        self.issued.append(token)
        return Credentials(token=token, expires_at=self._handle.app.expires_at.get(token))


class MockHandle:
    """A running mock: its URL and credentials, and the levers a test needs.

    Attributes:
        base_url: Where the mock answers (for the in-process variant, only through
            :meth:`client` and friends, whose transport never opens a socket).
        project_id: The project that owns the seeded tasks.
        token: An X-Auth-Token the mock accepts for ``project_id``.
        access_key, secret_key: An AK/SK pair the mock accepts for ``project_id``.
        app: The ASGI application (a Starlette app) itself.
        clock: The clock task timelines run on: in-process it stands still until
            :meth:`advance`; over a socket it is wall time (plus what :meth:`advance` added).
            Hand it to a waiter (``wait_processor_task(..., clock=handle.clock)``): in-process
            its pauses move this clock instead of sleeping.
    """

    def __init__(
        self,
        app: MockServer,
        recorder: _Recorder,
        base_url: str,
        transport: _InProcessTransport | None = None,
    ) -> None:
        self.app = app
        self._recorder = recorder
        self.base_url = base_url
        self._transport = transport
        self._clients: list[AuthenticatedClient] = []
        self.clock: MockClock = app.clock
        settings = app.settings
        self.project_id = settings.served_project
        self.token = next((t for t, p in settings.tokens.items() if p == self.project_id), "")
        self.access_key, (self.secret_key, _) = next(
            ((ak, entry) for ak, entry in settings.aksk.items() if entry[1] == self.project_id), ("", ("", ""))
        )

    # -- data ------------------------------------------------------------------------------
    def seed(
        self,
        tasks: Iterable[Mapping[str, Any]],
        *,
        project: str | None = None,
        lifecycles: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    ) -> None:
        """Replace the tasks of ``project`` (default: :attr:`project_id`) with ``tasks``.

        Each task must follow the spec's DescribeProcessorTaskResp (only ``task_id`` is
        required); otherwise :class:`~processor_tasks_mock.fixtures.FixtureError` names the
        record and the JSON path, as for a fixture file. ``lifecycles`` gives tasks a
        timeline (task_id -> steps such as ``{"after": 2, "status": "RUNNING"}``; see
        :mod:`processor_tasks_mock.lifecycle`), which starts now on :attr:`clock`; a task
        named only there is created. A bad step raises
        :class:`~processor_tasks_mock.lifecycle.LifecycleError`. Timelines of earlier seeds end.
        """
        records = [dict(task) for task in tasks]
        check_tasks(records, self.app.spec, "seed()")
        owner = project or self.project_id
        lifecycle = None
        if lifecycles:
            timelines = parse_lifecycles(dict(lifecycles), self.app.spec, "seed(lifecycles=...)")
            lifecycle = new_lifecycle(timelines, owner, self.app.spec, self.clock)
        # The other projects keep their records as they are now.
        projects = {name: self.app.store.tasks(name) for name in self.app.store.projects if name != owner}
        self.app.store = type(self.app.store)(projects={**projects, owner: records}, lifecycle=lifecycle)

    def advance(self, seconds: float) -> None:
        """Move :attr:`clock` ``seconds`` forward: tasks with a timeline move on as if that much time had passed."""
        self.clock.advance(seconds)

    def tasks(self, project: str | None = None) -> list[dict[str, Any]]:
        """The tasks the mock holds for ``project`` (default: :attr:`project_id`), in store order."""
        return [dict(task) for task in self.app.store.tasks(project or self.project_id)]

    # -- faults ----------------------------------------------------------------------------
    def inject(
        self,
        *,
        throttle: int = 0,
        unavailable: int = 0,
        drop: int = 0,
        slow: int = 0,
        latency_ms: int = 0,
        retry_after: int = 0,
        throttle_rate: float = 0.0,
        unavailable_rate: float = 0.0,
        drop_rate: float = 0.0,
        latency_rate: float = 0.0,
        seed: int = 0,
    ) -> None:
        """Fault the next requests: ``throttle`` of them answer 429 (with ``Retry-After:
        retry_after``), ``unavailable`` 503, ``drop`` lose the connection, ``slow`` wait
        ``latency_ms`` first; the ``*_rate`` arguments fault a seeded random share of all
        later requests instead. Counting restarts at the next request; as in the server, a
        drop wins over 503, which wins over 429. Replaces earlier injections.
        """
        faults = FaultSettings(
            latency_ms=latency_ms,
            latency_rate=latency_rate,
            latency_first_n=slow,
            throttle_rate=throttle_rate,
            throttle_first_n=throttle,
            retry_after_seconds=retry_after,
            unavailable_rate=unavailable_rate,
            unavailable_first_n=unavailable,
            drop_rate=drop_rate,
            drop_first_n=drop,
            seed=seed,
        )
        self.app.settings = dataclasses.replace(self.app.settings, faults=faults)
        self.app.faults = FaultInjector(faults)

    def clear_faults(self) -> None:
        """No more injected faults."""
        self.inject()

    # -- credentials that expire -----------------------------------------------------------
    def issue_token(self, ttl_seconds: float | None = None, *, project: str | None = None) -> str:
        """A new token for ``project`` (default: :attr:`project_id`); it expires after
        ``ttl_seconds`` by the mock's clock (``Settings.clock``), or never when None."""
        token = "tok-" + secrets.token_hex(12)
        app = self.app
        app.tokens[token] = project or self.project_id
        if ttl_seconds is not None:
            app.expires_at[token] = app.settings.clock() + ttl_seconds
        return token

    def issue_temporary(self, ttl_seconds: float | None = None) -> dict[str, str]:
        """New temporary AK/SK and security token, as the metadata endpoint issues them:
        ``access``, ``secret``, ``securitytoken``, ``expires_at`` (default lifetime:
        ``Settings.temporary_ttl_seconds``)."""
        return self.app.issue_temporary(ttl_seconds)

    def _known(self, credential: str) -> None:
        if credential not in self.app.tokens and credential not in self.app.aksk:
            raise KeyError("the mock knows no such token or access key")

    def expire(self, credential: str) -> None:
        """From now on, refuse the token or access key ``credential`` with 401 "has expired"."""
        self._known(credential)
        self.app.expires_at[credential] = self.app.settings.clock()

    def revoke(self, credential: str) -> None:
        """Forget the token or access key ``credential``: from now on it is refused with 401 as unknown."""
        self._known(credential)
        self.app.tokens.pop(credential, None)
        self.app.aksk.pop(credential, None)

    @property
    def issued_temporary(self) -> list[dict[str, str]]:
        """Every temporary credential handed out (by the metadata endpoint or :meth:`issue_temporary`)."""
        return list(self.app.issued)

    @property
    def metadata_endpoint(self) -> str:
        """Where the mock's stand-in for the ECS metadata service answers (its own base URL)."""
        return self.base_url

    def token_provider(self, ttl_seconds: float | None = None) -> MockTokenProvider:
        """A credential provider that gets a new token from the mock at each load."""
        return MockTokenProvider(self, ttl_seconds)

    def metadata_provider(self) -> MetadataProvider:
        """The client's ``MetadataProvider``, pointed at this mock (in-process: through its transport)."""
        from processor_tasks_client import MetadataProvider

        httpx_args: dict[str, Any] = {"transport": self._transport} if self._transport is not None else {}
        return MetadataProvider(self.metadata_endpoint, httpx_args=httpx_args)

    # -- what the code under test sent -----------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every API request received so far (not ``/openapi.*``), oldest first."""
        return list(self._recorder.requests)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self._recorder._lock:
            self._recorder.requests.clear()

    # -- clients ---------------------------------------------------------------------------
    def client(self, auth: Auth = "token", **client_args: Any) -> AuthenticatedClient:
        """An ``AuthenticatedClient`` for this mock, with a token, AK/SK signing, or a provider.

        ``auth``: ``token`` (the mock's fixed token), ``aksk`` (its fixed AK/SK),
        ``refreshing`` (a :meth:`token_provider`: a new token whenever the client asks) or
        ``metadata`` (temporary AK/SK from the mock's metadata endpoint, through
        :meth:`metadata_provider`).

        It serves sync calls and async ones (``asyncio()``, ``aiter_*``, the facade's ``a*``
        methods) alike. ``client_args`` go to ``AuthenticatedClient`` (``retry=``,
        ``timeout=``, ...). The handle closes it, sync and async side, when it ends.
        """
        with _needs_client("MockHandle.client()"):
            from processor_tasks_client import AkSkAuth, AuthenticatedClient

        httpx_args = dict(client_args.pop("httpx_args", {}))
        if self._transport is not None:
            httpx_args["transport"] = self._transport
        elif "transport" not in httpx_args:
            # Over a socket, a kept-alive connection of an async client belongs to the event
            # loop of the test that used it; once that loop is closed, nothing can close the
            # connection any more and its socket is reported unclosed when collected. A
            # connection per request leaves nothing open when a call returns.
            httpx_args.setdefault("limits", httpx.Limits(max_keepalive_connections=0))
            # The mock is on loopback: a developer's HTTP_PROXY/ALL_PROXY must not route test
            # traffic (and the mock's token) through a proxy, which the client would refuse.
            httpx_args.setdefault("trust_env", False)
        if auth == "token":
            client = AuthenticatedClient(base_url=self.base_url, token=self.token, httpx_args=httpx_args, **client_args)
        elif auth == "refreshing":
            client_args.setdefault("credentials", self.token_provider())
            client = AuthenticatedClient(base_url=self.base_url, httpx_args=httpx_args, **client_args)
        elif auth == "metadata":
            client_args.setdefault("credentials", self.metadata_provider())
            client = AuthenticatedClient(base_url=self.base_url, httpx_args=httpx_args, **client_args)
        else:
            aksk = AkSkAuth(self.access_key, self.secret_key)
            client = AuthenticatedClient(base_url=self.base_url, auth=aksk, httpx_args=httpx_args, **client_args)
        self._clients.append(client)
        return client

    def async_client(self, auth: Auth = "token", **client_args: Any) -> AuthenticatedClient:
        """The same as :meth:`client`; reads better where the code under test is async."""
        return self.client(auth, **client_args)

    def processor_tasks(self, auth: Auth = "token", **client_args: Any) -> ProcessorTasks:
        """The ``ProcessorTasks`` facade on :meth:`client`, bound to :attr:`project_id` (sync and async methods)."""
        with _needs_client("MockHandle.processor_tasks()"):
            from processor_tasks_client import ProcessorTasks

        return ProcessorTasks(self.client(auth, **client_args), self.project_id)

    def env(self, auth: Auth = "token") -> dict[str, str]:
        """Environment variables for ``ProcessorTasks.from_env()`` or the ``processor-tasks`` CLI."""
        env = {"PROCESSOR_TASKS_BASE_URL": self.base_url, "HUAWEICLOUD_SDK_PROJECT_ID": self.project_id}
        if auth == "token":
            return {**env, "PROCESSOR_TASKS_TOKEN": self.token}
        if auth == "metadata":
            # Over a socket only: another process cannot reach an in-process mock.
            return {
                **env,
                "PROCESSOR_TASKS_CREDENTIALS": "metadata",
                "PROCESSOR_TASKS_METADATA_ENDPOINT": self.metadata_endpoint,
            }
        if auth == "refreshing":
            raise ValueError("a token_provider() cannot travel in environment variables; use auth='metadata'")
        return {**env, "HUAWEICLOUD_SDK_AK": self.access_key, "HUAWEICLOUD_SDK_SK": self.secret_key}

    def _close(self) -> None:
        opened_async = []
        for client in self._clients:
            if client._client is not None:  # only what was opened
                client._client.close()
            if client._async_client is not None:
                opened_async.append(client._async_client)
        if not opened_async:
            return
        # The loops the async clients ran on may be closed by now, and one may be running in
        # this thread (a `with serving()` inside async code): close them on a loop of their
        # own. They hold no connection by then (in-process: none ever; over a socket: none
        # kept alive), so that loop has nothing to touch but their state.
        with anyio.from_thread.start_blocking_portal() as portal:
            for async_client in opened_async:
                # RuntimeError: a connection kept alive on a loop that is gone (a test gave
                # its own `limits` or transport); only that loop could close it. Such a
                # client is the test's to close, with `async with`.
                with contextlib.suppress(RuntimeError):
                    portal.call(async_client.aclose)


def _settings(settings: Settings | None, fixture: Path | None) -> Settings:
    settings = settings or Settings()
    if fixture is not None:
        settings = dataclasses.replace(settings, fixture_path=fixture)
    return settings


@contextmanager
def in_process(settings: Settings | None = None, *, fixture: Path | None = None) -> Iterator[MockHandle]:
    """The mock served to clients in this process through ASGI transports (no socket).

    Sync calls run the app on an event loop in one helper thread for the handle's life;
    async calls run it on their own loop. Task timelines run on a :class:`ManualClock`
    that stands still until ``handle.advance(seconds)``. As over a socket, a dropped connection surfaces as
    ``httpx.RemoteProtocolError`` and an answer slower than the client's read timeout as
    ``httpx.ReadTimeout``.
    """
    app = _app(_settings(settings, fixture), ManualClock())
    recorder = _Recorder(app)
    with anyio.from_thread.start_blocking_portal() as portal:
        handle = MockHandle(app, recorder, IN_PROCESS_URL, _InProcessTransport(recorder, portal))
        try:
            yield handle
        finally:
            handle._close()


@contextmanager
def serving(settings: Settings | None = None, *, fixture: Path | None = None) -> Iterator[MockHandle]:
    """The mock on a free 127.0.0.1 port, served by uvicorn in a background thread.

    Task timelines run on wall time (a :class:`WallClock`; ``handle.advance()`` jumps ahead).
    """
    app = _app(_settings(settings, fixture), WallClock())
    recorder = _Recorder(app)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(recorder, log_level="warning", proxy_headers=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="processor-tasks-mock", daemon=True)
    with ExitStack() as stack:
        stack.callback(sock.close)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the mock server did not start")
            time.sleep(0.01)
        handle = MockHandle(app, recorder, f"http://127.0.0.1:{port}")
        try:
            yield handle
        finally:
            handle._close()
            server.should_exit = True
            thread.join(timeout=10)
