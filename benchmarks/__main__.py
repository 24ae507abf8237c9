"""``python -m benchmarks``: run every benchmark, print the table, save reports/bench.json."""

from __future__ import annotations

from benchmarks.runner import main

raise SystemExit(main())
