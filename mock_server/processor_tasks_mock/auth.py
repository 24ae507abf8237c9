"""Who is calling: an X-Auth-Token or an SDK-HMAC-SHA256 signature, mapped to a project.

An ``X-Auth-Token`` header, when present, decides alone (as the provider's gateway does,
a token request is not also checked for a signature). Otherwise the ``Authorization``
header must carry a valid AK/SK signature:

* the algorithm is ``SDK-HMAC-SHA256`` and the access key is known;
* ``host`` and ``x-sdk-date`` are signed, and so is ``x-security-token`` when sent;
* every signed header is present exactly once;
* ``X-Sdk-Date`` is ``YYYYMMDDTHHMMSSZ`` and at most ``clock_skew_seconds`` from the clock;
* the signature recomputed by :mod:`processor_tasks_mock.signing` matches.

A credential listed in ``expires_at`` is refused once the clock reaches that time (the
token or the access key "has expired"), and an access key listed in ``security_tokens``
(temporary AK/SK) must come with that ``X-Security-Token``, signed.

Every failure is a 401 (ModelArts.5002) whose message says which rule failed.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from processor_tasks_mock import signing

_SDK_DATE = re.compile(r"[0-9]{8}T[0-9]{6}Z")


class AuthError(Exception):
    """The request's credentials are missing or do not verify (answered with 401)."""


@dataclass(frozen=True)
class WireRequest:
    """The parts of a request that authentication looks at, as they arrived."""

    method: str
    raw_path: str
    query: Sequence[tuple[str, str]]
    headers: Sequence[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Authenticator:
    """Maps credentials to the project they may act on."""

    tokens: Mapping[str, str]
    aksk: Mapping[str, tuple[str, str]]
    clock_skew_seconds: int
    clock: Callable[[], float]
    expires_at: Mapping[str, float] = field(default_factory=dict)
    """Token or access key -> when it stops being accepted (seconds since the epoch)."""
    security_tokens: Mapping[str, str] = field(default_factory=dict)
    """Access key of temporary credentials -> the security token that must come with it."""

    def _check_expiry(self, credential: str, what: str) -> None:
        expires_at = self.expires_at.get(credential)
        if expires_at is not None and self.clock() >= expires_at:
            raise AuthError(f"The {what} has expired.")

    def project_of(self, request: WireRequest) -> str:
        """The project the caller's credentials belong to; raises AuthError otherwise."""
        headers: dict[str, list[str]] = {}
        for name, value in request.headers:
            headers.setdefault(name.lower(), []).append(value)
        tokens = headers.get("x-auth-token")
        if tokens is not None:
            project = self.tokens.get(tokens[0].strip()) if len(tokens) == 1 else None
            if project is None:
                raise AuthError("The token is invalid.")
            self._check_expiry(tokens[0].strip(), "token")
            return project
        authorization = headers.get("authorization")
        if authorization is None:
            raise AuthError("The request carries no X-Auth-Token and no Authorization header.")
        if len(authorization) != 1:
            raise AuthError("The request carries more than one Authorization header.")
        return self._verify_signature(request, authorization[0], headers)

    def _verify_signature(self, request: WireRequest, value: str, headers: Mapping[str, list[str]]) -> str:
        parsed = signing.parse_authorization(value)
        if parsed is None:
            raise AuthError(
                "The Authorization header is not of the form "
                "'SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...'."
            )
        if parsed.algorithm != signing.ALGORITHM:
            raise AuthError(f"The signing algorithm {parsed.algorithm!r} is not supported; use SDK-HMAC-SHA256.")
        signed = parsed.signed_headers
        for required in ("host", "x-sdk-date") + (("x-security-token",) if "x-security-token" in headers else ()):
            if required not in signed:
                raise AuthError(f"The header {required} must be signed.")
        single: dict[str, str] = {}
        for name in signed:
            values = headers.get(name)
            if values is None:
                raise AuthError(f"The signed header {name} is missing from the request.")
            if len(values) != 1:
                raise AuthError(f"The signed header {name} appears more than once.")
            single[name] = values[0]
        if signing.CONTENT_SHA256_HEADER in headers and len(headers[signing.CONTENT_SHA256_HEADER]) == 1:
            single.setdefault(signing.CONTENT_SHA256_HEADER, headers[signing.CONTENT_SHA256_HEADER][0])
        sdk_date = single["x-sdk-date"].strip()
        if not _SDK_DATE.fullmatch(sdk_date):
            raise AuthError("X-Sdk-Date is not of the form YYYYMMDDTHHMMSSZ.")
        try:
            when = datetime.strptime(sdk_date, signing.DATE_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            raise AuthError("X-Sdk-Date is not a valid date.") from None
        credential = self.aksk.get(parsed.access_key)
        if credential is None:
            raise AuthError("The access key is unknown.")
        secret_key, project = credential
        expected_token = self.security_tokens.get(parsed.access_key)
        if expected_token is not None and single.get("x-security-token") != expected_token:
            raise AuthError("The access key is temporary: its security token is missing or does not match.")
        canonical = signing.canonical_request(
            request.method, request.raw_path, request.query, single, signed, request.body
        )
        expected = signing.signature(secret_key, signing.string_to_sign(canonical, sdk_date))
        if not hmac.compare_digest(expected, parsed.signature):
            raise AuthError("The request signature does not match.")
        if abs(self.clock() - when.timestamp()) > self.clock_skew_seconds:
            raise AuthError(f"X-Sdk-Date is more than {self.clock_skew_seconds} seconds away from the server's clock.")
        self._check_expiry(parsed.access_key, "access key")
        return project
