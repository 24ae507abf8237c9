"""Where a client sends its requests: an explicit base URL, or the contract's regional server.

The spec's first templated server (``https://modelarts.{region}.otc.t-systems.com``) and
its variables are in ``_contract.py``: each variable becomes a keyword argument of the
clients (``region=``) and is read by ``from_env()`` from the environment variable the spec
names for it (``x-environment-variable``: ``HUAWEICLOUD_SDK_REGION``, the provider SDK's
name). A value outside the variable's ``enum`` is refused rather than turned into a host
name nobody serves. A ``base_url`` given explicitly wins over every variable.

Both are checked when the client is built, so that a setting such as
``PROCESSOR_TASKS_BASE_URL=eu-nl`` fails at once with
:class:`~processor_tasks_client.errors.ConfigurationError` naming the setting, not at the
first call with a connection error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ._contract import CONTRACT
from .errors import ConfigurationError

__all__ = ["SERVER_TEMPLATE", "SERVER_VARIABLES", "check_base_url", "resolve_base_url", "server_url"]

_ENDPOINT: Mapping[str, Any] = CONTRACT.get("endpoint") or {}

SERVER_TEMPLATE: str = _ENDPOINT.get("url", "")
"""The contract's regional server URL, with ``{variable}`` placeholders; empty when it has none."""

_ALL_VARIABLES: Mapping[str, Mapping[str, Any]] = _ENDPOINT.get("variables", {})

SERVER_VARIABLES: Mapping[str, Mapping[str, Any]] = {
    name: _ALL_VARIABLES[name] for name in _ENDPOINT.get("arguments", [])
}
"""The server variables that are client arguments (those with an ``enum``): per variable,
``enum`` (the values accepted), ``default`` (documented only: a client needs a value or a
base URL given), ``env`` (its environment variable) and ``description``."""


def check_base_url(url: str, setting: str) -> str:
    """``url`` when it is an absolute ``http://`` or ``https://`` URL with a host.

    Raises:
        ConfigurationError: It is not; the message names ``setting`` (``base_url``,
            ``PROCESSOR_TASKS_BASE_URL``) and, unless it may hold a password, the value.
    """
    # A URL with user information may carry a password: never quote it.
    shown = "a URL with user information" if "@" in url else repr(url)
    hint = ""
    if SERVER_VARIABLES and url.strip() in _known_values():
        names = ", ".join(_setting_names(v) for v in SERVER_VARIABLES)
        hint = f"; {url.strip()!r} is a {'/'.join(SERVER_VARIABLES)}: set {names} instead"
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as error:
        raise ConfigurationError(f"{setting} is not a valid URL ({error}), got {shown}{hint}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigurationError(
            f"{setting} must be an absolute http:// or https:// URL with a host, such as "
            f"{_example()}, got {shown}{hint}"
        )
    if parsed.userinfo:
        # httpx would send it as Basic credentials beside the client's own.
        raise ConfigurationError(f"{setting} must not carry user information: give credentials as token= or auth=")
    return url


def server_url(values: Mapping[str, tuple[str, str]]) -> str:
    """The contract's server URL with each variable filled in.

    ``values`` maps a variable name to ``(value, setting)``; a variable not given takes its
    documented default. Raises ConfigurationError, naming the setting, for a value the
    contract does not list.
    """
    filled: dict[str, str] = {}
    # A variable without an enum is no argument: its documented default fills it.
    for name, variable in _ALL_VARIABLES.items():
        value, setting = values.get(name, (variable["default"], name))
        allowed: list[str] = list(variable.get("enum") or ())
        if allowed and value not in allowed:
            raise ConfigurationError(
                f"{setting} {value!r} is not one of the {name} values the contract lists "
                f"({', '.join(allowed)}); for another endpoint give base_url (or PROCESSOR_TASKS_BASE_URL)"
            )
        filled[name] = value
    return SERVER_TEMPLATE.format(**filled)


def resolve_base_url(base_url: str | None, variables: Mapping[str, str | None], *, setting: str = "base_url") -> str:
    """The URL a client sends to: ``base_url`` when given (checked), else the server URL
    built from ``variables`` (each a keyword argument of the client, ``None`` when not given).

    Raises:
        ConfigurationError: Neither is given, or the one given is not usable.
    """
    if base_url is not None:
        return check_base_url(base_url, setting)
    given = {name: (value, name) for name, value in variables.items() if value is not None}
    if not given or not SERVER_TEMPLATE:
        choices = " or ".join(["base_url", *(f"{name}= ({', '.join(_values(name))})" for name in SERVER_VARIABLES)])
        raise ConfigurationError(f"give the client {choices}")
    return server_url(given)


def _values(name: str) -> list[str]:
    return [str(v) for v in SERVER_VARIABLES[name].get("enum") or ()]


def _known_values() -> set[str]:
    return {value for name in SERVER_VARIABLES for value in _values(name)}


def _setting_names(name: str) -> str:
    env = SERVER_VARIABLES[name].get("env")
    return f"{name}= (or {env})" if env else f"{name}="


def _example() -> str:
    if not SERVER_TEMPLATE:
        return "https://host"
    return SERVER_TEMPLATE.format(**{name: var["default"] for name, var in SERVER_VARIABLES.items()})
