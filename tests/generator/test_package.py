"""generated_client/ installs with pip as its own package and carries its type information."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.paths import GENERATED, SPEC


@pytest.mark.slow  # pip builds and installs the wheel: a few seconds
def test_pip_installs_the_package_with_py_typed(tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(GENERATED)],
        check=True,
        capture_output=True,
        text=True,
    )
    package = target / "processor_tasks_client"
    assert (package / "py.typed").exists()
    assert (package / "api" / "processor_tasks" / "list_processor_tasks.py").exists()
    version = yaml.safe_load(SPEC.read_text())["info"]["version"]
    assert (target / f"processor_tasks_client-{version}.dist-info").is_dir()
    # Imported from the installed copy only (dependencies from this venv), not from the repo.
    probe = "import processor_tasks_client as p, sys; print(p.__file__); print(len(p.__all__))"
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, env=env, cwd=tmp_path
    )
    file, exported = out.stdout.split()
    assert file.startswith(str(target)) and int(exported) > 10
