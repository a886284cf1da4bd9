"""The argument parser every command shares: "did you mean" for a mistyped name, and help whose write errors count."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

# The failures command's line in `generator --help`, which a render prints without loading that command.
FAILURES_SUMMARY = "list, show, wait for and redrive the records of failed invocations"
SANDBOX_SUMMARY = "run a local AWS (moto, HTTPS) that records failed events as Lambda does, to try a project on"


class Parser(argparse.ArgumentParser):
    """argparse, with a "did you mean" for a mistyped command or option, and help whose write errors count."""

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        if message:  # argparse's own drops a failed write, so `--help > /dev/full` would exit 0
            stream = file or sys.stderr
            stream.write(message)
            flush = getattr(stream, "flush", None)
            if flush is not None:
                flush()

    def error(self, message: str) -> NoReturn:
        import difflib
        import re

        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice:
            close = difflib.get_close_matches(choice[1], re.findall(r"'([^']*)'", choice[2]), n=1)
            message += f"; did you mean '{close[0]}'?" if close else ""
        unknown = re.fullmatch(r"unrecognized arguments: (.*)", message)
        if unknown:
            options = [o for o in self._option_string_actions if o.startswith("--")]
            for word in unknown[1].split():
                close = difflib.get_close_matches(word.split("=")[0], options, n=1)
                message += f"; did you mean {close[0]} for {word}?" if close else ""
        super().error(message)


def in_words(names: Iterable[str]) -> str:
    """Choices in words: "A, B or C"."""
    *rest, last = list(names)
    return f"{', '.join(rest)} or {last}" if rest else last
