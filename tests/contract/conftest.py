"""Targets of the contract suite: one suite definition, parametrized over where it runs.

Targets (the `contract_target` fixture's parameters):

- `asgi`: the mock application in-process (schemathesis' ASGI transport).
- `http`: the mock as a separate process over real HTTP (the `mock_server_url` fixture).
- `remote`: a live endpoint from PROCESSOR_TASKS_BASE_URL / PROCESSOR_TASKS_PROJECT_ID plus
  PROCESSOR_TASKS_TOKEN or HUAWEICLOUD_SDK_AK + HUAWEICLOUD_SDK_SK; skipped when unset.
- `remote-via-mock-token`, `remote-via-mock-aksk`: the `remote` code path, fed with environment
  variables that point at the mock over HTTP, so the live plumbing (env parsing, token auth,
  AK/SK signing) is exercised on every run instead of rotting until someone configures it.
- `broken:<variant>`: the mock in-process wrapped in one of tests/contract/broken.py's faults.
  Never selected by default; `test_contract_bites.py` selects them in a child pytest run.

PROCESSOR_TASKS_CONTRACT_TARGETS (comma-separated) narrows the selection, e.g.
`PROCESSOR_TASKS_CONTRACT_TARGETS=remote make contract` runs the suite against the live endpoint only.
"""

from __future__ import annotations

import os

import pytest
from _pytest.nodeid import coerce_node_id
from _pytest.nodes import Node
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.contract.broken import BROKEN_VARIANTS
from tests.contract.support import (
    ENV_AK,
    ENV_BASE_URL,
    ENV_PROJECT_ID,
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
DEFAULT_TARGETS = ["asgi", "http", "remote", "remote-via-mock-token", "remote-via-mock-aksk"]


def selected_targets() -> list[str]:
    raw = os.environ.get(TARGETS_ENV, "")
    names = [name.strip() for name in raw.split(",") if name.strip()]
    return names or DEFAULT_TARGETS


def _mock_app() -> ASGIApp:
    # Imported lazily: collecting the suite must not fail just because the mock is being rebuilt.
    from processor_tasks_mock.app import create_app

    app: ASGIApp = create_app()
    return app


def _remote_via_mock(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, *, aksk: bool) -> Target:
    """Point the remote target's environment variables at the mock over HTTP, then build it as `remote` does."""
    url: str = request.getfixturevalue("mock_server_url")
    for name in (ENV_TOKEN, ENV_AK, ENV_SK, ENV_SECURITY_TOKEN):
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
        target = remote_target_from_env()
        if isinstance(target, str):
            pytest.skip(target)
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
