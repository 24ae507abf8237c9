"""Generated API: regenerate the client from both specs and compare the two packages with griffe.

What a spec change does to vendors' Python (a module, function, class, attribute, enum
member or parameter that goes or changes) is read from the code the pinned generator
emits, not predicted: each spec is rendered by generator/regenerate.py's `render` (the
same templates, runtime modules and pinned openapi-python-client as `make`, without
`make`'s own spec rules, which judge the spec and not the names) into a temporary folder,
and griffe (`griffe.find_breaking_changes`) compares the two public APIs.

A removed object or parameter is reported as `public-name-removed <dotted name>`, the id
`make`'s own guard prints (generator/regenerate.py), so one changelog line acknowledges
both. griffe 2.4 does not yet compare annotations (its `_attribute_incompatibilities` and
`_returns_are_compatible` are marked TODO), which would miss a field whose type changes
(`result: Any` -> a generated class, `task_id: str` -> `UUID`, a field typed as another
class). So the annotations of attributes and parameters are compared here, on griffe's
model of both packages: any change to an attribute's type breaks code that reads or builds
it; a parameter's breaks unless every type the old annotation names is still accepted
(the same name, `Any`, or a base class of it: `TemplateId`, a `str` enum, -> `str`).

Generated packages are cached by the spec's hash for the life of the process, so a test
session renders each distinct spec once.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import logging
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import yaml

from .loading import EXIT_GENERATOR, SpecDiffError
from .rules import Report

if TYPE_CHECKING:
    import griffe

JSON = Any
ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "processor_tasks_client"
# griffe's kinds -> our rule ids. ATTRIBUTE_CHANGED_VALUE is left out on purpose: a module
# constant's value (`__version__`) changes with every release and breaks nobody.
GRIFFE_RULES = {
    "OBJECT_REMOVED": "public-name-removed",
    "PARAMETER_REMOVED": "public-name-removed",
    "OBJECT_CHANGED_KIND": "api-object-kind-changed",
    "PARAMETER_MOVED": "api-parameter-moved",
    "PARAMETER_CHANGED_KIND": "api-parameter-kind-changed",
    "PARAMETER_CHANGED_DEFAULT": "api-parameter-default-changed",
    "PARAMETER_CHANGED_REQUIRED": "api-parameter-now-required",
    "PARAMETER_ADDED_REQUIRED": "api-required-parameter-added",
    "RETURN_CHANGED_TYPE": "api-return-type-changed",
    "CLASS_REMOVED_BASE": "api-base-class-removed",
    "ATTRIBUTE_CHANGED_TYPE": "api-attribute-type-changed",
}
# Types a parameter accepts beyond their own name, as Python's numeric tower has it.
IMPLICIT_WIDENINGS = {"int": {"float", "complex"}, "float": {"complex"}, "bool": {"int", "float"}}
# Base classes whose instances are instances of a builtin: a StrEnum member is a str.
BUILTIN_OF_BASE = {"StrEnum": "str", "IntEnum": "int", "IntFlag": "int", "str": "str", "int": "int"}

_built: dict[str, Path] = {}
_scratch_dirs: list[Path] = []


def _regenerate() -> ModuleType:
    """generator/regenerate.py, loaded once (it is a script, not a package module)."""
    module = sys.modules.get("regenerate")
    if module is None:
        spec = importlib.util.spec_from_file_location("regenerate", ROOT / "generator" / "regenerate.py")
        if spec is None or spec.loader is None:  # pragma: no cover - the file is part of the repository
            raise RuntimeError("generator/regenerate.py cannot be loaded")
        module = importlib.util.module_from_spec(spec)
        sys.modules["regenerate"] = module
        spec.loader.exec_module(module)
    return module


def _scratch() -> Path:
    """One temporary folder per process for the generated packages, removed at exit."""
    if not _scratch_dirs:
        _scratch_dirs.append(Path(tempfile.mkdtemp(prefix="spec-diff-")))
        atexit.register(shutil.rmtree, _scratch_dirs[0], True)
    return _scratch_dirs[0]


def build(document: JSON, label: str) -> Path:
    """The generated_client/ folder the pinned generator makes of `document` (cached by its hash)."""
    text = yaml.safe_dump(document, sort_keys=True, allow_unicode=True)
    key = hashlib.sha256(text.encode()).hexdigest()
    if key in _built:
        return _built[key]
    regenerate = _regenerate()
    workdir = _scratch() / key[:16]
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    spec_path = workdir / "spec.yaml"
    spec_path.write_text(text, encoding="utf-8")
    try:
        project: Path = regenerate.render(spec_path, document, regenerate._pinned_versions(), workdir, in_process=True)
    except Exception as exc:  # GenerationError, or the renderer's own checks failing on this spec
        lines = [line for line in str(exc).splitlines() if line.strip()] or [""]
        last = (
            f"{exc.__class__.__name__}: {lines[-1].strip()}"
            if not isinstance(exc, regenerate.GenerationError)
            else lines[-1].strip()
        )
        raise SpecDiffError(
            label,
            f"the pinned generator cannot build a client from it ({last[:200]}); "
            "`--wire-only` compares without the generated-API layer",
            EXIT_GENERATOR,
        ) from exc
    _built[key] = project
    return project


def load(project: Path) -> griffe.Module:
    """griffe's model of the generated package under `project`."""
    import griffe

    logging.getLogger("griffe").setLevel(logging.ERROR)  # unresolved external imports are expected
    module = griffe.load(PACKAGE, search_paths=[str(project)], resolve_aliases=True, resolve_external=False)
    assert isinstance(module, griffe.Module)
    return module


def _union(annotation: object) -> frozenset[str]:
    """The members of a top-level `A | B | None` annotation, as text (order does not matter)."""
    text, parts, depth, start = str(annotation), [], 0, 0
    for index, char in enumerate(text):
        depth += char in "[(" or -(char in "])")
        if char == "|" and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return frozenset(p.strip() for p in parts)


def _objects(obj: griffe.Object) -> Iterator[griffe.Object]:
    """Every public object defined (not imported) under `obj`, `obj` included."""
    yield obj
    for member in obj.members.values():
        if member.is_alias or not member.is_public:
            continue
        assert not member.is_alias
        yield from _objects(member)  # type: ignore[arg-type]


def _accepts(old_function: griffe.Function, old_type: str, new_types: frozenset[str]) -> bool:
    """Whether a parameter annotated `new_types` still accepts what `old_type` named."""
    if old_type in new_types or "Any" in new_types or new_types & IMPLICIT_WIDENINGS.get(old_type, set()):
        return True
    try:
        path = old_function.resolve(old_type)
        target = old_function.modules_collection.get_member(path)
    except Exception:  # a name griffe cannot follow: judge it by its text alone
        return False
    bases = {str(base).rsplit(".", 1)[-1] for base in getattr(target, "bases", [])}
    return bool((bases | {BUILTIN_OF_BASE[b] for b in bases if b in BUILTIN_OF_BASE}) & new_types)


def _annotation_changes(old_root: griffe.Module, new_root: griffe.Module, report: Report) -> None:
    import griffe

    for old in _objects(old_root):
        try:
            new = new_root.modules_collection.get_member(old.path)
        except KeyError:
            continue  # a removed object: griffe reports it
        if isinstance(old, griffe.Attribute) and isinstance(new, griffe.Attribute):
            typed = old.annotation is not None and new.annotation is not None
            if typed and _union(old.annotation) != _union(new.annotation):
                report.add("api-attribute-type-changed", old.path, f"{old.annotation} -> {new.annotation}")
        elif isinstance(old, griffe.Function) and isinstance(new, griffe.Function):
            _parameter_changes(old, new, report)


def _parameter_changes(old: griffe.Function, new: griffe.Function, report: Report) -> None:
    new_params = {p.name: p for p in new.parameters}
    for param in old.parameters:
        other = new_params.get(param.name)
        if param.annotation is None or other is None or other.annotation is None or param.name.startswith("_"):
            continue
        before, after = _union(param.annotation), _union(other.annotation)
        if before == after:
            continue
        lost = sorted(t for t in before if not _accepts(old, t, after))
        report.add(
            "api-parameter-type-changed",
            f"{old.path}({param.name})",
            f"{param.annotation} -> {other.annotation}"
            + (f"; {', '.join(lost)} no longer accepted" if lost else "; every old argument is still accepted"),
            breaking=bool(lost),
        )


def _show(value: object) -> str:
    """A breakage's old or new value as text: a parameter by its kind and default, else as written."""
    if hasattr(value, "kind") and hasattr(value, "default") and hasattr(value, "name"):
        default = getattr(value, "default", None)
        return f"{getattr(value.kind, 'value', value.kind)}" + (f" = {default}" if default is not None else "")
    return str(getattr(value, "value", value))


def _location(breakage: griffe.Breakage) -> str:
    kind = breakage.kind.name
    if kind.startswith("PARAMETER_"):
        param = breakage.old_value if breakage.old_value is not None else breakage.new_value
        return f"{breakage.obj.path}({getattr(param, 'name', param)})"
    return str(breakage.obj.path)


def compare(old_project: Path, new_project: Path, report: Report) -> None:
    """Report every breaking difference between two generated packages' public APIs."""
    import griffe

    old_root, new_root = load(old_project), load(new_project)
    found: list[tuple[str, str, str]] = []
    for breakage in griffe.find_breaking_changes(old_root, new_root):
        rule = GRIFFE_RULES.get(breakage.kind.name)
        if rule is None:
            continue
        detail = str(breakage.kind.value).lower()
        if breakage.kind.name not in ("OBJECT_REMOVED", "PARAMETER_REMOVED", "PARAMETER_ADDED_REQUIRED"):
            detail += f": {_show(breakage.old_value)} -> {_show(breakage.new_value)}"
        found.append((rule, _location(breakage), detail))
    for rule, location, detail in sorted(set(found), key=lambda f: (f[1], f[0])):
        report.add(rule, location, f"griffe: {detail}")
    _annotation_changes(old_root, new_root, report)


def compare_documents(old_document: JSON, new_document: JSON, report: Report, labels: tuple[str, str]) -> None:
    """Regenerate the client from both specs and report how its public API changed."""
    new_project = build(new_document, labels[1])  # `make` would refuse this spec too: an error
    try:
        old_project = build(old_document, labels[0])
    except SpecDiffError as exc:
        # Today's generator may not take an older spec (templates that rely on something the
        # spec gained since). The base's names are then unknown; `make`'s own guard still
        # compares the committed client's names with the new ones.
        report.add("generated-api-not-compared", labels[0], str(exc).split(": ", 1)[-1].split("; `--wire-only`")[0])
        return
    compare(old_project, new_project, report)
