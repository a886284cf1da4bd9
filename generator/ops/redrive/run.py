"""The redrive run: send each failed event back to its function, at most once per claim, then move its record aside.

Nothing in the bucket is trusted that this tool did not write itself. A function's role may write its
own records only (the rendered role policy), but a policy attached by hand can widen that, so: the key
names the function, and the bucket's own account and region are where it runs; a claim counts as a
redrive's only when it names its run and the record's ETag; a record is taken for sent only when
``redriven/<key>`` carries its ETag or holds its very bytes. Two operators at once are kept apart by S3
conditional writes on a claim object per record (``claims``); ``targets`` says where an event may go. A run
that leaves a selected record unsent exits 1 and says why, and when a claim holding it expires.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TextIO

import botocore.exceptions

from generator.bucket_layout import CLAIM_PREFIX, RECORD_PREFIX, REDRIVEN_PREFIX
from generator.errors import EXIT_INCOMPLETE, EXIT_OK, AwsError, UsageError
from generator.ops.aws import MAX_CONNECTIONS, Aws, aws_errors, describe_client_error
from generator.ops.present import Progress, report_problems, safe, suggest_athena
from generator.ops.queues import QUEUE_KEY_PREFIX, Queue, queue_named, queue_of_selection
from generator.ops.reading import Selection, read_records, selected_keys
from generator.ops.records import (
    FailureRecord,
    Problem,
    RecordError,
    RecordGoneError,
    RecordKey,
)
from generator.ops.redrive import claims
from generator.ops.redrive.claims import (
    RUN_METADATA,
    SOURCE_ETAG_METADATA,
    Held,
    delete,
    exists,
    head,
    stamp,
    take_claim,
)
from generator.ops.redrive.invoking import canary_lines, invoke, too_large
from generator.ops.redrive.targets import Home, bucket_home, invoke_target, warn_about_throttled_functions
from generator.record import Record, field

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import HeadObjectOutputTypeDef

HELD_WAIT_SECONDS = 30.0  # by default, how long a run waits at its end for records another live run claimed
MAX_CONCURRENCY = MAX_CONNECTIONS  # invokes in flight at once: no more than a client's connection pool holds


class Tally(Record, frozen=False):
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    held: list[Held] = field(default_factory=list)  # records another claim kept this run from sending
    canary_failed: bool = False  # a canary the function failed on: the run sends nothing more

    def add(self, other: Tally) -> None:
        self.sent, self.skipped, self.failed = (self.sent + other.sent, self.skipped + other.skipped,
                                                self.failed + other.failed)  # fmt: skip
        self.held.extend(other.held)
        self.canary_failed = self.canary_failed or other.canary_failed


class Pace(Record):
    """How fast to redrive: invokes in flight at once, at most ``rate`` started a second (None: no cap), and how
    long to wait at the end for the records another live run has claimed to be moved (0: not at all)."""

    concurrency: int = 4
    rate: float | None = None
    held_wait_seconds: float = HELD_WAIT_SECONDS
    canary: int = 0  # send this many first, one at a time and synchronously; stop if the function fails on one


class Pacer:
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


def run_redrive(
    aws: Aws,
    selection: Selection,
    dry_run: bool,
    out: TextIO | None = None,
    *,
    pace: Pace | None = None,
    to_qualifier: str | None = None,
    again: bool = False,
) -> int:
    """Send each selected record's payload back to its function; move the record under redriven/ once accepted.

    Records are read batch by batch as they are sent, oldest first, so memory holds the selected keys
    and a few batches however many records there are. Each record is claimed first with a conditional
    write, so two operators redriving at once send it once; ``to_qualifier`` sends every event to that
    version or alias instead of the one its record names. ``again`` sends records already under
    redriven/ once more, with the same claims, and leaves them there.
    """
    out = out or sys.stdout
    queue = _queue_of(aws, selection)
    if queue is not None:
        if again:
            raise UsageError("--again sends records kept under redriven/ in the bucket; a queue keeps no sent record")
        from generator.ops.redrive.queued import redrive_queue

        return redrive_queue(aws, queue, selection, dry_run, out, pace=pace or Pace(), to_qualifier=to_qualifier)
    with aws_errors(f"cannot redrive from s3://{aws.target.bucket}"):
        keys, problems = selected_keys(aws, selection)
    report_problems(problems)
    run = _Run(aws, out, pace or Pace(), to_qualifier, again)
    run.tally.failed = len(problems)
    pending: list[RecordKey] = []
    for key in reversed(keys):  # oldest first, as they happened
        if key.redriven and not again:
            again_command = f"python -m generator failures redrive --again {safe(key.key)}"
            run.report(f"failed {safe(key.key)}: it was redriven already, so it is not sent; to send it once "
                       f"more: {again_command}", Tally(failed=1))  # fmt: skip
        elif again and not key.redriven:
            run.report(f"failed {safe(key.key)}: --again sends records already redriven (redriven/...); "
                       "redrive this one without --again", Tally(failed=1))  # fmt: skip
        else:
            pending.append(key)
    if pending:
        with aws_errors(f"cannot redrive from s3://{aws.target.bucket}"):
            run.home = bucket_home(aws)
        with aws_errors("cannot read the functions' concurrency"):
            warn_about_throttled_functions(aws, run.home, sorted({key.function for key in pending}))
        with aws_errors(f"cannot redrive from s3://{aws.target.bucket}"):
            reads = _stream(aws, pending, selection)
            if dry_run:
                run.dry_run(reads)
            else:
                run.send(reads, len(pending))
                run.wait_for_held()
    return run.finish(dry_run)


_Read = tuple[RecordKey, FailureRecord | RecordError]


def _queue_of(aws: Aws, selection: Selection) -> Queue | None:
    """The queue a redrive reads: the one --function's records go to, or the one its sqs: keys name."""
    queued = [key for key in selection.keys if key.startswith(QUEUE_KEY_PREFIX)]
    if not queued:
        return queue_of_selection(aws, selection.function)
    names = {key[len(QUEUE_KEY_PREFIX) :].partition("/")[0] for key in queued}
    if len(names) > 1 or len(queued) != len(selection.keys):
        raise UsageError("redrive the records of one queue at a time, and queued records apart from the bucket's")
    return queue_named(aws, names.pop())


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

    def __init__(self, aws: Aws, out: TextIO, pace: Pace, to_qualifier: str | None, again: bool = False) -> None:
        self.aws, self.out, self.pace, self.to_qualifier, self.again = aws, out, pace, to_qualifier, again
        self.run_id = str(uuid.uuid4())  # what its claims and markers name, so that no other writer passes for it
        self.home: Home | None = None
        self.tally = Tally()
        self.matched = 0  # records read that the selection keeps, whether sent or not
        self.elapsed = 0.0
        self.lock = threading.Lock()
        self.progress = Progress(0, sys.stderr)
        self.closed = False  # standard output was closed (`| head`): stop sending, say so on stderr
        self.remaining: list[Held] = []  # held records still unsent at the end
        self.canary_stopped = False  # a canary failed, so the run sent nothing after it

    def report(self, text: str, outcome: Tally) -> None:
        """One record's line, written whole above the progress bar, and its count."""
        with self.lock:
            self.progress.clear()
            self.tally.add(outcome)
            if self.closed:
                return
            try:
                print(text, file=self.out)
                self.out.flush()
            except BrokenPipeError:  # the reader is gone: no more lines, and no more records sent unseen
                self.closed = True
                with contextlib.suppress(OSError, ValueError):
                    os.dup2(os.open(os.devnull, os.O_WRONLY), self.out.fileno())

    def targets(self, reads: Iterator[_Read]) -> Iterator[tuple[FailureRecord, str]]:
        """The records that can be sent, with where to; the others are reported as they come."""
        assert self.home is not None
        for key, result in reads:
            if self.closed:
                return
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
                    target = invoke_target(result, self.home, self.to_qualifier)
                except RecordError as exc:
                    self.report(f"failed {safe(key.key)}: {exc}; the record stays", Tally(failed=1))
                else:
                    yield result, target
                    continue
            self._step()

    def dry_run(self, reads: Iterator[_Read]) -> None:
        for record, target in self.targets(reads):
            size = len(record.payload_text.encode())
            self.report(f"would send {safe(record.key.key)} to {target} ({size} bytes)", Tally())

    def send(self, reads: Iterator[_Read], total: int) -> None:
        """Redrive on ``pace.concurrency`` threads, with at most twice that many records waiting for a thread."""
        assert self.home is not None
        self.aws.lambda_for(self.home.region)  # made here: a boto3 session must not make clients on several threads
        self.progress = Progress(total, sys.stderr)
        pacer = Pacer(self.pace.rate)
        started = time.monotonic()

        def send_one(item: tuple[FailureRecord, str]) -> None:
            if self.closed:
                return
            record, target = item
            pacer.wait()
            lines, own = io.StringIO(), Tally()
            _Send(self.aws, record, target, tally=own, out=lines, run_id=self.run_id).run(again=self.again)
            self.report(lines.getvalue().rstrip("\n"), own)
            self._step()

        targets = self.targets(reads)
        if self.pace.canary and not self._canaries_pass(targets):
            self.elapsed = time.monotonic() - started
            self.progress.done()
            return
        waiting: deque[Future[None]] = deque()
        pool = ThreadPoolExecutor(max_workers=self.pace.concurrency)
        try:
            for item in targets:
                waiting.append(pool.submit(send_one, item))
                while len(waiting) > 2 * self.pace.concurrency:
                    waiting.popleft().result()
            while waiting:
                waiting.popleft().result()
        except botocore.exceptions.BotoCoreError as exc:
            pool.shutdown(wait=True, cancel_futures=True)  # the invokes in flight end; the queued ones never start
            self.progress.done()
            expiry = datetime.now(UTC) + timedelta(seconds=claims.CLAIM_SECONDS)
            raise AwsError(
                f"lost the connection to AWS ({exc}) after sending {self.tally.sent} record(s); the records not "
                f"sent are still in s3://{self.aws.target.bucket}/{RECORD_PREFIX}, and any this run had claimed "
                f"is held by its claim until {stamp(expiry)} at the latest: run the same redrive again after that"
            ) from None
        finally:
            pool.shutdown(wait=True)
            self.elapsed = time.monotonic() - started
        self.progress.done()

    def _canaries_pass(self, targets: Iterator[tuple[FailureRecord, str]]) -> bool:
        """Send the first ``pace.canary`` records synchronously, one by one; False when the function failed on one."""
        for record, target in itertools.islice(targets, self.pace.canary):
            lines, own = io.StringIO(), Tally()
            _Send(self.aws, record, target, tally=own, out=lines, run_id=self.run_id, synchronous=True).run(
                again=self.again
            )
            self.report(lines.getvalue().rstrip("\n"), own)
            self._step()
            if own.canary_failed:
                self.canary_stopped = True
                return False
        return True

    def wait_for_held(self) -> None:
        """Records another run claimed are sent by it, or left behind: wait briefly for them to be moved."""
        held = list(self.tally.held)
        patience = self.pace.held_wait_seconds
        deadline = time.monotonic() + patience
        if held and patience and not self.closed:
            print(f"waiting up to {patience:g} s for {len(held)} record(s) another claim holds",
                  file=sys.stderr)  # fmt: skip
        while held and not self.closed:
            held = [record for record in held if not record.done(self.aws)]
            if not held or time.monotonic() >= deadline:
                break
            time.sleep(min(1.0, patience))
        self.remaining = sorted(held, key=lambda record: record.expires)

    def finish(self, dry_run: bool) -> int:
        """The closing lines, and an exit code that is 0 only if every selected record was dealt with."""
        tally = self.tally
        if not self.matched and not tally.failed and not tally.skipped:
            print("no failure records match; nothing to redrive", file=sys.stderr)
            return EXIT_OK
        summary = sys.stderr if self.closed else self.out
        if dry_run:
            print(f"dry run: {self.matched} record(s) would be sent; nothing was sent or moved", file=summary)
            suggest_athena(self.matched)
            return EXIT_INCOMPLETE if tally.failed or self.closed else EXIT_OK
        print(f"redrive: sent {tally.sent}, skipped {tally.skipped}, failed {tally.failed} in {self.elapsed:.1f} s "
              f"({tally.sent / max(self.elapsed, 1e-9):.1f} events/s)", file=summary)  # fmt: skip
        if self.closed:
            print("redrive: stopped early, since standard output was closed: the selected records not sent are "
                  f"still in s3://{self.aws.target.bucket}; run the same redrive again to send them",
                  file=sys.stderr)  # fmt: skip
        if self.canary_stopped:
            print("redrive: the function failed on a canary, so nothing after it was sent; the failed canary's "
                  "record stays, as do the records not sent: fix the function, then run the same redrive again",
                  file=sys.stderr)  # fmt: skip
        if self.remaining:
            last = self.remaining[-1].expires
            print(f"redrive: {len(self.remaining)} record(s) were not sent and are still in place, held by a claim "
                  f"that another run, or something else, wrote; it can be taken over after {stamp(last)}: run "
                  "the same redrive again then", file=sys.stderr)  # fmt: skip
        return EXIT_INCOMPLETE if tally.failed or self.remaining or self.closed or self.canary_stopped else EXIT_OK

    def _step(self) -> None:
        with self.lock:
            self.progress.step()


class _Send:
    """One record's redrive: claim, invoke, mark, remove; four requests when no other run is in the way.

    The claim stays after a send: it is what tells a run that read the record a moment before it was
    moved that it has been sent. Only a claim taken over from a dead run needs the extra checks.
    """

    def __init__(
        self, aws: Aws, record: FailureRecord, target: str, *, tally: Tally, out: TextIO, run_id: str,
        synchronous: bool = False,
    ) -> None:  # fmt: skip
        self.aws, self.record, self.target, self.tally, self.out, self.run_id = aws, record, target, tally, out, run_id
        self.synchronous = synchronous  # a canary: RequestResponse, its answer and log tail shown
        self.key = record.key.key
        self.shown = safe(self.key)
        # --again sends a redriven/ copy, which stays where it is: its claim has a key of its own.
        self.marked = self.key if record.key.redriven else REDRIVEN_PREFIX + self.key

    def say(self, text: str) -> None:
        print(text, file=self.out)

    def fail(self, why: str) -> None:
        self.say(f"failed {self.shown}: {why}")
        self.tally.failed += 1

    def run(self, *, again: bool = False) -> None:
        oversize = too_large(self.record.payload_text.encode(), self.synchronous)
        if oversize:  # before any claim: a record that can never be sent as it is is reported, not tried
            self.fail(f"{oversize}; the record stays")
            return
        try:
            claim = take_claim(self.aws, self.key, self.record.etag, self.run_id)
        except RecordError as exc:
            self.fail(f"{exc}; the record stays")
            return
        if claim.refused:
            self.say(f"skipped {self.shown}: {claim.refused}")
            self.tally.skipped += 1
            self.tally.held.append(Held(self.key, claim.expires, claim.holder_run, again))
            return
        if claim.taken_over and not again and self._finished_by_a_dead_run():
            return
        if not self._invoke():
            return
        if again:
            self._note_sent_again()
        else:
            self._move()

    def _invoke(self) -> bool:
        """Send the payload byte for byte; when nothing went out, or a canary failed, release the claim."""
        result = invoke(self.aws, self.target, self.record.payload_text.encode(), synchronous=self.synchronous)
        if self.synchronous and result.sent:
            for line in canary_lines(self.shown, self.target, result):
                self.say(line)
        if result.sent and not result.failed_canary:
            return True
        if result.failed_canary:
            self.tally.failed += 1
            self.tally.canary_failed = True
        else:
            self.fail(f"{result.why}; the record stays")
        # The record stays in place: a later run may send it at once.
        with contextlib.suppress(botocore.exceptions.ClientError):
            delete(self.aws, CLAIM_PREFIX + self.key)
        return False

    def _move(self) -> None:
        """Copy exactly the version that was sent to redriven/, naming its ETag and this run, then remove it."""
        try:
            self.aws.s3.copy_object(
                Bucket=self.aws.target.bucket, Key=self.marked, CopySourceIfMatch=self.record.etag,
                CopySource={"Bucket": self.aws.target.bucket, "Key": self.key}, MetadataDirective="REPLACE",
                Metadata={SOURCE_ETAG_METADATA: self.record.etag, RUN_METADATA: self.run_id},
            )  # fmt: skip
            delete(self.aws, self.key)
        except botocore.exceptions.ClientError as exc:
            self.fail(f"sent, but could not be moved to {safe(self.marked)}: {describe_client_error(exc)}")
            return
        self.say(f"sent {self.shown} to {self.target}; moved to {safe(self.marked)}")
        self.tally.sent += 1

    def _note_sent_again(self) -> None:
        try:
            self.aws.s3.copy_object(
                Bucket=self.aws.target.bucket, Key=self.key, CopySource={"Bucket": self.aws.target.bucket,
                "Key": self.key}, CopySourceIfMatch=self.record.etag, MetadataDirective="REPLACE",
                Metadata={SOURCE_ETAG_METADATA: self.record.etag, RUN_METADATA: self.run_id},
            )  # fmt: skip
        except botocore.exceptions.ClientError as exc:
            self.say(f"note: {self.shown} was sent again, but its run could not be noted on it: "
                     f"{describe_client_error(exc)}")  # fmt: skip
        self.say(f"sent {self.shown} again to {self.target}; it stays under {REDRIVEN_PREFIX}")
        self.tally.sent += 1

    def _finished_by_a_dead_run(self) -> bool:
        """After taking over a dead run's claim: did that run send the record already? Then finish its move.

        Only a copy that carries this record's ETag, or holds its very bytes, counts as sent: anything else
        under redriven/ was not written by a redrive of this record, and the record stays where it is.
        """
        marker = head(self.aws, self.marked)
        if not exists(self.aws, self.key):
            self.say(f"skipped {self.shown}: already redriven by another run")
            self.tally.skipped += 1
            return True
        if marker is None:
            return False
        if not self._is_a_copy(marker):
            self.fail(f"{safe(self.marked)} exists but is no copy of this record (neither its ETag nor its bytes "
                      "match); nothing was sent, and the record stays: compare the two with failures show, and "
                      "delete the one that is wrong")  # fmt: skip
            return True
        try:  # it sent and marked the record but could not remove the original
            delete(self.aws, self.key)
        except botocore.exceptions.ClientError as exc:
            self.fail(f"already redriven, but the original could not be removed: {describe_client_error(exc)}")
            return True
        self.say(f"skipped {self.shown}: already redriven (found {safe(self.marked)}, a copy of it)")
        self.tally.skipped += 1
        return True

    def _is_a_copy(self, marker: HeadObjectOutputTypeDef) -> bool:
        if self.record.etag and marker.get("Metadata", {}).get(SOURCE_ETAG_METADATA) == self.record.etag:
            return True
        try:  # one read of each: the original must still be the version sent, and the copy hold its bytes
            original = self.aws.s3.get_object(Bucket=self.aws.target.bucket, Key=self.key)
            copy = self.aws.s3.get_object(Bucket=self.aws.target.bucket, Key=self.marked)["Body"].read()
        except botocore.exceptions.ClientError:
            return False
        return original.get("ETag") == self.record.etag and copy == original["Body"].read()
