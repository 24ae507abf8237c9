"""The error answers the mock gives, each an ErrorResponse body (``error_code``, ``error_msg``).

Every code is one the provider's error-code appendix lists for that status. The appendix
has no code for the injected latency or a dropped connection, which carry no body anyway;
the injected 429 and 503 use the appendix's gateway codes for those statuses.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

PARAMETER_ERROR = "ModelArts.0104"
TOKEN_INVALID = "ModelArts.5002"
TASK_NOT_FOUND = "ModelArts.4700"  # under 400 in the appendix; 404 here (spec resolution 5)
TOKEN_PROJECT_MISMATCH = "ModelArts.2786"  # 404: the credentials' project is not the path's
API_NOT_FOUND = "ModelArts.4204"  # 404: no API at this path
METHOD_NOT_ALLOWED = "ModelArts.2803"  # 405
THROTTLED = "ModelArts.2799"  # 429 TooManyRequests
UNAVAILABLE = "ModelArts.4700"  # 503 "unavailable gateway": same code as TASK_NOT_FOUND, other status
INTERNAL = "ModelArts.0010"  # 500 internal error


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """A JSON ErrorResponse with this status."""
    return JSONResponse({"error_code": code, "error_msg": message}, status_code=status, headers=headers)
