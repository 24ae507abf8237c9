"""Every template in generator/templates says at its top why it overrides the stock one (or, for a\ntemplate of our own, why the stock ones do not do)."""

from __future__ import annotations

import re
from pathlib import Path

import openapi_python_client
import pytest

from tests.paths import GENERATOR

STOCK = Path(openapi_python_client.__file__).parent / "templates"

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
    relative = template.relative_to(GENERATOR / "templates")
    if (STOCK / relative).exists():  # replaces openapi-python-client's template of that name
        assert text.startswith("Override"), f"{relative}: the header should start with 'Override': {text!r}"
    else:  # a template of our own, used by the overrides
        assert text.startswith("Our own"), f"{relative}: the header should start with 'Our own': {text!r}"
    assert re.search(r"\b(stock|Why)\b", text), f"{relative}: the header does not say what the stock one lacks"
    assert len(text) > 60, f"{relative}: the header is too short to say why: {text!r}"


def test_the_stock_templates_are_found() -> None:
    # Without them every template would be taken for one of our own.
    assert (STOCK / "client.py.jinja").exists() and (STOCK / "property_templates" / "int_property.py.jinja").exists()
