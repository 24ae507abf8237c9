"""The provider's facts (tests/spec/provider_facts.yaml), loaded and checked for shape.

The spec tests compare the contract with these values; `test_provider_pages.py` compares
these values with the provider's pages when a copy of them is at hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from tests.paths import PROVIDER_FACTS

PRIMITIVE_TYPES = frozenset({"String", "Integer", "Long", "Boolean", "Object", "Array"})
_REVISION = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class Field:
    """One parameter or response field as a provider table gives it."""

    name: str
    type: str
    mandatory: bool | None = None
    values: tuple[Any, ...] | None = None
    default: Any = None
    has_default: bool = False
    minimum: int | None = None
    maximum: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    characters: str | None = None


@dataclass(frozen=True)
class Operation:
    """One of the two calls, from its page."""

    operation_id: str
    page: str
    method: str
    path: str
    path_parameters: dict[str, Field]
    query_parameters: dict[str, Field]
    example_queries: tuple[str, ...]
    response: str
    statuses: frozenset[int]


@dataclass(frozen=True)
class ProviderObject:
    """A response table: an object and its fields."""

    name: str
    pages: tuple[str, ...]
    fields: dict[str, Field]


@dataclass(frozen=True)
class Facts:
    """Everything in provider_facts.yaml."""

    repository: str
    revision: str
    pages: dict[str, dict[str, Any]]
    operations: dict[str, Operation]
    objects: dict[str, ProviderObject]
    error_codes: dict[int, frozenset[str]]
    error_codes_page: str
    not_listed_codes: frozenset[str]
    response_headers: frozenset[str]


def _field(name: str, raw: dict[str, Any]) -> Field:
    unknown = set(raw) - {
        "type",
        "mandatory",
        "values",
        "default",
        "minimum",
        "maximum",
        "min_length",
        "max_length",
        "characters",
    }
    if unknown:
        raise ValueError(f"{name}: unknown keys {sorted(unknown)}")
    values = raw.get("values")
    return Field(
        name=name,
        type=raw["type"],
        mandatory=raw.get("mandatory"),
        values=tuple(values) if values is not None else None,
        default=raw.get("default"),
        has_default="default" in raw,
        minimum=raw.get("minimum"),
        maximum=raw.get("maximum"),
        min_length=raw.get("min_length"),
        max_length=raw.get("max_length"),
        characters=raw.get("characters"),
    )


def parse(raw: dict[str, Any]) -> Facts:
    """Build `Facts` from the YAML document, refusing entries without a known page or revision."""
    pages: dict[str, dict[str, Any]] = raw["pages"]
    for key, page in pages.items():
        if not _REVISION.match(str(page.get("revision", ""))) or not page.get("path"):
            raise ValueError(f"page {key!r} needs a path and a 40-hex revision")

    def known(where: str, page: str) -> str:
        if page not in pages:
            raise ValueError(f"{where}: page {page!r} is not in `pages`")
        return page

    operations = {
        op_id: Operation(
            operation_id=op_id,
            page=known(op_id, op["page"]),
            method=op["method"],
            path=op["path"],
            path_parameters={n: _field(n, f) for n, f in op["path_parameters"].items()},
            query_parameters={n: _field(n, f) for n, f in op["query_parameters"].items()},
            example_queries=tuple(op.get("example_queries", ())),
            response=op["response"],
            statuses=frozenset(op["statuses"]),
        )
        for op_id, op in raw["operations"].items()
    }
    objects: dict[str, ProviderObject] = {}
    for name, obj in raw["objects"].items():
        obj_pages = obj["page"] if isinstance(obj["page"], list) else [obj["page"]]
        objects[name] = ProviderObject(
            name=name,
            pages=tuple(known(name, p) for p in obj_pages),
            fields={n: _field(f"{name}.{n}", f) for n, f in obj["fields"].items()},
        )
    table_names = set(objects)
    for where, field in [(f"{o.name}.{f.name}", f) for o in objects.values() for f in o.fields.values()] + [
        (f"{op.operation_id}.{f.name}", f)
        for op in operations.values()
        for f in (*op.path_parameters.values(), *op.query_parameters.values())
    ]:
        target = field.type.removeprefix("Array of ")
        if field.type not in PRIMITIVE_TYPES and target not in table_names:
            raise ValueError(f"{where}: type {field.type!r} is neither a provider type nor a table")
    codes = raw["error_codes"]
    return Facts(
        repository=raw["source"]["repository"],
        revision=raw["source"]["revision"],
        pages=pages,
        operations=operations,
        objects=objects,
        error_codes={int(status): frozenset(listed) for status, listed in codes["by_status"].items()},
        error_codes_page=known("error_codes", codes["page"]),
        not_listed_codes=frozenset(codes.get("not_listed", ())),
        response_headers=frozenset(raw.get("response_headers", ())),
    )


@cache
def load() -> Facts:
    """The facts kept in the repository."""
    return parse(yaml.safe_load(PROVIDER_FACTS.read_text(encoding="utf-8")))
