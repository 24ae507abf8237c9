"""`make diff`: review/spec_diff/ over a fixture pair per kind of change, the current spec
against itself, the changelog acknowledgement and the version-bump rule."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from review.spec_diff import (
    FAMILIES,
    INFORMATIONAL_FAMILIES,
    RULES,
    acknowledged,
    constraint_kind,
    diff,
    run,
    wire_diff,
)
from tests.review.conftest import ROOT, SPEC

FIXTURES = Path(__file__).parent / "fixtures" / "diff"

B, OK = True, False
# Fixture pair -> (rule family, every (rule, breaking) the wire layer reports). "x" compares
# base.yaml with x.yaml; "a>b" compares a.yaml with b.yaml (a reversed pair, or a change on top
# of a fixture). Every family of review.spec_diff.RULES has a breaking and a non-breaking pair
# (the generated-API family's are API_CASES below: the fixtures' small spec is not one the
# generator takes).
CASES: dict[str, tuple[str, set[tuple[str, bool]]]] = {
    # Operations.
    "operation-removed": ("operations", {("operation-removed", B)}),
    "operation-added": ("operations", {("operation-added", OK)}),
    # Parameters.
    "parameter-removed": ("parameters", {("parameter-removed", B)}),
    "required-parameter-added": ("parameters", {("required-parameter-added", B)}),
    "optional-parameter-added": ("parameters", {("optional-parameter-added", OK)}),
    "parameter-now-required": ("parameter-required", {("parameter-now-required", B)}),
    "parameter-now-required>base": ("parameter-required", {("parameter-now-optional", OK)}),
    "array-parameter-added>array-parameter-unexploded": (
        "parameter-serialization",
        {("parameter-serialization-changed", B)},
    ),
    "scalar-parameter-unexploded": ("parameter-serialization", {("parameter-serialization-changed", OK)}),
    "parameter-as-content": ("parameter-serialization", {("parameter-serialization-changed", B)}),
    "parameter-as-content>base": ("parameter-serialization", {("parameter-serialization-changed", B)}),
    # A scalar in label style is sent as `.value` (issue 20: was "a scalar is sent the same way").
    "path-parameter-label-style": ("parameter-serialization", {("parameter-serialization-changed", B)}),
    "parameter-default-changed": ("parameter-default", {("parameter-default-changed", B)}),
    "parameter-default-added": ("parameter-default", {("parameter-default-added", OK)}),
    "parameter-default-added>base": ("parameter-default", {("parameter-default-removed", OK)}),
    # Request bodies.
    "body-operation-added>body-removed": ("request-body", {("request-body-removed", B)}),
    "body-removed>body-operation-added": ("request-body", {("request-body-added", OK)}),
    "body-operation-added>body-required": ("request-body", {("request-body-now-required", B)}),
    "body-required>body-operation-added": ("request-body", {("request-body-now-optional", OK)}),
    "body-media-type-added>body-operation-added": ("request-body", {("request-media-type-removed", B)}),
    "body-operation-added>body-media-type-added": ("request-body", {("request-media-type-added", OK)}),
    # Request values: narrowing breaks.
    "request-type-changed": ("request-types", {("request-type-changed", B)}),
    "request-type-widened>base": ("request-types", {("request-type-narrowed", B)}),
    "request-type-widened": ("request-types", {("request-type-widened", OK)}),
    "request-type-generalized": ("request-types", {("request-type-widened", OK)}),  # integer -> number
    "request-type-generalized>base": ("request-types", {("request-type-narrowed", B)}),
    # Status is shared by the query filter and the (open) response field.
    # Status 2 is gone from the query filter; the response field is open (anyOf Status or any
    # integer), so answers may still carry 2 and the response side is unchanged on the wire
    # (the generated member Status.VALUE_2 going is the generated-API layer's to report).
    "enum-value-removed": ("request-enums", {("request-enum-value-removed", B)}),
    "enum-value-removed>base": (
        "request-enums",
        {("request-enum-value-added", OK), ("response-enum-value-added", OK)},
    ),
    "open-enum-value-added": (
        "request-enums",
        {("request-enum-value-added", OK), ("response-enum-value-added", OK)},
    ),
    "request-enum-opened>base": ("request-enums", {("request-enum-closed", B)}),
    "request-enum-opened": ("request-enums", {("request-enum-opened", OK)}),
    # `$ref: Status` -> `type: integer`: every named value is still admitted (issue 20: was
    # "enum values removed").
    "request-enum-ref-to-plain-type": ("request-enums", {("request-enum-opened", OK)}),
    "request-range-narrowed": ("request-constraints", {("request-constraint-narrowed", B)}),
    "request-range-widened": ("request-constraints", {("request-constraint-widened", OK)}),
    "request-multiple-of-added": ("request-constraints", {("request-constraint-narrowed", B)}),
    "request-multiple-of-added>request-multiple-of-loosened": (
        "request-constraints",
        {("request-constraint-widened", OK)},
    ),
    "request-pattern-added": ("request-constraints", {("request-constraint-narrowed", B)}),
    "request-pattern-added>request-pattern-changed": ("request-constraints", {("request-constraint-changed", B)}),
    "request-pattern-added>base": ("request-constraints", {("request-constraint-widened", OK)}),
    "request-format-int32": ("request-constraints", {("request-constraint-narrowed", B)}),
    "request-format-int32>request-format-int64": ("request-constraints", {("request-constraint-widened", OK)}),
    "request-format-int64>request-format-int32": ("request-constraints", {("request-constraint-narrowed", B)}),
    "body-operation-added>body-closed": (
        "request-additional-properties",
        {("request-additional-properties-narrowed", B)},
    ),
    "body-closed>body-operation-added": (
        "request-additional-properties",
        {("request-additional-properties-widened", OK)},
    ),
    "body-operation-added>body-property-removed": ("request-properties", {("request-property-removed", B)}),
    "body-operation-added>body-property-added": ("request-properties", {("request-property-added", OK)}),
    "body-operation-added>body-required-property-added": (
        "request-properties",
        {("request-required-property-added", B)},
    ),
    "body-operation-added>body-property-now-required": ("request-properties", {("request-property-now-required", B)}),
    "body-property-now-required>body-operation-added": (
        "request-properties",
        {("request-property-no-longer-required", OK)},
    ),
    # Responses: widening breaks, narrowing is safe (the policy in openapi/CHANGELOG.md).
    "response-success-status-removed": ("response-status", {("response-status-removed", B)}),
    "response-error-status-removed": ("response-status", {("response-status-removed", OK)}),
    "response-error-status-removed>base": ("response-status", {("response-status-added", OK)}),
    "response-media-type-added>base": ("response-media-types", {("response-media-type-removed", B)}),
    "response-media-type-added": ("response-media-types", {("response-media-type-added", OK)}),
    "response-header-removed": ("response-headers", {("response-header-removed", B)}),
    "response-header-added": ("response-headers", {("response-header-added", OK)}),
    "response-header-made-required>base": ("response-headers", {("response-header-made-optional", B)}),
    "response-header-made-required": ("response-headers", {("response-header-made-required", OK)}),
    "response-header-type-changed": ("response-headers", {("response-type-changed", B)}),
    "response-header-bounded": ("response-headers", {("response-constraint-narrowed", OK)}),
    "response-header-name-case-changed": ("response-headers", set()),  # header names are case-insensitive
    "response-made-nullable": ("response-types", {("response-type-widened", B)}),
    "response-made-non-nullable": ("response-types", {("response-type-narrowed", OK)}),
    "response-type-changed": ("response-types", {("response-type-changed", B)}),
    "response-type-generalized": ("response-types", {("response-type-widened", B)}),  # integer -> number
    "response-type-generalized>base": ("response-types", {("response-type-narrowed", OK)}),
    "closed-response-enum-value-added": ("response-enums", {("response-enum-value-added", B)}),
    "closed-response-enum-value-added>base": ("response-enums", {("response-enum-value-removed", OK)}),
    "response-enum-closed>base": ("response-enums", {("response-enum-opened", B)}),
    "response-enum-closed": ("response-enums", {("response-enum-closed", OK)}),
    "response-constraint-tightened>base": ("response-constraints", {("response-constraint-widened", B)}),
    "response-constraint-tightened": ("response-constraints", {("response-constraint-narrowed", OK)}),
    "response-format-int32": ("response-constraints", {("response-constraint-narrowed", OK)}),
    "response-format-int32>response-format-int64": ("response-constraints", {("response-constraint-widened", B)}),
    "response-format-int64>response-format-int32": ("response-constraints", {("response-constraint-narrowed", OK)}),
    "response-pattern-added": ("response-constraints", {("response-constraint-narrowed", OK)}),
    "response-pattern-added>response-pattern-changed": (
        "response-constraints",
        {("response-constraint-changed", B)},
    ),
    "response-object-closed>base": (
        "response-additional-properties",
        {("response-additional-properties-widened", B)},
    ),
    "response-object-closed": ("response-additional-properties", {("response-additional-properties-narrowed", OK)}),
    "response-property-removed": ("response-properties", {("response-property-removed", B)}),
    "response-property-added": ("response-properties", {("response-property-added", OK)}),
    "response-property-no-longer-required": ("response-required", {("response-property-no-longer-required", B)}),
    "response-property-now-required": ("response-required", {("response-property-now-required", OK)}),
    # A required property made writeOnly: answers may leave it out (issue 20: was not reported).
    "response-property-write-only": ("response-required", {("response-property-no-longer-required", B)}),
    # Recursive schemas (a tree with two self-references, a chain with one): walked once, each
    # change reported once per place (issue 20: the tree hung, the chain reported 31 times).
    "recursive-schemas>recursive-schemas-bound-removed": (
        "response-constraints",
        {("response-constraint-widened", B)},
    ),
    "recursive-schemas>recursive-schemas-bound-tightened": (
        "response-constraints",
        {("response-constraint-narrowed", OK)},
    ),
    # Security: a removed alternative or scheme, or a scheme sent differently, locks clients out.
    "security-requirement-removed": ("security-requirements", {("security-requirement-removed", B)}),
    "operation-security-requirement-removed": ("security-requirements", {("security-requirement-removed", B)}),
    "anonymous-access-allowed": ("security-requirements", {("security-requirement-added", OK)}),
    "security-requirement-added": (
        "security-requirements",
        {("security-requirement-added", OK), ("security-scheme-added", OK)},
    ),
    "security-scheme-removed": (
        "security-schemes",
        {("security-scheme-removed", B), ("security-requirement-removed", B)},
    ),
    "security-scheme-changed": ("security-schemes", {("security-scheme-changed", B)}),
    "security-scheme-type-changed": ("security-schemes", {("security-scheme-changed", B)}),
    # Header names are case-insensitive (issue 20: was "breaking").
    "security-header-name-case-changed": ("security-schemes", set()),
    "security-requirement-added>oauth-scope-added": ("security-schemes", {("security-scheme-scope-added", OK)}),
    "security-requirement-added>oauth-flow-added": ("security-schemes", {("security-scheme-flow-added", OK)}),
    # x-pagination drives the generated paging helpers.
    "pagination-first-page-changed": ("pagination", {("pagination-changed", B)}),
    "pagination-style-changed": ("pagination", {("pagination-changed", B)}),
    "pagination-removed": ("pagination", {("pagination-removed", B)}),
    "pagination-removed>base": ("pagination", {("pagination-added", OK)}),
    "pagination-concurrency-added": ("pagination", {("pagination-concurrency-added", OK)}),
    "pagination-concurrency-added>base": ("pagination", {("pagination-concurrency-removed", B)}),
    # x-waiters drives the generated waiters, like x-pagination the paging helpers.
    "waiter-added": ("waiters", {("waiter-added", OK)}),
    "waiter-added>waiter-changed": ("waiters", {("waiter-changed", B)}),
    "waiter-added>base": ("waiters", {("waiter-removed", B)}),
    "waiter-added>waiter-described": ("waiters", set()),
    # Servers are informational: clients configure their base URL.
    "server-url-changed": ("servers", {("server-url-changed", OK)}),
    "server-removed": ("servers", {("server-removed", OK)}),
    "server-removed>base": ("servers", {("server-added", OK)}),
    "server-variable-changed": ("server-variables", {("server-variable-changed", OK)}),
    # A server variable's enum is the client's region= argument: fewer values break its callers.
    "server-variable-enum-added": ("server-variables", {("server-variable-enum-added", OK)}),
    "server-variable-enum-added>base": ("server-variables", {("server-variable-enum-removed", B)}),
    "server-variable-enum-added>server-variable-enum-value-added": (
        "server-variables",
        {("server-variable-enum-value-added", OK)},
    ),
    "server-variable-enum-value-added>server-variable-enum-added": (
        "server-variables",
        {("server-variable-enum-value-removed", B)},
    ),
    # Descriptions of parameters, servers, security schemes and x-pagination.
    "description-only": ("operations", set()),
    # Steps that chained pairs start from; each is itself an addition.
    "array-parameter-added": ("parameters", {("optional-parameter-added", OK)}),
    "body-operation-added": ("operations", {("operation-added", OK)}),
    "recursive-schemas": ("response-properties", {("response-property-added", OK)}),
}


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def pair(name: str) -> tuple[Any, Any]:
    old, _, new = name.rpartition(">")
    return load(FIXTURES / f"{old or 'base'}.yaml"), load(FIXTURES / f"{new}.yaml")


def test_every_fixture_file_is_used() -> None:
    used = {part for name in CASES for part in name.split(">")}
    assert {p.stem for p in FIXTURES.glob("*.yaml")} == used | {"base"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_pair(name: str) -> None:
    _family, expected = CASES[name]
    report = wire_diff(*pair(name))
    assert {(c.rule, c.breaking) for c in report.changes} == expected, [(c.id, c.breaking) for c in report.changes]


WIRE_FAMILIES = sorted({rule.family for rule in RULES.values()} - {"generated-api"})


@pytest.mark.parametrize("family", WIRE_FAMILIES)
def test_family_has_a_breaking_and_a_non_breaking_pair(family: str) -> None:
    verdicts = {any(b for _, b in expected) for fam, expected in CASES.values() if fam == family}
    if family in INFORMATIONAL_FAMILIES:
        assert verdicts == {False}
    else:
        assert verdicts == {True, False}, f"{family}: pairs give {verdicts}"


def test_every_family_is_in_the_registry_with_its_module() -> None:
    assert {rule.family for rule in RULES.values()} == set(FAMILIES)
    package = ROOT / "review" / "spec_diff"
    assert all((package / f"{module}.py").is_file() for module in FAMILIES.values())


def test_every_rule_is_reported_by_a_fixture_pair() -> None:
    """Every wire rule by a fixture pair; the generated-API rules griffe can report are listed
    in the registry for completeness, and API_CASES hold the ones this spec can produce."""
    reported = {rule for _, expected in CASES.values() for rule, _ in expected}
    wire = {name for name, rule in RULES.items() if rule.family != "generated-api"}
    assert wire - reported == set()
    assert {family for family, _ in CASES.values()} <= set(WIRE_FAMILIES)


def test_pagination_added_to_an_operation_without_it_is_not_breaking() -> None:
    report = wire_diff(load(FIXTURES / "pagination-removed.yaml"), load(FIXTURES / "base.yaml"))
    assert [(c.rule, c.breaking) for c in report.changes] == [("pagination-added", False)]


@pytest.mark.parametrize("key", ["style", "items", "total", "limit-param", "page-param", "first-page"])
def test_any_change_to_a_pagination_key_is_breaking(key: str) -> None:
    old = load(FIXTURES / "base.yaml")
    for new_value in ("changed", None):
        new = copy.deepcopy(old)
        paging = new["paths"]["/v1/{project_id}/things"]["get"]["x-pagination"]
        if new_value is None:
            del paging[key]
        else:
            paging[key] = new_value
        report = wire_diff(old, new)
        assert [(c.id, c.breaking) for c in report.changes] == [
            (f"pagination-changed GET /v1/{{project_id}}/things x-pagination.{key}", True)
        ]


@pytest.mark.parametrize("key", ["page-count", "throttle-statuses", "throttle-codes"])
def test_a_change_inside_pagination_concurrency_is_breaking_but_its_description_is_not(key: str) -> None:
    old = load(FIXTURES / "pagination-concurrency-added.yaml")
    new = copy.deepcopy(old)
    concurrency = new["paths"]["/v1/{project_id}/things"]["get"]["x-pagination"]["concurrency"]
    concurrency["description"] = "Reworded."
    assert wire_diff(old, new).changes == []
    concurrency[key] = "changed"
    assert [(c.id, c.breaking) for c in wire_diff(old, new).changes] == [
        (f"pagination-changed GET /v1/{{project_id}}/things x-pagination.concurrency.{key}", True)
    ]


@pytest.mark.parametrize(
    "key", ["field", "success", "failure", "pending", "delay", "multiplier", "max-delay", "timeout"]
)
def test_any_change_to_a_waiter_key_is_breaking(key: str) -> None:
    old = load(FIXTURES / "waiter-added.yaml")
    for new_value in ("changed", None):
        new = copy.deepcopy(old)
        waiter = new["paths"]["/v1/{project_id}/things"]["get"]["x-waiters"]["wait"]
        if new_value is None:
            del waiter[key]
        else:
            waiter[key] = new_value
        report = wire_diff(old, new)
        assert [(c.id, c.breaking) for c in report.changes] == [
            (f"waiter-changed GET /v1/{{project_id}}/things x-waiters.wait.{key}", True)
        ]


def test_security_ids_name_the_alternative() -> None:
    old = load(FIXTURES / "base.yaml")
    top = wire_diff(old, load(FIXTURES / "security-requirement-removed.yaml"))
    assert [c.id for c in top.changes] == ["security-requirement-removed #/security AkSkSignature"]
    own = wire_diff(old, load(FIXTURES / "operation-security-requirement-removed.yaml"))
    assert [c.id for c in own.changes] == [
        "security-requirement-removed GET /v1/{project_id}/things security AkSkSignature"
    ]
    changed = wire_diff(old, load(FIXTURES / "security-scheme-changed.yaml"))
    assert sorted(c.id for c in changed.changes) == [
        "security-scheme-changed #/components/securitySchemes/AuthToken in",
        "security-scheme-changed #/components/securitySchemes/AuthToken name",
    ]


def test_allowing_anonymous_access_is_not_breaking() -> None:
    old = load(FIXTURES / "base.yaml")
    new = copy.deepcopy(old)
    new["security"].append({})
    new["paths"]["/v1/{project_id}/things"]["get"]["security"] = []
    report = wire_diff(old, new)
    assert report.changes and not report.breaking, [(c.id, c.breaking) for c in report.changes]


def test_server_changes_are_listed_as_informational() -> None:
    old = load(FIXTURES / "base.yaml")
    for name, change_id in [
        ("server-url-changed", "server-url-changed #/servers https://things.{region}.example.com"),
        ("server-removed", "server-removed #/servers http://127.0.0.1:8080"),
        (
            "server-variable-changed",
            "server-variable-changed #/servers https://things.{region}.example.com {region} default",
        ),
    ]:
        status, text = run(old, load(FIXTURES / f"{name}.yaml"), "", "base", generated=False)
        assert status == 0, text
        assert f"INFO (not breaking)      {change_id}  [" in text, text
        assert "1 change(s), 0 breaking" in text


def test_current_spec_security_paging_and_servers_are_checked() -> None:
    spec = load(SPEC)
    list_op = spec["paths"]["/v2/{project_id}/processor-tasks"]["get"]
    assert "x-pagination" in list_op and {"AkSkSignature": []} in spec["security"]

    no_aksk = copy.deepcopy(spec)
    no_aksk["security"].remove({"AkSkSignature": []})
    assert [c.id for c in wire_diff(spec, no_aksk).breaking] == [
        "security-requirement-removed #/security AkSkSignature"
    ]

    paging = copy.deepcopy(spec)
    paging["paths"]["/v2/{project_id}/processor-tasks"]["get"]["x-pagination"]["first-page"] = 1
    assert [c.rule for c in wire_diff(spec, paging).breaking] == ["pagination-changed"]

    moved = copy.deepcopy(spec)
    moved["servers"][0]["url"] = "https://modelarts.{region}.example.com"
    report = wire_diff(spec, moved)
    assert [(c.rule, c.breaking, c.informational) for c in report.changes] == [("server-url-changed", False, True)]


def test_current_spec_against_head_through_git() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "review.spec_diff", "--base", "HEAD", "--spec", str(SPEC.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr  # 1 only while the working tree has a breaking edit
    assert "Contract diff HEAD" in done.stdout


def bumped(document: Any, version: str) -> Any:
    document["info"]["version"] = version
    return document


BREAKING_IDS = ["request-enum-value-removed GET /v1/{project_id}/things query.status = 2"]


def changelog_acking(version: str, ids: list[str]) -> str:
    lines = "\n".join(f"- Breaking: `{i}`" for i in ids)
    return f"# Changelog\n\n## {version}\n\nStatus 2 is gone.\n\n{lines}\n\n## 1.0.0\n\nFirst.\n"


def test_breaking_change_fails_and_prints_the_lines_to_add() -> None:
    old = load(FIXTURES / "base.yaml")
    new = bumped(load(FIXTURES / "enum-value-removed.yaml"), "2.0.0")
    status, text = run(old, new, changelog_acking("2.0.0", []), "base", generated=False)
    assert status == 1
    for change_id in BREAKING_IDS:
        assert f"  Breaking: {change_id}" in text


def test_acknowledged_breaking_change_with_major_bump_passes() -> None:
    old = load(FIXTURES / "base.yaml")
    new = bumped(load(FIXTURES / "enum-value-removed.yaml"), "2.0.0")
    status, text = run(old, new, changelog_acking("2.0.0", BREAKING_IDS), "base", generated=False)
    assert status == 0, text
    assert "BREAKING (acknowledged)" in text


def test_acknowledgement_counts_only_in_the_current_version_section() -> None:
    old = load(FIXTURES / "base.yaml")
    new = bumped(load(FIXTURES / "enum-value-removed.yaml"), "2.0.0")
    status, _ = run(old, new, changelog_acking("1.9.0", BREAKING_IDS), "base", generated=False)
    assert status == 1
    assert acknowledged(changelog_acking("1.9.0", BREAKING_IDS), "2.0.0") == set()


def test_acknowledged_breaking_change_without_major_bump_fails() -> None:
    old = load(FIXTURES / "base.yaml")
    new = bumped(load(FIXTURES / "enum-value-removed.yaml"), "1.1.0")
    status, text = run(old, new, changelog_acking("1.1.0", BREAKING_IDS), "base", generated=False)
    assert status == 1
    assert "major bump" in text


def test_additions_pass_without_changelog() -> None:
    old = load(FIXTURES / "base.yaml")
    status, _ = run(old, load(FIXTURES / "operation-added.yaml"), "", "base", generated=False)
    assert status == 0


def test_make_diff_target_runs() -> None:
    done = subprocess.run(
        ["make", "-s", "diff", "BASE=HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert "Contract diff HEAD" in done.stdout, done.stderr


def test_spec_diff_is_mypy_strict_clean() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            "/dev/null",
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            "review/spec_diff",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# --- the reviewer's misses, on the real spec ------------------------------------------------

LIST = "/v2/{project_id}/processor-tasks"


def list_param(spec: Any, name: str) -> Any:
    return next(p for p in spec["paths"][LIST]["get"]["parameters"] if p.get("name") == name)


def test_current_spec_multiple_of_on_limit_is_breaking() -> None:
    spec = load(SPEC)
    stepped = copy.deepcopy(spec)
    list_param(stepped, "limit")["schema"]["multipleOf"] = 10
    assert [(c.rule, c.breaking) for c in wire_diff(spec, stepped).changes] == [("request-constraint-narrowed", True)]


def test_current_spec_version_id_explode_change_is_breaking() -> None:
    spec = load(SPEC)
    exploded, joined = copy.deepcopy(spec), copy.deepcopy(spec)
    list_param(exploded, "version_id").update(style="form", explode=True)
    list_param(joined, "version_id").update(style="form", explode=False)
    report = wire_diff(exploded, joined)
    assert [(c.id, c.breaking) for c in report.changes] == [
        ("parameter-serialization-changed GET /v2/{project_id}/processor-tasks query.version_id", True)
    ]
    # Back again is just as breaking: clients built on comma-joined values now send them wrong.
    assert [c.breaking for c in wire_diff(joined, exploded).changes] == [True]


@pytest.mark.parametrize(
    ("edit", "rule", "breaking"),
    [
        ({"required": False}, "response-header-made-optional", True),
        ({"schema": {"type": "integer"}}, "response-type-changed", True),
        ({"schema": {"type": "string", "maxLength": 64}}, "response-constraint-narrowed", False),
    ],
    ids=["now-optional", "type-changed", "bounded"],
)
def test_current_spec_request_id_header_changes(edit: dict[str, Any], rule: str, breaking: bool) -> None:
    spec = load(SPEC)
    spec["components"]["headers"]["X-Request-Id"].update(required=True, schema={"type": "string"})
    changed = copy.deepcopy(spec)
    changed["components"]["headers"]["X-Request-Id"].update(edit)
    changes = wire_diff(spec, changed).changes
    # Reported once per operation, naming the answers that carry the header.
    assert changes and {(c.rule, c.breaking) for c in changes} == {(rule, breaking)}
    assert len(changes) == 2 and all(" X-Request-Id" in c.location for c in changes)
    assert all("header of 200, " in c.detail for c in changes), [c.detail for c in changes]


# --- robustness: one line on stderr naming the file, a distinct exit code -------------------


def spec_diff_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "review.spec_diff", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "base.yaml").write_text((FIXTURES / "base.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "CHANGELOG.md").write_text("# Changelog\n\n## 1.0.0\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("content", "code", "problem"),
    [
        (None, 3, "spec file not found"),
        ("", 4, "the file is empty"),
        ("# only a comment\n", 4, "holds no document"),
        ("openapi: 3.1.0\ninfo: [unclosed\n", 5, "not valid YAML at line"),
        ("- a list\n", 6, "top level is of type array, not a mapping"),
        ("openapi: 3.1.0\npaths: {}\n", 6, "info.version is missing"),
        ("openapi: 3.1.0\ninfo: {title: t, version: '1.0'}\npaths: {}\n", 7, "'1.0' is not semver"),
        ("openapi: 3.1.0\ninfo: {title: t, version: 1.1}\npaths: {}\n", 7, "1.1 is not semver"),
        (
            "openapi: 3.1.0\ninfo: {title: t, version: 1.0.0}\npaths:\n  /v1/{project_id}/things:\n    get:\n      parameters: [{name: a}]\n",
            6,
            "not an OpenAPI document this tool can walk",
        ),
    ],
    ids=["missing", "empty", "comment-only", "invalid-yaml", "not-a-mapping", "no-version", "short-version",
         "float-version", "parameter-without-in"],
)  # fmt: skip
def test_bad_spec_gives_one_line_and_its_exit_code(workdir: Path, content: str | None, code: int, problem: str) -> None:
    spec = workdir / "new.yaml"
    if content is not None:
        spec.write_text(content, encoding="utf-8")
    done = spec_diff_cli(
        "--base-file", "base.yaml", "--spec", "new.yaml", "--changelog", "CHANGELOG.md", "--wire-only", cwd=workdir
    )
    assert done.returncode == code, done.stderr
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "new.yaml" in done.stderr and problem in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_bad_base_file_is_named(workdir: Path) -> None:
    (workdir / "base.yaml").write_text("info: {version: x}\n", encoding="utf-8")
    (workdir / "new.yaml").write_text((FIXTURES / "base.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    done = spec_diff_cli(
        "--base-file", "base.yaml", "--spec", "new.yaml", "--changelog", "CHANGELOG.md", "--wire-only", cwd=workdir
    )
    assert (done.returncode, done.stderr.strip()) == (
        7,
        "spec_diff: base.yaml: info.version 'x' is not semver (MAJOR.MINOR.PATCH, quoted)",
    )


def test_unknown_git_ref_is_named() -> None:
    done = spec_diff_cli("--base", "no-such-ref-anywhere", "--spec", str(SPEC.relative_to(ROOT)))
    assert done.returncode == 3, done.stderr
    assert done.stderr.startswith("spec_diff: no-such-ref-anywhere:openapi/processor-tasks.yaml: cannot read")


def test_missing_changelog_is_an_error_not_an_empty_one(workdir: Path) -> None:
    (workdir / "new.yaml").write_text((FIXTURES / "operation-added.yaml").read_text(encoding="utf-8"), "utf-8")
    done = spec_diff_cli(
        "--base-file", "base.yaml", "--spec", "new.yaml", "--changelog", "docs/CHANGES.md", "--wire-only", cwd=workdir
    )
    assert (done.returncode, done.stderr.strip()) == (8, "spec_diff: docs/CHANGES.md: changelog file not found")


def test_hint_names_the_changelog_given(workdir: Path) -> None:
    (workdir / "docs").mkdir()
    (workdir / "docs" / "CHANGES.md").write_text("# Changes\n\n## 1.0.0\n", encoding="utf-8")
    (workdir / "new.yaml").write_text((FIXTURES / "operation-removed.yaml").read_text(encoding="utf-8"), "utf-8")
    done = spec_diff_cli(
        "--base-file", "base.yaml", "--spec", "new.yaml", "--changelog", "docs/CHANGES.md", "--wire-only", cwd=workdir
    )
    assert done.returncode == 1, done.stdout + done.stderr
    # 1.0.0 is still the version, so the hint asks for the bumped version's heading.
    assert "add under the '## <the bumped version>' heading of docs/CHANGES.md" in done.stdout
    assert "openapi/CHANGELOG.md" not in done.stdout
    bumped_spec = yaml.safe_load((workdir / "new.yaml").read_text(encoding="utf-8"))
    bumped_spec["info"]["version"] = "2.0.0"
    (workdir / "new.yaml").write_text(yaml.safe_dump(bumped_spec), encoding="utf-8")
    done = spec_diff_cli(
        "--base-file", "base.yaml", "--spec", "new.yaml", "--changelog", "docs/CHANGES.md", "--wire-only", cwd=workdir
    )
    assert "add under the '## 2.0.0' heading of docs/CHANGES.md" in done.stdout, done.stdout


@pytest.mark.parametrize(
    ("key", "before", "after", "kind"),
    [
        ("maximum", 100, 50, "narrowed"),
        ("minimum", 1, 0, "widened"),
        ("exclusiveMinimum", 0, 1, "narrowed"),
        ("maxItems", None, 10, "narrowed"),
        ("minContains", 2, None, "widened"),
        ("multipleOf", 10, 5, "widened"),  # every multiple of 10 is a multiple of 5
        ("multipleOf", 5, 10, "narrowed"),
        ("multipleOf", 4, 6, "changed"),
        ("uniqueItems", None, True, "narrowed"),
        ("pattern", None, "^a", "narrowed"),
        ("pattern", "^a", "^b", "changed"),
        ("format", "int32", "int64", "widened"),  # every int32 is an int64
        ("format", "double", "float", "narrowed"),
        ("format", "int64", "date-time", "changed"),
        ("propertyNames", {"maxLength": 3}, None, "widened"),
    ],
)
def testconstraint_kind(key: str, before: Any, after: Any, kind: str) -> None:
    assert constraint_kind(key, before, after) == kind


def test_unique_items_false_is_no_constraint() -> None:
    old = load(FIXTURES / "array-parameter-added.yaml")
    new = copy.deepcopy(old)
    label = next(p for p in new["paths"]["/v1/{project_id}/things"]["get"]["parameters"] if p["name"] == "label")
    label["schema"]["uniqueItems"] = False
    assert wire_diff(old, new).changes == []


def test_an_edited_copy_outside_the_repository_compares_with_the_committed_spec(tmp_path: Path) -> None:
    """`--base HEAD --spec /tmp/x.yaml` reads the base at the repository's spec path, not at /tmp/x.yaml."""
    edited = load(SPEC)
    edited["paths"][LIST]["get"]["operationId"] = "ListTasks"
    copy_path = tmp_path / "edited.yaml"
    copy_path.write_text(yaml.safe_dump(edited, sort_keys=False), encoding="utf-8")
    done = spec_diff_cli("--base", "HEAD", "--spec", str(copy_path))
    assert done.returncode == 1, done.stderr
    module = "processor_tasks_client.api.processor_tasks.list_processor_tasks"
    assert f"BREAKING                 public-name-removed {module}  [" in done.stdout, done.stdout
    named = spec_diff_cli("--base", "HEAD", "--base-path", "no/such/spec.yaml", "--spec", str(copy_path))
    assert named.returncode == 3 and "HEAD:no/such/spec.yaml: cannot read" in named.stderr, named.stderr


# --- the generated-API layer, on the real spec (the fixtures' spec is not one the generator takes) ----

DESCRIBE = "/v2/{project_id}/processor-tasks/{task_id}"
PKG = "processor_tasks_client"


def schemas(spec: Any) -> Any:
    return spec["components"]["schemas"]


def _rename_operation(spec: Any) -> None:
    spec["paths"][LIST]["get"]["operationId"] = "ListTasks"


def _recase_operation(spec: Any) -> None:
    spec["paths"][LIST]["get"]["operationId"] = "listProcessorTasks"  # module list_processor_tasks all the same


def _retag_operation(spec: Any) -> None:
    spec["paths"][DESCRIBE]["get"]["tags"] = ["Tasks"]


def _retitle_schema(spec: Any) -> None:
    schemas(spec)["WorkPath"]["title"] = "OutputPath"


def _work_path_type(spec: Any, member: Any) -> None:
    """Replace WorkPath.type's `$ref: WorkPathType` (one branch of an anyOf) with `member`."""
    branches = schemas(spec)["WorkPath"]["properties"]["type"]["anyOf"]
    assert branches[0] == {"$ref": "#/components/schemas/WorkPathType"}
    branches[0] = member


def _rename_keeping_title(spec: Any) -> None:
    schemas(spec)["PathType"] = {**schemas(spec).pop("WorkPathType"), "title": "WorkPathType"}
    _work_path_type(spec, {"$ref": "#/components/schemas/PathType"})


def _inline_class(spec: Any) -> None:
    _work_path_type(spec, {**schemas(spec)["WorkPathType"], "title": "KindOfPath"})


def _wrap_in_all_of(spec: Any) -> None:
    _work_path_type(spec, {"allOf": [{"$ref": "#/components/schemas/WorkPathType"}]})


def _rename_member(spec: Any) -> None:
    # Order, not TaskStatus: x-waiters name TaskStatus members, and the generator refuses a waiter
    # naming a member that is gone.
    schemas(spec)["Order"]["x-enum-varnames"] = ["ASCENDING", "DESC"]  # ASC -> ASCENDING


def _name_members_as_generated(spec: Any) -> None:
    schemas(spec)["Order"]["x-enum-varnames"] = ["ASC", "Desc"]  # the generator's own ASC, DESC


def _close_response(spec: Any) -> None:
    schemas(spec)["DescribeProcessorTaskResp"]["additionalProperties"] = False


def _close_nested(spec: Any) -> None:
    schemas(spec)["WorkPath"]["additionalProperties"] = False


def _type_result(spec: Any) -> None:
    schemas(spec)["DescribeProcessorTaskResp"]["properties"]["result"]["type"] = "object"


def _uuid_task_id(spec: Any) -> None:
    schemas(spec)["DescribeProcessorTaskResp"]["properties"]["task_id"]["format"] = "uuid"


def _open_task_type(spec: Any) -> None:
    list_param(spec, "task_type")["schema"] = {"type": "string"}


MODEL = f"{PKG}.models.describe_processor_task_resp.DescribeProcessorTaskResp"
WORK_PATH = f"{PKG}.models.work_path.WorkPath"
MAPPING = {"additional_properties", "additional_keys", "__getitem__", "__setitem__", "__delitem__", "__contains__"}
# Edit of the real spec -> every (rule, breaking) of both layers, and ids the report must hold.
API_CASES: dict[str, tuple[Callable[[Any], None], set[tuple[str, bool]], set[str]]] = {
    "operation-id-changed": (
        _rename_operation,
        {("public-name-removed", B)},
        {f"public-name-removed {PKG}.api.processor_tasks.list_processor_tasks"},
    ),
    "operation-id-case-changed": (_recase_operation, set(), set()),
    "operation-tag-changed": (
        _retag_operation,
        {("public-name-removed", B)},
        {f"public-name-removed {PKG}.api.processor_tasks.describe_processor_task"},
    ),
    "schema-title-changed": (
        _retitle_schema,
        {("public-name-removed", B), ("api-attribute-type-changed", B)},
        {f"public-name-removed {PKG}.models.work_path", f"public-name-removed {PKG}.models.WorkPath"},
    ),
    "component-renamed-keeping-title": (_rename_keeping_title, set(), set()),
    "property-class-changed": (
        _inline_class,
        {("api-attribute-type-changed", B)},
        {f"api-attribute-type-changed {WORK_PATH}.type_"},
    ),
    "property-allof-wrapped": (_wrap_in_all_of, set(), set()),
    "enum-member-renamed": (
        _rename_member,
        {("public-name-removed", B)},
        {f"public-name-removed {PKG}.models.order.Order.ASC"},
    ),
    "enum-member-named-as-generated": (_name_members_as_generated, set(), set()),
    # Issue 20: closing a response object removes the generated mapping access.
    "response-object-closed": (
        _close_response,
        {("response-additional-properties-narrowed", OK), ("public-name-removed", B)},
        {f"public-name-removed {MODEL}.{name}" for name in MAPPING},
    ),
    "nested-response-object-closed": (
        _close_nested,
        {("response-additional-properties-narrowed", OK), ("public-name-removed", B)},
        {f"public-name-removed {WORK_PATH}.{name}" for name in MAPPING},
    ),
    # Issue 20: `result` from any type to an object is a new class; `format: uuid` a UUID.
    "result-typed-as-object": (
        _type_result,
        {("response-type-narrowed", OK), ("api-attribute-type-changed", B)},
        {f"api-attribute-type-changed {MODEL}.result"},
    ),
    "task-id-format-uuid": (
        _uuid_task_id,
        {("response-constraint-narrowed", OK), ("api-attribute-type-changed", B)},
        {f"api-attribute-type-changed {MODEL}.task_id"},
    ),
    # Issue 20: `$ref: TemplateId` -> `type: string` opens the request; TemplateId members are str.
    "task-type-opened-to-string": (
        _open_task_type,
        {("request-enum-opened", OK), ("api-parameter-type-changed", OK)},
        {f"api-parameter-type-changed {PKG}.api.processor_tasks.list_processor_tasks.sync(task_type)"},
    ),
}


@pytest.mark.parametrize("name", sorted(API_CASES))
def test_generated_api_case(name: str) -> None:
    edit, expected, ids = API_CASES[name]
    spec = load(SPEC)
    new = copy.deepcopy(spec)
    edit(new)
    report = diff(spec, new)
    found = [(c.id, c.breaking) for c in report.changes]
    assert {(c.rule, c.breaking) for c in report.changes} == expected, found
    assert ids <= {c.id for c in report.changes}, found


def test_generated_api_family_has_a_breaking_and_a_non_breaking_case() -> None:
    verdicts = {any(b for _, b in expected) for _, expected, _ in API_CASES.values()}
    assert verdicts == {True, False}
    api_rules = {
        rule for _, expected, _ in API_CASES.values() for rule, _ in expected if RULES[rule].family == "generated-api"
    }
    assert {"public-name-removed", "api-attribute-type-changed", "api-parameter-type-changed"} <= api_rules


def test_the_changelog_line_of_a_removed_name_also_satisfies_makes_guard() -> None:
    """`make diff` and `make`'s guard (generator/regenerate.py) print the same id for a removed name."""
    spec = load(SPEC)
    new = copy.deepcopy(spec)
    _rename_member(new)
    new["info"]["version"] = "9.0.0"
    change = f"public-name-removed {PKG}.models.order.Order.ASC"
    status, text = run(spec, new, changelog_acking("9.0.0", [change]), "base")
    assert status == 0 and f"BREAKING (acknowledged)  {change}" in text, text


def test_current_spec_against_itself_reports_nothing() -> None:
    spec = load(SPEC)
    assert diff(spec, spec).changes == []


# --- the reviewer's wire examples on the real spec, and bad input (issue 20) ---------------


def _label_task_id(spec: Any) -> None:
    item = spec["paths"][DESCRIBE]
    params = [*item.get("parameters", []), *item["get"].get("parameters", [])]
    task_id = next(p for p in params if p.get("name") == "task_id")
    assert "$ref" not in task_id
    task_id["style"] = "label"


def _write_only_task_id(spec: Any) -> None:
    schemas(spec)["DescribeProcessorTaskResp"]["properties"]["task_id"]["writeOnly"] = True


def _lower_case_token_header(spec: Any) -> None:
    scheme = spec["components"]["securitySchemes"]["AuthToken"]
    assert scheme["name"] == "X-Auth-Token"
    scheme["name"] = "x-auth-token"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_label_task_id, [(f"parameter-serialization-changed GET {DESCRIBE} path.task_id", True)]),
        (
            _write_only_task_id,
            [
                (f"response-property-no-longer-required GET {LIST} 200 application/json #/tasks/[]/task_id", True),
                (f"response-property-no-longer-required GET {DESCRIBE} 200 application/json #/task_id", True),
            ],
        ),
        (_lower_case_token_header, []),
    ],
    ids=["path-label-style", "required-becomes-write-only", "security-header-case"],
)
def test_current_spec_wire_examples(edit: Callable[[Any], None], expected: list[tuple[str, bool]]) -> None:
    spec = load(SPEC)
    new = copy.deepcopy(spec)
    edit(new)
    assert [(c.id, c.breaking) for c in wire_diff(spec, new).changes] == expected


@pytest.mark.timeout(20)  # the old walk never finished on two self-references
def test_recursive_schemas_are_walked_once_and_each_change_reported_once() -> None:
    tree = load(FIXTURES / "recursive-schemas.yaml")
    assert wire_diff(tree, tree).changes == []
    changes = wire_diff(tree, load(FIXTURES / "recursive-schemas-bound-removed.yaml")).changes
    where = "GET /v1/{project_id}/things 200 application/json #"
    assert sorted(c.id for c in changes) == [
        f"response-constraint-widened {where}/chain/value maxLength",
        f"response-constraint-widened {where}/tree/value maxLength",
    ]


def test_dangling_ref_in_a_new_property_is_refused(workdir: Path) -> None:
    spec = load(FIXTURES / "base.yaml")
    spec["components"]["schemas"]["Thing"]["properties"]["extra"] = {"$ref": "#/components/schemas/Missing"}
    (workdir / "new.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    done = spec_diff_cli("--base-file", "base.yaml", "--spec", "new.yaml", "--changelog", "CHANGELOG.md", cwd=workdir)
    assert done.returncode == 6 and done.stdout == "", done.stdout + done.stderr
    assert done.stderr.strip() == (
        "spec_diff: new.yaml: not an OpenAPI document this tool can walk: $ref '#/components/schemas/Missing' "
        "at #/components/schemas/Thing/properties/extra does not resolve"
    )


def test_responses_as_a_string_is_refused(workdir: Path) -> None:
    text = (FIXTURES / "base.yaml").read_text(encoding="utf-8")
    spec = yaml.safe_load(text)
    spec["paths"]["/v1/{project_id}/things"]["get"]["responses"] = "200"
    (workdir / "new.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    done = spec_diff_cli("--base-file", "base.yaml", "--spec", "new.yaml", "--changelog", "CHANGELOG.md", cwd=workdir)
    assert done.returncode == 6 and done.stdout == "", done.stdout + done.stderr
    line = done.stderr.strip()
    assert line.startswith("spec_diff: new.yaml: not an OpenAPI document this tool can walk: invalid at ")
    assert "responses" in line and len(done.stderr.strip().splitlines()) == 1, line


def test_a_base_the_generator_refuses_is_listed_not_fatal(workdir: Path) -> None:
    """Today's generator may not take an older spec: the report says so and goes on."""
    (workdir / "new.yaml").write_text(yaml.safe_dump(load(SPEC)), encoding="utf-8")
    done = spec_diff_cli("--base-file", "base.yaml", "--spec", "new.yaml", "--changelog", "CHANGELOG.md", cwd=workdir)
    assert "INFO (not breaking)      generated-api-not-compared base.yaml  [" in done.stdout, done.stdout + done.stderr
    assert done.returncode == 1  # the fixture and the real spec differ in every operation


def test_a_spec_the_generator_refuses_exits_9_and_wire_only_still_compares(workdir: Path) -> None:
    (workdir / "new.yaml").write_text((FIXTURES / "operation-added.yaml").read_text(encoding="utf-8"), "utf-8")
    args = ("--base-file", "base.yaml", "--spec", "new.yaml", "--changelog", "CHANGELOG.md")
    done = spec_diff_cli(*args, cwd=workdir)
    assert done.returncode == 9 and done.stdout == "", done.stdout + done.stderr
    assert done.stderr.startswith("spec_diff: new.yaml: the pinned generator cannot build a client from it (")
    assert "`--wire-only`" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    wire = spec_diff_cli(*args, "--wire-only", cwd=workdir)
    assert wire.returncode == 0 and "ok                       operation-added GET /v1/{project_id}/other" in wire.stdout
