"""``failures stats``: how many records, by function, condition, error type or day, so an incident shows its shape.

Counting by function and day needs only the keys (``<function>/YYYY/MM/DD/``); anything else reads each
record once, as it streams past, and keeps only the counts.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Mapping
from typing import TextIO

from generator.errors import EXIT_INCOMPLETE, EXIT_OK
from generator.lambda_facts import RECORD_PREFIX
from generator.ops.aws import Aws, aws_errors
from generator.ops.present import report_problems, safe, suggest_athena
from generator.ops.queue_commands import count_queue
from generator.ops.queues import queue_of_selection
from generator.ops.reading import Selection, iter_selected, selected_keys
from generator.ops.records import FailureRecord, Problem, RecordKey

_FROM_KEY: dict[str, Callable[[RecordKey], str]] = {
    "function": lambda key: key.function,
    "day": lambda key: f"{key.time:%Y-%m-%d}",
}


def _through_key(name: str) -> Callable[[FailureRecord], str]:
    return lambda record: _FROM_KEY[name](record.key)


# A record without an error type counts as None (null in --json, "(none)" in the table), never as a text that a
# record could also hold: a function may well raise an error whose type is "-".
_FROM_RECORD: dict[str, Callable[[FailureRecord], str | None]] = {
    **{name: _through_key(name) for name in _FROM_KEY},
    "condition": lambda record: record.condition,
    "error_type": lambda record: record.error_type or None,
}
_NONE_SHOWN = "(none)"
DIMENSIONS = tuple(_FROM_RECORD)
KEY_DIMENSIONS = tuple(_FROM_KEY)  # counted from keys alone; record_queries.FROM_KEY must name the same


def run_stats(
    aws: Aws, selection: Selection, by: tuple[str, ...], as_json: bool, out: TextIO | None = None, *,
    athena: bool = False,
) -> int:  # fmt: skip
    out = out or sys.stdout
    if athena:
        return _athena_stats(aws, selection, by, as_json, out)
    queue = queue_of_selection(aws, selection.function)
    where = queue.name if queue else f"s3://{aws.target.bucket}/{RECORD_PREFIX}"
    read = 0  # records read one by one; counting from keys reads none
    if queue is not None:
        counts, problems = count_queue(aws, queue, selection, lambda record: tuple(_FROM_RECORD[n](record) for n in by))
    else:
        with aws_errors(f"cannot read {where}"):
            counts, problems, read = _count_bucket(aws, selection, by)
    _print_rows(counts, by, as_json, out, where)
    report_problems(problems)
    suggest_athena(read)
    return EXIT_INCOMPLETE if problems else EXIT_OK


def _athena_stats(aws: Aws, selection: Selection, by: tuple[str, ...], as_json: bool, out: TextIO) -> int:
    from generator.ops.athena import athena_counts, report_cost, workgroup_of

    workgroup = workgroup_of(aws)
    counts, result = athena_counts(aws, workgroup, by, selection)
    _print_rows(counts, by, as_json, out, f"the table {workgroup.database}.{workgroup.table}")
    report_cost(result)
    return EXIT_OK


def _print_rows(
    counts: Mapping[tuple[str | None, ...], int], by: tuple[str, ...], as_json: bool, out: TextIO, where: str
) -> None:
    """Most records first, ties in order of their values (no value last), as a table or a JSON object a line."""
    rows = sorted(counts.items(), key=lambda row: (-row[1], tuple((v is None, v or "") for v in row[0])))
    if as_json:
        for values, count in rows:
            out.write(json.dumps({**dict(zip(by, values, strict=True)), "records": count}) + "\n")
    elif rows:
        _print_counts(by, rows, out)
    else:
        print(f"no failure records in {where} match", file=sys.stderr)


def _count_bucket(
    aws: Aws, selection: Selection, by: tuple[str, ...]
) -> tuple[Counter[tuple[str | None, ...]], list[Problem], int]:
    """Counts from the keys alone when they tell enough, else from each record as it streams past."""
    counts: Counter[tuple[str | None, ...]] = Counter()
    if set(by) <= set(_FROM_KEY) and selection.condition is None:
        keys, problems = selected_keys(aws, selection)
        counts.update(tuple(_FROM_KEY[name](key) for name in by) for key in keys)
        return counts, problems, 0
    problems, read = [], 0
    for item in iter_selected(aws, selection):
        read += 1
        if isinstance(item, Problem):
            problems.append(item)
        else:
            counts[tuple(_FROM_RECORD[name](item) for name in by)] += 1
    return counts, problems, read


def _print_counts(by: tuple[str, ...], rows: list[tuple[tuple[str | None, ...], int]], out: TextIO) -> None:
    table = [(*(name.upper().replace("_", " ") for name in by), "RECORDS")]
    table += [(*(_NONE_SHOWN if v is None else safe(v) for v in values), str(count)) for values, count in rows]
    table.append((*("total" if i == 0 else "" for i in range(len(by))), str(sum(c for _, c in rows))))
    widths = [max(len(row[i]) for row in table) for i in range(len(by))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1].rjust(7),
              file=out)  # fmt: skip
