"""Every generator command line the project prints or renders is one the CLI's own parser accepts.

Alarm descriptions, record notices, the dashboard, the rendered README, the project README and the CLI's
help all tell users what to run. Renaming or removing an option must break this test, not a user's paste.
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Iterator

import pytest

from generator.cli.main import build_parser
from tests.support import REPO, golden_cases

# A command runs to the end of its code span, string or line; a comment or a redirect ends it too.
_COMMAND = re.compile(r"python -m generator ([^`\"\n\\]*)")
_PLACEHOLDERS = ((re.compile(r"\$\{[^}]*\}"), "placeholder"), (re.compile(r"<[^>]*>"), "placeholder"))


def _commands(text: str) -> Iterator[str]:
    for match in _COMMAND.finditer(text):
        line = re.split(r"\s+#|\s+>|\s*:\s|\s+&&\s|\s+\|\s|;\s", match[1])[0].strip()  # one command of a chain
        for pattern, value in _PLACEHOLDERS:
            line = pattern.sub(value, line)
        if any(mark in line for mark in ("[", "(", "...", "{")):
            continue  # a synopsis, or an f-string: the forms the tests below expand are what users paste
        yield line


def _sources() -> Iterator[tuple[str, str]]:
    yield "README.md", (REPO / "README.md").read_text()
    for name, parser in _parsers("", build_parser()):
        yield f"python -m generator{name} --help", parser.format_help()
    for case in golden_cases():
        for path, content in case.render().items():
            if path.endswith((".tf", ".md", ".hcl")) and (case.name == "default" or not path.startswith("modules/")):
                yield f"{case.name}/{path}", content.decode()


def _parsers(name: str, parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """The parser and each subcommand's, with the help text each prints."""
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, subparser in action.choices.items():
                yield from _parsers(f"{name} {sub}", subparser)


def _all_commands() -> list[tuple[str, str]]:
    return sorted({(where, command) for where, text in _sources() for command in _commands(text)})


def test_the_project_prints_failures_commands_of_every_subcommand() -> None:
    """The scan finds what it must, or the test below would pass on nothing."""
    subcommands = {shlex.split(command)[:2][-1] for _, command in _all_commands() if command.startswith("failures")}
    assert {"list", "show", "stats", "wait", "redrive", "doctor", "query"} <= subcommands


@pytest.mark.parametrize(("where", "command"), _all_commands(), ids=lambda value: value)
def test_every_printed_command_parses(where: str, command: str) -> None:
    try:
        build_parser().parse_args(shlex.split(command))
    except SystemExit as exc:
        if exc.code == 0 and "--help" in command:
            return
        pytest.fail(f"{where}: `python -m generator {command}` is refused by the CLI (exit {exc.code})")
