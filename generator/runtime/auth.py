"""AK/SK request signing (``SDK-HMAC-SHA256``), the token header, and where credentials may go.

:class:`AkSkAuth` is an ``httpx.Auth``: give it to ``Client(auth=...)`` or
``AuthenticatedClient(auth=...)`` and every request is signed the way the provider's
official SDK signer (huaweicloudsdkcore) signs it, byte for byte; the test suite checks
that against the SDK itself.

:class:`CredentialGuard` wraps whichever auth a client has and decides where its
credentials travel: only to the origin (scheme, host, port) of the request they were
added for, and never over plain ``http://`` to a host that is not loopback unless the
client was built with ``allow_insecure_http=True``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
from collections.abc import AsyncGenerator, Generator, Mapping
from datetime import UTC, datetime
from urllib.parse import quote, unquote

import httpx

from .errors import ConfigurationError

__all__ = [
    "CREDENTIAL_HEADERS",
    "DEFAULT_MAX_REDIRECTS",
    "ENV_ACCESS_KEY",
    "ENV_ALLOW_INSECURE_HTTP",
    "ENV_PROJECT_ID",
    "ENV_SECRET_KEY",
    "ENV_SECURITY_TOKEN",
    "AkSkAuth",
    "CredentialGuard",
    "TokenAuth",
    "canonical_query",
    "canonical_request",
    "canonical_uri",
    "check_header_credential",
    "check_proxy",
    "check_transport",
    "is_loopback",
]

ENV_ACCESS_KEY = "HUAWEICLOUD_SDK_AK"
ENV_SECRET_KEY = "HUAWEICLOUD_SDK_SK"
ENV_SECURITY_TOKEN = "HUAWEICLOUD_SDK_SECURITY_TOKEN"
ENV_PROJECT_ID = "HUAWEICLOUD_SDK_PROJECT_ID"
ENV_ALLOW_INSECURE_HTTP = "PROCESSOR_TASKS_ALLOW_INSECURE_HTTP"

ALGORITHM = "SDK-HMAC-SHA256"
DATE_HEADER = "X-Sdk-Date"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
SECURITY_TOKEN_HEADER = "X-Security-Token"
EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# The SDK signs every header it sends. httpx adds transport headers of its own (Accept,
# Accept-Encoding, Connection, User-Agent) that proxies may rewrite, so this signer signs
# the headers that carry meaning; the server checks whichever SignedHeaders lists.
_SIGNED = ("host", "x-sdk-date", "x-security-token", "x-project-id", "content-type")


def _encode(text: str) -> str:
    # RFC 3986: only unreserved characters stay; quote() keeps "-_." and alphanumerics.
    return quote(text, safe="~")


def canonical_uri(path: str) -> str:
    """Each path segment percent-encoded, and always a trailing slash."""
    encoded = "/".join(_encode(segment) for segment in unquote(path).split("/"))
    return encoded if encoded.endswith("/") else encoded + "/"


def canonical_query(pairs: list[tuple[str, str]]) -> str:
    """Pairs sorted by key then value, each ``k=v`` RFC 3986-encoded, joined by ``&``."""
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(pairs))


def canonical_request(
    method: str, path: str, query: list[tuple[str, str]], headers: Mapping[str, str], body: bytes
) -> tuple[str, str]:
    """The canonical request and its SignedHeaders value, as the provider defines them."""
    lowered = {name.lower(): value.strip() for name, value in headers.items()}
    signed = sorted(name for name in lowered if "_" not in name)
    canonical_headers = "".join(f"{name}:{lowered[name]}\n" for name in signed)
    body_hash = hashlib.sha256(body).hexdigest() if body else EMPTY_BODY_SHA256
    text = "\n".join(
        [method.upper(), canonical_uri(path), canonical_query(query), canonical_headers, ";".join(signed), body_hash]
    )
    return text, ";".join(signed)


def check_header_credential(setting: str, value: str) -> None:
    """Refuse a credential that an HTTP header cannot carry, before anything is sent.

    httpx and h11 reject such a header value only when the request is sent, and their
    error message quotes the value: a token read from a file with its trailing line
    break would end up, whole, in the APIConnectionError and in every log of it. This
    check names the setting and what is wrong, never the value.

    Raises:
        ConfigurationError: ``value`` holds a line break, another control character, a
            non-ASCII character, or starts or ends with a space.
    """
    for position, char in enumerate(value):
        if " " <= char <= "~":
            continue
        kind = (
            "a line break"
            if char in "\r\n"
            else ("a non-ASCII character" if ord(char) > 0x7F else "a control character")
        )
        raise ConfigurationError(
            f"{setting} contains {kind} at position {position}, which an HTTP header cannot carry "
            "(the value is not shown; read from a file? strip it)"
        )
    if value != value.strip(" "):
        raise ConfigurationError(
            f"{setting} starts or ends with a space, which an HTTP header cannot carry (the value is not shown)"
        )


class AkSkAuth(httpx.Auth):
    """Signs each request with an access key / secret key pair.

    Args:
        access_key: The AK.
        secret_key: The SK; never shown by ``repr()`` or ``str()``.
        security_token: For temporary credentials; sent (and signed) as ``X-Security-Token``.

    An ``X-Sdk-Date`` already on the request is reused; otherwise the current UTC time is set.
    """

    requires_request_body = True

    def __init__(self, access_key: str, secret_key: str, security_token: str | None = None) -> None:
        if not access_key or not secret_key:
            raise ConfigurationError("AkSkAuth needs both an access key and a secret key")
        # The SK only keys the HMAC and never travels; the others are header values.
        check_header_credential("the access key", access_key)
        if security_token:
            check_header_credential("the security token", security_token)
        self.access_key = access_key
        self._secret_key = secret_key
        self._security_token = security_token

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AkSkAuth:
        """Credentials from HUAWEICLOUD_SDK_AK / _SK (and _SECURITY_TOKEN), the official SDK's names."""
        env = os.environ if environ is None else environ
        missing = [name for name in (ENV_ACCESS_KEY, ENV_SECRET_KEY) if not env.get(name)]
        if missing:
            raise ConfigurationError(f"set {' and '.join(missing)} to sign requests with AK/SK")
        return cls(env[ENV_ACCESS_KEY], env[ENV_SECRET_KEY], env.get(ENV_SECURITY_TOKEN) or None)

    def __repr__(self) -> str:
        token = ", security_token=***" if self._security_token else ""
        return f"AkSkAuth(access_key={self.access_key!r}, secret_key=***{token})"

    __str__ = __repr__

    def sign(self, request: httpx.Request, now: datetime | None = None) -> None:
        """Add X-Sdk-Date (unless present) and Authorization to ``request`` in place."""
        if DATE_HEADER not in request.headers:
            moment = now or datetime.now(UTC)
            request.headers[DATE_HEADER] = moment.strftime(DATE_FORMAT)
        if self._security_token:
            request.headers[SECURITY_TOKEN_HEADER] = self._security_token
        headers = {name: request.headers[name] for name in _SIGNED if name in request.headers}
        query = list(request.url.params.multi_items())
        # raw_path, not url.path: canonical_uri undoes the percent-encoding once, as the SDK
        # does, and url.path has already been decoded (a task id "a%41" would become "aA").
        path = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
        text, signed = canonical_request(request.method, path, query, headers, request.content)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        string_to_sign = f"{ALGORITHM}\n{request.headers[DATE_HEADER]}\n{digest}"
        signature = hmac.new(self._secret_key.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256)
        request.headers["Authorization"] = (
            f"{ALGORITHM} Access={self.access_key}, SignedHeaders={signed}, Signature={signature.hexdigest()}"
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request


class TokenAuth(httpx.Auth):
    """Sends an IAM token in a header of each request.

    Set per request rather than as a default header of the httpx client, so that the token
    is not part of the client's header map (which prints in full) and only travels with
    the requests themselves.
    """

    def __init__(self, token: str, header: str = "X-Auth-Token", prefix: str = "") -> None:
        check_header_credential("the token", f"{prefix} {token}" if prefix else token)
        self._token = token
        self.header = header
        self.prefix = prefix

    def __repr__(self) -> str:
        return f"TokenAuth(header={self.header!r}, token=***)"

    __str__ = __repr__

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self.header] = f"{self.prefix} {self._token}" if self.prefix else self._token
        yield request


class _HeadersThenAuth(httpx.Auth):
    """Sets credential headers given by hand (``headers={"X-Auth-Token": ...}``) on each request, then runs ``auth``.

    Such headers are kept out of the httpx client's default headers, whose ``repr()``
    httpx prints in full except for ``Authorization``, and, set here, they count as
    added by the auth: :class:`CredentialGuard` sends them to the first origin only.
    """

    def __init__(self, headers: Mapping[str, str], auth: httpx.Auth | None) -> None:
        self._headers = dict(headers)
        self._auth = auth
        self.requires_request_body = auth is not None and auth.requires_request_body

    def __repr__(self) -> str:
        return f"_HeadersThenAuth(headers={sorted(self._headers)!r}, auth={self._auth!r})"

    __str__ = __repr__

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(self._headers)
        if self._auth is None:
            yield request
            return
        yield from self._auth.sync_auth_flow(request)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        request.headers.update(self._headers)
        if self._auth is None:
            yield request
            return
        flow = self._auth.async_auth_flow(request)
        try:
            outgoing = await flow.__anext__()
            while True:
                response = yield outgoing
                try:
                    outgoing = await flow.asend(response)
                except StopAsyncIteration:
                    return
        finally:
            # A request cancelled mid-flight closes this flow; the inner one must close too,
            # not be left to the event loop's finalizer (a stray task per cancelled call).
            await flow.aclose()


CREDENTIAL_HEADERS = frozenset({"authorization", "x-auth-token", "x-security-token"})
"""Headers that carry a credential of this API whoever set them (lower case).

Besides these, :class:`CredentialGuard` treats every header that the wrapped auth added
or changed (``X-Sdk-Date``, a custom token header, ...) as part of the credential.
"""

DEFAULT_MAX_REDIRECTS = 20
"""The most redirects followed for one request unless ``httpx_args`` sets ``max_redirects`` (httpx's default)."""

_DEFAULT_PORTS = {"http": 80, "https": 443}

_REDIRECT_BODY = 64 * 1024
"""Most raw bytes of a followed redirect's body read (and thrown away) before the next hop.

httpx reads the body of every answer an auth flow moves on from, in full and decoded,
outside the client's size cap: an endless or compressed 302 body would fill memory, a
broken Content-Encoding would raise httpx.DecodingError. The guard reads it first: a
short body is drained so that the connection can serve the next hop; past this many
bytes the connection is dropped instead.
"""


def _already_read(response: httpx.Response) -> bool:
    try:
        response.content  # noqa: B018 -- raises until the body has been read
    except httpx.ResponseNotRead:
        return False
    return True


def _mark_discarded(response: httpx.Response) -> None:
    # What httpx's Response.read() returns from now on: the body is gone, on purpose.
    response._content = b""


def _discard(response: httpx.Response) -> None:
    """Throw away the body of an answer the flow moves on from, reading at most _REDIRECT_BODY bytes."""
    if _already_read(response):
        return
    try:
        size = 0
        for chunk in response.iter_raw():
            size += len(chunk)
            if size > _REDIRECT_BODY:
                break
    finally:
        response.close()
    _mark_discarded(response)


async def _adiscard(response: httpx.Response) -> None:
    """Async counterpart of :func:`_discard`."""
    if _already_read(response):
        return
    try:
        size = 0
        async for chunk in response.aiter_raw():
            size += len(chunk)
            if size > _REDIRECT_BODY:
                break
    finally:
        await response.aclose()
    _mark_discarded(response)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and any loopback address (127.0.0.0/8, ``::1``)."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    # Ports are compared with the scheme's default filled in: http://h and http://h:80
    # are one origin, http://h and https://h are two.
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)


def check_transport(url: httpx.URL, *, allow_insecure_http: bool) -> None:
    """Refuse to let credentials travel over plain HTTP to a host that is not loopback.

    Raises:
        ConfigurationError: ``url`` is ``http://`` to such a host and ``allow_insecure_http``
            is False; the message names the setting that allows it.
    """
    if url.scheme != "http" or allow_insecure_http or is_loopback(url.host):
        return
    raise ConfigurationError(
        f"refusing to send credentials over plain http to {url.host!r}: anyone on the path could read "
        f"them. Use an https:// base_url, or, if you know why you need it, build the client with "
        f"allow_insecure_http=True (from the environment: {ENV_ALLOW_INSECURE_HTTP}=1). "
        "Loopback hosts (localhost, 127.0.0.0/8, ::1) are always allowed."
    )


def _proxy_host(client: httpx.Client | httpx.AsyncClient, url: httpx.URL) -> str | None:
    """The host of the proxy httpx would send a request for ``url`` through, or None.

    httpx has no public way to ask which transport serves a URL; this reads its
    ``_transport_for_url`` and httpcore's proxy pool. A transport of the caller's own
    (``mounts=``, ``transport=``) is not a proxy this can see, and gives None.
    """
    try:
        transport = client._transport_for_url(url)
    except AttributeError:  # an httpx without this internal: nothing to check
        return None
    proxy_url = getattr(getattr(transport, "_pool", None), "_proxy_url", None)
    host = getattr(proxy_url, "host", None)
    return host.decode("ascii") if isinstance(host, bytes) else None


def check_proxy(client: httpx.Client | httpx.AsyncClient, url: httpx.URL, *, allow_insecure_http: bool) -> None:
    """Refuse to send credentials for a plain-http URL through a proxy that is not on loopback.

    A request to ``http://127.0.0.1`` is safe on its own, but with ``HTTP_PROXY`` or
    ``ALL_PROXY`` set (and no ``NO_PROXY`` for the host) httpx hands it, headers and all,
    in clear text to the proxy, wherever that runs.

    Raises:
        ConfigurationError: such a proxy serves ``url`` and ``allow_insecure_http`` is False;
            the message names NO_PROXY and the setting that allows it.
    """
    if url.scheme != "http" or allow_insecure_http:
        return
    host = _proxy_host(client, url)
    if host is None or is_loopback(host):
        return
    raise ConfigurationError(
        f"refusing to send credentials for {url.host!r} over plain http through the proxy {host!r} "
        "(from HTTP_PROXY/ALL_PROXY): the proxy and anyone on the way to it could read them. Add the host "
        "to NO_PROXY, pass httpx_args={'trust_env': False}, use an https:// base_url, or, if you know why "
        f"you need it, build the client with allow_insecure_http=True ({ENV_ALLOW_INSECURE_HTTP}=1)."
    )


class _Hops:
    """One request's way through its redirects: which headers are credentials, where they may go.

    Shared by the sync and async flows of :class:`CredentialGuard`; one instance per request,
    so that a guard used by many requests at once keeps no state between them.
    """

    def __init__(self, guard: CredentialGuard, request: httpx.Request) -> None:
        self._guard = guard
        self._origin = _origin(request.url)
        self._left_origin = False
        self._count = 0
        self.added: set[str] = set()
        self.sent: list[httpx.Request] = []
        self.sign = guard.auth is not None
        if self.sign or any(name in request.headers for name in CREDENTIAL_HEADERS):
            check_transport(request.url, allow_insecure_http=guard.allow_insecure_http)

    def note(self, before: list[tuple[str, str]], sent: httpx.Request) -> None:
        """Remember which headers the auth added or changed on ``sent``."""
        known = set(before)
        self.added.update(name for name, value in sent.headers.multi_items() if (name, value) not in known)
        self.sent.append(sent)

    def scrub(self) -> None:
        """Remove the credential headers from every request sent so far."""
        for request in self.sent:
            for name in self.added | CREDENTIAL_HEADERS:
                request.headers.pop(name, None)

    def follow(self, response: httpx.Response) -> httpx.Request | None:
        """The next request of a redirect, credentials removed or due for signing; None to stop."""
        guard = self._guard
        redirect = response.next_request
        if not guard.follow_redirects or redirect is None or self._count >= guard.max_redirects:
            # The redirect answer itself goes back to the caller (an undocumented status).
            return None
        self._count += 1
        same = not self._left_origin and _origin(redirect.url) == self._origin
        # Once a chain has left the origin, nothing it says afterwards earns the credentials back.
        self._left_origin = not same
        # Same origin: drop what the auth added (the old signature covers the old path) and
        # sign afresh. Another origin: drop every credential header and do not sign.
        strip = self.added if same else self.added | CREDENTIAL_HEADERS
        for name in strip:
            redirect.headers.pop(name, None)
        self.sign = same and guard.auth is not None
        return redirect


class CredentialGuard(httpx.Auth):
    """Applies a client's auth and keeps its credentials on their origin; follows redirects.

    Every ``AuthenticatedClient``/``Client`` sends its requests through one of these (it
    wraps ``token=`` or ``auth=``, or nothing), with httpx's own redirect handling turned
    off, because httpx copies every header to a redirect's target except ``Authorization``
    (and keeps even that on an http-to-https redirect): ``X-Auth-Token``,
    ``X-Security-Token`` and a stale AK/SK signature would go to whatever host a redirect
    names. Here:

    * Before a request with credentials is sent, its URL must be https, or http to a
      loopback host, or the client must allow plain http (:func:`check_transport`).
    * A redirect is followed only when the client has ``follow_redirects=True``, at most
      ``max_redirects`` times; past that the redirect answer is returned as it is.
    * A redirect to the same origin (scheme, host and port) is authenticated afresh: the
      headers the auth added are removed and the auth runs again, so an AK/SK signature
      covers the new path and query.
    * A redirect to another origin carries no credential: ``Authorization``,
      ``X-Auth-Token``, ``X-Security-Token`` and every header the auth added are removed,
      and the auth does not run. This holds for the rest of the chain, even if it later
      comes back to the first origin.
    * The body of a redirect answer it follows is thrown away, at most 64 KiB of it read
      (a longer one drops the connection), so that httpx, which would read it whole and
      decode it, finds nothing to read: redirects stay within the client's size cap.
    * When sending fails (refused, reset, timed out, ...), the credential headers are
      removed from the requests already sent, so that the error httpx raises, which
      keeps the request, carries no credential.

    Args:
        auth: The auth that adds the credentials, or None.
        follow_redirects: Follow redirects (as above) instead of returning them.
        max_redirects: The most redirects followed for one request.
        allow_insecure_http: Let credentials go over plain http to any host.
    """

    def __init__(
        self,
        auth: httpx.Auth | None,
        *,
        follow_redirects: bool = False,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        allow_insecure_http: bool = False,
    ) -> None:
        self.auth = auth
        self.follow_redirects = follow_redirects
        self.max_redirects = max_redirects
        self.allow_insecure_http = allow_insecure_http

    def __repr__(self) -> str:
        return (
            f"CredentialGuard({self.auth!r}, follow_redirects={self.follow_redirects}, "
            f"allow_insecure_http={self.allow_insecure_http})"
        )

    __str__ = __repr__

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        hops = _Hops(self, request)
        current: httpx.Request | None = request
        try:
            while current is not None:
                if hops.sign and self.auth is not None:
                    before = list(current.headers.multi_items())
                    flow = self.auth.sync_auth_flow(current)
                    outgoing = next(flow)
                    while True:
                        hops.note(before, outgoing)
                        response = yield outgoing
                        try:
                            outgoing = flow.send(response)
                        except StopIteration:
                            break
                        _discard(response)
                else:
                    hops.sent.append(current)
                    response = yield current
                current = hops.follow(response)
                if current is not None:
                    _discard(response)
        except BaseException:
            # httpx closes the flow when sending failed and then raises an error that holds
            # the request: it must not hold the credentials too.
            hops.scrub()
            raise

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        hops = _Hops(self, request)
        current: httpx.Request | None = request
        try:
            while current is not None:
                if hops.sign and self.auth is not None:
                    before = list(current.headers.multi_items())
                    flow = self.auth.async_auth_flow(current)
                    try:
                        outgoing = await flow.__anext__()
                        while True:
                            hops.note(before, outgoing)
                            response = yield outgoing
                            try:
                                outgoing = await flow.asend(response)
                            except StopAsyncIteration:
                                break
                            await _adiscard(response)
                    finally:
                        await flow.aclose()  # as in _HeadersThenAuth: closed here, not by the finalizer
                else:
                    hops.sent.append(current)
                    response = yield current
                current = hops.follow(response)
                if current is not None:
                    await _adiscard(response)
        except BaseException:
            hops.scrub()
            raise
