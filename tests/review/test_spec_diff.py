"""`make diff`: review/spec_diff.py over a fixture pair per kind of change, the current spec
against itself, the changelog acknowledgement and the version-bump rule."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from review.spec_diff import acknowledged, diff, run
from tests.review.conftest import ROOT, SPEC

FIXTURES = Path(__file__).parent / "fixtures" / "diff"

# fixture name -> (rules reported, whether the change as a whole is breaking)
CASES: dict[str, tuple[set[str], bool]] = {
    "operation-removed": ({"operation-removed"}, True),
    "operation-added": ({"operation-added"}, False),
    "operation-id-changed": ({"operation-id-changed"}, True),
    "parameter-removed": ({"parameter-removed"}, True),
    "required-parameter-added": ({"required-parameter-added"}, True),
    "optional-parameter-added": ({"optional-parameter-added"}, False),
    "parameter-now-required": ({"parameter-now-required"}, True),
    "parameter-default-changed": ({"parameter-default-changed"}, True),
    "request-range-narrowed": ({"request-range-narrowed"}, True),
    "request-range-widened": ({"request-range-widened"}, False),
    "request-type-narrowed": ({"request-type-narrowed"}, True),
    # Status is shared by the query filter and the (open) response field.
    "enum-value-removed": ({"request-enum-value-removed", "response-enum-value-removed"}, True),
    "open-enum-value-added": ({"request-enum-value-added", "response-enum-value-added"}, False),
    "closed-response-enum-value-added": ({"response-enum-value-added"}, True),
    "response-enum-closed": ({"response-enum-closed"}, True),
    "response-property-removed": ({"response-property-removed"}, True),
    "response-property-added": ({"response-property-added"}, False),
    "response-made-non-nullable": ({"response-type-changed"}, True),
    "response-made-nullable": ({"response-type-changed"}, True),
    "response-type-changed": ({"response-type-changed"}, True),
    "response-property-no-longer-required": ({"response-property-no-longer-required"}, True),
    "response-property-now-required": ({"response-property-now-required"}, True),
    "response-constraint-tightened": ({"response-constraint-changed"}, True),
    "response-success-status-removed": ({"response-status-removed"}, True),
    "response-error-status-removed": ({"response-status-removed"}, False),
    "response-header-removed": ({"response-header-removed"}, True),
    "component-schema-removed": ({"component-schema-removed"}, True),
    "component-schema-added": ({"component-schema-added"}, False),
    # Security: a removed alternative or scheme, or a scheme sent differently, locks clients out.
    "security-requirement-removed": ({"security-requirement-removed"}, True),
    "operation-security-requirement-removed": ({"security-requirement-removed"}, True),
    "security-requirement-added": ({"security-requirement-added", "security-scheme-added"}, False),
    "security-scheme-removed": ({"security-scheme-removed", "security-requirement-removed"}, True),
    "security-scheme-changed": ({"security-scheme-changed"}, True),
    "security-scheme-type-changed": ({"security-scheme-changed"}, True),
    # x-pagination drives the generated paging helpers (pagination-added: see below).
    "pagination-first-page-changed": ({"pagination-changed"}, True),
    "pagination-style-changed": ({"pagination-changed"}, True),
    "pagination-removed": ({"pagination-removed"}, True),
    # Servers are informational: clients configure their base URL.
    "server-url-changed": ({"server-url-changed"}, False),
    "server-removed": ({"server-removed"}, False),
    "server-variable-changed": ({"server-variable-changed"}, False),
    # Descriptions of parameters, servers, security schemes and x-pagination.
    "description-only": (set(), False),
}


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_every_fixture_has_a_case() -> None:
    assert {p.stem for p in FIXTURES.glob("*.yaml")} - {"base"} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_pair(name: str) -> None:
    rules, breaking = CASES[name]
    report = diff(load(FIXTURES / "base.yaml"), load(FIXTURES / f"{name}.yaml"))
    assert {c.rule for c in report.changes} == rules, [c.id for c in report.changes]
    assert bool(report.breaking) is breaking, [(c.id, c.breaking) for c in report.changes]


def test_pagination_added_to_an_operation_without_it_is_not_breaking() -> None:
    report = diff(load(FIXTURES / "pagination-removed.yaml"), load(FIXTURES / "base.yaml"))
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
        report = diff(old, new)
        assert [(c.id, c.breaking) for c in report.changes] == [
            (f"pagination-changed GET /v1/{{project_id}}/things x-pagination.{key}", True)
        ]


def test_security_ids_name_the_alternative() -> None:
    old = load(FIXTURES / "base.yaml")
    top = diff(old, load(FIXTURES / "security-requirement-removed.yaml"))
    assert [c.id for c in top.changes] == ["security-requirement-removed #/security AkSkSignature"]
    own = diff(old, load(FIXTURES / "operation-security-requirement-removed.yaml"))
    assert [c.id for c in own.changes] == [
        "security-requirement-removed GET /v1/{project_id}/things security AkSkSignature"
    ]
    changed = diff(old, load(FIXTURES / "security-scheme-changed.yaml"))
    assert sorted(c.id for c in changed.changes) == [
        "security-scheme-changed #/components/securitySchemes/AuthToken in",
        "security-scheme-changed #/components/securitySchemes/AuthToken name",
    ]


def test_allowing_anonymous_access_is_not_breaking() -> None:
    old = load(FIXTURES / "base.yaml")
    new = copy.deepcopy(old)
    new["security"].append({})
    new["paths"]["/v1/{project_id}/things"]["get"]["security"] = []
    report = diff(old, new)
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
        status, text = run(old, load(FIXTURES / f"{name}.yaml"), "", "base")
        assert status == 0, text
        assert f"INFO (not breaking)      {change_id}  [" in text, text
        assert "1 change(s), 0 breaking" in text


def test_current_spec_security_paging_and_servers_are_checked() -> None:
    spec = load(SPEC)
    list_op = spec["paths"]["/v2/{project_id}/processor-tasks"]["get"]
    assert "x-pagination" in list_op and {"AkSkSignature": []} in spec["security"]

    no_aksk = copy.deepcopy(spec)
    no_aksk["security"].remove({"AkSkSignature": []})
    assert [c.id for c in diff(spec, no_aksk).breaking] == ["security-requirement-removed #/security AkSkSignature"]

    paging = copy.deepcopy(spec)
    paging["paths"]["/v2/{project_id}/processor-tasks"]["get"]["x-pagination"]["first-page"] = 1
    assert [c.rule for c in diff(spec, paging).breaking] == ["pagination-changed"]

    moved = copy.deepcopy(spec)
    moved["servers"][0]["url"] = "https://modelarts.{region}.example.com"
    report = diff(spec, moved)
    assert [(c.rule, c.breaking, c.informational) for c in report.changes] == [("server-url-changed", False, True)]


def test_current_spec_against_itself_reports_nothing() -> None:
    spec = load(SPEC)
    assert diff(spec, spec).changes == []


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


BREAKING_IDS = [
    "request-enum-value-removed GET /v1/{project_id}/things query.status = 2",
    "response-enum-value-removed GET /v1/{project_id}/things 200 application/json #/status = 2",
]


def changelog_acking(version: str, ids: list[str]) -> str:
    lines = "\n".join(f"- Breaking: `{i}`" for i in ids)
    return f"# Changelog\n\n## {version}\n\nStatus 2 is gone.\n\n{lines}\n\n## 1.0.0\n\nFirst.\n"


def test_breaking_change_fails_and_prints_the_lines_to_add() -> None:
    old = load(FIXTURES / "base.yaml")
    new = bumped(load(FIXTURES / "enum-value-removed.yaml"), "2.0.0")
    status, text = run(old, new, changelog_acking("2.0.0", []), "base")
    assert status == 1
    for change_id in BREAKING_IDS:
        assert f"  Breaking: {change_id}" in text


def test_acknowledged_breaking_change_with_major_bump_passes() -> None:
    old = load(FIXTURES / "base.yaml")
    new = bumped(load(FIXTURES / "enum-value-removed.yaml"), "2.0.0")
    status, text = run(old, new, changelog_acking("2.0.0", BREAKING_IDS), "base")
    assert status == 0, text
    assert "BREAKING (acknowledged)" in text


def test_acknowledgement_counts_only_in_the_current_version_section() -> None:
    old = load(FIXTURES / "base.yaml")
    new = bumped(load(FIXTURES / "enum-value-removed.yaml"), "2.0.0")
    status, _ = run(old, new, changelog_acking("1.9.0", BREAKING_IDS), "base")
    assert status == 1
    assert acknowledged(changelog_acking("1.9.0", BREAKING_IDS), "2.0.0") == set()


def test_acknowledged_breaking_change_without_major_bump_fails() -> None:
    old = load(FIXTURES / "base.yaml")
    new = bumped(load(FIXTURES / "enum-value-removed.yaml"), "1.1.0")
    status, text = run(old, new, changelog_acking("1.1.0", BREAKING_IDS), "base")
    assert status == 1
    assert "major bump" in text


def test_additions_pass_without_changelog() -> None:
    old = load(FIXTURES / "base.yaml")
    status, _ = run(old, load(FIXTURES / "operation-added.yaml"), "", "base")
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
            "review/spec_diff.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
