"""tools/quiet_redocly.py drops exactly Redocly's Node end-of-life and Redoc 3 boxes."""

from __future__ import annotations

import subprocess
import sys

from tests.paths import ROOT
from tests.system_tools import require_node_tools
from tools.quiet_redocly import main, without_notices

NODE_BOX = """
    \u2554\u2550\u2550\u2557
    \u2551  Deprecation warning: Node.js 20 support is ending \u2551
    \u255a\u2550\u2550\u255d

"""
REDOC_BOX = """\u2554\u2550\u2557
\u2551  build-docs now renders docs with Redoc 3. \u2551
\u255a\u2550\u255d
"""
OTHER_BOX = """\u2554\u2550\u2557
\u2551  A new version of Redocly CLI is available. \u2551
\u255a\u2550\u255d
"""


def filtered(text: str) -> str:
    return "".join(without_notices(text.splitlines(keepends=True)))


def test_drops_both_notices_and_keeps_the_rest() -> None:
    text = NODE_BOX + "validating spec.yaml...\n" + REDOC_BOX + "\nerror: something real\n"
    assert filtered(text) == "validating spec.yaml...\nerror: something real\n"


def test_keeps_any_other_box_and_an_unterminated_one() -> None:
    assert filtered(OTHER_BOX + "done\n") == OTHER_BOX + "done\n"
    assert filtered("\u2554 support is ending\nno bottom\n") == "\u2554 support is ending\nno bottom\n"


def test_keeps_the_exit_status() -> None:
    assert main([sys.executable, "-c", "import sys; sys.exit(3)"]) == 3
    assert main([sys.executable, "-c", "pass"]) == 0


def test_make_lint_prints_no_notice() -> None:
    require_node_tools()
    done = subprocess.run(["make", "-s", "lint"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "validated" in output  # Redocly's own report still comes through
    assert "support is ending" not in output and "end-of-life" not in output and "Redoc 3" not in output
