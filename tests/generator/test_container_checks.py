"""Every container shape the templates can emit is checked, not only the ones our spec uses today.

The spec is extended (in a temporary copy) with lists of strings, integers, booleans and
enum members, a nullable list, a list of lists, a number and a closed enum; the client
generated from it must accept right values and give them back, and refuse every wrong one
with ResponseDecodeError's reason on both decoding paths (issue 10 §3). The fast path must
decline the shapes its mirrors do not express (a float, a list of lists) rather than
decode them differently.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.paths import GENERATOR, ROOT, SPEC

EXTRA_PROPERTIES = {
    "zz_tags": {"type": "array", "items": {"type": "string"}, "description": "Tags."},
    "zz_counts": {"type": ["array", "null"], "items": {"type": "integer"}, "description": "Counts."},
    "zz_flags": {"type": "array", "items": {"type": "boolean"}, "description": "Flags."},
    "zz_states": {"type": "array", "items": {"$ref": "#/components/schemas/TaskStatus"}, "description": "States."},
    "zz_score": {"type": "number", "description": "Score."},
    "zz_grid": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}, "description": "Grid."},
    "zz_order": {"$ref": "#/components/schemas/Order", "description": "Order."},
}
GOOD: dict[str, Any] = {
    "zz_tags": ["a", ""],
    "zz_counts": None,
    "zz_flags": [True, False],
    "zz_states": [0, 4],
    "zz_score": 1,
    "zz_grid": [[1, 2], []],
    "zz_order": "asc",
}
WRONG: dict[str, list[Any]] = {
    "zz_tags": [{}, "", [[""]], ["a", 1], [None]],
    "zz_counts": ["", {}, [True], [1.5], ["1"]],
    "zz_flags": [[0], [1], "true", {}],
    "zz_states": [[True], [1.0], ["1"], [9], {}],
    "zz_score": [True, "1", None, [1]],
    "zz_grid": [[1], [[True]], [""], {}, [{}]],
    "zz_order": ["up", 1, True, None],
}
SCRIPT = """
import json, sys
from processor_tasks_client import _decode
from processor_tasks_client.models import DescribeProcessorTaskResp

cases = json.loads(sys.stdin.read())
out = {"plan": _decode._plan_for(DescribeProcessorTaskResp, True) is not None, "results": []}
for body in cases:
    outcomes = []
    for fast in (True, False):
        _decode.FAST = fast
        try:
            model = _decode.decode_model(json.dumps(body).encode(), DescribeProcessorTaskResp.from_dict)
            outcomes.append(["ok", model.to_dict()])
        except _decode.InvalidBody as exc:
            outcomes.append(["error", exc.reason])
    out["results"].append(outcomes)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def extended_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("containers")
    spec = yaml.safe_load(SPEC.read_text())
    spec["components"]["schemas"]["DescribeProcessorTaskResp"]["properties"].update(EXTRA_PROPERTIES)
    spec_path = folder / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    out = folder / "generated_client"
    command = [sys.executable, str(GENERATOR / "regenerate.py"), "--spec", str(spec_path), "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    return out


def _decode_all(client: Path, bodies: list[dict[str, Any]]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT)],
        input=json.dumps(bodies),
        capture_output=True,
        text=True,
        cwd=client,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_every_container_shape_is_checked_on_both_paths(extended_client: Path) -> None:
    good = {"task_id": "t", **GOOD}
    wrong = [(field, value) for field, values in WRONG.items() for value in values]
    bodies = [good] + [{**good, field: value} for field, value in wrong]
    report = _decode_all(extended_client, bodies)
    # A float and a list of lists are beyond the mirrors: that model keeps the reference path.
    assert report["plan"] is False
    results = report["results"]
    assert isinstance(results, list)
    fast, reference = results[0]
    assert fast == reference == ["ok", good]
    for (field, value), (fast, reference) in zip(wrong, results[1:], strict=True):
        assert fast == reference, (field, value)
        assert reference[0] == "error", f"{field}={value!r} was accepted"
        assert field in reference[1], reference[1]
