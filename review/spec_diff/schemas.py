"""Schemas: how the values one schema admits changed, judged by the direction they travel.

A request breaks when it accepts less (narrowing), a response when it may carry more
(widening), as oasdiff judges them. What a schema change does to the generated Python
names (a class renamed by `title`, a field typed as another class, an enum member's name)
is not predicted here any more: generated_api.py regenerates the client and compares.

Each pair of schema nodes is compared once per root (a parameter, body, header or answer):
a visited set stops the walk at a pair it has met before, so a recursive schema (a tree
with `left` and `right`) is walked once, and a change inside it is reported once, at the
first place the walk meets it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from .loading import Spec, json_type
from .rules import Report

Direction = Literal["request", "response"]
Kind = Literal["narrowed", "widened", "changed"]
JSON = Any

BOUND_KEYWORDS = {
    # keyword: "lower" bounds narrow when raised, "upper" bounds narrow when lowered.
    "minimum": "lower",
    "exclusiveMinimum": "lower",
    "minLength": "lower",
    "minItems": "lower",
    "minProperties": "lower",
    "minContains": "lower",
    "maximum": "upper",
    "exclusiveMaximum": "upper",
    "maxLength": "upper",
    "maxItems": "upper",
    "maxProperties": "upper",
    "maxContains": "upper",
}
# Keywords that restrict a value when present: adding one narrows, removing it widens, and a
# change between two values is compared as "changed" (no subset test for patterns or schemas).
RESTRICTING_KEYWORDS = (
    "multipleOf",
    "uniqueItems",
    "pattern",
    "format",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
    "dependentRequired",
    "dependentSchemas",
    "patternProperties",
    "prefixItems",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contentMediaType",
    "contentEncoding",
    "contentSchema",
)
CONSTRAINT_KEYWORDS = (*BOUND_KEYWORDS, *RESTRICTING_KEYWORDS)
# Formats that hold every value of another: (narrower, wider). int32 -> int64 admits more,
# the common classification's one exception to "a changed format breaks".
FORMAT_WIDENINGS = frozenset({("int32", "int64"), ("float", "double")})
# A property the other side never sends: a response may leave out a writeOnly property, a
# request a readOnly one, whatever `required` says (OpenAPI 3.1, Schema Object).
NEVER_SENT = {"request": "readOnly", "response": "writeOnly"}


def breaking_verdict(direction: Direction, kind: Kind) -> bool:
    """Requests break when they accept less, responses when they may carry more."""
    if kind == "changed":
        return True
    return kind == ("narrowed" if direction == "request" else "widened")


@dataclass
class View:
    """What one schema (with its allOf merged and anyOf/oneOf branches united) admits."""

    types: frozenset[str] | None  # None: any type
    named_values: dict[str, str]  # every value an `enum`/`const` lists (as JSON text) -> its type
    enum_open: bool  # a value outside named_values is admitted
    properties: dict[str, JSON]
    required: frozenset[str]
    additional: JSON  # additionalProperties as written, None when absent
    items: JSON  # array items schema, None when absent
    keywords: dict[str, JSON]  # constraint keywords (CONSTRAINT_KEYWORDS)

    def admits(self, value_type: str) -> bool:
        """Whether a value of this JSON type outside the named values is admitted."""
        if not self.enum_open:
            return False
        return self.types is None or value_type in self.types or (value_type == "integer" and "number" in self.types)


def _types_of(schema: Mapping[str, JSON]) -> frozenset[str] | None:
    declared = schema.get("type")
    if isinstance(declared, str):
        return frozenset({declared})
    if isinstance(declared, list):
        return frozenset(str(t) for t in declared)
    if "enum" in schema and isinstance(schema["enum"], list):
        return frozenset(json_type(v) for v in schema["enum"])
    if "const" in schema:
        return frozenset({json_type(schema["const"])})
    if "properties" in schema or "additionalProperties" in schema:
        return frozenset({"object"})
    if "items" in schema:
        return frozenset({"array"})
    return None


def _value_key(value: JSON) -> str:
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def _merge_all_of(spec: Spec, schema: Mapping[str, JSON], seen: frozenset[int] = frozenset()) -> dict[str, JSON]:
    merged: dict[str, JSON] = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema.get("allOf", []):
        resolved = spec.resolve(part)
        if id(resolved) in seen or not isinstance(resolved, Mapping):  # allOf through itself adds nothing
            continue
        for key, value in _merge_all_of(spec, resolved, seen | {id(schema)}).items():
            if key == "properties":
                merged["properties"] = {**value, **merged.get("properties", {})}
            elif key == "required":
                merged["required"] = sorted(set(value) | set(merged.get("required", [])))
            else:
                merged.setdefault(key, value)
    return merged


def merged(spec: Spec, node: JSON) -> dict[str, JSON]:
    """A schema node resolved, with its allOf parts merged in ({} for no schema)."""
    resolved = spec.resolve(node) if isinstance(node, Mapping) else None
    return _merge_all_of(spec, resolved, frozenset({id(resolved)})) if isinstance(resolved, Mapping) else {}


def view(spec: Spec, node: JSON, _seen: frozenset[int] = frozenset()) -> View:
    """The admitted values of a schema node, with unions and allOf folded in."""
    resolved = spec.resolve(node) if isinstance(node, Mapping) else None
    schema = merged(spec, node)
    seen = _seen | {id(resolved)}
    # A branch that is the schema itself (anyOf through a $ref back to it) adds nothing.
    branches = [
        view(spec, b, seen)
        for b in schema.get("anyOf", []) + schema.get("oneOf", [])
        if id(spec.resolve(b)) not in seen
    ]
    own_types = _types_of({k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")})
    named: dict[str, str] = {}
    if isinstance(schema.get("enum"), list):
        named.update((_value_key(v), json_type(v)) for v in schema["enum"])
    if "const" in schema:
        named[_value_key(schema["const"])] = json_type(schema["const"])
    own_open = not ("enum" in schema or "const" in schema)
    # `uniqueItems: false` is the default: written out or left out, it restricts nothing.
    own_keywords = {
        k: schema[k] for k in CONSTRAINT_KEYWORDS if k in schema and (k, schema[k]) != ("uniqueItems", False)
    }
    if not branches:
        return View(
            types=own_types,
            named_values=named,
            enum_open=own_open,
            properties=dict(schema.get("properties", {})),
            required=frozenset(schema.get("required", [])),
            additional=schema.get("additionalProperties"),
            items=schema.get("items"),
            keywords=own_keywords,
        )
    # A union: types and named values add up; the enum is open when a branch other than a
    # bare null admits values it does not name.
    types: set[str] | None = set()
    enum_open = False
    properties: dict[str, JSON] = {}
    required: set[str] | None = None
    additional: JSON = None
    items: JSON = None
    keywords: dict[str, JSON] = dict(own_keywords)
    for branch in branches:
        if branch.types is None or types is None:
            types = None
        else:
            types |= branch.types
        named.update(branch.named_values)
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
        named_values=named,
        enum_open=enum_open and own_open,
        properties=properties,
        required=frozenset(required or ()),
        additional=additional,
        items=items,
        keywords=keywords,
    )


def _fmt_types(types: frozenset[str] | None) -> str:
    return "any" if types is None else "|".join(sorted(types))


def _uncovered(types: frozenset[str], by: frozenset[str]) -> frozenset[str]:
    """The types of `types` that `by` does not admit; JSON Schema's number includes integer."""
    return frozenset(t for t in types if t not in by and not (t == "integer" and "number" in by))


def constraint_kind(key: str, before: JSON, after: JSON) -> Kind:
    """How one constraint keyword moved: narrowed (admits less), widened, or changed."""
    if before is None:
        return "narrowed"
    if after is None:
        return "widened"
    bound = BOUND_KEYWORDS.get(key)
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (before, after))
    if bound is not None and numbers:
        tighter = after > before if bound == "lower" else after < before
        return "narrowed" if tighter else "widened"
    if key == "format" and (before, after) in FORMAT_WIDENINGS:
        return "widened"
    if key == "format" and (after, before) in FORMAT_WIDENINGS:
        return "narrowed"
    if key == "multipleOf" and numbers:
        # Multiples of 10 are multiples of 5: a divisor of the old step widens.
        if before % after == 0:
            return "widened"
        if after % before == 0:
            return "narrowed"
    return "changed"


def _additional_state(value: JSON) -> str:
    if value is None or value is True or value == {}:
        return "open"
    if value is False:
        return "closed"
    return "schema"


def _sent(spec: Spec, v: View, direction: Direction) -> frozenset[str]:
    """The required properties the other side must send: `required` less those it never sends."""
    flag = NEVER_SENT[direction]
    return frozenset(n for n in v.required if n in v.properties and merged(spec, v.properties[n]).get(flag) is not True)


def _node_key(spec: Spec, node: JSON) -> int:
    return id(spec.resolve(node)) if isinstance(node, Mapping) else id(node)


def compare_schemas(
    old_spec: Spec,
    new_spec: Spec,
    old: JSON,
    new: JSON,
    direction: Direction,
    where: str,
    report: Report,
    visited: set[tuple[int, int]] | None = None,
) -> None:
    """Report how the values one schema admits changed, in the given direction."""
    visited = set() if visited is None else visited
    pair = (_node_key(old_spec, old), _node_key(new_spec, new))
    if pair in visited:  # met before on this walk: a cycle, or the same pair in another spot
        return
    visited.add(pair)
    a, b = view(old_spec, old), view(new_spec, new)
    request = direction == "request"
    if a.types != b.types:
        removed = a.types is None or (b.types is not None and bool(_uncovered(a.types, b.types)))
        added = b.types is None or (a.types is not None and bool(_uncovered(b.types, a.types)))
        kind: Kind = "changed" if removed and added else "narrowed" if removed else "widened"
        report.add(f"{direction}-type-{kind}", where, f"{_fmt_types(a.types)} -> {_fmt_types(b.types)}")
    # Enum values. A value the new schema no longer names but still admits (an enum opened
    # to its plain type, `$ref: TemplateId` -> `type: string`) is not removed.
    for value in sorted(set(a.named_values) - set(b.named_values)):
        if not b.admits(a.named_values[value]):
            report.add(f"{direction}-enum-value-removed", f"{where} = {value}", "the value is no longer admitted")
    for value in sorted(set(b.named_values) - set(a.named_values)):
        if request:
            report.add("request-enum-value-added", f"{where} = {value}", "new value")
        else:
            widens_closed = not a.admits(b.named_values[value]) and bool(a.named_values)
            report.add(
                "response-enum-value-added",
                f"{where} = {value}",
                "closed enum gained a value" if widens_closed else "new value",
                breaking=widens_closed,
            )
    if a.enum_open and not b.enum_open:
        report.add(f"{direction}-enum-closed", where, "values outside the enum are no longer admitted")
    elif not a.enum_open and b.enum_open:
        report.add(f"{direction}-enum-opened", where, "values outside the enum are now admitted")
    # Constraints: every keyword that restricts a value.
    for key in sorted(set(a.keywords) | set(b.keywords)):
        before, after = a.keywords.get(key), b.keywords.get(key)
        if before != after:
            kind = constraint_kind(key, before, after)
            report.add(f"{direction}-constraint-{kind}", f"{where} {key}", f"{key}: {before!r} -> {after!r}")
    # additionalProperties: closed < schema < open.
    state_a, state_b = _additional_state(a.additional), _additional_state(b.additional)
    if state_a == state_b == "schema":
        compare_schemas(old_spec, new_spec, a.additional, b.additional, direction, f"{where}/*", report, visited)
    elif state_a != state_b:
        order = {"closed": 0, "schema": 1, "open": 2}
        kind = "narrowed" if order[state_b] < order[state_a] else "widened"
        report.add(f"{direction}-additional-properties-{kind}", where, f"{a.additional!r} -> {b.additional!r}")
    # Properties.
    for name in sorted(set(a.properties) - set(b.properties)):
        report.add(f"{direction}-property-removed", f"{where}/{name}", "the property is gone")
    required_a, required_b = _sent(old_spec, a, direction), _sent(new_spec, b, direction)
    for name in sorted(set(b.properties) - set(a.properties)):
        if request and name in required_b:
            report.add("request-required-property-added", f"{where}/{name}", "old requests lack it")
        else:
            report.add(
                f"{direction}-property-added", f"{where}/{name}", "required" if name in b.required else "optional"
            )
    for name in sorted(set(a.properties) & set(b.properties)):
        if name in required_a and name not in required_b:
            flag = NEVER_SENT[direction]
            why = f"now {flag}: " if name in b.required else ""
            report.add(
                f"{direction}-property-no-longer-required",
                f"{where}/{name}",
                why + ("relaxed" if request else "clients may rely on its presence"),
            )
        elif name not in required_a and name in required_b:
            report.add(
                f"{direction}-property-now-required",
                f"{where}/{name}",
                "old requests lack it" if request else "answers always carry it now",
            )
        compare_schemas(
            old_spec, new_spec, a.properties[name], b.properties[name], direction, f"{where}/{name}", report, visited
        )
    # Array items.
    if a.items is not None and b.items is not None:
        compare_schemas(old_spec, new_spec, a.items, b.items, direction, f"{where}/[]", report, visited)
