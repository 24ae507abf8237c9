"""`make` guards vendors: regeneration that removes a public name of the generated package
fails unless the spec's major version is bumped and the changelog acknowledges the name."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import GENERATED, GENERATOR, ROOT, SPEC

sys.path.insert(0, str(GENERATOR))
import regenerate

TASK_STATUS = "processor_tasks_client.models.task_status.TaskStatus"
LIST_MODULE = "processor_tasks_client.api.processor_tasks.list_processor_tasks"


def test_public_names_reads_modules_functions_classes_members_and_attributes(tmp_path: Path) -> None:
    package = tmp_path / regenerate.PACKAGE
    (package / "_private").mkdir(parents=True)
    (package / "__init__.py").write_text("from .things import Thing as Thing, _hidden\n__all__ = ['Thing']\n")
    (package / "things.py").write_text(
        "import enum\nLIMIT = 3\n_SECRET = 1\n"
        "class Colour(enum.Enum):\n    RED = 'red'\n    _ignore_ = 'x'\n"
        "class Thing:\n    name: str\n    def describe(self, *, verbose: bool) -> str: ...\n    def _helper(self) -> None: ...\n"
        "def make(name: str, /, size: int = 1, *, _internal: int = 0) -> Thing: ...\n"
        "async def amake() -> None: ...\n"
    )
    (package / "_private" / "mod.py").write_text("def f() -> None: ...\n")
    p = regenerate.PACKAGE
    assert regenerate.public_names(tmp_path) == {
        p,
        f"{p}.Thing",
        f"{p}.things",
        f"{p}.things.LIMIT",
        f"{p}.things.Colour",
        f"{p}.things.Colour.RED",
        f"{p}.things.Thing",
        f"{p}.things.Thing.name",
        f"{p}.things.Thing.describe",
        f"{p}.things.Thing.describe(verbose)",
        f"{p}.things.make",
        f"{p}.things.make(name)",
        f"{p}.things.make(size)",
        f"{p}.things.amake",
    }


def test_committed_client_exposes_the_names_vendors_use() -> None:
    names = regenerate.public_names(GENERATED)
    assert {
        f"{TASK_STATUS}.COMPLETED",
        "processor_tasks_client.models.TaskStatus",
        LIST_MODULE,
        f"{LIST_MODULE}.sync",
        f"{LIST_MODULE}.sync(status)",
        "processor_tasks_client.models.describe_processor_task_resp.DescribeProcessorTaskResp.task_id",
    } <= names


@pytest.fixture
def renamed_member(tmp_path: Path) -> tuple[Path, Path]:
    """(committed, fresh): the committed client, and the same with TaskStatus.COMPLETED renamed DONE."""
    committed, fresh = tmp_path / "committed", tmp_path / "fresh"
    shutil.copytree(GENERATED, committed)
    shutil.copytree(GENERATED, fresh)
    # The versions below are relative to a committed 1.0.0, whatever the spec is at today.
    stamp = committed / "GENERATED.json"
    stamp.write_text(json.dumps({**json.loads(stamp.read_text()), "api_version": "1.0.0"}))
    module = fresh / "processor_tasks_client" / "models" / "task_status.py"
    text = module.read_text()
    assert "    COMPLETED = " in text
    module.write_text(text.replace("    COMPLETED = ", "    DONE = "))
    return committed, fresh


def changelog(tmp_path: Path, version: str, *names: str) -> Path:
    path = tmp_path / "CHANGELOG.md"
    lines = "".join(f"- Breaking: `public-name-removed {n}`\n" for n in names)
    path.write_text(f"# Changelog\n\n## {version}\n\nCOMPLETED is now DONE.\n\n{lines}\n## 1.0.0\n\nFirst.\n")
    return path


@pytest.mark.parametrize(
    ("version", "acked", "message"),
    [
        ("1.0.0", False, "needs at least 2.0.0"),
        ("1.1.0", True, "needs at least 2.0.0"),
        ("2.0.0", False, f"Breaking: public-name-removed {TASK_STATUS}.COMPLETED"),
    ],
    ids=["no-bump-no-ack", "minor-bump-with-ack", "major-bump-no-ack"],
)
def test_lost_enum_member_needs_major_bump_and_ack(
    renamed_member: tuple[Path, Path], tmp_path: Path, version: str, acked: bool, message: str
) -> None:
    committed, fresh = renamed_member
    log = changelog(tmp_path, version, *([f"{TASK_STATUS}.COMPLETED"] if acked else []))
    with pytest.raises(regenerate.GenerationError) as caught:
        regenerate.guard_public_names(fresh, committed, SPEC, version, log)
    assert f"  - {TASK_STATUS}.COMPLETED" in str(caught.value)
    assert message in str(caught.value)


def test_major_bump_and_ack_let_the_name_go(renamed_member: tuple[Path, Path], tmp_path: Path) -> None:
    committed, fresh = renamed_member
    regenerate.guard_public_names(fresh, committed, SPEC, "2.0.0", changelog(tmp_path, "2.0.0", TASK_STATUS))
    # An ack in another version's section does not count.
    with pytest.raises(regenerate.GenerationError):
        regenerate.guard_public_names(fresh, committed, SPEC, "2.0.0", changelog(tmp_path, "1.9.0", TASK_STATUS))


def test_additions_pass_without_bump_or_changelog(tmp_path: Path) -> None:
    committed, grown = tmp_path / "committed", tmp_path / "grown"
    shutil.copytree(GENERATED, committed)
    shutil.copytree(GENERATED, grown)
    module = grown / "processor_tasks_client" / "models" / "task_status.py"
    module.write_text(module.read_text() + "\nNEW_CONSTANT = 1\n")
    assert regenerate.public_names(grown) - regenerate.public_names(committed) == {
        "processor_tasks_client.models.task_status.NEW_CONSTANT"
    }
    regenerate.guard_public_names(grown, committed, SPEC, "1.0.0", tmp_path / "missing.md")


def run_make_generate(spec: Path, out: Path, changelog: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(GENERATOR / "regenerate.py"), "--spec", str(spec), "--out", str(out)]
    return subprocess.run(
        [*command, "--changelog", str(changelog)], capture_output=True, text=True, cwd=ROOT, check=False, timeout=300
    )


def test_renamed_operation_id_fails_generation_and_keeps_the_client(tmp_path: Path) -> None:
    out = tmp_path / "generated_client"
    shutil.copytree(GENERATED, out)
    before = (out / "GENERATED.json").read_text()
    spec = tmp_path / "processor-tasks.yaml"
    text = SPEC.read_text()
    assert "operationId: ListProcessorTasks\n" in text
    spec.write_text(text.replace("operationId: ListProcessorTasks\n", "operationId: ListTasks\n"))
    done = run_make_generate(spec, out, ROOT / "openapi" / "CHANGELOG.md")
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"  - {LIST_MODULE}\n      with .aiter_items" in done.stderr
    assert f"Breaking: public-name-removed {LIST_MODULE}\n" in done.stderr
    version = json.loads(before)["api_version"]
    assert f"needs at least {int(version.split('.')[0]) + 1}.0.0" in done.stderr and "Traceback" not in done.stderr
    # Nothing was replaced: the old module is still there, the new one is not.
    assert (out / "GENERATED.json").read_text() == before
    assert (out / "processor_tasks_client" / "api" / "processor_tasks" / "list_processor_tasks.py").exists()
    assert not (out / "processor_tasks_client" / "api" / "processor_tasks" / "list_tasks.py").exists()


def test_renamed_enum_member_with_bump_and_ack_regenerates(tmp_path: Path) -> None:
    out = tmp_path / "generated_client"
    shutil.copytree(GENERATED, out)
    text = SPEC.read_text()
    version = json.loads((GENERATED / "GENERATED.json").read_text())["api_version"]
    major = int(version.split(".")[0]) + 1
    assert "[INITIALIZED, RUNNING, COMPLETED, FAILED, STOPPED]" in text and f"  version: {version}\n" in text
    spec = tmp_path / "processor-tasks.yaml"
    # The waiter names the member too (x-waiters success list), so it follows the rename.
    assert "          success: [COMPLETED]\n" in text
    spec.write_text(
        text.replace(
            "[INITIALIZED, RUNNING, COMPLETED, FAILED, STOPPED]", "[INITIALIZED, RUNNING, DONE, FAILED, STOPPED]"
        )
        .replace("          success: [COMPLETED]\n", "          success: [DONE]\n")
        .replace(f"  version: {version}\n", f"  version: {major}.0.0\n", 1)
    )
    refused = run_make_generate(spec, out, changelog(tmp_path, f"{major}.0.0"))
    assert refused.returncode == 1 and f"{TASK_STATUS}.COMPLETED" in refused.stderr, refused.stderr
    accepted = run_make_generate(spec, out, changelog(tmp_path, f"{major}.0.0", f"{TASK_STATUS}.COMPLETED"))
    assert accepted.returncode == 0, accepted.stderr
    assert f"{TASK_STATUS}.DONE" in regenerate.public_names(out)
    assert f"{TASK_STATUS}.COMPLETED" not in regenerate.public_names(out)
