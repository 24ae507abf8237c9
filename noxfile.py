"""The generated client's tests on every supported Python, with its lowest and newest dependencies.

`make compat` (and `.ci/run`) runs `nox`: one session per Python (3.11, 3.12, 3.13) and per
dependency set:

- lowest: each dependency of generated_client/pyproject.toml (optional extras included) at
  the floor it declares (`>=X` installed as `==X`), proving the declared floors are true;
- newest: the newest versions the declared ranges admit (a fresh resolve).

The tests are the ones that exercise the client (tests/client and the package install test);
the tools they need besides the client are installed at the versions requirements/dev.txt pins.
Interpreters come from PATH or from pyenv's versions folder; nox never downloads one. A missing
interpreter skips its sessions locally and fails them in CI (nox's default under CI=true).
"""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PYTHONS = ["3.11", "3.12", "3.13"]
CLIENT_TESTS = ["tests/client", "tests/generator/test_package.py"]
# What those tests import besides the client: the runner, the mock server they start, and the
# provider's SDK as the reference signer. Versions come from requirements/dev.txt.
TEST_TOOLS = ["pytest", "pytest-asyncio", "PyYAML", "jsonschema", "starlette", "uvicorn", "huaweicloudsdkcore"]
# Installed as well when requirements/dev.txt pins them (property-based tests use hypothesis).
TEST_TOOLS_IF_PINNED = ["hypothesis", "pytest-timeout"]
# The span tests record through the OpenTelemetry SDK, which must match the API the `tracing`
# extra installed: the lowest set takes the SDK at the API's floor and leaves out the httpx
# instrumentation (its releases need a newer API; the tests that use it skip there).
TRACING_TOOLS = ["opentelemetry-sdk", "opentelemetry-instrumentation-httpx"]

nox.options.sessions = ["client"]
nox.options.download_python = "never"
nox.options.default_venv_backend = "venv"


def _pyenv_bins() -> list[str]:
    """bin/ folders of pyenv's installed Pythons for PYTHONS (pyenv's shims only run the active one)."""
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return []
    found = []
    for minor in PYTHONS:
        versions = sorted(
            Path(root, "versions").glob(f"{minor}.*"), key=lambda p: [int(x) for x in re.findall(r"\d+", p.name)]
        )
        if versions:
            found.append(str(versions[-1] / "bin"))
    return found


if __name__ != "noxfile":  # nox loads this file under its own module name; tests import it plainly
    os.environ["PATH"] = os.pathsep.join([*_pyenv_bins(), os.environ.get("PATH", "")])


def client_dependencies() -> list[str]:
    """The requirement strings generated_client/pyproject.toml declares, optional extras included
    (the tests exercise every extra's code path, so each extra's floor is tested too)."""
    project = tomllib.loads((ROOT / "generated_client" / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    dependencies: list[str] = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        dependencies += extra
    return dependencies


def lowest(requirements: list[str]) -> list[str]:
    """Each requirement pinned to its declared floor (every dependency must declare one)."""
    pinned = []
    for requirement in requirements:
        match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*(?:\(|)[^>]*>=\s*([^,\s)]+)", requirement)
        if not match:
            raise ValueError(f"{requirement!r} declares no lower bound (>=): the lowest set is undefined")
        pinned.append(f"{match.group(1)}=={match.group(2)}")
    return pinned


def pinned_test_tools(dependencies: str = "newest") -> list[str]:
    """TEST_TOOLS at the exact versions requirements/dev.txt pins, and the tracing tools
    that fit the OpenTelemetry API of the dependency set."""
    pins = {}
    for line in (ROOT / "requirements" / "dev.txt").read_text(encoding="utf-8").splitlines():
        if match := re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line.strip()):
            pins[match.group(1).lower()] = match.group(0)
    missing = [tool for tool in TEST_TOOLS if tool.lower() not in pins]
    if missing:
        raise ValueError(f"requirements/dev.txt pins no version of {missing}")
    tools = [pins[tool.lower()] for tool in TEST_TOOLS + TEST_TOOLS_IF_PINNED if tool.lower() in pins]
    if dependencies == "lowest":
        api = [r for r in lowest(client_dependencies()) if r.startswith("opentelemetry-api==")]
        return tools + [r.replace("opentelemetry-api", "opentelemetry-sdk") for r in api]
    return tools + [pins[tool] for tool in TRACING_TOOLS if tool in pins]


@nox.session(python=PYTHONS)
@nox.parametrize("dependencies", ["lowest", "newest"])
def client(session: nox.Session, dependencies: str) -> None:
    """The client's tests against one Python and one dependency set."""
    declared = client_dependencies()
    wanted = lowest(declared) if dependencies == "lowest" else declared
    session.install(*pinned_test_tools(dependencies), *wanted)
    # The test tools must not have pulled a client dependency above its floor: check what is installed.
    names = [re.split(r"[=<>!~\s\[(;]", r, maxsplit=1)[0] for r in declared]
    # Versions compare as versions, not strings: a floor written ">=0.19" installs as "0.19.0".
    probe = (
        "import importlib.metadata as m, sys; from packaging.version import Version as V; "
        f"got = {{n: m.version(n) for n in {names!r}}}; print(sys.version.split()[0], got); "
        f"want = {dict(r.split('==') for r in lowest(declared))!r}; "
        "off = {n: (got[n], w) for n, w in want.items() if V(got[n]) != V(w)}; "
        f"sys.exit({dependencies == 'lowest'!r} and bool(off) and f'not the floors (installed, floor): {{off}}')"
    )
    session.run("python", "-c", probe)
    session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *CLIENT_TESTS, *session.posargs)
