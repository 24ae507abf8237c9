"""The spec against the provider's facts kept in tests/spec/provider_facts.yaml.

Names, types, enum values, ranges, defaults, statuses and error codes of the newest provider
revision must all be in the contract, or be settled by a written resolution in
`info.description`. Each comparison below fails on one wrong value (see
`test_the_comparisons_bite`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote

import pytest
import yaml

from tests.paths import PROVIDER_FACTS, SPEC
from tests.spec import provider_facts
from tests.spec.provider_facts import Facts, Field

Spec = dict[str, Any]

FACTS = provider_facts.load()
# Fields only the contract has, each with its resolution in info.description.
OUR_EXTRA_FIELDS = {"DescribeProcessorTaskResp": {"ai_project"}}
# The provider's types, as the JSON Schema type (and int format) that must accept them.
JSON_TYPES: dict[str, tuple[str, str | None]] = {
    "String": ("string", None),
    "Integer": ("integer", "int32"),
    "Long": ("integer", "int64"),
    "Boolean": ("boolean", None),
    "Array": ("array", None),
    "Object": ("object", None),
}
MODELARTS_CODE = re.compile(r"ModelArts\.\d{4}")


@pytest.fixture(scope="module")
def spec() -> Spec:
    loaded: Spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return loaded


# --- reading the spec --------------------------------------------------------------------


def resolve(spec: Spec, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for key in node["$ref"][2:].split("/"):
            target = target[key.replace("~1", "/")]
        node = target
    return node


def alternatives(spec: Spec, schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Each schema a value may match, flattened: `$name` records a component reached by $ref.

    `type: [x, "null"]` splits into one alternative per type; `anyOf`/`oneOf` give each of
    theirs; `allOf` (used to give a shared enum a per-parameter default) is merged.
    """
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        for alt in alternatives(spec, resolve(spec, schema)):
            yield {"$name": name, **alt}
        return
    if "anyOf" in schema or "oneOf" in schema:
        for sub in schema.get("anyOf", []) + schema.get("oneOf", []):
            yield from alternatives(spec, sub)
        return
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema.get("allOf", []):
        for alt in alternatives(spec, part):
            merged = {**alt, **merged}
    types = merged.get("type")
    if isinstance(types, list):
        for one in types:
            yield {**merged, "type": one}
    else:
        yield merged


def type_problem(spec: Spec, where: str, schema: dict[str, Any], fact: Field) -> str | None:
    """Why `schema` does not accept what the provider's `fact` says, or None."""
    alts = [a for a in alternatives(spec, schema) if a.get("type") != "null"]
    if fact.type.startswith("Array of "):
        item = fact.type.removeprefix("Array of ")
        ok = any(a.get("type") == "array" and a.get("items", {}).get("$ref", "").endswith(f"/{item}") for a in alts)
        return None if ok else f"{where}: not an array of {item}"
    if fact.type not in JSON_TYPES:  # a table of the provider: the component of that name
        ok = any(a.get("$name") == fact.type and a.get("type") == "object" for a in alts)
        return None if ok else f"{where}: not the {fact.type} object"
    json_type, int_format = JSON_TYPES[fact.type]
    if fact.type == "Object" and not any("type" in a or "$name" in a for a in alts):
        return None  # a schema without a type accepts any JSON value, objects included
    matching = [a for a in alts if a.get("type") == json_type]
    if not matching:
        return f"{where}: {fact.type} is not accepted (alternatives: {alts})"
    if int_format and not any(a.get("format") == int_format for a in matching):
        return f"{where}: {fact.type} needs format {int_format}"
    return None


def value_problems(spec: Spec, where: str, schema: dict[str, Any], fact: Field) -> list[str]:
    """Differences in enum values, default and ranges between `schema` and `fact`."""
    alts = [a for a in alternatives(spec, schema) if a.get("type") != "null"]
    problems = []
    if fact.values is not None and fact.type != "Boolean":
        enums = [a["enum"] for a in alts if "enum" in a]
        if enums != [list(fact.values)]:
            problems.append(f"{where}: enum {enums} != provider's {list(fact.values)}")
    merged = {k: v for a in alts for k, v in a.items()}
    if fact.has_default and merged.get("default", "<none>") != fact.default:
        problems.append(f"{where}: default {merged.get('default', '<none>')!r} != provider's {fact.default!r}")
    limits = {
        "minimum": fact.minimum,
        "maximum": fact.maximum,
        "minLength": fact.min_length or None,
        "maxLength": fact.max_length,
    }
    for key, want in limits.items():
        if want is not None and merged.get(key) != want:
            problems.append(f"{where}: {key} {merged.get(key)!r} != provider's {want!r}")
    if fact.characters is not None and merged.get("pattern") != f"^{fact.characters}*$":
        problems.append(f"{where}: pattern {merged.get('pattern')!r} != ^{fact.characters}*$")
    return problems


def operation(spec: Spec, op_id: str) -> tuple[str, dict[str, Any], dict[str, dict[str, Any]]]:
    """(path, operation object, parameters by name) of the operation with this operationId."""
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and op.get("operationId") == op_id:
                found = [resolve(spec, p) for p in item.get("parameters", []) + op.get("parameters", [])]
                return path, {"method": method, **op}, {p["name"]: p for p in found}
    raise AssertionError(f"no operation {op_id}")


def parameter_problems(spec: Spec, facts: Facts) -> list[str]:
    problems = []
    for op_id, fact_op in facts.operations.items():
        path, op, found = operation(spec, op_id)
        if (op["method"].upper(), path) != (fact_op.method, fact_op.path):
            problems.append(f"{op_id}: {op['method'].upper()} {path} != {fact_op.method} {fact_op.path}")
        for location, facts_here in (("path", fact_op.path_parameters), ("query", fact_op.query_parameters)):
            ours = {n for n, p in found.items() if p["in"] == location}
            if ours != set(facts_here):
                problems.append(f"{op_id}: {location} parameters {sorted(ours)} != {sorted(facts_here)}")
            for name, fact in facts_here.items():
                if name not in found:
                    continue
                param, where = found[name], f"{op_id} {location} parameter {name}"
                if fact.mandatory is not None and bool(param.get("required")) != fact.mandatory:
                    problems.append(f"{where}: required is {param.get('required')}, provider says {fact.mandatory}")
                problems += filter(None, [type_problem(spec, where, param["schema"], fact)])
                problems += value_problems(spec, where, param["schema"], fact)
    return problems


def field_problems(spec: Spec, facts: Facts) -> list[str]:
    problems = []
    schemas = spec["components"]["schemas"]
    for name, obj in facts.objects.items():
        if name not in schemas:
            problems.append(f"no schema {name}")
            continue
        ours = set(schemas[name]["properties"])
        if missing := set(obj.fields) - ours:
            problems.append(f"{name}: fields {sorted(missing)} missing")
        if extra := ours - set(obj.fields) - OUR_EXTRA_FIELDS.get(name, set()):
            problems.append(f"{name}: fields {sorted(extra)} are not the provider's")
        for field_name, fact in obj.fields.items():
            if field_name not in ours:
                continue
            where, schema = f"{name}.{field_name}", schemas[name]["properties"][field_name]
            problems += filter(None, [type_problem(spec, where, schema, fact)])
            # A response field's default is the provider's wording for "0 when there is no
            # workspace"; the contract states it in the description, not as a JSON default.
            problems += value_problems(spec, where, schema, Field(**{**fact.__dict__, "has_default": False}))
    return problems


def error_code_problems(spec: Spec, facts: Facts) -> list[str]:
    """ModelArts codes in the spec vs the appendix, per status and per operation."""
    problems = []
    resolutions = spec["info"]["description"]
    for op_id in facts.operations:
        _, op, _ = operation(spec, op_id)
        for status, response in op["responses"].items():
            if not str(status).isdigit():
                continue
            answer = resolve(spec, response)
            examples = answer.get("content", {}).get("application/json", {}).get("examples", {})
            used = {str(resolve(spec, e).get("value", {}).get("error_code", "")) for e in examples.values()}
            named = set(MODELARTS_CODE.findall(answer.get("description", ""))) | used
            for code in sorted(c for c in used if MODELARTS_CODE.fullmatch(c)):
                if code in facts.not_listed_codes:
                    problems.append(f"{op_id} {status}: {code} is no longer in the provider's appendix")
                elif code not in facts.error_codes.get(int(status), set()) and code not in resolutions:
                    problems.append(f"{op_id} {status}: {code} is not listed under {status} and no resolution names it")
            # 404, 429 and 503: every code the appendix lists there, named in the examples or the
            # description (these are the statuses the issue asks to be complete).
            if int(status) in (404, 429, 503):
                for code in sorted(facts.error_codes[int(status)] - named):
                    problems.append(f"{op_id} {status}: the appendix lists {code}; the spec does not name it")
    return problems


def status_problems(spec: Spec, facts: Facts) -> list[str]:
    problems = []
    for op_id, fact_op in facts.operations.items():
        _, op, _ = operation(spec, op_id)
        ours = {int(s) for s in op["responses"] if str(s).isdigit()}
        if missing := fact_op.statuses - ours:
            problems.append(f"{op_id}: statuses {sorted(missing)} are not documented")
    return problems


def serialise_array(param: dict[str, Any], name: str, values: list[str]) -> str:
    """How OpenAPI serialises an array query parameter with the spec's style and explode."""
    style = param.get("style", "form")
    explode = param.get("explode", style == "form")
    assert style == "form", f"{name}: style {style} is not handled here"
    encoded = [quote(v, safe="") for v in values]
    return "&".join(f"{name}={v}" for v in encoded) if explode else f"{name}={'%2C'.join(encoded)}"


def array_encoding_problems(spec: Spec, facts: Facts) -> list[str]:
    """The spec's encoding of each array parameter must reproduce the provider's example requests."""
    problems = []
    for op_id, fact_op in facts.operations.items():
        _, _, found = operation(spec, op_id)
        arrays = [n for n, f in fact_op.query_parameters.items() if f.type == "Array"]
        for query in fact_op.example_queries:
            pairs = [part for part in query.split("&") if part.split("=", 1)[0] in arrays]
            for name in arrays:
                sent = [part for part in pairs if part.startswith(f"{name}=")]
                if not sent:
                    continue
                values = [v for raw in parse_qs("&".join(sent))[name] for v in raw.split(",")]
                ours = serialise_array(found[name], name, values)
                if ours != "&".join(sent):
                    problems.append(
                        f"{op_id} {name}: the spec sends {ours!r}, the provider's example {'&'.join(sent)!r}"
                    )
    return problems


def header_problems(spec: Spec, facts: Facts) -> list[str]:
    """A response header the provider does not document may be read, never required."""
    problems = []
    for op_id in facts.operations:
        _, op, _ = operation(spec, op_id)
        for status, response in op["responses"].items():
            for name, header in resolve(spec, response).get("headers", {}).items():
                if name not in facts.response_headers and resolve(spec, header).get("required"):
                    problems.append(f"{op_id} {status}: header {name} is required; the provider does not document it")
    return problems


def section_problems(spec: Spec, facts: Facts) -> list[str]:
    """Where the provider files the calls, said in info.description for reviewers."""
    words = " ".join(spec["info"]["description"].split())
    problems = []
    for op in facts.operations.values():
        for level in facts.pages[op.page]["section"]:
            if level not in words:
                problems.append(f"info.description does not say {op.operation_id} is filed under {level!r}")
    return problems


CHECKS = {
    "parameters": parameter_problems,
    "fields": field_problems,
    "statuses": status_problems,
    "error_codes": error_code_problems,
    "array_encoding": array_encoding_problems,
    "headers": header_problems,
    "section": section_problems,
}


# --- the tests ---------------------------------------------------------------------------


@pytest.mark.parametrize("check", list(CHECKS))
def test_spec_follows_the_provider(spec: Spec, check: str) -> None:
    problems = CHECKS[check](spec, FACTS)
    assert not problems, "\n".join(problems)


def test_facts_cover_both_operations_and_every_table() -> None:
    # The facts file itself: both calls, their response tables, every code status we document.
    assert set(FACTS.operations) == {"ListProcessorTasks", "DescribeProcessorTask"}
    referenced = {f.type.removeprefix("Array of ") for o in FACTS.objects.values() for f in o.fields.values()}
    assert {op.response for op in FACTS.operations.values()} | (
        referenced - set(provider_facts.PRIMITIVE_TYPES)
    ) == set(FACTS.objects)
    assert {400, 401, 403, 404, 429, 503} <= set(FACTS.error_codes)
    assert FACTS.revision == FACTS.pages["list"]["revision"] == FACTS.pages["errors"]["revision"]


def test_facts_refuse_an_unknown_page_or_type() -> None:
    raw = yaml.safe_load(PROVIDER_FACTS.read_text(encoding="utf-8"))
    bad_page = copy.deepcopy(raw)
    bad_page["objects"]["WorkPath"]["page"] = "nowhere"
    with pytest.raises(ValueError, match="nowhere"):
        provider_facts.parse(bad_page)
    bad_type = copy.deepcopy(raw)
    bad_type["objects"]["WorkPath"]["fields"]["name"]["type"] = "Strnig"
    with pytest.raises(ValueError, match="Strnig"):
        provider_facts.parse(bad_type)
    no_revision = copy.deepcopy(raw)
    del no_revision["pages"]["errors"]["revision"]
    with pytest.raises(ValueError, match="revision"):
        provider_facts.parse(no_revision)


def _mutated(spec: Spec, change: str) -> Spec:
    broken = copy.deepcopy(spec)
    schemas = broken["components"]["schemas"]
    list_op = broken["paths"]["/v2/{project_id}/processor-tasks"]["get"]
    params = {p.get("name"): p for p in list_op["parameters"]}
    if change == "limit-maximum":
        params["limit"]["schema"]["maximum"] = 1000
    elif change == "order-default":
        params["order"]["schema"]["default"] = "asc"
    elif change == "enum-value":
        schemas["SortBy"]["enum"] = ["create_time", "name"]
    elif change == "field-type":
        schemas["DescribeProcessorTaskResp"]["properties"]["create_time"]["format"] = "int32"
    elif change == "field-missing":
        del schemas["WorkPath"]["properties"]["output_path"]
    elif change == "status-missing":
        del list_op["responses"]["403"]
    elif change == "unlisted-code":
        list_op["responses"]["400"] = {
            "description": "x",
            "content": {"application/json": {"examples": {"x": {"value": {"error_code": "ModelArts.9999"}}}}},
        }
    elif change == "array-explode-flipped":
        params["version_id"]["explode"] = not params["version_id"].get("explode", True)
    elif change == "header-required":
        list_op["responses"]["200"].setdefault("headers", {})["X-Trace"] = {"required": True, "schema": {}}
    return broken


@pytest.mark.parametrize(
    ("change", "check"),
    [
        ("limit-maximum", "parameters"),
        ("order-default", "parameters"),
        ("enum-value", "parameters"),
        ("field-type", "fields"),
        ("field-missing", "fields"),
        ("status-missing", "statuses"),
        ("unlisted-code", "error_codes"),
        ("array-explode-flipped", "array_encoding"),
        ("header-required", "headers"),
    ],
)
def test_the_comparisons_bite(spec: Spec, change: str, check: str) -> None:
    # One wrong value in a copy of the spec must be reported. Flipping `explode` turns a
    # passing encoding into a failing one or the other way round: either way the answer changes.
    before = CHECKS[check](spec, FACTS)
    after = CHECKS[check](_mutated(spec, change), FACTS)
    assert before != after, f"{change} went unnoticed by {check}"
    if change != "array-explode-flipped":
        assert len(after) > len(before)
