"""The spec is valid OpenAPI 3.1 and passes our own rules; the rules themselves bite."""

from __future__ import annotations

import copy
import sys
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from tests.paths import GENERATOR, SPEC

sys.path.insert(0, str(GENERATOR))
import spec_rules

LIST = ("paths", "/v2/{project_id}/processor-tasks", "get")
DESCRIBE = ("paths", "/v2/{project_id}/processor-tasks/{task_id}", "get")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC.read_text())
    return loaded


def node(spec: dict[str, Any], *keys: str | int) -> Any:
    found: Any = spec
    for key in keys:
        found = found[key]
    return found


def test_spec_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1.")
    validate(spec)


def test_spec_passes_our_rules(spec: dict[str, Any]) -> None:
    assert [str(f) for f in spec_rules.check(spec)] == []


def _mutations() -> list[tuple[str, Any, str]]:
    """(name, mutation, text the finding must contain) — each plants one rule violation."""

    def undescribed_property(s: dict[str, Any]) -> None:
        del s["components"]["schemas"]["WorkPath"]["properties"]["path"]["description"]

    def undescribed_parameter(s: dict[str, Any]) -> None:
        del node(s, *LIST)["parameters"][0]["description"]

    def error_without_error_schema(s: dict[str, Any]) -> None:
        node(s, *DESCRIBE)["responses"]["404"]["content"]["application/json"]["schema"] = {"type": "object"}

    def missing_request_id(s: dict[str, Any]) -> None:
        del node(s, *DESCRIBE)["responses"]["200"]["headers"]

    def bad_body_example(s: dict[str, Any]) -> None:
        ex = node(s, *LIST)["responses"]["200"]["content"]["application/json"]["examples"]["empty-page"]
        ex["value"]["count"] = "one"

    def bad_parameter_example(s: dict[str, Any]) -> None:
        node(s, *LIST)["parameters"][0]["example"] = 101

    def bad_shared_example(s: dict[str, Any]) -> None:
        s["components"]["examples"]["ParameterError"]["value"] = {"error_code": 104}

    def paging_names_unknown_parameter(s: dict[str, Any]) -> None:
        node(s, *LIST)["x-pagination"]["page-param"] = "page"

    def paging_first_page_not_an_integer(s: dict[str, Any]) -> None:
        node(s, *LIST)["x-pagination"]["first-page"] = None

    def two_success_responses(s: dict[str, Any]) -> None:
        node(s, *LIST)["responses"]["201"] = node(s, *LIST)["responses"]["200"]

    def operation_without_summary(s: dict[str, Any]) -> None:
        del node(s, *DESCRIBE)["summary"]

    return [
        ("undescribed_property", undescribed_property, "/components/schemas/WorkPath/properties/path"),
        ("undescribed_parameter", undescribed_parameter, "/parameters/0"),
        ("error_without_error_schema", error_without_error_schema, "ErrorResponse"),
        ("missing_request_id", missing_request_id, "X-Request-Id"),
        ("bad_body_example", bad_body_example, "examples/empty-page"),
        ("bad_parameter_example", bad_parameter_example, "parameters/0/example"),
        ("bad_shared_example", bad_shared_example, "/components/responses/BadRequest"),
        ("paging_names_unknown_parameter", paging_names_unknown_parameter, "x-pagination"),
        ("paging_first_page_not_an_integer", paging_first_page_not_an_integer, "first-page must be an integer"),
        ("two_success_responses", two_success_responses, "exactly one 2xx"),
        ("operation_without_summary", operation_without_summary, "no summary"),
    ]


@pytest.mark.parametrize(("name", "mutate", "expected"), _mutations(), ids=[m[0] for m in _mutations()])
def test_each_rule_catches_a_planted_violation(spec: dict[str, Any], name: str, mutate: Any, expected: str) -> None:
    broken = copy.deepcopy(spec)
    mutate(broken)
    findings = [str(f) for f in spec_rules.check(broken)]
    assert findings, f"{name}: no finding"
    assert any(expected in f for f in findings), findings


def test_every_example_in_the_spec_is_checked(spec: dict[str, Any]) -> None:
    """The example rule must actually visit the examples it claims to (not silently skip them)."""
    visited = {where for where, _, _ in spec_rules._media_examples(spec)}
    assert any("latest-analysis-of-two-versions" in w for w in visited)
    assert any("completed-feature-analysis" in w for w in visited)
    assert any("/components/responses/Unauthorized" in w for w in visited)
    assert len(visited) >= 10


WAITER = "/paths/~1v2~1{project_id}~1processor-tasks~1{task_id}/get/x-waiters/wait"


def _waiter_mutations() -> list[tuple[str, Any, str]]:
    """(name, mutation of the `wait` waiter, the JSON pointer and text its finding must hold)."""

    def unknown_state(w: dict[str, Any]) -> None:
        w["failure"] = ["FAILED", "CANCELLED"]

    def state_twice(w: dict[str, Any]) -> None:
        w["pending"] = ["INITIALIZED", "RUNNING", "COMPLETED"]

    def state_unplaced(w: dict[str, Any]) -> None:
        w["failure"] = ["FAILED"]

    def no_success(w: dict[str, Any]) -> None:
        w["success"] = []

    def field_not_in_body(w: dict[str, Any]) -> None:
        w["field"] = "state"

    def field_without_enum(w: dict[str, Any]) -> None:
        w["field"] = "name"

    def negative_delay(w: dict[str, Any]) -> None:
        w["delay"] = -1

    def cap_below_delay(w: dict[str, Any]) -> None:
        w["max-delay"] = 1

    def shrinking_multiplier(w: dict[str, Any]) -> None:
        w["multiplier"] = 0.5

    def timeout_as_text(w: dict[str, Any]) -> None:
        w["timeout"] = "1h"

    def unknown_key(w: dict[str, Any]) -> None:
        w["max-attempts"] = 5

    def error_field_not_in_body(w: dict[str, Any]) -> None:
        w["error-field"] = "reason"

    def undescribed(w: dict[str, Any]) -> None:
        del w["description"]

    return [
        ("unknown_state", unknown_state, f"{WAITER}/failure/1: 'CANCELLED' is not a value of status"),
        ("state_twice", state_twice, f"{WAITER}/pending/2: 'COMPLETED' is already listed under success"),
        ("state_unplaced", state_unplaced, f"{WAITER}: every value of status must be success, failure or pending"),
        ("no_success", no_success, f"{WAITER}/success: must be a list"),
        ("field_not_in_body", field_not_in_body, f"{WAITER}/field: 'state' is not a property"),
        ("field_without_enum", field_without_enum, f"{WAITER}/field: property 'name' holds no enum"),
        ("negative_delay", negative_delay, f"{WAITER}/delay: must be a positive number"),
        ("cap_below_delay", cap_below_delay, f"{WAITER}/max-delay: must not be less than delay"),
        ("shrinking_multiplier", shrinking_multiplier, f"{WAITER}/multiplier: must be a number of at least 1"),
        ("timeout_as_text", timeout_as_text, f"{WAITER}/timeout: must be a positive number"),
        ("unknown_key", unknown_key, f"{WAITER}/max-attempts: unknown key"),
        ("error_field_not_in_body", error_field_not_in_body, f"{WAITER}/error-field: 'reason' is not a property"),
        ("undescribed", undescribed, f"{WAITER}/description: a waiter needs a description"),
    ]


@pytest.mark.parametrize(("name", "mutate", "expected"), _waiter_mutations(), ids=[m[0] for m in _waiter_mutations()])
def test_a_malformed_waiter_is_refused_at_its_json_pointer(
    spec: dict[str, Any], name: str, mutate: Any, expected: str
) -> None:
    broken = copy.deepcopy(spec)
    mutate(node(broken, *DESCRIBE)["x-waiters"]["wait"])
    findings = [str(f) for f in spec_rules.check(broken)]
    assert any(f.startswith(expected) for f in findings), (name, findings)


def test_a_waiter_on_an_operation_with_query_parameters_or_a_bad_name_is_refused(spec: dict[str, Any]) -> None:
    broken = copy.deepcopy(spec)
    node(broken, *LIST)["x-waiters"] = {"until-done": node(broken, *DESCRIBE)["x-waiters"]["wait"]}
    findings = [str(f) for f in spec_rules.check(broken)]
    base = "/paths/~1v2~1{project_id}~1processor-tasks/get/x-waiters"
    assert any(f.startswith(f"{base}: a waited operation takes path parameters only") for f in findings), findings
    assert any(f.startswith(f"{base}/until-done: waiter name") for f in findings), findings


def test_make_refuses_a_malformed_waiter_naming_the_pointer(spec: dict[str, Any], tmp_path: Any) -> None:
    sys.path.insert(0, str(GENERATOR))
    import regenerate

    broken = copy.deepcopy(spec)
    node(broken, *DESCRIBE)["x-waiters"]["wait"]["success"] = ["DONE"]
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(broken))
    with pytest.raises(regenerate.GenerationError, match=r"x-waiters/wait/success/0: 'DONE' is not a value of status"):
        regenerate.load_spec(path)
