"""What the templates need from the spec that openapi-python-client does not hand them.

openapi-python-client gives templates a parameter's type and default but drops its
description, enum meanings and range. This module reads them from the spec and
`regenerate.py` renders them into a data template (``spec_data.jinja``) that the docstring
macros, the command line module and the package README import, so every one of them says
what the contract says, in the same words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import spec_rules

_SPACE = re.compile(r"\s+")


def _flat(text: str | None) -> str:
    # YAML block scalars keep their line breaks; a docstring re-wraps the text itself.
    return _SPACE.sub(" ", text or "").strip()


def _schema(spec: Mapping[str, Any], node: Any) -> dict[str, Any]:
    """The parameter schema with $ref and a single-member allOf merged in (outer keys win).

    ``x-ref`` names the component schema it came from, which is the generated model's name.
    """
    ref = node.get("$ref") if isinstance(node, Mapping) else None
    schema: dict[str, Any] = dict(spec_rules.resolve(spec, node))
    all_of = schema.pop("allOf", None)
    if isinstance(all_of, list) and len(all_of) == 1:
        schema = {**_schema(spec, all_of[0]), **schema}
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        schema["x-ref"] = ref.rsplit("/", 1)[1]
    return schema


def _value(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


def parameter_entry(spec: Mapping[str, Any], parameter: Mapping[str, Any]) -> dict[str, Any]:
    """Everything a docstring, help text or table says about one parameter."""
    schema = _schema(spec, parameter.get("schema", {}))
    array = schema.get("type") == "array"
    values_schema = _schema(spec, schema["items"]) if array else schema
    entry: dict[str, Any] = {
        "name": parameter["name"],
        "in": parameter["in"],
        "required": bool(parameter.get("required", False)),
        "description": _flat(parameter.get("description")),
        "type": values_schema.get("type", "string"),
        "array": array,
    }
    if "enum" in values_schema:
        names = values_schema.get("x-enum-varnames", [])
        entry["enum"] = [_value(v) for v in values_schema["enum"]]
        entry["enum_names"] = list(names) if len(names) == len(values_schema["enum"]) else []
        if "x-ref" in values_schema:
            entry["model"] = values_schema["x-ref"]
    for key in ("minimum", "maximum", "minLength"):
        if key in values_schema:
            entry[key] = values_schema[key]
    if "default" in schema:
        entry["default"] = _value(schema["default"])
    entry["doc"] = parameter_doc(entry)
    return entry


def parameter_doc(entry: Mapping[str, Any]) -> str:
    """One paragraph: the description, then the allowed values, the range and the default."""
    parts = [entry["description"]] if entry["description"] else []
    if "enum" in entry:
        names = entry.get("enum_names") or []
        if names:
            shown = [f"`{v}` ({n})" for v, n in zip(entry["enum"], names, strict=True)]
        else:
            shown = [f"`{v}`" for v in entry["enum"]]
        parts.append(("Each one of: " if entry["array"] else "One of: ") + ", ".join(shown) + ".")
    low, high = entry.get("minimum"), entry.get("maximum")
    if low is not None and high is not None:
        parts.append(f"From {low} to {high}.")
    elif low is not None:
        parts.append(f"At least {low}.")
    elif high is not None:
        parts.append(f"At most {high}.")
    if entry.get("minLength"):
        parts.append(f"At least {entry['minLength']} character{'s' if entry['minLength'] != 1 else ''}.")
    if "default" in entry:
        parts.append(f"Default: `{entry['default']}`.")
    elif entry["required"]:
        parts.append("Required.")
    return " ".join(parts)


def operations(spec: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per operation, keyed like x_pagination.jinja ("get /v2/..."): summary and parameters."""
    result: dict[str, dict[str, Any]] = {}
    for path, method, op in spec_rules.operations(spec):
        shared = spec["paths"][path].get("parameters", [])
        merged: dict[tuple[str, str], Any] = {}
        for raw in [*shared, *op.get("parameters", [])]:
            parameter = spec_rules.resolve(spec, raw)
            merged[(parameter["name"], parameter["in"])] = parameter
        result[f"{method} {path}"] = {
            "operation_id": op["operationId"],
            "summary": _flat(op.get("summary")),
            # Line breaks kept: the command line's help wraps it paragraph by paragraph and
            # keeps its `- ` lists (generator/runtime/cli.py, _HelpFormatter).
            "description": (op.get("description") or "").strip(),
            "parameters": {name: parameter_entry(spec, p) for (name, _), p in merged.items()},
        }
    return result


def env_names(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Spec facts the README quotes: title, version, servers, security schemes."""
    info = spec.get("info", {})
    servers = [{"url": s["url"], "description": _flat(s.get("description"))} for s in spec.get("servers", [])]
    schemes = {
        name: {"name": s.get("name", ""), "in": s.get("in", ""), "description": _flat(s.get("description"))}
        for name, s in spec.get("components", {}).get("securitySchemes", {}).items()
    }
    return {"title": info.get("title", ""), "version": info.get("version", ""), "servers": servers, "schemes": schemes}


def endpoint(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The first server whose URL is a template: its URL, the variables that become client
    arguments, and per variable the values the client accepts (``enum``), the documented ``default``, the environment variable that
    sets it (``x-environment-variable``, or none) and the description. ``{}`` when no
    server has variables (the client then needs a ``base_url``)."""
    for server in spec.get("servers", []):
        variables = server.get("variables") or {}
        if variables:
            return {
                "url": server["url"],
                # Only a variable with an enum becomes a client argument (region=): its values
                # are the contract's promise, and `make diff` guards them.
                "arguments": [name for name, var in variables.items() if var.get("enum")],
                "variables": {
                    name: {
                        "default": str(var["default"]),
                        "enum": [str(v) for v in var.get("enum", [])],
                        "env": var.get("x-environment-variable", ""),
                        "description": _flat(var.get("description")),
                    }
                    for name, var in variables.items()
                },
            }
    return {}


def template(spec: Mapping[str, Any]) -> str:
    """The data template: Jinja `set` statements whose values are JSON literals (no nulls)."""
    return (
        "{% set operations = " + json.dumps(operations(spec), sort_keys=True) + " %}\n"
        "{% set api = " + json.dumps(env_names(spec), sort_keys=True) + " %}\n"
        "{% set endpoint = " + json.dumps(endpoint(spec), sort_keys=True) + " %}\n"
    )
