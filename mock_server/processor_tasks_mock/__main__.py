"""``processor-tasks-mock`` (or ``python -m processor_tasks_mock``): serve the mock with uvicorn.

Every setting comes from the environment as described in :mod:`processor_tasks_mock.settings`;
the options below override the variable named in their help. Faults are configured with the
``MOCK_FAULT_*`` variables only. The project and credentials served follow the same rule as
the pytest fixtures (:func:`processor_tasks_mock.app.settle`): a fixture's own project wins
over the default, and the default credentials move to the project served.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from processor_tasks_mock.app import create_app
from processor_tasks_mock.fixtures import FixtureError
from processor_tasks_mock.settings import LOG_LEVELS, Settings, SettingsError
from processor_tasks_mock.spec import SpecError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="processor-tasks-mock",
        description="Serve a mock of the ModelArts processor-tasks query API on 127.0.0.1 (see MOCK_* variables).",
    )
    parser.add_argument("--port", type=int, help="port to listen on (PORT, default 8080; 0 picks a free one)")
    parser.add_argument("--host", help="interface to bind (MOCK_HOST, default 127.0.0.1)")
    parser.add_argument(
        "--fixture",
        type=Path,
        help='JSON file of tasks to serve: [task, ...] or {"project": ..., "tasks": [...]}; a project named '
        "there is the mock's project (MOCK_FIXTURE)",
    )
    parser.add_argument(
        "--project",
        help="project that owns the tasks (MOCK_PROJECT, default mock-project or the fixture's); if given, it must "
        "agree with a fixture that names its project; mock-token and MOCKAK/MOCKSK move to it unless MOCK_TOKENS / "
        "MOCK_AKSK are set",
    )
    parser.add_argument(
        "--lifecycle",
        type=Path,
        help='JSON file of task timelines, {"TASK_ID": [{"after": 2, "status": "RUNNING"}, ...]}, run on '
        "wall time from start-up (MOCK_LIFECYCLE)",
    )
    parser.add_argument("--seed", type=int, help="seed of the generated tasks (MOCK_SEED)")
    parser.add_argument("--task-count", type=int, help="number of generated tasks (MOCK_TASK_COUNT, default 320)")
    parser.add_argument("--spec", type=Path, help="contract to serve instead of the bundled copy (MOCK_SPEC)")
    parser.add_argument("--log-level", choices=LOG_LEVELS, help="uvicorn log level (MOCK_LOG_LEVEL, default info)")
    return parser


def settings_from(argv: Sequence[str] | None = None) -> Settings:
    """Settings from the environment, overridden by the command line options in ``argv``."""
    args = _parser().parse_args(argv)
    settings = Settings.from_env()
    overrides = {
        "port": args.port,
        "host": args.host,
        "fixture_path": args.fixture,
        "lifecycle_path": args.lifecycle,
        "project": args.project,
        "seed": args.seed,
        "task_count": args.task_count,
        "spec_path": args.spec,
        "log_level": args.log_level,
    }
    return dataclasses.replace(settings, **{key: value for key, value in overrides.items() if value is not None})


def main(argv: Sequence[str] | None = None) -> int:
    """Start serving; return 2 when the configuration is refused (the message says why)."""
    try:
        settings = settings_from(argv)
        app = create_app(settings)
    except (SettingsError, SpecError, FixtureError) as exc:
        print(f"processor-tasks-mock: refusing to start: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        # Headers from a proxy must not rewrite what the signature check sees.
        proxy_headers=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
