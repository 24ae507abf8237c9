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

    def concurrency_counts_pages_from_elsewhere(s: dict[str, Any]) -> None:
        node(s, *LIST)["x-pagination"]["concurrency"]["page-count"] = "total_pages"

    def concurrency_throttles_on_success(s: dict[str, Any]) -> None:
        node(s, *LIST)["x-pagination"]["concurrency"]["throttle-statuses"] = [200]

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
        ("concurrency_counts_pages_from_elsewhere", concurrency_counts_pages_from_elsewhere, "page-count must name"),
        ("concurrency_throttles_on_success", concurrency_throttles_on_success, "throttle-statuses must be"),
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
