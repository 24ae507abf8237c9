"""The SDK-HMAC-SHA256 signature, computed from what arrived on the wire.

This mirrors ``huaweicloudsdkcore.signer.signer.Signer`` (3.1.219) step by step, so that a
request the SDK signed verifies here and any change to method, path, query, signed headers
or body does not:

* URI: the raw path is percent-decoded, split on ``/``, each segment re-encoded with
  ``quote(segment, safe="~")`` and a ``/`` appended when missing;
* query: the decoded ``(key, value)`` pairs sorted on the decoded text (the SDK sorts before
  encoding, which orders differently from sorting the encoded text for some characters),
  then each key and value encoded with ``quote(..., safe="~")`` and joined as ``k=v&...``;
* headers: ``name:value`` with the value stripped, for the signed names in the order given;
* payload: the empty-body hash when there is no body, else ``X-Sdk-Content-Sha256`` when
  sent, else the SHA-256 of the body.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
CONTENT_SHA256_HEADER = "x-sdk-content-sha256"

_AUTHORIZATION = re.compile(
    r"(?P<algorithm>[A-Za-z0-9-]+)\s+"
    r"Access=(?P<access>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+),\s*"
    r"Signature=(?P<signature>[0-9A-Fa-f]+)\s*"
)


@dataclass(frozen=True)
class Authorization:
    """The parts of an ``Authorization: SDK-HMAC-SHA256 ...`` header."""

    algorithm: str
    access_key: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> Authorization | None:
    """Split an Authorization header value; None when it is not in the SDK's layout."""
    match = _AUTHORIZATION.fullmatch(value.strip())
    if match is None:
        return None
    return Authorization(
        algorithm=match["algorithm"],
        access_key=match["access"],
        signed_headers=tuple(match["signed"].split(";")),
        signature=match["signature"].lower(),
    )


def _encode(text: str) -> str:
    return quote(text, safe="~")


def canonical_uri(raw_path: str) -> str:
    """The URI line: each decoded segment re-encoded, with a trailing slash."""
    url_path = "/".join(_encode(segment) for segment in unquote(raw_path).split("/"))
    return url_path if url_path.endswith("/") else url_path + "/"


def canonical_query(pairs: Sequence[tuple[str, str]]) -> str:
    """The query line from decoded pairs, in the order and encoding the SDK uses."""
    return "&".join(f"{_encode(key)}={_encode(value)}" for key, value in sorted(pairs))


def payload_hash(body: bytes, headers: Mapping[str, str]) -> str:
    """The last line of the canonical request."""
    if not body:
        return EMPTY_BODY_SHA256
    declared = headers.get(CONTENT_SHA256_HEADER)
    if declared:
        return declared
    return hashlib.sha256(body).hexdigest()


def canonical_request(
    method: str,
    raw_path: str,
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    body: bytes,
) -> str:
    """The canonical request; ``headers`` maps lowercase names to values, every signed one present."""
    header_lines = "".join(f"{name}:{headers[name].strip()}\n" for name in signed_headers)
    return "\n".join(
        (
            method.upper(),
            canonical_uri(raw_path),
            canonical_query(query),
            header_lines,
            ";".join(signed_headers),
            payload_hash(body, headers),
        )
    )


def string_to_sign(canonical: str, sdk_date: str) -> str:
    """Algorithm, date and the hash of the canonical request."""
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{sdk_date}\n{digest}"


def signature(secret_key: str, to_sign: str) -> str:
    """Lowercase hex HMAC-SHA256 of ``to_sign`` keyed with the secret key."""
    return hmac.new(secret_key.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
