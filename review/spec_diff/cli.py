"""The report and the command line of `make diff`.

Usage: `python -m review.spec_diff --base REF [--spec FILE] [--changelog FILE] [--wire-only]`
reads the old spec with `git show REF:PATH`, PATH being `--base-path`, else FILE when it
lies in the repository, else openapi/processor-tasks.yaml (so an edited copy in /tmp
compares with the committed spec); `--base-file OLD` reads the old spec from a file
instead. `--wire-only` skips regenerating the client (the generated-API layer).

Exit codes (each error is one line on stderr naming the file and the problem):

    0  no breaking change left unacknowledged, versions in order
    1  unacknowledged breaking change(s) or a version problem (the report says which)
    2  bad command line (argparse)
    3  a spec file is missing or cannot be read (or the git ref does not hold it)
    4  a spec file is empty
    5  a spec file is not valid YAML
    6  a spec file is YAML but not an OpenAPI document this tool can walk
    7  a spec's info.version is not semver
    8  the changelog file is missing or cannot be read
    9  the pinned generator cannot build a client from a spec (see --wire-only)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from . import diff
from .loading import (
    DEFAULT_SPEC,
    EXIT_BREAKING,
    EXIT_SPEC_SHAPE,
    SpecDiffError,
    parse_document,
    path_in_repository,
    read_at_ref,
    read_file,
)
from .versions import acknowledged, version_problems

JSON = Any


def run(
    old_document: JSON,
    new_document: JSON,
    changelog: str,
    base_label: str,
    changelog_label: str = "openapi/CHANGELOG.md",
    *,
    generated: bool = True,
    new_label: str = "working tree",
) -> tuple[int, str]:
    """The report text and exit status (0 or EXIT_BREAKING) for two parsed specs."""
    report = diff(old_document, new_document, generated=generated, labels=(base_label, new_label))
    old_version, new_version = old_document["info"]["version"], new_document["info"]["version"]
    acks = acknowledged(changelog, new_version)
    lines = [f"Contract diff {base_label} ({old_version}) -> working tree ({new_version})"]
    unacknowledged = [c for c in report.breaking if c.id not in acks]
    for change in report.changes:
        if change.breaking:
            mark = "BREAKING (acknowledged)" if change.id in acks else "BREAKING"
        else:
            mark = "INFO (not breaking)" if change.informational else "ok"
        lines.append(f"  {mark:<24} {change.id}  [{change.detail}]")
    if not report.changes:
        lines.append(
            "  no changes to operations, parameters, schemas, security, paging, servers"
            + (" or the generated API" if generated else "")
        )
    problems = list(version_problems(old_version, new_version, bool(report.breaking)))
    lines.extend(f"  VERSION {p}" for p in problems)
    status = EXIT_BREAKING if unacknowledged or problems else 0
    lines.append(
        f"{len(report.changes)} change(s), {len(report.breaking)} breaking, {len(unacknowledged)} not acknowledged"
    )
    if unacknowledged:
        # Acknowledgements count only under the heading of the version that ships them: the
        # bumped one when the version is still too low.
        heading = f"## {new_version}" if not problems else "## <the bumped version>"
        lines.append(f"To accept them, add under the '{heading}' heading of {changelog_label}:")
        lines.extend(f"  Breaking: {c.id}" for c in unacknowledged)
    return status, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line of `make diff`; see the module docstring for the exit codes."""
    parser = argparse.ArgumentParser(
        prog="python -m review.spec_diff", description="Breaking-change report between two versions of the contract."
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--base", help="git ref of the old spec (read with git show REF:BASE_PATH)")
    source.add_argument("--base-file", type=Path, help="a file holding the old spec")
    parser.add_argument("--spec", default=DEFAULT_SPEC, help="the new spec (working tree)")
    parser.add_argument(
        "--base-path",
        help="the spec's path inside --base (default: --spec when it lies in the repository, else "
        f"{DEFAULT_SPEC}), so that an edited copy elsewhere compares with the committed spec",
    )
    parser.add_argument("--changelog", type=Path, default=Path("openapi/CHANGELOG.md"))
    parser.add_argument(
        "--wire-only",
        action="store_true",
        help="compare the specs alone, without regenerating the client from each (the generated-API layer)",
    )
    args = parser.parse_args(argv)
    try:
        if args.base_file is not None:
            label = str(args.base_file)
            old_document = parse_document(read_file(args.base_file, "spec"), label)
        else:
            label = args.base
            base_path = args.base_path or path_in_repository(Path(args.spec)) or DEFAULT_SPEC
            old_document = parse_document(read_at_ref(args.base, base_path), f"{args.base}:{base_path}")
        new_document = parse_document(read_file(Path(args.spec), "spec"), args.spec)
        changelog = read_file(args.changelog, "changelog")
        try:
            status, text = run(
                old_document,
                new_document,
                changelog,
                label,
                str(args.changelog),
                generated=not args.wire_only,
                new_label=args.spec,
            )
        except (KeyError, TypeError, AttributeError, ValueError, RecursionError) as exc:
            # The walk met a node of a shape validation let through.
            raise SpecDiffError(
                f"{label} or {args.spec}",
                f"not an OpenAPI document this tool can walk ({exc.__class__.__name__}: {exc})",
                EXIT_SPEC_SHAPE,
            ) from exc
    except SpecDiffError as exc:
        print(f"spec_diff: {exc}", file=sys.stderr)
        return exc.code
    print(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
