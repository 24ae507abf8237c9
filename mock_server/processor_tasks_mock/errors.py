"""The error answers the mock gives, each an ErrorResponse body (``error_code``, ``error_msg``).

Codes the provider documents are used where the spec names them; the few answers the
provider does not document (an undeclared method, an injected 503) carry ``MOCK.`` codes so
nobody mistakes them for provider behaviour.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

PARAMETER_ERROR = "ModelArts.0104"
TOKEN_INVALID = "ModelArts.5002"
POLICY_DENIES = "ModelArts.0112"
TASK_NOT_FOUND = "ModelArts.4700"
RESOURCE_NOT_FOUND = "ModelArts.0015"
THROTTLED = "APIGW.0308"  # the provider's API gateway code for a request over its rate limit
METHOD_NOT_ALLOWED = "MOCK.0405"
UNAVAILABLE = "MOCK.0503"
INTERNAL = "MOCK.0500"


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """A JSON ErrorResponse with this status."""
    return JSONResponse({"error_code": code, "error_msg": message}, status_code=status, headers=headers)
