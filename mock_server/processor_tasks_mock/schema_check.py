"""A fast yes/no JSON Schema check for the spec's schemas, compiled once into closures.

jsonschema spends most of a record's validation on bookkeeping (evolving a validator per
subschema, resolving every ``$ref`` through the registry, building error paths), which made
a 100,000-record fixture take about a minute to load. The closures here answer only "valid
or not", keyword by keyword exactly as ``Draft202012Validator`` does (same type checker,
same format checker, same ``equal``), and callers still ask jsonschema for the error of an
invalid record, so messages do not change.

Only keywords mirrored here are compiled; a schema using any other keyword that jsonschema
validates raises UnsupportedSchema, and the caller must fall back to jsonschema itself.
Keywords jsonschema ignores (``description``, ``examples``, ``x-…``) are ignored here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema._utils import equal

from processor_tasks_mock.spec import Spec

Check = Callable[[Any], bool]

_TYPES = Draft202012Validator.TYPE_CHECKER
# Keywords that change how references resolve or which dialect applies: mirroring them is
# not worth it for this spec, so their presence sends the caller back to jsonschema.
_SCOPE_KEYWORDS = frozenset({"$id", "$anchor", "$dynamicAnchor", "$schema", "$vocabulary", "$recursiveRef"})
_MIRRORED = frozenset(
    {
        "$ref",
        "type",
        "enum",
        "const",
        "format",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "anyOf",
        "allOf",
        "oneOf",
        "not",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
    }
)


class UnsupportedSchema(ValueError):
    """The schema uses something the fast check does not mirror; use jsonschema instead."""


def _always(instance: Any) -> bool:
    return True


def _never(instance: Any) -> bool:
    return False


def _is(type_name: str) -> Check:
    """jsonschema's own predicate for ``type_name`` (so "integer" still accepts 1.0)."""
    try:
        # Bound once: TypeChecker.is_type looks the name up on every call, which was the
        # largest single cost of a record.
        predicate = _TYPES._type_checkers[type_name]
    except (AttributeError, KeyError):
        # Unknown names (and a future jsonschema without the mapping) go through is_type,
        # which raises UnknownType just as validation would.
        return lambda instance: bool(_TYPES.is_type(instance, type_name))
    return lambda instance: bool(predicate(_TYPES, instance))


class _Compiler:
    def __init__(self, spec: Spec, format_checker: FormatChecker | None) -> None:
        self.spec = spec
        self.format_checker = format_checker
        self.refs: dict[str, Check] = {}
        self.is_object = _is("object")
        self.is_array = _is("array")
        self.is_string = _is("string")
        self.is_number = _is("number")

    def ref(self, ref: Any) -> Check:
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise UnsupportedSchema(f"$ref {ref!r} is not a local reference")
        refs = self.refs
        if ref not in refs:
            # Placeholder first, so that a recursive schema compiles to a loop, not forever.
            refs[ref] = _never
            refs[ref] = self.compile(self.spec.pointer(ref))

        def check(instance: Any) -> bool:
            return refs[ref](instance)

        return check

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, dict):
            raise UnsupportedSchema(f"{schema!r} is not a schema")
        for keyword in schema:
            if keyword in _SCOPE_KEYWORDS or (keyword in Draft202012Validator.VALIDATORS and keyword not in _MIRRORED):
                raise UnsupportedSchema(f"keyword {keyword!r} is not mirrored")
        checks = [self.keyword(keyword, value, schema) for keyword, value in schema.items() if keyword in _MIRRORED]
        return _all(checks)

    def keyword(self, keyword: str, value: Any, schema: dict[str, Any]) -> Check:
        method: Callable[[Any, dict[str, Any]], Check] = getattr(self, "k_" + keyword.lstrip("$"))
        return method(value, schema)

    def k_ref(self, value: Any, schema: dict[str, Any]) -> Check:
        return self.ref(value)

    def k_type(self, value: Any, schema: dict[str, Any]) -> Check:
        names = (value,) if isinstance(value, str) else tuple(value)
        predicates = [_is(name) for name in names]
        if len(predicates) == 1:
            return predicates[0]

        def check(instance: Any) -> bool:
            return any(predicate(instance) for predicate in predicates)

        return check

    def k_enum(self, value: Any, schema: dict[str, Any]) -> Check:
        options = list(value)
        return lambda instance: any(equal(option, instance) for option in options)

    def k_const(self, value: Any, schema: dict[str, Any]) -> Check:
        return lambda instance: equal(instance, value)

    def k_format(self, value: Any, schema: dict[str, Any]) -> Check:
        checker = self.format_checker
        if checker is None:
            return _always
        return lambda instance: checker.conforms(instance, value)

    def k_properties(self, value: Any, schema: dict[str, Any]) -> Check:
        pairs = [(name, self.compile(sub)) for name, sub in value.items()]
        is_object = self.is_object

        def check(instance: Any) -> bool:
            if not is_object(instance):
                return True
            return all(not (name in instance and not sub(instance[name])) for name, sub in pairs)

        return check

    def k_required(self, value: Any, schema: dict[str, Any]) -> Check:
        names = list(value)
        is_object = self.is_object
        return lambda instance: not is_object(instance) or all(name in instance for name in names)

    def k_additionalProperties(self, value: Any, schema: dict[str, Any]) -> Check:
        if "patternProperties" in schema:
            raise UnsupportedSchema("patternProperties is not mirrored")
        if value is True or value == {}:
            return _always
        declared = set(schema.get("properties", {}))
        is_object = self.is_object
        if value is False:
            return lambda instance: not is_object(instance) or all(key in declared for key in instance)
        sub = self.compile(value)
        return lambda instance: (
            not is_object(instance) or all(sub(item) for key, item in instance.items() if key not in declared)
        )

    def k_items(self, value: Any, schema: dict[str, Any]) -> Check:
        if "prefixItems" in schema:
            raise UnsupportedSchema("prefixItems is not mirrored")
        if value is False:
            return lambda instance: not self.is_array(instance) or not instance
        sub = self.compile(value)
        is_array = self.is_array

        def check(instance: Any) -> bool:
            if not is_array(instance):
                return True
            return all(sub(item) for item in instance)

        return check

    def k_anyOf(self, value: Any, schema: dict[str, Any]) -> Check:
        subs = [self.compile(sub) for sub in value]

        def check(instance: Any) -> bool:
            return any(sub(instance) for sub in subs)

        return check

    def k_allOf(self, value: Any, schema: dict[str, Any]) -> Check:
        return _all([self.compile(sub) for sub in value])

    def k_oneOf(self, value: Any, schema: dict[str, Any]) -> Check:
        subs = [self.compile(sub) for sub in value]
        return lambda instance: sum(1 for sub in subs if sub(instance)) == 1

    def k_not(self, value: Any, schema: dict[str, Any]) -> Check:
        sub = self.compile(value)
        return lambda instance: not sub(instance)

    def _number(self, passes: Callable[[Any], bool]) -> Check:
        is_number = self.is_number
        return lambda instance: not is_number(instance) or passes(instance)

    def k_minimum(self, value: Any, schema: dict[str, Any]) -> Check:
        return self._number(lambda instance: not instance < value)

    def k_maximum(self, value: Any, schema: dict[str, Any]) -> Check:
        return self._number(lambda instance: not instance > value)

    def k_exclusiveMinimum(self, value: Any, schema: dict[str, Any]) -> Check:
        return self._number(lambda instance: not instance <= value)

    def k_exclusiveMaximum(self, value: Any, schema: dict[str, Any]) -> Check:
        return self._number(lambda instance: not instance >= value)

    def k_minLength(self, value: Any, schema: dict[str, Any]) -> Check:
        is_string = self.is_string
        return lambda instance: not is_string(instance) or not len(instance) < value

    def k_maxLength(self, value: Any, schema: dict[str, Any]) -> Check:
        is_string = self.is_string
        return lambda instance: not is_string(instance) or not len(instance) > value

    def k_pattern(self, value: Any, schema: dict[str, Any]) -> Check:
        is_string = self.is_string
        # re.search on the pattern text, as jsonschema does (its re cache keeps this cheap).
        return lambda instance: not is_string(instance) or re.search(value, instance) is not None

    def k_minItems(self, value: Any, schema: dict[str, Any]) -> Check:
        is_array = self.is_array
        return lambda instance: not is_array(instance) or not len(instance) < value

    def k_maxItems(self, value: Any, schema: dict[str, Any]) -> Check:
        is_array = self.is_array
        return lambda instance: not is_array(instance) or not len(instance) > value


def _all(checks: list[Check]) -> Check:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]

    def check(instance: Any) -> bool:
        return all(each(instance) for each in checks)

    return check


def compile_check(spec: Spec, schema: Any, format_checker: FormatChecker | None) -> Check:
    """A predicate that is true exactly when jsonschema finds ``schema`` (from ``spec``) satisfied.

    ``format_checker`` must be the one the matching jsonschema validator uses. Raises
    UnsupportedSchema when the schema needs a keyword this module does not mirror.
    """
    return _Compiler(spec, format_checker).compile(schema)
