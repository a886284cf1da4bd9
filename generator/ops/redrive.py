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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, TextIO

import botocore.exceptions

from generator.errors import EXIT_INCOMPLETE, EXIT_OK, AwsError
from generator.ops.aws import MAX_CONNECTIONS, Aws, aws_errors, describe_client_error
from generator.ops.present import Progress, report_problems, safe, suggest_athena
from generator.ops.reading import Selection, select
from generator.ops.records import RECORD_PREFIX, REDRIVEN_PREFIX, FailureRecord, RecordError

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

    Each record is claimed first with a conditional write, so two operators redriving at once send
    it once; a run that dies leaves its claims, which expire after ``CLAIM_SECONDS``. ``to_qualifier``
    sends every event to that version or alias instead of the one its record names.
    """
    pace = pace or Pace()
    out = out or sys.stdout
    with aws_errors(f"cannot redrive from s3://{aws.target.bucket}"):
        outcome = select(aws, selection)
        home = _home(aws) if outcome.records else None
    report_problems(outcome.problems)
    tally = Tally(failed=len(outcome.problems))
    targets: list[tuple[FailureRecord, str]] = []
    for record in sorted(outcome.records, key=lambda r: (r.key.time, r.key.key)):  # oldest first, as they happened
        assert home is not None
        if record.key.redriven:
            print(f"skipped {safe(record.key.key)}: it was redriven already; redrive its original key to send it "
                  "again", file=out)  # fmt: skip
            tally.skipped += 1
            continue
        try:
            targets.append((record, _target(record, home, to_qualifier)))
        except RecordError as exc:
            print(f"failed {safe(record.key.key)}: {exc}; the record stays", file=out)
            tally.failed += 1
    if not targets:
        print("no failure records match; nothing to redrive", file=sys.stderr)
        return EXIT_INCOMPLETE if tally.failed else EXIT_OK
    with aws_errors("cannot read the functions' concurrency"):
        _warn_about_throttled_functions(aws, home, [target for _, target in targets])
    if dry_run:
        for record, target in targets:
            size = len(record.payload_text.encode())
            print(f"would send {safe(record.key.key)} to {target} ({size} bytes)", file=out)
        print(f"dry run: {len(targets)} record(s) would be sent; nothing was sent or moved", file=out)
        suggest_athena(len(targets))
        return EXIT_INCOMPLETE if tally.failed else EXIT_OK
    started = time.monotonic()
    _send_all(aws, targets, tally, out, pace)
    elapsed = time.monotonic() - started
    print(f"redrive: sent {tally.sent}, skipped {tally.skipped}, failed {tally.failed} in {elapsed:.1f} s "
          f"({tally.sent / max(elapsed, 1e-9):.1f} events/s)", file=out)  # fmt: skip
    return EXIT_INCOMPLETE if tally.failed else EXIT_OK


def _send_all(aws: Aws, targets: list[tuple[FailureRecord, str]], tally: Tally, out: TextIO, pace: Pace) -> None:
    """Redrive the targets on ``pace.concurrency`` threads; each record's lines are written whole, in turn."""
    for region in {target.split(":")[3] for _, target in targets}:
        aws.lambda_for(region)  # clients are made here: a boto3 session must not make them on several threads
    progress = Progress(len(targets), sys.stderr)
    pacer, lock = _Pacer(pace.rate), threading.Lock()

    def send(item: tuple[FailureRecord, str]) -> None:
        record, target = item
        pacer.wait()
        lines, own = io.StringIO(), Tally()
        _redrive_one(aws, record, target, own, lines)
        with lock:
            progress.clear()  # each record's line goes above the bar, never into it
            out.write(lines.getvalue())
            out.flush()
            tally.add(own)
            progress.step()

    pool = ThreadPoolExecutor(max_workers=pace.concurrency)
    try:
        for _ in pool.map(send, targets):
            pass
    except botocore.exceptions.BotoCoreError as exc:
        pool.shutdown(wait=True, cancel_futures=True)  # the invokes in flight end; the queued ones never start
        progress.done()
        left = len(targets) - tally.sent - tally.skipped
        raise AwsError(
            f"lost the connection to AWS ({exc}) after sending {tally.sent} of {len(targets)} record(s); "
            f"the {left} not yet sent are still in s3://{aws.target.bucket}/{RECORD_PREFIX}, and the next "
            "redrive sends them"
        ) from None
    finally:
        pool.shutdown(wait=True)
    progress.done()


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
    bucket, key, shown = aws.target.bucket, record.key.key, safe(record.key.key)
    marked = REDRIVEN_PREFIX + key
    if _exists(aws, marked):  # an earlier run sent and marked it but could not remove the original
        try:
            _delete(aws, key)
        except botocore.exceptions.ClientError as exc:
            print(f"failed {shown}: already redriven, but the original could not be removed: "
                  f"{describe_client_error(exc)}", file=out)  # fmt: skip
            tally.failed += 1
            return
        print(f"skipped {shown}: already redriven (found {safe(marked)})", file=out)
        tally.skipped += 1
        return
    taken = _claim(aws, key)
    if taken:
        print(f"skipped {shown}: {taken}", file=out)
        tally.skipped += 1
        return
    release = True
    try:
        if not _exists(aws, key):  # another run sent and moved it after this one listed it
            print(f"skipped {shown}: already redriven by another run", file=out)
            tally.skipped += 1
            return
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
        try:
            aws.s3.copy_object(Bucket=bucket, Key=marked, CopySource={"Bucket": bucket, "Key": key})
            _delete(aws, key)
        except botocore.exceptions.ClientError as exc:
            release = False  # sent but not marked: the claim keeps other runs from sending it again until it expires
            print(f"failed {shown}: sent, but could not be moved to {safe(marked)}: {describe_client_error(exc)}",
                  file=out)  # fmt: skip
            tally.failed += 1
            return
        print(f"sent {shown} to {target}; moved to {safe(marked)}", file=out)
        tally.sent += 1
    finally:
        if release:
            with contextlib.suppress(botocore.exceptions.ClientError):
                _delete(aws, CLAIM_PREFIX + key)


def _claim(aws: Aws, key: str) -> str | None:
    """Claim a record for this run with S3 conditional writes; returns why it cannot be claimed, or None."""
    claim, bucket = CLAIM_PREFIX + key, aws.target.bucket
    body = json.dumps({"claimedBy": f"{socket.gethostname()}:{os.getpid()}", "record": key}).encode()
    try:
        aws.s3.put_object(Bucket=bucket, Key=claim, Body=body, IfNoneMatch="*")
        return None
    except botocore.exceptions.ClientError as exc:
        if not _lost_a_race(exc):
            raise RecordError(f"cannot claim it: {describe_client_error(exc)}") from None
    try:
        head = aws.s3.head_object(Bucket=bucket, Key=claim)
    except botocore.exceptions.ClientError:
        return "another redrive is sending it"
    server_now = _server_time(head) or datetime.now(timezone.utc)
    age = (server_now - head["LastModified"]).total_seconds()
    if age < CLAIM_SECONDS:
        return f"another redrive claimed it {max(age, 0):.0f} s ago (a claim expires after {CLAIM_SECONDS} s)"
    try:  # the claim of a run that died: take it over, unless someone else just did
        aws.s3.put_object(Bucket=bucket, Key=claim, Body=body, IfMatch=head["ETag"])
    except botocore.exceptions.ClientError as exc:
        if _lost_a_race(exc):
            return "another redrive took over its expired claim"
        raise RecordError(f"cannot claim it: {describe_client_error(exc)}") from None
    return None


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


def _warn_about_throttled_functions(aws: Aws, home: Home | None, targets: list[str]) -> None:
    assert home is not None
    for target in sorted({":".join(t.split(":")[:7]) for t in targets}):
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
