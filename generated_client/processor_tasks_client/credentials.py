# Copied from generator/runtime/credentials.py by generator/regenerate.py. Do not edit here: edit the source.
"""Credentials that expire: providers, and a client auth that refreshes them.

A *credential provider* is anything with a ``load()`` method returning the current
:class:`Credentials`: an IAM token, or an AK/SK pair with an optional security token,
each with the time it expires. Give one to a client (``AuthenticatedClient(credentials=
provider)``) and the client

- asks it again ahead of expiry, in two windows as botocore's ``RefreshableCredentials``
  does: within ``advisory_window`` (15 minutes) of expiry, one caller refreshes while the
  others go on with the current credentials, and a failed refresh is logged and the
  current credentials kept; within ``mandatory_window`` (10 minutes), every caller waits
  for the refresh, and a failure raises :class:`~processor_tasks_client.errors.CredentialsError`;
- asks it again once when the server answers 401 to credentials it got from it, then
  repeats the request with the new ones (a second 401 goes back to the caller as
  ``AuthenticationError``);
- refreshes once at a time, under a lock shared by its sync and async sides (async calls
  run the provider in a worker thread, so a slow provider never blocks the event loop).

Built-in providers, as the provider's SDK (huaweicloudsdkcore) has them:

- :class:`EnvironmentProvider`: ``PROCESSOR_TASKS_TOKEN``, or ``HUAWEICLOUD_SDK_AK`` /
  ``HUAWEICLOUD_SDK_SK`` / ``HUAWEICLOUD_SDK_SECURITY_TOKEN``;
- :class:`ProfileProvider`: the SDK's profile file (``HUAWEICLOUD_SDK_CREDENTIALS_FILE``,
  else ``~/.huaweicloud/credentials``), an INI file whose ``[basic]`` section holds ``ak``,
  ``sk`` and optionally ``security_token``;
- :class:`MetadataProvider`: temporary AK/SK and security token of the ECS instance's
  agency, from the metadata service (``PROCESSOR_TASKS_METADATA_ENDPOINT``, else
  ``http://169.254.169.254``), refreshed before they expire;
- :func:`default_chain`: the first of these three that has credentials.

No credential appears in ``repr()``, in log records or in error messages.
"""

from __future__ import annotations

import configparser
import json
import logging
import os
import re
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import anyio.to_thread
import httpx

from ._transfer import TransferLimits, check_limit, exchange, finite_number, install_deadlines
from .auth import ENV_ACCESS_KEY, ENV_SECRET_KEY, ENV_SECURITY_TOKEN, AkSkAuth, check_header_credential
from .errors import ConfigurationError, CredentialsError, ProcessorTasksError, ResponseTooLargeError

__all__ = [
    "DEFAULT_ADVISORY_WINDOW",
    "DEFAULT_MANDATORY_WINDOW",
    "DEFAULT_METADATA_ENDPOINT",
    "ENV_CREDENTIALS_FILE",
    "ENV_METADATA_ENDPOINT",
    "METADATA_MAX_RESPONSE_BYTES",
    "CredentialProvider",
    "Credentials",
    "CredentialsAuth",
    "EnvironmentProvider",
    "MetadataProvider",
    "ProfileProvider",
    "ProviderChain",
    "RefreshingCredentials",
    "default_chain",
]

# environment.ENV_TOKEN (environment imports the client, which imports this module).
_ENV_TOKEN = "PROCESSOR_TASKS_TOKEN"
ENV_CREDENTIALS_FILE = "HUAWEICLOUD_SDK_CREDENTIALS_FILE"
ENV_METADATA_ENDPOINT = "PROCESSOR_TASKS_METADATA_ENDPOINT"

DEFAULT_ADVISORY_WINDOW = 15 * 60
"""Seconds before expiry from which one caller tries to refresh while others go on."""

DEFAULT_MANDATORY_WINDOW = 10 * 60
"""Seconds before expiry from which every caller waits for fresh credentials."""

DEFAULT_METADATA_ENDPOINT = "http://169.254.169.254"
"""The ECS metadata service, reachable from inside an instance only."""

_PROFILE_PATH = Path(".huaweicloud") / "credentials"
_PROFILE_SECTION = "basic"
_METADATA_TOKEN_PATH = "/meta-data/latest/api/token"
_METADATA_KEY_PATH = "/openstack/latest/securitykey"
_METADATA_TOKEN_HEADER = "X-Metadata-Token"
_METADATA_TTL_HEADER = "X-Metadata-Token-Ttl-Seconds"
_METADATA_TOKEN_TTL = 6 * 60 * 60
# Most bytes of one answer of the metadata service. A credential (AK, SK, a security token
# of a few KB, the expiry) is well under 16 KB; a longer answer is no credential, and
# reading it whole would let a broken or hostile service fill the memory.
METADATA_MAX_RESPONSE_BYTES = 64 * 1024
# The metadata service's 401 when the instance has no agency: a new session token cannot help.
_NO_AGENCY = "Please configure Cloud Service Agency first"

_log = logging.getLogger("processor_tasks_client")


@dataclass(frozen=True, slots=True, repr=False)
class Credentials:
    """One set of credentials: a ``token``, or ``access_key`` + ``secret_key`` (+ ``security_token``).

    Attributes:
        token: An IAM token, sent as ``X-Auth-Token``.
        access_key: The AK, for AK/SK signing.
        secret_key: The SK; it keys the signature and is never sent.
        security_token: Of temporary AK/SK; sent (and signed) as ``X-Security-Token``.
        expires_at: When they expire, as seconds since the epoch (``time.time()``); None
            for credentials without a known expiry (refreshed only after a 401).

    Raises:
        ConfigurationError: Neither a token nor both keys, or both kinds, a value that is
            not a string or that no HTTP header can carry (the message names the field,
            never the value), or an ``expires_at`` that is not a finite number.
    """

    token: str | None = None
    access_key: str | None = None
    secret_key: str | None = field(default=None)
    security_token: str | None = None
    expires_at: float | None = None

    def __post_init__(self) -> None:
        for name in ("token", "access_key", "secret_key", "security_token"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ConfigurationError(f"the credentials' {name} must be a string, got {type(value).__name__}")
        if self.expires_at is not None and not finite_number(self.expires_at):
            raise ConfigurationError(
                "the credentials' expires_at must be a finite number of seconds since the epoch, or None; "
                f"got {self.expires_at!r:.40}"
            )
        keys = bool(self.access_key) or bool(self.secret_key)
        if bool(self.token) == keys:
            raise ConfigurationError("Credentials take a token, or an access key and a secret key (not both)")
        if keys and not (self.access_key and self.secret_key):
            raise ConfigurationError("Credentials need both an access key and a secret key")
        for name in ("token", "access_key", "security_token"):
            value = getattr(self, name)
            if value:
                check_header_credential(f"the credentials' {name}", value)

    def __repr__(self) -> str:
        if self.token:
            what = "token=***"
        else:
            what = f"access_key={self.access_key!r}, secret_key=***"
            if self.security_token:
                what += ", security_token=***"
        return f"Credentials({what}, expires_at={self.expires_at!r})"

    __str__ = __repr__

    def seconds_left(self, now: float) -> float | None:
        """Seconds until expiry at ``now``; None when the expiry is unknown."""
        return None if self.expires_at is None else self.expires_at - now


@runtime_checkable
class CredentialProvider(Protocol):
    """Something that returns the current credentials.

    ``load()`` is called when the client has none yet, ahead of their expiry, and after
    the server refused them (401). It may block (read a file, call a service): async
    clients call it in a worker thread. It raises
    :class:`~processor_tasks_client.errors.CredentialsError` when it has none to give.
    """

    def load(self) -> Credentials:
        """The current credentials."""
        ...


class RefreshingCredentials:
    """The current credentials of a provider, refreshed ahead of expiry, one refresh at a time.

    Args:
        provider: Where credentials come from.
        advisory_window: Seconds before expiry from which one caller refreshes and the
            others go on; a failure is logged and the current credentials kept.
        mandatory_window: Seconds before expiry from which every caller waits for the
            refresh; a failure raises CredentialsError.
        clock: Seconds since the epoch (``time.time``); replace it to test the windows.
    """

    def __init__(
        self,
        provider: CredentialProvider,
        *,
        advisory_window: float = DEFAULT_ADVISORY_WINDOW,
        mandatory_window: float = DEFAULT_MANDATORY_WINDOW,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not callable(getattr(provider, "load", None)):
            raise ConfigurationError(
                f"credentials= takes a provider with a load() method, got {type(provider).__name__}"
            )
        if not 0 <= mandatory_window <= advisory_window:
            raise ConfigurationError("RefreshingCredentials needs 0 <= mandatory_window <= advisory_window")
        self.provider = provider
        self.advisory_window = advisory_window
        self.mandatory_window = mandatory_window
        self._clock = clock
        self._current: Credentials | None = None
        # Credentials that arrive with less time left than a window would be refreshed on
        # every call; instead they are used until half their remaining time has passed.
        self._not_before = 0.0
        # One lock for sync callers and for the worker threads async callers refresh in.
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RefreshingCredentials({self.provider!r}, current={self._current!r})"

    __str__ = __repr__

    def _within(self, credentials: Credentials | None, window: float) -> bool:
        if credentials is None:
            return True
        now = self._clock()
        left = credentials.seconds_left(now)
        if left is None or left <= 0:
            return left is not None
        return left < window and now >= self._not_before

    def get(self) -> Credentials:
        """The current credentials, refreshed first when they are within a window of expiry.

        Raises:
            CredentialsError: None could be had, or they are within the mandatory window
                and the refresh failed.
        """
        current = self._current
        if not self._within(current, self.advisory_window):
            return current  # type: ignore[return-value]  # None is always "within"
        if self._lock.acquire(blocking=False):
            try:
                if self._within(self._current, self.advisory_window):
                    self._refresh(mandatory=self._within(self._current, self.mandatory_window))
            finally:
                self._lock.release()
        elif self._within(current, self.mandatory_window):
            with self._lock:
                if self._within(self._current, self.mandatory_window):
                    self._refresh(mandatory=True)
        result = self._current
        assert result is not None  # a first load that fails raises (it is always mandatory)
        return result

    def after_rejection(self, rejected: Credentials) -> Credentials | None:
        """New credentials after the server refused ``rejected`` (401); None when there are none.

        Only the first caller whose credentials were refused asks the provider: callers
        that were refused the same credentials meanwhile get what it got.

        Raises:
            CredentialsError: The provider failed.
        """
        with self._lock:
            if self._current is rejected:
                self._refresh(mandatory=True)
            fresh = self._current
        return None if fresh is None or fresh == rejected else fresh

    async def aget(self) -> Credentials:
        """Async counterpart of :meth:`get`; a refresh runs in a worker thread."""
        current = self._current
        if not self._within(current, self.advisory_window):
            return current  # type: ignore[return-value]
        return await anyio.to_thread.run_sync(self.get)

    async def aafter_rejection(self, rejected: Credentials) -> Credentials | None:
        """Async counterpart of :meth:`after_rejection`."""
        return await anyio.to_thread.run_sync(self.after_rejection, rejected)

    def _refresh(self, *, mandatory: bool) -> None:
        # Called with the lock held.
        try:
            fresh = self.provider.load()
            if not isinstance(fresh, Credentials):
                raise CredentialsError(
                    f"{type(self.provider).__name__}.load() returned {type(fresh).__name__}, not Credentials"
                )
            left = fresh.seconds_left(self._clock())
            if left is not None and left <= 0:
                raise CredentialsError(f"{type(self.provider).__name__} returned credentials that have already expired")
        except Exception as error:
            # The message of a provider's error is ours or the provider's; its value never
            # includes a credential (CredentialsError's never do), so the type is enough here.
            _log.warning(
                "refreshing credentials failed in the %s window (%s)",
                "mandatory" if mandatory else "advisory",
                type(error).__name__,
                extra={"provider": type(self.provider).__name__, "mandatory": mandatory},
            )
            if not mandatory:
                return
            if isinstance(error, CredentialsError):
                raise
            # Our own errors never quote a value; another library's message might.
            detail = str(error) if isinstance(error, ConfigurationError) else type(error).__name__
            raise CredentialsError(f"{type(self.provider).__name__} could not provide credentials: {detail}") from error
        self._current = fresh
        now = self._clock()
        left = fresh.seconds_left(now)
        self._not_before = now + left / 2 if left is not None and left < self.advisory_window else 0.0
        _log.info(
            "credentials refreshed from %s",
            type(self.provider).__name__,
            extra={"provider": type(self.provider).__name__, "expires_at": fresh.expires_at},
        )


_CREDENTIAL_NAMES = ("authorization", "x-sdk-date", "x-security-token")


class CredentialsAuth(httpx.Auth):
    """Authenticates each request with the current credentials; refreshes and repeats once on a 401.

    A token goes in ``header`` (``X-Auth-Token``); AK/SK credentials sign the request as
    :class:`~processor_tasks_client.auth.AkSkAuth` does.
    """

    requires_request_body = True

    def __init__(self, credentials: RefreshingCredentials, header: str = "X-Auth-Token") -> None:
        self.credentials = credentials
        self.header = header
        self._signer: tuple[Credentials, AkSkAuth] | None = None

    def __repr__(self) -> str:
        return f"CredentialsAuth({self.credentials!r}, header={self.header!r})"

    __str__ = __repr__

    def _apply(self, request: httpx.Request, credentials: Credentials) -> None:
        for name in (self.header, *_CREDENTIAL_NAMES):
            request.headers.pop(name, None)
        if credentials.token:
            request.headers[self.header] = credentials.token
            return
        signer = self._signer
        if signer is None or signer[0] is not credentials:
            assert credentials.access_key and credentials.secret_key  # Credentials checks it
            signer = (credentials, AkSkAuth(credentials.access_key, credentials.secret_key, credentials.security_token))
            self._signer = signer
        signer[1].sign(request)

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        used = self.credentials.get()
        self._apply(request, used)
        response = yield request
        if response.status_code != 401:
            return
        fresh = self.credentials.after_rejection(used)
        if fresh is not None:
            self._apply(request, fresh)
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        used = await self.credentials.aget()
        self._apply(request, used)
        response = yield request
        if response.status_code != 401:
            return
        fresh = await self.credentials.aafter_rejection(used)
        if fresh is not None:
            self._apply(request, fresh)
            yield request


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


class EnvironmentProvider:
    """Credentials from the environment, read at each ``load()``.

    ``PROCESSOR_TASKS_TOKEN`` (a token), else ``HUAWEICLOUD_SDK_AK`` and
    ``HUAWEICLOUD_SDK_SK`` (with ``HUAWEICLOUD_SDK_SECURITY_TOKEN`` for temporary ones),
    the names the provider's SDK reads. Their expiry is unknown: they are read again only
    after a 401.

    Args:
        environ: Where to read; ``os.environ`` when None.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ

    def __repr__(self) -> str:
        return "EnvironmentProvider()"

    def load(self) -> Credentials:
        """The credentials the variables hold now.

        Raises:
            CredentialsError: Neither a token nor both keys are set.
        """
        env = _env(self._environ)
        token = env.get(_ENV_TOKEN, "").strip()
        if token:
            return Credentials(token=token)
        access_key, secret_key = env.get(ENV_ACCESS_KEY, ""), env.get(ENV_SECRET_KEY, "")
        if access_key and secret_key:
            return Credentials(
                access_key=access_key, secret_key=secret_key, security_token=env.get(ENV_SECURITY_TOKEN) or None
            )
        raise CredentialsError(f"environment: set {_ENV_TOKEN}, or {ENV_ACCESS_KEY} and {ENV_SECRET_KEY}")


class ProfileProvider:
    """Credentials from the provider SDK's profile file, read at each ``load()``.

    The file is INI; its ``[basic]`` section holds ``ak``, ``sk`` and, for temporary
    credentials, ``security_token``. Rewrite the file to rotate: the client reads it
    again after a 401.

    Args:
        path: The file; else ``HUAWEICLOUD_SDK_CREDENTIALS_FILE``, else
            ``~/.huaweicloud/credentials``.
        section: The section to read.
        environ: Where to read ``HUAWEICLOUD_SDK_CREDENTIALS_FILE``; ``os.environ`` when None.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        section: str = _PROFILE_SECTION,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._path = Path(path) if path is not None else None
        self.section = section
        self._environ = environ

    @property
    def path(self) -> Path:
        """The file that ``load()`` reads."""
        if self._path is not None:
            return self._path
        configured = _env(self._environ).get(ENV_CREDENTIALS_FILE, "").strip()
        return Path(configured) if configured else Path.home() / _PROFILE_PATH

    def __repr__(self) -> str:
        return f"ProfileProvider(path={str(self.path)!r}, section={self.section!r})"

    def load(self) -> Credentials:
        """The credentials the file holds now.

        Raises:
            CredentialsError: The file is missing or unreadable, or its section lacks ``ak``/``sk``.
        """
        path = self.path
        parser = configparser.ConfigParser(interpolation=None)
        try:
            with path.open(encoding="utf-8") as handle:
                parser.read_file(handle)
        except FileNotFoundError:
            raise CredentialsError(f"profile: {path} does not exist") from None
        except (OSError, UnicodeDecodeError, configparser.Error) as error:
            # configparser quotes offending lines, which may hold a key: name the kind only.
            raise CredentialsError(f"profile: cannot read {path} ({type(error).__name__})") from None
        if not parser.has_section(self.section):
            raise CredentialsError(f"profile: {path} has no [{self.section}] section")
        values = parser[self.section]
        access_key, secret_key = values.get("ak", "").strip(), values.get("sk", "").strip()
        if not (access_key and secret_key):
            raise CredentialsError(f"profile: the [{self.section}] section of {path} needs ak and sk")
        return Credentials(
            access_key=access_key,
            secret_key=secret_key,
            security_token=values.get("security_token", "").strip() or None,
        )


def _parse_expiry(text: object) -> float:
    # The service writes UTC with a "Z" ("2025-01-01T00:00:00.000000Z"); a time without a
    # zone is read as UTC too, the only zone the service uses.
    if not isinstance(text, str):
        raise ValueError("no expires_at")
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _field(entry: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    value = entry.get(name)
    if value is None or value == "":
        if required:
            raise KeyError(name)
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} is not a string")  # the type only, never the value
    return value


def _credential(content: bytes) -> Credentials:
    body = json.loads(content)
    if not isinstance(body, dict):
        raise TypeError("not an object")
    entry = body.get("credential") or body.get("credentials") or body
    if not isinstance(entry, dict):
        raise TypeError("credential is not an object")
    access_key, secret_key = _field(entry, "access"), _field(entry, "secret")
    return Credentials(
        access_key=access_key,
        secret_key=secret_key,
        security_token=_field(entry, "securitytoken", required=False),
        expires_at=_parse_expiry(entry.get("expires_at")),
    )


_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")


def _shown(url: str) -> str:
    """``url`` for messages and reprs: a ``user:password@`` in it is a secret, shown as ``***@``."""
    return _USERINFO.sub(r"\1***@", url)


class MetadataProvider:
    """Temporary AK/SK and security token of the ECS instance's agency, from the metadata service.

    As the provider's SDK does: ``PUT /meta-data/latest/api/token`` for a session token
    (optional: a service that does not offer one is asked without), then ``GET
    /openstack/latest/securitykey``, whose ``credential`` object holds ``access``,
    ``secret``, ``securitytoken`` and ``expires_at`` (ISO 8601; a time without a zone is
    read as UTC). The client asks again before they expire (see
    :class:`RefreshingCredentials`).

    Each request to the service ends within ``timeout`` seconds in all (connect, send,
    headers and the whole body, however slowly it trickles in), and an answer longer than
    :data:`METADATA_MAX_RESPONSE_BYTES` (64 KiB) is not read further: either raises
    :class:`~processor_tasks_client.errors.CredentialsError`, as does anything else that
    is not a credential. No error message or log record holds the answer's body.

    Args:
        endpoint: The metadata service; else ``PROCESSOR_TASKS_METADATA_ENDPOINT``, else
            ``http://169.254.169.254``.
        timeout: Seconds for each request to it, from connecting to the last byte of the
            answer; None for no bound.
        environ: Where to read ``PROCESSOR_TASKS_METADATA_ENDPOINT``; ``os.environ`` when None.
        httpx_args: Further arguments for the ``httpx.Client`` it uses (a ``transport``, say).
            Proxies from the environment are not used: the service is link-local.

    Raises:
        ConfigurationError: The endpoint is no http(s) URL.
        ValueError: ``timeout`` is not a positive number of seconds.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        timeout: float | None = 3.0,
        environ: Mapping[str, str] | None = None,
        httpx_args: Mapping[str, Any] | None = None,
    ) -> None:
        configured = endpoint or _env(environ).get(ENV_METADATA_ENDPOINT, "").strip() or DEFAULT_METADATA_ENDPOINT
        try:
            url = httpx.URL(configured)
        except httpx.InvalidURL:
            url = None
        if url is None or url.scheme not in ("http", "https") or not url.host:
            raise ConfigurationError(
                f"the metadata endpoint ({ENV_METADATA_ENDPOINT} or endpoint=) must be an http(s) URL, got {_shown(configured)!r}"
            )
        check_limit("timeout", timeout)
        self.endpoint = configured.rstrip("/")
        self._shown = _shown(self.endpoint)
        self.timeout = timeout
        self._limits = TransferLimits(
            attempt_timeout=timeout, call_timeout=None, max_response_bytes=METADATA_MAX_RESPONSE_BYTES
        )
        self._httpx_args = dict(httpx_args or {})
        self._session_token: str | None = None

    def __repr__(self) -> str:
        return f"MetadataProvider(endpoint={self._shown!r})"

    def _send(self, client: httpx.Client, method: str, path: str, headers: Mapping[str, str]) -> httpx.Response:
        # One request within the timeout and the cap, as the client's own calls are.
        return exchange(client, {"method": method, "url": path, "headers": dict(headers)}, self._limits, None)

    def _new_session_token(self, client: httpx.Client, *, required: bool) -> None:
        response = self._send(client, "PUT", _METADATA_TOKEN_PATH, {_METADATA_TTL_HEADER: str(_METADATA_TOKEN_TTL)})
        token = response.text.strip() if response.status_code == 200 else ""
        if token:
            try:
                check_header_credential("the metadata session token", token)
            except ConfigurationError as error:
                raise CredentialsError(f"metadata: {error}") from None
            self._session_token = token
        elif response.status_code in (404, 405, 503) and not required:
            self._session_token = None  # a service without session tokens: ask without one
        else:
            raise CredentialsError(
                f"metadata: {self._shown}{_METADATA_TOKEN_PATH} answered HTTP {response.status_code}"
            )

    def load(self) -> Credentials:
        """Fresh temporary credentials from the metadata service.

        Raises:
            CredentialsError: The service cannot be reached, refuses, is too slow, or
                answers something that is not a credential (or longer than the cap).
        """
        args: dict[str, Any] = {"timeout": self.timeout, "trust_env": False, **self._httpx_args}
        failure: str | None = None
        try:
            with httpx.Client(base_url=self.endpoint, follow_redirects=False, **args) as client:
                install_deadlines(client)
                if self._session_token is None:
                    self._new_session_token(client, required=False)
                response = self._get_key(client)
                if response.status_code == 401 and _NO_AGENCY not in response.text:
                    self._new_session_token(client, required=True)
                    response = self._get_key(client)
        except ResponseTooLargeError:
            failure = f"metadata: {self._shown} sent an answer longer than {METADATA_MAX_RESPONSE_BYTES} bytes"
        except CredentialsError:
            raise  # the session token's own failure, already worded
        except (httpx.HTTPError, ProcessorTasksError) as error:
            if isinstance(error, httpx.TimeoutException):
                failure = f"metadata: {self._shown} did not answer within {self.timeout:g} s ({type(error).__name__})"
            else:
                failure = f"metadata: cannot reach {self._shown} ({type(error).__name__})"
        if failure is not None:
            # Raised outside the except clause: the error it replaces, which may hold the
            # answer or a header, is not even kept as the context.
            raise CredentialsError(failure)
        if response.status_code != 200:
            hint = " (the instance has no agency)" if _NO_AGENCY in response.text else ""
            raise CredentialsError(
                f"metadata: {self._shown}{_METADATA_KEY_PATH} answered HTTP {response.status_code}{hint}"
            )
        try:
            return _credential(response.content)
        except (ValueError, KeyError, TypeError, RecursionError, OverflowError, ConfigurationError) as error:
            failure = type(error).__name__
        # Never the body: it holds the secret. Raised outside the except clause, for the same reason.
        raise CredentialsError(f"metadata: the answer is not a credential ({failure})")

    def _get_key(self, client: httpx.Client) -> httpx.Response:
        headers = {_METADATA_TOKEN_HEADER: self._session_token} if self._session_token else {}
        return self._send(client, "GET", _METADATA_KEY_PATH, headers)


class ProviderChain:
    """The first provider that has credentials, kept for later loads (as the SDK's chain).

    Args:
        providers: Tried in order; one raising CredentialsError is skipped.

    Raises:
        CredentialsError: (from ``load()``) no provider had credentials; the message lists
            what each said.
    """

    def __init__(self, providers: Sequence[CredentialProvider]) -> None:
        if not providers:
            raise ConfigurationError("ProviderChain needs at least one provider")
        self.providers = tuple(providers)
        self.chosen: CredentialProvider | None = None

    def __repr__(self) -> str:
        return f"ProviderChain({list(self.providers)!r}, chosen={self.chosen!r})"

    def load(self) -> Credentials:
        """The credentials of the chosen provider; the first to answer is chosen."""
        if self.chosen is not None:
            return self.chosen.load()
        reasons = []
        for provider in self.providers:
            try:
                credentials = provider.load()
            except CredentialsError as error:
                reasons.append(str(error))
                continue
            self.chosen = provider
            return credentials
        raise CredentialsError("no credentials found: " + "; ".join(reasons))


def default_chain(environ: Mapping[str, str] | None = None) -> ProviderChain:
    """The environment, then the profile file, then the metadata service (as the provider's SDK)."""
    return ProviderChain(
        [EnvironmentProvider(environ), ProfileProvider(environ=environ), MetadataProvider(environ=environ)]
    )
