"""What the foundation issue asks the spec to say (the provider's facts are in test_spec_facts.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.paths import SPEC

LIST_PATH = "/v2/{project_id}/processor-tasks"
DESCRIBE_PATH = "/v2/{project_id}/processor-tasks/{task_id}"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC.read_text())
    return loaded


def resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for key in node["$ref"][2:].split("/"):
            target = target[key.replace("~1", "/")]
        node = target
    return node


def params(spec: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    item = spec["paths"][path]
    found = [resolve(spec, p) for p in item.get("parameters", []) + item["get"].get("parameters", [])]
    return {p["name"]: p for p in found}


def schema_of(spec: dict[str, Any], param: dict[str, Any]) -> dict[str, Any]:
    schema = dict(param["schema"])
    for part in schema.pop("allOf", []):
        schema.update(resolve(spec, part))
    return schema


def test_operations_ids_and_tag(spec: dict[str, Any]) -> None:
    assert spec["paths"][LIST_PATH]["get"]["operationId"] == "ListProcessorTasks"
    assert spec["paths"][DESCRIBE_PATH]["get"]["operationId"] == "DescribeProcessorTask"
    for path in (LIST_PATH, DESCRIBE_PATH):
        assert spec["paths"][path]["get"]["tags"] == ["ProcessorTasks"]


def test_all_fourteen_list_parameters_with_defaults_and_ranges(spec: dict[str, Any]) -> None:
    # The issue counts 14: the provider's page has 13 query parameters plus project_id in the path.
    found = params(spec, LIST_PATH)
    query = {n: p for n, p in found.items() if p["in"] == "query"}
    assert len(found) == 14 and len(query) == 13
    defaults = {n: schema_of(spec, p).get("default") for n, p in query.items() if "default" in schema_of(spec, p)}
    assert defaults == {
        "limit": 10,
        "offset": 0,
        "order": "desc",
        "sort_by": "create_time",
        "query_current": False,
        "return_result": True,
        "workspace_id": "0",
    }
    limit = schema_of(spec, query["limit"])
    assert (limit["minimum"], limit["maximum"]) == (1, 100)
    assert schema_of(spec, query["offset"])["minimum"] == 0
    version_id = query["version_id"]
    assert version_id["schema"]["type"] == "array" and version_id["schema"]["items"]["type"] == "string"
    assert (version_id["style"], version_id["explode"]) == ("form", False)
    assert all(p["required"] for p in found.values() if p["in"] == "path")


def test_named_components(spec: dict[str, Any]) -> None:
    names = set(spec["components"]["schemas"])
    assert {
        "ListProcessorTasksResp",
        "DescribeProcessorTaskResp",
        "ProcessorDataSource",
        "TemplateParam",
        "OperatorParam",
        "WorkPath",
        "ErrorResponse",
        "TaskStatus",
        "TemplateId",
        "DataSourceType",
        "WorkPathType",
        "SortBy",
        "Order",
    } <= names
    status = spec["components"]["schemas"]["TaskStatus"]
    assert status["enum"] == [0, 1, 2, 3, 4]
    assert status["x-enum-varnames"] == ["INITIALIZED", "RUNNING", "COMPLETED", "FAILED", "STOPPED"]


def test_error_statuses_and_request_id_on_both_operations(spec: dict[str, Any]) -> None:
    codes = {"400": "ModelArts.0104", "401": "ModelArts.5002", "403": "ModelArts.0112"}
    for path in (LIST_PATH, DESCRIBE_PATH):
        responses = spec["paths"][path]["get"]["responses"]
        assert {"200", "400", "401", "403", "404", "429", "503"} <= set(responses)
        assert "Retry-After" in resolve(spec, responses["429"])["headers"]
        for code, error_code in codes.items():
            examples = resolve(spec, responses[code])["content"]["application/json"]["examples"]
            assert error_code in {resolve(spec, e)["value"]["error_code"] for e in examples.values()}
    not_found = spec["paths"][DESCRIBE_PATH]["get"]["responses"]["404"]["content"]["application/json"]["examples"]
    assert {resolve(spec, e)["value"]["error_code"] for e in not_found.values()} == {
        "ModelArts.4700",
        "ModelArts.2786",
    }


def test_security_alternatives(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes["AuthToken"] == {**schemes["AuthToken"], "type": "apiKey", "in": "header", "name": "X-Auth-Token"}
    assert "SDK-HMAC-SHA256" in schemes["AkSkSignature"]["description"]
    assert spec["security"] == [{"AuthToken": []}, {"AkSkSignature": []}]


def test_servers(spec: dict[str, Any]) -> None:
    urls = [s["url"] for s in spec["servers"]]
    assert "http://127.0.0.1:8080" in urls
    assert any("{region}" in u for u in urls)


def test_responses_are_tolerant_of_a_newer_server(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for name in ("DescribeProcessorTaskResp", "ProcessorDataSource", "TemplateParam", "OperatorParam", "WorkPath"):
        schema = schemas[name]
        assert schema.get("additionalProperties", True) is not False, name
        for prop, sub in schema["properties"].items():
            if prop in schema.get("required", []) or prop == "result":
                continue
            types = sub.get("type", [])
            accepts_null = "null" in types or {"type": "null"} in sub.get("anyOf", [])
            assert accepts_null, f"{name}.{prop} does not accept null"
            refs = [a.get("$ref", "") for a in sub.get("anyOf", [])]
            if any(r.endswith(("TaskStatus", "TemplateId", "DataSourceType", "WorkPathType")) for r in refs):
                assert len(sub["anyOf"]) == 3, f"{name}.{prop}: enum not open to new values"
    result = schemas["DescribeProcessorTaskResp"]["properties"]["result"]
    assert "type" not in result and "$ref" not in result, "result must accept any JSON value"


def test_pagination_extension(spec: dict[str, Any]) -> None:
    paging = spec["paths"][LIST_PATH]["get"]["x-pagination"]
    assert paging == {
        **paging,
        "items": "tasks",
        "total": "count",
        "limit-param": "limit",
        "page-param": "offset",
        "first-page": 0,
    }


def test_concurrent_paging_slows_down_on_every_429_code_the_spec_documents(spec: dict[str, Any]) -> None:
    concurrency = spec["paths"][LIST_PATH]["get"]["x-pagination"]["concurrency"]
    documented = re.findall(r"ModelArts\.\d+", spec["components"]["responses"]["TooManyRequests"]["description"])
    assert documented and sorted(concurrency["throttle-codes"]) == sorted(documented)
    assert set(concurrency["throttle-statuses"]) == {429, 503}


@pytest.mark.parametrize(
    "topic",
    ["bare task", '"xxx"', "ai_project", "filtering", "ModelArts.4700", "source_type", "`data_source` or `inputs`"],
)
def test_each_contradiction_is_resolved_in_the_description(spec: dict[str, Any], topic: str) -> None:
    assert topic in spec["info"]["description"]
