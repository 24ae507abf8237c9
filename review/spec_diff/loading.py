"""Loading: reading the two specs (a file, or a git ref) and refusing what cannot be compared.

Each problem is a SpecDiffError: one line naming the file, and an exit code of its own.

    3  a spec file is missing or cannot be read (or the git ref does not hold it)
    4  a spec file is empty
    5  a spec file is not valid YAML
    6  a spec file is YAML but not an OpenAPI document this tool can walk: a `$ref` that
       does not resolve, or anything openapi-spec-validator refuses (`responses: "200"`)
    7  a spec's info.version is not semver
    8  the changelog file is missing or cannot be read
    9  the pinned generator cannot build a client from a spec (the generated-API layer)
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from .versions import SEMVER

JSON = Any

EXIT_BREAKING = 1
EXIT_SPEC_MISSING = 3
EXIT_SPEC_EMPTY = 4
EXIT_SPEC_YAML = 5
EXIT_SPEC_SHAPE = 6
EXIT_SPEC_VERSION = 7
EXIT_CHANGELOG_MISSING = 8
EXIT_GENERATOR = 9

DEFAULT_SPEC = "openapi/processor-tasks.yaml"


class SpecDiffError(Exception):
    """A problem with an input file; `str()` is the one-line message, `code` the exit code."""

    def __init__(self, path: str, problem: str, code: int) -> None:
        super().__init__(f"{path}: {problem}")
        self.code = code


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


class Spec:
    """A parsed spec with local `$ref` resolution."""

    def __init__(self, document: Mapping[str, JSON]) -> None:
        self.document = document

    def resolve(self, node: JSON) -> JSON:
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref: str = node["$ref"]
            if ref in seen or not ref.startswith("#/"):
                raise ValueError(f"unresolvable or cyclic $ref {ref!r}")
            seen.add(ref)
            target: JSON = self.document
            for part in ref[2:].split("/"):
                key = _unescape(part)
                if not isinstance(target, Mapping) or key not in target:
                    raise ValueError(f"$ref {ref!r} does not resolve")
                target = target[key]
            node = target
        return node


def json_type(value: JSON) -> str:
    """The JSON Schema type name of a parsed value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _refs(node: JSON, where: str) -> Iterator[tuple[str, JSON]]:
    if isinstance(node, Mapping):
        if "$ref" in node:
            yield where, node["$ref"]
        for key, value in node.items():
            yield from _refs(value, f"{where}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _refs(value, f"{where}/{index}")


def unresolved_references(document: Mapping[str, JSON]) -> Iterator[str]:
    """Each `$ref` that does not point at a node of this document, as `<where>: <problem>`."""
    for where, ref in _refs(document, "#"):
        if not isinstance(ref, str) or not ref.startswith("#"):
            yield f"$ref {ref!r} at {where} is not a reference into this file"
            continue
        target: JSON = document
        for part in ref[2:].split("/") if ref != "#" else []:
            key = _unescape(part)
            if isinstance(target, list) and key.isdigit() and int(key) < len(target):
                target = target[int(key)]
            elif isinstance(target, Mapping) and key in target:
                target = target[key]
            else:
                yield f"$ref {ref!r} at {where} does not resolve"
                break


def check_shape(document: Mapping[str, JSON], label: str) -> None:
    """Refuse a document the walk cannot trust: a dangling `$ref`, or invalid OpenAPI.

    Without this, a `$ref` to a missing schema in a new property passed silently, and
    `responses: "200"` was walked character by character.
    """
    dangling = list(unresolved_references(document))
    if dangling:
        more = f" (and {len(dangling) - 1} more)" if len(dangling) > 1 else ""
        raise SpecDiffError(label, f"not an OpenAPI document this tool can walk: {dangling[0]}{more}", EXIT_SPEC_SHAPE)
    # The validator the generator uses (generator/regenerate.py), imported when first needed.
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    try:
        validate(dict(document))
    except OpenAPIValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        problem = exc.message.splitlines()[0][:200]
        raise SpecDiffError(
            label, f"not an OpenAPI document this tool can walk: invalid at {where}: {problem}", EXIT_SPEC_SHAPE
        ) from exc


def parse_document(text: str, label: str) -> dict[str, JSON]:
    """The parsed spec, or a SpecDiffError naming `label` and what is wrong with it."""
    if not text.strip():
        raise SpecDiffError(label, "the file is empty", EXIT_SPEC_EMPTY)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecDiffError(label, f"not valid YAML{where}: {problem}", EXIT_SPEC_YAML) from exc
    if document is None:
        raise SpecDiffError(label, "the file holds no document (only comments?)", EXIT_SPEC_EMPTY)
    if not isinstance(document, dict):
        raise SpecDiffError(
            label,
            f"not an OpenAPI document: the top level is of type {json_type(document)}, not a mapping",
            EXIT_SPEC_SHAPE,
        )
    info = document.get("info")
    version = info.get("version") if isinstance(info, dict) else None
    if version is None:
        raise SpecDiffError(label, "not an OpenAPI document: info.version is missing", EXIT_SPEC_SHAPE)
    if not isinstance(version, str) or SEMVER.match(version) is None:
        raise SpecDiffError(
            label, f"info.version {version!r} is not semver (MAJOR.MINOR.PATCH, quoted)", EXIT_SPEC_VERSION
        )
    check_shape(document, label)
    return document


def read_file(path: Path, what: str) -> str:
    """A file's text, or a SpecDiffError saying it is missing or unreadable."""
    code = EXIT_CHANGELOG_MISSING if what == "changelog" else EXIT_SPEC_MISSING
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SpecDiffError(str(path), f"{what} file not found", code) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecDiffError(str(path), f"cannot read the {what}: {exc.__class__.__name__}: {exc}", code) from exc


def read_at_ref(ref: str, path: str) -> str:
    """The text of `path` at git `ref`, or a SpecDiffError naming both."""
    shown = subprocess.run(["git", "show", f"{ref}:{path}"], capture_output=True, text=True, check=False)
    if shown.returncode != 0:
        reason = (shown.stderr.strip().splitlines() or ["git show failed"])[-1]
        raise SpecDiffError(f"{ref}:{path}", f"cannot read the spec at that ref ({reason})", EXIT_SPEC_MISSING)
    return shown.stdout


def path_in_repository(path: Path) -> str | None:
    """`path` relative to the top of the git work tree it lies in, or None when it lies outside."""
    shown = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False)
    if shown.returncode != 0:
        return None
    try:
        return path.resolve().relative_to(Path(shown.stdout.strip()).resolve()).as_posix()
    except ValueError:
        return None
