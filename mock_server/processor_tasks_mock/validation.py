"""Request-parameter validation driven by the spec's parameter objects.

Names, locations, types, enums, ranges, formats and defaults all come from the loaded
spec; this module only knows how the OpenAPI serialisation rules turn query strings into
JSON values (``style: form``) and then hands those values to a JSON Schema validator.

Rules that are the mock's own choice (documented in README.md):

* integers are ``-?[0-9]+`` (no ``+``, blanks or decimals); booleans are ``true``/``false``;
* a scalar parameter given twice is an error (real servers differ on which copy wins), and
  so is an ``explode: false`` array (one comma-joined value) given twice;
* parameters the operation does not declare are ignored, as the provider's gateway does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from processor_tasks_mock.spec import Spec, SpecError

_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_SUPPORTED_LOCATIONS = ("query", "path")
_MAX_INTEGER_DIGITS = 1000


class ParameterError(Exception):
    """A request parameter does not satisfy the spec."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"Parameter error: {name}: {message}")
        self.name = name


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter of an operation, as the spec declares it."""

    name: str
    location: str
    required: bool
    schema: dict[str, Any]
    primitive: str
    item_primitive: str | None
    explode: bool
    default: Any
    has_default: bool
    validator: Draft202012Validator

    def decode(self, raw_values: Sequence[str]) -> Any:
        """Turn the raw string(s) sent for this parameter into the JSON value the schema describes."""
        if self.primitive == "array":
            if self.explode:
                items: list[str] = list(raw_values)
            else:
                if len(raw_values) > 1:
                    # explode: false -- a repeated key is the other serialisation, not a longer list.
                    raise ParameterError(
                        self.name, f"send the list as one comma-joined value ({self.name}=a,b), not as a repeated key"
                    )
                items = raw_values[0].split(",") if raw_values[0] else []
            return [_decode_scalar(self.name, self.item_primitive or "string", item) for item in items]
        if len(raw_values) > 1:
            raise ParameterError(self.name, "must be given at most once")
        return _decode_scalar(self.name, self.primitive, raw_values[0])

    def check(self, value: Any) -> None:
        """Raise ParameterError when ``value`` breaks the parameter's schema."""
        error = best_match(self.validator.iter_errors(value))
        if error is not None:
            raise ParameterError(self.name, _describe(error.message, value))


@dataclass(frozen=True)
class OperationParameters:
    """Every parameter of one operation, in the order the spec lists them."""

    operation_id: str
    parameters: tuple[ParameterSpec, ...]

    def parse(
        self,
        query: Iterable[tuple[str, str]],
        path_params: Mapping[str, str],
    ) -> dict[str, Any]:
        """Decode and validate a request's parameters; defaults fill the gaps.

        Returns a mapping from parameter name to value (parameters without a value or
        default are absent). Raises ParameterError for the first bad parameter, in spec order.
        """
        grouped: dict[str, list[str]] = {}
        for key, value in query:
            grouped.setdefault(key, []).append(value)
        values: dict[str, Any] = {}
        for param in self.parameters:
            if param.location == "query":
                raw = grouped.get(param.name)
            else:
                raw = [path_params[param.name]] if param.name in path_params else None
            if raw is None:
                if param.required:
                    raise ParameterError(param.name, "is required")
                if param.has_default:
                    values[param.name] = param.default
                continue
            value = param.decode(raw)
            param.check(value)
            values[param.name] = value
        return values


def _describe(message: str, value: Any) -> str:
    # jsonschema's message quotes the whole value, which a client may have made huge; keep
    # error bodies short.
    return message if len(message) <= 200 else f"{value!r:.60} is not an accepted value"


def _decode_scalar(name: str, primitive: str, raw: str) -> Any:
    if primitive == "integer":
        if not _INTEGER.fullmatch(raw):
            raise ParameterError(name, f"{raw!r:.60} is not an integer")
        # int() refuses strings past sys.get_int_max_str_digits() (4300) with ValueError;
        # no schema range is that wide, so such a value is out of range whatever the spec says.
        if len(raw) > _MAX_INTEGER_DIGITS:
            raise ParameterError(name, f"has more than {_MAX_INTEGER_DIGITS} digits")
        return int(raw)
    if primitive == "number":
        if not _NUMBER.fullmatch(raw):
            raise ParameterError(name, f"{raw!r:.60} is not a number")
        return float(raw)
    if primitive == "boolean":
        if raw not in ("true", "false"):
            raise ParameterError(name, f"{raw!r:.60} is not true or false")
        return raw == "true"
    if primitive == "string":
        return raw
    raise SpecError(f"parameter {name}: cannot decode a {primitive} from a query string")


def _primitive(spec: Spec, schema: Any, where: str) -> str:
    """The JSON type of a schema, looking through $ref and allOf (the spec's own composition)."""
    schema = spec.resolve(schema)
    if not isinstance(schema, dict):
        raise SpecError(f"{where}: schema is not an object")
    declared = schema.get("type")
    if isinstance(declared, str):
        return declared
    if isinstance(declared, list):
        concrete = [t for t in declared if t != "null"]
        if len(concrete) == 1 and isinstance(concrete[0], str):
            return concrete[0]
    for member in schema.get("allOf", []):
        try:
            return _primitive(spec, member, where)
        except SpecError:
            continue
    raise SpecError(f"{where}: cannot tell the parameter's type from its schema")


def _default(spec: Spec, schema: Any) -> tuple[bool, Any]:
    schema = spec.resolve(schema)
    if isinstance(schema, dict):
        if "default" in schema:
            return True, schema["default"]
        for member in schema.get("allOf", []):
            found, value = _default(spec, member)
            if found:
                return True, value
    return False, None


def operation_parameters(spec: Spec, operation_id: str) -> OperationParameters:
    """Read the parameters of ``operation_id`` (path-level and operation-level) from the spec."""
    _path, _method, operation, path_level = spec.operation(operation_id)
    by_key: dict[tuple[str, str], Any] = {}
    for raw in [*path_level, *operation.get("parameters", [])]:
        param = spec.resolve(raw)
        # An operation-level parameter overrides a path-level one with the same name and place.
        by_key[(param["in"], param["name"])] = param
    result = []
    for (location, name), param in by_key.items():
        where = f"{operation_id} parameter {name}"
        if location not in _SUPPORTED_LOCATIONS:
            raise SpecError(f"{where}: the mock does not handle parameters in {location}")
        if "content" in param:
            raise SpecError(f"{where}: parameters with content are not handled")
        style = param.get("style", "form" if location == "query" else "simple")
        if location == "query" and style != "form":
            raise SpecError(f"{where}: only style form is handled for query parameters")
        schema = param.get("schema", {})
        primitive = _primitive(spec, schema, where)
        item_primitive = None
        if primitive == "array":
            items = spec.resolve(schema).get("items", {"type": "string"})
            item_primitive = _primitive(spec, items, where + " items")
        has_default, default = _default(spec, schema)
        result.append(
            ParameterSpec(
                name=name,
                location=location,
                required=bool(param.get("required", False)),
                schema=schema,
                primitive=primitive,
                item_primitive=item_primitive,
                explode=bool(param.get("explode", style == "form")),
                default=default,
                has_default=has_default,
                validator=spec.validator(schema),
            )
        )
    return OperationParameters(operation_id=operation_id, parameters=tuple(result))
