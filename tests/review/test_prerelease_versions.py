"""Prerelease versions in `make diff`: semver 2.0.0 precedence, what a major bump is when a
prerelease is involved, and the changelog section of a prerelease (openapi/CHANGELOG.md states
these rules)."""

from __future__ import annotations

import itertools
import sys

import pytest

from review.spec_diff import acknowledged, precedence, run, version_problems
from tests.paths import GENERATOR
from tests.review.test_spec_diff import BREAKING_IDS, FIXTURES, bumped, changelog_acking, load

# As tests/generator does: regenerate.py is a script, imported by its own name.
sys.path.insert(0, str(GENERATOR))
import regenerate

# The example chain of semver 2.0.0 §11, extended by numeric < alphanumeric and numeric-by-value
# cases, each entry strictly after the one before it.
ORDERED = [
    "1.0.0-0",
    "1.0.0-2",
    "1.0.0-10",  # numeric identifiers by value, not as text ("10" < "2")
    "1.0.0-alpha",  # numeric before alphanumeric
    "1.0.0-alpha.1",  # more identifiers after fewer
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",  # a release after every prerelease of it
    "1.0.1-rc.1",
    "1.0.1",
    "1.2.0",
    "1.10.0",
    "2.0.0-rc.1",
]


@pytest.mark.parametrize(("lower", "higher"), list(itertools.pairwise(ORDERED)))
def test_precedence_orders_prereleases_as_semver_does(lower: str, higher: str) -> None:
    assert precedence(lower) < precedence(higher)
    # The same order where `make diff` uses it: stepping back is a version that went down.
    assert list(version_problems(lower, higher, breaking=False)) == []
    assert list(version_problems(higher, lower, breaking=False)) == [f"info.version went down: {higher} -> {lower}"]


@pytest.mark.parametrize(("first", "second"), [("2.0.0+a", "2.0.0+b"), ("2.0.0-rc.1+sha.5114f85", "2.0.0-rc.1")])
def test_build_metadata_does_not_count(first: str, second: str) -> None:
    assert precedence(first) == precedence(second)
    assert list(version_problems(first, second, breaking=False)) == []
    assert list(version_problems(second, first, breaking=False)) == []


def test_precedence_refuses_what_is_not_semver() -> None:
    with pytest.raises(ValueError, match="not semver"):
        precedence("2.0.0-rc.01")  # numeric identifiers have no leading zero


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        ("1.4.0", "2.0.0-rc.1", True),  # a prerelease of the next major is a major bump
        ("2.0.0-rc.1", "2.0.0-rc.2", True),  # a major's prereleases may change until its release
        ("2.0.0-rc.1", "2.0.0", True),  # the release is not a new major over its own candidates
        ("0.3.0-rc.1", "0.3.0", True),  # 0.x: the minor plays the major's part
        ("2.0.0", "2.0.1-rc.1", False),
        ("2.0.0-rc.1", "2.1.0", False),  # past the release: 2.0.0's users would break
        ("1.4.0-rc.1", "1.4.0", False),  # a minor release breaks the users of 1.3.0
        ("1.4.0", "2.0.0-rc.1+build.1", True),
        ("1.4.0", "1.5.0-rc.1", False),
    ],
)
def test_breaking_change_needs_a_major_bump_counting_prereleases(old: str, new: str, allowed: bool) -> None:
    old_doc = bumped(load(FIXTURES / "base.yaml"), old)
    new_doc = bumped(load(FIXTURES / "enum-value-removed.yaml"), new)
    status, text = run(old_doc, new_doc, changelog_acking(new, BREAKING_IDS), "base", generated=False)
    assert text.count("BREAKING (acknowledged)") == len(BREAKING_IDS), text
    assert (status == 0) is allowed, text
    assert ("major bump" in text) is not allowed, text
    # `make`'s guard over removed generated names applies the same rule.
    assert (regenerate._major_bump_problem(old, new) is None) is allowed


def test_changelog_section_of_a_prerelease() -> None:
    changelog = (
        "# Changelog\n\n## 2.0.0\n\n- Breaking: `release-only`\n\n"
        "## [2.0.0-rc.1] - 2026-11-26\n\n- Breaking: `rc-only`\n\n## 1.4.0\n\nFirst.\n"
    )
    assert acknowledged(changelog, "2.0.0-rc.1") == {"rc-only"}
    assert acknowledged(changelog, "2.0.0") == {"release-only"}
    # Build metadata is no part of the version a heading names.
    assert acknowledged(changelog, "2.0.0-rc.1+sha.5114f85") == {"rc-only"}
    assert acknowledged(changelog, "2.0.0+sha.5114f85") == {"release-only"}
    assert acknowledged(changelog, "2.0.0-rc.2") == set()


def test_prerelease_acknowledgement_lets_make_diff_pass() -> None:
    old = load(FIXTURES / "base.yaml")
    new = bumped(load(FIXTURES / "enum-value-removed.yaml"), "2.0.0-rc.1+sha.5114f85")
    status, text = run(old, new, changelog_acking("2.0.0-rc.1", BREAKING_IDS), "base", generated=False)
    assert status == 0, text
    status, text = run(old, new, changelog_acking("2.0.0", BREAKING_IDS), "base", generated=False)
    assert status == 1, text  # the release's section does not cover its prerelease
