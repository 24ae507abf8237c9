"""Array query parameters are encoded from the spec's style and explode, not from their names.

openapi-python-client drops both (it repeats the key of every array); regenerate.py hands
them to the templates. These tests change the style in a copy of the spec, regenerate, and
call the generated code.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.paths import GENERATOR, ROOT, SPEC

sys.path.insert(0, str(GENERATOR))
import regenerate

LIST = "/v2/{project_id}/processor-tasks"
COMMITTED = "          style: form\n          explode: false\n"


def test_the_committed_spec_joins_version_id_with_commas() -> None:
    spec = yaml.safe_load(SPEC.read_text())
    styles = regenerate.query_styles(spec, LIST, "get", spec["paths"][LIST]["get"])
    assert styles["version_id"] == {"style": "form", "explode": False, "delimiter": ","}
    # Scalars keep OpenAPI's defaults for a query parameter: style form, explode true.
    assert styles["limit"] == {"style": "form", "explode": True, "delimiter": None}
    assert "project_id" not in styles  # a path parameter


@pytest.mark.parametrize(("style", "explode"), [("deepObject", True), ("spaceDelimited", True), ("matrix", False)])
def test_an_unsupported_style_fails_naming_the_parameter(style: str, explode: bool) -> None:
    spec = yaml.safe_load(SPEC.read_text())
    operation = spec["paths"][LIST]["get"]
    parameter = next(p for p in operation["parameters"] if p.get("name") == "version_id")
    parameter.update(style=style, explode=explode)
    with pytest.raises(regenerate.GenerationError, match=rf"GET {LIST}, query parameter 'version_id': style '{style}'"):
        regenerate.query_styles(spec, LIST, "get", operation)


# Two more array parameters beside version_id, so that one regeneration covers three encodings.
EXTRA = """        - name: extra_repeated
          in: query
          description: Test only.
          schema:
            type: array
            items:
              type: string
        - name: extra_piped
          in: query
          description: Test only.
          style: pipeDelimited
          explode: false
          schema:
            type: array
            items:
              type: integer
        - name: workspace_id
"""

PROBE = """
import json
from processor_tasks_client.api.processor_tasks.list_processor_tasks import _get_kwargs

def refused(**kwargs):
    try:
        _get_kwargs("p", **kwargs)
    except (TypeError, ValueError) as exc:
        return str(exc)

params = _get_kwargs("p", version_id=["a", "b"], extra_repeated=["a,b", "c"], extra_piped=[1, 2])["params"]
print(json.dumps({
    "params": {k: params[k] for k in ("version_id", "extra_repeated", "extra_piped")},
    "space": refused(version_id=["a b"]),
    "comma-in-repeated": refused(extra_repeated=["a,b"]),
    "not-an-int": refused(extra_piped=["1"]),
}))
"""


@pytest.mark.slow
def test_the_generated_code_follows_the_style(tmp_path: Path) -> None:
    text = SPEC.read_text()
    assert COMMITTED in text and text.count("        - name: workspace_id\n") == 1
    text = text.replace(COMMITTED, "          style: spaceDelimited\n", 1)  # explode defaults to false
    spec = tmp_path / "styled.yaml"
    spec.write_text(text.replace("        - name: workspace_id\n", EXTRA, 1))
    out = tmp_path / "generated_client"
    done = subprocess.run(
        [sys.executable, str(GENERATOR / "regenerate.py"), "--spec", str(spec), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    probe = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=out, check=True)
    result = json.loads(probe.stdout)
    assert result["params"] == {"version_id": "a b", "extra_repeated": ["a,b", "c"], "extra_piped": "1|2"}
    assert result["space"] == (
        "version_id[0] = 'a b' contains ' ': version_id travels as one ' '-separated value, "
        "so the server could not tell this item from its neighbours; it cannot be sent"
    )
    assert result["comma-in-repeated"] is None  # repeated keys carry any value
    assert result["not-an-int"] == "extra_piped[0] must be an int, got str '1'"
