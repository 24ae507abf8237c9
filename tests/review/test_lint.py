"""`make lint`: the spec passes the committed Redocly ruleset with 0 errors and 0 warnings,
each of our own rules really reports (a rule that cannot fail is not a rule), and every rule
has one home: what generator/spec_rules.py owns is off in redocly.yaml, and the other way round."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.review.conftest import ROOT, SPEC

CONFIG = ROOT / "redocly.yaml"
OWN_RULES = {
    "rule/operation-id-verb-noun",
    "rule/schema-names-pascal-case",
    "rule/parameter-names-snake-case",
    "rule/every-operation-has-examples",
}

sys.path.insert(0, str(ROOT / "generator"))
import spec_rules  # noqa: E402


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
    spec["components"]["schemas"]["lowerThing"] = {"type": "object", "properties": {"a": {"type": "string"}}}
    spec["components"]["schemas"]["DescribeProcessorTaskResp"]["properties"]["thing"] = {
        "$ref": "#/components/schemas/lowerThing"
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


@pytest.mark.parametrize("rule", ["operation-4xx-problem-details-rfc7807", "scalar-property-missing-example"])
def test_rules_turned_off_say_why(rule: str) -> None:
    text = CONFIG.read_text(encoding="utf-8")
    before = text[: text.index(f"  {rule}: off")].splitlines()
    assert before[-1].strip().startswith("#"), f"{rule} is off without a reason above it"


def test_rules_owned_by_spec_rules_are_off_here_and_say_so() -> None:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["rules"]
    text = CONFIG.read_text(encoding="utf-8").splitlines()
    for rule, owner in spec_rules.REDOCLY_RULES_OWNED_HERE.items():
        # PyYAML reads a bare `off` as False (YAML 1.1); Redocly reads it as "off".
        assert config.get(rule) in ("off", False), f"{rule} is owned by {owner} but not off in redocly.yaml"
        comments = text[: text.index(f"  {rule}: off")]
        block = [line for line in reversed(comments) if line.strip().startswith("#")][:6]
        assert any("spec_rules" in line or "openapi-spec-validator" in line for line in block), rule


def one_home_violations() -> dict[str, Any]:
    """The real spec with violations of rules spec_rules owns and of rules Redocly owns."""
    spec: dict[str, Any] = copy.deepcopy(yaml.safe_load(SPEC.read_text(encoding="utf-8")))
    describe = spec["paths"]["/v2/{project_id}/processor-tasks/{task_id}"]["get"]
    del describe["responses"]["200"]["headers"]  # X-Request-Id: spec_rules
    spec["components"]["responses"]["Forbidden"]["content"]["application/json"]["schema"] = {"type": "object"}
    spec["components"]["schemas"]["WorkPath"]["additionalProperties"] = False  # open objects: spec_rules
    spec["components"]["schemas"]["WorkPath"]["properties"]["path"]["example"] = 1  # examples: spec_rules
    spec["components"]["schemas"]["lowerThing"] = {"type": "object", "description": "x."}  # naming: Redocly
    spec["components"]["schemas"]["DescribeProcessorTaskResp"]["properties"]["thing"] = {
        "$ref": "#/components/schemas/lowerThing",
        "description": "A thing.",
    }
    return spec


def test_each_rule_reports_from_one_tool_only(redocly: list[str], redocly_env: dict[str, str], tmp_path: Path) -> None:
    spec = one_home_violations()
    findings = [str(f) for f in spec_rules.check(spec)]
    for expected in ("X-Request-Id", "must use #/components/schemas/ErrorResponse", "additionalProperties: false"):
        assert any(expected in f for f in findings), (expected, findings)
    assert not any("lowerThing" in f for f in findings), findings
    bad = tmp_path / "one-home.yaml"
    bad.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    result, _ = lint(redocly, redocly_env, bad)
    reported = {p["ruleId"] for p in result["problems"]}
    assert "rule/schema-names-pascal-case" in reported, reported
    assert reported.isdisjoint(spec_rules.REDOCLY_RULES_OWNED_HERE), reported
