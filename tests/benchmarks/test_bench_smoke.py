"""Smoke test of the benchmarks: each one runs at tiny size, once, and returns a well-formed row.

Timings are never asserted (they depend on the machine and its load); what is checked is
the structure of each result and the correctness probes the benchmarks carry (the walk saw
every task once, the signed request was signed, the regenerated package exists). The whole
file takes a few seconds, so it stays in ``make test``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks import (
    call_memory,
    list_call,
    pagination_memory,
    parse_page,
    peers,
    regenerate,
    runner,
    signing,
    walk,
)
from benchmarks._support import BenchResult

RUNS: dict[str, Callable[[bool], BenchResult]] = {
    "a": parse_page.run,
    "a'": parse_page.run_evolved,
    "b": list_call.run,
    "f": walk.run,
    "c": pagination_memory.run,
    "g": call_memory.run_sequential,
    "g'": call_memory.run_sequential_async,
    "h": call_memory.run_concurrent,
    "h'": call_memory.run_concurrent_async,
    "d": signing.run,
    "e": regenerate.run,
}
UNITS = {"a": "us", "a'": "us", "b": "us", "c": "MB", "d": "us", "e": "s", "f": "us"}
UNITS |= {"g": "MB", "g'": "MB", "h": "MB", "h'": "MB"}
# The benchmarks with a target in issues 4, 12 and 19; the others only report.
TARGETED = {"a", "a'", "b", "c", "f", "g", "g'", "h", "h'"}
# Booleans each benchmark records about its own correctness.
PROBES = {
    "c": ("big_walk_complete_and_unique", "small_walk_complete_and_unique"),
    "d": ("signed_request_has_signature", "token_request_unsigned"),
    "e": ("package_written",),
    "f": ("walk_complete_and_unique",),
    "a": ("fast_path",),
    "a'": ("fast_path",),
}


@pytest.fixture(scope="module")
def results() -> dict[str, BenchResult]:
    return {key: run(True) for key, run in RUNS.items()}


@pytest.mark.parametrize("key", sorted(RUNS))
def test_result_is_well_formed(results: dict[str, BenchResult], key: str) -> None:
    result = results[key]
    assert result.key == key
    assert result.unit == UNITS[key]
    assert result.title and result.subject and result.baseline
    assert result.subject_value > 0 and result.baseline_value > 0
    assert math.isclose(result.ratio, result.subject_value / result.baseline_value, rel_tol=1e-9)
    if key in TARGETED:
        assert isinstance(result.met, bool)
        assert result.target != "-"
        assert result.verdict.startswith("PASS" if result.met else "MISS")
    else:
        assert result.met is None and result.target == "-"
        assert result.verdict.startswith("INFO")
    for probe in PROBES.get(key, ()):
        assert result.details[probe] is True, probe
    json.dumps(result.details)  # the runner saves them as JSON


def test_table_has_a_row_per_result(results: dict[str, BenchResult]) -> None:
    lines = runner.table(list(results.values())).splitlines()
    assert len(lines) == 2 + len(results)
    assert all(line.startswith("| ") and line.endswith(" |") for line in lines)
    for key, line in zip(results, lines[2:], strict=True):
        assert line.startswith(f"| ({key}) ")


def test_runner_saves_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    assert runner.main(["--smoke", "--only", "a", "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["smoke"] is True and report["failed"] == []
    assert [row["key"] for row in report["results"]] == ["a"]
    assert {"ratio", "target", "met", "verdict", "details"} <= set(report["results"][0])
    assert "| (a) " in capsys.readouterr().out


def test_peers_table_measures_what_each_decoder_keeps() -> None:
    rows = {row.name: row for row in peers.run(smoke=True)}
    assert len(rows) == len(peers.PEERS)
    for row in rows.values():
        assert row.ratio > 0 and row.microseconds > 0
        assert sorted(row.kept + row.dropped) == sorted(
            ["unknown fields", "unknown enum values", "operator params", "null vs absent", "types"]
        )
    # Both of our paths keep every promise; each peer gives something up.
    assert all(not row.dropped for name, row in rows.items() if name.startswith("ours"))
    assert all(row.dropped for name, row in rows.items() if not name.startswith("ours"))
    assert rows["pydantic v2 models"].dropped == ["unknown fields"]
    assert "| ours, fast path" in peers.table(list(rows.values()))


def test_peer_probes_can_fail() -> None:
    """A decoder that drops everything keeps nothing: the probes are not rubber stamps."""
    empty = peers.Peer("drops all", lambda body: {"tasks": [{}]}, lambda page: page, typed=False)
    assert peers.keeps(empty) == (
        [],
        ["unknown fields", "unknown enum values", "operator params", "null vs absent", "types"],
    )


def test_runner_selects_the_evolved_page_and_the_peers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    assert runner.main(["--smoke", "--only", "a',p", "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [row["key"] for row in report["results"]] == ["a'"]
    assert len(report["peers"]) == len(peers.PEERS)
    printed = capsys.readouterr().out
    assert "| (a') " in printed and "| pydantic v2 models |" in printed
