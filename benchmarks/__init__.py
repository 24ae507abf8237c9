"""Benchmarks of the generated client: ``make bench`` (or ``python -m benchmarks``).

Every result is a ratio against a baseline measured in the same run, on the same machine,
never an absolute timing compared with a constant: absolute numbers swing with the
machine and its load, a ratio measured side by side much less. Each benchmark lives in its
own module and exposes ``run(smoke: bool = False) -> BenchResult``; ``benchmarks.runner``
runs them, prints the table and writes ``reports/bench.json``.

Why a plain script and not pytest-benchmark: pytest-benchmark times
one callable per test and compares against runs saved earlier, while every number here is
a quotient of two measurements that must be interleaved in one process (so that drift in
CPU frequency or load hits both sides alike). Two of the five are not timings of a
callable at all (peak memory of a walk, wall time of a subprocess). A small median-of-
interleaved-batches helper (:func:`benchmarks._support.compare`) covers that with less
machinery, and the smoke test in tests/benchmarks/ can call the same ``run`` functions.
"""

from __future__ import annotations

import sys

from benchmarks._support import GENERATED, ROOT

# The generated client is vendored as a source folder, not installed: put it on the path
# the way the test suite (pyproject's pythonpath) and consumers do. The mock (which (b),
# (c) and (f) run) is a source folder here too.
for _folder in (GENERATED, ROOT / "mock_server"):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))
