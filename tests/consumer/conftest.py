"""Throwaway services outside this repository, each in a fresh virtual environment.

A fresh venv is made without pip (fast) and sees this repository's .venv site-packages
through a .pth file placed after its own, so third-party dependencies (httpx, attrs, anyio,
starlette, uvicorn, pytest, mypy, ...) come from there without any download, while the
client and the mock exist only in the copies installed or vendored into the service.
Packages are installed with this venv's pip (``pip --python``) from wheels built once per
session from generated_client/ and mock_server/.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import sysconfig
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import pytest

from tests.paths import ROOT

GENERATED = ROOT / "generated_client"
MOCK_PROJECT = ROOT / "mock_server"


def run(
    command: Sequence[str | Path], cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run a command outside the repository; fail the test with its output when it fails."""
    # Nothing of this repository may leak in through the environment.
    clean = {
        k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"} and not k.startswith("MOCK_")
    }
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels of the client and the mock, built from their folders as `pip install ./folder` would."""
    dist = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", dist, GENERATED, MOCK_PROJECT], dist)
    return dist


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for every throwaway service: the standard library and httpx are checked once."""
    return tmp_path_factory.mktemp("mypy-cache")


class FreshVenv(Protocol):
    """Make a venv in ``folder`` and return its python; ``without`` names distributions it must not see."""

    def __call__(self, folder: Path, without: Sequence[str] = ()) -> Path: ...


@pytest.fixture(scope="session")
def fresh_venv() -> Iterator[FreshVenv]:
    """Make a venv in a folder and return its python."""

    def make(folder: Path, without: Sequence[str] = ()) -> Path:
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
        python = folder / "bin" / "python"
        purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], folder)
        ours = [p for p in site.getsitepackages() if Path(p).is_dir()] or [sysconfig.get_paths()["purelib"]]
        if without:
            # A folder of links to everything else, so that neither Python nor mypy finds
            # those distributions (msgspec: a service that did not install the `fast` extra).
            shown = folder / "shown-site-packages"
            shown.mkdir()
            for entry in (e for p in ours for e in Path(p).iterdir()):
                if not entry.name.lower().startswith(tuple(without)) and not (shown / entry.name).exists():
                    (shown / entry.name).symlink_to(entry)
            ours = [str(shown)]
        (Path(purelib.stdout.strip()) / "zz_repo_venv.pth").write_text("\n".join(ours) + "\n")
        return python

    yield make


def pip_install(python: Path, *requirements: str | Path, cwd: Path, extra: Sequence[str] = ()) -> None:
    """Install into the venv of ``python`` with this venv's pip, never touching dependencies."""
    run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", *extra, *requirements], cwd
    )
