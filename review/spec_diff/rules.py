"""The one registry of rule ids, their families and verdicts, and the report they fill.

Each family lives in one module of this package (the `module` of its entry in FAMILIES); a
rule's verdict is fixed here unless it depends on the change (`DEPENDS`, with the condition
written beside it), and `Report.add` refuses a rule that is not registered or a verdict
that contradicts its entry. tests/review/test_spec_diff.py holds each family to at least
one breaking and one non-breaking fixture pair, and each rule id to a case that reports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Verdict = Literal["breaking", "safe", "depends", "info"]
BREAKING: Verdict = "breaking"
SAFE: Verdict = "safe"
DEPENDS: Verdict = "depends"
INFO: Verdict = "info"  # listed for a reviewer, never breaking


@dataclass(frozen=True)
class Rule:
    """A registered rule: its family and its verdict (`when` says what a DEPENDS verdict turns on)."""

    family: str
    verdict: Verdict
    when: str = ""


# family -> the module of this package that reports it.
FAMILIES: dict[str, str] = {
    "operations": "operations",
    "pagination": "operations",
    "waiters": "operations",
    "parameters": "parameters",
    "parameter-required": "parameters",
    "parameter-serialization": "parameters",
    "parameter-default": "parameters",
    "request-body": "parameters",
    "request-types": "schemas",
    "request-enums": "schemas",
    "request-constraints": "schemas",
    "request-additional-properties": "schemas",
    "request-properties": "schemas",
    "response-types": "schemas",
    "response-enums": "schemas",
    "response-constraints": "schemas",
    "response-additional-properties": "schemas",
    "response-properties": "schemas",
    "response-required": "schemas",
    "response-status": "responses",
    "response-media-types": "responses",
    "response-headers": "responses",
    "security-requirements": "security",
    "security-schemes": "security",
    "servers": "security",
    "server-variables": "security",
    "generated-api": "generated_api",
}

RULES: dict[str, Rule] = {
    # operations.py: the operations themselves and the extensions the paging helpers are built from.
    "operation-removed": Rule("operations", BREAKING),
    "operation-added": Rule("operations", SAFE),
    "pagination-changed": Rule("pagination", BREAKING),
    "pagination-removed": Rule("pagination", BREAKING),
    "pagination-added": Rule("pagination", SAFE),
    "pagination-concurrency-added": Rule("pagination", SAFE),
    "pagination-concurrency-removed": Rule("pagination", BREAKING),
    "waiter-changed": Rule("waiters", BREAKING),
    "waiter-removed": Rule("waiters", BREAKING),
    "waiter-added": Rule("waiters", SAFE),
    # parameters.py: request inputs other than body schemas.
    "parameter-removed": Rule("parameters", BREAKING),
    "required-parameter-added": Rule("parameters", BREAKING),
    "optional-parameter-added": Rule("parameters", SAFE),
    "parameter-now-required": Rule("parameter-required", BREAKING),
    "parameter-now-optional": Rule("parameter-required", SAFE),
    "parameter-serialization-changed": Rule(
        "parameter-serialization",
        DEPENDS,
        "breaking for an array or object, for `content`, and for a scalar whose style adds a prefix "
        "(label `.v`, matrix `;name=v`); a scalar sent as the same bytes is safe",
    ),
    "parameter-default-changed": Rule("parameter-default", BREAKING),
    "parameter-default-added": Rule("parameter-default", SAFE),
    "parameter-default-removed": Rule("parameter-default", SAFE),
    "request-body-removed": Rule("request-body", BREAKING),
    "request-body-added": Rule("request-body", DEPENDS, "breaking when the new body is required"),
    "request-body-now-required": Rule("request-body", BREAKING),
    "request-body-now-optional": Rule("request-body", SAFE),
    "request-media-type-removed": Rule("request-body", BREAKING),
    "request-media-type-added": Rule("request-body", SAFE),
    # schemas.py: requests break when they accept less...
    "request-type-narrowed": Rule("request-types", BREAKING),
    "request-type-widened": Rule("request-types", SAFE),
    "request-type-changed": Rule("request-types", BREAKING),
    "request-enum-value-removed": Rule("request-enums", BREAKING),
    "request-enum-value-added": Rule("request-enums", SAFE),
    "request-enum-closed": Rule("request-enums", BREAKING),
    "request-enum-opened": Rule("request-enums", SAFE),
    "request-constraint-narrowed": Rule("request-constraints", BREAKING),
    "request-constraint-widened": Rule("request-constraints", SAFE),
    "request-constraint-changed": Rule("request-constraints", BREAKING),
    "request-additional-properties-narrowed": Rule("request-additional-properties", BREAKING),
    "request-additional-properties-widened": Rule("request-additional-properties", SAFE),
    "request-property-removed": Rule("request-properties", BREAKING),
    "request-property-added": Rule("request-properties", SAFE),
    "request-required-property-added": Rule("request-properties", BREAKING),
    "request-property-now-required": Rule("request-properties", BREAKING),
    "request-property-no-longer-required": Rule("request-properties", SAFE),
    # ...responses when they may carry more.
    "response-type-widened": Rule("response-types", BREAKING),
    "response-type-narrowed": Rule("response-types", SAFE),
    "response-type-changed": Rule("response-types", BREAKING),
    # Narrowing, so safe on the wire; the generated member that goes is the generated API's to report.
    "response-enum-value-removed": Rule("response-enums", SAFE),
    "response-enum-value-added": Rule("response-enums", DEPENDS, "breaking when the enum was closed"),
    "response-enum-opened": Rule("response-enums", BREAKING),
    "response-enum-closed": Rule("response-enums", SAFE),
    "response-constraint-widened": Rule("response-constraints", BREAKING),
    "response-constraint-narrowed": Rule("response-constraints", SAFE),
    "response-constraint-changed": Rule("response-constraints", BREAKING),
    "response-additional-properties-widened": Rule("response-additional-properties", BREAKING),
    "response-additional-properties-narrowed": Rule("response-additional-properties", SAFE),
    "response-property-removed": Rule("response-properties", BREAKING),
    "response-property-added": Rule("response-properties", SAFE),
    "response-property-no-longer-required": Rule("response-required", BREAKING),
    "response-property-now-required": Rule("response-required", SAFE),
    # responses.py: statuses, media types, headers.
    "response-status-removed": Rule("response-status", DEPENDS, "breaking for a 2xx status"),
    "response-status-added": Rule("response-status", SAFE),
    "response-media-type-removed": Rule("response-media-types", BREAKING),
    "response-media-type-added": Rule("response-media-types", SAFE),
    "response-header-removed": Rule("response-headers", BREAKING),
    "response-header-added": Rule("response-headers", SAFE),
    "response-header-made-optional": Rule("response-headers", BREAKING),
    "response-header-made-required": Rule("response-headers", SAFE),
    # security.py: ways of authenticating, and where the API is served.
    "security-requirement-removed": Rule(
        "security-requirements", DEPENDS, "breaking unless anonymous access is now allowed"
    ),
    "security-requirement-added": Rule("security-requirements", SAFE),
    "security-scheme-removed": Rule("security-schemes", BREAKING),
    "security-scheme-added": Rule("security-schemes", SAFE),
    "security-scheme-changed": Rule("security-schemes", BREAKING),
    "security-scheme-flow-added": Rule("security-schemes", SAFE),
    "security-scheme-scope-added": Rule("security-schemes", SAFE),
    "server-url-changed": Rule("servers", INFO),
    "server-removed": Rule("servers", INFO),
    "server-added": Rule("servers", INFO),
    "server-variable-changed": Rule("server-variables", INFO),
    # A server variable's enum lists where the API is served (regions), and the generated
    # client takes it as an argument (`region=`) that refuses other values: a value that
    # goes, or the enum (the argument) going, breaks its callers; a new value or enum does not.
    "server-variable-enum-value-removed": Rule("server-variables", BREAKING),
    "server-variable-enum-value-added": Rule("server-variables", SAFE),
    "server-variable-enum-removed": Rule("server-variables", BREAKING),
    "server-variable-enum-added": Rule("server-variables", SAFE),
    # generated_api.py: the public API of the client generated from each spec, compared with griffe.
    "public-name-removed": Rule("generated-api", BREAKING),
    # Today's generator cannot build the base spec: listed, and `make`'s name guard stands in.
    "generated-api-not-compared": Rule("generated-api", INFO),
    "api-object-kind-changed": Rule("generated-api", BREAKING),
    "api-parameter-moved": Rule("generated-api", BREAKING),
    "api-parameter-kind-changed": Rule("generated-api", BREAKING),
    "api-parameter-default-changed": Rule("generated-api", BREAKING),
    "api-parameter-now-required": Rule("generated-api", BREAKING),
    "api-required-parameter-added": Rule("generated-api", BREAKING),
    "api-return-type-changed": Rule("generated-api", BREAKING),
    "api-base-class-removed": Rule("generated-api", BREAKING),
    "api-attribute-type-changed": Rule("generated-api", BREAKING),
    "api-parameter-type-changed": Rule(
        "generated-api", DEPENDS, "safe when every type the old annotation names is accepted by the new one"
    ),
}
# Families whose changes are only ever listed for a reviewer, never breaking.
INFORMATIONAL_FAMILIES = frozenset(
    family for family in FAMILIES if {rule.verdict for rule in RULES.values() if rule.family == family} == {INFO}
)


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

    def add(self, rule: str, location: str, detail: str, breaking: bool | None = None) -> None:
        """Record a change; `breaking` is given exactly when the rule's verdict DEPENDS."""
        entry = RULES.get(rule)
        if entry is None:  # a rule without a family would escape the fixture-pair test
            raise AssertionError(f"unregistered rule {rule!r}")
        if (breaking is None) == (entry.verdict == DEPENDS):
            raise AssertionError(f"rule {rule!r} is {entry.verdict}; breaking={breaking!r} contradicts it")
        verdict = breaking if breaking is not None else entry.verdict == BREAKING
        self.changes.append(Change(rule, location, verdict, detail, entry.verdict == INFO))

    def extend(self, other: Report) -> None:
        self.changes.extend(other.changes)

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.breaking]
