"""What reaches the terminal: record text made safe, tables, one record in full, status lines and progress."""

from __future__ import annotations

import sys
import time
import unicodedata
from collections.abc import Iterable
from typing import TextIO

from generator.lambda_facts import condition_meaning
from generator.ops.records import FailureRecord, Problem, pretty_json

_CONTROL = ("Cc", "Cf", "Cs", "Co", "Zl", "Zp")


def safe(text: str, *, keep_newlines: bool = False) -> str:
    """Text from a record or a key, fit for a terminal: control and formatting characters become escapes.

    A record is written by the function's role, which anyone who can change the function holds, so
    its error message or stack trace could otherwise move the cursor, rewrite earlier lines or set
    the terminal's title.
    """
    out = []
    for char in text:
        if (char == "\n" and keep_newlines) or unicodedata.category(char) not in _CONTROL:
            out.append(char)
        else:
            out.append(char.encode("unicode_escape", "backslashreplace").decode("ascii")
                       if ord(char) < 0x10000 else f"\\U{ord(char):08x}")  # fmt: skip
    return "".join(out)


def print_table(records: list[FailureRecord], out: TextIO) -> None:
    rows = [("TIME", "FUNCTION", "CONDITION", "ERROR", "REQUEST ID", "KEY")]
    for record in records:
        error = f"{record.error_type}: {record.error_message}" if record.error_type else record.error_message or "-"
        error = safe(error)
        rows.append((
            record.key.time.strftime("%Y-%m-%d %H:%M:%SZ"), record.key.function, safe(record.condition),
            error if len(error) <= 60 else error[:59] + "…", safe(record.request_id), safe(record.key.key),
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1], file=out)


def print_record(record: FailureRecord, out: TextIO) -> None:
    lines = [
        f"Key:         {safe(record.key.key)}",
        f"Function:    {record.key.function} ({safe(record.function_arn)})",
        f"Time:        {safe(record.timestamp) or record.key.time.isoformat()}",
        f"Condition:   {safe(record.condition)}"
        + (f" after {record.invoke_count} attempt(s)" if record.invoke_count is not None else ""),
        f"             {condition_meaning(record.condition)}",
        f"Request ID:  {safe(record.request_id)}",
    ]
    if record.status_code is not None or record.function_error:
        lines.append(f"Response:    status {record.status_code}, function error {safe(record.function_error or '-')}")
    if record.error_type or record.error_message:
        lines.append(f"Error:       {safe(record.error_type)}: {safe(record.error_message)}")
    else:
        lines.append("Error:       none recorded (the function never returned one)")
    if record.stack_trace:
        lines.append("Stack trace:")
        lines.extend(f"  {safe(line)}" for entry in record.stack_trace for line in entry.rstrip().splitlines())
    lines.append("Payload:")
    try:
        payload = pretty_json(record.payload)
    except (ValueError, RecursionError):
        payload = record.payload_text
    lines.extend("  " + line for line in safe(payload, keep_newlines=True).splitlines())
    print("\n".join(lines), file=out)


def report_problems(problems: Iterable[Problem]) -> None:
    for problem in problems:
        print(f"warning: {safe(problem.key)}: {safe(problem.reason)}", file=sys.stderr)


ATHENA_HINT_RECORDS = 10_000  # a command that reads more records than this points to Athena


def suggest_athena(read: int) -> None:
    """Past a few thousand records one machine is the wrong engine: say where the right one is."""
    if read > ATHENA_HINT_RECORDS:
        print(
            f"note: read {read} records one by one; failures stats --athena and failures query count them in the "
            "project's Athena workgroup instead (analytics.enabled: true in the config)",
            file=sys.stderr,
        )


class Status:
    """One self-overwriting status line on a terminal; elsewhere (a CI log) a line every half minute."""

    LOG_EVERY_SECONDS = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.active = stream.isatty()
        self.logged = time.monotonic()

    def show(self, text: str) -> None:
        if self.active:
            self.stream.write("\r" + text.ljust(60))
            self.stream.flush()
        elif time.monotonic() - self.logged >= self.LOG_EVERY_SECONDS:
            self.logged = time.monotonic()
            print(f"still {text}", file=self.stream)

    def clear(self) -> None:
        if self.active:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()


class Progress:
    """A progress bar with rate and time left, on a terminal; nothing when stderr is a file or pipe."""

    WIDTH = 72

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.count, self.stream = total, 0, stream
        self.active = stream.isatty() and total > 1
        self.started = time.monotonic()

    def step(self) -> None:
        self.count += 1
        if self.active:
            filled = int(30 * self.count / self.total)
            elapsed = max(time.monotonic() - self.started, 1e-9)
            rate = self.count / elapsed
            left = (self.total - self.count) / rate
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.count}/{self.total} "
                              f"{rate:.1f}/s, {int(left) // 60}m{int(left) % 60:02d}s left")  # fmt: skip
            self.stream.flush()

    def clear(self) -> None:
        if self.active and self.count:
            self.stream.write("\r" + " " * self.WIDTH + "\r")
            self.stream.flush()

    def done(self) -> None:
        if self.active:
            self.stream.write("\n")
