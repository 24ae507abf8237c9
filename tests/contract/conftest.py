"""Targets of the contract suite: one suite definition, parametrized over where it runs.

Targets (the `contract_target` fixture's parameters):

- `asgi`: the mock application in-process (schemathesis' ASGI transport).
- `http`: the mock as a separate process over real HTTP (the `mock_server_url` fixture).
- `remote`: a live endpoint, only behind the explicit switch PROCESSOR_TASKS_CONTRACT_LIVE=1
  (`make contract-live`), which also makes it the only default target. It reads the client's
  variables: PROCESSOR_TASKS_BASE_URL, HUAWEICLOUD_SDK_PROJECT_ID, and PROCESSOR_TASKS_TOKEN or
  HUAWEICLOUD_SDK_AK + HUAWEICLOUD_SDK_SK; with the switch on, a missing one fails the run.
  Credentials alone never select it. Every request to it goes through a read-only guard.
- `remote-via-mock-token`, `remote-via-mock-aksk`: the `remote` code path, fed with environment
  variables that point at the mock over HTTP, so the live plumbing (env parsing, token auth,
  AK/SK signing) is exercised on every run instead of rotting until someone configures it.
- `broken:<variant>`: the mock in-process wrapped in one of tests/contract/broken.py's faults.
  Never selected by default; `test_contract_bites.py` selects them in a child pytest run.

PROCESSOR_TASKS_CONTRACT_TARGETS (comma-separated) narrows the selection, e.g.
`PROCESSOR_TASKS_CONTRACT_TARGETS=http make contract`; naming `remote` without the switch is an error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import pytest
import requests
from _pytest.nodeid import coerce_node_id
from _pytest.nodes import Node
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.contract.broken import BROKEN_VARIANTS
from tests.contract.support import (
    ENV_AK,
    ENV_BASE_URL,
    ENV_LIVE,
    ENV_PROJECT_ID,
    ENV_PROJECT_ID_FALLBACK,
    ENV_SECURITY_TOKEN,
    ENV_SK,
    ENV_TOKEN,
    MOCK_AK,
    MOCK_PROJECT,
    MOCK_SK,
    MOCK_TOKEN,
    ASGIApp,
    Target,
    TokenAuth,
    build_schema,
    discover_task_ids,
    live_switch_on,
    read_only_send,
    remote_target_from_env,
)

# Compatibility shim. schemathesis 4.32.5's fixture-based schemas (`schemathesis.pytest.from_fixture`)
# rename the running item per API operation by writing `request.node._nodeid`; pytest 9.2 keeps
# the node id in `Node._id` (a structured NodeId) and has no `_nodeid` any more, so every such test
# dies with AttributeError before sending a request. Map the old attribute onto the new one; the
# shim switches itself off on a pytest that still has `_nodeid`.
if not hasattr(Node, "_nodeid"):

    def _get_nodeid(node: Node) -> str:
        return node.nodeid

    def _set_nodeid(node: Node, value: str) -> None:
        node._id = coerce_node_id(value)

    Node._nodeid = property(_get_nodeid, _set_nodeid)  # type: ignore[attr-defined]


TARGETS_ENV = "PROCESSOR_TASKS_CONTRACT_TARGETS"
DEFAULT_TARGETS = ["asgi", "http", "remote-via-mock-token", "remote-via-mock-aksk"]
LIVE_TARGETS = ["remote"]


def selected_targets(environ: Mapping[str, str] | None = None) -> list[str]:
    """Targets to run: PROCESSOR_TASKS_CONTRACT_TARGETS, else the live one behind the switch, else the mock ones."""
    env = os.environ if environ is None else environ
    names = [name.strip() for name in env.get(TARGETS_ENV, "").split(",") if name.strip()]
    return names or (LIVE_TARGETS if live_switch_on(env) else DEFAULT_TARGETS)


def _guard_read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # Session.send is where every request of schemathesis, its checks and our oracle ends up.
    monkeypatch.setattr(requests.Session, "send", read_only_send(requests.Session.send))


def _mock_app() -> ASGIApp:
    # Imported lazily: collecting the suite must not fail just because the mock is being rebuilt.
    from processor_tasks_mock.app import create_app

    app: ASGIApp = create_app()
    return app


def _remote_via_mock(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, *, aksk: bool) -> Target:
    """Point the remote target's environment variables at the mock over HTTP, then build it as `remote` does."""
    url: str = request.getfixturevalue("mock_server_url")
    for name in (ENV_TOKEN, ENV_AK, ENV_SK, ENV_SECURITY_TOKEN, ENV_PROJECT_ID_FALLBACK):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(ENV_BASE_URL, url)
    monkeypatch.setenv(ENV_PROJECT_ID, MOCK_PROJECT)
    if aksk:
        monkeypatch.setenv(ENV_AK, MOCK_AK)
        monkeypatch.setenv(ENV_SK, MOCK_SK)
    else:
        monkeypatch.setenv(ENV_TOKEN, MOCK_TOKEN)
    target = remote_target_from_env(name=request.param)
    # The plumbing must build a target here; a skip would hide exactly the rot this guards against.
    assert isinstance(target, Target), target
    _guard_read_only(monkeypatch)
    return target


@pytest.fixture(params=selected_targets())
def contract_target(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Target:
    name: str = request.param
    if name == "asgi":
        return Target(name=name, project_id=MOCK_PROJECT, auth=TokenAuth(MOCK_TOKEN), app=_mock_app())
    if name == "http":
        url: str = request.getfixturevalue("mock_server_url")
        return Target(name=name, project_id=MOCK_PROJECT, auth=TokenAuth(MOCK_TOKEN), base_url=url)
    if name == "remote":
        if not live_switch_on():
            raise pytest.UsageError(
                f"the remote target sends requests to a live endpoint; switch it on explicitly with "
                f"`make contract-live` ({ENV_LIVE}=1)"
            )
        target = remote_target_from_env()
        if isinstance(target, str):
            # Asked for explicitly: a skip would let a misconfigured live run look green.
            pytest.fail(f"{ENV_LIVE} is on but {target}")
        _guard_read_only(monkeypatch)
        return target
    if name == "remote-via-mock-token":
        return _remote_via_mock(request, monkeypatch, aksk=False)
    if name == "remote-via-mock-aksk":
        return _remote_via_mock(request, monkeypatch, aksk=True)
    if name.startswith("broken:"):
        variant = BROKEN_VARIANTS[name.removeprefix("broken:")]
        app = variant.wrap(_mock_app())
        return Target(name=name, project_id=MOCK_PROJECT, auth=TokenAuth(MOCK_TOKEN), app=app)
    raise pytest.UsageError(f"{TARGETS_ENV}: unknown contract target {name!r}")


@pytest.fixture
def contract_schema(contract_target: Target) -> OpenApiSchema:
    schema = build_schema(contract_target)
    contract_target.known_task_ids = discover_task_ids(schema, contract_target)
    return schema
