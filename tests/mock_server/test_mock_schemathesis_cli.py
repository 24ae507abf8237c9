"""The documented schemathesis CLI command reaches the mock's data; the plain one never does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from processor_tasks_mock.testing import serving

from tests.paths import ROOT

CONFIG = ROOT / "mock_server" / "schemathesis.toml"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def _run(arguments: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCHEMATHESIS), *arguments], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.slow
def test_documented_command_lists_and_describes_while_a_plain_run_only_meets_403(tmp_path: Path) -> None:
    # The README's command, with --url for this port and only the quick phases.
    quick = ["--phases", "examples,coverage", "--mode", "positive", "--max-examples", "5"]
    with serving() as mock:
        url = mock.base_url
        done = _run(["--config-file", str(CONFIG), "run", f"{url}/openapi.json", "--url", url, *quick], tmp_path)
        assert done.returncode == 0, done.stdout[-3000:]
        # schemathesis also sends a probe to a made-up path first; only API calls count.
        api = [r for r in mock.requests if r.path.startswith("/v2/")]
        answered = {(r.path.count("/"), r.status) for r in api}
        assert (3, 200) in answered and (4, 200) in answered  # a page and a task were read
        assert all(r.path.startswith("/v2/mock-project/") for r in api)
        mock.clear_requests()
        plain = _run(["run", f"{url}/openapi.json", "--url", url, "--phases", "examples"], tmp_path)
        statuses = {r.status for r in mock.requests if r.path.startswith("/v2/")}
        assert statuses and statuses <= {401, 403}, statuses  # never a 200, yet ...
        assert plain.returncode == 0  # ... the plain run reports success
