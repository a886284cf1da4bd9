"""One error hierarchy whose messages are written for the person at the keyboard.

The CLI catches ``GeneratorError`` and prints ``str(error)`` with no traceback, so
every message here must make sense on its own: what is wrong, where, and what to do.
"""

from __future__ import annotations

from pathlib import Path

# Exit codes, the same for every command (the README's table says the same).
EXIT_OK = 0
EXIT_INCOMPLETE = 1  # ran, but not everything went through: render --check found differences, a record
# could not be read, sent or moved, or wait timed out
EXIT_CANNOT_RUN = 2  # bad config, usage, credentials, access, or a missing bucket: nothing was done
EXIT_PROBLEMS = 3  # failures doctor only: the deployed project has something wrong (records go astray or are lost)


class GeneratorError(Exception):
    """Base of every error the CLI reports as a plain message."""

    exit_code = EXIT_CANNOT_RUN


class UsageError(GeneratorError):
    """The command line or the environment asks for something the tool cannot do."""


# What one config error shows: a file that is not a config (say --config /etc/shadow) yields a problem a line,
# each quoting that line; at most this many problems, each cut at this many characters, are printed.
MAX_PROBLEMS_SHOWN = 20
MAX_MESSAGE_SHOWN = 300


class ConfigError(GeneratorError):
    """A config value is invalid; names the file, line and key path where known."""

    def __init__(
        self,
        message: str,
        *,
        key: str | None = None,
        file: Path | str | None = None,
        line: int | None = None,
        detail: str = "",
    ) -> None:
        self.message = message
        self.key = key
        self.file = file
        self.line = line
        self.detail = detail  # lines a tool printed (an installer's errors): shown whole, after the message
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        key = f"{self.key}: " if self.key else ""
        return f"{where}{key}{shortened(self.message)}" + "".join(f"\n    {line}" for line in self.detail.splitlines())


def shortened(message: str) -> str:
    """A message cut to MAX_MESSAGE_SHOWN in its middle, where the quoted values are: what is wrong comes
    first and what to do about it last, and a long path or a quoted line must push neither out."""
    if len(message) <= MAX_MESSAGE_SHOWN:
        return message
    tail = MAX_MESSAGE_SHOWN // 3
    return message[: MAX_MESSAGE_SHOWN - tail - 1] + "…" + message[-tail:]


class ConfigProblemsError(ConfigError):
    """Every problem found in one pass over a config, so that a user can fix them all at once."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = sorted(errors, key=lambda e: (str(e.file or ""), e.line or 0))
        first = self.errors[0]
        super().__init__(first.message, key=first.key, file=first.file, line=first.line)

    def __str__(self) -> str:
        shown = [ConfigError.__str__(e) for e in self.errors[:MAX_PROBLEMS_SHOWN]]
        hidden = len(self.errors) - len(shown)
        if hidden:
            shown.append(f"… and {hidden} more problem(s); fix these first, then render again")
        return "\n".join(shown)


class OutputError(GeneratorError):
    """Writing the output would touch a file the generator does not own."""


class AwsError(GeneratorError):
    """AWS refused the whole command: no credentials, no bucket, no access, no connection."""


class RecordReadError(GeneratorError):
    """The one record a command was asked about cannot be read; other records are not affected."""

    exit_code = EXIT_INCOMPLETE
