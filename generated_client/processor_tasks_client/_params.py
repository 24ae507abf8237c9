# Copied from generator/runtime/_params.py by generator/regenerate.py. Do not edit here: edit the source.
"""Checks and wire encodings of request parameters, applied before anything is sent.

The generated endpoint functions pass every argument through one of these, chosen from the
parameter's type in the spec, so that a wrong argument fails at the call with an error that
names the parameter, instead of as an ``AttributeError`` deep in the client or as a 400
from the server:

* an enum parameter takes a member or its plain value (``TaskStatus.COMPLETED`` or ``2``);
  an unknown value raises ``ValueError`` listing the accepted ones, another type ``TypeError``;
* integers, booleans, strings and numbers must be of that type (``True`` is not an integer);
  a string must be text UTF-8 can encode (no lone surrogate), or ``ValueError``;
* an array takes a list or tuple whose items follow the same rules. The spec's ``style``
  and ``explode`` decide how it travels: repeated keys (``form``, explode), or one value
  joined by ``,`` (``form``, not exploded), `` `` (``spaceDelimited``) or ``|``
  (``pipeDelimited``). A joined item that contains the delimiter, or is empty, cannot be
  told apart on the wire and raises ``ValueError``. An empty array sends nothing;
* a path parameter must not be empty, ``.`` or ``..``: each would address another resource.

``UNSET`` (and ``None``) mean "not given" for an optional parameter and pass through; for a
required one they raise ``TypeError``.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Protocol
from urllib.parse import quote

from .types import UNSET

__all__ = [
    "array",
    "boolean",
    "enum_checker",
    "enum_value",
    "integer",
    "number",
    "path_segment",
    "string",
]


class Checker(Protocol):
    """Checks one value and returns its wire value."""

    def __call__(self, name: str, value: object, *, required: bool = False) -> Any: ...


def _shown(value: object) -> str:
    return f"{type(value).__name__} {value!r}"


def _absent(name: str, value: object, required: bool) -> bool:
    """True when the value was not given; a required parameter must be given."""
    if value is UNSET or value is None:
        if required:
            raise TypeError(f"{name} is required, got {value!r}")
        return True
    return False


def integer(name: str, value: object, *, required: bool = False) -> Any:
    """An ``int`` (not a ``bool``)."""
    if _absent(name, value, required):
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {_shown(value)}")
    return value


def number(name: str, value: object, *, required: bool = False) -> Any:
    """An ``int`` or ``float`` (not a ``bool``)."""
    if _absent(name, value, required):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, got {_shown(value)}")
    return value


def boolean(name: str, value: object, *, required: bool = False) -> Any:
    """A ``bool``; httpx sends it as ``true``/``false``."""
    if _absent(name, value, required):
        return value
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {_shown(value)}")
    return value


def string(name: str, value: object, *, required: bool = False) -> Any:
    """A ``str`` that UTF-8 can encode (a URL carries its text as UTF-8)."""
    if _absent(name, value, required):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {_shown(value)}")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            # A lone surrogate (from a bad decode, say) would otherwise fail inside httpx,
            # naming no parameter.
            raise ValueError(
                f"{name} holds a lone surrogate {value[exc.start]!r} at index {exc.start}: "
                "it is not text UTF-8 can encode, so it cannot travel in a URL"
            ) from None
    return value


def enum_value(name: str, value: object, enum: type[Enum], *, required: bool = False) -> Any:
    """The wire value of an enum parameter given as a member of ``enum`` or as its plain value."""
    if _absent(name, value, required):
        return value
    if isinstance(value, enum):
        return value.value
    values = [member.value for member in enum]
    accepted = ", ".join(repr(v) for v in values)
    value_types = tuple({type(v) for v in values})
    # A member of another enum, or True for 1, is a mistake even when its value matches.
    if isinstance(value, Enum | bool) or not isinstance(value, value_types):
        raise TypeError(f"{name} must be a {enum.__name__} or one of its values ({accepted}), got {_shown(value)}")
    if value not in values:
        raise ValueError(f"{name} must be one of {accepted} ({enum.__name__}), got {value!r}")
    return value


def enum_checker(enum: type[Enum]) -> Checker:
    """A :class:`Checker` for the items of an array of ``enum``."""

    def check(name: str, value: object, *, required: bool = False) -> Any:
        return enum_value(name, value, enum, required=required)

    return check


def _wire(value: Any) -> str:
    # How httpx writes a primitive query value, for the items it does not see one by one.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def array(name: str, value: object, item: Checker, *, delimiter: str | None, required: bool = False) -> Any:
    """A list or tuple of items that ``item`` accepts: a list to repeat the key, or one joined value.

    Args:
        name: The parameter's name, for errors.
        value: The argument.
        item: Checks each item (named ``name[i]`` in errors).
        delimiter: Joins the items into one value (the spec's style and explode decide
            which); None keeps them apart, and httpx repeats the key.
        required: Whether the parameter must be given.
    """
    if _absent(name, value, required):
        return value
    if not isinstance(value, list | tuple):
        raise TypeError(f"{name} must be a list, got {_shown(value)}")
    wire = [item(f"{name}[{index}]", entry, required=True) for index, entry in enumerate(value)]
    if delimiter is None:
        return wire
    if not wire:
        return UNSET
    texts = [_wire(entry) for entry in wire]
    for index, text in enumerate(texts):
        if delimiter in text or not text:
            what = f"contains {delimiter!r}" if text else "is empty"
            raise ValueError(
                f"{name}[{index}] = {text!r} {what}: {name} travels as one {delimiter!r}-separated value, "
                "so the server could not tell this item from its neighbours; it cannot be sent"
            )
    return delimiter.join(texts)


def path_segment(name: str, value: object, item: Checker) -> str:
    """A checked path parameter, percent-encoded as one path segment (``/`` included)."""
    text = _wire(item(name, value, required=True))
    if text in {"", ".", ".."}:
        raise ValueError(f"{name} must not be {text!r}: as a path segment it would address another resource")
    return quote(text, safe="")
