"""Operations: which exist (by method and path), and the operation extensions the generated
helpers are built from (`x-pagination`, `x-waiters`).

Paging and waiting keep rules of their own although the generated API is compared too: the
helpers' signatures stay the same when `x-pagination` or `x-waiters` changes (a new
`first-page`, another success value), only how they walk or wait changes, which no
comparison of names or types can see.
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
# The key of `x-pagination` that allows a walk to fetch pages side by side (an opt-in).
PAGINATION_CONCURRENCY = "concurrency"
# Keys of a waiter in `x-waiters` that only document it.
WAITER_DOC_KEYS = {"description"}
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
    """Any change to `x-pagination` but its description breaks the paging helpers' walk, except
    adding `concurrency` (an opt-in `concurrency=` of the helpers)."""
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
        if key == PAGINATION_CONCURRENCY:
            _compare_concurrency(pa.get(key), pb.get(key), op, report)
        elif pa.get(key) != pb.get(key):
            report.add(
                "pagination-changed",
                f"{op} x-pagination.{key}".rstrip("."),
                f"{pa.get(key)!r} -> {pb.get(key)!r} (the paging helpers would walk differently)",
            )


def _compare_concurrency(a: JSON, b: JSON, op: str, report: Report) -> None:
    """`x-pagination.concurrency`: an opt-in of the helpers, so adding it is safe, removing it not."""
    where = f"{op} x-pagination.{PAGINATION_CONCURRENCY}"
    if a is None and b is not None:
        report.add("pagination-concurrency-added", where, "the paging helpers gain concurrency=")
        return
    if b is None:
        report.add("pagination-concurrency-removed", where, "the paging helpers lose concurrency=")
        return
    ca = a if isinstance(a, Mapping) else {"": a}
    cb = b if isinstance(b, Mapping) else {"": b}
    for key in sorted((set(ca) | set(cb)) - PAGINATION_DOC_KEYS):
        if ca.get(key) != cb.get(key):
            report.add(
                "pagination-changed",
                f"{where}.{key}".rstrip("."),
                f"{ca.get(key)!r} -> {cb.get(key)!r} (a concurrent walk would pace itself differently)",
            )


def compare_waiters(a: JSON, b: JSON, op: str, report: Report) -> None:
    """`x-waiters`, like `x-pagination`: the generated waiters (and `processor-tasks wait`)
    are built from it, so a waiter removed or changed in any way but its description breaks."""
    wa = a if isinstance(a, Mapping) else ({} if a is None else {"": a})
    wb = b if isinstance(b, Mapping) else ({} if b is None else {"": b})
    for name in sorted(set(wa) - set(wb), key=str):
        report.add("waiter-removed", f"{op} x-waiters.{name}", "the generated waiter is built from x-waiters")
    for name in sorted(set(wb) - set(wa), key=str):
        report.add("waiter-added", f"{op} x-waiters.{name}", "new waiter")
    for name in sorted(set(wa) & set(wb), key=str):
        xa = wa[name] if isinstance(wa[name], Mapping) else {"": wa[name]}
        xb = wb[name] if isinstance(wb[name], Mapping) else {"": wb[name]}
        for key in sorted((set(xa) | set(xb)) - WAITER_DOC_KEYS, key=str):
            if xa.get(key) != xb.get(key):
                report.add(
                    "waiter-changed",
                    f"{op} x-waiters.{name}.{key}".rstrip("."),
                    f"{xa.get(key)!r} -> {xb.get(key)!r} (the generated waiter would wait differently)",
                )
