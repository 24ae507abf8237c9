"""The main README's synopsis of `processor-tasks describe` names every option the command has."""

from __future__ import annotations

import argparse
import re

from processor_tasks_client import cli

from tests.paths import README


def _subcommand(name: str) -> argparse.ArgumentParser:
    commands = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    parser: argparse.ArgumentParser = commands.choices[name]
    return parser


def test_the_describe_synopsis_names_every_option_and_its_choices() -> None:
    synopsis = re.search(r"`processor-tasks describe TASK_ID[^`]*`", README.read_text())
    assert synopsis is not None
    for action in _subcommand("describe")._actions:
        if not action.option_strings or "--help" in action.option_strings:
            continue
        option = max(action.option_strings, key=len)
        assert option in synopsis.group(), (option, synopsis.group())
        if action.choices:
            assert f"{option} {'|'.join(map(str, action.choices))}" in synopsis.group()
