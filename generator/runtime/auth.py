"""AK/SK request signing (``SDK-HMAC-SHA256``) and credentials from the environment.

:class:`AkSkAuth` is an ``httpx.Auth``: give it to ``Client(auth=...)`` or
``AuthenticatedClient(auth=...)`` and every request is signed the way the provider's
official SDK signer (huaweicloudsdkcore) signs it, byte for byte; the test suite checks
that against the SDK itself.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Generator, Mapping
from datetime import UTC, datetime
from urllib.parse import quote, unquote

import httpx

from .errors import ConfigurationError

__all__ = [
    "ENV_ACCESS_KEY",
    "ENV_PROJECT_ID",
    "ENV_SECRET_KEY",
    "ENV_SECURITY_TOKEN",
    "AkSkAuth",
    "TokenAuth",
    "canonical_query",
    "canonical_request",
    "canonical_uri",
]

ENV_ACCESS_KEY = "HUAWEICLOUD_SDK_AK"
ENV_SECRET_KEY = "HUAWEICLOUD_SDK_SK"
ENV_SECURITY_TOKEN = "HUAWEICLOUD_SDK_SECURITY_TOKEN"
ENV_PROJECT_ID = "HUAWEICLOUD_SDK_PROJECT_ID"

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
        self._token = token
        self.header = header
        self.prefix = prefix

    def __repr__(self) -> str:
        return f"TokenAuth(header={self.header!r}, token=***)"

    __str__ = __repr__

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self.header] = f"{self.prefix} {self._token}" if self.prefix else self._token
        yield request
