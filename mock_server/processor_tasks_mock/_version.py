"""The distribution's version: the ``info.version`` of the bundled contract.

pdm-backend calls :func:`from_spec` at build time (``[tool.pdm.version]`` in pyproject.toml),
so the mock's version follows the spec it serves without a second place to edit. Only the
standard library is used: the build environment has nothing else.
"""

from __future__ import annotations

import re
from pathlib import Path

SPEC = Path(__file__).resolve().parent / "processor-tasks.yaml"
# `version:` one level under the top-level `info:` mapping.
_VERSION = re.compile(r"^info:[ \t]*\n(?:[ \t]+.*\n)*?([ \t]+)version:[ \t]*['\"]?([^'\"\s#]+)", re.MULTILINE)


def from_spec() -> str:
    """The bundled spec's ``info.version``."""
    match = _VERSION.search(SPEC.read_text(encoding="utf-8"))
    if match is None:
        raise ValueError(f"{SPEC} has no info.version")
    return match.group(2)
