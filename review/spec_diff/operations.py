"""Operations: which exist (by method and path), and the operation extensions the generated
helpers are built from (`x-pagination`).

Paging keeps a rule of its own although the generated API is compared too: the paging
helpers' signatures stay the same when `x-pagination` changes (a new `first-page`, another
`items` field), only how they walk changes, which no comparison of names or types can see.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .loading import Spec
from .rules import Report

JSON = Any
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Keys of `x-pagination` that only document it.
PAGINATION_DOC_KEYS = {"description"}
Operations = dict[tuple[str, str], tuple[str, Mapping[str, JSON], Mapping[str, JSON]]]


def _normalized_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def operations(spec: Spec) -> Operations:
    """(METHOD, path with its parameters unnamed) -> (path, path item, operation)."""
    ops: Operations = {}
    for path, raw_item in (spec.document.get("paths") or {}).items():
        item = spec.resolve(raw_item)
        for method in HTTP_METHODS:
            if method in item:
                ops[(method.upper(), _normalized_path(path))] = (path, item, item[method])
    return ops


def compare_operations(a_ops: Operations, b_ops: Operations, report: Report) -> None:
    """Operations that went or came."""
    for key in sorted(set(a_ops) - set(b_ops)):
        report.add("operation-removed", f"{key[0]} {a_ops[key][0]}", "operation removed")
    for key in sorted(set(b_ops) - set(a_ops)):
        report.add("operation-added", f"{key[0]} {b_ops[key][0]}", "new operation")


def compare_pagination(a: JSON, b: JSON, op: str, report: Report) -> None:
    """Any change to `x-pagination` but its description breaks the paging helpers' walk."""
    if a is None and b is None:
        return
    if b is None:
        report.add("pagination-removed", op, "the generated paging helpers are built from x-pagination")
        return
    if a is None:
        report.add("pagination-added", op, "new paging helpers")
        return
    pa = a if isinstance(a, Mapping) else {"": a}
    pb = b if isinstance(b, Mapping) else {"": b}
    for key in sorted((set(pa) | set(pb)) - PAGINATION_DOC_KEYS):
        if pa.get(key) != pb.get(key):
            report.add(
                "pagination-changed",
                f"{op} x-pagination.{key}".rstrip("."),
                f"{pa.get(key)!r} -> {pb.get(key)!r} (the paging helpers would walk differently)",
            )
