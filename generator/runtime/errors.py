"""Every exception the client raises.

``sync()`` and ``asyncio()`` return the decoded success model or raise one of these;
the ``*_detailed()`` variants return the :class:`~processor_tasks_client.types.Response`
for any HTTP status but still raise :class:`ResponseDecodeError` for an answer that cannot
be read and :class:`APIConnectionError` for a network fault.

Hierarchy::

    ProcessorTasksError
    ├── ConfigurationError            missing or inconsistent settings (e.g. environment)
    ├── ClientClosedError             a call on a client that was closed (also a RuntimeError)
    ├── CredentialsError              a credential provider has no credentials to give
    ├── APIConnectionError            no HTTP answer (refused, reset, DNS, ...)
    │   └── APITimeoutError           the client's timeout ran out
    ├── ResponseDecodeError           an answer that is not what the contract describes
    │   └── ResponseTooLargeError     a body longer than the client's size cap
    ├── PagingError                   a page walk that cannot go on, or (strict) cannot vouch for its result
    ├── WaitError                     a wait ended in a final state it was not waiting for
    │   ├── TaskFailedError           the task reached a failure state (FAILED, STOPPED)
    │   └── WaitTimeoutError          the wait's timeout ran out (carries the last task seen)
    └── APIStatusError                an HTTP error status (4xx, 5xx, or undocumented)
        ├── BadRequestError           400
        ├── AuthenticationError       401
        ├── PermissionDeniedError     403
        │   └── ProjectMismatchError  404 ModelArts.2786 / 403 ModelArts.0210: the credentials
        │                             belong to another project than the path's project_id
        ├── NotFoundError             404 (a missing project, API or task)
        │   └── TaskNotFoundError     400 or 404 with ModelArts.4700 / ModelArts.4612
        │       └── TaskDeletedError  the task went missing while a wait polled it
        ├── RateLimitError            429
        ├── ServerError               5xx
        └── UnexpectedStatus          any other status
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

__all__ = [
    "NOT_FOUND_ERROR_CODES",
    "NOT_FOUND_STATUSES",
    "PROJECT_MISMATCH_ERROR_CODES",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConfigurationError",
    "CredentialsError",
    "NotFoundError",
    "PagingError",
    "PermissionDeniedError",
    "ProcessorTasksError",
    "ProjectMismatchError",
    "RateLimitError",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "ServerError",
    "TaskDeletedError",
    "TaskFailedError",
    "TaskNotFoundError",
    "UnexpectedStatus",
    "WaitError",
    "WaitTimeoutError",
    "error_for_status",
    "parse_retry_after",
]

# The provider's error-code appendix files "task does not exist" under HTTP 400, while
# its status tables say 404 (resolution 5 in the spec). The same appendix reuses
# ModelArts.4700 under 503 for an unavailable gateway, so a code alone decides nothing:
# a task is missing only when one of these codes comes with one of these statuses.
NOT_FOUND_ERROR_CODES = frozenset({"ModelArts.4700", "ModelArts.4612"})
NOT_FOUND_STATUSES = frozenset({400, 404})
# Credentials of one project used on another project's path. Reported as "not found" by
# the gateway (404 ModelArts.2786) or as forbidden (403 ModelArts.0210); either way the
# fix is the project ID or the credentials, not the task ID, so it must not look like a
# missing task.
PROJECT_MISMATCH_ERROR_CODES: Mapping[int, str] = {404: "ModelArts.2786", 403: "ModelArts.0210"}

_EXCERPT = 200


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` value (delta-seconds or an HTTP date), if usable.

    Anything else (a word, ``nan``, a date whose zone offset or year no datetime can
    hold) gives None, as if no ``Retry-After`` were sent: never an exception.
    """
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            seconds = (when - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


class ProcessorTasksError(Exception):
    """Base class of every exception raised by this client.

    Attributes:
        page: For an error that ended a page walk (``iter_items``/``iter_pages``): the
            index of the page that could not be had. Pass it as ``start_page`` to go on
            from there. None otherwise.
    """

    page: int | None = None


class CredentialsError(ProcessorTasksError):
    """A credential provider has no credentials to give (none configured, or fetching them failed).

    Raised when a client built with ``credentials=`` first needs them, or when they are
    within the mandatory window of expiry and refreshing fails. The message says which
    provider and why, never a credential.
    """


class ConfigurationError(ProcessorTasksError):
    """The client cannot be built from the settings given (a variable is missing, say)."""


class ClientClosedError(ProcessorTasksError, RuntimeError):
    """The client (or the ``ProcessorTasks`` that holds it) was closed; nothing was sent.

    Build a new client: a closed one cannot be opened again. Also a ``RuntimeError``, the
    error httpx raises for the same mistake.
    """


class APIConnectionError(ProcessorTasksError):
    """The request got no HTTP answer: connection refused, reset, or name resolution failed."""


class APITimeoutError(APIConnectionError):
    """The request exceeded the client's timeout."""


class ResponseDecodeError(ProcessorTasksError):
    """The server answered, but the body cannot be read as the contract describes.

    Attributes:
        status_code: HTTP status of the answer.
        content: The body, kept whole so that nothing is lost; the raw bytes as received
            when its ``Content-Encoding`` could not be undone.
        reason: What was wrong (not JSON, a missing field, a value of the wrong type, a
            broken ``Content-Encoding``, ...).
        request_id: The ``X-Request-Id`` header of the answer, if any.
        headers: The answer's headers, when known.
    """

    def __init__(
        self,
        status_code: int,
        content: bytes,
        reason: str,
        request_id: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status_code = status_code
        self.content = content
        self.reason = reason
        self.request_id = request_id
        self.headers: Mapping[str, str] = dict(headers or {})
        excerpt = content[:_EXCERPT].decode("utf-8", "replace")
        super().__init__(f"cannot decode the HTTP {status_code} answer: {reason} (body starts {excerpt!r})")


class ResponseTooLargeError(ResponseDecodeError):
    """The body grew past the client's ``max_response_bytes``; reading stopped there.

    The connection is closed rather than drained, so an endless body costs no more than
    the cap. ``content`` holds only the first bytes of the body (decoded when a
    ``Content-Encoding`` applied), enough to see what the server was sending.

    Attributes:
        limit: The cap in force, in bytes of the decoded body.
    """

    def __init__(
        self,
        status_code: int,
        content: bytes,
        limit: int,
        request_id: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.limit = limit
        reason = f"body larger than the cap of {limit} bytes (max_response_bytes)"
        super().__init__(status_code, content, reason, request_id, headers=headers)


class PagingError(ProcessorTasksError):
    """A page walk that cannot go on, or that cannot vouch for having seen every item.

    Raised when the server answers the same page again for the next page index (it
    ignores the page parameter, so the walk would never end), when pages keep holding
    only items already seen, and, in a strict walk, whenever the walk would otherwise
    only warn (the total changed, a page repeated items, fewer items than the total).

    Attributes:
        page: The page index at which the walk stopped.
        reason: What went wrong.
    """

    def __init__(self, page: int, reason: str) -> None:
        self.page = page
        self.reason = reason
        super().__init__(f"page walk stopped at page {page}: {reason}")


class WaitError(ProcessorTasksError):
    """A wait (``wait()``, ``wait_processor_task()``) ended without the state it waited for.

    Raised as such when the task reached a final state that ``until`` does not name (waiting
    for RUNNING, the task is already COMPLETED); its subclasses say more.

    Attributes:
        task: The task as last fetched (None if no poll was answered).
        status: Its status (the enum member, or the plain value the contract does not list).
        state: The contract's name of that status (``"FAILED"``), or None.
        elapsed: Seconds the wait took.
        polls: Polls made.
    """

    def __init__(self, message: str, *, task: Any, status: Any, state: str | None, elapsed: float, polls: int) -> None:
        self.task = task
        self.status = status
        self.state = state
        self.elapsed = elapsed
        self.polls = polls
        super().__init__(message)


class TaskFailedError(WaitError):
    """The task reached a failure state of the contract's waiter (FAILED, STOPPED).

    Attributes:
        error_msg: Why it failed, as the task says (its ``error_msg``), or None.
    """

    def __init__(
        self,
        message: str,
        *,
        task: Any,
        status: Any,
        state: str | None,
        error_msg: str | None,
        elapsed: float,
        polls: int,
    ) -> None:
        self.error_msg = error_msg
        super().__init__(message, task=task, status=status, state=state, elapsed=elapsed, polls=polls)


class WaitTimeoutError(WaitError):
    """The wait's ``timeout`` ran out, or the next poll would have come after it.

    ``task`` is the last task seen (None when no poll was answered), ``status`` and
    ``state`` its status then.
    """


class APIStatusError(ProcessorTasksError):
    """The server answered with an error status.

    Attributes:
        status_code: HTTP status of the answer.
        error_code: The provider's code (``ModelArts.0104`` ...) when the body carries one.
        error_msg: The provider's message, or the start of a body that is not an error object.
        request_id: The ``X-Request-Id`` header, to quote when reporting a problem.
        content: The raw body.
        headers: The answer's headers.
    """

    def __init__(
        self,
        status_code: int,
        *,
        error_code: str | None = None,
        error_msg: str | None = None,
        request_id: str | None = None,
        content: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status_code = status_code
        self.error_code = error_code
        self.error_msg = error_msg
        self.request_id = request_id
        self.content = content
        self.headers: Mapping[str, str] = dict(headers or {})
        detail = " ".join(part for part in (error_code, error_msg) if part) or "no error body"
        suffix = f" [request {request_id}]" if request_id else ""
        super().__init__(f"HTTP {status_code}: {detail}{suffix}")


class BadRequestError(APIStatusError):
    """400: a parameter is missing, malformed or out of range."""


class AuthenticationError(APIStatusError):
    """401: no credentials, or a token or signature the server refuses."""


class PermissionDeniedError(APIStatusError):
    """403: the credentials may not act on this project."""


class ProjectMismatchError(PermissionDeniedError):
    """404 ModelArts.2786 or 403 ModelArts.0210: the credentials belong to another project.

    The path's ``project_id`` is not the project of the token or AK/SK. A
    :class:`PermissionDeniedError` (the credentials may not act on this project) rather
    than a :class:`NotFoundError`, whatever the status, so that code handling a missing
    task does not swallow a wrong project ID.
    """

    def __str__(self) -> str:
        return (
            f"{super().__str__()}: the credentials belong to another project than the "
            "project_id in the path; check the project ID and the credentials"
        )


class NotFoundError(APIStatusError):
    """404: the project, the API or the task does not exist (see TaskNotFoundError)."""


class TaskNotFoundError(NotFoundError):
    """400 or 404 with ModelArts.4700 or ModelArts.4612: the task does not exist.

    A 503 with ModelArts.4700 is the gateway being unavailable and raises
    :class:`ServerError` instead (after retries).
    """


class TaskDeletedError(TaskNotFoundError):
    """The task was seen by a wait and then went missing (404): it was deleted while waiting.

    Attributes:
        last_task: The task as last seen.
    """

    def __init__(self, status_code: int, *, last_task: Any, **fields: Any) -> None:
        self.last_task = last_task
        super().__init__(status_code, **fields)

    def __str__(self) -> str:
        return f"{super().__str__()}: the task was deleted while waiting for it"


class RateLimitError(APIStatusError):
    """429: too many requests.

    Attributes:
        retry_after: Seconds the server asked to wait (``Retry-After``), when given.
    """

    @property
    def retry_after(self) -> float | None:
        for name, value in self.headers.items():
            if name.lower() == "retry-after":
                return parse_retry_after(value)
        return None


class ServerError(APIStatusError):
    """5xx: the server failed."""


class UnexpectedStatus(APIStatusError):
    """A status the contract does not document for this operation."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def _error_fields(content: bytes) -> tuple[str | None, str | None]:
    """Read ``error_code``/``error_msg`` leniently: an error page from a proxy must not hide the status."""
    try:
        body: Any = json.loads(content)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the stack
        text = content[:_EXCERPT].decode("utf-8", "replace").strip()
        return None, text or None
    if isinstance(body, dict):
        code, msg = body.get("error_code"), body.get("error_msg")
        return (code if isinstance(code, str) else None, msg if isinstance(msg, str) else None)
    return None, None


def error_for_status(status_code: int, content: bytes, headers: Mapping[str, str]) -> APIStatusError:
    """Build the exception that matches an error answer."""
    error_code, error_msg = _error_fields(content)
    cls: type[APIStatusError]
    if status_code in NOT_FOUND_STATUSES and error_code in NOT_FOUND_ERROR_CODES:
        cls = TaskNotFoundError
    elif error_code is not None and PROJECT_MISMATCH_ERROR_CODES.get(status_code) == error_code:
        cls = ProjectMismatchError
    elif status_code in _BY_STATUS:
        cls = _BY_STATUS[status_code]
    elif 500 <= status_code <= 599:
        cls = ServerError
    else:
        cls = UnexpectedStatus
    return cls(
        status_code,
        error_code=error_code,
        error_msg=error_msg,
        request_id=headers.get("x-request-id"),
        content=content,
        headers=headers,
    )
