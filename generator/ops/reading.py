"""Listing and reading records: which keys a selection covers, and the records behind them, read concurrently."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING

import botocore.exceptions

from generator.bucket_layout import RECORD_PREFIX, REDRIVEN_PREFIX
from generator.ops.aws import Aws, aws_errors, describe_client_error, is_whole_command_error
from generator.ops.records import (
    FailureRecord,
    Problem,
    RecordError,
    RecordGoneError,
    RecordKey,
)
from generator.record import Record, field, replace

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import ListObjectsV2RequestPaginateTypeDef

_FETCH_BATCH = 32
_FETCH_WORKERS = 8


class Selection(Record, frozen=False):
    """Which records a command works on."""

    function: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    condition: str | None = None
    limit: int | None = None
    keys: list[str] = field(default_factory=list)
    redriven: bool = False  # read the copies under redriven/ instead of the records still to handle


def list_keys(
    aws: Aws,
    prefix: str = RECORD_PREFIX,
    start_after: str | None = None,
    delimiter: str | None = None,
    stop_after: str | None = None,
) -> list[str]:
    """Keys under ``prefix`` in S3's order; listing ends at the first key beyond ``stop_after``."""
    keys: list[str] = []
    paginator = aws.s3.get_paginator("list_objects_v2")
    arguments: ListObjectsV2RequestPaginateTypeDef = {"Bucket": aws.target.bucket, "Prefix": prefix}
    if start_after:
        arguments["StartAfter"] = start_after
    if delimiter:
        arguments["Delimiter"] = delimiter
    with aws_errors(f"cannot list s3://{aws.target.bucket}/{prefix}"):
        for page in paginator.paginate(**arguments):
            for obj in page.get("Contents", []):
                if stop_after is not None and obj["Key"] > stop_after:
                    return keys
                keys.append(obj["Key"])
    return keys


def fetch(aws: Aws, key: RecordKey) -> FailureRecord:
    """One record; a problem with this object is a ``RecordError``, a problem reaching AWS is not."""
    try:
        response = aws.s3.get_object(Bucket=aws.target.bucket, Key=key.key)
        body = response["Body"].read()
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code in ("NoSuchKey", "404"):
            raise RecordGoneError("no such record (moved or deleted meanwhile?)") from None
        if is_whole_command_error(exc):  # no record can be read either: the command cannot run (exit 2)
            raise
        raise RecordError(describe_client_error(exc)) from None
    return replace(FailureRecord.parse(key, body), etag=response.get("ETag", ""))


def selected_keys(aws: Aws, selection: Selection) -> tuple[list[RecordKey], list[Problem]]:
    """The keys a selection covers, newest first, from listings alone: no object is read."""
    keys = list(selection.keys) if selection.keys else _listed_keys(aws, selection)
    candidates: list[RecordKey] = []
    problems: list[Problem] = []
    for key in keys:
        try:
            candidates.append(RecordKey.parse(key))
        except RecordError as exc:
            problems.append(Problem(key, str(exc)))
    if not selection.keys:
        if selection.since:
            candidates = [c for c in candidates if c.time >= selection.since]
        if selection.until:
            candidates = [c for c in candidates if c.time <= selection.until]
    candidates.sort(key=lambda c: (c.time, c.key), reverse=True)
    return candidates, problems


def iter_selected(aws: Aws, selection: Selection) -> Iterator[FailureRecord | Problem]:
    """The selected records, newest first, as they are read: memory holds the keys and one batch, not every record."""
    candidates, problems = selected_keys(aws, selection)
    yield from problems
    found = 0

    def batch_size() -> int:
        # Without a condition to filter on, every record read counts: read no more than the limit asks.
        if selection.limit is not None and selection.condition is None:
            return min(_FETCH_BATCH, selection.limit - found)
        return _FETCH_BATCH

    for key, result in read_records(aws, candidates, batch_size):
        if isinstance(result, RecordError):
            yield Problem(key.key, str(result))
        elif selection.condition is None or result.condition == selection.condition:
            found += 1
            yield result
            if selection.limit is not None and found >= selection.limit:
                return


def read_records(
    aws: Aws, keys: Sequence[RecordKey], batch_size: Callable[[], int] = lambda: _FETCH_BATCH
) -> Iterator[tuple[RecordKey, FailureRecord | RecordError]]:
    """Each key with its record, or why it cannot be read, in the keys' order.

    A batch is read on ``_FETCH_WORKERS`` threads only when the caller reaches it, so a caller that
    stops early reads little, and one that streams holds a batch, not every record.
    """
    with ThreadPoolExecutor(max_workers=_FETCH_WORKERS) as pool:
        start = 0
        while start < len(keys):
            batch = keys[start : start + max(1, batch_size())]
            start += len(batch)
            yield from zip(batch, pool.map(lambda k: _fetch_or_error(aws, k), batch), strict=True)


def _listed_keys(aws: Aws, selection: Selection) -> list[str]:
    """Keys under the selection's prefix; with --since/--until, each function's listing covers only the window's days.

    Keys sort by day within a function (``<function>/YYYY/MM/DD/...``), so S3's StartAfter skips the days
    before the window without reading them, and the listing ends at the first key past the last day.
    """
    prefix = (REDRIVEN_PREFIX if selection.redriven else "") + RECORD_PREFIX
    if selection.since is None and selection.until is None:
        return list_keys(aws, prefix + (f"{selection.function}/" if selection.function else ""))
    functions = [f"{selection.function}/"] if selection.function else _function_prefixes(aws, prefix)
    keys: list[str] = []
    for function in functions:
        # "~" sorts after every character of a record's name, so this stops right after the --until day.
        first = f"{prefix}{function}{selection.since:%Y/%m/%d}" if selection.since else None
        last = f"{prefix}{function}{selection.until:%Y/%m/%d}/~" if selection.until else None
        keys.extend(list_keys(aws, prefix + function, start_after=first, stop_after=last))
    if not selection.function:  # objects directly under the prefix: reported as outside the layout
        keys.extend(k for k in list_keys(aws, prefix, delimiter="/") if not k.endswith("/"))
    return keys


def _function_prefixes(aws: Aws, prefix: str) -> list[str]:
    """The ``<function>/`` folders under ``prefix``, from one delimited listing."""
    found: list[str] = []
    paginator = aws.s3.get_paginator("list_objects_v2")
    with aws_errors(f"cannot list s3://{aws.target.bucket}/{prefix}"):
        for page in paginator.paginate(Bucket=aws.target.bucket, Prefix=prefix, Delimiter="/"):
            found.extend(p["Prefix"][len(prefix) :] for p in page.get("CommonPrefixes", []))
    return found


def _fetch_or_error(aws: Aws, key: RecordKey) -> FailureRecord | RecordError:
    try:
        return fetch(aws, key)
    except RecordError as exc:
        return exc
