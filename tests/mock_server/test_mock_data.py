"""The seeded store covers what issue 3 promises, and user fixtures are validated at start."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema.exceptions import best_match
from processor_tasks_mock.app import create_app
from processor_tasks_mock.fixtures import FixtureError
from processor_tasks_mock.seed import generate_tasks
from processor_tasks_mock.settings import DEFAULT_SPEC_PATH, Settings
from processor_tasks_mock.spec import load_spec

Task = dict[str, Any]


def test_seed_is_deterministic_and_large(seeded: list[Task], settings: Settings) -> None:
    assert len(seeded) >= 300
    assert generate_tasks(settings.seed, settings.task_count) == seeded
    assert generate_tasks(settings.seed + 1, settings.task_count) != seeded
    assert len({t["task_id"] for t in seeded}) == len(seeded)


# The default store byte for byte: tests here and in tests/contract were written against
# it, so a change to the generator (even a speed-up) must not reshuffle it unnoticed.
DEFAULT_STORE_SHA256 = "0f2fe21e188f4a716300b85eafcfa9d9866580a8dada17ad0b33a532a96788bd"


def test_default_seed_is_pinned(seeded: list[Task], settings: Settings) -> None:
    assert (settings.seed, settings.task_count) == (20240101, 320)
    # Readable anchors first, so a failure says where the drift starts.
    assert [seeded[i]["task_id"] for i in (0, 1, 199, 319)] == [
        "Bdugmni6i6T6f31CtXG",
        "roEHCIL2qoXNzim3liL",
        "IjZjrozEDoDsOZ6lDB4",
        "Poj2UC4oIwJlyQ1b4sF",
    ]
    assert (seeded[0]["name"], seeded[0]["create_time"]) == ("select-8f", 1600020760000)
    # A TASK source draws from the ids of earlier tasks.
    assert {"type": "TASK", "source": "WtLuKrNkBxkSyOLfSG1"} in seeded[251]["inputs"]
    assert seeded[82]["task_id"] == "WtLuKrNkBxkSyOLfSG1"
    assert sum(t["is_current"] for t in seeded) == 91
    text = json.dumps(seeded, sort_keys=True, ensure_ascii=False)
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == DEFAULT_STORE_SHA256


def test_seed_covers_every_dimension(seeded: list[Task]) -> None:
    spec = load_spec(DEFAULT_SPEC_PATH).document["components"]["schemas"]
    channels = [c for t in seeded for c in (t.get("inputs") or []) + ([t["data_source"]] if "data_source" in t else [])]
    assert {t["template"]["id"] for t in seeded} == set(spec["TemplateId"]["enum"])
    assert {t["status"] for t in seeded} == set(spec["TaskStatus"]["enum"])
    assert {c["type"] for c in channels} == set(spec["DataSourceType"]["enum"])
    assert {(t["template"]["id"], t["status"]) for t in seeded} == {
        (tid, s) for tid in spec["TemplateId"]["enum"] for s in spec["TaskStatus"]["enum"]
    }
    shapes = {("data_source" in t, "inputs" in t) for t in seeded}
    assert shapes == {(True, False), (False, True), (True, True)}
    assert len({t["workspace_id"] for t in seeded}) >= 3 and "0" in {t["workspace_id"] for t in seeded}
    assert len({c["source"] for c in channels if c["type"] == "DATASET"}) >= 3
    assert len({t["version_id"] for t in seeded if "version_id" in t}) >= 5
    assert {t["is_current"] for t in seeded} == {True, False}
    for task in seeded:
        completed_analysis = task["status"] == 2 and task["template"]["id"] == "sys_data_analyse"
        assert ("result" in task) == completed_analysis
        if completed_analysis:
            assert isinstance(task["result"], dict)
        assert ("error_msg" in task) == (task["status"] == 3)
        assert task["template"]["operator_params"][0]["params"]


def test_seed_follows_the_spec(seeded: list[Task]) -> None:
    validator = load_spec(DEFAULT_SPEC_PATH).schema_validator("DescribeProcessorTaskResp")
    for task in seeded:
        assert best_match(validator.iter_errors(task)) is None, task["task_id"]


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "fixture.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


GOOD = [
    {
        "task_id": "t-1",
        "name": "Alpha",
        "status": 2,
        "create_time": 3,
        "workspace_id": "0",
        "template": {"id": "sys_data_analyse"},
        "result": "xxx",
        "is_current": True,
    },
    {"task_id": "t-2", "name": None, "status": 7, "create_time": None, "extra_field": {"kept": True}},
    {"task_id": "t-3", "name": "beta", "workspace_id": "ws-1", "inputs": None, "data_source": None},
]


@pytest.mark.parametrize("shape", ["list", "object"])
async def test_a_good_fixture_replaces_the_seed(tmp_path: Path, shape: str) -> None:
    data: Any = GOOD if shape == "list" else {"project": "fixture-project", "tasks": GOOD}
    project = "mock-project" if shape == "list" else "fixture-project"
    settings = Settings(fixture_path=_write(tmp_path, data), tokens={"tok": project})
    app = create_app(settings)
    headers = {"X-Auth-Token": "tok"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        listed = (
            await client.get(
                f"/v2/{project}/processor-tasks", params={"sort_by": "name", "order": "asc"}, headers=headers
            )
        ).json()
        # t-2 has no workspace, so it is in workspace "0"; a null name sorts first.
        assert [t["task_id"] for t in listed["tasks"]] == ["t-2", "t-1"]
        assert listed["tasks"][0]["extra_field"] == {"kept": True}
        for sort_by in ("create_time", "duration_seconds", "name"):
            answer = await client.get(f"/v2/{project}/processor-tasks", params={"sort_by": sort_by}, headers=headers)
            assert answer.status_code == 200
        described = await client.get(f"/v2/{project}/processor-tasks/t-3", headers=headers)
        assert described.json() == GOOD[2]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([{"task_id": "a"}, {"task_id": "b", "status": "done"}], ["record 1", "'b'", "$.status"]),
        ([{"task_id": "a", "inputs": [{"type": 5}]}], ["record 0", "'a'", "$.inputs[0].type"]),
        ([{"task_id": "a"}, {"name": "no id"}], ["record 1", "None", "task_id"]),
        ([{"task_id": "a"}, {"task_id": "a"}], ["record 1", "repeats", "record 0"]),
        ([{"task_id": "a", "duration_seconds": 2**40}], ["record 0", "$.duration_seconds", "int32"]),
        ([{"task_id": "a", "work_path": {"version_name": "has space"}}], ["record 0", "$.work_path"]),
        ([42], ["record 0"]),
        ({"tasks": "nope"}, ["list of tasks"]),
        ({"project": 3, "tasks": []}, ["project"]),
        ({"items": []}, ['"tasks"']),
        ('[{"task_id": "a", "duration_seconds": NaN}]', ["NaN"]),
        ("[{", ["not valid JSON"]),
        ('[{"task_id": "a"}, {"task_id": "b", "name": "\\ud800"}]', ["record 1", "'b'", "surrogate"]),
    ],
)
def test_a_bad_fixture_is_refused_naming_the_record(tmp_path: Path, data: Any, expected: list[str]) -> None:
    with pytest.raises(FixtureError) as raised:
        create_app(Settings(fixture_path=_write(tmp_path, data)))
    for fragment in expected:
        assert fragment in str(raised.value)


def test_a_missing_fixture_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="cannot read"):
        create_app(Settings(fixture_path=tmp_path / "absent.json"))
