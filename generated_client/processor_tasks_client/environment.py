# Copied from generator/runtime/environment.py by generator/regenerate.py. Do not edit here: edit the source.
"""Build a client from environment variables, so a service needs no plumbing of its own.

Variables:
    PROCESSOR_TASKS_BASE_URL      the endpoint, e.g. https://modelarts.eu-de.otc.t-systems.com; or
    HUAWEICLOUD_SDK_REGION        the region (eu-de, ...), which builds the endpoint from the
                                  contract's server; the base URL wins when both are set.
    HUAWEICLOUD_SDK_PROJECT_ID    the project (PROCESSOR_TASKS_PROJECT_ID is read if it is unset)
    PROCESSOR_TASKS_TOKEN         an IAM token, sent as X-Auth-Token; or, when it is unset,
    HUAWEICLOUD_SDK_AK / _SK      AK/SK signing (plus HUAWEICLOUD_SDK_SECURITY_TOKEN for
                                  temporary credentials), the official SDK's variable names.
    PROCESSOR_TASKS_ALLOW_INSECURE_HTTP  1/true/yes lets credentials go over plain http to a
                                  host that is not loopback (``allow_insecure_http=True``);
                                  unset, 0/false/no keep the default: refused.
    PROCESSOR_TASKS_TIMEOUT       seconds one call may take in all, retries included
                                  (``call_timeout``); unset keeps the client's default.
    PROCESSOR_TASKS_CREDENTIALS   where credentials come from, refreshed as they expire
                                  (``credentials=``, see ``processor_tasks_client.credentials``):
                                  ``env`` (the variables above, read again after a 401),
                                  ``profile`` (HUAWEICLOUD_SDK_CREDENTIALS_FILE, else
                                  ~/.huaweicloud/credentials), ``metadata`` (the ECS metadata
                                  service; PROCESSOR_TASKS_METADATA_ENDPOINT), ``default``
                                  (the first of the three that has some). Unset: the token or
                                  AK/SK variables, read once.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

from .auth import ENV_ACCESS_KEY, ENV_ALLOW_INSECURE_HTTP, ENV_PROJECT_ID, ENV_SECRET_KEY, AkSkAuth
from .client import AuthenticatedClient
from .credentials import CredentialProvider, EnvironmentProvider, MetadataProvider, ProfileProvider, default_chain
from .endpoint import SERVER_VARIABLES, check_base_url, server_url
from .errors import ConfigurationError

ENV_BASE_URL = "PROCESSOR_TASKS_BASE_URL"
ENV_TOKEN = "PROCESSOR_TASKS_TOKEN"
ENV_PROJECT_ID_FALLBACK = "PROCESSOR_TASKS_PROJECT_ID"
ENV_TIMEOUT = "PROCESSOR_TASKS_TIMEOUT"
ENV_CREDENTIALS = "PROCESSOR_TASKS_CREDENTIALS"
ENV_REGION: str = next((str(v["env"]) for v in SERVER_VARIABLES.values() if v.get("env")), "")
"""The region's variable, as the contract names it (``x-environment-variable``)."""

__all__ = [
    "ENV_ALLOW_INSECURE_HTTP",
    "ENV_BASE_URL",
    "ENV_CREDENTIALS",
    "ENV_PROJECT_ID_FALLBACK",
    "ENV_REGION",
    "ENV_TIMEOUT",
    "ENV_TOKEN",
    "client_from_env",
    "parse_seconds",
]

_TRUE = frozenset({"1", "true", "yes"})
_FALSE = frozenset({"", "0", "false", "no"})


def _allow_insecure_http(env: Mapping[str, str]) -> bool:
    raw = env.get(ENV_ALLOW_INSECURE_HTTP, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    # A typo must not silently decide whether credentials travel in clear text.
    raise ConfigurationError(f"{ENV_ALLOW_INSECURE_HTTP} must be one of 1/true/yes or 0/false/no, got {raw!r}")


def parse_seconds(text: str) -> float:
    """A positive, finite number of seconds written as text (``"2"``, ``"0.5"``).

    Raises:
        ValueError: The text is not a number, or not above zero, or not finite.
    """
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number of seconds, got {text!r}") from None
    # float() also accepts "nan" and "inf"; neither bounds anything.
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"must be a positive number of seconds, got {text!r}")
    return value


def _call_timeout(env: Mapping[str, str]) -> float | None:
    raw = env.get(ENV_TIMEOUT, "").strip()
    if not raw:
        return None
    try:
        return parse_seconds(raw)
    except ValueError as error:
        raise ConfigurationError(f"{ENV_TIMEOUT} {error}") from None


def _provider(env: Mapping[str, str]) -> CredentialProvider | None:
    raw = env.get(ENV_CREDENTIALS, "").strip().lower()
    if not raw:
        return None
    if raw == "env":
        return EnvironmentProvider(env)
    if raw == "profile":
        return ProfileProvider(environ=env)
    if raw == "metadata":
        return MetadataProvider(environ=env)
    if raw == "default":
        return default_chain(env)
    raise ConfigurationError(f"{ENV_CREDENTIALS} must be one of env, profile, metadata or default, got {raw!r}")


def _endpoint_args(env: Mapping[str, str], client_args: dict[str, Any]) -> list[str]:
    # Explicit arguments win over the environment, and a base URL over the server variables
    # (region); each is checked here so that the error names the variable that was set.
    # Returns the settings that could have named the endpoint, for the "missing" message.
    base_url = client_args.get("base_url")
    if base_url is None and env.get(ENV_BASE_URL, "").strip():
        base_url = client_args["base_url"] = check_base_url(env[ENV_BASE_URL].strip(), ENV_BASE_URL)
    given = base_url is not None
    names = [ENV_BASE_URL]
    for name, variable in SERVER_VARIABLES.items():
        env_name = variable.get("env")
        if env_name:
            names.append(env_name)
        if client_args.get(name) is not None:
            given = True
        elif env_name and env.get(env_name, "").strip():
            given = True
            if base_url is None:
                # Checked here rather than in the client, so that the message names the variable.
                server_url({name: (env[env_name].strip(), env_name)})
                client_args[name] = env[env_name].strip()
    return [] if given else names


def client_from_env(environ: Mapping[str, str] | None = None, **client_args: Any) -> tuple[AuthenticatedClient, str]:
    """An authenticated client and the project id, read from the environment.

    Args:
        environ: Where to read the variables; ``os.environ`` when None.
        **client_args: Further keyword arguments for :class:`AuthenticatedClient`
            (``timeout``, ``retry``, ``headers``, ...); an ``allow_insecure_http`` given
            here wins over the variable, and so does a ``call_timeout`` over
            ``PROCESSOR_TASKS_TIMEOUT``, a ``base_url`` over ``PROCESSOR_TASKS_BASE_URL``,
            a ``region`` over ``HUAWEICLOUD_SDK_REGION`` (a base URL, from either place,
            wins over a region), and a ``credentials`` provider over
            ``PROCESSOR_TASKS_CREDENTIALS`` and the credential variables.

    Raises:
        ConfigurationError: A variable is missing or invalid, or the base URL is plain http
            to a host that is not loopback; the message names which to set.
    """
    env = os.environ if environ is None else environ
    project_id = (env.get(ENV_PROJECT_ID) or env.get(ENV_PROJECT_ID_FALLBACK) or "").strip()
    client_args = dict(client_args)
    endpoint = _endpoint_args(env, client_args)
    missing = (
        [f"{endpoint[0]} (or {', '.join(endpoint[1:])})" if len(endpoint) > 1 else endpoint[0]] if endpoint else []
    )
    if not project_id:
        missing.append(ENV_PROJECT_ID)
    if missing:
        raise ConfigurationError(f"set {' and '.join(missing)} to build a client from the environment")
    if "allow_insecure_http" not in client_args:
        client_args["allow_insecure_http"] = _allow_insecure_http(env)
    if "call_timeout" not in client_args:
        call_timeout = _call_timeout(env)
        if call_timeout is not None:
            client_args["call_timeout"] = call_timeout
    provider = _provider(env)
    if provider is not None and "credentials" not in client_args:
        client_args["credentials"] = provider
    if "credentials" in client_args:
        return AuthenticatedClient(**client_args), project_id
    token = env.get(ENV_TOKEN, "").strip()
    if token:
        return AuthenticatedClient(token=token, **client_args), project_id
    if env.get(ENV_ACCESS_KEY) and env.get(ENV_SECRET_KEY):
        return AuthenticatedClient(auth=AkSkAuth.from_env(env), **client_args), project_id
    raise ConfigurationError(f"set {ENV_TOKEN}, or {ENV_ACCESS_KEY} and {ENV_SECRET_KEY}, to authenticate")
