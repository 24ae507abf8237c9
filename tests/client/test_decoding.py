"""Typed or error, for every shape, on every decoding path (issue 10 §3, issue 12).

Bodies come from the spec itself: ``from_schema`` below turns its component schemas into
hypothesis strategies (hypothesis-jsonschema 0.23 does not run on the hypothesis that
schemathesis pins, and the spec uses a small subset of JSON Schema):

- schema-valid bodies, which include what an evolved server sends (fields the spec does
  not list, enum values it does not list yet, nulls), decode and give ``to_dict()`` back
  exactly; error answers give their typed exception;
- bodies mutated at one typed position (a value of a JSON type the schema does not allow
  there, a required field removed, a container of the wrong kind) raise
  ``ResponseDecodeError``, never a bare TypeError/KeyError/AttributeError/ValueError, and
  are never accepted;
- every body, valid, evolved or broken, gives the same model or the same error reason on
  the fast path (msgspec mirrors, with its per-task fallbacks) as on the reference path
  (``json.loads`` + ``from_dict``): the differential test.

The oracle for "breaks the schema" is jsonschema with the spec's schema. The client checks
shapes and types, not value ranges (``minimum``, ``maxLength``, ``pattern``; see the
README), so the oracle drops those keywords; bodies are generated with them kept.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import httpx
import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from processor_tasks_client import AuthenticatedClient, _decode, errors, models
from processor_tasks_client._responses import decode
from processor_tasks_client.api.processor_tasks import describe_processor_task, list_processor_tasks
from processor_tasks_client.models import DescribeProcessorTaskResp, ListProcessorTasksResp

from tests.client.stub_server import StubServer
from tests.paths import GENERATED, SPEC

SPEC_DATA = yaml.safe_load(SPEC.read_text())
SCHEMAS: dict[str, Any] = SPEC_DATA["components"]["schemas"]
ANNOTATIONS = {"description", "examples", "example", "format", "title", "deprecated"}
VALUE_CONSTRAINTS = {
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems",
}  # fmt: skip
# Values of every JSON type, and the container look-alikes that dict() and iteration used
# to accept: a mutation puts one where the schema forbids it.
WRONG_VALUES: list[Any] = [None, True, 0, 7, -1.5, "", "x", [], [""], [["task_id", "x"]], {}, {"k": 1}]
SETTINGS = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def _inline(node: Any, drop: frozenset[str]) -> Any:
    """The schema with every $ref replaced by its target and the dropped keywords removed."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(SCHEMAS[node["$ref"].rsplit("/", 1)[1]], drop)
        return {k: _inline(v, drop) for k, v in node.items() if k not in drop and not k.startswith("x-")}
    if isinstance(node, list):
        return [_inline(item, drop) for item in node]
    return node


def _model_schemas() -> dict[str, str]:
    """Model class name for each (operation, status) answer the spec documents with a body."""
    found: dict[str, str] = {}
    for operations in SPEC_DATA["paths"].values():
        for method, operation in operations.items():
            if method not in {"get", "put", "post", "delete", "patch", "head", "options"}:
                continue
            for status, declared in operation["responses"].items():
                answer = declared
                if "$ref" in declared:
                    answer = SPEC_DATA["components"]["responses"][declared["$ref"].rsplit("/", 1)[1]]
                schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
                if "$ref" in schema:
                    found[f"{operation['operationId']} {status}"] = schema["$ref"].rsplit("/", 1)[1]
    return found


ANSWERS = _model_schemas()
MODEL_NAMES = sorted(set(ANSWERS.values()))
FULL = {name: _inline(SCHEMAS[name], frozenset(ANNOTATIONS)) for name in MODEL_NAMES}
SHAPE = {name: _inline(SCHEMAS[name], frozenset(ANNOTATIONS | VALUE_CONSTRAINTS)) for name in MODEL_NAMES}
ORACLE = {name: jsonschema.Draft202012Validator(schema) for name, schema in SHAPE.items()}


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
ANY_JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
# Names a newer contract might add: never one the spec already declares at that level.
NEW_NAMES = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)


def from_schema(schema: Any) -> st.SearchStrategy[Any]:
    """Bodies valid against ``schema`` (the keywords this spec uses), open objects gaining fields."""
    if not isinstance(schema, dict) or not schema:
        return ANY_JSON
    if "anyOf" in schema:
        return st.one_of([from_schema(branch) for branch in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    return st.one_of([_typed(kind, schema) for kind in types])


def _typed(kind: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(min_value=schema.get("minimum"), max_value=schema.get("maximum"))
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "string":
        text = st.from_regex(schema["pattern"], fullmatch=True) if "pattern" in schema else st.text()
        return text.filter(lambda value: len(value) <= schema.get("maxLength", len(value)))
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {})), max_size=4)
    assert kind == "object", kind
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        body = {}
        for key, sub in properties.items():
            if key in required or draw(st.booleans()):
                body[key] = draw(from_schema(sub))
        if schema.get("additionalProperties", True) is not False:
            extra = draw(st.dictionaries(NEW_NAMES.filter(lambda name: name not in properties), ANY_JSON, max_size=2))
            body.update(extra)
        return body

    return build()


def _from_dict(name: str) -> Callable[[Any], Any]:
    return getattr(models, name).from_dict  # type: ignore[no-any-return]


def _outcome(content: bytes, from_dict: Callable[[Any], Any], fast: bool) -> tuple[str, Any]:
    """("ok", model) or ("error", reason) of one path; anything else escapes and fails the test."""
    saved = _decode.FAST
    _decode.FAST = fast
    try:
        return "ok", _decode.decode_model(content, from_dict)
    except _decode.InvalidBody as exc:
        return "error", exc.reason
    finally:
        _decode.FAST = saved


def _lenient_first(on: bool) -> None:
    """Put every plan in the mode it takes after (on) or before (off) meeting an evolved server."""
    for plan in _decode._PLANS.values():
        if plan is not None:
            plan.lenient_first = on
            if not on:
                plan.expected.clear()
                plan.extended = None


def _canonical(value: Any) -> list[tuple[str, ...]]:
    """A form that compares equal only for the same types and values; JSON member order aside.

    Stricter than ==: it tells 1 from 1.0 and True, an enum member from its value, UNSET from
    None, and it equates NaN with NaN. Objects' member order is not part of a result (nor of
    JSON), and the fast path may keep unknown fields in the order it first met them.

    A flat token list built with an explicit stack, not recursion: on Python 3.12+ json.loads
    accepts bodies nested thousands deep, deeper than Python's recursion limit.
    """
    tokens: list[tuple[str, ...]] = []
    stack: list[tuple[bool, Any]] = [(False, value)]  # (is a ready token, item)
    while stack:
        ready, item = stack.pop()
        if ready:
            tokens.append(item)
            continue
        if attrs.has(type(item)):
            fields = {field.name: getattr(item, field.name) for field in attrs.fields(type(item))}
            tokens.append(("attrs", type(item).__name__))
            stack.append((False, fields))
        elif isinstance(item, dict):
            members = sorted(item.items(), key=lambda member: repr(member[0]))
            tokens.append(("dict", str(len(members))))
            for key, member in reversed(members):
                stack.append((False, member))
                stack.append((True, ("key", repr(key))))
        elif isinstance(item, list | tuple):
            tokens.append((type(item).__name__, str(len(item))))
            stack.extend((False, member) for member in reversed(item))
        else:
            tokens.append((type(item).__name__, repr(item)))
    return tokens


def _both(content: bytes, from_dict: Callable[[Any], Any]) -> tuple[str, Any]:
    """Decode on both paths (the fast one in both of its modes), insist they agree, return the outcome."""
    reference = _outcome(content, from_dict, False)
    _lenient_first(False)
    for lenient_first in (False, True):
        _outcome(content, from_dict, True)  # builds the plans on first use
        _lenient_first(lenient_first)
        fast = _outcome(content, from_dict, True)
        assert _canonical(fast) == _canonical(reference), (
            f"fast path (lenient first: {lenient_first}) {fast!r:.300} != reference path {reference!r:.300}"
        )
    _lenient_first(False)
    return reference


def test_every_model_has_a_fast_path() -> None:
    """The mirrors cover the whole contract, so the differential tests compare two real paths."""
    for name in MODEL_NAMES:
        assert _decode._plan_for(getattr(models, name), True) is not None, name
        assert _decode._plan_for(getattr(models, name), False) is not None, name


# --- valid and evolved bodies round-trip -------------------------------------------------


def _evolve(value: Any, extra: Any) -> Any:
    """``value`` with a field the contract does not know added to every object in it."""
    if isinstance(value, dict):
        evolved = {key: _evolve(item, extra) for key, item in value.items()}
        evolved.setdefault("zz_added_later", extra)
        return evolved
    if isinstance(value, list):
        return [_evolve(item, extra) for item in value]
    return value


@pytest.mark.parametrize("name", MODEL_NAMES)
@SETTINGS
@given(data=st.data())
def test_valid_bodies_round_trip_on_both_paths(name: str, data: st.DataObject) -> None:
    body = data.draw(from_schema(FULL[name]), label="body")
    if data.draw(st.booleans(), label="evolve every object"):
        body = _evolve(body, data.draw(st.sampled_from([1, "new", None, {"a": [1]}, [True]]), label="extra"))
    assert ORACLE[name].is_valid(body)
    kind, model = _both(json.dumps(body).encode(), _from_dict(name))
    assert kind == "ok", model
    assert model.to_dict() == body


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(page=from_schema(FULL["ListProcessorTasksResp"]), task=from_schema(FULL["DescribeProcessorTaskResp"]))
def test_list_and_describe_answers_decode_through_the_endpoints(page: Any, task: Any) -> None:
    client = _client({"/v2/p/processor-tasks": (200, page), "/v2/p/processor-tasks/t": (200, task)})
    with client:
        assert list_processor_tasks.sync("p", client=client).to_dict() == page
        assert describe_processor_task.sync("p", "t", client=client).to_dict() == task


ERROR_STATUSES = sorted({int(key.split()[1]) for key, name in ANSWERS.items() if name == "ErrorResponse"})


@pytest.mark.parametrize("status", ERROR_STATUSES)
@settings(max_examples=8, deadline=None)
@given(body=from_schema(FULL["ErrorResponse"]))
def test_error_answers_raise_their_typed_error(status: int, body: Any) -> None:
    client = _client({"/v2/p/processor-tasks": (status, body)})
    with client:
        detailed = list_processor_tasks.sync_detailed("p", client=client)
        assert detailed.parsed is not None and detailed.parsed.to_dict() == body
        with pytest.raises(errors.APIStatusError) as caught:
            list_processor_tasks.sync("p", client=client)
    assert caught.value.status_code == status
    assert (caught.value.error_code, caught.value.error_msg) == (body["error_code"], body["error_msg"])


def _client(answers: dict[str, tuple[int, Any]]) -> AuthenticatedClient:
    def reply(request: httpx.Request) -> httpx.Response:
        status, body = answers[request.url.path]
        return httpx.Response(status, content=json.dumps(body).encode(), headers={"x-request-id": "r1"})

    return AuthenticatedClient(
        base_url="http://127.0.0.1", token="t", retry=None, httpx_args={"transport": httpx.MockTransport(reply)}
    )


# --- bodies broken at one typed position raise ResponseDecodeError -----------------------


def _positions(schema: Any, value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every (path, schema) in ``value`` where the schema says what may stand there."""
    if not isinstance(schema, dict) or not schema:
        return  # `{}`: any JSON value (e.g. `result`); nothing to break
    yield path, schema
    for branch in schema.get("anyOf", []):
        if jsonschema.Draft202012Validator(branch).is_valid(value):
            yield from _positions(branch, value, path)
            break
    if isinstance(value, dict):
        for key, item in value.items():
            if key in schema.get("properties", {}):
                yield from _positions(schema["properties"][key], item, (*path, key))
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            yield from _positions(schema["items"], item, (*path, index))


def _replace(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    broken = copy.deepcopy(body)
    target = broken
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return broken


def _drop(body: Any, path: tuple[Any, ...], key: str) -> Any:
    broken = copy.deepcopy(body)
    target = broken
    for step in path:
        target = target[step]
    del target[key]
    return broken


def _broken_bodies(name: str) -> st.SearchStrategy[Any]:
    @st.composite
    def build(draw: st.DrawFn) -> Any:
        body = draw(from_schema(FULL[name]), label="valid body")
        if draw(st.booleans(), label="evolve first"):
            body = _evolve(body, 1)
        path, schema = draw(st.sampled_from(list(_positions(SHAPE[name], body))), label="position")
        required = (
            [key for key in schema.get("required", []) if key in _at(body, path)] if schema.get("required") else []
        )
        remove: bool = draw(st.booleans(), label="remove a required field")
        if required and remove:
            broken = _drop(body, path, draw(st.sampled_from(required), label="field"))
        else:
            broken = _replace(body, path, draw(st.sampled_from(WRONG_VALUES), label="wrong value"))
        assume(not ORACLE[name].is_valid(broken))
        return broken

    return build()


def _at(body: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        body = body[step]
    return body if isinstance(body, dict) else {}


@pytest.mark.parametrize("name", MODEL_NAMES)
@SETTINGS
@given(data=st.data())
def test_bodies_broken_at_a_typed_position_raise_on_both_paths(name: str, data: st.DataObject) -> None:
    broken = data.draw(_broken_bodies(name), label="broken body")
    content = json.dumps(broken).encode()
    kind, reason = _both(content, _from_dict(name))
    assert kind == "error", f"accepted a body that breaks the schema: {broken!r:.300}"
    # Through the client's own entry point it is a ResponseDecodeError and nothing else.
    for fast in (True, False):
        _decode.FAST, saved = fast, _decode.FAST
        try:
            with pytest.raises(errors.ResponseDecodeError) as caught:
                decode(httpx.Response(200, content=content), _from_dict(name))
        finally:
            _decode.FAST = saved
        assert caught.value.content == content and reason in str(caught.value)


def _full(schema: Any) -> Any:
    """A body with every declared field present and non-null, one item per list."""
    if "anyOf" in schema:
        return _full(next(b for b in schema["anyOf"] if b.get("type") != "null"))
    if "enum" in schema:
        return schema["enum"][0]
    kinds = schema.get("type", [])
    kind = next(k for k in ([kinds] if isinstance(kinds, str) else kinds) if k != "null")
    if kind == "object":
        return {key: _full(sub) for key, sub in schema.get("properties", {}).items() if sub}
    if kind == "array":
        return [_full(schema["items"])]
    return {"string": "s", "integer": 1, "boolean": True, "number": 1.5}[kind]


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_typed_position_of_a_full_body_refuses_every_wrong_value(name: str) -> None:
    """Deterministic complement to the sampled test above: all positions, all wrong values."""
    body = _full(SHAPE[name])
    assert ORACLE[name].is_valid(body)
    checked = 0
    for path, schema in _positions(SHAPE[name], body):
        candidates = [_replace(body, path, wrong) for wrong in WRONG_VALUES]
        candidates += [_drop(body, path, key) for key in schema.get("required", [])]
        for broken in candidates:
            if ORACLE[name].is_valid(broken):
                continue  # e.g. null where null is allowed
            kind, _ = _both(json.dumps(broken).encode(), _from_dict(name))
            assert kind == "error", f"accepted {broken!r:.300}"
            checked += 1
    assert checked >= 10


# --- the shapes issue 10 names, through a real socket ------------------------------------

TASK: dict[str, Any] = {
    "task_id": "t1",
    "name": "n",
    "inputs": [{"type": "OBS", "source": "s"}],
    "template": {"id": "x"},
}


def _page(**task_changes: Any) -> dict[str, Any]:
    return {"count": 1, "tasks": [{**TASK, **task_changes}]}


@pytest.mark.parametrize(
    "body",
    [
        {"count": 3, "tasks": {}},
        {"count": 3, "tasks": ""},
        {"count": 1, "tasks": [["task_id", "x"]]},
        {"count": 1, "tasks": [[["task_id", "x"]]]},
        _page(inputs=[""]),
        _page(inputs=[["type", "OBS"]]),
        _page(inputs={}),
        _page(template={"operator_params": [""]}),
        _page(template={"operator_params": [{"params": ""}]}),
        _page(template={"operator_params": [{"params": [["a", 1]]}]}),
        _page(template={"operator_params": {}}),
        _page(status=True),
        _page(status=2.0),
        _page(create_time="1"),
        _page(data_source=[]),
        {"count": True, "tasks": []},
        {"tasks": []},
    ],
    ids=lambda body: json.dumps(body)[:60],
)
def test_shapes_that_used_to_slip_through_raise(
    body: Any, decoding_path: str, stub: StubServer, client: AuthenticatedClient
) -> None:
    stub.reply_json(body)
    with pytest.raises(errors.ResponseDecodeError) as caught:
        list_processor_tasks.sync("proj", client=client)
    assert caught.value.content == json.dumps(body).encode()


# --- bytes that no dict can express: the paths still agree -------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b'{"count": 1, "tasks": [{"task_id": "a", "name": 1, "name": "x"}]}',
        b'{"count": 1, "tasks": [{"task_id": "a", "name": "x", "name": 1}]}',
        b'{"count": 1, "count": 2, "tasks": []}',
        b'{"count": 1, "tasks": [{"task_id": "a", "result": NaN}]}',
        b'{"count": 1, "tasks": [{"task_id": "a", "result": 1e400}]}',
        b'{"count": 1, "tasks": [{"task_id": "a", "result": 123456789012345678901234567890}]}',
        b'{"count": 123456789012345678901234567890, "tasks": []}',
        b'{"count": 1, "tasks": [{"task_id": "\\ud800"}]}',
        b'{"count": 1, "tasks": [{"task_id": "a", "create_time": -0}]}',
        b'{"count": 1, "tasks": [{"task_id": "a", "result": -0.0}]}',
        '{"count": 1, "tasks": [{"task_id": "\u00e9"}]}'.encode("utf-16"),
        b'\xef\xbb\xbf{"count": 0, "tasks": []}',
        b'{"count": 0, "tasks": []} trailing',
        b'{"count": 0, "tasks": [}',
        b"",
        b"[]",
        b"null",
        b'{"count": 1, "tasks": [{"task_id": "a", "result": ' + b"[" * 5000 + b"]" * 5000 + b"}]}",
        b'{"count": 1, "tasks": [{"task_id": "\xff"}]}',
        # Unknown fields take the lenient mirror, their values msgspec's untyped decoder.
        b'{"count": 1, "tasks": [{"task_id": "a", "zz": NaN}]}',
        b'{"count": 1, "tasks": [{"task_id": "a", "zz": 1e400}]}',
        b'{"count": 1, "tasks": [{"task_id": "a", "zz": 123456789012345678901234567890}]}',
        b'{"count": 1, "tasks": [{"task_id": "a", "zz": {"k": 1, "k": [2]}}]}',
        b'{"count": 1, "tasks": [{"task_id": "a", "zz": 1, "zz": 2}]}',
        b'{"count": 1, "tasks": [{"task_id": "a", "zz": "\\ud83d\\ude00 \\ud800"}]}',
        b'{"count": 1, "tasks": [{"task_id": "a", "zz": 0.1, "yy": -0.0, "xx": 5e-324}]}',
        b'{"count": 1, "tasks": [{"task_id": "a", "zz": ' + b"[" * 3000 + b"]" * 3000 + b"}]}",
        b'{"count": 1, "tasks": [{"task_id": "a", "zz": 1}, {"task_id": "b", "name": 5}]}',
        b'{"count": 1, "tasks": [{"task_id": "a", "zz": 1}, {"task_id": "b", "inputs": [{"zz": 1}]}]}',
    ],
)
def test_raw_bytes_edge_cases_agree(content: bytes) -> None:
    _both(content, ListProcessorTasksResp.from_dict)


@pytest.mark.parametrize(
    "content",
    [
        b'{"count": ' + b"9" * 5000 + b', "tasks": []}',
        b'{"count": 1, "tasks": [{"task_id": "a", "status": ' + b"9" * 200_000 + b"}]}",
        b'{"count": 1, "tasks": [{"task_id": "a", "zz": -' + b"9" * 50_000 + b"}]}",
        b'{"count": 1, "tasks": [{"task_id": "a", "zz": 0.' + b"9" * 200_000 + b"}]}",
        b'{"count": 1.' + b"9" * 5000 + b', "tasks": []}',
        b'{"count": -Infinity, "tasks": []}',
        b'{"count": 1, "tasks": [{"task_id": "a", "status": 1e400}]}',
        b'{"count": 1, "tasks": [{"task_id": "a", "status": NaN}]}',
        b'{"count": 1, "tasks": [{"task_id": "a", "result": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}]}",
        b'{"count": 1, "tasks": [{"task_id": "a", "zz": ' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"}]}",
        b"[" * 100_000,
        b'{"count": 1, "tasks": [], "tasks": {}}',
        b'{"count": 1, "tasks": {}, "tasks": []}',
        b'{"count": 1, "tasks": [{"task_id": "a", "name": "\\udc00", "\\ud800": 1}]}',
        b'{"count": 1, "tasks": [{"task_id": "a", "name": "\xed\xa0\x80"}]}',
        b'{"count": 1, "tasks": [{"task_id": "a", "name": "\xc0\xaf"}]}',
        b'{"count": 1, "tasks": [{"task_id": "a", "name": "a\x00b"}]}',
        b'{"count": 1, "tasks": [{"task_id": "a", "name": "a\\u0000b", "\\u0000": 1}]}',
        b'{"count": 0, "tasks": []}\x00',
        '{"count": 0, "tasks": []}'.encode("utf-32"),
        b'{"count": 1, "tasks": [{"task_id": "a", "name": "' + b"\\u00e9" * 1_000_000 + b'"}]}',
        b'{"count": 1, "tasks": [{"task_id": "a", "' + b"k" * 1_000_000 + b'": 1}]}',
    ],
    ids=lambda content: f"{content[:40]!r}..{len(content)}",
)
def test_hostile_bodies_agree(content: bytes) -> None:
    """Huge numbers, non-finite ones, duplicate keys, 100,000 levels, broken text, huge strings."""
    _both(content, ListProcessorTasksResp.from_dict)


def test_untyped_values_nested_near_the_recursion_limit_agree() -> None:
    # json.loads counts nesting from the answer's top, msgspec from the untyped value: a
    # few levels below the interpreter's limit only the reference path refused, whatever
    # the caller's stack. Every depth up to past the limit, from this test's stack.
    for depth in range(sys.getrecursionlimit() - 120, sys.getrecursionlimit() + 5):
        for field in (b"result", b"zz"):
            _both(
                b'{"count": 1, "tasks": [{"task_id": "a", "' + field + b'": ' + b"[" * depth + b"]" * depth + b"}]}",
                ListProcessorTasksResp.from_dict,
            )


# --- the fast path falls back per task, not per page -------------------------------------


def test_one_task_the_mirrors_refuse_costs_that_task_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    tasks = [{**TASK, "task_id": f"t{i}"} for i in range(10)]
    tasks[3] = {**tasks[3], "inputs": [{"type": "OBS", "new_nested_field": 1}]}  # nested: reference path
    tasks[5] = {**tasks[5], "new_top_field": {"x": 1}, "status": 9}  # top level: lenient mirror
    content = json.dumps({"count": 10, "tasks": tasks}).encode()
    calls: list[str] = []
    original = DescribeProcessorTaskResp.from_dict.__func__  # type: ignore[attr-defined]

    def counting(cls: type[DescribeProcessorTaskResp], src: Any) -> DescribeProcessorTaskResp:
        calls.append(src["task_id"])
        return original(cls, src)  # type: ignore[no-any-return]

    monkeypatch.setattr(DescribeProcessorTaskResp, "from_dict", classmethod(counting))
    page = _outcome(content, ListProcessorTasksResp.from_dict, True)[1]
    assert calls == ["t3"]
    assert page.tasks[5]["new_top_field"] == {"x": 1} and page.tasks[5].status == 9
    assert page.tasks[3].inputs[0]["new_nested_field"] == 1
    assert page.to_dict() == json.loads(content)
    monkeypatch.undo()
    assert _outcome(content, ListProcessorTasksResp.from_dict, False)[1] == page


def test_the_reference_path_serves_alone_without_msgspec() -> None:
    """A vendored copy without the `fast` extra imports, decodes and keeps every promise."""
    script = textwrap.dedent(
        """
        import json, sys
        sys.modules["msgspec"] = None  # makes `import msgspec` fail as if it were not installed
        from processor_tasks_client import _decode
        from processor_tasks_client.models import ListProcessorTasksResp
        assert _decode.FAST is False
        body = {"count": 1, "tasks": [{"task_id": "a", "status": 9, "zz_new": 1}]}
        page = _decode.decode_model(json.dumps(body).encode(), ListProcessorTasksResp.from_dict)
        assert page.to_dict() == body, page
        try:
            _decode.decode_model(b'{"count": 1, "tasks": {}}', ListProcessorTasksResp.from_dict)
        except _decode.InvalidBody as exc:
            print("refused:", exc.reason)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=GENERATED, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "refused: TypeError: tasks: expected a list, got dict"


def test_unknown_fields_a_server_keeps_sending_are_expected_by_name() -> None:
    """After the first evolved task, a strict mirror that declares the new fields decodes the rest."""
    _lenient_first(False)
    tasks: list[dict[str, Any]] = [
        {"task_id": "t0", "zz_a": 1, "zz_b": [2]},
        {"task_id": "t1", "zz_b": None, "zz_a": {"x": 1}},
        {"task_id": "t2", "zz_a": 3},
        {"task_id": "t3", "zz_c": "new again"},
        {"task_id": "t4"},
        {"task_id": "t5", "zz_a": 5, "zz_b": 6, "name": 7},
    ]
    for end in (len(tasks) - 1, len(tasks)):
        content = json.dumps({"count": end, "tasks": tasks[:end]}).encode()
        _both(content, ListProcessorTasksResp.from_dict)
    content = json.dumps({"count": 5, "tasks": tasks[:5]}).encode()
    page = _outcome(content, ListProcessorTasksResp.from_dict, True)[1]
    assert page.to_dict() == json.loads(content)
    plan = _decode._plan_for(DescribeProcessorTaskResp, False)
    assert plan is not None
    assert plan.extended is not None and [name for _, name in plan.extended[1]] == ["zz_c"]
    assert ("zz_a", "zz_b") in plan.expected
    # The last task had no unknown field: back to the strict mirrors, the names kept.
    assert not plan.lenient_first
    evolved_again = json.dumps({"count": 1, "tasks": [tasks[0]]}).encode()
    assert _outcome(evolved_again, ListProcessorTasksResp.from_dict, True)[1].tasks[0]["zz_b"] == [2]
    assert plan.lenient_first and plan.extended is plan.expected[("zz_a", "zz_b")]
    _lenient_first(False)
