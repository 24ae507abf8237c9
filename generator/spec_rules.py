"""Our own rules for the spec, on top of OpenAPI validity.

Each rule yields :class:`Finding` objects that name the spot with a JSON pointer, so a
broken spec fails ``make`` with a message a reviewer can act on. The test suite runs the
same rules (tests/spec/).

One home per rule. This module owns what the generated client, its runtime or the mock rely
on, so that ``make`` (which needs no Node) refuses a spec that would break them: references,
descriptions (they become docstrings), operationIds and one tag (module names), one JSON
success model, the error shape and ``X-Request-Id`` the client's errors read, JSON answers
only, valid examples, open objects, ``x-pagination``, ``x-waiters``. Redocly (``make lint``, redocly.yaml)
owns style and review conventions. The Redocly rules that would check the same things are
turned off there; ``REDOCLY_RULES_OWNED_HERE`` lists them and tests/review/test_lint.py holds
redocly.yaml to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard
from urllib.parse import quote

import jsonschema
import referencing
import referencing.exceptions
from referencing.jsonschema import DRAFT202012

ERROR_SCHEMA = "#/components/schemas/ErrorResponse"
REQUEST_ID_HEADER = "X-Request-Id"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_SPEC_URI = "urn:processor-tasks-spec"
JSON_MEDIA_TYPE = "application/json"

# Redocly rule -> the check here (or the validator in regenerate.py) that owns what it checks.
REDOCLY_RULES_OWNED_HERE: dict[str, str] = {
    "struct": "openapi-spec-validator (generator/regenerate.py)",
    "no-unresolved-refs": "check_references",
    "operation-operationId": "check_descriptions",
    "operation-summary": "check_descriptions",
    "operation-description": "check_descriptions",
    "parameter-description": "check_descriptions",
    "operation-singular-tag": "check_descriptions",
    "operation-2xx-response": "check_responses",
    "response-contains-header": "check_responses",
    "response-mime-type": "check_responses",
    "no-invalid-media-type-examples": "check_examples",
    "no-invalid-schema-examples": "check_examples",
    "no-invalid-parameter-examples": "check_examples",
}


@dataclass(frozen=True)
class Finding:
    """One rule violation at one place in the spec."""

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    """JSON pointer for a path of keys."""
    return "".join("/" + _escape(str(t)) for t in tokens)


def resolve(spec: Mapping[str, Any], node: Any) -> Any:
    """Follow local ``$ref`` chains (``#/...``) until a non-reference node."""
    seen: set[str] = set()
    while isinstance(node, Mapping) and "$ref" in node and len(node) == 1:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/") or ref in seen:
            return node
        seen.add(ref)
        target: Any = spec
        for raw in ref[2:].split("/"):
            target = target[raw.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def operations(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """Every (path, method, operation) in the spec."""
    for path, item in spec.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


class _ExampleValidator:
    """Validates a value against the schema found at a JSON pointer of the spec."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        resource = referencing.Resource.from_contents(dict(spec), default_specification=DRAFT202012)
        self._registry: referencing.Registry[Any] = referencing.Registry().with_resource(_SPEC_URI, resource)

    def errors(self, schema_pointer: str, value: Any) -> list[str]:
        schema = {"$ref": f"{_SPEC_URI}#{quote(schema_pointer, safe='/~')}"}
        validator = jsonschema.Draft202012Validator(schema, registry=self._registry)
        try:
            return [
                f"{'/'.join(str(p) for p in err.absolute_path) or '(root)'}: {err.message}"
                for err in validator.iter_errors(value)
            ]
        except referencing.exceptions.Unresolvable as exc:
            # Reported with its location by check_references; no need to crash here.
            return [f"schema cannot be resolved ({exc})"]


def _described(node: Mapping[str, Any]) -> bool:
    return bool(str(node.get("description", "")).strip())


def _refs(node: Any, where: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield where, ref
        for key, value in node.items():
            yield from _refs(value, (*where, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _refs(value, (*where, i))


def check_references(spec: Mapping[str, Any]) -> Iterator[Finding]:
    """Every ``$ref`` points at something in this file (the generator cannot follow others)."""
    for where, ref in _refs(spec, ()):
        if not ref.startswith("#/"):
            yield Finding(pointer(*where), f"external reference {ref!r}; keep the contract in one file")
            continue
        target: Any = spec
        for raw in ref[2:].split("/"):
            key = raw.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, Mapping) or key not in target:
                yield Finding(pointer(*where), f"reference {ref!r} does not resolve")
                break
            target = target[key]


def check_descriptions(spec: Mapping[str, Any]) -> Iterator[Finding]:
    """Every operation, parameter and schema property carries a description."""
    for path, method, op in operations(spec):
        where = ("paths", path, method)
        for key in ("operationId", "summary", "description"):
            if not str(op.get(key, "")).strip():
                yield Finding(pointer(*where), f"operation has no {key}")
        tags = op.get("tags") or []
        if len(tags) != 1:
            # The generator files an operation under its first tag only (the api.<tag> package).
            yield Finding(pointer(*where), f"operation needs exactly one tag (the generated package), has {tags}")
    for path, item in spec.get("paths", {}).items():
        groups: list[tuple[tuple[str, ...], Any]] = [(("paths", path), item.get("parameters", []))]
        groups += [(("paths", path, m), item[m].get("parameters", [])) for m in HTTP_METHODS if m in item]
        for group, params in groups:
            for i, param in enumerate(params):
                if not _described(resolve(spec, param)):
                    yield Finding(pointer(*group, "parameters", i), "parameter has no description")
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        if not _described(schema):
            yield Finding(pointer("components", "schemas", name), "schema has no description")
        for prop, sub in schema.get("properties", {}).items():
            if not _described(sub):
                yield Finding(pointer("components", "schemas", name, "properties", prop), "property has no description")


def check_responses(spec: Mapping[str, Any]) -> Iterator[Finding]:
    """One JSON success model per operation; errors (4xx and 5xx) use ErrorResponse; answers are
    JSON only; every answer declares X-Request-Id (the client's errors carry it)."""
    for path, method, op in operations(spec):
        where = ("paths", path, method, "responses")
        responses = op.get("responses", {})
        successes = [code for code in responses if str(code).startswith("2")]
        if len(successes) != 1:
            yield Finding(pointer(*where), f"expected exactly one 2xx response, found {successes}")
        for code, raw in responses.items():
            response = resolve(spec, raw)
            spot = pointer(*where, code)
            if REQUEST_ID_HEADER not in response.get("headers", {}):
                yield Finding(spot, f"response does not declare the {REQUEST_ID_HEADER} header")
            for media in response.get("content", {}):
                if media != JSON_MEDIA_TYPE:
                    yield Finding(spot, f"media type {media!r}: the provider answers {JSON_MEDIA_TYPE} only")
            schema = response.get("content", {}).get(JSON_MEDIA_TYPE, {}).get("schema")
            if schema is None:
                yield Finding(spot, "response has no application/json schema")
                continue
            ref = schema.get("$ref")
            if str(code).startswith("2"):
                if not (isinstance(ref, str) and ref.startswith("#/components/schemas/")):
                    yield Finding(spot, "success schema must be a $ref to a component (it becomes a model)")
            elif ref != ERROR_SCHEMA:
                yield Finding(spot, f"error response must use {ERROR_SCHEMA}")


def _media_examples(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(where, schema pointer, value) for every example attached to a response body."""
    seen: set[str] = set()
    response_sites: list[tuple[tuple[str, ...], Any]] = []
    for path, method, op in operations(spec):
        for code, raw in op.get("responses", {}).items():
            response_sites.append((("paths", path, method, "responses", str(code)), raw))
    for where, raw in response_sites:
        base = where
        if isinstance(raw, Mapping) and "$ref" in raw:
            base = tuple(raw["$ref"][2:].split("/"))
            if raw["$ref"] in seen:
                continue
            seen.add(raw["$ref"])
        response = resolve(spec, raw)
        for media, content in response.get("content", {}).items():
            schema_ptr = pointer(*base, "content", media, "schema")
            if "example" in content:
                yield pointer(*base, "content", media, "example"), schema_ptr, content["example"]
            for name, ex in content.get("examples", {}).items():
                value = resolve(spec, ex).get("value")
                yield pointer(*base, "content", media, "examples", name), schema_ptr, value


def check_examples(spec: Mapping[str, Any]) -> Iterator[Finding]:
    """Every example (bodies, parameters, headers, schema `examples`) validates against its schema."""
    validator = _ExampleValidator(spec)
    for where, schema_ptr, value in _media_examples(spec):
        for err in validator.errors(schema_ptr, value):
            yield Finding(where, f"example does not validate: {err}")
    for path, item in spec.get("paths", {}).items():
        groups = [("paths", path)] + [("paths", path, m) for m in HTTP_METHODS if m in item]
        for group in groups:
            node: Any = spec
            for key in group:
                node = node[key]
            for i, raw in enumerate(node.get("parameters", [])):
                if "$ref" in raw:
                    continue  # checked once, under components
                if "example" in raw:
                    for err in validator.errors(pointer(*group, "parameters", i, "schema"), raw["example"]):
                        yield Finding(pointer(*group, "parameters", i, "example"), f"example does not validate: {err}")
    components = spec.get("components", {})
    for kind in ("parameters", "headers"):
        for name, node in components.get(kind, {}).items():
            if "example" in node:
                for err in validator.errors(pointer("components", kind, name, "schema"), node["example"]):
                    yield Finding(pointer("components", kind, name, "example"), f"example does not validate: {err}")
    for name, schema in components.get("schemas", {}).items():
        for prop, sub in schema.get("properties", {}).items():
            for i, value in enumerate(sub.get("examples", [])):
                spot = pointer("components", "schemas", name, "properties", prop)
                for err in validator.errors(spot, value):
                    yield Finding(f"{spot}/examples/{i}", f"example does not validate: {err}")


def check_pagination(spec: Mapping[str, Any]) -> Iterator[Finding]:
    """An ``x-pagination`` extension names real parameters and response fields."""
    for path, method, op in operations(spec):
        paging = op.get("x-pagination")
        if paging is None:
            continue
        spot = pointer("paths", path, method, "x-pagination")
        names = {resolve(spec, p).get("name") for p in op.get("parameters", [])}
        for key in ("limit-param", "page-param"):
            if paging.get(key) not in names:
                yield Finding(spot, f"{key} {paging.get(key)!r} is not a parameter of the operation")
        # The generator renders these values into a template: strings, and an integer page.
        for key in ("items", "total", "limit-param", "page-param"):
            if not isinstance(paging.get(key), str):
                yield Finding(spot, f"{key} must be a string, got {paging.get(key)!r}")
        if not isinstance(paging.get("first-page"), int) or isinstance(paging.get("first-page"), bool):
            yield Finding(spot, f"first-page must be an integer, got {paging.get('first-page')!r}")
        if paging.get("style") != "page-index":
            yield Finding(spot, f"unsupported style {paging.get('style')!r} (the generator knows 'page-index')")
        ok = [c for c in op.get("responses", {}) if str(c).startswith("2")]
        if ok:
            body = resolve(spec, resolve(spec, op["responses"][ok[0]])["content"]["application/json"]["schema"])
            for key in ("items", "total"):
                if paging.get(key) not in body.get("properties", {}):
                    yield Finding(spot, f"{key} {paging.get(key)!r} is not a property of the success body")


# x-waiters: what a waiter may say, and the keys that hold numbers (seconds, or a factor).
WAITER_KEYS = frozenset(
    {
        "description",
        "field",
        "success",
        "failure",
        "pending",
        "error-field",
        "delay",
        "multiplier",
        "max-delay",
        "timeout",
    }
)
WAITER_STATE_KEYS = ("success", "failure", "pending")
WAITER_NAME = re.compile(r"^wait(_[a-z][a-z0-9]*)*$")


def _success_body(spec: Mapping[str, Any], op: Mapping[str, Any]) -> Mapping[str, Any]:
    ok = [c for c in op.get("responses", {}) if str(c).startswith("2")]
    if not ok:
        return {}
    response = resolve(spec, op["responses"][ok[0]])
    schema = response.get("content", {}).get(JSON_MEDIA_TYPE, {}).get("schema", {})
    body = resolve(spec, schema)
    return body if isinstance(body, Mapping) else {}


def enum_members(spec: Mapping[str, Any], schema: Any) -> dict[str, Any] | None:
    """Member name -> wire value of the enum a property holds (through $ref, anyOf, oneOf, allOf).

    Names are the schema's ``x-enum-varnames``, or the values themselves written as text.
    None when the property holds no enum.
    """
    node = resolve(spec, schema)
    if not isinstance(node, Mapping):
        return None
    if isinstance(node.get("enum"), list):
        values = node["enum"]
        names = node.get("x-enum-varnames")
        if not (isinstance(names, list) and len(names) == len(values)):
            names = [str(v) for v in values]
        return dict(zip((str(n) for n in names), values, strict=True))
    for combiner in ("anyOf", "oneOf", "allOf"):
        for member in node.get(combiner, []) or []:
            found = enum_members(spec, member)
            if found is not None:
                return found
    return None


def _enum_component(spec: Mapping[str, Any], schema: Any) -> str | None:
    if isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
        target = resolve(spec, schema)
        if isinstance(target, Mapping) and "enum" in target:
            return str(target.get("title") or schema["$ref"].rsplit("/", 1)[1])
    node = resolve(spec, schema)
    for combiner in ("anyOf", "oneOf", "allOf"):
        for member in (node.get(combiner, []) if isinstance(node, Mapping) else []) or []:
            found = _enum_component(spec, member)
            if found is not None:
                return found
    return None


def _positive(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def check_waiters(spec: Mapping[str, Any]) -> Iterator[Finding]:
    """An ``x-waiters`` extension names a real field, sorts each of its enum values into
    exactly one of success, failure and pending, and gives positive times."""
    for path, method, op in operations(spec):
        if "x-waiters" not in op:
            continue
        waiters = op["x-waiters"]
        base = ("paths", path, method, "x-waiters")
        if not isinstance(waiters, Mapping) or not waiters:
            yield Finding(pointer(*base), "must map waiter names to waiters")
            continue
        query = [p for p in (resolve(spec, raw) for raw in op.get("parameters", [])) if p.get("in") != "path"]
        if query:
            # The generated waiter passes the path parameters only.
            yield Finding(
                pointer(*base), f"a waited operation takes path parameters only, not {query[0].get('name')!r}"
            )
        properties = _success_body(spec, op).get("properties", {})
        for name, waiter in waiters.items():
            where = (*base, name)
            if not isinstance(name, str) or not WAITER_NAME.match(name):
                yield Finding(pointer(*where), f"waiter name {name!r} must be snake_case starting with 'wait'")
            if not isinstance(waiter, Mapping):
                yield Finding(pointer(*where), "must be a mapping")
                continue
            for key in sorted(set(waiter) - WAITER_KEYS, key=str):
                yield Finding(pointer(*where, key), f"unknown key (known: {', '.join(sorted(WAITER_KEYS))})")
            if not str(waiter.get("description", "")).strip():
                yield Finding(pointer(*where, "description"), "a waiter needs a description (it becomes docstrings)")
            for key in ("delay", "max-delay", "timeout"):
                if not _positive(waiter.get(key)):
                    yield Finding(
                        pointer(*where, key), f"must be a positive number of seconds, got {waiter.get(key)!r}"
                    )
            multiplier = waiter.get("multiplier")
            if not (_positive(multiplier) and multiplier >= 1):
                yield Finding(pointer(*where, "multiplier"), f"must be a number of at least 1, got {multiplier!r}")
            delay, cap = waiter.get("delay"), waiter.get("max-delay")
            if _positive(delay) and _positive(cap) and cap < delay:
                yield Finding(pointer(*where, "max-delay"), "must not be less than delay")
            error_field = waiter.get("error-field")
            if error_field is not None and error_field not in properties:
                yield Finding(pointer(*where, "error-field"), f"{error_field!r} is not a property of the success body")
            field = waiter.get("field")
            if not isinstance(field, str) or field not in properties:
                yield Finding(pointer(*where, "field"), f"{field!r} is not a property of the success body")
                continue
            members = enum_members(spec, properties[field])
            if members is None:
                yield Finding(pointer(*where, "field"), f"property {field!r} holds no enum to wait on")
                continue
            placed: dict[str, str] = {}
            for key in WAITER_STATE_KEYS:
                states = waiter.get(key)
                if not isinstance(states, list) or (key == "success" and not states):
                    yield Finding(
                        pointer(*where, key),
                        f"must be a list of {field} names{' (at least one)' if key == 'success' else ''}",
                    )
                    continue
                for i, state in enumerate(states):
                    if state not in members:
                        yield Finding(
                            pointer(*where, key, i),
                            f"{state!r} is not a value of {field} (known: {', '.join(members)})",
                        )
                    elif state in placed:
                        yield Finding(pointer(*where, key, i), f"{state!r} is already listed under {placed[state]}")
                    else:
                        placed[state] = key
            missing = [m for m in members if m not in placed]
            if missing:
                yield Finding(
                    pointer(*where),
                    f"every value of {field} must be success, failure or pending; not placed: {', '.join(missing)}",
                )


def waiters_of(spec: Mapping[str, Any], op: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The operation's checked waiters, each state list as (name, wire value) pairs, for the generator."""
    properties = _success_body(spec, op).get("properties", {})
    found: dict[str, dict[str, Any]] = {}
    for name, waiter in (op.get("x-waiters") or {}).items():
        members = enum_members(spec, properties[waiter["field"]]) or {}
        entry = {key: waiter[key] for key in ("field", "delay", "multiplier", "max-delay", "timeout")}
        entry["description"] = " ".join(str(waiter["description"]).split())
        entry["error-field"] = waiter.get("error-field")
        for key in WAITER_STATE_KEYS:
            entry[key] = [[state, members[state]] for state in waiter[key]]
        # The generated enum class of the field, for type hints; the component's name is the class's.
        entry["enum-class"] = _enum_component(spec, properties[waiter["field"]])
        found[name] = entry
    return found


def _closed_objects(node: Any, where: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
    if isinstance(node, Mapping):
        if node.get("additionalProperties") is False:
            yield where
        for key, value in node.items():
            if key not in ("example", "examples"):  # example values are data, not schemas
                yield from _closed_objects(value, (*where, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _closed_objects(value, (*where, i))


def check_open_objects(spec: Mapping[str, Any]) -> Iterator[Finding]:
    """No schema closes its object (``additionalProperties: false``): the client keeps fields
    the server adds later, which is the compatibility promise in info.description."""
    for where in _closed_objects(spec.get("components", {}).get("schemas", {}), ("components", "schemas")):
        yield Finding(pointer(*where), "additionalProperties: false closes the object; leave it out or set true")
    for where in _closed_objects(spec.get("paths", {}), ("paths",)):
        yield Finding(pointer(*where), "additionalProperties: false closes the object; leave it out or set true")


RULES = (
    check_references,
    check_descriptions,
    check_responses,
    check_examples,
    check_pagination,
    check_waiters,
    check_open_objects,
)


def check(spec: Mapping[str, Any]) -> list[Finding]:
    """Run every rule; an empty list means the spec passes."""
    return [finding for rule in RULES for finding in rule(spec)]
