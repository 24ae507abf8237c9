"""Proof that the contract suite bites: it must fail against each deliberately broken mock.

The unchanged suite (test_contract.py) runs in a child pytest process with its targets set to
the `broken:<variant>` targets of tests/contract/broken.py. A child process keeps the failing
run's hypothesis and schemathesis state away from this session and lets its JUnit report be read
like CI would. Each variant must fail, and fail because of the check its fault violates -- a
variant failing for an unrelated reason would prove nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.contract.broken import BROKEN_VARIANTS
from tests.contract.conftest import TARGETS_ENV
from tests.contract.support import REPO_ROOT

SUITE = Path(__file__).with_name("test_contract.py")


def _failures_by_target(junit: Path) -> dict[str, list[str]]:
    """Failure texts of the child run, grouped by the contract target in the test id."""
    failures: dict[str, list[str]] = {}
    for testcase in ET.parse(junit).iter("testcase"):
        name = testcase.get("name", "")
        target = name.split("[", 1)[1].split("]", 1)[0] if "[" in name else ""
        for element in [*testcase.iter("failure"), *testcase.iter("error")]:
            text = f"{element.get('message', '')}\n{element.text or ''}"
            failures.setdefault(target, []).append(text)
    return failures


@pytest.fixture(scope="module")
def broken_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], dict[str, list[str]]]:
    junit = tmp_path_factory.mktemp("bites") / "junit.xml"
    env = dict(os.environ)
    env[TARGETS_ENV] = ",".join(f"broken:{name}" for name in BROKEN_VARIANTS)
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", str(SUITE), "-p", "no:cacheprovider", "-q", f"--junitxml={junit}"],
        cwd=REPO_ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert junit.exists(), completed.stdout[-4000:] + completed.stderr[-4000:]
    return completed, _failures_by_target(junit)


def test_broken_run_failed_as_tests_not_as_a_crash(
    broken_run: tuple[subprocess.CompletedProcess[str], dict[str, list[str]]],
) -> None:
    completed, _ = broken_run
    # Exit code 1 means "tests failed"; 2-5 would be an interrupted run, usage error or no tests.
    assert completed.returncode == 1, completed.stdout[-4000:] + completed.stderr[-4000:]


@pytest.mark.parametrize("variant", sorted(BROKEN_VARIANTS))
def test_suite_catches_broken_variant(
    variant: str, broken_run: tuple[subprocess.CompletedProcess[str], dict[str, list[str]]]
) -> None:
    completed, failures = broken_run
    expected = BROKEN_VARIANTS[variant]
    texts = failures.get(f"broken:{variant}", [])
    assert texts, f"the contract suite PASSED against the broken variant {variant!r}\n{completed.stdout[-3000:]}"
    assert any(expected.evidence in text for text in texts), (
        f"the suite failed against {variant!r}, but not through {expected.caught_by} "
        f"(no {expected.evidence!r} in the report):\n" + "\n---\n".join(text[:1500] for text in texts)
    )
