"""Security and servers: the ways a client authenticates, and where the API is served.

A removed requirement alternative or scheme, or a scheme sent differently, locks clients
out. Server URLs are informational (clients configure their base URL), except a server
variable's `enum`: it lists where the API is served (the regions) and the generated client
takes it as an argument, so a value that goes, or the enum, breaks; a new value does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .loading import Spec
from .rules import Report

JSON = Any
Alternative = frozenset[tuple[str, tuple[str, ...]]]
# Keys of a security scheme that only document it.
SCHEME_DOC_KEYS = {"description", "bearerFormat"}


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
    """The alternatives of a `security` list: one that goes locks its clients out."""
    old_alts, new_alts = _alternatives(a), _alternatives(b)
    anonymous_now = frozenset() in new_alts
    for key in sorted(set(old_alts) - set(new_alts), key=lambda k: old_alts[k]):
        report.add(
            "security-requirement-removed",
            f"{where} {old_alts[key]}",
            "anonymous access is now allowed" if anonymous_now else "clients authenticating this way are refused",
            breaking=not anonymous_now,
        )
    for key in sorted(set(new_alts) - set(old_alts), key=lambda k: new_alts[k]):
        report.add(
            "security-requirement-added",
            f"{where} {new_alts[key]}",
            "anonymous access is now allowed" if not key else "new way to authenticate",
        )


def _flows_changes(a: JSON, b: JSON, where: str, report: Report) -> None:
    flows_a = a if isinstance(a, Mapping) else {}
    flows_b = b if isinstance(b, Mapping) else {}
    for flow in sorted(set(flows_a) - set(flows_b)):
        report.add("security-scheme-changed", f"{where} flows.{flow}", "OAuth flow removed")
    for flow in sorted(set(flows_b) - set(flows_a)):
        report.add("security-scheme-flow-added", f"{where} flows.{flow}", "new OAuth flow")
    for flow in sorted(set(flows_a) & set(flows_b)):
        fa, fb = flows_a[flow] or {}, flows_b[flow] or {}
        for key in sorted((set(fa) | set(fb)) - {"scopes"}):
            if fa.get(key) != fb.get(key):
                report.add(
                    "security-scheme-changed", f"{where} flows.{flow}.{key}", f"{fa.get(key)!r} -> {fb.get(key)!r}"
                )
        scopes_a, scopes_b = set(fa.get("scopes") or {}), set(fb.get("scopes") or {})
        for scope in sorted(scopes_a - scopes_b):
            report.add("security-scheme-changed", f"{where} flows.{flow}.scopes.{scope}", "scope removed")
        for scope in sorted(scopes_b - scopes_a):
            report.add("security-scheme-scope-added", f"{where} flows.{flow}.scopes.{scope}", "new scope")


def _scheme_value(scheme: Mapping[str, JSON], key: str) -> JSON:
    """A scheme's value as the wire sees it: an apiKey header's name in any case is the same header."""
    value = scheme.get(key)
    if key == "name" and scheme.get("in") == "header" and isinstance(value, str):
        return value.lower()
    if key == "scheme" and isinstance(value, str):  # HTTP auth schemes are case-insensitive (RFC 7235)
        return value.lower()
    return value


def compare_security_schemes(old: Spec, new: Spec, report: Report) -> None:
    """`components.securitySchemes`: a removed scheme, or one sent differently, breaks."""
    a = dict((old.document.get("components") or {}).get("securitySchemes") or {})
    b = dict((new.document.get("components") or {}).get("securitySchemes") or {})
    for name in sorted(set(a) - set(b)):
        report.add(
            "security-scheme-removed",
            f"#/components/securitySchemes/{name}",
            "clients authenticating this way are refused",
        )
    for name in sorted(set(b) - set(a)):
        report.add("security-scheme-added", f"#/components/securitySchemes/{name}", "new scheme")
    for name in sorted(set(a) & set(b)):
        sa, sb = old.resolve(a[name]), new.resolve(b[name])
        where = f"#/components/securitySchemes/{name}"
        for key in sorted((set(sa) | set(sb)) - SCHEME_DOC_KEYS - {"flows"}):
            if key.startswith("x-"):
                continue
            if _scheme_value(sa, key) != _scheme_value(sb, key):
                report.add(
                    "security-scheme-changed",
                    f"{where} {key}",
                    f"{sa.get(key)!r} -> {sb.get(key)!r} (existing clients still send credentials the old way)",
                )
        _flows_changes(sa.get("flows"), sb.get("flows"), where, report)


def _server_url(server: JSON) -> str:
    return str(server.get("url", "")) if isinstance(server, Mapping) else str(server)


def _server_variables(server: JSON) -> dict[str, tuple[JSON, JSON]]:
    variables = server.get("variables") if isinstance(server, Mapping) else None
    return {
        str(name): (var.get("default"), var.get("enum")) if isinstance(var, Mapping) else (var, None)
        for name, var in (variables or {}).items()
    }


def _compare_variable_enums(before: JSON, after: JSON, where: str, report: Report) -> None:
    values_a = [str(v) for v in before] if isinstance(before, list) else None
    values_b = [str(v) for v in after] if isinstance(after, list) else None
    if values_a is None and values_b is not None:
        report.add("server-variable-enum-added", where, f"{values_b!r}; the client gains an argument for it")
    elif values_a is not None and values_b is None:
        report.add("server-variable-enum-removed", where, "the client's argument for it goes away")
    elif values_a is not None and values_b is not None:
        for value in [v for v in values_a if v not in values_b]:
            report.add("server-variable-enum-value-removed", f"{where} {value}", "clients passing it would be refused")
        for value in [v for v in values_b if v not in values_a]:
            report.add("server-variable-enum-value-added", f"{where} {value}", "a new value clients may pass")


def compare_servers(a: JSON, b: JSON, where: str, report: Report) -> None:
    """Server URLs and variable defaults are informational; a variable's enum is judged."""
    servers_a = [s for s in a or [] if _server_url(s)] if isinstance(a, list) else []
    servers_b = [s for s in b or [] if _server_url(s)] if isinstance(b, list) else []
    urls_a, urls_b = [_server_url(s) for s in servers_a], [_server_url(s) for s in servers_b]
    gone = [u for u in urls_a if u not in urls_b]
    new = [u for u in urls_b if u not in urls_a]
    # A URL replaced in place is a change; the rest are removals and additions.
    for old_url, new_url in zip(gone, new, strict=False):
        report.add("server-url-changed", f"{where} {old_url}", f"-> {new_url}; clients configure their base URL")
    for url in gone[len(new) :]:
        report.add("server-removed", f"{where} {url}", "clients configure their base URL; check the documented one")
    for url in new[len(gone) :]:
        report.add("server-added", f"{where} {url}", "new server")
    # Variables are compared between servers kept in place, or replaced in place by a new URL
    # (a variable such as {region} usually outlives an edit of the rest of the URL).
    replaced = dict(zip(gone, new, strict=False))
    for server_a in servers_a:
        url = _server_url(server_a)
        url_b = url if url in urls_b else replaced.get(url)
        if url_b is None:
            continue
        vars_a, vars_b = _server_variables(server_a), _server_variables(servers_b[urls_b.index(url_b)])
        for name in sorted(set(vars_a) & set(vars_b)):
            (default_a, enum_a), (default_b, enum_b) = vars_a[name], vars_b[name]
            spot = f"{where} {url} {{{name}}}"
            if default_a != default_b:
                report.add(
                    "server-variable-changed",
                    f"{spot} default",
                    f"{default_a!r} -> {default_b!r}; clients configure their base URL",
                )
            _compare_variable_enums(enum_a, enum_b, spot, report)
