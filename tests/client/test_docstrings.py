"""Every generated function documents each of its parameters as the spec does.

The expectation is computed here from the spec (description, enum values, range, default),
independently of generator/spec_data.py, and compared with the docstring's ``Args:`` entry of
sync, sync_detailed, asyncio, asyncio_detailed, the paging helpers and the facade methods.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from processor_tasks_client.api.processor_tasks import ProcessorTasks, describe_processor_task, list_processor_tasks

from tests.paths import SPEC

MODULE_FUNCTIONS = ("sync", "sync_detailed", "asyncio", "asyncio_detailed")
PAGING_FUNCTIONS = ("iter_items", "iter_pages", "aiter_items", "aiter_pages")
NOT_DOCUMENTED = {"self", "client"}


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    if "allOf" in node:
        merged = {k: v for k, v in node.items() if k != "allOf"}
        for inner in node["allOf"]:
            merged = {**_resolve(spec, inner), **merged}
        return merged
    return node


SPEC_DOCUMENT: dict[str, Any] = yaml.safe_load(SPEC.read_text())


def _spec_parameters(operation_id: str) -> dict[str, dict[str, Any]]:
    spec = SPEC_DOCUMENT
    for item in spec["paths"].values():
        op = item.get("get", {})
        if op.get("operationId") == operation_id:
            raw = [*item.get("parameters", []), *op.get("parameters", [])]
            parameters = [_resolve(spec, p) for p in raw]
            return {p["name"]: {**p, "schema": _resolve(spec, p["schema"])} for p in parameters}
    raise AssertionError(f"no operation {operation_id}")


def _args_section(doc: str) -> dict[str, str]:
    """name -> flattened text of each entry in the docstring's Args section."""
    lines = inspect.cleandoc(doc).splitlines()
    start = lines.index("Args:")
    entries: dict[str, str] = {}
    current = None
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        match = re.match(r"^    (\w+) \(([^)]*)\): ?(.*)$", line)
        if match and not line.startswith("     "):
            current = match.group(1)
            entries[current] = match.group(3)
        else:
            assert current is not None and line.startswith("        "), f"stray line in Args: {line!r}"
            entries[current] += " " + line.strip()
    return {name: _flat(text) for name, text in entries.items()}


def _expected_fragments(spec: dict[str, Any], parameter: dict[str, Any]) -> list[str]:
    schema = parameter["schema"]
    values = _resolve(spec, schema["items"]) if schema.get("type") == "array" else schema
    fragments = [_flat(parameter.get("description", ""))]
    fragments += [f"`{value}`" for value in values.get("enum", [])]
    if "minimum" in schema and "maximum" in schema:
        fragments.append(f"From {schema['minimum']} to {schema['maximum']}.")
    elif "minimum" in schema:
        fragments.append(f"At least {schema['minimum']}.")
    if "default" in schema:
        default = schema["default"]
        fragments.append(f"Default: `{str(default).lower() if isinstance(default, bool) else default}`.")
    return fragments


def _functions() -> list[tuple[str, str, Callable[..., Any]]]:
    found = []
    for module, operation_id in (
        (list_processor_tasks, "ListProcessorTasks"),
        (describe_processor_task, "DescribeProcessorTask"),
    ):
        for name in MODULE_FUNCTIONS + PAGING_FUNCTIONS:
            if hasattr(module, name):
                found.append((operation_id, f"{module.__name__.rsplit('.', 1)[1]}.{name}", getattr(module, name)))
    for name, member in inspect.getmembers(ProcessorTasks, inspect.isfunction):
        for module_name, operation_id in (
            ("list_processor_tasks", "ListProcessorTasks"),
            ("describe_processor_task", "DescribeProcessorTask"),
        ):
            if module_name in name:
                found.append((operation_id, f"ProcessorTasks.{name}", member))
    return found


FUNCTIONS = _functions()


def test_every_generated_function_is_covered() -> None:
    names = {label for _, label, _ in FUNCTIONS}
    assert len([n for n in names if n.startswith("list_processor_tasks.")]) == 8
    assert len([n for n in names if n.startswith("describe_processor_task.")]) == 4
    assert len([n for n in names if n.startswith("ProcessorTasks.")]) == 8


@pytest.mark.parametrize(("operation_id", "label", "function"), FUNCTIONS, ids=[label for _, label, _ in FUNCTIONS])
def test_docstring_documents_every_parameter_as_the_spec_does(
    operation_id: str, label: str, function: Callable[..., Any]
) -> None:
    spec_parameters = _spec_parameters(operation_id)
    documented = _args_section(function.__doc__ or "")
    taken = [p for p in inspect.signature(function).parameters if p not in NOT_DOCUMENTED]
    assert sorted(documented) == sorted(taken), f"{label}: Args entries differ from the signature"
    for name in taken:
        text = documented[name]
        if name not in spec_parameters:  # the paging helpers' own `strict` and `start_page`
            assert (name, True) in {("strict", "PagingError" in text), ("start_page", "error.page" in text)}, (
                label,
                name,
                text,
            )
            continue
        for fragment in _expected_fragments(SPEC_DOCUMENT, spec_parameters[name]):
            assert fragment in text, f"{label}: {name} lacks {fragment!r}: {text!r}"
    for line in inspect.cleandoc(function.__doc__ or "").splitlines():
        assert len(line) <= 100, f"{label}: docstring line too long: {line!r}"
