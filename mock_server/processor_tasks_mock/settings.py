"""Configuration of the mock server, from code (``Settings(...)``) or the environment.

Environment variables (all optional; the default is in brackets):

Serving
    ``PORT`` [8080]            port ``python -m processor_tasks_mock`` listens on.
    ``MOCK_HOST`` [127.0.0.1]  interface to bind.
    ``MOCK_LOG_LEVEL`` [info]  uvicorn log level.
    ``MOCK_SPEC`` [the copy bundled in this package]  contract to load.

Credentials
    ``MOCK_TOKENS`` [``mock-token=mock-project,other-token=other-project``]
        X-Auth-Token values and the project each one may act on.
    ``MOCK_AKSK`` [``MOCKAK:MOCKSK=mock-project``]
        AK/SK pairs (``AK:SK=project``, comma separated) accepted in SDK-HMAC-SHA256 signatures.
    ``MOCK_CLOCK_SKEW_SECONDS`` [900]  how far ``X-Sdk-Date`` may be from the server clock.
    ``MOCK_TEMPORARY_TTL`` [3600]  seconds the temporary AK/SK that the metadata endpoint
        (``/openstack/latest/securitykey``) issues stay valid.

Data
    ``MOCK_PROJECT`` [unset: mock-project, or the fixture's project]  project that owns the
                                     seeded tasks (other projects are empty). The default
                                     credentials move to it (see
                                     :meth:`Settings.with_default_credentials`).
    ``MOCK_SEED`` [20240101]         seed of the generated store.
    ``MOCK_TASK_COUNT`` [320]        number of generated tasks (at least 50, so that every
                                     combination the seed promises is present).
    ``MOCK_FIXTURE`` [unset]         JSON file replacing the generated tasks: a list of task
                                     objects, or ``{"project": "...", "tasks": [...]}``. A
                                     project named there is the mock's project; a
                                     ``MOCK_PROJECT`` that names another one is refused,
                                     even when it is ``mock-project``.
    ``MOCK_LIFECYCLE`` [unset]       JSON file of task timelines (``{"TASK_ID": [step, ...]}``,
                                     see :mod:`processor_tasks_mock.lifecycle`), run on wall time.

Fault injection (every fault is off by default). A request is hit by a fault when its
sequence number (1-based, over every request except ``/openapi.json`` and ``/openapi.yaml``)
is at most ``..._FIRST_N``, or when a draw from an RNG seeded with ``MOCK_FAULT_SEED`` falls
below ``..._RATE`` (0..1). At most one of drop, 503 and 429 hits a request, checked in that
order; latency adds to whichever answer follows.

    ``MOCK_FAULT_LATENCY_MS`` [0]  delay added to a request chosen by
    ``MOCK_FAULT_LATENCY_RATE`` [0] / ``MOCK_FAULT_LATENCY_FIRST_N`` [0].
    ``MOCK_FAULT_429_RATE`` [0] / ``MOCK_FAULT_429_FIRST_N`` [0]: answer 429 with
    ``Retry-After: MOCK_FAULT_RETRY_AFTER`` [1] seconds.
    ``MOCK_FAULT_503_RATE`` [0] / ``MOCK_FAULT_503_FIRST_N`` [0]: answer 503.
    ``MOCK_FAULT_DROP_RATE`` [0] / ``MOCK_FAULT_DROP_FIRST_N`` [0]: close the connection
    without an answer.
    ``MOCK_FAULT_SEED`` [0]: seed of the fault RNG.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

# The contract travels inside the package (`make` copies openapi/processor-tasks.yaml here and
# `make check` fails when the copies differ), so an installed mock needs no repository.
DEFAULT_SPEC_PATH = Path(__file__).resolve().parent / "processor-tasks.yaml"
DEFAULT_PROJECT = "mock-project"
DEFAULT_TOKENS: dict[str, str] = {"mock-token": DEFAULT_PROJECT, "other-token": "other-project"}
DEFAULT_AKSK: dict[str, tuple[str, str]] = {"MOCKAK": ("MOCKSK", DEFAULT_PROJECT)}


class SettingsError(ValueError):
    """A configuration value is malformed or out of range."""


@dataclass(frozen=True)
class FaultSettings:
    """Which requests get an injected fault; every field's zero value means "never"."""

    latency_ms: int = 0
    latency_rate: float = 0.0
    latency_first_n: int = 0
    throttle_rate: float = 0.0
    throttle_first_n: int = 0
    retry_after_seconds: int = 1
    unavailable_rate: float = 0.0
    unavailable_first_n: int = 0
    drop_rate: float = 0.0
    drop_first_n: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("latency_rate", "throttle_rate", "unavailable_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise SettingsError(f"fault {name} must be between 0 and 1, got {value!r}")
        for name in (
            "latency_ms",
            "latency_first_n",
            "throttle_first_n",
            "retry_after_seconds",
            "unavailable_first_n",
            "drop_first_n",
        ):
            if getattr(self, name) < 0:
                raise SettingsError(f"fault {name} must not be negative, got {getattr(self, name)!r}")

    @property
    def enabled(self) -> bool:
        """True when any fault can ever fire."""
        return any(
            (
                self.latency_ms and (self.latency_rate or self.latency_first_n),
                self.throttle_rate,
                self.throttle_first_n,
                self.unavailable_rate,
                self.unavailable_first_n,
                self.drop_rate,
                self.drop_first_n,
            )
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FaultSettings:
        """Read the ``MOCK_FAULT_*`` variables."""
        return cls(
            latency_ms=_int(env, "MOCK_FAULT_LATENCY_MS", 0),
            latency_rate=_float(env, "MOCK_FAULT_LATENCY_RATE", 0.0),
            latency_first_n=_int(env, "MOCK_FAULT_LATENCY_FIRST_N", 0),
            throttle_rate=_float(env, "MOCK_FAULT_429_RATE", 0.0),
            throttle_first_n=_int(env, "MOCK_FAULT_429_FIRST_N", 0),
            retry_after_seconds=_int(env, "MOCK_FAULT_RETRY_AFTER", 1),
            unavailable_rate=_float(env, "MOCK_FAULT_503_RATE", 0.0),
            unavailable_first_n=_int(env, "MOCK_FAULT_503_FIRST_N", 0),
            drop_rate=_float(env, "MOCK_FAULT_DROP_RATE", 0.0),
            drop_first_n=_int(env, "MOCK_FAULT_DROP_FIRST_N", 0),
            seed=_int(env, "MOCK_FAULT_SEED", 0),
        )


# uvicorn's log levels; any other name made uvicorn.run fail with a bare KeyError.
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


@dataclass(frozen=True)
class Settings:
    """Everything the mock server can be configured with; see the module docstring."""

    port: int = 8080
    host: str = "127.0.0.1"
    log_level: str = "info"
    spec_path: Path = DEFAULT_SPEC_PATH
    tokens: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TOKENS))
    aksk: Mapping[str, tuple[str, str]] = field(default_factory=lambda: dict(DEFAULT_AKSK))
    clock_skew_seconds: int = 900
    temporary_ttl_seconds: int = 3600
    # None: not given, so a fixture that names its project may set it (see app.settle);
    # any value, mock-project included, is the user's word and must agree with the fixture.
    project: str | None = None
    seed: int = 20240101
    task_count: int = 320
    fixture_path: Path | None = None
    lifecycle_path: Path | None = None
    faults: FaultSettings = field(default_factory=FaultSettings)
    # Injectable so that tests can check the X-Sdk-Date window without waiting.
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        # A path given as text (a marker's argument, code written in haste) is a path, not a
        # crash deep inside loading; anything else is refused here, naming the field.
        for name in ("spec_path", "fixture_path", "lifecycle_path"):
            value = getattr(self, name)
            if isinstance(value, str | os.PathLike) and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value))
            elif value is not None and not isinstance(value, Path):
                raise SettingsError(f"{name} must be a path (str or Path), got {value!r}")
        # Each message names the variable and the command-line option that set the value.
        if not 0 <= self.port <= 65535:
            raise SettingsError(f"PORT (--port) must be between 0 and 65535, got {self.port}")
        if self.task_count < 50:
            raise SettingsError(f"MOCK_TASK_COUNT (--task-count) must be at least 50, got {self.task_count}")
        if self.log_level not in LOG_LEVELS:
            raise SettingsError(
                f"MOCK_LOG_LEVEL (--log-level) must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}"
            )
        if self.clock_skew_seconds < 0:
            raise SettingsError("MOCK_CLOCK_SKEW_SECONDS must not be negative")
        if self.temporary_ttl_seconds < 1:
            raise SettingsError("MOCK_TEMPORARY_TTL must be at least 1")
        if self.project is not None and (not isinstance(self.project, str) or not self.project):
            raise SettingsError(f"MOCK_PROJECT (--project, project=) must be a non-empty string, got {self.project!r}")

    @property
    def served_project(self) -> str:
        """The project the mock serves: :attr:`project`, or ``mock-project`` when none was given.

        Before :func:`processor_tasks_mock.app.settle` has read a fixture, a fixture that
        names its project can still change this; the settings a running mock holds always
        carry the project it serves in :attr:`project`.
        """
        return self.project if self.project is not None else DEFAULT_PROJECT

    def with_default_credentials(self) -> Settings:
        """These settings, with the default credentials moved to :attr:`project` if it has none.

        With another project than ``mock-project`` (``MOCK_PROJECT``, ``--project``, a
        fixture that names its project, ``project=``), ``mock-token`` and ``MOCKAK``/``MOCKSK``
        act on that project instead, so the documented defaults keep working. Only a table
        left at its default moves: tokens or AK/SK pairs you configured (``MOCK_TOKENS``,
        ``MOCK_AKSK``, ``tokens=``, ``aksk=``) are used exactly as given. The console script,
        ``create_app`` and the pytest fixtures all apply this rule.
        """
        tokens, aksk, served = self.tokens, self.aksk, self.served_project
        if tokens == DEFAULT_TOKENS and served not in tokens.values():
            tokens = {**tokens, "mock-token": served}
        if aksk == DEFAULT_AKSK and served not in (project for _, project in aksk.values()):
            aksk = {**aksk, "MOCKAK": ("MOCKSK", served)}
        if tokens is self.tokens and aksk is self.aksk:
            return self
        return dataclasses.replace(self, tokens=tokens, aksk=aksk)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``env`` (default ``os.environ``); unset variables keep their defaults."""
        env = os.environ if env is None else env
        fixture = env.get("MOCK_FIXTURE", "").strip()
        lifecycle = env.get("MOCK_LIFECYCLE", "").strip()
        return cls(
            port=_int(env, "PORT", 8080),
            host=env.get("MOCK_HOST", "127.0.0.1").strip() or "127.0.0.1",
            log_level=env.get("MOCK_LOG_LEVEL", "info").strip() or "info",
            spec_path=Path(env["MOCK_SPEC"]) if env.get("MOCK_SPEC", "").strip() else DEFAULT_SPEC_PATH,
            tokens=_parse_tokens(env["MOCK_TOKENS"]) if "MOCK_TOKENS" in env else dict(DEFAULT_TOKENS),
            aksk=_parse_aksk(env["MOCK_AKSK"]) if "MOCK_AKSK" in env else dict(DEFAULT_AKSK),
            clock_skew_seconds=_int(env, "MOCK_CLOCK_SKEW_SECONDS", 900),
            temporary_ttl_seconds=_int(env, "MOCK_TEMPORARY_TTL", 3600),
            # Unset or blank: not given (a fixture's project may then set it).
            project=env.get("MOCK_PROJECT", "").strip() or None,
            seed=_int(env, "MOCK_SEED", 20240101),
            task_count=_int(env, "MOCK_TASK_COUNT", 320),
            fixture_path=Path(fixture) if fixture else None,
            lifecycle_path=Path(lifecycle) if lifecycle else None,
            faults=FaultSettings.from_env(env),
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None


def _pairs(raw: str, variable: str) -> list[tuple[str, str]]:
    pairs = []
    for entry in raw.split(","):
        item = entry.strip()
        if not item:
            continue
        left, sep, project = item.rpartition("=")
        if not sep or not left.strip() or not project.strip():
            raise SettingsError(f"{variable}: entry {item!r} is not of the form credential=project")
        pairs.append((left.strip(), project.strip()))
    return pairs


def _parse_tokens(raw: str) -> dict[str, str]:
    return dict(_pairs(raw, "MOCK_TOKENS"))


def _parse_aksk(raw: str) -> dict[str, tuple[str, str]]:
    result: dict[str, tuple[str, str]] = {}
    for credential, project in _pairs(raw, "MOCK_AKSK"):
        ak, sep, sk = credential.partition(":")
        if not sep or not ak or not sk:
            raise SettingsError(f"MOCK_AKSK: entry {credential!r} is not of the form AK:SK=project")
        result[ak] = (sk, project)
    return result
