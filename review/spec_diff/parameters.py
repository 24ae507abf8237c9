"""Parameters and request bodies: the inputs of an operation other than body schemas' values.

Presence, required-ness, wire format (`style`/`explode`, `schema` <-> `content`) and
defaults are judged here; the values a parameter or body admits go through schemas.py
in the request direction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .loading import Spec
from .rules import Report
from .schemas import compare_schemas, merged, view

JSON = Any
# What a style puts before a scalar value on the wire (`/.ID`, `/;task_id=ID`); the other
# styles send a scalar as its plain text, so switching among them sends the same bytes.
SCALAR_PREFIX = {"label": ".", "matrix": ";name="}


def parameters(spec: Spec, path_item: Mapping[str, JSON], operation: Mapping[str, JSON]) -> dict[tuple[str, str], JSON]:
    """(in, name) -> parameter, the operation's over the path item's; header names lower-cased."""
    params: dict[tuple[str, str], JSON] = {}
    for raw in [*path_item.get("parameters", []), *operation.get("parameters", [])]:
        param = spec.resolve(raw)
        location, name = str(param["in"]), str(param["name"])
        # Header names are case-insensitive on the wire.
        params[(location, name.lower() if location == "header" else name)] = param
    return params


def serialization(param: Mapping[str, JSON]) -> tuple[str, bool]:
    """(style, explode) with OpenAPI's defaults, or ("content <media type>", False)."""
    content = param.get("content")
    if isinstance(content, Mapping) and content:
        # `content` serialises the value as that media type (JSON text, quotes and all).
        return f"content {next(iter(content))}", False
    style = param.get("style", "form" if param["in"] in ("query", "cookie") else "simple")
    return str(style), bool(param.get("explode", style == "form"))


def value_schema(holder: Mapping[str, JSON]) -> JSON:
    """The schema of a parameter or header: `schema`, or that of its one `content` entry."""
    if "schema" in holder:
        return holder["schema"]
    content = holder.get("content")
    if isinstance(content, Mapping) and content:
        media = next(iter(content.values()))
        return media.get("schema") if isinstance(media, Mapping) else None
    return None


def _serialization_breaks(old: Spec, pa: Mapping[str, JSON], pb: Mapping[str, JSON]) -> tuple[bool, str]:
    """Whether old clients' bytes stop matching, and why."""
    (style_a, _), (style_b, _) = serialization(pa), serialization(pb)
    if "content" in pa or "content" in pb:
        return True, "old clients send the old wire format"
    types = view(old, value_schema(pa)).types
    if types is None or types & {"array", "object"}:
        return True, "old clients send the old wire format"
    if SCALAR_PREFIX.get(style_a, "") != SCALAR_PREFIX.get(style_b, ""):
        return True, "a scalar's prefix changes (label sends `.value`, matrix `;name=value`)"
    return False, "a scalar is sent the same way"


def compare_parameters(
    old: Spec, new: Spec, op: str, a: dict[tuple[str, str], JSON], b: dict[tuple[str, str], JSON], report: Report
) -> None:
    """Parameters are request inputs: presence, required-ness, wire format, default, schema."""
    for key in sorted(set(a) - set(b)):
        report.add("parameter-removed", f"{op} {key[0]}.{key[1]}", "parameter removed")
    for key in sorted(set(b) - set(a)):
        required = bool(b[key].get("required"))
        report.add(
            "required-parameter-added" if required else "optional-parameter-added",
            f"{op} {key[0]}.{key[1]}",
            "required" if required else "optional",
        )
    for key in sorted(set(a) & set(b)):
        where = f"{op} {key[0]}.{key[1]}"
        pa, pb = a[key], b[key]
        if not pa.get("required") and pb.get("required"):
            report.add("parameter-now-required", where, "optional -> required")
        elif pa.get("required") and not pb.get("required"):
            report.add("parameter-now-optional", where, "required -> optional")
        if serialization(pa) != serialization(pb):
            breaks, why = _serialization_breaks(old, pa, pb)
            report.add(
                "parameter-serialization-changed",
                where,
                f"style, explode {serialization(pa)} -> {serialization(pb)}; {why}",
                breaking=breaks,
            )
        da, db = merged(old, value_schema(pa)).get("default"), merged(new, value_schema(pb)).get("default")
        if da != db:
            if da is None:
                report.add("parameter-default-added", where, f"default {db!r}: documents what omitting it means")
            elif db is None:
                report.add("parameter-default-removed", where, f"default {da!r} no longer documented")
            else:
                report.add("parameter-default-changed", where, f"default {da!r} -> {db!r}")
        compare_schemas(old, new, value_schema(pa), value_schema(pb), "request", where, report)


def content(spec: Spec, holder: Mapping[str, JSON]) -> dict[str, JSON]:
    """The `content` map of a body or answer (media type -> media object)."""
    return dict(spec.resolve(holder).get("content") or {})


def compare_request_bodies(old: Spec, new: Spec, op: str, a: JSON, b: JSON, report: Report) -> None:
    """A request body is an input: a body that goes, or becomes required, breaks."""
    if a is None and b is None:
        return
    if b is None:
        report.add("request-body-removed", op, "old clients send a body the operation no longer takes")
        return
    ba, bb = old.resolve(a) if a is not None else {}, new.resolve(b)
    if a is None:
        required = bool(bb.get("required"))
        report.add("request-body-added", op, "required" if required else "optional", breaking=required)
        return
    if not ba.get("required") and bb.get("required"):
        report.add("request-body-now-required", op, "old requests may lack it")
    elif ba.get("required") and not bb.get("required"):
        report.add("request-body-now-optional", op, "relaxed")
    ca, cb = content(old, ba), content(new, bb)
    for media in sorted(set(ca) - set(cb)):
        report.add("request-media-type-removed", f"{op} body {media}", "media type no longer accepted")
    for media in sorted(set(cb) - set(ca)):
        report.add("request-media-type-added", f"{op} body {media}", "new media type")
    for media in sorted(set(ca) & set(cb)):
        compare_schemas(
            old, new, ca[media].get("schema"), cb[media].get("schema"), "request", f"{op} body {media} #", report
        )
