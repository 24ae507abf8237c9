"""Run Redocly CLI without its two boxed notices, keeping everything else and its exit code.

Redocly CLI writes a "Node.js 20 support is ending" box on every start under Node 20 and a
"build-docs now renders docs with Redoc 3" box on every `build-docs`. Neither
REDOCLY_SUPPRESS_NOTIFICATIONS nor any other setting turns them off (the CLI prints them
with its plain logger, unconditionally), so this wrapper drops exactly those boxes from
stderr. Any other box (a new notice) and every other line pass through unchanged.

Usage: python tools/quiet_redocly.py node_modules/.bin/redocly ARGS...
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Iterator

# Text that identifies each silenced notice (one phrase per notice).
SILENCED = ("support is ending", "renders docs with Redoc 3")
BOX_TOP, BOX_BOTTOM = "\u2554", "\u255a"  # the box-drawing corners Redocly frames notices with


def without_notices(lines: Iterable[str]) -> Iterator[str]:
    """`lines` less each framed box that contains a silenced phrase (and the blank lines around it)."""
    box: list[str] | None = None
    blanks: list[str] = []  # blank lines held back until we know whether a silenced box follows
    dropped = False
    for line in lines:
        if box is None and line.lstrip().startswith(BOX_TOP):
            box = [line]
            continue
        if box is not None:
            box.append(line)
            if line.lstrip().startswith(BOX_BOTTOM):
                dropped = any(phrase in "".join(box) for phrase in SILENCED)
                if not dropped:
                    yield from blanks
                    yield from box
                blanks, box = [], None
            continue
        if not line.strip():
            blanks.append(line)
            continue
        if not dropped:
            yield from blanks
        blanks, dropped = [], False
        yield line
    yield from [] if dropped else blanks
    if box is not None:  # an unterminated box is not one of ours: keep it
        yield from box


def main(argv: list[str]) -> int:
    """Run `argv`, filter its stderr, return its exit status."""
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    with subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace") as process:
        assert process.stderr is not None
        for line in without_notices(process.stderr):
            sys.stderr.write(line)
            sys.stderr.flush()
    return process.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
