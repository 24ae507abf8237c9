# Copied from generator/runtime/_decode.py by generator/regenerate.py. Do not edit here: edit the source.
"""Where the bytes of an answer become models: one call, two paths, one result.

:func:`decode_model` is the only entry point. It returns the model or raises
:class:`InvalidBody` with the reason, and it gives the same model, or the same reason,
whichever path does the work:

- The **reference path** is pure Python and always there: ``json.loads`` and the model's
  generated ``from_dict()``, which checks every field. Its answer is the definition of
  right.
- The **fast path** runs when msgspec (an optional, compiled dependency: the ``fast``
  extra) is importable. msgspec parses the bytes straight into strict mirrors of the
  models (``msgspec.Struct`` types derived here, at first use, from the attrs models' own
  type hints), so every type is checked in C; Python then only builds the attrs objects,
  positionally and without checking again. A mirror refuses anything it is not sure of,
  and each refusal falls back for that object alone, never for the page: every task of
  a page is decoded on its own, first by the strict mirror, then (when the task carries
  fields the contract does not list yet) by a lenient mirror plus a split of the task
  into its raw fields that keeps the unknown ones, and last by the reference path, whose
  answer, or error, is final. Unknown fields that keep coming are learnt by name into a
  strict mirror that declares them, so an evolved server costs one refusal, not one per
  task.

Enum members come from a dict look-up that keeps values the contract does not know yet
as plain values, as ``from_dict()`` does. A model whose type hints hold anything the
mirrors cannot express exactly (floats, lists of lists, unions msgspec cannot tell apart,
typed additional properties, JSON names other than the Python name or that name less the
``_`` the generator appends to keywords) simply has no fast path, and a self-test at first
use proves each mirror against ``from_dict()``.
Set ``FAST = False`` to force the reference path (the test suite runs both).
"""

from __future__ import annotations

import enum
import json
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

from .types import UNSET, Unset

try:
    import msgspec  # type: ignore[import-not-found, unused-ignore]
except ImportError:  # the pure-Python reference path serves alone
    # Without msgspec installed (the default: `fast` is an optional extra) the import above
    # is Any to mypy and this assignment is fine, so the ignore must tolerate being unused.
    msgspec = None  # type: ignore[assignment, unused-ignore]

T = TypeVar("T")

FAST_AVAILABLE: bool = msgspec is not None
"""Whether msgspec could be imported (the ``fast`` extra is installed)."""
FAST: bool = FAST_AVAILABLE
"""Whether msgspec is used; ``False`` forces the pure-Python reference path."""

# from_dict() reports a shape it refuses with one of these: a missing key, a value of the
# wrong type or outside an enum; RecursionError when the JSON nests deeper than the stack.
SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError)


class InvalidBody(Exception):
    """The body is not the JSON object the contract describes; ``reason`` says how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def decode_model(content: bytes, from_dict: Callable[[Mapping[str, Any]], T]) -> T:
    """Decode ``content`` with ``from_dict`` (a model's bound ``from_dict``), fast when possible.

    Raises :class:`InvalidBody` when the body is not JSON, not an object, or breaks the
    model's types.
    """
    if FAST:
        plan = _plan_for(getattr(from_dict, "__self__", None), entry=True)
        if plan is not None:
            try:
                return typing.cast(T, plan.decode(content))
            except _WholeAnswer:
                pass
            except SHAPE_ERRORS as exc:
                # Only the reference fallback of one object raises; its reason is final.
                raise InvalidBody(_reason(exc)) from exc
    return reference_decode(content, from_dict)


def reference_decode(content: bytes, from_dict: Callable[[Mapping[str, Any]], T]) -> T:
    """The pure-Python path: ``from_dict(json.loads(content))`` with its failures as :class:`InvalidBody`."""
    try:
        data = json.loads(content)
    except (ValueError, RecursionError) as exc:
        raise InvalidBody(f"not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise InvalidBody(f"expected a JSON object, got {type(data).__name__}")
    try:
        return from_dict(data)
    except SHAPE_ERRORS as exc:
        raise InvalidBody(_reason(exc)) from exc


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"missing required field {exc}"
    return f"{type(exc).__name__}: {exc}"


# --- the fast path ----------------------------------------------------------------------


# `list[...]` of a type known only at run time; mypy accepts it through Any.
_LIST: Any = list


class _Unsupported(Exception):
    """A type hint the mirrors cannot express exactly; the model keeps the reference path."""


@attrs.define
class _Field:
    name: str
    mirror: Any
    """The msgspec type of the field in the mirror."""
    required: bool
    expression: str
    """Python expression building the model's value from ``v`` (the mirror's value)."""


class _Plan:
    """The mirrors and the builder of one model, as an answer's top object or nested."""

    def __init__(self, cls: type, entry: bool) -> None:
        self.cls = cls
        self.entry = entry
        self.namespace: dict[str, Any] = {"UNSET": UNSET, "_cls": cls}
        self.items: list[_Plan] = []
        """Plans of the list items this one decodes one by one."""
        self.lenient_first = False
        self.expected: dict[tuple[str, ...], tuple[Any, tuple[tuple[int, str], ...]]] = {}
        """Strict mirrors that also declare unknown fields seen together, by their names."""
        self.extended: tuple[Any, tuple[tuple[int, str], ...]] | None = None
        hints = typing.get_type_hints(cls)
        fields = [self._field(field, hints[field.name]) for field in attrs.fields(cls) if field.init]
        names = {field.name for field in attrs.fields(cls)}
        self.has_extras = "additional_properties" in names
        self.free_form = not fields and self.has_extras
        # openapi-python-client appends "_" to names that clash with Python ("type" becomes
        # "type_"); the self-test proves the guess, and a wrong one costs only the fast path.
        self.json_names = {f.name: f.name[:-1] if f.name.endswith("_") else f.name for f in fields}
        self.known = frozenset(self.json_names.values())
        if self.free_form:
            # No declared fields, any others kept (OperatorParams): the object is the extras.
            self.strict: Any = dict[str, Any]
            self.lenient: Any = None
        else:
            self.strict = self._mirror(fields, forbid=True)
            self.lenient = self._mirror(fields, forbid=False) if self.has_extras else None
        self.strict_decoder = msgspec.json.Decoder(self.strict)
        self.lenient_decoder = msgspec.json.Decoder(self.lenient) if self.lenient is not None else None
        self.fields = fields
        self.build: Callable[[Any], Any] = self._builder(fields)
        # The same model with every list typed through, tried first for a whole answer.
        self.whole = _nested(cls) if entry and any("_item_" in f.expression for f in fields) else None

    # Each field's hint becomes a mirror type and an expression that turns the mirror's
    # value ``v`` into the model's value.
    def _field(self, field: attrs.Attribute[Any], hint: Any) -> _Field:
        members = list(typing.get_args(hint)) if _is_union(hint) else [hint]
        required = Unset not in members
        members = [member for member in members if member is not Unset]
        mirrors: list[Any] = []
        expression = "v"
        enums = [m for m in members if isinstance(m, type) and issubclass(m, enum.Enum)]
        plain = {m for m in members if m in (str, int, bool)}
        kinds = [m for m in members if m not in enums]
        for member in kinds:
            if member is type(None) or member in (str, int, bool):
                mirrors.append(member)
            elif member is Any:
                mirrors.append(Any)
                self.namespace["_shallow"] = _shallow
                expression = "_shallow(v)"
            elif isinstance(member, type) and attrs.has(member):
                sub = _nested(member)
                mirrors.append(sub.strict if not sub.free_form else dict[str, Any])
                expression = self._call(sub, "v", check="dict" if sub.free_form else sub.strict)
            elif typing.get_origin(member) is list and len(typing.get_args(member)) == 1:
                item = typing.get_args(member)[0]
                if item in (str, int, bool):
                    mirrors.append(_LIST[item])
                elif isinstance(item, type) and attrs.has(item):
                    sub = _nested(item)
                    if self.entry and not sub.free_form:
                        # Items of an answer's top-level list decode one by one, so that a
                        # task the mirror refuses costs that task, not the page.
                        mirrors.append(list[msgspec.Raw])
                        key = f"_item_{item.__name__}"
                        self.namespace[key] = sub
                        self.items.append(sub)
                        expression = f"[{key}.decode(x) for x in v] if v.__class__ is list else v"
                    else:
                        mirrors.append(_LIST[sub.strict if not sub.free_form else dict[str, Any]])
                        inner = self._call(sub, "x", check=None)
                        expression = f"[{inner} for x in v] if v.__class__ is list else v"
                else:
                    raise _Unsupported(f"{field.name}: list of {item!r}")
            else:
                raise _Unsupported(f"{field.name}: {member!r}")
        for kind in enums:
            values = {type(member.value) for member in kind}
            if len(values) != 1 or not values <= {str, int} or (int in values and bool in plain):
                raise _Unsupported(f"{field.name}: enum {kind.__name__}")
            value_type = values.pop()
            if value_type in plain:
                # Open enum: the plain type decodes, the look-up keeps unknown values as they are.
                key = f"_enum_{field.name}"
                self.namespace[key] = {member.value: member for member in kind}
                expression = f"{key}.get(v, v)"
            else:
                mirrors.append(kind)  # closed: msgspec itself refuses a value outside it
        if expression != "v" and len(enums) + sum(1 for m in kinds if m not in (type(None), str, int, bool)) > 1:
            raise _Unsupported(f"{field.name}: more than one converted member")
        mirror = mirrors[0] if len(mirrors) == 1 else typing.Union[tuple(mirrors)]  # noqa: UP007
        try:
            msgspec.json.Decoder(mirror)  # msgspec refuses unions it cannot tell apart
        except TypeError as exc:
            raise _Unsupported(f"{field.name}: {exc}") from exc
        return _Field(field.name, mirror, required, expression)

    def _call(self, sub: _Plan, value: str, check: Any) -> str:
        key = f"_build_{sub.cls.__name__}"
        self.namespace[key] = sub.build
        if check is None:
            return f"{key}({value})"
        if check == "dict":
            return f"{key}(v) if v.__class__ is dict else v"
        mirror_key = f"_mirror_{sub.cls.__name__}"
        self.namespace[mirror_key] = check
        return f"{key}(v) if v.__class__ is {mirror_key} else v"

    def _mirror(self, fields: list[_Field], forbid: bool, extra: tuple[str, ...] = ()) -> Any:
        spec: list[Any] = [(f.name, f.mirror) if f.required else (f.name, f.mirror, UNSET) for f in fields]
        # Unknown fields this mirror expects by name, untyped, as `_extra_<n>` attributes.
        spec += [(f"_extra_{index}", Any, UNSET) for index in range(len(extra))]
        rename = {**self.json_names, **{f"_extra_{index}": name for index, name in enumerate(extra)}}
        return msgspec.defstruct(
            f"{self.cls.__name__}Mirror",
            spec,
            kw_only=True,
            forbid_unknown_fields=forbid,
            gc=False,
            rename=rename,
        )

    def _learn(self, names: tuple[str, ...]) -> None:
        """Expect these unknown fields from now on: a strict mirror that declares them too."""
        if names in self.expected or len(self.expected) >= _MAX_EXPECTED or len(names) > _MAX_EXPECTED:
            self.extended = self.expected.get(names)
            return
        try:
            decoder = msgspec.json.Decoder(self._mirror(self.fields, forbid=True, extra=names))
        except (TypeError, ValueError):  # a name msgspec cannot declare (quotes, control characters)
            self.extended = None
            return
        self.extended = self.expected[names] = (decoder, tuple(enumerate(names)))

    def _builder(self, fields: list[_Field]) -> Callable[[Any], Any]:
        # Generated source, as attrs does for __init__: one positional call per object is
        # what keeps building the models cheap. The model's __init__ takes its fields in
        # declaration order, required ones first, which is the order of attrs.fields().
        if self.free_form:
            lines = ["def build(s):", "    o = _cls()", "    o.additional_properties = s", "    return o"]
        else:
            lines = ["def build(s):"]
            arguments = []
            for index, field in enumerate(fields):
                if field.expression == "v":
                    arguments.append(f"s.{field.name}")
                else:
                    lines.append(f"    v = s.{field.name}")
                    lines.append(f"    a{index} = {field.expression}")
                    arguments.append(f"a{index}")
            lines.append("    return _cls(" + ", ".join(arguments) + ")")
        source = "\n".join(lines) + "\n"
        self.source = source
        exec(compile(source, f"<decoder of {self.cls.__name__}>", "exec"), self.namespace)
        return typing.cast(Callable[[Any], Any], self.namespace["build"])

    def decode(self, raw: Any) -> Any:
        """Decode one object: strict mirror, then lenient mirror with unknown fields, then reference."""
        if self.whole is not None and not any(item.lenient_first for item in self.items):
            # An answer that fits the strict mirrors throughout decodes in one call; only
            # one that does not pays for going through its list items one by one.
            try:
                whole = self.whole.strict_decoder.decode(raw)
            except _REFUSED:
                pass
            else:
                return self.whole.build(whole)
        if not self.lenient_first:
            try:
                mirror = self.strict_decoder.decode(raw)
            except _REFUSED:
                pass
            else:
                return self.build(mirror)
        elif self.extended is not None:
            # The fields a server that has moved on keeps adding, declared: one strict
            # decode again, as for an object the contract describes in full.
            decoder, names = self.extended
            try:
                mirror = decoder.decode(raw)
            except _REFUSED:
                pass
            else:
                model = self.build(mirror)
                extras = {
                    name: _shallow(value)
                    for index, name in names
                    if (value := getattr(mirror, f"_extra_{index}")) is not UNSET
                }
                model.additional_properties = extras
                # A server back to the contract's fields goes back to the strict mirrors
                # (and an answer to the single whole-answer decode).
                self.lenient_first = bool(extras)
                return model
        if self.lenient_decoder is not None:
            try:
                mirror = self.lenient_decoder.decode(raw)
                parts = _RAW_FIELDS.decode(raw)
                known = self.known
                extras = {key: _shallow(_EXTRA.decode(value)) for key, value in parts.items() if key not in known}
            except _REFUSED:
                pass
            else:
                model = self.build(mirror)
                model.additional_properties = extras
                # A server that has moved on sends such objects one after another: while
                # it does, a mirror that expects its new fields is tried first, and the
                # strict mirror's refusal (an exception each time) is skipped. Only speed
                # depends on this guess, never the result, so threads may share it.
                self.lenient_first = bool(extras)
                if extras:
                    self._learn(tuple(extras))
                return model
        if self.entry:
            raise _WholeAnswer
        # One item: from_dict() of exactly what the reference path would hand it; its error
        # is the one the whole answer raises on that path too.
        return self.cls.from_dict(_loads(raw))  # type: ignore[attr-defined]


class _WholeAnswer(Exception):
    """The fast path gives up on this answer; the reference path decodes all of it."""


def _loads(raw: Any) -> Any:
    # msgspec splits an answer into raw items without checking inside strings, so an item
    # may hold what json.loads refuses (invalid UTF-8, nesting too deep); only the whole
    # answer on the reference path can then say what is wrong, with its own words.
    try:
        return json.loads(bytes(raw))
    except (ValueError, RecursionError) as exc:
        raise _WholeAnswer from exc


# Nesting past which the fast path leaves an untyped value (an unknown field, an ``Any``
# field) to the reference path. json.loads and msgspec both stop at the interpreter's
# recursion limit, but json.loads counts from the answer's top and msgspec from the value,
# so within a few levels of that limit only one of them refused: the fast path returned a
# model where the reference path raised "not JSON". Far below the limit, they agree.
_MAX_FAST_DEPTH = 100


def _shallow(value: Any) -> Any:
    """``value`` itself, unless it nests containers deeper than _MAX_FAST_DEPTH (then _WholeAnswer)."""
    if value.__class__ is not list and value.__class__ is not dict:
        return value
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > _MAX_FAST_DEPTH:
            raise _WholeAnswer
        children = item if isinstance(item, list) else item.values()
        stack.extend((child, depth + 1) for child in children if child.__class__ is list or child.__class__ is dict)
    return value


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


_PLANS: dict[tuple[type, bool], _Plan | None] = {}
# Sets of unknown field names a model learns to expect (and names per set): a bound, so
# that a server inventing new names on every object cannot grow the cache.
_MAX_EXPECTED = 8
# What msgspec raises on input it will not take: a type it refuses, malformed JSON, and
# (inside strings of a split-off item, which it had skipped) invalid UTF-8.
_REFUSED: tuple[type[BaseException], ...] = (
    (msgspec.DecodeError, ValueError, RecursionError) if msgspec is not None else ()
)
_RAW_FIELDS: Any = msgspec.json.Decoder(dict[str, msgspec.Raw]) if msgspec is not None else None
# Values of unknown fields, untyped. Where msgspec and json.loads could differ (NaN, numbers
# out of range, lone surrogates) msgspec refuses, and the object takes the reference path.
_EXTRA: Any = msgspec.json.Decoder() if msgspec is not None else None


def _nested(cls: type) -> _Plan:
    plan = _plan_for(cls, entry=False)
    if plan is None:
        raise _Unsupported(f"nested model {cls.__name__} has no fast path")
    return plan


def _plan_for(cls: Any, entry: bool) -> _Plan | None:
    """The plan of a model class, built and proven on first use; None when it has no fast path."""
    key = (cls, entry)
    if key in _PLANS:
        return _PLANS[key]
    plan: _Plan | None = None
    if isinstance(cls, type) and attrs.has(cls) and hasattr(cls, "from_dict"):
        try:
            plan = _Plan(cls, entry)
            _self_test(plan)
        except Exception:  # a fast path that cannot be built must never break decoding
            plan = None
    _PLANS[key] = plan
    return plan


def _sample(cls: type) -> dict[str, Any]:
    """A body with every field of ``cls`` present, typed as its hint says."""
    sample: dict[str, Any] = {}
    hints = typing.get_type_hints(cls)
    for field in attrs.fields(cls):
        if not field.init:
            continue
        members = list(typing.get_args(hints[field.name])) if _is_union(hints[field.name]) else [hints[field.name]]
        members = [m for m in members if m is not Unset]
        sample[field.name[:-1] if field.name.endswith("_") else field.name] = _sample_value(members[0])
    return sample


def _sample_value(hint: Any) -> Any:
    if hint is type(None) or hint is Any:
        return None
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return next(iter(hint)).value
    if hint in (str, int, bool):
        return hint()
    if isinstance(hint, type) and attrs.has(hint):
        return _sample(hint)
    return []


def _self_test(plan: _Plan) -> None:
    """The mirror must read a full sample exactly as from_dict() does, names included."""
    sample = _sample(plan.cls)
    reference = plan.cls.from_dict(sample)  # type: ignore[attr-defined]
    # A JSON name that differs from the Python name would land among the extras here.
    if getattr(reference, "additional_properties", None):
        raise _Unsupported(f"{plan.cls.__name__}: JSON names differ from the field names")
    encoded = json.dumps(sample).encode()
    fast = plan.decode(encoded) if not plan.free_form else None
    if fast is not None and fast != reference:
        raise _Unsupported(f"{plan.cls.__name__}: the mirror disagrees with from_dict()")
