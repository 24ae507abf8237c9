"""Every template in generator/templates says at its top why it overrides the stock one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.paths import GENERATOR

TEMPLATES = sorted(p for p in (GENERATOR / "templates").rglob("*") if p.is_file())
# The first thing in the file: a Jinja comment (renders to nothing, so the output is unchanged).
HEADER = re.compile(r"\A\{#-?(?P<text>.*?)-?#\}", re.DOTALL)


def test_there_are_templates() -> None:
    assert len(TEMPLATES) >= 10


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(GENERATOR / "templates")))
def test_template_opens_with_why_it_overrides(template: Path) -> None:
    header = HEADER.match(template.read_text(encoding="utf-8"))
    assert header, f"{template.name} does not open with a {{#- ... -#}} comment"
    text = " ".join(header.group("text").split())
    assert text.startswith("Override"), f"{template.name}: the header should start with 'Override': {text!r}"
    assert re.search(r"\b(stock|Why)\b", text), f"{template.name}: the header does not say what the stock one lacks"
    assert len(text) > 60, f"{template.name}: the header is too short to say why: {text!r}"
