"""`make lint`: the spec passes the committed Redocly ruleset with 0 errors and 0 warnings,
and each of our own rules really reports (a rule that cannot fail is not a rule)."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.review.conftest import ROOT, SPEC

CONFIG = ROOT / "redocly.yaml"
OWN_RULES = {
    "rule/operation-id-verb-noun",
    "rule/4xx-uses-error-response",
    "rule/schema-names-pascal-case",
    "rule/parameter-names-snake-case",
    "rule/response-objects-stay-open",
    "rule/every-operation-has-examples",
}


def lint(redocly: list[str], env: dict[str, str], spec: Path) -> tuple[dict[str, Any], str]:
    done = subprocess.run(
        [
            *redocly,
            "lint",
            "--config",
            str(CONFIG),
            "--lint-config=error",
            "--format=json",
            "--max-problems",
            "1000",
            str(spec),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return json.loads(done.stdout), done.stderr


def test_spec_lints_clean(redocly: list[str], redocly_env: dict[str, str]) -> None:
    result, stderr = lint(redocly, redocly_env, SPEC)
    problems = [f"{p['ruleId']} {p['location'][0]['pointer']}: {p['message']}" for p in result["problems"]]
    assert result["totals"] == {"errors": 0, "warnings": 0, "ignored": 0}, problems
    # A misspelt rule or a wrong option is only a warning on stderr, outside the JSON. The
    # boxed banner is Redocly's notice that Node 20 support ends; it is not about the spec.
    notes = [line for line in stderr.splitlines() if not line.strip().startswith(("║", "╔", "╚"))]
    assert not [line for line in notes if "warning" in line.lower() or "unused rules" in line.lower()], stderr


def test_ruleset_extends_recommended_strict_and_declares_our_rules() -> None:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    assert config["extends"] == ["recommended-strict"]
    assert set(config["rules"]) >= OWN_RULES


def violating_spec() -> dict[str, Any]:
    """The real spec with one violation of each of our rules."""
    spec: dict[str, Any] = copy.deepcopy(yaml.safe_load(SPEC.read_text(encoding="utf-8")))
    listing = spec["paths"]["/v2/{project_id}/processor-tasks"]["get"]
    listing["operationId"] = "processorTasksList"
    listing["parameters"].append(
        {"name": "taskName", "in": "query", "description": "Camel case.", "schema": {"type": "string"}}
    )
    spec["components"]["responses"]["Forbidden"]["content"]["application/json"]["schema"] = {"type": "object"}
    spec["components"]["schemas"]["closedThing"] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"a": {"type": "string"}},
    }
    spec["components"]["schemas"]["DescribeProcessorTaskResp"]["properties"]["thing"] = {
        "$ref": "#/components/schemas/closedThing"
    }
    describe = spec["paths"]["/v2/{project_id}/processor-tasks/{task_id}"]["get"]
    del describe["responses"]["200"]["content"]["application/json"]["examples"]
    return spec


def test_each_own_rule_reports_its_violation(redocly: list[str], redocly_env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "violations.yaml"
    bad.write_text(yaml.safe_dump(violating_spec(), sort_keys=False), encoding="utf-8")
    result, _ = lint(redocly, redocly_env, bad)
    reported = {p["ruleId"]: p["location"][0]["pointer"] for p in result["problems"]}
    assert set(reported) >= OWN_RULES, sorted(reported)
    # The 4xx rule follows a response $ref into components/responses.
    assert reported["rule/4xx-uses-error-response"].startswith("#/components/responses/Forbidden")


@pytest.mark.parametrize("rule", ["operation-4xx-problem-details-rfc7807", "scalar-property-missing-example"])
def test_rules_turned_off_say_why(rule: str) -> None:
    text = CONFIG.read_text(encoding="utf-8")
    before = text[: text.index(f"  {rule}: off")].splitlines()
    assert before[-1].strip().startswith("#"), f"{rule} is off without a reason above it"
