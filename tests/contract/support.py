"""Shared machinery of the schemathesis contract suite: targets, auth, hooks and extra checks.

The suite itself (tests/contract/test_contract.py) is written once; everything that differs
between the places it runs against -- the mock in-process, the mock over HTTP, a remote live
endpoint, a deliberately broken mock -- is captured by a `Target` built here.
"""

from __future__ import annotations

import os
import tomllib
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
import requests.auth
import schemathesis
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from schemathesis import Case, CheckContext, CheckFunction, HookContext, Response
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.schemas import OpenApiSchema

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO_ROOT / "openapi" / "processor-tasks.yaml"
CONFIG_PATH = Path(__file__).with_name("schemathesis.toml")

# The mock's documented default credentials (mock_server/README.md).
MOCK_TOKEN = "mock-token"
MOCK_PROJECT = "mock-project"
MOCK_AK = "MOCKAK"
MOCK_SK = "MOCKSK"
# A project that exists on the mock but belongs to another token: asking for it is refused
# (the mock answers 404 ModelArts.2786; the provider may answer 403 instead).
FOREIGN_PROJECT = "other-project"

LIST_OPERATION = "GET /v2/{project_id}/processor-tasks"
DESCRIBE_OPERATION = "GET /v2/{project_id}/processor-tasks/{task_id}"

# The switch that lets the suite talk to a live endpoint (`make contract-live` sets it). Without
# it the `remote` target is never selected, whatever credentials the shell holds: a shell set
# up for the client must not fuzz a real account during `make test`.
ENV_LIVE = "PROCESSOR_TASKS_CONTRACT_LIVE"
LIVE_SWITCH_ON = ("1", "true", "yes")
# Environment of the remote live target: the client's own names (`ProcessorTasks.from_env()`),
# so one shell set-up serves both. Named in the error, so keep them in one place.
ENV_BASE_URL = "PROCESSOR_TASKS_BASE_URL"
ENV_PROJECT_ID = "HUAWEICLOUD_SDK_PROJECT_ID"
ENV_PROJECT_ID_FALLBACK = "PROCESSOR_TASKS_PROJECT_ID"  # the client's fallback name, read second
ENV_TOKEN = "PROCESSOR_TASKS_TOKEN"
ENV_AK = "HUAWEICLOUD_SDK_AK"
ENV_SK = "HUAWEICLOUD_SDK_SK"
# Optional: temporary AK/SK credentials come with a security token, signed like any header.
ENV_SECURITY_TOKEN = "HUAWEICLOUD_SDK_SECURITY_TOKEN"
REMOTE_SKIP_REASON = (
    f"remote live target not configured: set {ENV_BASE_URL} and {ENV_PROJECT_ID}, "
    f"plus either {ENV_TOKEN} or both {ENV_AK} and {ENV_SK}"
)

# Undeclared methods the coverage phase may send to a remote endpoint. The provider implements
# POST (create), PUT (update) and DELETE on these very paths, so probing a live account with them
# could create or delete real tasks; TRACE is never one of the provider's operations.
REMOTE_UNEXPECTED_METHODS = ["TRACE"]
# Whatever schemathesis or a check decides to send, a remote target only ever sees these.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def live_switch_on(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the explicit live switch (PROCESSOR_TASKS_CONTRACT_LIVE=1) is set."""
    env = os.environ if environ is None else environ
    return env.get(ENV_LIVE, "").strip().lower() in LIVE_SWITCH_ON


class ReadOnlyViolation(AssertionError):
    """The suite tried to send a method that could change data on a live endpoint."""


def read_only_send(send: Callable[..., requests.Response]) -> Callable[..., requests.Response]:
    """Wrap `requests.Session.send` so that anything but a read-only method is refused unsent."""

    def guarded(session: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        method = (request.method or "").upper()
        if method not in READ_ONLY_METHODS:
            raise ReadOnlyViolation(f"refusing to send {method} {request.url}: the live contract suite is read-only")
        return send(session, request, **kwargs)

    return guarded


# --------------------------------------------------------------------------------------------
# Authentication
# --------------------------------------------------------------------------------------------


class TokenAuth(requests.auth.AuthBase):
    """IAM token auth: the provider's `X-Auth-Token` header, sent as is (no `Bearer`)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["X-Auth-Token"] = self.token
        return request

    def __repr__(self) -> str:
        # Never print the secret in a failure report.
        return "TokenAuth(token=***)"


class AkSkAuth(requests.auth.AuthBase):
    """AK/SK request signing (SDK-HMAC-SHA256) with huaweicloudsdkcore's own signer.

    Signing happens on the prepared request, i.e. on the exact URL and query string that go on
    the wire, so whatever schemathesis generates (repeated keys, odd characters) is signed the way
    the provider's SDK would sign it. Only `Host`, `X-Sdk-Date` (and `X-Security-Token` for
    temporary credentials) are signed: the transport may still add or rewrite other headers.
    """

    def __init__(
        self, ak: str, sk: str, security_token: str | None = None, *, now: Callable[[], datetime] | None = None
    ) -> None:
        self.ak = ak
        self.sk = sk
        self.security_token = security_token
        # Injectable clock so the signature can be checked against a fixed test vector.
        self._now = now or (lambda: datetime.now(UTC))

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        assert request.url is not None and request.method is not None
        parts = urlsplit(request.url)
        headers: dict[str, str] = {
            "Host": parts.netloc,
            "X-Sdk-Date": self._now().strftime("%Y%m%dT%H%M%SZ"),
        }
        if self.security_token:
            headers["X-Security-Token"] = self.security_token
        body = request.body
        if isinstance(body, str):
            body = body.encode()
        if not isinstance(body, bytes):
            body = b""
        sdk_request = SdkRequest(
            method=request.method,
            schema=parts.scheme,
            host=parts.netloc,
            # The signer unquotes the path and re-encodes each segment itself.
            resource_path=parts.path,
            # Decoded pairs; the signer re-encodes and sorts them (repeated keys stay separate pairs).
            query_params=parse_qsl(parts.query, keep_blank_values=True),
            header_params=dict(headers),
            body=body,
        )
        Signer(BasicCredentials(ak=self.ak, sk=self.sk)).sign(sdk_request)
        for name in ("Host", "X-Sdk-Date", "X-Security-Token", "Authorization"):
            if name in sdk_request.header_params:
                request.headers[name] = sdk_request.header_params[name]
        return request

    def __repr__(self) -> str:
        return f"AkSkAuth(ak={self.ak!r}, sk=***)"


# --------------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------------

ASGIApp = Callable[..., Any]
# schemathesis' Case is generic over the operation type; the suite only deals with OpenAPI ones.
AnyCase = Case[Any]


@dataclass
class Target:
    """Where the suite sends its requests, with which identity, and what it may send there."""

    name: str
    project_id: str
    auth: requests.auth.AuthBase
    # Exactly one of `app` (in-process ASGI) and `base_url` (real HTTP) is set.
    app: ASGIApp | None = None
    base_url: str | None = None
    # A remote endpoint is somebody's real account: no writes, see REMOTE_UNEXPECTED_METHODS.
    remote: bool = False
    # Task ids the target is known to hold, filled in by `discover_task_ids`; the hooks aim part
    # of the generated DescribeProcessorTask cases at them so that 200 answers get checked too.
    known_task_ids: list[str] = field(default_factory=list)

    def call_kwargs(self) -> dict[str, Any]:
        """Transport arguments for `case.call` / `call_and_validate` / the state machine."""
        if self.base_url is not None:
            return {"base_url": self.base_url}
        return {}


def remote_target_from_env(environ: Mapping[str, str] | None = None, *, name: str = "remote") -> Target | str:
    """The remote live target described by the environment, or the reason it cannot be built."""
    env = os.environ if environ is None else environ
    base_url = env.get(ENV_BASE_URL, "").strip()
    project_id = (env.get(ENV_PROJECT_ID) or env.get(ENV_PROJECT_ID_FALLBACK) or "").strip()
    token = env.get(ENV_TOKEN, "").strip()
    ak = env.get(ENV_AK, "").strip()
    sk = env.get(ENV_SK, "").strip()
    if not base_url or not project_id or not (token or (ak and sk)):
        return REMOTE_SKIP_REASON
    auth: requests.auth.AuthBase
    # A token is the simpler, explicit choice when both are present.
    auth = TokenAuth(token) if token else AkSkAuth(ak, sk, env.get(ENV_SECURITY_TOKEN, "").strip() or None)
    return Target(name=name, project_id=project_id, auth=auth, base_url=base_url.rstrip("/"), remote=True)


def load_config(target: Target) -> schemathesis.Config:
    """The suite's schemathesis.toml, adjusted for `target`; a fresh object per target."""
    data: dict[str, Any] = tomllib.loads(CONFIG_PATH.read_text(encoding="utf-8"))
    if target.base_url is not None:
        data["base-url"] = target.base_url
    if target.remote:
        data.setdefault("phases", {}).setdefault("coverage", {})["unexpected-methods"] = REMOTE_UNEXPECTED_METHODS
    return schemathesis.Config.from_dict(data, base_dir=str(CONFIG_PATH.parent))


def build_schema(target: Target) -> OpenApiSchema:
    """Load the handwritten spec (the source of truth, not whatever a server publishes) for `target`."""
    schema = schemathesis.openapi.from_path(SPEC_PATH, config=load_config(target))
    if target.app is not None:
        schema.app = target.app
    # Credentials go through schemathesis' auth storage, so it knows they are explicit: negative
    # auth scenarios strip them, and `ignored_auth` probes the same request without / with bad ones.
    schema.auth.set_from_requests(target.auth)
    _register_target_hooks(schema, target)
    return schema


def _bucket(value: object, buckets: int) -> int:
    # crc32 rather than hash(): str hashes are salted per process and would break reproducibility.
    return zlib.crc32(repr(value).encode()) % buckets


def _aim_at_target(case: AnyCase, target: Target, *, always_own_project: bool) -> None:
    """Point one case at the target's project (and, for part of them, at tasks it holds).

    Random project ids are all refused (404 ModelArts.2786 on the mock), which would leave every 200 answer unchecked. So most
    cases use the target's own project, while a deterministic share keeps the generated id or
    uses a known foreign project: the contract must hold there too (403/404, ErrorResponse).
    Cases whose path parameters are deliberately invalid (negative data) are left alone.
    With `always_own_project` (the examples phase) a case always goes to the own project and a
    known task.
    """
    meta = case.meta
    if meta is not None and meta.is_negative_at(ParameterLocation.PATH):
        return
    params = case.path_parameters
    if "project_id" in params:
        bucket = 2 if always_own_project else _bucket(params["project_id"], 8)
        if bucket == 1:
            params["project_id"] = FOREIGN_PROJECT
        elif bucket != 0:
            params["project_id"] = target.project_id
    if "task_id" in params and target.known_task_ids:
        bucket = 0 if always_own_project else _bucket(params["task_id"], 2 * len(target.known_task_ids))
        if bucket < len(target.known_task_ids):
            params["task_id"] = target.known_task_ids[bucket]
    # Reading `meta` makes schemathesis revalidate the edited path parameters now, so the case
    # stays correctly labelled positive or negative for the checks.
    _ = case.meta


def _register_target_hooks(schema: OpenApiSchema, target: Target) -> None:
    @schema.hook
    def map_case(context: HookContext, case: AnyCase) -> AnyCase:
        # Coverage, fuzzing and stateful cases.
        _aim_at_target(case, target, always_own_project=False)
        return case

    @schema.hook
    def before_add_examples(context: HookContext, examples: list[AnyCase]) -> None:
        # The spec's examples describe successful calls: send them to the target's own project
        # and to a task it holds.
        for case in examples:
            _aim_at_target(case, target, always_own_project=True)


def discover_task_ids(schema: OpenApiSchema, target: Target, limit: int = 5) -> list[str]:
    """A few task ids the target really holds, read through the same transport as the suite."""
    operation = schema[LIST_OPERATION.split(" ", 1)[1]]["GET"]
    case = operation.Case(path_parameters={"project_id": target.project_id}, query={"limit": limit})
    case._auth = target.auth
    response = case.call(**target.call_kwargs())
    if response.status_code != 200:
        raise RuntimeError(
            f"target {target.name!r}: listing tasks of project {target.project_id!r} answered "
            f"{response.status_code}: {response.text[:300]} -- check the credentials and project id"
        )
    return [str(task["task_id"]) for task in response.json().get("tasks", []) if "task_id" in task]


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------

# Built-in checks that cannot apply to a read-only API with one identity. Listed (not silently
# dropped) so that `test_every_builtin_check_is_accounted_for` notices checks added by upgrades.
INAPPLICABLE_BUILTIN_CHECKS = {
    # Needs two configured identities, one creating an object the other then reads.
    "object_level_authorization": "needs objects created by one identity; this API creates nothing",
    # Configured by a response-time limit, not a correctness property of the contract.
    "max_response_time": "a latency budget, not part of the contract",
}


def builtin_checks() -> dict[str, CheckFunction]:
    """Every function check schemathesis ships, by name (class-based checks have no name here)."""
    load_all_checks()
    return {
        check.__name__: check
        for check in CHECKS.get_all()
        # The registry also holds custom checks (ours included); keep schemathesis' own.
        if not isinstance(check, type) and check.__module__.startswith("schemathesis.")
    }


def _sent_query(response: Response) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(response.request.url or "").query, keep_blank_values=True)


@dataclass
class _PagingOracle:
    """Full sorted match lists per filter set, fetched once per target and reused."""

    # Keyed by the schema object too: each test run (one target) gets its own schema clone, and one
    # target's data must never be the oracle for another's. The schema is kept in the value so its
    # id cannot be reused while the entry lives.
    cache: dict[tuple[int, str, str, tuple[tuple[str, str], ...]], tuple[object, list[dict[str, Any]] | str]] = field(
        default_factory=dict
    )


_PAGING_ORACLE = _PagingOracle()
# Pages of 100 (the maximum) keep the oracle cheap; a bound stops a broken server paging forever.
_ORACLE_PAGE_SIZE = 100
_ORACLE_MAX_PAGES = 50


def _fetch_all_matches(ctx: CheckContext, case: AnyCase, filters: list[tuple[str, str]]) -> list[dict[str, Any]] | str:
    """Every match for `filters`, walking pages of 100; a string explains why that is impossible."""
    kwargs = dict(ctx.internals.transport_kwargs or {})
    if case.operation.app is not None:
        kwargs.setdefault("app", case.operation.app)
    # The oracle's requests must not be mistaken for the request under test.
    kwargs.pop("session", None)
    tasks: list[dict[str, Any]] = []
    count: int | None = None
    query: dict[str, Any] = {}
    for key, value in filters:
        query.setdefault(key, []).append(value)
    for page in range(_ORACLE_MAX_PAGES):
        probe = case.derive(query={**query, "limit": str(_ORACLE_PAGE_SIZE), "offset": str(page)}, keep_auth=True)
        response = case.operation.schema.transport.send(probe, **kwargs)
        if response.status_code != 200:
            return f"page {page} of the full list answered {response.status_code}"
        body = response.json()
        if count is None:
            count = body["count"]
        elif body["count"] != count:
            return f"`count` changed between pages: {count} on page 0, {body['count']} on page {page}"
        tasks.extend(body["tasks"])
        if len(body["tasks"]) < _ORACLE_PAGE_SIZE or len(tasks) >= count:
            break
    ids = [task.get("task_id") for task in tasks]
    if len(set(ids)) != len(ids):
        duplicated = sorted({i for i in ids if ids.count(i) > 1}, key=str)[:5]
        return f"pages of {_ORACLE_PAGE_SIZE} overlap: task ids {duplicated} appear on more than one page"
    if count is not None and len(tasks) != count:
        return f"pages of {_ORACLE_PAGE_SIZE} hold {len(tasks)} tasks in all, but `count` is {count}"
    return tasks


@schemathesis.check
def paging_invariant(ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """Page `offset` of size `limit` is exactly matches[offset*limit : offset*limit+limit].

    Schemathesis judges shapes, not arithmetic: a server that treats `offset` as an item offset, or
    shifts pages by one, answers perfectly schema-valid pages. This check rebuilds the full sorted
    match list for the same filters and order (walking pages of 100, which also must be disjoint
    and add up to `count`) and compares the page under test against it.
    """
    if case.operation.label != LIST_OPERATION or response.status_code != 200:
        return None
    meta = case.meta
    if meta is not None and not meta.generation.mode.is_positive:
        return None
    sent = _sent_query(response)
    values = dict(sent)
    try:
        limit = int(values.get("limit", "10"))
        offset = int(values.get("offset", "0"))
    except ValueError:
        return None
    body = response.json()
    if not all(isinstance(task, dict) and "task_id" in task for task in body.get("tasks", [])):
        # Pages without task ids cannot be compared; response_schema_conformance reports them.
        return None
    filters = tuple(sorted((k, v) for k, v in sent if k not in ("limit", "offset")))
    key = (id(case.operation.schema), case.formatted_path, repr(case._auth), filters)
    cache = _PAGING_ORACLE.cache
    if key not in cache:
        cache[key] = (case.operation.schema, _fetch_all_matches(ctx, case, list(filters)))
    full = cache[key][1]
    if isinstance(full, str):
        raise AssertionError(f"Paging invariant violated: {full}")
    if body["count"] != len(full):
        raise AssertionError(f"Paging invariant violated: `count` is {body['count']}, but {len(full)} tasks match")
    start = offset * limit
    expected = [task.get("task_id") for task in full[start : start + limit]]
    actual = [task.get("task_id") for task in body["tasks"]]
    if actual != expected:
        raise AssertionError(
            f"Paging invariant violated: page offset={offset} limit={limit} should hold matches "
            f"{start}..{start + limit - 1} of {len(full)}: expected task ids {expected[:5]}..., got {actual[:5]}..."
        )
    return None


@schemathesis.check
def request_id_header(ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """Every answer carries a non-empty `X-Request-Id` (issue 3; the provider's SDK reads it).

    The spec documents the header on every response but does not mark it `required`, so the
    built-in `response_headers_conformance` cannot flag its absence; this check does.
    """
    values = response.headers.get("x-request-id") or response.headers.get("X-Request-Id")
    if not values or not any(value.strip() for value in values):
        raise AssertionError(f"Missing X-Request-Id header on a {response.status_code} answer")
    return None


CUSTOM_CHECKS: list[CheckFunction] = [paging_invariant, request_id_header]


def contract_checks() -> list[CheckFunction]:
    """The explicit list of checks every response of the suite goes through."""
    builtins = builtin_checks()
    selected = [check for name, check in sorted(builtins.items()) if name not in INAPPLICABLE_BUILTIN_CHECKS]
    return selected + CUSTOM_CHECKS


def iter_check_names(checks: list[CheckFunction]) -> Iterator[str]:
    for check in checks:
        yield check.__name__
