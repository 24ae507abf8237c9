"""`make docs`: the reference opens offline in headless Chromium and shows both operations,
every parameter and every component schema. Screenshots stay in reports/ as artifacts."""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.review.conftest import REPORTS, ROOT, SPEC

RENDERER = ROOT / "review" / "render_docs.mjs"
# The "API docs by Redocly" badge is an <img> from their CDN; offline it is a blank
# badge and nothing else depends on it.
HARMLESS_BLOCKED = re.compile(r"^https://cdn\.redoc\.ly/redoc/logo[\w.-]*\.svg$")


@pytest.fixture(scope="module")
def built(redocly: list[str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "index.html"
    done = subprocess.run(
        ["make", "-s", "docs", f"DOCS_OUT={out}"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="module")
def rendered(built: Path, chromium: Path) -> dict[str, Any]:
    REPORTS.mkdir(exist_ok=True)
    done = subprocess.run(
        ["node", str(RENDERER), str(built), str(REPORTS / "docs.png")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        env={**os.environ, "CHROMIUM": str(chromium)},
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return loaded


def test_html_loads_no_script_style_or_font_from_the_network(built: Path) -> None:
    html = built.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=[\"']https?:", html)
    assert not re.search(r"<link[^>]+href=[\"']https?:", html)
    assert not re.search(r"@import\s+url\([\"']?https?:|url\([\"']?https?://[^)]*\.(woff2?|ttf|otf)", html)


def test_page_renders_offline_without_errors(rendered: dict[str, Any]) -> None:
    assert rendered["pageErrors"] == []
    assert [u for u in rendered["blocked"] if not HARMLESS_BLOCKED.match(u)] == []


def test_both_operations_and_every_parameter_render(rendered: dict[str, Any]) -> None:
    text = rendered["sections"]["processortasks"]
    document = spec()
    for path, item in document["paths"].items():
        assert path in text
        names = [p.get("name") or p["$ref"].rsplit("/", 1)[-1] for p in item.get("parameters", [])]
        operation = item["get"]
        assert operation["summary"] in text
        names += [p["name"] for p in operation["parameters"]] if "parameters" in operation else []
        for name in names:
            pname = (
                document["components"]["parameters"][name]["name"]
                if name in document["components"]["parameters"]
                else name
            )
            assert re.search(rf"(^|\n){re.escape(pname)}\n", text), f"parameter {pname} of {path}"


def test_every_component_schema_renders(rendered: dict[str, Any]) -> None:
    text = rendered["sections"]["schemas"]
    for name, schema in spec()["components"]["schemas"].items():
        assert re.search(rf"(^|\n){re.escape(name)}\n", text), name
        first_line = schema["description"].strip().splitlines()[0]
        assert first_line.split("`")[0].strip()[:30] in text, f"description of {name}"


def test_screenshots_are_kept(rendered: dict[str, Any]) -> None:
    assert len(rendered["screenshots"]) == 3
    for shot in rendered["screenshots"]:
        data = (ROOT / shot).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        assert width >= 1000 and height >= 800, (shot, width, height)
