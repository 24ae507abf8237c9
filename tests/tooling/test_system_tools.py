"""A missing system tool skips a test locally with one line naming its install command, and
fails it under CI=true."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import system_tools
from tests.system_tools import Tool

ABSENT = Tool("no-such-tool-4b1d", "a test", "apt-get install -y no-such-tool-4b1d")


def test_missing_tool_skips_locally_naming_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        system_tools.require_program(ABSENT)
    reason = str(skipped.value)
    assert "no-such-tool-4b1d is missing" in reason and "apt-get install -y no-such-tool-4b1d" in reason
    assert "\n" not in reason


@pytest.mark.parametrize("value", ["true", "True", "1"])
def test_missing_tool_fails_in_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match=r"no-such-tool-4b1d is missing .*CI=true"):
        system_tools.require_program(ABSENT)


def test_missing_file_path_counts_as_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="chromium is missing"):
        system_tools.require_program(system_tools.CHROMIUM, tmp_path / "chromium")


def test_present_tool_is_returned(tmp_path: Path) -> None:
    program = tmp_path / "chromium"
    program.write_text("")
    assert system_tools.require_program(system_tools.CHROMIUM, program) == program


@pytest.mark.parametrize(("environ", "expected"), [({}, False), ({"CI": "false"}, False), ({"CI": "true"}, True)])
def test_in_ci(environ: dict[str, str], expected: bool) -> None:
    assert system_tools.in_ci(environ) is expected
