"""Loading a user's JSON fixture in place of the generated tasks.

Accepted shapes: a JSON list of task objects, or an object ``{"tasks": [...]}`` with an
optional ``"project"`` (the project that owns the tasks; default ``Settings.project``).
Each task must satisfy the spec's ``DescribeProcessorTaskResp`` schema, task ids must be
unique, and every string must be encodable as UTF-8 (no NaN, no lone surrogates). Anything else stops the server at start with a FixtureError naming the record
(index and task_id) and the JSON path of the problem.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema.exceptions import best_match

from processor_tasks_mock.schema_check import UnsupportedSchema, compile_check
from processor_tasks_mock.spec import Spec

TASK_SCHEMA = "DescribeProcessorTaskResp"


class FixtureError(ValueError):
    """The fixture file cannot be used."""


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; accepting them would make every answer that carries
    # the task unserialisable.
    raise FixtureError(f"{name} is not a JSON value")


def _encodable(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def load_fixture(path: Path, spec: Spec, default_project: str) -> tuple[str, list[dict[str, Any]]]:
    """(project, tasks) from the fixture at ``path``, validated against the spec."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FixtureError(f"fixture {path}: cannot read it: {exc}") from exc
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except FixtureError as exc:
        raise FixtureError(f"fixture {path}: {exc}") from None
    except ValueError as exc:
        raise FixtureError(f"fixture {path}: not valid JSON: {exc}") from exc
    project = default_project
    if isinstance(data, dict):
        if "tasks" not in data:
            raise FixtureError(f'fixture {path}: an object fixture needs a "tasks" list')
        if "project" in data:
            if not isinstance(data["project"], str) or not data["project"]:
                raise FixtureError(f'fixture {path}: "project" must be a non-empty string')
            project = data["project"]
        data = data["tasks"]
    if not isinstance(data, list):
        raise FixtureError(f'fixture {path}: expected a list of tasks or {{"tasks": [...]}}')
    check_tasks(data, spec, f"fixture {path}")
    return project, data


def check_tasks(data: list[Any], spec: Spec, source: str) -> None:
    """Raise FixtureError, naming ``source``, the record and the JSON path, unless every task follows the spec."""
    validator = spec.schema_validator(TASK_SCHEMA)
    try:
        conforms = compile_check(spec, {"$ref": f"#/components/schemas/{TASK_SCHEMA}"}, validator.format_checker)
    except UnsupportedSchema:
        conforms = validator.is_valid
    # One encoding of the whole list is far cheaper than one per record; records are only
    # encoded one by one when it fails, to name the first bad one.
    all_encodable = _encodable(data)
    seen: dict[str, int] = {}
    for index, task in enumerate(data):
        task_id = task.get("task_id") if isinstance(task, dict) else None
        label = f"{source}: record {index} (task_id {task_id!r})"
        # The fast check only says yes or no; jsonschema, still the judge, explains a no.
        if not conforms(task):
            error = best_match(validator.iter_errors(task))
            if error is not None:
                raise FixtureError(f"{label} does not follow {TASK_SCHEMA} at {error.json_path}: {error.message}")
        if not isinstance(task_id, str):  # only if the spec stops requiring a string task_id
            raise FixtureError(f"{label} has no string task_id")
        if not all_encodable and not _encodable(task):
            # JSON allows escaped lone surrogates ("\ud800"), which no UTF-8 answer can carry.
            raise FixtureError(f"{label} holds a string that is not valid Unicode (a lone surrogate)")
        if task_id in seen:
            raise FixtureError(f"{label} repeats the task_id of record {seen[task_id]}")
        seen[task_id] = index
