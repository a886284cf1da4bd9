"""``failures list``, ``stats`` and ``show`` for a function whose records go to an SQS queue.

Each reads the queue and its dead-letter queue in one pass (``queues.looking``), which hides what it received
until the pass ends and renews what is near its receive limit, so looking moves no record anywhere.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable
from typing import TextIO

from generator.errors import EXIT_INCOMPLETE, EXIT_OK, RecordReadError
from generator.ops.aws import Aws, aws_errors
from generator.ops.present import print_record, print_table, report_problems, safe
from generator.ops.queues import QUEUE_KEY_PREFIX, Queue, looking, note_look, queue_named, selects
from generator.ops.reading import Selection
from generator.ops.records import FailureRecord, Problem


def read_queue(aws: Aws, queue: Queue, selection: Selection) -> tuple[list[FailureRecord], list[Problem]]:
    """The selected records of the queue and its dead-letter queue, newest first, and what is not a record."""
    records: list[FailureRecord] = []
    problems: list[Problem] = []
    with aws_errors(f"cannot read the queue {queue.name}"), looking(aws, queue) as (messages, result):
        for message in messages:
            if message.record is None:
                problems.append(Problem(message.name, message.problem or "not a record"))
            elif selects(selection, message.record):
                records.append(message.record)
    note_look(queue, result)
    records.sort(key=lambda record: (record.key.time, record.key.key), reverse=True)
    if selection.limit is not None:
        records = records[: selection.limit]
    return records, problems


def list_queue(aws: Aws, queue: Queue, selection: Selection, as_json: bool, out: TextIO) -> int:
    records, problems = read_queue(aws, queue, selection)
    if as_json:
        for record in records:
            out.write(json.dumps(record.summary()) + "\n")
    elif records:
        print_table(records, out)
    else:
        print(f"no failure records in {_where(queue)} match", file=sys.stderr)
    report_problems(problems)
    return EXIT_INCOMPLETE if problems else EXIT_OK


def count_queue(
    aws: Aws, queue: Queue, selection: Selection, values: Callable[[FailureRecord], tuple[str | None, ...]]
) -> tuple[Counter[tuple[str | None, ...]], list[Problem]]:
    """Counts of the selected records by ``values(record)``, and the messages that hold no record."""
    records, problems = read_queue(aws, queue, selection)
    return Counter(values(record) for record in records), problems


def show_queued(aws: Aws, name: str, out: TextIO) -> int:
    """One queued record, named ``sqs:<queue>/<request id>``: found by a pass over its queue."""
    queue_name, _, request_id = name[len(QUEUE_KEY_PREFIX) :].partition("/")
    queue = queue_named(aws, queue_name)
    records, _ = read_queue(aws, queue, Selection(keys=[name]))
    found = [record for record in records if record.request_id == request_id]
    if not found:
        raise RecordReadError(
            f"{safe(name)}: no such record in {_where(queue)} (redriven, or another reader holds it?)"
        )
    print_record(found[0], out)
    return EXIT_OK


def _where(queue: Queue) -> str:
    return f"{queue.name}" + (f" or {queue.dead_letter.name}" if queue.dead_letter else "")
