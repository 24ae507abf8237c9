"""Breaking-change report between two versions of the OpenAPI contract (`make diff`).

Who can break is the client: code written against, or generated from, the old contract.
Two layers give one report, each change with a rule id from the registry in rules.py:

- the wire: what a request may send and an answer may carry, walked over the two parsed
  specs with oasdiff's direction rule (a request breaks when it accepts less, a response
  when it may carry more), plus what generated code cannot show: `style`/`explode`,
  statuses, headers, bounds, security, servers, and `x-pagination` and `x-waiters`, whose
  changes alter how the paging helpers walk and the waiters wait without changing their
  signatures;
- the generated API: the client regenerated from each spec with the pinned generator,
  and the two packages' public APIs compared with griffe (generated_api.py): a removed
  or renamed module, function, class, attribute, enum member or parameter, or a changed
  type, breaks vendors whichever side of the wire it is on.

No tool on the registries reachable here does the wire layer for OpenAPI 3.1 with these
direction rules (openapi-diff on npm refuses 3.1; oasdiff is a Go binary, packaged for
neither npm nor PyPI; @useoptic/optic brings analytics and error-reporting clients with
it), so the wire layer is our own walk. One module per family:

    loading.py        reading the specs (file or git ref), refusing what cannot be walked
    versions.py       semver precedence, the major-bump rule, `Breaking:` lines
    schemas.py        the values a schema admits, by direction
    parameters.py     parameters and request bodies
    responses.py      statuses, media types, response headers
    security.py       security requirements and schemes, servers
    operations.py     operations, x-pagination, x-waiters
    generated_api.py  regenerate + griffe
    rules.py          the registry of rule ids, families and verdicts
    cli.py            the report and the command line (`python -m review.spec_diff`)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import generated_api
from .loading import Spec, SpecDiffError
from .operations import compare_operations, compare_pagination, compare_waiters, operations
from .parameters import compare_parameters, compare_request_bodies, parameters
from .responses import compare_responses
from .rules import FAMILIES, INFORMATIONAL_FAMILIES, RULES, Change, Report, Rule
from .schemas import constraint_kind
from .security import compare_security, compare_security_schemes, compare_servers
from .versions import (
    acknowledged,
    breaking_allowed,
    is_prerelease,
    needed_for_breaking,
    precedence,
    same_version,
    semver,
    version_problems,
)

__all__ = [
    "FAMILIES",
    "INFORMATIONAL_FAMILIES",
    "RULES",
    "Change",
    "Report",
    "Rule",
    "SpecDiffError",
    "acknowledged",
    "breaking_allowed",
    "constraint_kind",
    "diff",
    "is_prerelease",
    "needed_for_breaking",
    "precedence",
    "run",
    "same_version",
    "semver",
    "version_problems",
    "wire_diff",
]

JSON = Any


def wire_diff(old_document: Mapping[str, JSON], new_document: Mapping[str, JSON]) -> Report:
    """The wire layer: every change from the old contract to the new one, each with its verdict."""
    old, new = Spec(old_document), Spec(new_document)
    report = Report()
    a_ops, b_ops = operations(old), operations(new)
    compare_operations(a_ops, b_ops, report)
    compare_servers(old_document.get("servers"), new_document.get("servers"), "#/servers", report)
    compare_security(old_document.get("security"), new_document.get("security"), "#/security", report)
    compare_security_schemes(old, new, report)
    for key in sorted(set(a_ops) & set(b_ops)):
        (_path_a, item_a, op_a), (path_b, item_b, op_b) = a_ops[key], b_ops[key]
        op = f"{key[0]} {path_b}"
        compare_parameters(old, new, op, parameters(old, item_a, op_a), parameters(new, item_b, op_b), report)
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


def diff(
    old_document: Mapping[str, JSON],
    new_document: Mapping[str, JSON],
    *,
    generated: bool = True,
    labels: tuple[str, str] = ("base", "working tree"),
) -> Report:
    """Both layers: the wire, then (unless `generated` is False) the regenerated client's API.

    SpecDiffError (exit 9) when the pinned generator cannot build a client from a spec.
    """
    report = wire_diff(old_document, new_document)
    if generated:
        generated_api.compare_documents(old_document, new_document, report, labels)
    return report


from .cli import run  # noqa: E402  (cli imports diff from here)
