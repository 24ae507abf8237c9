"""A contract without the 2.1.0 extensions still generates a working, typed client.

`make diff` regenerates the base spec to compare the generated API (issue 20), and a base
from before 2.1.0 has no region enum, no ``x-waiters`` and no ``x-pagination.concurrency``.
The generator once wrote a ``from_env(environ, *, **client_args)`` that does not parse for
such a spec, and the command line assumed a waiter. Here the committed spec, stripped of the
three extensions, must generate a client that mypy --strict accepts, whose command line has
neither ``wait`` nor ``--concurrency``, and whose ``list --all`` walks the mock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.paths import GENERATOR, ROOT, SPEC


def _without_extensions(spec: dict[str, Any]) -> dict[str, Any]:
    for server in spec["servers"]:
        for variable in server.get("variables", {}).values():
            variable.pop("enum", None)
            variable.pop("x-environment-variable", None)
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("x-waiters", None)
                operation.get("x-pagination", {}).pop("concurrency", None)
    return spec


@pytest.fixture(scope="module")
def plain_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("plain")
    text = SPEC.read_text()
    assert "x-waiters" in text and "concurrency:" in text  # else this test proves nothing
    spec_path = folder / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(_without_extensions(yaml.safe_load(text)), sort_keys=False))
    out = folder / "generated_client"
    command = [sys.executable, str(GENERATOR / "regenerate.py"), "--spec", str(spec_path), "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    return out


def _cli(client: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    code = "import sys; from processor_tasks_client.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=client,
        env={**os.environ, **(env or {})},
        check=False,
        timeout=60,
    )


def test_the_generated_package_type_checks(plain_client: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "processor_tasks_client"],
        capture_output=True,
        text=True,
        cwd=plain_client,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_generated_api_has_none_of_the_extensions(plain_client: Path) -> None:
    package = plain_client / "processor_tasks_client"
    describe = (package / "api" / "processor_tasks" / "describe_processor_task.py").read_text()
    listing = (package / "api" / "processor_tasks" / "list_processor_tasks.py").read_text()
    facade = (package / "api" / "processor_tasks" / "__init__.py").read_text()
    assert "def wait(" not in describe
    assert "concurrency" not in listing
    assert "region" not in facade


def test_the_command_line_offers_only_what_the_contract_has(plain_client: Path) -> None:
    top = _cli(plain_client, "--help")
    assert top.returncode == 0, top.stderr
    commands = top.stdout.split("options:")[0]
    assert "    describe " in commands and "    wait " not in commands
    listing = _cli(plain_client, "list", "--help")
    assert listing.returncode == 0, listing.stderr
    assert "--concurrency" not in listing.stdout and "--all" in listing.stdout
    assert _cli(plain_client, "wait", "x").returncode == 2


def test_list_all_walks_the_mock(plain_client: Path, mock_server_url: str) -> None:
    env = {
        "PROCESSOR_TASKS_BASE_URL": mock_server_url,
        "PROCESSOR_TASKS_PROJECT_ID": "mock-project",
        "PROCESSOR_TASKS_TOKEN": "mock-token",
    }
    done = _cli(plain_client, "list", "--all", "--output", "jsonl", "--quiet", env=env)
    assert done.returncode == 0, done.stderr
    tasks = [json.loads(line) for line in done.stdout.splitlines()]
    assert tasks and all("task_id" in task for task in tasks)


def _spec_diff(base: Path, new: Path) -> subprocess.CompletedProcess[str]:
    args = ["--base-file", str(base), "--spec", str(new), "--changelog", str(ROOT / "openapi" / "CHANGELOG.md")]
    return subprocess.run(
        [sys.executable, "-m", "review.spec_diff", *args], capture_output=True, text=True, cwd=ROOT, check=False
    )


def test_make_diff_compares_the_generated_api_of_an_older_base(plain_client: Path) -> None:
    """Adding the extensions is compatible; the generated API of both sides is compared."""
    done = _spec_diff(plain_client.parent / "spec.yaml", SPEC)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "waiter-added" in done.stdout and "generated-api-not-compared" not in done.stdout, done.stdout


def test_make_diff_names_the_generated_functions_that_removing_them_takes(plain_client: Path) -> None:
    done = _spec_diff(SPEC, plain_client.parent / "spec.yaml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "generated-api-not-compared" not in done.stdout
    for name in (
        "describe_processor_task.wait ",
        "ProcessorTasks.wait_processor_task ",
        "list_processor_tasks.iter_pages(concurrency)",
    ):
        assert f"public-name-removed processor_tasks_client.api.processor_tasks.{name}" in done.stdout, name
