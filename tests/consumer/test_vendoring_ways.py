"""The three documented ways to vendor the client, each in a throwaway service outside the repo.

Each service imports the client the way its vendoring gives it, passes ``mypy --strict``, and
lists and describes tasks against the mock (a separate process) with a token and with AK/SK.
The ways (generated_client/README.md, "Install"):

* ``copy``: the package folder copied to ``myservice/_vendor/processor_tasks_client`` by the
  guide's own command, and type-checked with the service in a venv without msgspec;
* ``pip``: ``pip install ./generated_client`` (here: its wheel, built once per session);
* ``vcs``: a pinned ``name @ git+…@<commit>#subdirectory=generated_client`` requirement
  (``file://localhost/…``: pip 23 refuses a file URL without a host in that form).
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml

from tests.consumer.conftest import GENERATED, FreshVenv, pip_install, run
from tests.paths import ROOT, SPEC

pytestmark = pytest.mark.slow  # builds wheels and venvs: about a minute for the folder

SERVICE = '''"""A throwaway service that reads processing tasks through the vendored client."""

from __future__ import annotations

import json
import sys

from {root} import (
    AkSkAuth,
    AuthenticatedClient,
    NotFoundError,
    ProcessorTasks,
    __version__,
    manifest,
)
from {root}.api.processor_tasks import describe_processor_task, list_processor_tasks
from {root}.models import TaskStatus


def completed_task_ids(tasks: ProcessorTasks) -> list[str]:
    return [task.task_id for task in tasks.iter_list_processor_tasks(limit=40, status=TaskStatus.COMPLETED)]


def describe_first(client: AuthenticatedClient, project_id: str) -> str:
    page = list_processor_tasks.sync(project_id, client=client, limit=1)
    return describe_processor_task.sync(project_id, page.tasks[0].task_id, client=client).task_id


def missing_is_not_found(client: AuthenticatedClient, project_id: str) -> bool:
    try:
        describe_processor_task.sync(project_id, "no-such-task", client=client)
    except NotFoundError:
        return True
    return False


def main() -> None:
    base_url, project_id = sys.argv[1], "mock-project"
    with ProcessorTasks(AuthenticatedClient(base_url=base_url, token="mock-token"), project_id) as tasks:
        completed = completed_task_ids(tasks)
    with AuthenticatedClient(base_url=base_url, auth=AkSkAuth("MOCKAK", "MOCKSK")) as client:
        described = describe_first(client, project_id)
        not_found = missing_is_not_found(client, project_id)
    report = {{
        "client_file": sys.modules[ProcessorTasks.__module__].__file__,
        "version": __version__,
        "spec_sha256": manifest()["spec"]["sha256"],
        "completed": completed,
        "described": described,
        "not_found": not_found,
    }}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
'''


def _completed_ids(base_url: str) -> list[str]:
    with httpx.Client(base_url=base_url, headers={"X-Auth-Token": "mock-token"}) as client:
        body = client.get("/v2/mock-project/processor-tasks", params={"status": 2, "limit": 100}).json()
        ids = [task["task_id"] for task in body["tasks"]]
        assert body["count"] == len(ids)  # fits one page, so this is the whole answer
        return ids


def copy_command() -> str:
    """The copy command of the generated guide's "Install" table."""
    commands = re.findall(r"`([^`]*cp -r [^`]*)`", (GENERATED / "README.md").read_text())
    assert len(commands) == 1, commands
    return str(commands[0])


def _service(way: str, folder: Path, python: Path, wheels: Path) -> tuple[list[str], str]:
    """Set up the service for ``way``; return (mypy arguments, module to run)."""
    if way == "copy":
        # The guide's own command, as a reader would paste it into the service's root.
        (folder / "myservice").mkdir()
        run(["sh", "-c", copy_command().replace("CHECKOUT", shlex.quote(str(ROOT)))], folder)
        (folder / "myservice" / "__init__.py").write_text("")
        (folder / "myservice" / "app.py").write_text(SERVICE.format(root="myservice._vendor.processor_tasks_client"))
        return ["-p", "myservice"], "myservice.app"
    (folder / "service.py").write_text(SERVICE.format(root="processor_tasks_client"))
    if way == "pip":
        pip_install(python, *wheels.glob("processor_tasks_client-*.whl"), cwd=folder)
    else:
        upstream = folder.parent / f"{folder.name}-upstream"
        shutil.copytree(GENERATED, upstream / "generated_client")
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"]
        run([*git, "init", "-q"], upstream)
        run([*git, "add", "-A"], upstream)
        run([*git, "commit", "-q", "-m", "client snapshot"], upstream)
        commit = run(["git", "rev-parse", "HEAD"], upstream).stdout.strip()
        requirement = f"processor-tasks-client @ git+file://localhost{upstream}@{commit}#subdirectory=generated_client"
        (folder / "requirements.txt").write_text(requirement + "\n")
        pip_install(python, "-r", "requirements.txt", cwd=folder)
    return ["service.py"], "service"


@pytest.mark.parametrize("way", ["copy", "pip", "vcs"])
def test_vendored_client_type_checks_and_reads_tasks(
    way: str,
    tmp_path: Path,
    fresh_venv: FreshVenv,
    wheels: Path,
    mypy_cache: Path,
    mock_server_url: str,
) -> None:
    if way == "vcs" and shutil.which("git") is None:
        pytest.fail("git is needed for the VCS way")  # present wherever this repository is cloned
    folder = tmp_path / f"service-{way}"
    folder.mkdir()
    # The copied package is type-checked as part of the service, which mostly runs without
    # the optional msgspec: the copy must be --strict clean that way too.
    python = fresh_venv(tmp_path / "venv", without=("msgspec",) if way == "copy" else ())
    mypy_args, module = _service(way, folder, python, wheels)

    checked = run([python, "-m", "mypy", "--strict", "--cache-dir", mypy_cache, *mypy_args], folder)
    assert "Success" in checked.stdout

    report = json.loads(run([python, "-m", module, mock_server_url], folder).stdout)
    client_file = Path(report["client_file"]).resolve()
    expected_home = folder if way == "copy" else tmp_path / "venv"
    assert client_file.is_relative_to(expected_home.resolve()), client_file  # not the repository's copy
    assert report["version"] == yaml.safe_load(SPEC.read_text())["info"]["version"]
    assert report["spec_sha256"] == hashlib.sha256(SPEC.read_bytes()).hexdigest()
    assert report["completed"] == _completed_ids(mock_server_url) and report["completed"]
    assert report["described"] and report["not_found"] is True


def test_the_literal_readme_copy_of_the_project_folder_needs_the_inner_package(tmp_path: Path) -> None:
    # Copying generated_client/ itself puts the package one level down: the documented way is
    # to copy the inner package folder (or add generated_client/ to the path).
    shutil.copytree(GENERATED, tmp_path / "generated_client")
    probe = subprocess.run(
        ["python3", "-c", "import processor_tasks_client"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert probe.returncode != 0 and "ModuleNotFoundError" in probe.stderr
