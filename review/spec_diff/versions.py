"""Versions and the changelog: semver precedence, the major-bump rule, and `Breaking:` lines.

Versions are ordered by semver 2.0.0 precedence: a prerelease comes before its release
(`2.0.0-rc.1` < `2.0.0`), prerelease identifiers compare numerically when numeric and by
ASCII order otherwise, numeric before alphanumeric, more identifiers after fewer
(`rc` < `rc.1`), and build metadata does not count. A prerelease of the next major is a
major bump (1.4.0 -> 2.0.0-rc.1). Between the prereleases of a major and its release
(2.0.0-rc.1 -> 2.0.0-rc.2 -> 2.0.0) breaking changes are allowed without a further bump,
as semver lets a prerelease change before its release, but still need their `Breaking:`
line; that does not extend to a minor's prereleases (1.4.0-rc.1 -> 1.4.0 cannot break).

A breaking change is acknowledged by a line `Breaking: <change id>` in the section of the
changelog headed with the working tree's `info.version` (`## 2.0.0`, `## 2.0.0-rc.1`;
build metadata is ignored, so `2.0.0+sha.5114f85` reads `## 2.0.0`). `make`'s guard over
the generated package's public names (generator/regenerate.py) reads the same lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
ACK_LINE = re.compile(r"^\s*[-*]?\s*Breaking:\s*(?P<id>.+?)\s*$")
VERSION_HEADING = re.compile(r"^##\s+\[?(?P<version>[^\]\s]+)\]?")


def semver(version: str) -> tuple[int, int, int]:
    """(major, minor, patch) of a semver string; ValueError when it is not semver."""
    match = SEMVER.match(version)
    if match is None:
        raise ValueError(f"info.version {version!r} is not semver (MAJOR.MINOR.PATCH)")
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


# One prerelease identifier as a sort key: numeric ones (0, ...) sort before alphanumeric
# ones (1, ...), numbers by value, the rest by ASCII order (semver 2.0.0 §11.4).
Identifier = tuple[int, int, str]
# The sort key of a whole version: the core, then 1 for a release (after all its prereleases)
# or 0 and the prerelease identifiers. Tuples compare element by element and a longer one
# wins on an equal prefix, which is §11.4.4 (more fields > fewer).
Precedence = tuple[tuple[int, int, int], int, tuple[Identifier, ...]]


def precedence(version: str) -> Precedence:
    """Sort key implementing semver 2.0.0 precedence; build metadata is ignored.

    ValueError when `version` is not semver. Two versions that differ only in build
    metadata (`2.0.0+a`, `2.0.0+b`) get the same key, as §10 requires.
    """
    match = SEMVER.match(version)
    if match is None:
        raise ValueError(f"info.version {version!r} is not semver (MAJOR.MINOR.PATCH)")
    core = (int(match.group(1)), int(match.group(2)), int(match.group(3)))
    prerelease = match.group(4)
    if prerelease is None:
        return core, 1, ()
    identifiers = tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in prerelease.split("."))
    return core, 0, identifiers


def is_prerelease(version: str) -> bool:
    """Whether `version` carries a prerelease part (`2.0.0-rc.1`); ValueError when not semver."""
    return precedence(version)[1] == 0


def needed_for_breaking(old_version: str) -> tuple[int, int, int]:
    """The lowest core version that may break clients of `old_version` (the next major,
    the next minor while it is 0.x)."""
    major, minor, _ = semver(old_version)
    return (major + 1, 0, 0) if major > 0 else (0, minor + 1, 0)


def breaking_allowed(old_version: str, new_version: str) -> bool:
    """Whether going from `old_version` to `new_version` may break clients.

    Yes when the new core reaches the next major (the next minor in 0.x); a prerelease of
    it counts (1.4.0 -> 2.0.0-rc.1), since the prerelease is where a major's breaking
    changes first ship. Yes also within the prereleases of a major not yet released
    (2.0.0-rc.1 -> 2.0.0-rc.2 -> 2.0.0): semver §9 says a prerelease may not satisfy the
    compatibility its version implies, so its users expect changes until the release, and
    the release is not a new major over its own candidates (no 3.0.0 for a fix found in
    rc.1). That holds only for a major's prereleases: 1.4.0-rc.1 -> 1.4.0 is a minor
    release over 1.3.0, whose users a breaking change would break.
    """
    old_core, new_core = semver(old_version), semver(new_version)
    if new_core >= needed_for_breaking(old_version):
        return True
    opens_a_major = old_core[1:] == (0, 0) if old_core[0] > 0 else old_core[2] == 0
    return is_prerelease(old_version) and opens_a_major and new_core == old_core


def same_version(first: str, second: str) -> bool:
    """Equal semver precedence (build metadata ignored), else equal strings when either is
    not semver (a heading such as `## Unreleased`)."""
    try:
        return precedence(first) == precedence(second)
    except ValueError:
        return first == second


def acknowledged(changelog: str, version: str) -> set[str]:
    """Change ids acknowledged by `Breaking: <id>` lines in the `## <version>` section."""
    ids: set[str] = set()
    current: str | None = None
    for line in changelog.splitlines():
        heading = VERSION_HEADING.match(line)
        if heading:
            current = heading.group("version")
            continue
        ack = ACK_LINE.match(line)
        if ack and current is not None and same_version(current, version):
            ids.add(ack.group("id").strip("`"))
    return ids


def version_problems(old_version: str, new_version: str, breaking: bool) -> Iterator[str]:
    """What is wrong with the version step, in semver 2.0.0 precedence (see `breaking_allowed`)."""
    if precedence(new_version) < precedence(old_version):
        yield f"info.version went down: {old_version} -> {new_version}"
    if breaking and not breaking_allowed(old_version, new_version):
        needs = ".".join(map(str, needed_for_breaking(old_version)))
        yield (
            f"breaking changes need info.version >= {needs} or a prerelease of it such as {needs}-rc.1 "
            f"(semver major bump over {old_version}); it is {new_version}"
        )
