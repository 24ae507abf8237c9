"""Tasks that follow a timeline: what they show at each moment, in describe and in list
filters and sorting, on the handle's clock (in-process), on wall time (socket, console script),
and how a bad timeline is refused."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from processor_tasks_mock.__main__ import main, settings_from
from processor_tasks_mock.lifecycle import LifecycleError, ManualClock, WallClock
from processor_tasks_mock.process import running_mock_server
from processor_tasks_mock.settings import Settings
from processor_tasks_mock.testing import MockHandle, in_process, serving

BASE = {"task_id": "t", "name": "analysis", "result": {"blur": [0.1]}, "create_time": 5}
TIMELINE = [
    {"after": 0, "status": "INITIALIZED"},
    {"after": 2, "status": "RUNNING"},
    {"after": 5, "status": "COMPLETED"},
]


@pytest.fixture
def mock() -> Iterator[MockHandle]:
    with in_process() as handle:
        yield handle


def describe(handle: MockHandle, task_id: str) -> dict[str, Any]:
    body: dict[str, Any] = handle.processor_tasks().describe_processor_task(task_id).to_dict()
    return body


def listed(handle: MockHandle, **params: Any) -> list[str]:
    page = handle.processor_tasks().list_processor_tasks(limit=100, **params)
    return [task.task_id for task in page.tasks]


def test_a_task_moves_through_its_timeline_with_consistent_fields(mock: MockHandle) -> None:
    mock.seed([BASE], lifecycles={"t": TIMELINE})
    shown = describe(mock, "t")
    # Not started: no duration, no result (a result belongs to COMPLETED).
    assert shown["status"] == 0 and "duration_seconds" not in shown and "result" not in shown
    assert shown["create_time"] == 5 and shown["name"] == "analysis"  # the record's own fields stay
    mock.advance(2)
    assert (describe(mock, "t")["status"], describe(mock, "t")["duration_seconds"]) == (1, 0)
    mock.advance(3.5)
    running = describe(mock, "t")
    assert running["status"] == 1 and running["duration_seconds"] == 3 and "result" not in running
    mock.advance(1.5)
    done = describe(mock, "t")
    assert done["status"] == 2 and done["duration_seconds"] == 5 and done["result"] == {"blur": [0.1]}
    mock.advance(100)
    assert describe(mock, "t")["duration_seconds"] == 5  # frozen once final


def test_failure_carries_its_error_msg_or_a_default_and_other_states_drop_it(mock: MockHandle) -> None:
    mock.seed(
        [{"task_id": "old", "status": 3, "error_msg": "left over"}],
        lifecycles={
            "old": [{"after": 1, "status": "RUNNING"}, {"after": 1, "status": "FAILED", "error_msg": "disk full"}],
            "quiet": [{"after": 1, "status": 3}],
        },
    )
    assert describe(mock, "old")["status"] == 3 and describe(mock, "old")["error_msg"] == "left over"  # before step 0
    mock.advance(1)
    assert "error_msg" not in describe(mock, "old")  # RUNNING has none
    mock.advance(1)
    assert describe(mock, "old")["error_msg"] == "disk full" and describe(mock, "old")["duration_seconds"] == 1
    quiet = describe(mock, "quiet")  # a task named only in the timeline is created
    assert quiet["status"] == 3 and quiet["error_msg"] == "The task failed." and quiet["duration_seconds"] == 0
    assert isinstance(quiet["create_time"], int)


def test_list_filters_and_sorting_follow_the_moment(mock: MockHandle) -> None:
    mock.seed(
        [{"task_id": "a", "create_time": 1}, {"task_id": "b", "create_time": 2}, {"task_id": "c", "status": 1}],
        lifecycles={
            "a": [{"after": 1, "status": "RUNNING"}, {"after": 10, "status": "COMPLETED"}],
            "b": [{"after": 0, "status": "RUNNING"}, {"after": 3, "status": "STOPPED"}],
        },
    )
    assert listed(mock, status=1) == ["b", "c"]  # by create_time desc, null last; "a" has not started
    mock.advance(2)
    assert sorted(listed(mock, status=1)) == ["a", "b", "c"]
    assert listed(mock, sort_by="duration_seconds", order="desc")[:2] == ["b", "a"]  # 2 s and 1 s
    mock.advance(2)
    assert sorted(listed(mock, status=1)) == ["a", "c"] and listed(mock, status=4) == ["b"]
    mock.advance(4)
    assert listed(mock, sort_by="duration_seconds", order="desc")[:2] == ["a", "b"]  # 7 s, then 3 s frozen
    mock.advance(10)
    assert listed(mock, status=2) == ["a"]


def test_a_bad_timeline_is_refused_naming_the_task_and_step(mock: MockHandle) -> None:
    cases: list[tuple[Any, str]] = [
        ({"t": [{"after": 1, "status": "DONE"}]}, "task 't', step 0: status 'DONE' is not a TaskStatus"),
        ({"t": [{"status": 1}, {"after": -1, "status": 2}]}, "task 't', step 1: \"after\" must be a number"),
        (
            {"t": [{"after": 1, "status": 3, "error_msg": 5}]},
            "task 't', step 0 does not follow DescribeProcessorTaskResp",
        ),
        ({"t": []}, "task 't': expected a non-empty list of steps"),
        ({"t": [{"after": 1}]}, "task 't', step 0: expected an object with \"status\""),
        ({"t": [{"status": 1, "task_id": "u"}]}, "a step cannot change task_id"),
    ]
    for lifecycles, message in cases:
        with pytest.raises(LifecycleError, match=message.replace("(", r"\(").replace(")", r"\)")):
            mock.seed([], lifecycles=lifecycles)


def test_clocks() -> None:
    manual = ManualClock(start=100.0)
    manual.sleep(2.5)
    assert manual.now() == 102.5
    with pytest.raises(ValueError, match="at least 0"):
        manual.advance(-1)
    wall = WallClock()
    before = time.time()
    wall.advance(3600)
    assert wall.now() >= before + 3600


def test_the_socket_handle_runs_on_wall_time() -> None:
    with serving() as handle:
        assert isinstance(handle.clock, WallClock)
        handle.seed([], lifecycles={"w": [{"after": 0.3, "status": "RUNNING"}, {"after": 3600, "status": 2}]})
        tasks = handle.processor_tasks()
        assert "status" not in tasks.describe_processor_task("w").to_dict()
        time.sleep(0.4)
        assert tasks.describe_processor_task("w").status == 1
        handle.advance(3600)  # jump ahead instead of waiting an hour
        assert tasks.describe_processor_task("w").status == 2


def test_the_console_script_takes_a_lifecycle_file_and_refuses_a_bad_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "timelines.json"
    good.write_text(json.dumps({"x": [{"after": 0, "status": "RUNNING"}]}))
    assert settings_from(["--lifecycle", str(good)]).lifecycle_path == good
    assert Settings.from_env({"MOCK_LIFECYCLE": str(good)}).lifecycle_path == good
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"x": [{"after": 1, "status": "SOON"}]}))
    assert main(["--lifecycle", str(bad), "--port", "0"]) == 2
    assert f"refusing to start: lifecycle {bad}: task 'x', step 0: status 'SOON'" in capsys.readouterr().err
    # Wall time: a running task's duration grows between two reads a second apart.
    with running_mock_server({"MOCK_LIFECYCLE": str(good)}) as url:
        headers = {"X-Auth-Token": "mock-token"}
        first = httpx.get(f"{url}/v2/mock-project/processor-tasks/x", headers=headers).json()
        time.sleep(1.1)
        later = httpx.get(f"{url}/v2/mock-project/processor-tasks/x", headers=headers).json()
    assert first["status"] == later["status"] == 1
    assert later["duration_seconds"] > first["duration_seconds"]


def test_seed_without_lifecycles_keeps_the_clock_and_other_projects(mock: MockHandle) -> None:
    mock.seed([{"task_id": "o"}], project="other-project")
    mock.seed([BASE], lifecycles={"t": TIMELINE})
    assert [t["task_id"] for t in mock.tasks("other-project")] == ["o"]
    mock.seed([BASE])  # a new seed ends earlier timelines
    mock.advance(100)
    assert describe(mock, "t")["result"] == {"blur": [0.1]} and "status" not in describe(mock, "t")
