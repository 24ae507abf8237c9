"""Regenerate generated_client/ from the spec: the one script behind `make` and `make check`.

Steps, each failing loudly with the spot it concerns:
1. the spec is valid OpenAPI (openapi-spec-validator) and passes our own rules
   (generator/spec_rules.py);
2. openapi-python-client, with our config and template overrides, renders the package
   (any generator warning fails the run);
3. the handwritten runtime modules in generator/runtime/ are copied in;
4. every file gets a "generated" header, ruff (pinned, isolated from host config) tidies
   and formats the tree, and GENERATED.json records what produced the bytes;
5. the result replaces generated_client/, or with --check is compared with it;
6. before replacing, the public surface of the committed package (modules, functions and
   their parameters, classes, enum members, attributes; read with ast) is compared with the
   new one: a name that would disappear fails the run unless the spec's major version is
   bumped over the committed one and the changelog's section for the new version carries a
   `Breaking: public-name-removed <dotted name>` line for it (or for a parent name).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import difflib
import hashlib
import io
import json
import pprint
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(ROOT))

import spec_data  # noqa: E402
import spec_rules  # noqa: E402

PACKAGE = "processor_tasks_client"
CONFIG = HERE / "config.yaml"
TEMPLATES = HERE / "templates"
RUNTIME = HERE / "runtime"
PINS = ROOT / "requirements" / "generator.txt"
# openapi-python-client always writes errors.py; ours (runtime/errors.py) supersedes it.
RUNTIME_REPLACES = {"errors.py"}
# Tool caches that may appear beside the committed client and are not part of it.
CACHE_DIRS = {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
RUFF_ARGS = ["--isolated", "--line-length", "120", "--target-version", "py311"]


class GenerationError(Exception):
    """A problem that stops generation; the message names the file or spec location."""


def _pinned_versions() -> dict[str, str]:
    pins: dict[str, str] = {}
    for raw in PINS.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip()] = version.strip()
    installed = {name: metadata.version(name) for name in pins}
    wrong = {n: (pins[n], v) for n, v in installed.items() if v != pins[n]}
    if wrong:
        details = ", ".join(
            f"{n} {have} installed but {PINS.relative_to(ROOT)} pins {want}" for n, (want, have) in wrong.items()
        )
        raise GenerationError(f"tool versions differ from the pins: {details}; run `make venv`")
    return installed


def load_spec(path: Path) -> dict[str, Any]:
    """Parse, validate and lint the spec; raise GenerationError naming every problem."""
    try:
        spec = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise GenerationError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(spec, dict):
        raise GenerationError(f"{path}: expected a mapping at the top level")
    # Dangling references crash openapi-spec-validator, so they are reported first.
    dangling = list(spec_rules.check_references(spec))
    if dangling:
        lines = "\n".join(f"  {path}#{finding}" for finding in dangling)
        raise GenerationError(f"{path}: {len(dangling)} broken reference(s):\n{lines}")
    try:
        validate(spec)
    except OpenAPIValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        raise GenerationError(f"{path}: invalid OpenAPI at {where}: {exc.message.splitlines()[0][:300]}") from exc
    findings = spec_rules.check(spec)
    if findings:
        lines = "\n".join(f"  {path}#{finding}" for finding in findings)
        raise GenerationError(f"{path}: {len(findings)} rule violation(s):\n{lines}")
    return spec


# (style, explode) of an array query parameter -> the delimiter that joins its items into one
# value; None repeats the key per item. Other combinations have no agreed encoding.
ARRAY_ENCODINGS: dict[tuple[str, bool], str | None] = {
    ("form", True): None,
    ("form", False): ",",
    ("spaceDelimited", False): " ",
    ("pipeDelimited", False): "|",
}


def query_styles(spec: dict[str, Any], path: str, method: str, operation: Any) -> dict[str, dict[str, Any]]:
    """Each query parameter's style, explode (with OpenAPI's defaults) and array delimiter."""
    styles: dict[str, dict[str, Any]] = {}
    declared = [*spec["paths"][path].get("parameters", []), *operation.get("parameters", [])]
    for raw in declared:
        parameter = spec_rules.resolve(spec, raw)
        if parameter.get("in") != "query":
            continue
        style = parameter.get("style", "form")
        explode = bool(parameter.get("explode", style == "form"))
        if (style, explode) not in ARRAY_ENCODINGS:
            raise GenerationError(
                f"{method.upper()} {path}, query parameter {parameter.get('name')!r}: style {style!r} with "
                f"explode {str(explode).lower()} is not supported by the client generator "
                f"(supported: {', '.join(f'{s}/explode {str(e).lower()}' for s, e in ARRAY_ENCODINGS)})"
            )
        styles[parameter["name"]] = {"style": style, "explode": explode, "delimiter": ARRAY_ENCODINGS[style, explode]}
    return styles


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(file.relative_to(folder).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def _header(kind: str, source: str) -> str:
    if kind == "runtime":
        return (
            f"# Copied from generator/runtime/{source} by generator/regenerate.py. Do not edit here: edit the source.\n"
        )
    return f"# Generated by openapi-python-client via generator/regenerate.py from {source}. Do not edit.\n"


def _generate_in_process(args: list[str]) -> subprocess.CompletedProcess[str]:
    """openapi-python-client's command line, run in this process: the same code as the
    subprocess, without its second of start-up (make diff renders two specs per comparison)."""
    import click
    from openapi_python_client.cli import app

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = app(args, standalone_mode=False, prog_name="openapi-python-client")
        except click.exceptions.ClickException as exc:
            exc.show(err)
            code = exc.exit_code
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except Exception as exc:  # a template or parser crash, reported as the subprocess would
            print(f"{exc.__class__.__name__}: {exc}", file=err)
            code = 1
    return subprocess.CompletedProcess(args, int(code or 0), out.getvalue(), err.getvalue())


def render(
    spec_path: Path, spec: dict[str, Any], versions: dict[str, str], workdir: Path, *, in_process: bool = False
) -> Path:
    """Render the whole client into workdir and return the project folder (`in_process`:
    run openapi-python-client in this process rather than as a subprocess; the same bytes)."""
    out = workdir / "generated_client"
    templates = workdir / "templates"
    shutil.copytree(TEMPLATES, templates)
    # openapi-python-client does not hand operation extensions to the templates, so the
    # x-pagination data is rendered into a template of its own that endpoint_module imports.
    paging = {
        f"{method} {path}": op["x-pagination"]
        for path, method, op in spec_rules.operations(spec)
        if "x-pagination" in op
    }
    (templates / "x_pagination.jinja").write_text("{% set operations = " + json.dumps(paging, sort_keys=True) + " %}\n")
    # x-waiters the same way, state names resolved to wire values (spec_rules.waiters_of).
    waiting = {
        f"{method} {path}": spec_rules.waiters_of(spec, op)
        for path, method, op in spec_rules.operations(spec)
        if "x-waiters" in op
    }
    (templates / "x_waiters.jinja").write_text("{% set operations = " + json.dumps(waiting, sort_keys=True) + " %}\n")
    # Parameter descriptions, enums, ranges and defaults for docstrings, the CLI and the README.
    (templates / "spec_data.jinja").write_text(spec_data.template(spec))
    # Nor does it keep a parameter's style and explode (it repeats the key of every array),
    # so the query encodings go to the templates the same way.
    styles = {
        f"{method} {path}": query_styles(spec, path, method, op) for path, method, op in spec_rules.operations(spec)
    }
    (templates / "query_styles.jinja").write_text("{% set operations = " + json.dumps(styles, sort_keys=True) + " %}\n")
    command = [
        str(Path(sys.executable).with_name("openapi-python-client")),
        "generate",
        "--path", str(spec_path),
        "--config", str(CONFIG),
        "--custom-template-path", str(templates),
        "--meta", "pdm",
        "--fail-on-warning",
        "--output-path", str(out),
    ]  # fmt: skip
    if in_process:
        result = _generate_in_process(command[1:])
    else:
        result = subprocess.run(command, capture_output=True, text=True, cwd=workdir, check=False)
    if result.returncode != 0:
        raise GenerationError(f"openapi-python-client failed on {spec_path}:\n{result.stdout}{result.stderr}")
    package = out / PACKAGE
    spec_label = spec_path.relative_to(ROOT).as_posix() if spec_path.is_relative_to(ROOT) else spec_path.name
    for file in sorted(package.rglob("*.py")):
        file.write_text(_header("generated", spec_label) + file.read_text())
    for source in sorted(RUNTIME.glob("*.py")):
        target = package / source.name
        if target.exists() and source.name not in RUNTIME_REPLACES:
            raise GenerationError(f"generator/runtime/{source.name} would overwrite a generated module")
        target.write_text(_header("runtime", source.name) + source.read_text())
    # The contract's operations as data, for the command line (runtime/cli.py): its options,
    # choices and help are built from this, so they cannot drift from the spec.
    # The regional server template and its variables, for region= and its environment
    # variable (runtime/endpoint.py).
    contract = {
        "operations": spec_data.operations(spec),
        "pagination": paging,
        "waiters": waiting,
        "endpoint": spec_data.endpoint(spec),
    }
    (package / "_contract.py").write_text(
        _header("generated", spec_label)
        + '"""The operations and parameters of the contract, as data (generator/spec_data.py)."""\n\n'
        + "from typing import Any\n\n"
        + f"CONTRACT: dict[str, Any] = {pprint.pformat(contract, sort_dicts=True, width=1_000_000)}\n"
    )
    ruff = [sys.executable, "-m", "ruff"]
    for step in (
        [*ruff, "check", *RUFF_ARGS, "--select", "F401,I", "--fix-only", "--quiet", str(out)],
        [*ruff, "format", *RUFF_ARGS, str(out)],
    ):
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0 or "error" in done.stderr.lower():
            raise GenerationError(f"ruff failed ({' '.join(step[3:5])}):\n{done.stdout}{done.stderr}")
    (out / ".gitignore").unlink(missing_ok=True)
    stamp = {
        "generator": {name: versions[name] for name in sorted(versions)},
        "spec": {"path": spec_label, "sha256": hashlib.sha256(spec_path.read_bytes()).hexdigest()},
        "inputs_sha256": {
            "config": hashlib.sha256(CONFIG.read_bytes()).hexdigest(),
            "templates": _tree_digest(TEMPLATES),
            "runtime": _tree_digest(RUNTIME),
            "regenerate.py": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
            "spec_rules.py": hashlib.sha256((HERE / "spec_rules.py").read_bytes()).hexdigest(),
            "spec_data.py": hashlib.sha256((HERE / "spec_data.py").read_bytes()).hexdigest(),
        },
        "api_version": spec["info"]["version"],
        "operations": sorted(op["operationId"] for _, _, op in spec_rules.operations(spec)),
        "schemas": len(spec.get("components", {}).get("schemas", {})),
    }
    manifest = json.dumps(stamp, indent=2, sort_keys=True) + "\n"
    (out / "GENERATED.json").write_text(manifest)
    # The same manifest inside the package, so a wheel or a copied package folder carries it.
    (package / "GENERATED.json").write_text(manifest)
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not CACHE_DIRS.intersection(p.relative_to(folder).parts)
    }


def compare(fresh: Path, committed: Path) -> list[str]:
    """Human-readable differences between two trees; empty when identical."""
    new, old = _files(fresh), _files(committed) if committed.exists() else {}
    problems: list[str] = []
    for name in sorted(set(new) | set(old)):
        if name not in old:
            problems.append(f"missing from {committed.name}/: {name}")
        elif name not in new:
            problems.append(f"not produced by the generator: {committed.name}/{name}")
        elif new[name] != old[name]:
            diff = difflib.unified_diff(
                old[name].decode("utf-8", "replace").splitlines(),
                new[name].decode("utf-8", "replace").splitlines(),
                f"committed/{name}",
                f"regenerated/{name}",
                lineterm="",
                n=1,
            )
            problems.append("\n".join(list(diff)[:40]))
    return problems


def _public(name: str) -> bool:
    return not name.startswith("_")


def _arguments(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    args = node.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    return [n for n in names if n not in ("self", "cls") and _public(n)]


def _targets(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    return []


def _body_names(body: list[ast.stmt], prefix: str, init: bool) -> Iterator[str]:
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _public(node.name):
            yield f"{prefix}.{node.name}"
            yield from (f"{prefix}.{node.name}({arg})" for arg in _arguments(node))
        elif isinstance(node, ast.ClassDef) and _public(node.name):
            yield f"{prefix}.{node.name}"
            # Class bodies: methods, attrs fields (annotations) and enum members (assignments).
            yield from _body_names(node.body, f"{prefix}.{node.name}", init=False)
        elif isinstance(node, ast.ImportFrom) and init:
            # A package's __init__ re-exports names: `from .models import TaskStatus`.
            yield from (f"{prefix}.{a.asname or a.name}" for a in node.names if _public(a.asname or a.name))
        elif isinstance(node, ast.If):  # `if TYPE_CHECKING:` and version switches
            yield from _body_names(node.body, prefix, init)
        else:
            yield from (f"{prefix}.{t}" for t in _targets(node) if _public(t))


def public_names(project: Path) -> set[str]:
    """Dotted public names of the generated package under `project` (a generated_client/ folder).

    Modules, top-level functions (with their parameters as `f(arg)`), classes, their methods,
    attributes and enum members, module constants and a package's re-exports; anything whose
    name starts with an underscore is private and left out.
    """
    names: set[str] = set()
    package = project / PACKAGE
    for file in sorted(package.rglob("*.py")):
        parts = file.relative_to(project).with_suffix("").parts
        init = parts[-1] == "__init__"
        module_parts = parts[:-1] if init else parts
        if not all(_public(p) for p in module_parts):
            continue
        module = ".".join(module_parts)
        names.add(module)
        names.update(_body_names(ast.parse(file.read_bytes(), str(file)).body, module, init))
    return names


def _committed_version(project: Path) -> str | None:
    try:
        version = json.loads((project / "GENERATED.json").read_text(encoding="utf-8"))["api_version"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return str(version)


def _major_bump_problem(old: str, new: str) -> str | None:
    # The same semver-precedence rule as `make diff`, prereleases included (review.spec_diff).
    from review.spec_diff import breaking_allowed, needed_for_breaking

    try:
        if breaking_allowed(old, new):
            return None
        needs = ".".join(map(str, needed_for_breaking(old)))
    except ValueError as exc:
        return str(exc)
    return f"info.version is {new}; removing public names needs at least {needs} or a prerelease of it (major bump over {old})"


def guard_public_names(fresh: Path, committed: Path, spec_path: Path, new_version: str, changelog: Path) -> None:
    """Refuse to replace `committed` when public names would disappear unacknowledged."""
    if not (committed / PACKAGE).is_dir():
        return
    lost = sorted(public_names(committed) - public_names(fresh))
    if not lost:
        return
    # One parser for `Breaking:` lines, shared with `make diff`; imported only when needed,
    # since it loads openapi-python-client's naming helpers (about a second).
    from review.spec_diff import acknowledged

    old_version = _committed_version(committed) or "unknown"
    acks: set[str] = set()
    if changelog.is_file():
        acks = {
            a.removeprefix("public-name-removed ").strip() for a in acknowledged(changelog.read_text(), new_version)
        }

    # An acknowledged name covers what sits under it: a module covers its functions.
    def covered(name: str) -> bool:
        return any(name == a or name.startswith((a + ".", a + "(")) for a in acks)

    unacknowledged = [n for n in lost if not covered(n)]
    bump = _major_bump_problem(old_version, new_version)
    if not unacknowledged and bump is None:
        return

    # A lost module or class stands for what is inside it: list those under it on one line.
    def inside(name: str, parent: str) -> bool:
        return name.startswith((parent + ".", parent + "("))

    roots = [n for n in lost if not any(inside(n, o) for o in lost if o != n)]
    lines = [
        f"regeneration would remove {len(lost)} public name(s) that vendored code may use "
        f"(committed client {old_version}, spec {new_version}):"
    ]
    for root in roots:
        state = "" if root in unacknowledged else "  (acknowledged)"
        lines.append(f"  - {root}{state}")
        children = [n.removeprefix(root) for n in lost if inside(n, root)]
        if children:
            lines.extend(
                textwrap.wrap(" ".join(children), 110, initial_indent="      with ", subsequent_indent="      ")
            )
    target = new_version
    lines.append("To ship this on purpose:")
    if bump is not None:
        lines.append(f"  1. bump the major version of info.version in {_show(spec_path)}: {bump}")
        target = "<the bumped version>"
    lines.append(f"  {'2' if bump else '1'}. under the '## {target}' heading of {_show(changelog)}, add:")
    lines.extend(f"       Breaking: public-name-removed {n}" for n in roots if n in unacknowledged or not covered(n))
    lines.append(
        "Otherwise keep the old names (operationId, first tag, title, x-enum-varnames, property and parameter names)."
    )
    raise GenerationError("\n".join(lines))


def install(fresh: Path, target: Path) -> None:
    """Replace target with fresh, refusing to delete a folder we did not generate."""
    if target.exists():
        if not (target / "GENERATED.json").exists():
            raise GenerationError(f"{target} exists but has no GENERATED.json; refusing to replace it")
        shutil.rmtree(target)
    shutil.copytree(fresh, target)


def _show(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--spec", type=Path, default=ROOT / "openapi" / "processor-tasks.yaml")
    parser.add_argument("--out", type=Path, default=ROOT / "generated_client")
    parser.add_argument("--check", action="store_true", help="compare with --out instead of replacing it")
    parser.add_argument(
        "--changelog",
        type=Path,
        help="where removed public names are acknowledged (default: CHANGELOG.md beside --spec)",
    )
    args = parser.parse_args(argv)
    args.spec, args.out = args.spec.resolve(), args.out.resolve()
    changelog: Path = (args.changelog or args.spec.parent / "CHANGELOG.md").resolve()
    try:
        versions = _pinned_versions()
        spec = load_spec(args.spec)
        with tempfile.TemporaryDirectory(prefix="regenerate-") as tmp:
            fresh = render(args.spec, spec, versions, Path(tmp))
            if args.check:
                problems = compare(fresh, args.out)
                if problems:
                    print(
                        f"{_show(args.out)} differs from what {_show(args.spec)} generates; run `make` and commit:",
                        file=sys.stderr,
                    )
                    print("\n".join(problems), file=sys.stderr)
                    return 1
                print(f"{_show(args.out)} matches {_show(args.spec)}")
            else:
                guard_public_names(fresh, args.out, args.spec, str(spec["info"]["version"]), changelog)
                install(fresh, args.out)
                print(f"regenerated {_show(args.out)} from {_show(args.spec)}")
    except GenerationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
