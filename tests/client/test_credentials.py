"""Credentials reach only the origin they were given for, never over plain http, never in errors.

Two real stub servers on loopback stand for two origins (two ports; or the same port under
another host name, ``localhost`` vs ``127.0.0.1``). Each test runs sync and async, with a
token and with AK/SK plus a security token.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import traceback
from collections.abc import Callable, Generator, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from processor_tasks_client import AkSkAuth, AuthenticatedClient, Client, ProcessorTasks, errors
from processor_tasks_client.api.processor_tasks import describe_processor_task
from processor_tasks_client.auth import CREDENTIAL_HEADERS, CredentialGuard, is_loopback
from processor_tasks_client.types import Response

from tests.client.stub_server import Answer, Seen, StubServer

TOKEN = "TOKEN-SECRET-1"
AK, SK, STS = "AK-VISIBLE", "SK-SECRET-2", "STS-SECRET-3"
SECRETS = (TOKEN, SK, STS)
TASK_PATH = "/v2/p/processor-tasks/t"
# What a request with credentials carries, per kind; none of it may reach another origin.
MARKERS = {"token": ("x-auth-token",), "aksk": ("authorization", "x-security-token", "x-sdk-date")}

MODES = ["sync", "async"]
KINDS = ["token", "aksk"]


def make_client(base_url: str, kind: str, **kwargs: Any) -> AuthenticatedClient:
    kwargs.setdefault("retry", None)
    if kind == "token":
        return AuthenticatedClient(base_url=base_url, token=TOKEN, **kwargs)
    return AuthenticatedClient(base_url=base_url, auth=AkSkAuth(AK, SK, security_token=STS), **kwargs)


def describe(client: AuthenticatedClient, mode: str) -> Response[Any]:
    """One describe call through the whole client stack, sync or async; returns the detailed response."""
    if mode == "sync":
        with client:
            return describe_processor_task.sync_detailed("p", "t", client=client)

    async def run() -> Response[Any]:
        async with client:
            return await describe_processor_task.asyncio_detailed("p", "t", client=client)

    return asyncio.run(run())


def redirect(location: str, status: int = 302) -> Answer:
    return Answer(status=status, headers={"Location": location, "X-Request-Id": "req-redirect"})


def task(task_id: str = "t") -> Answer:
    return Answer(body=b'{"task_id": "%s"}' % task_id.encode())


def credentials_in(seen: Seen) -> set[str]:
    return {name for name in (*CREDENTIAL_HEADERS, "x-sdk-date") if name in seen.headers}


def sdk_signature(seen: Seen) -> str:
    """The Authorization that huaweicloudsdkcore's Signer computes for the request as received."""
    url = urlsplit(seen.path)
    headers = {
        "Host": seen.headers["host"],
        "X-Sdk-Date": seen.headers["x-sdk-date"],
        "X-Security-Token": seen.headers["x-security-token"],
    }
    request = SdkRequest(
        method="GET",
        schema="http",
        host=seen.headers["host"],
        resource_path=url.path,
        query_params=parse_qsl(url.query),
        header_params=headers,
        body="",
    )
    Signer(BasicCredentials(AK, SK)).sign(request)
    return str(request.header_params["Authorization"])


@pytest.fixture
def other() -> Iterator[StubServer]:
    """A second origin: another port on loopback."""
    server = StubServer()
    server.start()
    yield server
    server.stop()


# -- redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", ["other-port", "other-host"])
def test_cross_origin_redirect_carries_no_credential(
    stub: StubServer, other: StubServer, mode: str, kind: str, target: str
) -> None:
    port = other.base_url.rsplit(":", 1)[1]
    where = other.base_url if target == "other-port" else f"http://localhost:{port}"
    stub.reply(redirect(where + TASK_PATH))
    other.reply(task("from-other"))
    response = describe(make_client(stub.base_url, kind, follow_redirects=True), mode)
    assert response.status_code == 200 and response.parsed is not None
    assert response.parsed.task_id == "from-other"
    assert set(MARKERS[kind]) <= credentials_in(stub.seen[0])
    assert len(other.seen) == 1 and other.seen[0].path == TASK_PATH
    assert credentials_in(other.seen[0]) == set()
    assert other.seen[0].headers["host"] == urlsplit(where).netloc


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_every_redirect_status_is_guarded(stub: StubServer, other: StubServer, status: int) -> None:
    stub.reply(redirect(other.base_url + TASK_PATH, status))
    other.reply(task())
    assert describe(make_client(stub.base_url, "aksk", follow_redirects=True), "sync").status_code == 200
    assert credentials_in(other.seen[0]) == set()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mode", MODES)
def test_same_origin_redirect_is_authenticated_afresh(stub: StubServer, mode: str, kind: str) -> None:
    stub.reply(redirect("/v2/p/processor-tasks/moved?x=1&b=2"), task())
    response = describe(make_client(stub.base_url, kind, follow_redirects=True), mode)
    assert response.status_code == 200
    first, second = stub.seen
    assert second.path == "/v2/p/processor-tasks/moved?x=1&b=2"
    assert set(MARKERS[kind]) <= credentials_in(second)
    if kind == "token":
        assert second.headers["x-auth-token"] == TOKEN
    else:
        # The signature covers the new path and query (the old one would not verify).
        assert first.headers["authorization"] == sdk_signature(first)
        assert second.headers["authorization"] == sdk_signature(second)
        assert second.headers["authorization"] != first.headers["authorization"]
        assert second.headers["x-security-token"] == STS


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mode", MODES)
def test_a_chain_that_left_the_origin_never_gets_credentials_back(
    stub: StubServer, other: StubServer, mode: str, kind: str
) -> None:
    stub.reply(redirect(other.base_url + TASK_PATH), task("back"))
    other.reply(redirect(stub.base_url + "/v2/p/processor-tasks/back"))
    response = describe(make_client(stub.base_url, kind, follow_redirects=True), mode)
    assert response.status_code == 200 and response.parsed is not None and response.parsed.task_id == "back"
    assert [s.path for s in stub.seen] == [TASK_PATH, "/v2/p/processor-tasks/back"]
    assert set(MARKERS[kind]) <= credentials_in(stub.seen[0])
    assert credentials_in(other.seen[0]) == set() and credentials_in(stub.seen[1]) == set()


@pytest.mark.parametrize("mode", MODES)
def test_redirects_are_answers_unless_following_is_asked_for(stub: StubServer, other: StubServer, mode: str) -> None:
    stub.reply(redirect(other.base_url + TASK_PATH))
    client = make_client(stub.base_url, "token", raise_on_unexpected_status=True)
    with pytest.raises(errors.UnexpectedStatus) as caught:
        describe(client, mode)
    assert caught.value.status_code == 302 and other.seen == []


@pytest.mark.parametrize("mode", MODES)
def test_a_redirect_loop_ends_with_the_redirect_answer(stub: StubServer, mode: str) -> None:
    """Not httpx.TooManyRedirects: the last 3xx comes back like any undocumented status."""
    stub.reply(redirect(TASK_PATH))
    client = make_client(stub.base_url, "aksk", follow_redirects=True, httpx_args={"max_redirects": 3})
    response = describe(client, mode)
    assert response.status_code == 302
    assert len(stub.seen) == 4  # the request and three redirects
    assert all(s.headers["authorization"] == sdk_signature(s) for s in stub.seen)


@pytest.mark.parametrize("kind", KINDS)
def test_http_to_https_on_the_same_host_is_another_origin(kind: str) -> None:
    """httpx keeps Authorization on this upgrade; the scheme is part of the origin here."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.url.scheme == "http":
            return httpx.Response(301, headers={"Location": "https://127.0.0.1" + TASK_PATH})
        return httpx.Response(200, json={"task_id": "t"})

    client = make_client(
        "http://127.0.0.1", kind, follow_redirects=True, httpx_args={"transport": httpx.MockTransport(handler)}
    )
    assert describe(client, "sync").status_code == 200
    assert [r.url.scheme for r in sent] == ["http", "https"]
    assert set(MARKERS[kind]) <= {name.lower() for name in sent[0].headers}
    assert not (set(MARKERS[kind]) | CREDENTIAL_HEADERS) & {name.lower() for name in sent[1].headers}


def test_credential_headers_set_by_hand_do_not_cross_origins(stub: StubServer, other: StubServer) -> None:
    stub.reply(redirect(other.base_url + TASK_PATH))
    other.reply(task())
    client = Client(base_url=stub.base_url, headers={"X-Auth-Token": TOKEN}, follow_redirects=True, retry=None)
    with client:
        describe_processor_task.sync_detailed("p", "t", client=client)
    assert stub.seen[0].headers["x-auth-token"] == TOKEN and credentials_in(other.seen[0]) == set()


def test_headers_a_custom_auth_adds_are_credentials(stub: StubServer, other: StubServer) -> None:
    class HeaderAuth(httpx.Auth):
        def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
            request.headers["X-Custom-Key"] = TOKEN
            yield request

    stub.reply(redirect(other.base_url + TASK_PATH))
    other.reply(task())
    with Client(base_url=stub.base_url, auth=HeaderAuth(), follow_redirects=True, retry=None) as client:
        describe_processor_task.sync_detailed("p", "t", client=client)
    assert stub.seen[0].headers["x-custom-key"] == TOKEN and "x-custom-key" not in other.seen[0].headers


# -- plain http -----------------------------------------------------------------------------


BUILDERS: dict[str, Callable[[str, bool], Any]] = {
    "token": lambda url, allow: AuthenticatedClient(base_url=url, token=TOKEN, allow_insecure_http=allow),
    "aksk": lambda url, allow: AuthenticatedClient(base_url=url, auth=AkSkAuth(AK, SK), allow_insecure_http=allow),
    "client-aksk": lambda url, allow: Client(base_url=url, auth=AkSkAuth(AK, SK), allow_insecure_http=allow),
    "manual-header": lambda url, allow: Client(
        base_url=url, headers={"x-auth-token": TOKEN}, allow_insecure_http=allow
    ),
}


@pytest.mark.parametrize("builder", BUILDERS.values(), ids=BUILDERS.keys())
def test_credentials_over_plain_http_to_a_remote_host_are_refused(builder: Callable[[str, bool], Any]) -> None:
    with pytest.raises(errors.ConfigurationError, match=r"allow_insecure_http=True") as caught:
        builder("http://modelarts.example.invalid", False)
    assert "PROCESSOR_TASKS_ALLOW_INSECURE_HTTP" in str(caught.value)
    assert not any(secret in str(caught.value) for secret in SECRETS)
    assert builder("http://modelarts.example.invalid", True) is not None
    assert builder("https://modelarts.example.invalid", False) is not None


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080", "http://127.9.8.7", "http://localhost:1", "http://LOCALHOST", "http://[::1]:8080"],
)
def test_loopback_stays_allowed(url: str) -> None:
    assert is_loopback(httpx.URL(url).host)
    assert AuthenticatedClient(base_url=url, token=TOKEN) is not None


@pytest.mark.parametrize("host", ["10.0.0.1", "127.example.com", "localhost.example.com", "::2", "0.0.0.0"])
def test_other_hosts_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


def test_a_client_without_credentials_may_use_plain_http() -> None:
    assert Client(base_url="http://modelarts.example.invalid") is not None


@pytest.mark.parametrize("mode", MODES)
def test_the_check_runs_again_before_each_request(mode: str) -> None:
    """An absolute URL given to the httpx client does not slip past the check made at build time."""
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200))  # type: ignore[func-returns-value]
    client = AuthenticatedClient(base_url="https://a.example.invalid", token=TOKEN, httpx_args={"transport": transport})
    with pytest.raises(errors.ConfigurationError, match="allow_insecure_http"):
        if mode == "sync":
            client.get_httpx_client().get("http://b.example.invalid/x")
        else:
            asyncio.run(client.get_async_httpx_client().get("http://b.example.invalid/x"))
    assert sent == []


def test_plain_http_allowed_on_request_sends_credentials(stub: StubServer) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"task_id": "t"})

    client = make_client(
        "http://modelarts.example.invalid",
        "token",
        allow_insecure_http=True,
        httpx_args={"transport": httpx.MockTransport(handler)},
    )
    assert describe(client, "sync").status_code == 200
    assert sent[0].headers["x-auth-token"] == TOKEN


ENV = {"PROCESSOR_TASKS_BASE_URL": "http://modelarts.example.invalid", "HUAWEICLOUD_SDK_PROJECT_ID": "p"}


@pytest.mark.parametrize(
    "credentials",
    [{"PROCESSOR_TASKS_TOKEN": TOKEN}, {"HUAWEICLOUD_SDK_AK": AK, "HUAWEICLOUD_SDK_SK": SK}],
    ids=["token", "aksk"],
)
def test_from_env_refuses_plain_http_unless_the_variable_allows_it(credentials: dict[str, str]) -> None:
    with pytest.raises(errors.ConfigurationError, match="PROCESSOR_TASKS_ALLOW_INSECURE_HTTP=1"):
        ProcessorTasks.from_env({**ENV, **credentials})
    for value in ("0", "false", "no", ""):
        with pytest.raises(errors.ConfigurationError):
            ProcessorTasks.from_env({**ENV, **credentials, "PROCESSOR_TASKS_ALLOW_INSECURE_HTTP": value})
    for value in ("1", "true", "YES"):
        assert ProcessorTasks.from_env({**ENV, **credentials, "PROCESSOR_TASKS_ALLOW_INSECURE_HTTP": value})
    with pytest.raises(errors.ConfigurationError, match="PROCESSOR_TASKS_ALLOW_INSECURE_HTTP must be"):
        ProcessorTasks.from_env({**ENV, **credentials, "PROCESSOR_TASKS_ALLOW_INSECURE_HTTP": "maybe"})
    # An explicit argument wins over the variable.
    assert ProcessorTasks.from_env({**ENV, **credentials}, allow_insecure_http=True)


# -- nothing in errors or logs ----------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _everything_shown(exc: BaseException) -> str:
    """Every rendering of an error a service might log, and the requests its chain keeps."""
    parts = ["".join(traceback.format_exception(exc))]
    seen: BaseException | None = exc
    while seen is not None:
        parts += [str(seen), repr(seen), repr(vars(seen))]
        request = getattr(seen, "_request", None)
        if isinstance(request, httpx.Request):
            parts += [repr(request), repr(request.headers), str(dict(request.headers))]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{r.getMessage()} {r.args!r} {r.__dict__!r}" for r in caplog.records)


FAILURES = {
    "refused": lambda stub, other: stub.reply(redirect(f"http://127.0.0.1:{_closed_port()}{TASK_PATH}")),
    "dropped-after-same-origin-redirect": lambda stub, other: stub.reply(redirect("/moved"), Answer(drop=True)),
    "dropped": lambda stub, other: stub.reply(Answer(drop=True)),
    "timed-out": lambda stub, other: stub.reply(Answer(delay=0.6, body=b"{}")),
}


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mode", MODES)
def test_transport_errors_on_the_redirect_path_carry_no_credential(
    stub: StubServer,
    other: StubServer,
    caplog: pytest.LogCaptureFixture,
    failure: Callable[[StubServer, StubServer], None],
    kind: str,
    mode: str,
) -> None:
    failure(stub, other)
    client = make_client(stub.base_url, kind, follow_redirects=True, timeout=httpx.Timeout(0.2))
    with caplog.at_level(logging.DEBUG), pytest.raises(errors.APIConnectionError) as caught:
        describe(client, mode)
    assert set(MARKERS[kind]) <= credentials_in(stub.seen[0]), "the request did carry credentials"
    assert caplog.records, "httpx and httpcore log at DEBUG; the test must see records"
    shown = _everything_shown(caught.value) + _logged(caplog)
    assert not [secret for secret in SECRETS if secret in shown]


@pytest.mark.parametrize("kind", KINDS)
def test_redirect_logs_and_answers_carry_no_credential(
    stub: StubServer, other: StubServer, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    stub.reply(redirect(other.base_url + TASK_PATH))
    other.reply(Answer(status=401, body=b'{"error_code": "ModelArts.0112", "error_msg": "no"}'))
    client = make_client(stub.base_url, kind, follow_redirects=True)
    with caplog.at_level(logging.DEBUG), client, pytest.raises(errors.AuthenticationError) as caught:
        describe_processor_task.sync("p", "t", client=client)
    assert len(caplog.records) >= 2, "one httpx record per hop at least"
    shown = repr(client) + repr(client.get_httpx_client().auth) + str(client.get_httpx_client().auth)
    shown += _everything_shown(caught.value) + _logged(caplog)
    assert not [secret for secret in SECRETS if secret in shown]


def test_the_guard_shows_no_secret() -> None:
    guard = CredentialGuard(AkSkAuth(AK, SK, security_token=STS), follow_redirects=True)
    assert not [secret for secret in SECRETS if secret in repr(guard) + str(guard)]
    assert "AK-VISIBLE" in repr(guard)


# -- credentials no header can carry ----------------------------------------------------------
# httpx and h11 refuse such a value only when sending, with a message that quotes it whole:
# the token would be in the APIConnectionError. The client refuses it when it is built.

UNSENDABLE = {
    "trailing-newline": TOKEN + "\n",  # a token read from a file
    "crlf-injection": TOKEN + "\r\nX-Evil: 1",
    "nul": TOKEN + "\x00",
    "non-ascii": TOKEN + "é",
    "leading-space": " " + TOKEN,
}
CREDENTIAL_BUILDERS: dict[str, Callable[[str], Any]] = {
    "token": lambda value: AuthenticatedClient(base_url="https://a.example.invalid", token=value),
    "security-token": lambda value: AkSkAuth(AK, SK, security_token=value),
    "access-key": lambda value: AkSkAuth(value, SK),
    "header-by-hand": lambda value: Client(base_url="https://a.example.invalid", headers={"X-Auth-Token": value}),
}


@pytest.mark.parametrize("value", UNSENDABLE.values(), ids=UNSENDABLE.keys())
@pytest.mark.parametrize("builder", CREDENTIAL_BUILDERS.values(), ids=CREDENTIAL_BUILDERS.keys())
def test_a_credential_no_header_can_carry_is_refused_unseen(builder: Callable[[str], Any], value: str) -> None:
    with pytest.raises(errors.ConfigurationError, match="HTTP header cannot carry") as caught:
        builder(value)
    assert TOKEN not in _everything_shown(caught.value)


def test_a_token_with_a_line_break_never_reaches_the_wire_or_an_error(stub: StubServer) -> None:
    """The way a user meets it: a call with a token read from a file sends nothing and shows nothing."""
    with pytest.raises(errors.ConfigurationError) as caught:
        describe(AuthenticatedClient(base_url=stub.base_url, token=TOKEN + "\n", retry=None), "sync")
    assert stub.seen == [] and TOKEN not in _everything_shown(caught.value)


def test_from_env_refuses_a_security_token_with_a_line_break_unseen() -> None:
    environ = {
        "PROCESSOR_TASKS_BASE_URL": "https://a.example.invalid",
        "HUAWEICLOUD_SDK_PROJECT_ID": "p",
        "HUAWEICLOUD_SDK_AK": AK,
        "HUAWEICLOUD_SDK_SK": SK,
        "HUAWEICLOUD_SDK_SECURITY_TOKEN": STS + "\n",  # a Kubernetes secret made from a file
    }
    with pytest.raises(errors.ConfigurationError, match="security token contains a line break") as caught:
        ProcessorTasks.from_env(environ)
    assert not [secret for secret in SECRETS if secret in _everything_shown(caught.value)]


@pytest.mark.parametrize("builder", CREDENTIAL_BUILDERS.values(), ids=CREDENTIAL_BUILDERS.keys())
def test_credentials_a_header_can_carry_are_accepted(builder: Callable[[str], Any]) -> None:
    assert builder("MIIa-b_c.d+e/f=g~h") is not None


# -- plain http through a proxy ---------------------------------------------------------------
# httpx sends a plain-http request through HTTP_PROXY/ALL_PROXY unless NO_PROXY names the
# host, loopback included: the credentials would go in clear text to wherever the proxy runs.

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUEST_METHOD")


@pytest.fixture
def proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment without proxy settings, for a test to add its own."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY", "http_proxy"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mode", MODES)
def test_credentials_do_not_go_in_clear_to_a_remote_proxy(
    stub: StubServer, proxy_env: pytest.MonkeyPatch, mode: str, kind: str, variable: str
) -> None:
    proxy_env.setenv(variable, "http://proxy.example.invalid:3128")  # never contacted: refused first
    with pytest.raises(errors.ConfigurationError, match="NO_PROXY") as caught:
        describe(make_client(stub.base_url, kind), mode)
    assert "allow_insecure_http=True" in str(caught.value) and "proxy.example.invalid" in str(caught.value)
    assert not [secret for secret in SECRETS if secret in _everything_shown(caught.value)]
    assert stub.seen == []


@pytest.mark.parametrize("mode", MODES)
def test_a_loopback_proxy_or_no_proxy_keeps_plain_http_allowed(
    stub: StubServer, other: StubServer, proxy_env: pytest.MonkeyPatch, mode: str
) -> None:
    proxy_env.setenv("HTTP_PROXY", other.base_url)  # a proxy on loopback: nothing leaves the machine
    other.reply(task("via-proxy"))
    assert describe(make_client(stub.base_url, "token"), mode).status_code == 200
    assert other.seen[0].path == stub.base_url + TASK_PATH and other.seen[0].headers["x-auth-token"] == TOKEN
    proxy_env.setenv("HTTP_PROXY", "http://proxy.example.invalid:3128")
    proxy_env.setenv("NO_PROXY", "127.0.0.1")
    stub.reply(task())
    assert describe(make_client(stub.base_url, "token"), mode).status_code == 200
    assert stub.seen[0].headers["x-auth-token"] == TOKEN


def test_a_remote_proxy_is_allowed_when_plain_http_is(stub: StubServer, proxy_env: pytest.MonkeyPatch) -> None:
    proxy_env.setenv("HTTP_PROXY", "http://proxy.example.invalid:3128")
    client = make_client(stub.base_url, "token", allow_insecure_http=True)
    assert client.get_httpx_client() is not None  # built, not sent: the proxy does not exist
    # Without credentials there is nothing to protect.
    assert Client(base_url=stub.base_url).get_httpx_client() is not None
    # https goes through the proxy in a tunnel, end to end encrypted.
    assert make_client("https://modelarts.example.invalid", "token").get_httpx_client() is not None


@pytest.mark.parametrize("name", ["X-Auth-Token", "x-security-token", "Authorization"])
def test_a_credential_header_set_by_hand_is_masked_in_the_clients_repr(name: str) -> None:
    for client in (
        Client(base_url="https://a.example.invalid", headers={name: TOKEN, "Accept-Language": "en"}),
        AuthenticatedClient(base_url="https://a.example.invalid", headers={name: TOKEN}),
    ):
        assert TOKEN not in repr(client) + str(client)
        assert "Accept-Language" in repr(client) or isinstance(client, AuthenticatedClient)
        # Nor in httpx's repr of its client's headers (it masks only Authorization) or its auth.
        for httpx_client in (client.get_httpx_client(), client.get_async_httpx_client()):
            assert TOKEN not in repr(httpx_client.headers) + repr(httpx_client.auth)


@pytest.mark.parametrize("mode", MODES)
def test_a_credential_header_set_by_hand_goes_with_each_request_and_with_auth(stub: StubServer, mode: str) -> None:
    stub.reply(redirect("/v2/p/processor-tasks/moved"), task())
    auth = AkSkAuth(AK, SK, security_token=STS)
    client = Client(
        base_url=stub.base_url, headers={"X-Auth-Token": TOKEN}, auth=auth, follow_redirects=True, retry=None
    )
    assert describe(client, mode).status_code == 200  # type: ignore[arg-type]
    for seen in stub.seen:  # the first request and the same-origin redirect
        assert seen.headers["x-auth-token"] == TOKEN and seen.headers["authorization"] == sdk_signature(seen)
