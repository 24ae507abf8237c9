"""`make check`, .ci/run and pre-commit run the same gates; `make clean` removes what make creates;
the nox sessions test the floors the client declares."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.paths import GENERATED, ROOT


def make_dry_run(target: str) -> str:
    done = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout


def prerequisites(target: str) -> list[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(rf"^{target}:([^#\n]*)", makefile, re.MULTILINE)
    assert match, f"no target {target}"
    return match.group(1).split()


def test_check_is_drift_style_and_typecheck() -> None:
    assert prerequisites("check") == ["drift", "style", "typecheck"]
    commands = make_dry_run("check")
    assert "regenerate.py" in commands and "--check" in commands
    assert "ruff check ." in commands and "ruff format --check ." in commands
    assert commands.count("mypy --strict") == 2  # the generated package, then the handwritten code


def test_typecheck_covers_every_handwritten_folder() -> None:
    commands = make_dry_run("typecheck")
    for part in ("generator/regenerate.py", "generator/spec_rules.py", "benchmarks", "mock_server", "review", "tests"):
        assert re.search(rf"mypy --strict .*(?<![\w/]){re.escape(part)}(?![\w/])", commands), part


def test_pre_commit_runs_the_same_targets_as_make_check() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert all(repo["repo"] == "local" for repo in config["repos"])  # nothing downloaded
    assert [hook["entry"] for hook in hooks] == [f"make {t}" for t in prerequisites("check")]
    assert all(hook["language"] == "system" and hook["pass_filenames"] is False for hook in hooks)


def test_ci_runs_check_compat_and_test_with_ci_true() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    steps = re.findall(r"^make (\w+)", script, re.MULTILINE)
    assert steps[-3:] == ["check", "compat", "test"]
    assert 'export CI="${CI:-true}"' in script
    assert "apt-get install -y -qq chromium" in script


def test_clean_removes_every_ignored_path() -> None:
    # .gitignore lists what make and the tests leave behind; `make clean` must remove each.
    commands = make_dry_run("clean")
    patterns = [p.strip() for p in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()]
    for pattern in filter(None, patterns):
        name = pattern.rstrip("/")
        # Python 3 writes *.pyc only inside __pycache__/, which clean removes wherever it is.
        target = "__pycache__" if name == "*.pyc" else name
        assert re.search(rf"(?<![\w.-]){re.escape(target)}(?![\w-])", commands), f"make clean leaves {pattern}"


def test_nox_tests_the_floors_the_client_declares() -> None:
    import noxfile

    project = tomllib.loads((GENERATED / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = project["dependencies"] + [
        r for extra in project.get("optional-dependencies", {}).values() for r in extra
    ]
    assert noxfile.client_dependencies() == declared
    floors = dict(pin.split("==") for pin in noxfile.lowest(declared))
    assert {"httpx", "attrs", "anyio"} <= set(floors)
    for requirement in declared:
        name = re.split(r"[<>=!~\s\[]", requirement, maxsplit=1)[0]
        assert f">={floors[name]}" in requirement.replace(" ", "")
    assert noxfile.PYTHONS == ["3.11", "3.12", "3.13"]


def test_nox_lowest_refuses_a_dependency_without_a_floor() -> None:
    import noxfile

    assert noxfile.lowest(["httpx>=0.27.0,<0.29.0", "anyio >= 4"]) == ["httpx==0.27.0", "anyio==4"]
    with pytest.raises(ValueError, match="attrs"):
        noxfile.lowest(["attrs"])


def test_nox_test_tools_are_pinned_in_dev_requirements() -> None:
    import noxfile

    pins = noxfile.pinned_test_tools()
    dev = (ROOT / "requirements" / "dev.txt").read_text(encoding="utf-8").splitlines()
    assert len(pins) >= len(noxfile.TEST_TOOLS) and all(pin in dev for pin in pins)


def test_nox_lowest_records_spans_with_the_sdk_of_the_api_floor() -> None:
    import noxfile

    floor = next(r for r in noxfile.lowest(noxfile.client_dependencies()) if r.startswith("opentelemetry-api=="))
    lowest = noxfile.pinned_test_tools("lowest")
    assert floor.replace("api", "sdk") in lowest
    assert not [r for r in lowest if r.startswith("opentelemetry-instrumentation")]
    assert [r for r in noxfile.pinned_test_tools() if r.startswith("opentelemetry-instrumentation-httpx==")]


def test_every_ignored_path_is_git_ignored_not_committed() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for top in ("node_modules/", "build/", ".nox/", "reports/"):
        assert not any(line.startswith(top) for line in tracked.splitlines()), top
    assert Path(ROOT / ".gitignore").read_text(encoding="utf-8").count(".nox/") == 1


def test_slow_marker_is_declared_and_test_fast_leaves_it_out() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert any(m.startswith("slow:") for m in config["markers"]) and "--strict-markers" in config["addopts"]
    assert '-m "not slow"' in make_dry_run("test-fast")
    used = subprocess.run(
        ["git", "grep", "-lE", r"^(@pytest\.mark\.slow|pytestmark = pytest\.mark\.slow)", "--", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert used, "the slow marker is declared but no test uses it"
