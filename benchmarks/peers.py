"""(p) The decoders a user could pick instead, on the same page in the same run, and what each keeps.

Peers (development-only dependencies, pinned in requirements/dev.txt):

- pydantic v2 models and msgspec Structs, written by hand below the way
  datamodel-code-generator renders this spec's schemas for each (defaults: unknown fields
  ignored; a schema with ``additionalProperties: true`` becomes ``extra="allow"`` in
  pydantic and an empty Struct in msgspec). Handwritten rather than generated at bench time
  so that ``make bench`` needs no code generator; they are small and cover every field.
- ``orjson.loads`` and ``msgspec.json.decode`` without a type: no types at all.
- ours, fast (msgspec mirrors) and reference (``json.loads`` + ``from_dict``).

The "keeps" column is measured, not written down: each decoder reads probe pages (a field
the contract does not list, an enum value it does not list, operator parameters, an
explicit null next to an absent field) and a probe passes only when the decoder's output,
turned back into JSON values, still holds what the probe sent; "types" means that it
returns objects with typed attributes rather than dicts. A decoder that raises on a probe
drops it too.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import orjson
import pydantic
from processor_tasks_client import _decode
from processor_tasks_client.models import ListProcessorTasksResp

from benchmarks._support import compare, page_bytes, realistic_tasks

# --- pydantic v2 (as datamodel-code-generator renders the spec) ---------------------------


class PTaskStatus(enum.IntEnum):
    INITIALIZED = 0
    RUNNING = 1
    COMPLETED = 2
    FAILED = 3
    STOPPED = 4


class PTemplateId(enum.Enum):
    SYS_DATA_ANALYSE = "sys_data_analyse"
    SYS_DATA_CLEANING = "sys_data_cleaning"
    SYS_DATA_AUGMENTATION = "sys_data_augmentation"
    SYS_DATA_VALIDATION = "sys_data_validation"
    SYS_DATA_SELECTION = "sys_data_selection"


class PDataSourceType(enum.Enum):
    OBS = "OBS"
    TASK = "TASK"
    DATASET = "DATASET"
    CUSTOM = "CUSTOM"


class PWorkPathType(enum.Enum):
    OBS = "OBS"
    DATASET = "DATASET"


class PProcessorDataSource(pydantic.BaseModel):
    type: PDataSourceType | str | None = None
    source: str | None = None
    name: str | None = None
    version_id: str | None = None
    version_name: str | None = None


class POperatorParams(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")


class POperatorParam(pydantic.BaseModel):
    id: str | None = None
    name: str | None = None
    advanced_params_switch: bool | None = None
    params: POperatorParams | None = None


class PTemplateParam(pydantic.BaseModel):
    id: PTemplateId | str | None = None
    name: str | None = None
    operator_params: list[POperatorParam] | None = None


class PWorkPath(pydantic.BaseModel):
    type: PWorkPathType | str | None = None
    path: str | None = None
    name: str | None = None
    output_path: str | None = None
    version_id: str | None = None
    version_name: str | None = None


class PTask(pydantic.BaseModel):
    task_id: str
    name: str | None = None
    description: str | None = None
    status: PTaskStatus | int | None = None
    error_msg: str | None = None
    create_time: int | None = None
    duration_seconds: int | None = None
    data_source: PProcessorDataSource | None = None
    inputs: list[PProcessorDataSource] | None = None
    is_current: bool | None = None
    result: Any = None
    template: PTemplateParam | None = None
    version_count: int | None = None
    version_id: str | None = None
    version_name: str | None = None
    work_path: PWorkPath | None = None
    workspace_id: str | None = None
    ai_project: str | None = None


class PPage(pydantic.BaseModel):
    count: int
    tasks: list[PTask]


# --- msgspec Structs (as datamodel-code-generator renders the spec) -----------------------
# msgspec refuses a union of an IntEnum and int (or of a str Enum and str), so the open
# enum fields are the plain type; OperatorParams has no declared fields: an empty Struct.


class MProcessorDataSource(msgspec.Struct):
    type: str | None = None
    source: str | None = None
    name: str | None = None
    version_id: str | None = None
    version_name: str | None = None


class MOperatorParams(msgspec.Struct):
    pass


class MOperatorParam(msgspec.Struct):
    id: str | None = None
    name: str | None = None
    advanced_params_switch: bool | None = None
    params: MOperatorParams | None = None


class MTemplateParam(msgspec.Struct):
    id: str | None = None
    name: str | None = None
    operator_params: list[MOperatorParam] | None = None


class MWorkPath(msgspec.Struct):
    type: str | None = None
    path: str | None = None
    name: str | None = None
    output_path: str | None = None
    version_id: str | None = None
    version_name: str | None = None


class MTask(msgspec.Struct):
    task_id: str
    name: str | None = None
    description: str | None = None
    status: int | None = None
    error_msg: str | None = None
    create_time: int | None = None
    duration_seconds: int | None = None
    data_source: MProcessorDataSource | None = None
    inputs: list[MProcessorDataSource] | None = None
    is_current: bool | None = None
    result: Any = None
    template: MTemplateParam | None = None
    version_count: int | None = None
    version_id: str | None = None
    version_name: str | None = None
    work_path: MWorkPath | None = None
    workspace_id: str | None = None
    ai_project: str | None = None


class MPage(msgspec.Struct):
    count: int
    tasks: list[MTask]


_M_PAGE = msgspec.json.Decoder(MPage)


def _ours(fast: bool) -> Callable[[bytes], Any]:
    def decode(body: bytes) -> Any:
        saved = _decode.FAST
        _decode.FAST = fast
        try:
            return _decode.decode_model(body, ListProcessorTasksResp.from_dict)
        finally:
            _decode.FAST = saved

    return decode


@dataclass(frozen=True)
class Peer:
    name: str
    decode: Callable[[bytes], Any]
    plain: Callable[[Any], Any]
    """The decoder's output as JSON values, to compare with the body."""
    typed: bool


PEERS = [
    Peer("ours, fast path (msgspec mirrors + attrs)", _ours(True), lambda page: page.to_dict(), True),
    Peer("ours, reference path (json.loads + from_dict)", _ours(False), lambda page: page.to_dict(), True),
    Peer(
        "pydantic v2 models",
        PPage.model_validate_json,
        lambda page: page.model_dump(mode="json", exclude_unset=True),
        True,
    ),
    Peer("msgspec Structs", _M_PAGE.decode, msgspec.to_builtins, True),
    Peer("orjson.loads (untyped)", orjson.loads, lambda page: page, False),
    Peer("msgspec.json.decode (untyped)", msgspec.json.decode, lambda page: page, False),
]


Probe = tuple[dict[str, Any], Callable[[dict[str, Any]], bool]]


def _probes() -> dict[str, Probe]:
    """Name: (a one-task page, a check of the decoded task as JSON values) per promise."""
    params = realistic_tasks(1)[0]["template"]["operator_params"]
    assert params[0]["params"], "the seed task must carry operator parameters"
    base = {"task_id": "t1", "name": "n", "status": 2}
    return {
        "unknown fields": (
            {**base, "zz_added_later": {"x": [1]}},
            lambda task: task.get("zz_added_later") == {"x": [1]},
        ),
        "unknown enum values": (
            {**base, "status": 9, "template": {"id": "sys_new"}},
            lambda task: task.get("status") == 9 and (task.get("template") or {}).get("id") == "sys_new",
        ),
        "operator params": (
            {"task_id": "t1", "template": {"operator_params": params}},
            lambda task: (
                [op.get("params") for op in task["template"]["operator_params"]] == [op.get("params") for op in params]
            ),
        ),
        "null vs absent": (
            {"task_id": "t1", "name": None},
            lambda task: "name" in task and task["name"] is None and "description" not in task,
        ),
    }


def keeps(peer: Peer) -> tuple[list[str], list[str]]:
    """(kept, dropped) probe names for one decoder."""
    kept: list[str] = []
    dropped: list[str] = []
    for name, (task, check) in _probes().items():
        body = json.dumps({"count": 1, "tasks": [task]}).encode()
        try:
            same = check(peer.plain(peer.decode(body))["tasks"][0])
        except Exception:  # a decoder that refuses the probe drops what it tests
            same = False
        (kept if same else dropped).append(name)
    (kept if peer.typed else dropped).append("types")
    return kept, dropped


@dataclass(frozen=True)
class PeerRow:
    name: str
    ratio: float
    """Median time per page over json.loads' in the same run."""
    microseconds: float
    kept: list[str]
    dropped: list[str]


def run(smoke: bool = False) -> list[PeerRow]:
    """Each peer against json.loads on the 100-task page of (a)."""
    tasks = realistic_tasks(320)
    body = page_bytes(tasks[:5] if smoke else tasks[:100], count=len(tasks))
    repeats, number, warmup = (1, 1, 1) if smoke else (15, 30, 10)
    rows = []
    for peer in PEERS:
        timing = compare(
            lambda peer=peer: peer.decode(body),  # type: ignore[misc]
            lambda: json.loads(body),
            repeats=repeats,
            number=number,
            warmup=warmup,
        )
        kept, dropped = keeps(peer)
        rows.append(PeerRow(peer.name, timing.ratio, timing.subject_ns / 1e3, kept, dropped))
    return rows


def table(rows: list[PeerRow]) -> str:
    """Markdown table of the peers."""
    lines = ["| decoder | x json.loads | keeps | drops |", "| --- | --- | --- | --- |"]
    for row in rows:
        lines.append(
            f"| {row.name} | {row.ratio:.2f}x | {', '.join(row.kept) or '-'} | {', '.join(row.dropped) or 'nothing'} |"
        )
    return "\n".join(lines)
