"""Tasks that move through their lifecycle: timelines, and the clocks they run on.

A timeline is a list of steps for one task; each step says how many seconds after the
previous one (the first: after the timeline starts) the task takes a status, and may set
other fields (``error_msg``, ``result``, ...)::

    {"task-1": [{"after": 0, "status": "INITIALIZED"},
                {"after": 2, "status": "RUNNING"},
                {"after": 5, "status": "COMPLETED", "result": {"blur": [0.1]}}],
     "task-2": [{"after": 1, "status": "RUNNING"},
                {"after": 3, "status": "FAILED", "error_msg": "OBS path not found."}]}

Statuses are the spec's ``TaskStatus`` names (``x-enum-varnames``) or values. At any moment a
task shows its record with the fields of every step reached so far, the status of the last
one, and what follows from it, so that list filters and sorting see the same task:

- ``duration_seconds``: absent before the task runs, the seconds since it started running
  while it runs, frozen when it reaches a final state (COMPLETED, FAILED or STOPPED: the
  success and failure states of the spec's ``x-waiters``); 0 for a task that ended
  without running. (The contract has no end time field.)
- ``error_msg`` only in FAILED (a generic message when the step gives none), ``result`` only
  in COMPLETED, unless a step sets them itself.
- ``create_time``: the moment the timeline started, when the record has none.

Before its first step, a task shows its record as it is. A timeline for a task the store does
not hold creates one (``task_id`` and ``create_time`` only, in workspace ``0``).

Time comes from a clock: :class:`ManualClock` stands still until :meth:`~ManualClock.advance`
moves it (the in-process test handle, so tests never sleep), :class:`WallClock` follows the
system clock, plus whatever :meth:`~WallClock.advance` added (the socket handle and the
console script). Both can be handed to the client's waiters as their ``clock=``.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import anyio
from jsonschema.exceptions import best_match

from processor_tasks_mock.fixtures import TASK_SCHEMA, FixtureError
from processor_tasks_mock.spec import Spec

# The lifecycle's meaning of the statuses, by their names in the spec.
NOT_STARTED = "INITIALIZED"
FAILED = "FAILED"
COMPLETED = "COMPLETED"
DEFAULT_ERROR_MSG = "The task failed."
_STEP_KEYS = {"after", "status"}


class LifecycleError(FixtureError):
    """A timeline cannot be used; the message names the task, the step and what is wrong."""


class MockClock(Protocol):
    """What the store reads time from; also what the client's waiters accept as ``clock=``."""

    def now(self) -> float:
        """Seconds since the Unix epoch, as this clock sees it."""
        ...

    def advance(self, seconds: float) -> None:
        """Move this clock forward."""
        ...

    def sleep(self, seconds: float) -> None:
        """Pause (a sync waiter's pause)."""
        ...

    async def asleep(self, seconds: float) -> None:
        """Pause (an async waiter's pause)."""
        ...


def _check_seconds(seconds: float) -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"seconds must be a finite number of at least 0, got {seconds!r}")
    return float(seconds)


class ManualClock:
    """A clock that stands still until :meth:`advance` moves it; ``sleep`` advances it instead of sleeping."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        """The clock's time (seconds since the epoch)."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock ``seconds`` forward."""
        step = _check_seconds(seconds)
        with self._lock:
            self._now += step

    def sleep(self, seconds: float) -> None:
        """Advance instead of sleeping, so that a waiter under test returns at once."""
        self.advance(seconds)

    async def asleep(self, seconds: float) -> None:
        """Advance, and let other tasks run once."""
        self.advance(seconds)
        await anyio.sleep(0)


class WallClock:
    """The system clock, plus what :meth:`advance` added; ``sleep`` really sleeps."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Wall time (seconds since the epoch) plus the offset."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Jump ``seconds`` ahead of the wall clock (the mock's tasks see the later time)."""
        step = _check_seconds(seconds)
        with self._lock:
            self._offset += step

    def sleep(self, seconds: float) -> None:
        """Sleep the thread."""
        time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        """Sleep the task."""
        await anyio.sleep(seconds)


@dataclass(frozen=True)
class Step:
    """One step of a timeline: from ``at`` seconds after the start, the task has ``status``."""

    at: float
    status: Any
    state: str
    fields: Mapping[str, Any]


def _statuses(spec: Spec) -> dict[str, Any]:
    schema = spec.resolve(spec.pointer("#/components/schemas/TaskStatus"))
    values = list(schema.get("enum", []))
    names = schema.get("x-enum-varnames") or [str(v) for v in values]
    return dict(zip(names, values, strict=True))


def _final_states(spec: Spec) -> set[str]:
    _path, _method, operation, _params = spec.operation("DescribeProcessorTask")
    waiter = (operation.get("x-waiters") or {}).get("wait") or {}
    final = set(waiter.get("success", [])) | set(waiter.get("failure", []))
    return final or {"COMPLETED", "FAILED", "STOPPED"}


def parse_lifecycles(data: Any, spec: Spec, source: str) -> dict[str, list[Step]]:
    """Timelines by task_id from JSON data; LifecycleError names the task, step and problem."""
    if not isinstance(data, Mapping):
        raise LifecycleError(f'{source}: expected an object {{"TASK_ID": [step, ...], ...}}')
    statuses = _statuses(spec)
    by_value = {value: name for name, value in statuses.items()}
    validator = spec.schema_validator(TASK_SCHEMA)
    timelines: dict[str, list[Step]] = {}
    for task_id, raw_steps in data.items():
        if not isinstance(raw_steps, list) or not raw_steps:
            raise LifecycleError(f"{source}: task {task_id!r}: expected a non-empty list of steps")
        at = 0.0
        steps: list[Step] = []
        for index, raw in enumerate(raw_steps):
            label = f"{source}: task {task_id!r}, step {index}"
            if not isinstance(raw, Mapping) or "status" not in raw:
                raise LifecycleError(f'{label}: expected an object with "status" (and "after", seconds)')
            after = raw.get("after", 0)
            if isinstance(after, bool) or not isinstance(after, int | float) or not math.isfinite(after) or after < 0:
                raise LifecycleError(f'{label}: "after" must be a number of seconds of at least 0, got {after!r}')
            status = raw["status"]
            if isinstance(status, str) and status in statuses:
                name, value = status, statuses[status]
            elif not isinstance(status, bool) and status in by_value:
                name, value = by_value[status], status
            else:
                raise LifecycleError(
                    f"{label}: status {status!r} is not a TaskStatus (known: {', '.join(statuses)} or their values)"
                )
            fields = {key: val for key, val in raw.items() if key not in _STEP_KEYS}
            if "task_id" in fields:
                raise LifecycleError(f"{label}: a step cannot change task_id")
            error = best_match(validator.iter_errors({**fields, "task_id": str(task_id), "status": value}))
            if error is not None:
                raise LifecycleError(f"{label} does not follow {TASK_SCHEMA} at {error.json_path}: {error.message}")
            at += float(after)
            steps.append(Step(at, value, name, fields))
        timelines[str(task_id)] = steps
    return timelines


def load_lifecycles(path: Path, spec: Spec) -> dict[str, list[Step]]:
    """Timelines from a JSON file (see the module docstring)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise LifecycleError(f"lifecycle {path}: cannot read it: {exc}") from exc
    except ValueError as exc:
        raise LifecycleError(f"lifecycle {path}: not valid JSON: {exc}") from exc
    return parse_lifecycles(data, spec, f"lifecycle {path}")


@dataclass
class Lifecycle:
    """The timelines of one store, the clock they run on and the moment they started."""

    timelines: dict[tuple[str, str], list[Step]]
    clock: MockClock
    final_states: frozenset[str]
    started: float = field(default=0.0)

    def view(self, base: Mapping[str, Any], steps: list[Step]) -> dict[str, Any]:
        """The task as it is now: ``base`` with the steps reached so far applied."""
        elapsed = self.clock.now() - self.started
        reached = [step for step in steps if step.at <= elapsed]
        task = dict(base)
        if "create_time" not in task:
            task["create_time"] = int(self.started * 1000)
        if not reached:
            return task
        for step in reached:
            task.update(step.fields)
        current = reached[-1]
        task["status"] = current.status
        own = current.fields
        if current.state != FAILED and "error_msg" not in own:
            task.pop("error_msg", None)
        if current.state == FAILED and not task.get("error_msg"):
            task["error_msg"] = DEFAULT_ERROR_MSG
        if current.state != COMPLETED and "result" not in own:
            task.pop("result", None)
        started = next((s.at for s in reached if s.state != NOT_STARTED and s.state not in self.final_states), None)
        ended = next((s.at for s in reached if s.state in self.final_states), None)
        if "duration_seconds" not in own:
            if ended is not None:
                task["duration_seconds"] = int(ended - started) if started is not None and started <= ended else 0
            elif started is not None:
                task["duration_seconds"] = int(elapsed - started)
            else:
                task.pop("duration_seconds", None)
        return task


def new_lifecycle(timelines: Mapping[str, list[Step]], project: str, spec: Spec, clock: MockClock) -> Lifecycle:
    """A lifecycle for ``project``'s tasks that starts now on ``clock``."""
    return Lifecycle(
        {(project, task_id): steps for task_id, steps in timelines.items()},
        clock,
        frozenset(_final_states(spec)),
        clock.now(),
    )
