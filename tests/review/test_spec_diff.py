"""`make diff`: review/spec_diff.py over a fixture pair per kind of change, the current spec
against itself, the changelog acknowledgement and the version-bump rule."""

from __future__ import annotations

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


def test_current_spec_against_itself_reports_nothing() -> None:
    spec = load(SPEC)
    assert diff(spec, spec).changes == []


def test_current_spec_against_head_through_git() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "review.spec_diff", "--base", "HEAD", "--spec", str(SPEC.relative_to(ROOT))],
        cwd=ROOT, capture_output=True, text=True, timeout=30, check=False,
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
    done = subprocess.run(["make", "-s", "diff", "BASE=HEAD"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)
    assert "Contract diff HEAD" in done.stdout, done.stderr


def test_spec_diff_is_mypy_strict_clean() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--config-file", "/dev/null", "--cache-dir",
         str(ROOT / ".mypy_cache"), "review/spec_diff.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
