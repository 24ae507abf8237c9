"""Fixtures for the API review kit tests: the pinned node tools and Debian's Chromium."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import system_tools
from tests.system_tools import require_node_tools, require_program

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "openapi" / "processor-tasks.yaml"
REDOCLY = ROOT / "node_modules" / ".bin" / "redocly"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
REPORTS = ROOT / "reports"


@pytest.fixture(scope="session")
def redocly() -> list[str]:
    """The Redocly CLI command line; `make test` installs it through `make node_modules`."""
    require_node_tools()
    if not REDOCLY.exists():
        pytest.fail("node_modules/ is missing: run `make node_modules` (npm ci)")
    return [str(REDOCLY)]


@pytest.fixture(scope="session")
def redocly_env() -> dict[str, str]:
    return {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_NOTIFICATIONS": "true"}


@pytest.fixture(scope="session")
def chromium() -> Path:
    require_node_tools()
    return require_program(system_tools.CHROMIUM, CHROMIUM)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip (locally) or fail (CI=true) each test that needs a missing tool, before its fixtures
    run. Raised here rather than in a fixture, pytest folds all those skips into one line."""
    needs = set(getattr(item, "fixturenames", ()))
    if needs & {"redocly", "chromium"}:
        require_node_tools()
    if "chromium" in needs:
        require_program(system_tools.CHROMIUM, CHROMIUM)
