"""Breaking-change report between two versions of the OpenAPI contract (`make diff`).

No tool on the registries reachable here does this for OpenAPI 3.1 with the direction
rules below (openapi-diff on npm refuses 3.1; oasdiff is a Go binary, packaged for
neither npm nor PyPI; @useoptic/optic brings analytics and error-reporting clients with
it), so this walks the two parsed specs itself.

Who can break is the client: code written against, or generated from, the old contract.
The rules follow oasdiff's direction and add one of our own (openapi/CHANGELOG.md states
them for reviewers; `RULES` below lists every rule id with its family):

- A request breaks when it accepts less than before (narrowing): a removed or newly
  required parameter, property or body; a removed type or enum value; a closed enum; a
  new or tighter constraint (any JSON Schema keyword that restricts a value: bounds,
  lengths, item and property counts, `multipleOf`, `pattern`, `format`, `uniqueItems`,
  `contains`, `propertyNames`, `not`, ...); closed `additionalProperties`; a changed
  default; a changed wire format (`style`/`explode` of an array or object parameter, or
  `schema` <-> `content`). `format` int32 -> int64 (float -> double) and `type` integer ->
  number widen; the reverse narrows.
- A response breaks when it may carry more than before (widening): a new type (`null`
  included), a value added to a closed enum, an opened enum, a looser or removed
  constraint, opened `additionalProperties`, a property or header that stops being
  required, a removed success status, media type or header. Narrowing a response (a new
  bound, a newly required property or header, `null` removed) is safe: every answer the
  new contract allows, the old one allowed too.
- Our rule on top: a change to a generated public Python name breaks vendors whichever
  side it is on: a removed operation, schema, property or enum value, a renamed
  operationId or first tag (the module), `title` (the class), an enum member's generated
  name (from `x-enum-varnames` or the generator's default), a field typed as another class
  (a lone allOf/anyOf/oneOf `$ref` counts as that class, as the generator types it).
- Security: a removed requirement alternative or scheme, or a scheme sent differently,
  breaks. Paging: any change to `x-pagination` (the generated paging helpers) breaks, but
  adding its `concurrency` (an opt-in `concurrency=` of the helpers) does not.
  Waiting: any change to `x-waiters` (the generated waiters) breaks, as for paging.
  Servers: changes are informational (clients configure their base URL), except a server
  variable's `enum`: the client generates an argument from it (`region=`), so a removed
  value, or a removed enum (the argument goes), breaks; an added value or enum does not.

Usage: `python -m review.spec_diff --base REF [--spec FILE] [--changelog FILE]` reads the
old spec with `git show REF:PATH`, PATH being `--base-path`, else FILE when it lies in the
repository, else openapi/processor-tasks.yaml (so an edited copy in /tmp compares with the
committed spec); `--base-file OLD` reads the old spec from a file instead.

A breaking change is acknowledged by a line `Breaking: <change id>` in the section of the
changelog headed with the working tree's `info.version` (`## 2.0.0`, `## 2.0.0-rc.1`;
build metadata is ignored, so `2.0.0+sha.5114f85` reads `## 2.0.0`), and acknowledged
breaking changes need a major version bump over the base (the minor one while it is 0.x).

Versions are ordered by semver 2.0.0 precedence: a prerelease comes before its release
(`2.0.0-rc.1` < `2.0.0`), prerelease identifiers compare numerically when numeric and by
ASCII order otherwise, numeric before alphanumeric, more identifiers after fewer
(`rc` < `rc.1`), and build metadata does not count. A prerelease of the next major is a
major bump (1.4.0 -> 2.0.0-rc.1). Between the prereleases of a major and its release
(2.0.0-rc.1 -> 2.0.0-rc.2 -> 2.0.0) breaking changes are allowed without a further bump,
as semver lets a prerelease change before its release, but still need their `Breaking:`
line; that does not extend to a minor's prereleases (1.4.0-rc.1 -> 1.4.0 cannot break).

Exit codes (each error is one line on stderr naming the file and the problem):

    0  no breaking change left unacknowledged, versions in order
    1  unacknowledged breaking change(s) or a version problem (the report says which)
    2  bad command line (argparse)
    3  a spec file is missing or cannot be read (or the git ref does not hold it)
    4  a spec file is empty
    5  a spec file is not valid YAML
    6  a spec file is YAML but not an OpenAPI document this tool can walk
    7  a spec's info.version is not semver
    8  the changelog file is missing or cannot be read
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
Kind = Literal["narrowed", "widened", "changed"]
JSON = Any

EXIT_BREAKING = 1
EXIT_SPEC_MISSING = 3
EXIT_SPEC_EMPTY = 4
EXIT_SPEC_YAML = 5
EXIT_SPEC_SHAPE = 6
EXIT_SPEC_VERSION = 7
EXIT_CHANGELOG_MISSING = 8

DEFAULT_SPEC = "openapi/processor-tasks.yaml"

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
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
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
ACK_LINE = re.compile(r"^\s*[-*]?\s*Breaking:\s*(?P<id>.+?)\s*$")
VERSION_HEADING = re.compile(r"^##\s+\[?(?P<version>[^\]\s]+)\]?")

# Every rule id this module reports, with the family it belongs to. A family is one rule of
# the changelog's list; tests/review/test_spec_diff.py holds each family to at least one
# breaking and one non-breaking fixture pair, and each rule id to a fixture that reports it.
RULES: dict[str, str] = {
    "operation-removed": "operations",
    "operation-added": "operations",
    "operation-id-changed": "operation-id",
    "operation-tag-changed": "operation-tag",
    "component-schema-removed": "component-schemas",
    "component-schema-added": "component-schemas",
    "schema-title-changed": "class-names",
    "schema-class-changed": "class-names",
    "enum-member-renamed": "enum-member-names",
    "parameter-removed": "parameters",
    "required-parameter-added": "parameters",
    "optional-parameter-added": "parameters",
    "parameter-now-required": "parameter-required",
    "parameter-now-optional": "parameter-required",
    "parameter-serialization-changed": "parameter-serialization",
    "parameter-default-changed": "parameter-default",
    "parameter-default-added": "parameter-default",
    "parameter-default-removed": "parameter-default",
    "request-body-removed": "request-body",
    "request-body-added": "request-body",
    "request-body-now-required": "request-body",
    "request-body-now-optional": "request-body",
    "request-media-type-removed": "request-body",
    "request-media-type-added": "request-body",
    "request-type-narrowed": "request-types",
    "request-type-widened": "request-types",
    "request-type-changed": "request-types",
    "request-enum-value-removed": "request-enums",
    "request-enum-value-added": "request-enums",
    "request-enum-closed": "request-enums",
    "request-enum-opened": "request-enums",
    "request-constraint-narrowed": "request-constraints",
    "request-constraint-widened": "request-constraints",
    "request-constraint-changed": "request-constraints",
    "request-additional-properties-narrowed": "request-additional-properties",
    "request-additional-properties-widened": "request-additional-properties",
    "request-property-removed": "request-properties",
    "request-property-added": "request-properties",
    "request-required-property-added": "request-properties",
    "request-property-now-required": "request-properties",
    "request-property-no-longer-required": "request-properties",
    "response-status-removed": "response-status",
    "response-status-added": "response-status",
    "response-media-type-removed": "response-media-types",
    "response-media-type-added": "response-media-types",
    "response-header-removed": "response-headers",
    "response-header-added": "response-headers",
    "response-header-made-optional": "response-headers",
    "response-header-made-required": "response-headers",
    "response-type-widened": "response-types",
    "response-type-narrowed": "response-types",
    "response-type-changed": "response-types",
    "response-enum-value-removed": "response-enums",
    "response-enum-value-added": "response-enums",
    "response-enum-opened": "response-enums",
    "response-enum-closed": "response-enums",
    "response-constraint-widened": "response-constraints",
    "response-constraint-narrowed": "response-constraints",
    "response-constraint-changed": "response-constraints",
    "response-additional-properties-widened": "response-additional-properties",
    "response-additional-properties-narrowed": "response-additional-properties",
    "response-property-removed": "response-properties",
    "response-property-added": "response-properties",
    "response-property-no-longer-required": "response-required",
    "response-property-now-required": "response-required",
    "security-requirement-removed": "security-requirements",
    "security-requirement-added": "security-requirements",
    "security-scheme-removed": "security-schemes",
    "security-scheme-added": "security-schemes",
    "security-scheme-changed": "security-schemes",
    "security-scheme-flow-added": "security-schemes",
    "security-scheme-scope-added": "security-schemes",
    "pagination-changed": "pagination",
    "pagination-removed": "pagination",
    "pagination-added": "pagination",
    "pagination-concurrency-added": "pagination",
    "pagination-concurrency-removed": "pagination",
    "waiter-changed": "waiters",
    "waiter-removed": "waiters",
    "waiter-added": "waiters",
    "server-url-changed": "servers",
    "server-removed": "servers",
    "server-added": "servers",
    "server-variable-changed": "servers",
    "server-variable-enum-value-removed": "server-variables",
    "server-variable-enum-value-added": "server-variables",
    "server-variable-enum-removed": "server-variables",
    "server-variable-enum-added": "server-variables",
}
# Families whose changes are only ever listed for a reviewer, never breaking.
INFORMATIONAL_FAMILIES = frozenset({"servers"})


class SpecDiffError(Exception):
    """A problem with an input file; `str()` is the one-line message, `code` the exit code."""

    def __init__(self, path: str, problem: str, code: int) -> None:
        super().__init__(f"{path}: {problem}")
        self.code = code


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
    """Every change found, in the order the walk met them."""

    changes: list[Change] = field(default_factory=list)

    def add(self, rule: str, location: str, breaking: bool, detail: str, informational: bool = False) -> None:
        if rule not in RULES:  # a rule without a family would escape the fixture-pair test
            raise AssertionError(f"unregistered rule {rule!r}")
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
                key = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, Mapping) or key not in target:
                    raise ValueError(f"$ref {ref!r} does not resolve")
                target = target[key]
            node = target
        return node


def semver(version: str) -> tuple[int, int, int]:
    """(major, minor, patch) of a semver string; ValueError when it is not semver."""
    match = SEMVER.match(version)
    if match is None:
        raise ValueError(f"info.version {version!r} is not semver (MAJOR.MINOR.PATCH)")
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


# One prerelease identifier as a sort key: numeric ones (0, ...) sort before alphanumeric
# ones (1, ...), numbers by value, the rest by ASCII order (semver 2.0.0 §11.4).
Identifier = tuple[int, int, str]
# The sort key of a whole version: the core, then 1 for a release (after all its prereleases)
# or 0 and the prerelease identifiers. Tuples compare element by element and a longer one
# wins on an equal prefix, which is §11.4.4 (more fields > fewer).
Precedence = tuple[tuple[int, int, int], int, tuple[Identifier, ...]]


def precedence(version: str) -> Precedence:
    """Sort key implementing semver 2.0.0 precedence; build metadata is ignored.

    ValueError when `version` is not semver. Two versions that differ only in build
    metadata (`2.0.0+a`, `2.0.0+b`) get the same key, as §10 requires.
    """
    match = SEMVER.match(version)
    if match is None:
        raise ValueError(f"info.version {version!r} is not semver (MAJOR.MINOR.PATCH)")
    core = (int(match.group(1)), int(match.group(2)), int(match.group(3)))
    prerelease = match.group(4)
    if prerelease is None:
        return core, 1, ()
    identifiers = tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in prerelease.split("."))
    return core, 0, identifiers


def is_prerelease(version: str) -> bool:
    """Whether `version` carries a prerelease part (`2.0.0-rc.1`); ValueError when not semver."""
    return precedence(version)[1] == 0


def needed_for_breaking(old_version: str) -> tuple[int, int, int]:
    """The lowest core version that may break clients of `old_version` (the next major,
    the next minor while it is 0.x)."""
    major, minor, _ = semver(old_version)
    return (major + 1, 0, 0) if major > 0 else (0, minor + 1, 0)


def breaking_allowed(old_version: str, new_version: str) -> bool:
    """Whether going from `old_version` to `new_version` may break clients.

    Yes when the new core reaches the next major (the next minor in 0.x); a prerelease of
    it counts (1.4.0 -> 2.0.0-rc.1), since the prerelease is where a major's breaking
    changes first ship. Yes also within the prereleases of a major not yet released
    (2.0.0-rc.1 -> 2.0.0-rc.2 -> 2.0.0): semver §9 says a prerelease may not satisfy the
    compatibility its version implies, so its users expect changes until the release, and
    the release is not a new major over its own candidates (no 3.0.0 for a fix found in
    rc.1). That holds only for a major's prereleases: 1.4.0-rc.1 -> 1.4.0 is a minor
    release over 1.3.0, whose users a breaking change would break.
    """
    old_core, new_core = semver(old_version), semver(new_version)
    if new_core >= needed_for_breaking(old_version):
        return True
    opens_a_major = old_core[1:] == (0, 0) if old_core[0] > 0 else old_core[2] == 0
    return is_prerelease(old_version) and opens_a_major and new_core == old_core


def same_version(first: str, second: str) -> bool:
    """Equal semver precedence (build metadata ignored), else equal strings when either is
    not semver (a heading such as `## Unreleased`)."""
    try:
        return precedence(first) == precedence(second)
    except ValueError:
        return first == second


def breaking_verdict(direction: Direction, kind: Kind) -> bool:
    """Requests break when they accept less, responses when they may carry more."""
    if kind == "changed":
        return True
    return kind == ("narrowed" if direction == "request" else "widened")


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
    keywords: dict[str, JSON]  # constraint keywords (CONSTRAINT_KEYWORDS)
    member_names: dict[str, str]  # named value -> its x-enum-varnames entry


def _types_of(schema: Mapping[str, JSON]) -> frozenset[str] | None:
    declared = schema.get("type")
    if isinstance(declared, str):
        return frozenset({declared})
    if isinstance(declared, list):
        return frozenset(str(t) for t in declared)
    if "enum" in schema and isinstance(schema["enum"], list):
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


def _member_names(schema: Mapping[str, JSON]) -> dict[str, str]:
    """Each enum value -> the member name openapi-python-client gives it.

    The generator's own rule (EnumProperty.values_from_list): `x-enum-varnames` counts only
    when it names every non-null value; otherwise an integer `n` is `VALUE_n`
    (`VALUE_NEGATIVE_n` below zero) and a string is upper-cased when it starts with a
    letter, else `VALUE_<index>`; names are then snake-cased and upper-cased. Comparing
    these names, not the extension as written, keeps `x-enum-varnames: [ASC, DESC]` on
    `[asc, desc]` (the names the generator chose anyway) from reading as a rename.
    """
    from openapi_python_client.strings import snake_case

    values, var_names = schema.get("enum"), schema.get("x-enum-varnames")
    if not isinstance(values, list):
        return {}
    listed = [v for v in values if v is not None]
    kinds = {type(v) for v in listed}
    if len(kinds) != 1 or not kinds <= {str, int}:  # the generator makes no enum class of these
        return {}
    given = var_names if isinstance(var_names, list) and len(var_names) == len(listed) else None
    names: dict[str, str] = {}
    for index, value in enumerate(listed):
        if given is not None:
            name = snake_case(str(given[index])).upper()
        elif isinstance(value, int):
            name = f"VALUE_NEGATIVE_{-value}" if value < 0 else f"VALUE_{value}"
        else:
            name = snake_case(value.upper() if value and value[0].isalpha() else f"VALUE_{index}").upper()
        names[_value_key(value)] = name
    return names


def view(spec: Spec, node: JSON) -> View:
    """The admitted values of a schema node, with unions and allOf folded in."""
    schema = _merge_all_of(spec, spec.resolve(node)) if isinstance(node, Mapping) else {}
    branches = [view(spec, b) for b in schema.get("anyOf", []) + schema.get("oneOf", [])]
    own_types = _types_of({k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")})
    named: set[str] = set()
    if "enum" in schema:
        named |= {_value_key(v) for v in schema["enum"]}
    if "const" in schema:
        named.add(_value_key(schema["const"]))
    own_open = not ("enum" in schema or "const" in schema)
    # `uniqueItems: false` is the default: written out or left out, it restricts nothing.
    own_keywords = {
        k: schema[k] for k in CONSTRAINT_KEYWORDS if k in schema and (k, schema[k]) != ("uniqueItems", False)
    }
    if not branches:
        return View(
            types=own_types,
            named_values=frozenset(named),
            enum_open=own_open,
            properties=dict(schema.get("properties", {})),
            required=frozenset(schema.get("required", [])),
            additional=schema.get("additionalProperties"),
            items=schema.get("items"),
            keywords=own_keywords,
            member_names=_member_names(schema),
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
    member_names = _member_names(schema)
    for branch in branches:
        if branch.types is None or types is None:
            types = None
        else:
            types |= branch.types
        named |= branch.named_values
        member_names.update(branch.member_names)
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
        member_names=member_names,
    )


def generates_class(spec: Spec, node: JSON) -> bool:
    """Whether openapi-python-client makes a class (model or enum) of this schema."""
    schema = spec.resolve(node) if isinstance(node, Mapping) else {}
    return isinstance(schema, Mapping) and ("enum" in schema or "properties" in schema or "allOf" in schema)


def _single_ref(node: JSON) -> JSON:
    """The `$ref` a lone allOf/anyOf/oneOf member points through, else the node itself.

    openapi-python-client types `allOf: [$ref: X]` (a shared enum with a default of its own,
    say) as class X itself, without a copy class; so does this comparison.
    """
    while isinstance(node, Mapping) and "$ref" not in node:
        members = [*node.get("allOf", []), *node.get("anyOf", []), *node.get("oneOf", [])]
        if len(members) != 1 or not isinstance(members[0], Mapping) or "$ref" not in members[0]:
            break
        node = members[0]
    return node


def generated_class(spec: Spec, node: JSON) -> str | None:
    """What names the class a schema node is typed as: a component's title or name, "inline"
    for a class named after where it sits, None when no class is generated."""
    node = _single_ref(node)
    if not generates_class(spec, node):
        return None
    ref = node.get("$ref") if isinstance(node, Mapping) else None
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[1].replace("~1", "/").replace("~0", "~")
        title = spec.resolve(node).get("title")
        return str(title or name)
    return "inline"


# --- comparisons ---------------------------------------------------------------------


def _fmt_types(types: frozenset[str] | None) -> str:
    return "any" if types is None else "|".join(sorted(types))


def _uncovered(types: frozenset[str], by: frozenset[str]) -> frozenset[str]:
    """The types of `types` that `by` does not admit; JSON Schema's number includes integer."""
    return frozenset(t for t in types if t not in by and not (t == "integer" and "number" in by))


def _constraint_kind(key: str, before: JSON, after: JSON) -> Kind:
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
    """Report how the values one schema admits changed, in the given direction."""
    if depth > 32:  # recursive schemas: compare a bounded depth
        return
    a, b = view(old_spec, old), view(new_spec, new)
    request = direction == "request"
    # The generated class name: `title` renames it; component schemas are checked in diff().
    inline = isinstance(old, Mapping) and isinstance(new, Mapping) and "$ref" not in old and "$ref" not in new
    if inline and old.get("title") != new.get("title"):
        renames = generates_class(old_spec, old) or generates_class(new_spec, new)
        report.add(
            "schema-title-changed",
            where,
            renames,
            f"{old.get('title')!r} -> {new.get('title')!r}"
            + (" (the generated class is renamed)" if renames else " (no class is generated here)"),
        )
    # The class a value is typed as: switching it breaks code that names the old class.
    # (A component's own rename through `title` is reported once, by compare_components.)
    class_a, class_b = generated_class(old_spec, old), generated_class(new_spec, new)
    through_a, through_b = _single_ref(old), _single_ref(new)
    ref_a = through_a.get("$ref", "inline") if isinstance(through_a, Mapping) else "inline"
    ref_b = through_b.get("$ref", "inline") if isinstance(through_b, Mapping) else "inline"
    if class_a is not None and class_b is not None and ref_a != ref_b and class_a != class_b:
        typed_a, typed_b = (name if name == "inline" else pascal_case(name) for name in (class_a, class_b))
        if typed_a != typed_b:
            report.add("schema-class-changed", where, True, f"typed as {typed_a} -> {typed_b}")
    # Types.
    if a.types != b.types:
        removed = a.types is None or (b.types is not None and bool(_uncovered(a.types, b.types)))
        added = b.types is None or (a.types is not None and bool(_uncovered(b.types, a.types)))
        kind: Kind = "changed" if removed and added else "narrowed" if removed else "widened"
        report.add(
            f"{direction}-type-{kind}",
            where,
            breaking_verdict(direction, kind),
            f"{_fmt_types(a.types)} -> {_fmt_types(b.types)}",
        )
    # Enums: a removed value also removes its generated member, so it breaks either way.
    for value in sorted(a.named_values - b.named_values):
        report.add(
            f"{direction}-enum-value-removed", f"{where} = {value}", True, "a named value and its member are gone"
        )
    for value in sorted(b.named_values - a.named_values):
        widens_closed = not request and not a.enum_open and bool(a.named_values)
        report.add(
            f"{direction}-enum-value-added",
            f"{where} = {value}",
            widens_closed,
            "closed enum gained a value" if widens_closed else "new value",
        )
    if a.enum_open and not b.enum_open:
        report.add(f"{direction}-enum-closed", where, request, "values outside the enum are no longer admitted")
    elif not a.enum_open and b.enum_open:
        report.add(f"{direction}-enum-opened", where, not request, "values outside the enum are now admitted")
    for value in sorted(a.named_values & b.named_values):
        name_a, name_b = a.member_names.get(value), b.member_names.get(value)
        if name_a is not None and name_b is not None and name_a != name_b:
            report.add(
                "enum-member-renamed",
                f"{where} = {value}",
                True,
                f"generated member {name_a} -> {name_b} (x-enum-varnames or the generator's default naming)",
            )
    # Constraints: every keyword that restricts a value.
    for key in sorted(set(a.keywords) | set(b.keywords)):
        before, after = a.keywords.get(key), b.keywords.get(key)
        if before == after:
            continue
        kind = _constraint_kind(key, before, after)
        report.add(
            f"{direction}-constraint-{kind}",
            f"{where} {key}",
            breaking_verdict(direction, kind),
            f"{key}: {before!r} -> {after!r}",
        )
    # additionalProperties: closed < schema < open.
    state_a, state_b = _additional_state(a.additional), _additional_state(b.additional)
    if state_a == state_b == "schema":
        compare_schemas(old_spec, new_spec, a.additional, b.additional, direction, f"{where}/*", report, depth + 1)
    elif state_a != state_b:
        order = {"closed": 0, "schema": 1, "open": 2}
        kind = "narrowed" if order[state_b] < order[state_a] else "widened"
        report.add(
            f"{direction}-additional-properties-{kind}",
            where,
            breaking_verdict(direction, kind),
            f"{a.additional!r} -> {b.additional!r}",
        )
    # Properties: a removed one takes its generated attribute with it.
    for name in sorted(set(a.properties) - set(b.properties)):
        report.add(f"{direction}-property-removed", f"{where}/{name}", True, "the property and its attribute are gone")
    for name in sorted(set(b.properties) - set(a.properties)):
        newly_required = name in b.required
        if request and newly_required:
            report.add("request-required-property-added", f"{where}/{name}", True, "old requests lack it")
        else:
            report.add(
                f"{direction}-property-added", f"{where}/{name}", False, "required" if newly_required else "optional"
            )
    for name in sorted(set(a.properties) & set(b.properties)):
        if name in a.required and name not in b.required:
            report.add(
                f"{direction}-property-no-longer-required",
                f"{where}/{name}",
                not request,
                "relaxed" if request else "clients may rely on its presence",
            )
        elif name not in a.required and name in b.required:
            report.add(
                f"{direction}-property-now-required",
                f"{where}/{name}",
                request,
                "old requests lack it" if request else "answers always carry it now",
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
        location, name = str(param["in"]), str(param["name"])
        # Header names are case-insensitive on the wire.
        params[(location, name.lower() if location == "header" else name)] = param
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
    content = param.get("content")
    if isinstance(content, Mapping) and content:
        # `content` serialises the value as that media type (JSON text, quotes and all).
        return f"content {next(iter(content))}", False
    style = param.get("style", "form" if param["in"] in ("query", "cookie") else "simple")
    return str(style), bool(param.get("explode", style == "form"))


def _value_schema(holder: Mapping[str, JSON]) -> JSON:
    """The schema of a parameter or header: `schema`, or that of its one `content` entry."""
    if "schema" in holder:
        return holder["schema"]
    content = holder.get("content")
    if isinstance(content, Mapping) and content:
        media = next(iter(content.values()))
        return media.get("schema") if isinstance(media, Mapping) else None
    return None


def _schema_default(spec: Spec, schema: JSON) -> JSON:
    return _merge_all_of(spec, spec.resolve(schema)).get("default") if isinstance(schema, Mapping) else None


def compare_parameters(
    old: Spec, new: Spec, op: str, a: dict[tuple[str, str], JSON], b: dict[tuple[str, str], JSON], report: Report
) -> None:
    """Parameters are request inputs: presence, required-ness, wire format, default, schema."""
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
            # style/explode only shape arrays and objects on the wire; a scalar is sent alike.
            types = view(old, _value_schema(pa)).types
            as_content = "content" in pa or "content" in pb
            structured = as_content or types is None or bool(types & {"array", "object"})
            report.add(
                "parameter-serialization-changed",
                where,
                structured,
                f"style, explode {_serialization(pa)} -> {_serialization(pb)}"
                + ("; old clients send the old wire format" if structured else "; a scalar is sent the same way"),
            )
        da, db = _schema_default(old, _value_schema(pa)), _schema_default(new, _value_schema(pb))
        if da != db:
            if da is None:
                report.add("parameter-default-added", where, False, f"default {db!r}: documents what omitting it means")
            elif db is None:
                report.add("parameter-default-removed", where, False, f"default {da!r} no longer documented")
            else:
                report.add("parameter-default-changed", where, True, f"default {da!r} -> {db!r}")
        compare_schemas(old, new, _value_schema(pa), _value_schema(pb), "request", where, report)


def _content(spec: Spec, holder: Mapping[str, JSON]) -> dict[str, JSON]:
    return dict(spec.resolve(holder).get("content") or {})


def _headers(spec: Spec, response: Mapping[str, JSON]) -> dict[str, tuple[str, JSON]]:
    """Header name, lower-cased (HTTP header names are case-insensitive) -> (as written, header)."""
    return {str(name).lower(): (str(name), spec.resolve(h)) for name, h in (response.get("headers") or {}).items()}


def compare_response_headers(
    old: Spec, new: Spec, op: str, ra: Mapping[str, JSON], rb: Mapping[str, JSON], report: Report
) -> None:
    """Response headers are outputs: removed or no longer required breaks, schemas compare as responses.

    Locations are `<op> <header name>`, without the status: compare_responses folds the same
    change in several answers of one operation (a shared header) into one change.
    """
    ha, hb = _headers(old, ra), _headers(new, rb)
    for key in sorted(set(ha) - set(hb)):
        report.add("response-header-removed", f"{op} {ha[key][0]}", True, "header removed")
    for key in sorted(set(hb) - set(ha)):
        report.add("response-header-added", f"{op} {hb[key][0]}", False, "new header")
    for key in sorted(set(ha) & set(hb)):
        (name, header_a), (_, header_b) = ha[key], hb[key]
        spot = f"{op} {name}"
        required_a, required_b = bool(header_a.get("required")), bool(header_b.get("required"))
        if required_a and not required_b:
            report.add("response-header-made-optional", spot, True, "clients may rely on its presence")
        elif required_b and not required_a:
            report.add("response-header-made-required", spot, False, "answers always carry it now")
        compare_schemas(old, new, _value_schema(header_a), _value_schema(header_b), "response", spot, report)


def _fold_statuses(per_status: list[tuple[str, Report]], report: Report) -> None:
    """One change per (rule, location, verdict), naming the statuses it was found in."""
    folded: dict[tuple[str, str, bool], tuple[Change, list[str]]] = {}
    for status, found in per_status:
        for change in found.changes:
            key = (change.rule, change.location, change.breaking)
            folded.setdefault(key, (change, []))[1].append(status)
    for change, statuses in folded.values():
        report.add(change.rule, change.location, change.breaking, f"{change.detail}; header of {', '.join(statuses)}")


def compare_responses(
    old: Spec, new: Spec, op: str, a: Mapping[str, JSON], b: Mapping[str, JSON], report: Report
) -> None:
    """Statuses, headers, media types and body schemas of one operation's answers."""
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
    headers: list[tuple[str, Report]] = []
    for status in sorted(set(a) & set(b)):
        ra, rb = old.resolve(a[status]), new.resolve(b[status])
        where = f"{op} {status}"
        headers.append((str(status), Report()))
        compare_response_headers(old, new, op, ra, rb, headers[-1][1])
        ca, cb = _content(old, ra), _content(new, rb)
        for media in sorted(set(ca) - set(cb)):
            report.add("response-media-type-removed", f"{where} {media}", True, "media type removed")
        for media in sorted(set(cb) - set(ca)):
            report.add("response-media-type-added", f"{where} {media}", False, "new media type")
        for media in sorted(set(ca) & set(cb)):
            compare_schemas(
                old, new, ca[media].get("schema"), cb[media].get("schema"), "response", f"{where} {media} #", report
            )
    _fold_statuses(headers, report)


def compare_request_bodies(old: Spec, new: Spec, op: str, a: JSON, b: JSON, report: Report) -> None:
    """A request body is an input: a body that goes, or becomes required, breaks."""
    if a is None and b is None:
        return
    if b is None:
        report.add("request-body-removed", op, True, "old clients send a body the operation no longer takes")
        return
    ba, bb = old.resolve(a) if a is not None else {}, new.resolve(b)
    if a is None:
        report.add("request-body-added", op, bool(bb.get("required")), "required" if bb.get("required") else "optional")
        return
    if not ba.get("required") and bb.get("required"):
        report.add("request-body-now-required", op, True, "old requests may lack it")
    elif ba.get("required") and not bb.get("required"):
        report.add("request-body-now-optional", op, False, "relaxed")
    ca, cb = _content(old, ba), _content(new, bb)
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
# The key of `x-pagination` that allows a walk to fetch pages side by side (an opt-in).
PAGINATION_CONCURRENCY = "concurrency"
# Keys of a waiter in `x-waiters` that only document it.
WAITER_DOC_KEYS = {"description"}


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
        if key == PAGINATION_CONCURRENCY:
            _compare_concurrency(pa.get(key), pb.get(key), op, report)
        elif pa.get(key) != pb.get(key):
            report.add(
                "pagination-changed",
                f"{op} x-pagination.{key}".rstrip("."),
                True,
                f"{pa.get(key)!r} -> {pb.get(key)!r} (the paging helpers would walk differently)",
            )


def _compare_concurrency(a: JSON, b: JSON, op: str, report: Report) -> None:
    """`x-pagination.concurrency`: an opt-in of the helpers, so adding it is safe, removing it not."""
    where = f"{op} x-pagination.{PAGINATION_CONCURRENCY}"
    if a is None and b is not None:
        report.add("pagination-concurrency-added", where, False, "the paging helpers gain concurrency=")
        return
    if b is None:
        report.add("pagination-concurrency-removed", where, True, "the paging helpers lose concurrency=")
        return
    ca = a if isinstance(a, Mapping) else {"": a}
    cb = b if isinstance(b, Mapping) else {"": b}
    for key in sorted((set(ca) | set(cb)) - PAGINATION_DOC_KEYS):
        if ca.get(key) != cb.get(key):
            report.add(
                "pagination-changed",
                f"{where}.{key}".rstrip("."),
                True,
                f"{ca.get(key)!r} -> {cb.get(key)!r} (a concurrent walk would pace itself differently)",
            )


def compare_waiters(a: JSON, b: JSON, op: str, report: Report) -> None:
    """`x-waiters`, like `x-pagination`: the generated waiters (and `processor-tasks wait`)
    are built from it, so a waiter removed or changed in any way but its description breaks."""
    wa = a if isinstance(a, Mapping) else ({} if a is None else {"": a})
    wb = b if isinstance(b, Mapping) else ({} if b is None else {"": b})
    for name in sorted(set(wa) - set(wb), key=str):
        report.add("waiter-removed", f"{op} x-waiters.{name}", True, "the generated waiter is built from x-waiters")
    for name in sorted(set(wb) - set(wa), key=str):
        report.add("waiter-added", f"{op} x-waiters.{name}", False, "new waiter")
    for name in sorted(set(wa) & set(wb), key=str):
        xa = wa[name] if isinstance(wa[name], Mapping) else {"": wa[name]}
        xb = wb[name] if isinstance(wb[name], Mapping) else {"": wb[name]}
        for key in sorted((set(xa) | set(xb)) - WAITER_DOC_KEYS, key=str):
            if xa.get(key) != xb.get(key):
                report.add(
                    "waiter-changed",
                    f"{op} x-waiters.{name}.{key}".rstrip("."),
                    True,
                    f"{xa.get(key)!r} -> {xb.get(key)!r} (the generated waiter would wait differently)",
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
            _compare_variable_enum(before[1], after[1], f"{where} {url} {{{name}}}", report)
            for label, value_a, value_b in (("default", before[0], after[0]),):
                if value_a != value_b:
                    report.add(
                        "server-variable-changed",
                        f"{where} {url} {{{name}}} {label}",
                        False,
                        f"{value_a!r} -> {value_b!r}; clients configure their base URL",
                        informational=True,
                    )


def _compare_variable_enum(a: JSON, b: JSON, where: str, report: Report) -> None:
    # The generated client takes a server variable with an enum as an argument (region=)
    # and refuses values outside it: fewer values, or no argument, break its callers.
    values_a = [str(v) for v in a] if isinstance(a, list) else None
    values_b = [str(v) for v in b] if isinstance(b, list) else None
    if values_a is None and values_b is not None:
        report.add("server-variable-enum-added", where, False, f"{values_b!r}; the client gains an argument for it")
    elif values_a is not None and values_b is None:
        report.add("server-variable-enum-removed", where, True, "the client's argument for it goes away")
    elif values_a is not None and values_b is not None:
        for value in values_a:
            if value not in values_b:
                report.add(
                    "server-variable-enum-value-removed",
                    f"{where} {value}",
                    True,
                    "clients passing it would be refused",
                )
        for value in values_b:
            if value not in values_a:
                report.add(
                    "server-variable-enum-value-added", f"{where} {value}", False, "a new value clients may pass"
                )


def _module_name(value: JSON, prefix: str) -> str:
    """The Python identifier openapi-python-client derives from an operationId or tag."""
    # The generator's own naming, imported when first needed: the package takes a second to load.
    from openapi_python_client.strings import PythonIdentifier

    return str(PythonIdentifier(str(value), prefix=prefix))


def pascal_case(value: str) -> str:
    """The class name openapi-python-client derives from a schema name or title."""
    from openapi_python_client.strings import pascal_case as generator_pascal_case

    return generator_pascal_case(value)


def _first_tag(operation: Mapping[str, JSON]) -> str:
    tags = operation.get("tags") or ["default"]
    return str(tags[0])


def _class_source(spec: Spec, name: str, schema: JSON) -> str:
    """What a component's generated class is named from: its title, else its name."""
    resolved = spec.resolve(schema)
    title = resolved.get("title") if isinstance(resolved, Mapping) else None
    return str(title or name)


def compare_components(old: Spec, new: Spec, report: Report) -> None:
    """Named schemas are the generated model and enum classes: a class name that goes breaks."""
    a = dict((old.document.get("components") or {}).get("schemas") or {})
    b = dict((new.document.get("components") or {}).get("schemas") or {})
    # The generated class (and its module) is named from the title, else the key: a key
    # renamed under an unchanged title keeps the class.
    added_classes = {pascal_case(_class_source(new, n, b[n])): n for n in set(b) - set(a) if generates_class(new, b[n])}
    for name in sorted(set(a) - set(b)):
        kept = added_classes.get(pascal_case(_class_source(old, name, a[name])))
        if kept is not None and generates_class(old, a[name]):
            detail = f"renamed to {kept}; its title keeps the generated class {pascal_case(_class_source(old, name, a[name]))}"
        elif not generates_class(old, a[name]):
            kept, detail = name, "no class was generated from it"
        else:
            detail = "the generated class of that name disappears"
        report.add("component-schema-removed", f"#/components/schemas/{name}", kept is None, detail)
    for name in sorted(set(b) - set(a)):
        report.add("component-schema-added", f"#/components/schemas/{name}", False, "new model")
    for name in sorted(set(a) & set(b)):
        source_a, source_b = _class_source(old, name, a[name]), _class_source(new, name, b[name])
        class_a, class_b = (pascal_case(source_a), pascal_case(source_b)) if source_a != source_b else ("", "")
        if class_a != class_b:
            renames = generates_class(old, a[name]) or generates_class(new, b[name])
            report.add(
                "schema-title-changed",
                f"#/components/schemas/{name}",
                renames,
                f"class {class_a} -> {class_b}" if renames else "no class is generated from it",
            )


def compare_operation_names(op: str, op_a: Mapping[str, JSON], op_b: Mapping[str, JSON], report: Report) -> None:
    """operationId names the generated module and functions, the first tag the package they sit in."""
    id_a, id_b = op_a.get("operationId"), op_b.get("operationId")
    if id_a != id_b:
        module_a, module_b = _module_name(id_a, "operation"), _module_name(id_b, "operation")
        renamed = module_a != module_b
        report.add(
            "operation-id-changed",
            op,
            renamed,
            f"{id_a} -> {id_b} "
            + (f"(module {module_a} -> {module_b})" if renamed else f"(the generated name stays {module_a})"),
        )
    tag_a, tag_b = _first_tag(op_a), _first_tag(op_b)
    if tag_a != tag_b:
        package_a, package_b = _module_name(tag_a, "tag"), _module_name(tag_b, "tag")
        moved = package_a != package_b
        report.add(
            "operation-tag-changed",
            op,
            moved,
            f"{tag_a} -> {tag_b} "
            + (f"(package api.{package_a} -> api.{package_b})" if moved else f"(package stays api.{package_a})"),
        )


def diff(old_document: Mapping[str, JSON], new_document: Mapping[str, JSON]) -> Report:
    """Every change from the old contract to the new one, each with its verdict."""
    old, new = Spec(old_document), Spec(new_document)
    report = Report()
    compare_components(old, new, report)
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
        compare_operation_names(op, op_a, op_b, report)
        compare_parameters(old, new, op, _parameters(old, item_a, op_a), _parameters(new, item_b, op_b), report)
        compare_request_bodies(old, new, op, op_a.get("requestBody"), op_b.get("requestBody"), report)
        compare_responses(old, new, op, op_a.get("responses") or {}, op_b.get("responses") or {}, report)
        compare_pagination(op_a.get("x-pagination"), op_b.get("x-pagination"), op, report)
        compare_waiters(op_a.get("x-waiters"), op_b.get("x-waiters"), op, report)
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
        if ack and current is not None and same_version(current, version):
            ids.add(ack.group("id").strip("`"))
    return ids


def version_problems(old_version: str, new_version: str, breaking: bool) -> Iterator[str]:
    """What is wrong with the version step, in semver 2.0.0 precedence (see `breaking_allowed`)."""
    if precedence(new_version) < precedence(old_version):
        yield f"info.version went down: {old_version} -> {new_version}"
    if breaking and not breaking_allowed(old_version, new_version):
        needs = ".".join(map(str, needed_for_breaking(old_version)))
        yield (
            f"breaking changes need info.version >= {needs} or a prerelease of it such as {needs}-rc.1 "
            f"(semver major bump over {old_version}); it is {new_version}"
        )


# --- command line --------------------------------------------------------------------


def parse_document(text: str, label: str) -> dict[str, JSON]:
    """The parsed spec, or a SpecDiffError naming `label` and what is wrong with it."""
    if not text.strip():
        raise SpecDiffError(label, "the file is empty", EXIT_SPEC_EMPTY)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecDiffError(label, f"not valid YAML{where}: {problem}", EXIT_SPEC_YAML) from exc
    if document is None:
        raise SpecDiffError(label, "the file holds no document (only comments?)", EXIT_SPEC_EMPTY)
    if not isinstance(document, dict):
        raise SpecDiffError(
            label,
            f"not an OpenAPI document: the top level is of type {_json_type(document)}, not a mapping",
            EXIT_SPEC_SHAPE,
        )
    info = document.get("info")
    version = info.get("version") if isinstance(info, dict) else None
    if version is None:
        raise SpecDiffError(label, "not an OpenAPI document: info.version is missing", EXIT_SPEC_SHAPE)
    if not isinstance(version, str) or SEMVER.match(version) is None:
        raise SpecDiffError(
            label, f"info.version {version!r} is not semver (MAJOR.MINOR.PATCH, quoted)", EXIT_SPEC_VERSION
        )
    return document


def read_file(path: Path, what: str) -> str:
    """A file's text, or a SpecDiffError saying it is missing or unreadable."""
    code = EXIT_CHANGELOG_MISSING if what == "changelog" else EXIT_SPEC_MISSING
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SpecDiffError(str(path), f"{what} file not found", code) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecDiffError(str(path), f"cannot read the {what}: {exc.__class__.__name__}: {exc}", code) from exc


def read_at_ref(ref: str, path: str) -> str:
    """The text of `path` at git `ref`, or a SpecDiffError naming both."""
    shown = subprocess.run(["git", "show", f"{ref}:{path}"], capture_output=True, text=True, check=False)
    if shown.returncode != 0:
        reason = (shown.stderr.strip().splitlines() or ["git show failed"])[-1]
        raise SpecDiffError(f"{ref}:{path}", f"cannot read the spec at that ref ({reason})", EXIT_SPEC_MISSING)
    return shown.stdout


def path_in_repository(path: Path) -> str | None:
    """`path` relative to the top of the git work tree it lies in, or None when it lies outside."""
    shown = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False)
    if shown.returncode != 0:
        return None
    try:
        return path.resolve().relative_to(Path(shown.stdout.strip()).resolve()).as_posix()
    except ValueError:
        return None


def run(
    old_document: JSON,
    new_document: JSON,
    changelog: str,
    base_label: str,
    changelog_label: str = "openapi/CHANGELOG.md",
) -> tuple[int, str]:
    """The report text and exit status (0 or EXIT_BREAKING) for two parsed specs."""
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
    status = EXIT_BREAKING if unacknowledged or problems else 0
    lines.append(
        f"{len(report.changes)} change(s), {len(report.breaking)} breaking, {len(unacknowledged)} not acknowledged"
    )
    if unacknowledged:
        # Acknowledgements count only under the heading of the version that ships them: the
        # bumped one when the version is still too low.
        heading = f"## {new_version}" if not problems else "## <the bumped version>"
        lines.append(f"To accept them, add under the '{heading}' heading of {changelog_label}:")
        lines.extend(f"  Breaking: {c.id}" for c in unacknowledged)
    return status, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line of `make diff`; see the module docstring for the exit codes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--base", help="git ref of the old spec (read with git show REF:BASE_PATH)")
    source.add_argument("--base-file", type=Path, help="a file holding the old spec")
    parser.add_argument("--spec", default=DEFAULT_SPEC, help="the new spec (working tree)")
    parser.add_argument(
        "--base-path",
        help="the spec's path inside --base (default: --spec when it lies in the repository, else "
        f"{DEFAULT_SPEC}), so that an edited copy elsewhere compares with the committed spec",
    )
    parser.add_argument("--changelog", type=Path, default=Path("openapi/CHANGELOG.md"))
    args = parser.parse_args(argv)
    try:
        if args.base_file is not None:
            label = str(args.base_file)
            old_document = parse_document(read_file(args.base_file, "spec"), label)
        else:
            label = args.base
            base_path = args.base_path or path_in_repository(Path(args.spec)) or DEFAULT_SPEC
            old_document = parse_document(read_at_ref(args.base, base_path), f"{args.base}:{base_path}")
        new_document = parse_document(read_file(Path(args.spec), "spec"), args.spec)
        changelog = read_file(args.changelog, "changelog")
        try:
            status, text = run(old_document, new_document, changelog, label, str(args.changelog))
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            # The walk met a node of the wrong shape (a parameter without `in`, a broken $ref).
            raise SpecDiffError(
                f"{label} or {args.spec}",
                f"not an OpenAPI document this tool can walk ({exc.__class__.__name__}: {exc})",
                EXIT_SPEC_SHAPE,
            ) from exc
    except SpecDiffError as exc:
        print(f"spec_diff: {exc}", file=sys.stderr)
        return exc.code
    print(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
