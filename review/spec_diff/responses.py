"""Responses and headers: statuses, media types, response headers and body schemas.

Answers are outputs: what a client parsed may no longer come (a removed success status,
media type or header, a header no longer required) breaks; body and header schemas go
through schemas.py in the response direction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .loading import Spec
from .parameters import content, value_schema
from .rules import Change, Report
from .schemas import compare_schemas

JSON = Any


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
        report.add("response-header-removed", f"{op} {ha[key][0]}", "header removed")
    for key in sorted(set(hb) - set(ha)):
        report.add("response-header-added", f"{op} {hb[key][0]}", "new header")
    for key in sorted(set(ha) & set(hb)):
        (name, header_a), (_, header_b) = ha[key], hb[key]
        spot = f"{op} {name}"
        required_a, required_b = bool(header_a.get("required")), bool(header_b.get("required"))
        if required_a and not required_b:
            report.add("response-header-made-optional", spot, "clients may rely on its presence")
        elif required_b and not required_a:
            report.add("response-header-made-required", spot, "answers always carry it now")
        compare_schemas(old, new, value_schema(header_a), value_schema(header_b), "response", spot, report)


def _fold_statuses(per_status: list[tuple[str, Report]], report: Report) -> None:
    """One change per (rule, location, verdict), naming the statuses it was found in."""
    folded: dict[tuple[str, str, bool], tuple[Change, list[str]]] = {}
    for status, found in per_status:
        for change in found.changes:
            key = (change.rule, change.location, change.breaking)
            folded.setdefault(key, (change, []))[1].append(status)
    for change, statuses in folded.values():
        report.changes.append(dataclasses.replace(change, detail=f"{change.detail}; header of {', '.join(statuses)}"))


def compare_responses(
    old: Spec, new: Spec, op: str, a: Mapping[str, JSON], b: Mapping[str, JSON], report: Report
) -> None:
    """Statuses, headers, media types and body schemas of one operation's answers."""
    for status in sorted(set(a) - set(b)):
        success = str(status).startswith("2")
        report.add(
            "response-status-removed",
            f"{op} {status}",
            "a success answer clients parse is gone" if success else "error answers fall back to the generic error",
            breaking=success,
        )
    for status in sorted(set(b) - set(a)):
        report.add("response-status-added", f"{op} {status}", "new status")
    headers: list[tuple[str, Report]] = []
    for status in sorted(set(a) & set(b)):
        ra, rb = old.resolve(a[status]), new.resolve(b[status])
        where = f"{op} {status}"
        headers.append((str(status), Report()))
        compare_response_headers(old, new, op, ra, rb, headers[-1][1])
        ca, cb = content(old, ra), content(new, rb)
        for media in sorted(set(ca) - set(cb)):
            report.add("response-media-type-removed", f"{where} {media}", "media type removed")
        for media in sorted(set(cb) - set(ca)):
            report.add("response-media-type-added", f"{where} {media}", "new media type")
        for media in sorted(set(ca) & set(cb)):
            compare_schemas(
                old, new, ca[media].get("schema"), cb[media].get("schema"), "response", f"{where} {media} #", report
            )
    _fold_statuses(headers, report)
