"""Breaking-change report between two versions of the OpenAPI contract (`make diff`).

No tool on the registries reachable here does this for OpenAPI 3.1 with the direction
rules below (openapi-diff on npm refuses 3.1; oasdiff is a Go binary, packaged for
neither npm nor PyPI; @useoptic/optic brings analytics and error-reporting clients with
it), so this walks the two parsed specs itself.

Who can break is the client: code written against, or generated from, the old contract.
The provider's server is described, not changed, by an edit of the contract, so a
response description can break clients in both directions. The rules
(openapi/CHANGELOG.md repeats them for reviewers):

Requests (parameters, bodies) break when they accept less than before: a removed or
newly required parameter, a removed type, a removed enum value or a closed enum, a
raised minimum or lowered maximum (and the same for lengths and item counts), a new or
changed pattern or format, a changed default or serialization. Widening a request is
an addition.

Responses break when they change what a client may rely on or must handle: a removed
status (2xx), media type, header or property; a property that stops being required
(old clients rely on it) or starts being required (new clients would reject the
provider's answers that omit it); any change to a property's types (adding `null`
breaks old clients, removing it breaks the promise that optional fields may be null);
a removed enum value (generated enum members disappear); a value added to a closed
enum; an open enum closed or a closed one opened; any change to a bound, pattern,
format or to `additionalProperties`. Additions are not breaking: new operations,
optional parameters, response properties, statuses and values of open enums (an enum
is open when the field's `anyOf` also admits a plain value of the enum's type).

Names the generated client exposes: a removed operation, a changed operationId (the
generated method's name) and a removed component schema (a generated model class) break.

Security: a removed security requirement alternative (top-level or an operation's own
`security`; an alternative is one object of the list, its schemes and scopes together)
breaks the clients that authenticate that way, unless anonymous access (`{}`) is now
allowed; a removed security scheme or a changed `type`, `in`, `name`, `scheme`,
`openIdConnectUrl` or OAuth flow breaks too. A new alternative or scheme does not.

Paging: the operation extension `x-pagination` is what the generated client's paging
helpers are built from, so any change to it other than its `description` (style, items,
total, limit-param, page-param, first-page, ...) or its removal breaks; adding it to an
operation that had none does not.

Servers: a changed, removed or added server URL (or a server variable's default or enum)
is listed as informational, not breaking: clients configure their base URL.

A breaking change is acknowledged by a line `Breaking: <change id>` in the section of
openapi/CHANGELOG.md headed with the working tree's `info.version` (`## 1.1.0`), and
acknowledged breaking changes need a major version bump over the base.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

Direction = Literal["request", "response"]
JSON = Any

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
BOUND_KEYWORDS = {
    # keyword: "lower" bounds narrow when raised, "upper" bounds narrow when lowered.
    "minimum": "lower",
    "exclusiveMinimum": "lower",
    "minLength": "lower",
    "minItems": "lower",
    "minProperties": "lower",
    "maximum": "upper",
    "exclusiveMaximum": "upper",
    "maxLength": "upper",
    "maxItems": "upper",
    "maxProperties": "upper",
}
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
ACK_LINE = re.compile(r"^\s*[-*]?\s*Breaking:\s*(?P<id>.+?)\s*$")
VERSION_HEADING = re.compile(r"^##\s+\[?(?P<version>[^\]\s]+)\]?")


@dataclass(frozen=True)
class Change:
    """One difference between the specs; `id` is what a changelog line acknowledges."""

    rule: str
    location: str
    breaking: bool
    detail: str
    informational: bool = False  # not breaking, but a reviewer should look (servers)

    @property
    def id(self) -> str:
        return f"{self.rule} {self.location}"


@dataclass
class Report:
    changes: list[Change] = field(default_factory=list)

    def add(self, rule: str, location: str, breaking: bool, detail: str, informational: bool = False) -> None:
        self.changes.append(Change(rule, location, breaking, detail, informational))

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.breaking]


class Spec:
    """A parsed spec with local `$ref` resolution."""

    def __init__(self, document: Mapping[str, JSON]) -> None:
        self.document = document

    def resolve(self, node: JSON) -> JSON:
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref: str = node["$ref"]
            if ref in seen or not ref.startswith("#/"):
                raise ValueError(f"unresolvable or cyclic $ref {ref!r}")
            seen.add(ref)
            target: JSON = self.document
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node


def semver(version: str) -> tuple[int, int, int]:
    match = SEMVER.match(version)
    if match is None:
        raise ValueError(f"info.version {version!r} is not semver (MAJOR.MINOR.PATCH)")
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


# --- schema view -------------------------------------------------------------------


@dataclass
class View:
    """What one schema (with its allOf merged and anyOf/oneOf branches united) admits."""

    types: frozenset[str] | None  # None: any type
    named_values: frozenset[str]  # every value an `enum`/`const` lists (as JSON text)
    enum_open: bool  # a value outside named_values is admitted
    properties: dict[str, JSON]
    required: frozenset[str]
    additional: JSON  # additionalProperties as written, None when absent
    items: JSON  # array items schema, None when absent
    keywords: dict[str, JSON]  # bounds, pattern, format


def _types_of(schema: Mapping[str, JSON]) -> frozenset[str] | None:
    declared = schema.get("type")
    if isinstance(declared, str):
        return frozenset({declared})
    if isinstance(declared, list):
        return frozenset(str(t) for t in declared)
    if "enum" in schema:
        return frozenset(_json_type(v) for v in schema["enum"])
    if "const" in schema:
        return frozenset({_json_type(schema["const"])})
    if "properties" in schema or "additionalProperties" in schema:
        return frozenset({"object"})
    if "items" in schema:
        return frozenset({"array"})
    return None


def _json_type(value: JSON) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _value_key(value: JSON) -> str:
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def _merge_all_of(spec: Spec, schema: Mapping[str, JSON]) -> dict[str, JSON]:
    merged: dict[str, JSON] = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema.get("allOf", []):
        resolved = _merge_all_of(spec, spec.resolve(part))
        for key, value in resolved.items():
            if key == "properties":
                merged["properties"] = {**value, **merged.get("properties", {})}
            elif key == "required":
                merged["required"] = sorted(set(value) | set(merged.get("required", [])))
            else:
                merged.setdefault(key, value)
    return merged


def view(spec: Spec, node: JSON) -> View:
    schema = _merge_all_of(spec, spec.resolve(node)) if isinstance(node, Mapping) else {}
    branches = [view(spec, b) for b in schema.get("anyOf", []) + schema.get("oneOf", [])]
    own_types = _types_of({k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")})
    named: set[str] = set()
    if "enum" in schema:
        named |= {_value_key(v) for v in schema["enum"]}
    if "const" in schema:
        named.add(_value_key(schema["const"]))
    own_open = not ("enum" in schema or "const" in schema)
    if not branches:
        return View(
            types=own_types,
            named_values=frozenset(named),
            enum_open=own_open,
            properties=dict(schema.get("properties", {})),
            required=frozenset(schema.get("required", [])),
            additional=schema.get("additionalProperties"),
            items=schema.get("items"),
            keywords={k: schema[k] for k in (*BOUND_KEYWORDS, "pattern", "format") if k in schema},
        )
    # A union: types and named values add up; the enum is open when a branch other than a
    # bare null admits values it does not name.
    types: set[str] | None = set()
    enum_open = False
    properties: dict[str, JSON] = {}
    required: set[str] | None = None
    additional: JSON = None
    items: JSON = None
    keywords: dict[str, JSON] = {}
    for branch in branches:
        if branch.types is None or types is None:
            types = None
        else:
            types |= branch.types
        named |= branch.named_values
        if branch.enum_open and branch.types != frozenset({"null"}):
            enum_open = True
        if branch.types is None or "object" in branch.types:
            properties.update(branch.properties)
            required = set(branch.required) if required is None else required & branch.required
            additional = branch.additional if additional is None else additional
        items = branch.items if items is None else items
        for key, value in branch.keywords.items():
            keywords.setdefault(key, value)
    if own_types is not None and types is not None:
        types &= own_types
    return View(
        types=None if types is None else frozenset(types),
        named_values=frozenset(named),
        enum_open=enum_open and own_open,
        properties=properties,
        required=frozenset(required or ()),
        additional=additional,
        items=items,
        keywords=keywords,
    )


# --- comparisons ---------------------------------------------------------------------


def _fmt_types(types: frozenset[str] | None) -> str:
    return "any" if types is None else "|".join(sorted(types))


def compare_schemas(
    old_spec: Spec,
    new_spec: Spec,
    old: JSON,
    new: JSON,
    direction: Direction,
    where: str,
    report: Report,
    depth: int = 0,
) -> None:
    if depth > 32:  # recursive schemas: compare a bounded depth
        return
    a, b = view(old_spec, old), view(new_spec, new)
    narrowing = direction == "request"
    # Types.
    if a.types != b.types:
        removed = a.types is None or (b.types is not None and bool(a.types - b.types))
        added = b.types is None or (a.types is not None and bool(b.types - a.types))
        if direction == "request":
            if removed:
                report.add("request-type-narrowed", where, True, f"{_fmt_types(a.types)} -> {_fmt_types(b.types)}")
            elif added:
                report.add("request-type-widened", where, False, f"{_fmt_types(a.types)} -> {_fmt_types(b.types)}")
        else:
            report.add("response-type-changed", where, True, f"{_fmt_types(a.types)} -> {_fmt_types(b.types)}")
    # Enums.
    for value in sorted(a.named_values - b.named_values):
        report.add(f"{direction}-enum-value-removed", f"{where} = {value}", True, "a named value is gone")
    for value in sorted(b.named_values - a.named_values):
        closed_before = not a.enum_open
        breaking = direction == "response" and closed_before and bool(a.named_values)
        report.add(
            f"{direction}-enum-value-added",
            f"{where} = {value}",
            breaking,
            "closed enum gained a value" if breaking else "new value",
        )
    if a.enum_open and not b.enum_open:
        report.add(f"{direction}-enum-closed", where, True, "values outside the enum no longer admitted")
    elif not a.enum_open and b.enum_open:
        report.add(f"{direction}-enum-opened", where, direction == "response", "values outside the enum now admitted")
    # Bounds, pattern, format.
    for key in sorted(set(a.keywords) | set(b.keywords)):
        before, after = a.keywords.get(key), b.keywords.get(key)
        if before == after:
            continue
        detail = f"{key}: {before!r} -> {after!r}"
        if direction == "response":
            report.add("response-constraint-changed", f"{where} {key}", True, detail)
            continue
        kind = BOUND_KEYWORDS.get(key)
        if kind is None:  # pattern, format
            narrowed = after is not None
        elif before is None:
            narrowed = True
        elif after is None:
            narrowed = False
        else:
            narrowed = after > before if kind == "lower" else after < before
        rule = "request-range-narrowed" if narrowed else "request-range-widened"
        if kind is None:
            rule = "request-constraint-changed" if narrowed else "request-constraint-removed"
        report.add(rule, f"{where} {key}", narrowed, detail)
    # additionalProperties.
    if a.additional != b.additional and not (isinstance(a.additional, Mapping) and isinstance(b.additional, Mapping)):
        closed_now = b.additional is False
        breaking = closed_now if narrowing else True
        report.add(
            f"{direction}-additional-properties-changed", where, breaking, f"{a.additional!r} -> {b.additional!r}"
        )
    elif isinstance(a.additional, Mapping) and isinstance(b.additional, Mapping):
        compare_schemas(old_spec, new_spec, a.additional, b.additional, direction, f"{where}/*", report, depth + 1)
    # Properties.
    for name in sorted(set(a.properties) - set(b.properties)):
        report.add(f"{direction}-property-removed", f"{where}/{name}", True, "property removed")
    for name in sorted(set(b.properties) - set(a.properties)):
        newly_required = name in b.required
        breaking = narrowing and newly_required
        rule = f"{direction}-required-property-added" if newly_required else f"{direction}-property-added"
        report.add(rule, f"{where}/{name}", breaking, "required" if newly_required else "optional")
    for name in sorted(set(a.properties) & set(b.properties)):
        if name in a.required and name not in b.required:
            report.add(
                f"{direction}-property-no-longer-required",
                f"{where}/{name}",
                direction == "response",
                "clients may have relied on its presence" if direction == "response" else "relaxed",
            )
        elif name not in a.required and name in b.required:
            report.add(
                f"{direction}-property-now-required",
                f"{where}/{name}",
                True,
                "old requests lack it" if narrowing else "the provider's answers may omit it",
            )
        compare_schemas(
            old_spec, new_spec, a.properties[name], b.properties[name], direction, f"{where}/{name}", report, depth + 1
        )
    # Array items.
    if a.items is not None and b.items is not None:
        compare_schemas(old_spec, new_spec, a.items, b.items, direction, f"{where}/[]", report, depth + 1)


def _parameters(
    spec: Spec, path_item: Mapping[str, JSON], operation: Mapping[str, JSON]
) -> dict[tuple[str, str], JSON]:
    params: dict[tuple[str, str], JSON] = {}
    for raw in [*path_item.get("parameters", []), *operation.get("parameters", [])]:
        param = spec.resolve(raw)
        params[(param["in"], param["name"])] = param
    return params


def _normalized_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def _operations(spec: Spec) -> dict[tuple[str, str], tuple[str, Mapping[str, JSON], Mapping[str, JSON]]]:
    ops: dict[tuple[str, str], tuple[str, Mapping[str, JSON], Mapping[str, JSON]]] = {}
    for path, raw_item in (spec.document.get("paths") or {}).items():
        item = spec.resolve(raw_item)
        for method in HTTP_METHODS:
            if method in item:
                ops[(method.upper(), _normalized_path(path))] = (path, item, item[method])
    return ops


def _serialization(param: Mapping[str, JSON]) -> tuple[str, bool]:
    style = param.get("style", "form" if param["in"] in ("query", "cookie") else "simple")
    return style, bool(param.get("explode", style == "form"))


def _schema_default(spec: Spec, schema: JSON) -> JSON:
    return _merge_all_of(spec, spec.resolve(schema)).get("default") if isinstance(schema, Mapping) else None


def compare_parameters(
    old: Spec, new: Spec, op: str, a: dict[tuple[str, str], JSON], b: dict[tuple[str, str], JSON], report: Report
) -> None:
    for key in sorted(set(a) - set(b)):
        report.add("parameter-removed", f"{op} {key[0]}.{key[1]}", True, "parameter removed")
    for key in sorted(set(b) - set(a)):
        required = bool(b[key].get("required"))
        report.add(
            "required-parameter-added" if required else "optional-parameter-added",
            f"{op} {key[0]}.{key[1]}",
            required,
            "required" if required else "optional",
        )
    for key in sorted(set(a) & set(b)):
        where = f"{op} {key[0]}.{key[1]}"
        pa, pb = a[key], b[key]
        if not pa.get("required") and pb.get("required"):
            report.add("parameter-now-required", where, True, "optional -> required")
        elif pa.get("required") and not pb.get("required"):
            report.add("parameter-now-optional", where, False, "required -> optional")
        if _serialization(pa) != _serialization(pb):
            report.add("parameter-serialization-changed", where, True, f"{_serialization(pa)} -> {_serialization(pb)}")
        da, db = _schema_default(old, pa.get("schema")), _schema_default(new, pb.get("schema"))
        if da != db:
            report.add("parameter-default-changed", where, True, f"default {da!r} -> {db!r}")
        compare_schemas(old, new, pa.get("schema"), pb.get("schema"), "request", where, report)


def _content(spec: Spec, holder: Mapping[str, JSON]) -> dict[str, JSON]:
    return dict(spec.resolve(holder).get("content") or {})


def compare_responses(
    old: Spec, new: Spec, op: str, a: Mapping[str, JSON], b: Mapping[str, JSON], report: Report
) -> None:
    for status in sorted(set(a) - set(b)):
        success = str(status).startswith("2")
        report.add(
            "response-status-removed",
            f"{op} {status}",
            success,
            "a success answer clients parse is gone" if success else "error answers fall back to the generic error",
        )
    for status in sorted(set(b) - set(a)):
        report.add("response-status-added", f"{op} {status}", False, "new status")
    for status in sorted(set(a) & set(b)):
        ra, rb = old.resolve(a[status]), new.resolve(b[status])
        where = f"{op} {status}"
        for header in sorted(set(ra.get("headers") or {}) - set(rb.get("headers") or {})):
            report.add("response-header-removed", f"{where} header.{header}", True, "header removed")
        for header in sorted(set(rb.get("headers") or {}) - set(ra.get("headers") or {})):
            report.add("response-header-added", f"{where} header.{header}", False, "new header")
        ca, cb = _content(old, ra), _content(new, rb)
        for media in sorted(set(ca) - set(cb)):
            report.add("response-media-type-removed", f"{where} {media}", True, "media type removed")
        for media in sorted(set(cb) - set(ca)):
            report.add("response-media-type-added", f"{where} {media}", False, "new media type")
        for media in sorted(set(ca) & set(cb)):
            compare_schemas(
                old, new, ca[media].get("schema"), cb[media].get("schema"), "response", f"{where} {media} #", report
            )


def compare_request_bodies(old: Spec, new: Spec, op: str, a: JSON, b: JSON, report: Report) -> None:
    if a is None and b is None:
        return
    ba, bb = old.resolve(a) if a is not None else {}, new.resolve(b) if b is not None else {}
    if not ba.get("required") and bb.get("required"):
        report.add("request-body-now-required", op, True, "body now required")
    ca, cb = _content(old, ba) if ba else {}, _content(new, bb) if bb else {}
    for media in sorted(set(ca) - set(cb)):
        report.add("request-media-type-removed", f"{op} body {media}", True, "media type no longer accepted")
    for media in sorted(set(cb) - set(ca)):
        report.add("request-media-type-added", f"{op} body {media}", False, "new media type")
    for media in sorted(set(ca) & set(cb)):
        compare_schemas(
            old, new, ca[media].get("schema"), cb[media].get("schema"), "request", f"{op} body {media} #", report
        )


# --- security, paging, servers ---------------------------------------------------------

Alternative = frozenset[tuple[str, tuple[str, ...]]]
# Keys of a security scheme that only document it.
SCHEME_DOC_KEYS = {"description", "bearerFormat"}
# Keys of `x-pagination` that only document it.
PAGINATION_DOC_KEYS = {"description"}


def _alternatives(requirements: JSON) -> dict[Alternative, str]:
    """Each alternative of a `security` list (schemes with their scopes) -> its printed name.

    No requirement at all (`security: []`) admits anonymous clients, as `{}` does.
    """
    if not isinstance(requirements, list) or not requirements:
        requirements = [{}]
    alternatives: dict[Alternative, str] = {}
    for requirement in requirements:
        if not isinstance(requirement, Mapping):
            continue
        key: Alternative = frozenset(
            (str(name), tuple(sorted(str(s) for s in (scopes or [])))) for name, scopes in requirement.items()
        )
        names = [f"{name}[{','.join(scopes)}]" if scopes else name for name, scopes in sorted(key)]
        alternatives[key] = "+".join(names) if names else "{}"
    return alternatives


def compare_security(a: JSON, b: JSON, where: str, report: Report) -> None:
    old_alts, new_alts = _alternatives(a), _alternatives(b)
    anonymous_now = frozenset() in new_alts
    for key in sorted(set(old_alts) - set(new_alts), key=lambda k: old_alts[k]):
        report.add(
            "security-requirement-removed",
            f"{where} {old_alts[key]}",
            not anonymous_now,
            "anonymous access is now allowed" if anonymous_now else "clients authenticating this way are refused",
        )
    for key in sorted(set(new_alts) - set(old_alts), key=lambda k: new_alts[k]):
        report.add(
            "security-requirement-added",
            f"{where} {new_alts[key]}",
            False,
            "anonymous access is now allowed" if not key else "new way to authenticate",
        )


def _flows_changes(a: JSON, b: JSON, where: str, report: Report) -> None:
    flows_a = a if isinstance(a, Mapping) else {}
    flows_b = b if isinstance(b, Mapping) else {}
    for flow in sorted(set(flows_a) - set(flows_b)):
        report.add("security-scheme-changed", f"{where} flows.{flow}", True, "OAuth flow removed")
    for flow in sorted(set(flows_b) - set(flows_a)):
        report.add("security-scheme-flow-added", f"{where} flows.{flow}", False, "new OAuth flow")
    for flow in sorted(set(flows_a) & set(flows_b)):
        fa, fb = flows_a[flow] or {}, flows_b[flow] or {}
        for key in sorted((set(fa) | set(fb)) - {"scopes"}):
            if fa.get(key) != fb.get(key):
                report.add(
                    "security-scheme-changed",
                    f"{where} flows.{flow}.{key}",
                    True,
                    f"{fa.get(key)!r} -> {fb.get(key)!r}",
                )
        scopes_a, scopes_b = set(fa.get("scopes") or {}), set(fb.get("scopes") or {})
        for scope in sorted(scopes_a - scopes_b):
            report.add("security-scheme-changed", f"{where} flows.{flow}.scopes.{scope}", True, "scope removed")
        for scope in sorted(scopes_b - scopes_a):
            report.add("security-scheme-scope-added", f"{where} flows.{flow}.scopes.{scope}", False, "new scope")


def compare_security_schemes(old: Spec, new: Spec, report: Report) -> None:
    a = dict((old.document.get("components") or {}).get("securitySchemes") or {})
    b = dict((new.document.get("components") or {}).get("securitySchemes") or {})
    for name in sorted(set(a) - set(b)):
        report.add(
            "security-scheme-removed",
            f"#/components/securitySchemes/{name}",
            True,
            "clients authenticating this way are refused",
        )
    for name in sorted(set(b) - set(a)):
        report.add("security-scheme-added", f"#/components/securitySchemes/{name}", False, "new scheme")
    for name in sorted(set(a) & set(b)):
        sa, sb = old.resolve(a[name]), new.resolve(b[name])
        where = f"#/components/securitySchemes/{name}"
        for key in sorted((set(sa) | set(sb)) - SCHEME_DOC_KEYS - {"flows"}):
            if key.startswith("x-"):
                continue
            if sa.get(key) != sb.get(key):
                report.add(
                    "security-scheme-changed",
                    f"{where} {key}",
                    True,
                    f"{sa.get(key)!r} -> {sb.get(key)!r} (existing clients still send credentials the old way)",
                )
        _flows_changes(sa.get("flows"), sb.get("flows"), where, report)


def compare_pagination(a: JSON, b: JSON, op: str, report: Report) -> None:
    if a is None and b is None:
        return
    if b is None:
        report.add("pagination-removed", op, True, "the generated paging helpers are built from x-pagination")
        return
    if a is None:
        report.add("pagination-added", op, False, "new paging helpers")
        return
    pa = a if isinstance(a, Mapping) else {"": a}
    pb = b if isinstance(b, Mapping) else {"": b}
    for key in sorted((set(pa) | set(pb)) - PAGINATION_DOC_KEYS):
        if pa.get(key) != pb.get(key):
            report.add(
                "pagination-changed",
                f"{op} x-pagination.{key}".rstrip("."),
                True,
                f"{pa.get(key)!r} -> {pb.get(key)!r} (the paging helpers would walk differently)",
            )


def _server_url(server: JSON) -> str:
    return str(server.get("url", "")) if isinstance(server, Mapping) else str(server)


def _server_variables(server: JSON) -> dict[str, tuple[JSON, JSON]]:
    variables = server.get("variables") if isinstance(server, Mapping) else None
    return {
        str(name): (var.get("default"), var.get("enum")) if isinstance(var, Mapping) else (var, None)
        for name, var in (variables or {}).items()
    }


def compare_servers(a: JSON, b: JSON, where: str, report: Report) -> None:
    """Server changes are informational: clients configure their base URL themselves."""
    servers_a = [s for s in a or [] if _server_url(s)] if isinstance(a, list) else []
    servers_b = [s for s in b or [] if _server_url(s)] if isinstance(b, list) else []
    urls_a, urls_b = [_server_url(s) for s in servers_a], [_server_url(s) for s in servers_b]
    gone = [u for u in urls_a if u not in urls_b]
    new = [u for u in urls_b if u not in urls_a]
    # A URL replaced in place is a change; the rest are removals and additions.
    for old_url, new_url in zip(gone, new, strict=False):
        report.add(
            "server-url-changed",
            f"{where} {old_url}",
            False,
            f"-> {new_url}; clients configure their base URL",
            informational=True,
        )
    for url in gone[len(new) :]:
        report.add(
            "server-removed",
            f"{where} {url}",
            False,
            "clients configure their base URL; check the documented one",
            informational=True,
        )
    for url in new[len(gone) :]:
        report.add("server-added", f"{where} {url}", False, "new server", informational=True)
    for server_a in servers_a:
        url = _server_url(server_a)
        if url not in urls_b:
            continue
        vars_a, vars_b = _server_variables(server_a), _server_variables(servers_b[urls_b.index(url)])
        for name in sorted(set(vars_a) | set(vars_b)):
            before, after = vars_a.get(name, (None, None)), vars_b.get(name, (None, None))
            for label, value_a, value_b in (("default", before[0], after[0]), ("enum", before[1], after[1])):
                if value_a != value_b:
                    report.add(
                        "server-variable-changed",
                        f"{where} {url} {{{name}}} {label}",
                        False,
                        f"{value_a!r} -> {value_b!r}; clients configure their base URL",
                        informational=True,
                    )


def diff(old_document: Mapping[str, JSON], new_document: Mapping[str, JSON]) -> Report:
    old, new = Spec(old_document), Spec(new_document)
    report = Report()
    # Named schemas are the generated client's model classes: removing one removes a class.
    a_names = set((old_document.get("components") or {}).get("schemas") or {})
    b_names = set((new_document.get("components") or {}).get("schemas") or {})
    for name in sorted(a_names - b_names):
        report.add(
            "component-schema-removed",
            f"#/components/schemas/{name}",
            True,
            "the generated model class of that name disappears",
        )
    for name in sorted(b_names - a_names):
        report.add("component-schema-added", f"#/components/schemas/{name}", False, "new model")
    a_ops, b_ops = _operations(old), _operations(new)
    for key in sorted(set(a_ops) - set(b_ops)):
        report.add("operation-removed", f"{key[0]} {a_ops[key][0]}", True, "operation removed")
    for key in sorted(set(b_ops) - set(a_ops)):
        report.add("operation-added", f"{key[0]} {b_ops[key][0]}", False, "new operation")
    compare_servers(old_document.get("servers"), new_document.get("servers"), "#/servers", report)
    compare_security(old_document.get("security"), new_document.get("security"), "#/security", report)
    compare_security_schemes(old, new, report)
    for key in sorted(set(a_ops) & set(b_ops)):
        (_path_a, item_a, op_a), (path_b, item_b, op_b) = a_ops[key], b_ops[key]
        op = f"{key[0]} {path_b}"
        if op_a.get("operationId") != op_b.get("operationId"):
            report.add(
                "operation-id-changed",
                op,
                True,
                f"{op_a.get('operationId')} -> {op_b.get('operationId')} (the generated method's name)",
            )
        compare_parameters(old, new, op, _parameters(old, item_a, op_a), _parameters(new, item_b, op_b), report)
        compare_request_bodies(old, new, op, op_a.get("requestBody"), op_b.get("requestBody"), report)
        compare_responses(old, new, op, op_a.get("responses") or {}, op_b.get("responses") or {}, report)
        compare_pagination(op_a.get("x-pagination"), op_b.get("x-pagination"), op, report)
        # An operation's own `security` replaces the top-level one; when neither version has
        # its own, the top-level comparison above covers it.
        if "security" in op_a or "security" in op_b:
            compare_security(
                op_a.get("security", old_document.get("security")),
                op_b.get("security", new_document.get("security")),
                f"{op} security",
                report,
            )
        # Servers of an operation or its path item replace the top-level ones.
        servers_a = op_a.get("servers", item_a.get("servers"))
        servers_b = op_b.get("servers", item_b.get("servers"))
        if servers_a is not None or servers_b is not None:
            compare_servers(
                servers_a if servers_a is not None else old_document.get("servers"),
                servers_b if servers_b is not None else new_document.get("servers"),
                f"{op} servers",
                report,
            )
    return report


# --- changelog -----------------------------------------------------------------------


def acknowledged(changelog: str, version: str) -> set[str]:
    """Change ids acknowledged by `Breaking: <id>` lines in the `## <version>` section."""
    ids: set[str] = set()
    current: str | None = None
    for line in changelog.splitlines():
        heading = VERSION_HEADING.match(line)
        if heading:
            current = heading.group("version")
            continue
        ack = ACK_LINE.match(line)
        if ack and current == version:
            ids.add(ack.group("id").strip("`"))
    return ids


def version_problems(old_version: str, new_version: str, breaking: bool) -> Iterator[str]:
    old_v, new_v = semver(old_version), semver(new_version)
    if new_v < old_v:
        yield f"info.version went down: {old_version} -> {new_version}"
    if breaking:
        needs = (old_v[0] + 1, 0, 0) if old_v[0] > 0 else (0, old_v[1] + 1, 0)
        if new_v < needs:
            yield (
                f"breaking changes need info.version >= {'.'.join(map(str, needs))} "
                f"(semver major bump over {old_version}); it is {new_version}"
            )


# --- command line --------------------------------------------------------------------


def load_at_ref(ref: str, path: str) -> JSON:
    shown = subprocess.run(["git", "show", f"{ref}:{path}"], capture_output=True, text=True, check=False)
    if shown.returncode != 0:
        raise SystemExit(f"spec_diff: cannot read {path} at {ref}: {shown.stderr.strip()}")
    return yaml.safe_load(shown.stdout)


def run(old_document: JSON, new_document: JSON, changelog: str, base_label: str) -> tuple[int, str]:
    report = diff(old_document, new_document)
    old_version, new_version = old_document["info"]["version"], new_document["info"]["version"]
    acks = acknowledged(changelog, new_version)
    lines = [f"Contract diff {base_label} ({old_version}) -> working tree ({new_version})"]
    unacknowledged = [c for c in report.breaking if c.id not in acks]
    for change in report.changes:
        if change.breaking:
            mark = "BREAKING (acknowledged)" if change.id in acks else "BREAKING"
        else:
            mark = "INFO (not breaking)" if change.informational else "ok"
        lines.append(f"  {mark:<24} {change.id}  [{change.detail}]")
    if not report.changes:
        lines.append("  no changes to operations, parameters, schemas, security, paging or servers")
    problems = list(version_problems(old_version, new_version, bool(report.breaking)))
    lines.extend(f"  VERSION {p}" for p in problems)
    status = 1 if unacknowledged or problems else 0
    lines.append(
        f"{len(report.changes)} change(s), {len(report.breaking)} breaking, {len(unacknowledged)} not acknowledged"
    )
    if unacknowledged:
        bump = " (after the version bump above)" if problems else ""
        lines.append(f"To accept them, add under the '## <info.version>' heading of openapi/CHANGELOG.md{bump}:")
        lines.extend(f"  Breaking: {c.id}" for c in unacknowledged)
    return status, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--base", help="git ref of the old spec (read with git show REF:SPEC)")
    source.add_argument("--base-file", type=Path, help="a file holding the old spec")
    parser.add_argument("--spec", default="openapi/processor-tasks.yaml", help="the new spec (working tree)")
    parser.add_argument("--changelog", type=Path, default=Path("openapi/CHANGELOG.md"))
    args = parser.parse_args(argv)
    if args.base_file is not None:
        old_document, label = yaml.safe_load(args.base_file.read_text(encoding="utf-8")), str(args.base_file)
    else:
        old_document, label = load_at_ref(args.base, args.spec), args.base
    new_document = yaml.safe_load(Path(args.spec).read_text(encoding="utf-8"))
    changelog = args.changelog.read_text(encoding="utf-8") if args.changelog.exists() else ""
    status, text = run(old_document, new_document, changelog, label)
    print(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
