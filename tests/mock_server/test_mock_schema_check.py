"""The fast schema check agrees with jsonschema, record for record, including on broken records."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from processor_tasks_mock.schema_check import UnsupportedSchema, compile_check
from processor_tasks_mock.settings import DEFAULT_SPEC_PATH
from processor_tasks_mock.spec import Spec, load_spec

Task = dict[str, Any]

# Values chosen to sit on the schema's edges: wrong types, bool-as-int, int32/int64 bounds,
# integral floats, enum members and near misses, the version_name pattern and length.
ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    7,
    -1,
    2**31 - 1,
    2**31,
    -(2**31) - 1,
    2**63,
    2**63 - 1,
    1.0,
    2.5,
    float(2**40),
    "",
    "x",
    "OBS",
    "obs",
    "sys_data_analyse",
    "has space",
    "V001",
    "a" * 32,
    "a" * 33,
    "V-1_ok",
    "ünï",
    [],
    [1],
    [{}],
    [{"type": 5}],
    [{"type": "OBS", "source": None}],
    {},
    {"type": 5},
    {"id": 3},
    {"version_name": "bad name"},
    {"operator_params": [{"params": 3}]},
    {"operator_params": [{"params": {"k": [1, None]}}]},
]


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(DEFAULT_SPEC_PATH)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _mutants(task: Task, rng: random.Random, count: int) -> list[Any]:
    """``count`` copies of ``task``, each with one value replaced, one key dropped, or one added."""
    paths = [path for path in _paths(task) if path]
    result: list[Any] = []
    for _ in range(count):
        clone = copy.deepcopy(task)
        path = rng.choice(paths)
        parent: Any = clone
        for part in path[:-1]:
            parent = parent[part]
        move = rng.random()
        if move < 0.75:
            parent[path[-1]] = copy.deepcopy(rng.choice(ODD_VALUES))
        elif move < 0.9 and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[rng.choice(["extra", "status", "type", "id", "params"])] = copy.deepcopy(rng.choice(ODD_VALUES))
        result.append(clone)
    return result


def test_the_task_schema_agrees_with_jsonschema_on_good_and_broken_records(spec: Spec, seeded: list[Task]) -> None:
    validator = spec.schema_validator("DescribeProcessorTaskResp")
    check = compile_check(spec, {"$ref": "#/components/schemas/DescribeProcessorTaskResp"}, validator.format_checker)
    rng = random.Random(20240101)
    records: list[Any] = [*seeded, *ODD_VALUES, {"task_id": "a"}, {"task_id": 5}, {}]
    for task in seeded[:120]:
        records += _mutants(task, rng, 25)
    verdicts = {True: 0, False: 0}
    for record in records:
        expected = validator.is_valid(record)
        assert check(record) is expected, record
        verdicts[expected] += 1
    # Both answers are common, so agreement on both sides was really tested.
    assert min(verdicts.values()) > 300, verdicts


@pytest.mark.parametrize("name", sorted(load_spec(DEFAULT_SPEC_PATH).document["components"]["schemas"]))
def test_every_spec_schema_agrees_with_jsonschema_on_odd_values(spec: Spec, name: str) -> None:
    validator = spec.schema_validator(name)
    check = compile_check(spec, {"$ref": f"#/components/schemas/{name}"}, validator.format_checker)
    for value in ODD_VALUES:
        assert check(value) is validator.is_valid(value), value


@pytest.mark.parametrize(
    ("schema", "good", "bad"),
    [
        ({"type": "integer", "minimum": 2, "maximum": 4}, [2, 4.0], [1, 5, True, "x"]),
        ({"exclusiveMinimum": 2, "exclusiveMaximum": 4}, [3, "x"], [2, 4]),
        ({"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2}, [["a"]], [[], ["a", 1]]),
        ({"minLength": 2, "pattern": "b"}, ["ab", 3], ["b", "aa"]),
        ({"enum": [1, "a", None]}, [1, 1.0, "a", None], [True, "b"]),
        ({"const": False}, [False], [0, None]),
        ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, [-1, 0.5], [1]),
        ({"not": {"type": "null"}}, [0], [None]),
        ({"properties": {"a": {"type": "string"}}, "additionalProperties": False}, [{"a": "x"}, 3], [{"b": 1}]),
        ({"additionalProperties": {"type": "integer"}, "required": ["a"]}, [{"a": 1}], [{"a": "x"}, {}]),
        ({"allOf": [{"type": "integer"}, {"format": "int32"}]}, [2**31 - 1], [2**31]),
        (True, [None], []),
        ({"anyOf": [False, {"type": "boolean"}]}, [True], [None]),
    ],
)
def test_each_mirrored_keyword_agrees_with_jsonschema(spec: Spec, schema: Any, good: list[Any], bad: list[Any]) -> None:
    validator = spec.validator(schema)
    check = compile_check(spec, schema, validator.format_checker)
    for value in good:
        assert validator.is_valid(value) and check(value), value
    for value in bad:
        assert not validator.is_valid(value) and not check(value), value


@pytest.mark.parametrize(
    "schema",
    [
        {"patternProperties": {"a": {}}},
        {"prefixItems": [{}], "items": False},
        {"uniqueItems": True},
        {"$id": "urn:x", "type": "string"},
        {"$ref": "https://example.com/schema"},
        {"properties": {"a": {"if": {"type": "string"}}}},
    ],
)
def test_keywords_it_does_not_mirror_are_refused(spec: Spec, schema: Any) -> None:
    with pytest.raises(UnsupportedSchema):
        compile_check(spec, schema, None)
