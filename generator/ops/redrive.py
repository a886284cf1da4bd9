"""Redrive: send each failed event back to its function, at most once per claim, then move its record aside.

Every function's role can write to the bucket, so nothing a record says about where to send it is
trusted: the key names the function, and the bucket's own account and region are where it runs.
Two operators at once are kept apart by S3 conditional writes on a claim object per record.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, TextIO

import botocore.exceptions

from generator.errors import EXIT_INCOMPLETE, EXIT_OK, AwsError
from generator.ops.aws import MAX_CONNECTIONS, Aws, aws_errors, describe_client_error
from generator.ops.present import Progress, report_problems, safe, suggest_athena
from generator.ops.reading import Selection, read_records, selected_keys
from generator.ops.records import (
    RECORD_PREFIX,
    REDRIVEN_PREFIX,
    FailureRecord,
    Problem,
    RecordError,
    RecordGoneError,
    RecordKey,
)

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import HeadObjectOutputTypeDef

CLAIM_PREFIX = "redrive-claims/"
CLAIM_SECONDS = 900  # a claim older than this belongs to a run that died; another run may take it over


MAX_CONCURRENCY = MAX_CONNECTIONS  # invokes in flight at once: no more than a client's connection pool holds
QUALIFIER_PATTERN = r"[A-Za-z0-9$_-]{1,128}"  # Lambda's pattern for a version or alias name


@dataclass
class Tally:
    sent: int = 0
    skipped: int = 0
    failed: int = 0

    def add(self, other: Tally) -> None:
        self.sent, self.skipped, self.failed = (self.sent + other.sent, self.skipped + other.skipped,
                                                self.failed + other.failed)  # fmt: skip


@dataclass(frozen=True)
class Pace:
    """How fast to redrive: invokes in flight at once, and at most ``rate`` started a second (None: no cap)."""

    concurrency: int = 4
    rate: float | None = None


class _Pacer:
    """Spaces the starts of the worker threads' invokes so that together they stay under the rate."""

    def __init__(
        self,
        rate: float | None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1 / rate if rate else 0.0
        self.clock, self.sleep = clock, sleep
        self.next = clock()
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = self.clock()
            start = max(now, self.next)
            self.next = start + self.interval
        self.sleep(start - now)


@dataclass(frozen=True)
class Home:
    """The bucket's partition, account and region: redrive invokes functions there and nowhere else.

    Every function role may write to the bucket, so a record's ``functionArn`` is whatever some
    function wrote. Redrive trusts only the key's function name and this home.
    """

    partition: str
    account: str
    region: str

    def function_arn(self, name: str, qualifier: str | None) -> str:
        arn = f"arn:{self.partition}:lambda:{self.region}:{self.account}:function:{name}"
        return f"{arn}:{qualifier}" if qualifier else arn


def run_redrive(
    aws: Aws,
    selection: Selection,
    dry_run: bool,
    out: TextIO | None = None,
    *,
    pace: Pace | None = None,
    to_qualifier: str | None = None,
) -> int:
    """Send each selected record's payload back to its function; move the record under redriven/ once accepted.

    Records are read batch by batch as they are sent, oldest first, so memory holds the selected keys
    and a few batches however many records there are. Each record is claimed first with a conditional
    write, so two operators redriving at once send it once; ``to_qualifier`` sends every event to that
    version or alias instead of the one its record names.
    """
    out = out or sys.stdout
    with aws_errors(f"cannot redrive from s3://{aws.target.bucket}"):
        keys, problems = selected_keys(aws, selection)
    report_problems(problems)
    run = _Run(aws, out, pace or Pace(), to_qualifier)
    run.tally.failed = len(problems)
    pending: list[RecordKey] = []
    for key in reversed(keys):  # oldest first, as they happened
        if key.redriven:
            run.report(f"skipped {safe(key.key)}: it was redriven already; redrive its original key to send it "
                       "again", Tally(skipped=1))  # fmt: skip
        else:
            pending.append(key)
    if pending:
        with aws_errors(f"cannot redrive from s3://{aws.target.bucket}"):
            run.home = _home(aws)
        with aws_errors("cannot read the functions' concurrency"):
            _warn_about_throttled_functions(aws, run.home, sorted({key.function for key in pending}))
        with aws_errors(f"cannot redrive from s3://{aws.target.bucket}"):
            reads = _stream(aws, pending, selection)
            if dry_run:
                run.dry_run(reads)
            else:
                run.send(reads, len(pending))
    tally = run.tally
    if not run.matched:
        print("no failure records match; nothing to redrive", file=sys.stderr)
    elif dry_run:
        print(f"dry run: {run.matched} record(s) would be sent; nothing was sent or moved", file=out)
        suggest_athena(run.matched)
    else:
        print(f"redrive: sent {tally.sent}, skipped {tally.skipped}, failed {tally.failed} in {run.elapsed:.1f} s "
              f"({tally.sent / max(run.elapsed, 1e-9):.1f} events/s)", file=out)  # fmt: skip
    return EXIT_INCOMPLETE if tally.failed else EXIT_OK


_Read = tuple[RecordKey, FailureRecord | RecordError]


def _stream(aws: Aws, pending: list[RecordKey], selection: Selection) -> Iterator[_Read]:
    """The pending keys with their records, oldest first, read as they are needed; only those --condition keeps.

    With --limit the newest N are wanted, so they are read newest first, held (N of them) and sent oldest first.
    """

    def wanted(item: _Read) -> bool:
        result = item[1]
        return isinstance(result, RecordError) or selection.condition in (None, result.condition)

    if selection.limit is None:
        yield from filter(wanted, read_records(aws, pending))
        return
    chosen: list[_Read] = []
    records = 0
    for item in filter(wanted, read_records(aws, pending[::-1])):
        chosen.append(item)
        records += isinstance(item[1], FailureRecord)
        if records >= selection.limit:
            break
    yield from reversed(chosen)


class _Run:
    """One redrive: its tally, progress and output, shared by the reading loop and the sending threads."""

    def __init__(self, aws: Aws, out: TextIO, pace: Pace, to_qualifier: str | None) -> None:
        self.aws, self.out, self.pace, self.to_qualifier = aws, out, pace, to_qualifier
        self.home: Home | None = None
        self.tally = Tally()
        self.matched = 0  # records read that the selection keeps, whether sent or not
        self.elapsed = 0.0
        self.lock = threading.Lock()
        self.progress = Progress(0, sys.stderr)

    def report(self, text: str, outcome: Tally) -> None:
        """One record's line, written whole above the progress bar, and its count."""
        with self.lock:
            self.progress.clear()
            print(text, file=self.out)
            self.out.flush()
            self.tally.add(outcome)

    def targets(self, reads: Iterator[_Read]) -> Iterator[tuple[FailureRecord, str]]:
        """The records that can be sent, with where to; the others are reported as they come."""
        assert self.home is not None
        for key, result in reads:
            if isinstance(result, RecordGoneError):
                self.report(f"skipped {safe(key.key)}: it is gone (another redrive moved it, or it was deleted)",
                            Tally(skipped=1))  # fmt: skip
            elif isinstance(result, RecordError):
                with self.lock:
                    self.progress.clear()
                    report_problems([Problem(key.key, str(result))])
                    self.tally.failed += 1
            else:
                self.matched += 1
                try:
                    target = _target(result, self.home, self.to_qualifier)
                except RecordError as exc:
                    self.report(f"failed {safe(key.key)}: {exc}; the record stays", Tally(failed=1))
                else:
                    yield result, target
                    continue
            self._step()

    def dry_run(self, reads: Iterator[_Read]) -> None:
        for record, target in self.targets(reads):
            size = len(record.payload_text.encode())
            print(f"would send {safe(record.key.key)} to {target} ({size} bytes)", file=self.out)

    def send(self, reads: Iterator[_Read], total: int) -> None:
        """Redrive on ``pace.concurrency`` threads, with at most twice that many records waiting for a thread."""
        assert self.home is not None
        self.aws.lambda_for(self.home.region)  # made here: a boto3 session must not make clients on several threads
        self.progress = Progress(total, sys.stderr)
        pacer = _Pacer(self.pace.rate)
        started = time.monotonic()

        def send_one(item: tuple[FailureRecord, str]) -> None:
            record, target = item
            pacer.wait()
            lines, own = io.StringIO(), Tally()
            _redrive_one(self.aws, record, target, own, lines)
            self.report(lines.getvalue().rstrip("\n"), own)
            self._step()

        waiting: deque[Future[None]] = deque()
        pool = ThreadPoolExecutor(max_workers=self.pace.concurrency)
        try:
            for item in self.targets(reads):
                waiting.append(pool.submit(send_one, item))
                while len(waiting) > 2 * self.pace.concurrency:
                    waiting.popleft().result()
            while waiting:
                waiting.popleft().result()
        except botocore.exceptions.BotoCoreError as exc:
            pool.shutdown(wait=True, cancel_futures=True)  # the invokes in flight end; the queued ones never start
            self.progress.done()
            raise AwsError(
                f"lost the connection to AWS ({exc}) after sending {self.tally.sent} record(s); every record not "
                f"yet sent is still in s3://{self.aws.target.bucket}/{RECORD_PREFIX}, and the next redrive sends it"
            ) from None
        finally:
            pool.shutdown(wait=True)
            self.elapsed = time.monotonic() - started
        self.progress.done()

    def _step(self) -> None:
        with self.lock:
            self.progress.step()


def _home(aws: Aws) -> Home:
    identity = aws.sts().get_caller_identity()
    account, partition = identity["Account"], identity["Arn"].split(":")[1]
    location = aws.s3.get_bucket_location(Bucket=aws.target.bucket, ExpectedBucketOwner=account)
    region = location.get("LocationConstraint") or "us-east-1"
    return Home(partition, account, "eu-west-1" if region == "EU" else region)


def _target(record: FailureRecord, home: Home, to_qualifier: str | None = None) -> str:
    """The ARN to invoke: the key's function in the bucket's home, with the record's qualifier if it agrees.

    ``to_qualifier`` replaces the record's qualifier, so a fixed version or alias can be targeted.
    """
    parts = record.function_arn.split(":")
    if len(parts) not in (7, 8) or parts[0] != "arn" or parts[2] != "lambda" or parts[5] != "function":
        raise RecordError(f"its functionArn {safe(record.function_arn)!r} is not a Lambda function ARN")
    partition, region, account, name = parts[1], parts[3], parts[4], parts[6]
    if name != record.key.function:
        raise RecordError(f"its functionArn names {safe(name)!r}, but it is stored under {record.key.function}")
    if (partition, region, account) != (home.partition, home.region, home.account):
        raise RecordError(
            f"its functionArn is in {safe(region)} of account {safe(account)}, not in the bucket's "
            f"{home.region} of account {home.account}"
        )
    qualifier = parts[7] if len(parts) == 8 and parts[7] != "$LATEST" else None
    return home.function_arn(name, to_qualifier or qualifier)


def _redrive_one(aws: Aws, record: FailureRecord, target: str, tally: Tally, out: TextIO) -> None:
    """Claim, invoke, mark, remove: four requests a record when no other run is in the way.

    The claim stays after a send: it is what tells a run that read the record a moment before it was
    moved that it has been sent. Only a claim taken over from a dead run needs the extra checks.
    """
    key, shown = record.key.key, safe(record.key.key)
    marked = REDRIVEN_PREFIX + key
    try:
        claim = _claim(aws, key)
    except RecordError as exc:
        print(f"failed {shown}: {exc}; the record stays", file=out)
        tally.failed += 1
        return
    if claim.refused:
        print(f"skipped {shown}: {claim.refused}", file=out)
        tally.skipped += 1
        return
    if claim.taken_over and _finished_by_a_dead_run(aws, key, marked, tally, out):
        return
    sent = False
    try:
        try:
            response = aws.lambda_for(target.split(":")[3]).invoke(
                FunctionName=target, InvocationType="Event", Payload=record.payload_text.encode()
            )
        except botocore.exceptions.ClientError as exc:
            print(f"failed {shown}: the invoke was refused: {describe_client_error(exc)}; the record stays", file=out)
            tally.failed += 1
            return
        if response.get("StatusCode") != 202:
            print(f"failed {shown}: Lambda answered {response.get('StatusCode')}, not 202; the record stays", file=out)
            tally.failed += 1
            return
        sent = True
    finally:
        if not sent:  # nothing went out: a later run may send it at once
            with contextlib.suppress(botocore.exceptions.ClientError):
                _delete(aws, CLAIM_PREFIX + key)
    try:
        aws.s3.copy_object(Bucket=aws.target.bucket, Key=marked, CopySource={"Bucket": aws.target.bucket, "Key": key})
        _delete(aws, key)
    except botocore.exceptions.ClientError as exc:
        print(f"failed {shown}: sent, but could not be moved to {safe(marked)}: {describe_client_error(exc)}",
              file=out)  # fmt: skip
        tally.failed += 1
        return
    print(f"sent {shown} to {target}; moved to {safe(marked)}", file=out)
    tally.sent += 1


def _finished_by_a_dead_run(aws: Aws, key: str, marked: str, tally: Tally, out: TextIO) -> bool:
    """After taking over a dead run's claim: did that run send the record already? Then finish its move."""
    shown = safe(key)
    if not _exists(aws, key):
        print(f"skipped {shown}: already redriven by another run", file=out)
        tally.skipped += 1
        return True
    if not _exists(aws, marked):
        return False
    try:  # it sent and marked the record but could not remove the original
        _delete(aws, key)
    except botocore.exceptions.ClientError as exc:
        print(f"failed {shown}: already redriven, but the original could not be removed: "
              f"{describe_client_error(exc)}", file=out)  # fmt: skip
        tally.failed += 1
        return True
    print(f"skipped {shown}: already redriven (found {safe(marked)})", file=out)
    tally.skipped += 1
    return True


@dataclass(frozen=True)
class _Claim:
    refused: str | None = None  # why this run must not send the record
    taken_over: bool = False  # from a run that died: it may have sent or moved the record already


def _claim(aws: Aws, key: str) -> _Claim:
    """Claim a record for this run with S3 conditional writes."""
    claim, bucket = CLAIM_PREFIX + key, aws.target.bucket
    body = json.dumps({"claimedBy": f"{socket.gethostname()}:{os.getpid()}", "record": key}).encode()
    try:
        aws.s3.put_object(Bucket=bucket, Key=claim, Body=body, IfNoneMatch="*")
        return _Claim()
    except botocore.exceptions.ClientError as exc:
        if not _lost_a_race(exc):
            raise RecordError(f"cannot claim it: {describe_client_error(exc)}") from None
    try:
        head = aws.s3.head_object(Bucket=bucket, Key=claim)
    except botocore.exceptions.ClientError:
        return _Claim(refused="another redrive is sending it")
    server_now = _server_time(head) or datetime.now(timezone.utc)
    age = (server_now - head["LastModified"]).total_seconds()
    if age < CLAIM_SECONDS:
        return _Claim(
            refused=f"another redrive claimed it {max(age, 0):.0f} s ago (a claim expires after {CLAIM_SECONDS} s)"
        )
    try:  # the claim of a run that died, or of one that finished: take it over, unless someone else just did
        aws.s3.put_object(Bucket=bucket, Key=claim, Body=body, IfMatch=head["ETag"])
    except botocore.exceptions.ClientError as exc:
        if _lost_a_race(exc):
            return _Claim(refused="another redrive took over its expired claim")
        raise RecordError(f"cannot claim it: {describe_client_error(exc)}") from None
    return _Claim(taken_over=True)


def _lost_a_race(exc: botocore.exceptions.ClientError) -> bool:
    code = exc.response.get("Error", {}).get("Code", "")
    return code in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")


def _server_time(response: HeadObjectOutputTypeDef) -> datetime | None:
    from email.utils import parsedate_to_datetime

    date = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        return parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        return None


def _exists(aws: Aws, key: str) -> bool:
    try:
        aws.s3.head_object(Bucket=aws.target.bucket, Key=key)
    except botocore.exceptions.ClientError:
        return False
    return True


def _delete(aws: Aws, key: str) -> None:
    aws.s3.delete_object(Bucket=aws.target.bucket, Key=key)


def _warn_about_throttled_functions(aws: Aws, home: Home, functions: list[str]) -> None:
    for name in functions:
        target = home.function_arn(name, None)
        try:
            concurrency = aws.lambda_for(home.region).get_function_concurrency(FunctionName=target)
        except botocore.exceptions.ClientError:
            continue
        if concurrency.get("ReservedConcurrentExecutions") == 0:
            print(
                f"warning: {target.rsplit(':', 1)[-1]} has reserved concurrency 0, so Lambda records every redriven "
                "event again at once without running it; raise it (functions[].reserved_concurrency) before redriving",
                file=sys.stderr,
            )
