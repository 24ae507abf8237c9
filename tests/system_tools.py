"""System tools some tests need (Debian's Chromium, Node.js with npm): skip locally, fail in CI.

A developer without the tool sees the tests skipped with one line naming what to install;
under ``CI=true`` (set by `.ci/run`, which installs every tool) a missing tool fails them,
so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.paths import ROOT


@dataclass(frozen=True)
class Tool:
    """A program on the machine, and how to get it (the README's set-up table says the same)."""

    name: str
    needed_for: str
    install: str


CHROMIUM = Tool("chromium", "the docs test renders the reference in it", "apt-get install -y chromium")
_NODE_INSTALL = "Node.js 20.19+ with npm: apt-get install -y nodejs npm (Debian 13), or NodeSource's nodejs"
NODE = Tool("node", "make docs, make lint and their tests", _NODE_INSTALL)
NPM = Tool("npm", NODE.needed_for, _NODE_INSTALL)
NODE_MODULES = ROOT / "node_modules"


def in_ci(environ: dict[str, str] | None = None) -> bool:
    """Whether this run is CI's (``CI=true``, as CI services and `.ci/run` set it)."""
    value = (os.environ if environ is None else environ).get("CI", "")
    return value.strip().lower() in {"true", "1", "yes"}


def missing(tool: Tool, environ: dict[str, str] | None = None) -> None:
    """Skip (locally) or fail (CI) the calling test, in one line naming the install command.

    The message depends on the tool alone, so pytest folds every skip it causes into one line.
    """
    message = f"{tool.name} is missing ({tool.needed_for}): {tool.install}"
    if in_ci(environ):
        pytest.fail(f"{message} [CI=true: a missing tool fails]", pytrace=False)
    pytest.skip(message)


def require_program(tool: Tool, path: Path | None = None) -> Path:
    """The tool's executable (`path` if given, else from PATH), or skip/fail as above."""
    found = path if path is not None and path.exists() else None
    if path is None:
        located = shutil.which(tool.name)
        found = Path(located) if located else None
    if found is None:
        missing(tool)
        raise AssertionError("unreachable")  # missing() always raises
    return found


def require_node_tools() -> Path:
    """node_modules/ (installed by `make node_modules`) and the node and npm that use it."""
    require_program(NODE)
    require_program(NPM)
    if not (NODE_MODULES / ".bin").is_dir():
        # npm is there, so this is a set-up step, not a missing tool: `make test` runs it.
        pytest.fail("node_modules/ is missing: run `make node_modules` (npm ci)", pytrace=False)
    return NODE_MODULES
