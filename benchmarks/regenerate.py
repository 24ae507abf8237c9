"""(e) Wall time of regenerating the client, as ``make generate`` does, vs the generator's start-up.

No target in issue 4; seconds and the ratio are reported. The command is the recipe of
``make generate`` (``generator/regenerate.py`` with the venv's Python) except for
``--out``, which points into a temporary folder: writing the real ``generated_client/``
would race with everyone else working in this tree. The baseline is
``openapi-python-client --version``, the fixed cost of starting the generator tool that
every regeneration pays; ``python -c pass`` is recorded as well, for the interpreter alone.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._support import ROOT, BenchResult


def _seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - started


def _median(command: list[str], runs: int) -> float:
    return statistics.median(_seconds(command) for _ in range(runs))


def run(smoke: bool = False) -> BenchResult:
    """Median wall time of a full regeneration into a temporary folder against the tool's start-up."""
    python = sys.executable
    tool = str(Path(python).parent / "openapi-python-client")
    runs = 1 if smoke else 5
    with tempfile.TemporaryDirectory(prefix="bench-regen-") as tmp:
        out = Path(tmp) / "generated_client"
        regenerate = [python, "generator/regenerate.py", "--spec", "openapi/processor-tasks.yaml", "--out", str(out)]
        baseline = [tool, "--version"]
        if not smoke:
            # Warm the file-system cache and .pyc files for both commands.
            _seconds(regenerate)
            _seconds(baseline)
        regenerate_s = _median(regenerate, runs)
        baseline_s = _median(baseline, runs)
        interpreter_s = _median([python, "-c", "pass"], runs)
        produced = (out / "processor_tasks_client" / "__init__.py").is_file()
    return BenchResult(
        key="e",
        title="regenerate the client (make generate)",
        subject="generator/regenerate.py --out <tmp>",
        baseline="openapi-python-client --version",
        subject_value=regenerate_s,
        baseline_value=baseline_s,
        unit="s",
        ratio=regenerate_s / baseline_s,
        target="-",
        met=None,
        verdict=f"INFO: {regenerate_s:.2f} s",
        details={
            "python_startup_s": round(interpreter_s, 3),
            "ratio_to_python_startup": round(regenerate_s / interpreter_s, 1),
            "package_written": produced,
            "runs": runs,
        },
    )
