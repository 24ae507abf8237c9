"""Versioning: info.version is semver, the changelog has its section, and the generated
client's package version follows it."""

from __future__ import annotations

import re
import tomllib

import yaml

from review.spec_diff import precedence, semver
from tests.review.conftest import ROOT, SPEC

CHANGELOG = ROOT / "openapi" / "CHANGELOG.md"
CLIENT_PYPROJECT = ROOT / "generated_client" / "pyproject.toml"


def spec_version() -> str:
    version = yaml.safe_load(SPEC.read_text(encoding="utf-8"))["info"]["version"]
    assert isinstance(version, str), "info.version must be a string (quote it in YAML)"
    return version


def test_info_version_is_semver() -> None:
    semver(spec_version())


def test_changelog_has_a_section_for_the_current_version() -> None:
    headings = re.findall(r"^## (\S+)", CHANGELOG.read_text(encoding="utf-8"), flags=re.M)
    versions = [h for h in headings if re.match(r"\d", h)]
    assert versions and versions[0] == spec_version(), f"newest section {versions[:1]} vs {spec_version()}"
    assert versions == sorted(versions, key=precedence, reverse=True), "sections newest first"


def test_generated_client_version_follows_info_version() -> None:
    # Written by generator/regenerate.py (openapi-python-client takes it from info.version).
    project = tomllib.loads(CLIENT_PYPROJECT.read_text(encoding="utf-8"))["project"]
    assert project["version"] == spec_version()
