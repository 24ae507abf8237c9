"""Loading the OpenAPI contract and turning its schemas into JSON Schema validators.

The mock never restates a type, enum, range or default that the spec already holds: the
request validator and the fixture validator both read them from the document loaded here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:processor-tasks-spec"

_INT_FORMAT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


class SpecError(ValueError):
    """The spec cannot be loaded or lacks something the mock relies on."""


@dataclass(frozen=True)
class Spec:
    """A loaded contract: the parsed document, its YAML text, and a ``$ref`` registry."""

    document: dict[str, Any]
    yaml_text: str
    registry: Registry[Any]

    @property
    def json_text(self) -> str:
        """The document serialised as JSON, for ``GET /openapi.json``."""
        return json.dumps(self.document, ensure_ascii=False)

    def resolve(self, node: Any) -> Any:
        """Follow local ``$ref`` chains until ``node`` is not a bare reference."""
        seen: set[str] = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/") or ref in seen:
                raise SpecError(f"unsupported or cyclic $ref {ref!r}")
            seen.add(ref)
            node = self.pointer(ref)
        return node

    def pointer(self, ref: str) -> Any:
        """The node a local reference like ``#/components/schemas/X`` names."""
        node: Any = self.document
        for escaped in ref[2:].split("/"):
            part = escaped.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            else:
                raise SpecError(f"$ref {ref!r} points nowhere")
        return node

    def validator(self, schema: Any) -> Draft202012Validator:
        """A validator for a schema taken from the spec, whose ``$ref``s point into the spec."""
        # Local refs inside ``schema`` are relative to the whole document, so validate through
        # a wrapper that carries the spec's URI as its base.
        wrapper = {"allOf": [_rebase(schema)]}
        return Draft202012Validator(wrapper, registry=self.registry, format_checker=format_checker())

    def schema_validator(self, name: str) -> Draft202012Validator:
        """A validator for ``#/components/schemas/<name>``."""
        self.pointer(f"#/components/schemas/{name}")
        return self.validator({"$ref": f"#/components/schemas/{name}"})

    def operation(self, operation_id: str) -> tuple[str, str, dict[str, Any], list[Any]]:
        """(path, method, operation, path-level parameters) of the operation with this id."""
        for path, item in self.document.get("paths", {}).items():
            for method, op in item.items():
                if isinstance(op, dict) and op.get("operationId") == operation_id:
                    return path, method, op, list(item.get("parameters", []))
        raise SpecError(f"the spec has no operation {operation_id!r}")


def _rebase(node: Any) -> Any:
    # Turns "#/components/..." into "urn:processor-tasks-spec#/components/..." so the registry
    # resolves it against the spec document rather than against the wrapper schema.
    if isinstance(node, dict):
        return {
            key: (
                SPEC_URI + value
                if key == "$ref" and isinstance(value, str) and value.startswith("#")
                else _rebase(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rebase(item) for item in node]
    return node


def format_checker() -> FormatChecker:
    """JSON Schema format checker that also enforces the OpenAPI integer formats."""
    checker = FormatChecker()
    for name, (low, high) in _INT_FORMAT_RANGES.items():

        def check(instance: object, low: int = low, high: int = high) -> bool:
            if isinstance(instance, bool) or not isinstance(instance, (int, float)):
                return True
            return low <= instance <= high

        checker.checks(name)(check)
    return checker


def load_spec(path: Path) -> Spec:
    """Read and parse the contract at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read the spec {path}: {exc}") from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"the spec {path} is not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or "paths" not in document:
        raise SpecError(f"the spec {path} has no paths")
    # JSON round trip: YAML may hold dates or non-string keys that JSON (and the JSON
    # endpoint) cannot carry.
    document = json.loads(json.dumps(document, default=str))
    resource: Resource[Any] = Resource.from_contents(document, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
    return Spec(document=document, yaml_text=text, registry=registry)
