"""Redrive from an SQS queue destination: receive as the claim, invoke, then delete with the receipt held.

A message received with a visibility timeout of ``queues.CLAIM_SECONDS`` cannot be received by anyone else
until it expires, so two operators never send one record: each sends what it received. The run invokes
only while its claim has at least ``queues.CLAIM_MARGIN_SECONDS`` left, and deletes the message as soon as
Lambda accepted the event. What it does not send (not selected, refused, too large, a canary failed) is shown
again at the end, unless it is near its receive limit, when it is renewed as a look would (``queues``).

A run killed between an accepted invoke and its delete leaves that message to come back after its claim;
the next run would send it a second time. That window is one request long; the S3 bucket's claims close it
with a marker, which a queue has no place for.
"""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TextIO

import botocore.exceptions

from generator.errors import EXIT_INCOMPLETE, EXIT_OK
from generator.ops.aws import Aws, aws_errors, describe_client_error
from generator.ops.present import safe
from generator.ops.queues import (
    CLAIM_MARGIN_SECONDS,
    CLAIM_SECONDS,
    LookResult,
    Queue,
    Received,
    delete,
    in_flight,
    note_look,
    queues_of,
    receive,
    release,
    renew_if_near_limit,
    selects,
)
from generator.ops.reading import Selection
from generator.ops.records import RecordError
from generator.ops.redrive.invoking import canary_lines, invoke, too_large
from generator.ops.redrive.run import Pace, Pacer
from generator.ops.redrive.targets import Home, invoke_target, warn_about_throttled_functions
from generator.record import Record

_LATER = "later"  # a copy of a record being sent in the same batch: settled once that send is done


class _Tally(Record, frozen=False):
    sent: int = 0
    failed: int = 0
    copies: int = 0  # copies of a record sent in this run, deleted unsent
    canaries_left: int = 0
    canary_failed: bool = False


def redrive_queue(
    aws: Aws,
    queue: Queue,
    selection: Selection,
    dry_run: bool,
    out: TextIO,
    *,
    pace: Pace,
    to_qualifier: str | None = None,
) -> int:
    """Send each selected record of the queue and its dead-letter queue back to its function, then delete it."""
    with aws_errors(f"cannot redrive from {queue.name}"):
        identity = aws.sts().get_caller_identity()
        home = Home(identity["Arn"].split(":")[1], identity["Account"], queue.arn.split(":")[3])
        if not dry_run:
            warn_about_throttled_functions(aws, home, list(queue.functions))
        run = _QueueRun(aws, queue, selection, dry_run=dry_run, out=out, pace=pace, to_qualifier=to_qualifier,
                        home=home)  # fmt: skip
        try:
            for source in queues_of(queue):
                run.drain(source)
        finally:
            release(aws, run.kept)
    return run.finish()


class _QueueRun:
    def __init__(
        self, aws: Aws, queue: Queue, selection: Selection, *, dry_run: bool, out: TextIO, pace: Pace,
        to_qualifier: str | None, home: Home,
    ) -> None:  # fmt: skip
        self.aws, self.queue, self.selection, self.dry_run, self.out = aws, queue, selection, dry_run, out
        self.pace, self.to_qualifier, self.home = pace, to_qualifier, home
        self.tally = _Tally(canaries_left=pace.canary)
        self.kept: list[Received] = []  # received and not sent: shown again when the run ends
        self.sent_bodies: dict[str, str] = {}  # request id -> the body sent, to tell a renewal's copy
        self.look = LookResult()
        self.matched = 0
        self.sent_payloads: set[str] = set()  # the events this run sent, as their exact text
        self.arrived = 0  # records of those events that came back during the run, left for the next run
        self.pacer = Pacer(pace.rate)
        self.lock = threading.RLock()
        self.started = time.monotonic()

    def drain(self, source: Queue) -> None:
        # A dry run only looks, so it hides messages for as long as a look does.
        visibility = 60 if self.dry_run else CLAIM_SECONDS
        kept_before = len(self.kept)
        with ThreadPoolExecutor(max_workers=self.pace.concurrency) as pool:
            while batch := receive(self.aws, source, visibility):
                self.kept.extend(batch)  # shown again when the run ends, however it ends, unless dealt with
                self._batch(batch, pool)
        self.look.in_flight += max(0, in_flight(self.aws, source) - (len(self.kept) - kept_before))

    def _batch(self, batch: list[Received], pool: ThreadPoolExecutor) -> None:
        """Decide each message in order, send the chosen ones (canaries one by one, first), then settle copies."""
        sends: list[tuple[Received, str, bool]] = []
        copies: list[Received] = []  # of a record being sent in this batch: deleted once it is sent
        for message in batch:
            decision = self._decide(message, {m.record.request_id for m, _, _ in sends if m.record})
            if decision == _LATER:
                copies.append(message)
            elif isinstance(decision, tuple):
                sends.append((message, *decision))
            elif decision or self._renewed(message):
                self.kept.remove(message)
        canaries = [send for send in sends if send[2]]
        for message, target, _ in canaries:
            self._settle(message, self._send(message, target, canary=True))
        rest = [send for send in sends if not send[2]]
        if rest and not self.tally.canary_failed:
            for (message, _, _), done in zip(
                rest, pool.map(lambda s: self._send(s[0], s[1], False), rest), strict=True
            ):
                self._settle(message, done)
        for message in copies:
            sent = message.record is not None and self.sent_bodies.get(message.record.request_id) == message.body
            self._settle(message, sent and self._delete_copy(message))

    def _settle(self, message: Received, done: bool) -> None:
        if done or self._renewed(message):
            self.kept.remove(message)

    def _decide(self, message: Received, sending: set[str]) -> bool | str | tuple[str, bool]:
        """What to do with one message: True dealt with, False leave it, ``_LATER`` a copy of one being sent, or
        (target, canary) to send it."""
        record = message.record
        if (
            record is not None
            and record.payload_text in self.sent_payloads
            and record.request_id not in self.sent_bodies
            and record.request_id not in sending
        ):
            # A new record of an event this run sent: it failed again. Sending it now would loop for as long as the
            # function keeps failing (with reserved concurrency 0, Lambda records each event again at once).
            self.arrived += 1
            return False
        if record is None:
            self._say(f"failed {safe(message.name)}: {safe(message.problem or '')}; the message stays")
            self.tally.failed += 1
            return False
        if not selects(self.selection, record) or self.tally.canary_failed or self._limit_reached():
            return False
        if self.sent_bodies.get(record.request_id) == message.body:
            return self._delete_copy(message)
        if record.request_id in sending:
            return _LATER
        self.matched += 1
        try:
            target = invoke_target(record, self.home, self.to_qualifier)
        except RecordError as exc:
            return self._fail(message, str(exc))
        canary = self.tally.canaries_left > 0 and not self.dry_run
        oversize = too_large(record.payload_text.encode(), canary)
        if oversize:
            return self._fail(message, oversize)
        if self.dry_run:
            self._say(f"would send {safe(message.name)} to {target} ({len(record.payload_text.encode())} bytes)")
            return False
        if time.monotonic() - message.received_at > CLAIM_SECONDS - CLAIM_MARGIN_SECONDS:
            self._say(f"skipped {safe(message.name)}: its claim ends in under {CLAIM_MARGIN_SECONDS} s; it shows again")
            return False
        self.tally.canaries_left -= canary
        self.sent_payloads.add(record.payload_text)
        return target, canary

    def _send(self, message: Received, target: str, canary: bool) -> bool:
        """Invoke, then delete the message; on the sending threads, so what they share is changed under the lock."""
        assert message.record is not None
        self.pacer.wait()
        result = invoke(self.aws, target, message.record.payload_text.encode(), synchronous=canary)
        if canary and result.sent:
            for line in canary_lines(safe(message.name), target, result):
                self._say(line)
        if not result.sent:
            return self._fail(message, result.why)
        if result.failed_canary:
            with self.lock:
                self.tally.failed += 1
                self.tally.canary_failed = True
            return False
        with self.lock:
            self.sent_bodies[message.record.request_id] = message.body
        try:
            delete(self.aws, message)
        except botocore.exceptions.ClientError as exc:
            self._say(f"sent {safe(message.name)} to {target}, but could not delete its message: "
                      f"{describe_client_error(exc)}; it shows again when its claim ends, and a later redrive "
                      "would send it again: delete it first", )  # fmt: skip
            with self.lock:
                self.tally.failed += 1
            return True
        self._say(f"sent {safe(message.name)} to {target}; deleted from {message.queue.name}")
        with self.lock:
            self.tally.sent += 1
        return True

    def _delete_copy(self, message: Received) -> bool:
        try:
            delete(self.aws, message)
        except botocore.exceptions.ClientError:
            return False
        self.tally.copies += 1
        return True

    def _fail(self, message: Received, why: str) -> bool:
        self._say(f"failed {safe(message.name)}: {why}; the message stays")
        with self.lock:
            self.tally.failed += 1
        return False

    def _renewed(self, message: Received) -> bool:
        """A message the run leaves in the queue, renewed if it is near its receive limit (see ``queues``)."""
        return renew_if_near_limit(self.aws, message, self.look)

    def _limit_reached(self) -> bool:
        return self.selection.limit is not None and self.matched >= self.selection.limit

    def _say(self, text: str) -> None:
        with self.lock:
            print(text, file=self.out)

    def finish(self) -> int:
        note_look(self.queue, self.look)
        tally, elapsed = self.tally, time.monotonic() - self.started
        if self.dry_run:
            print(f"dry run: {self.matched} record(s) would be sent; nothing was sent or deleted", file=self.out)
            return EXIT_INCOMPLETE if tally.failed else EXIT_OK
        if not self.matched and not tally.failed:
            print("no failure records match; nothing to redrive", file=sys.stderr)
            return EXIT_INCOMPLETE if self.look.in_flight else EXIT_OK
        if self.arrived:
            print(f"redrive: {self.arrived} new record(s) of events this run sent came back (they failed again), or "
                  "of other events with the same payload; they wait for the next run", file=sys.stderr)  # fmt: skip
        copies = f", deleted {tally.copies} copies of records sent" if tally.copies else ""
        print(f"redrive: sent {tally.sent}, failed {tally.failed}{copies} in {elapsed:.1f} s", file=self.out)
        if tally.canary_failed:
            print("redrive: the function failed on a canary, so nothing after it was sent; the canary's message and "
                  "the ones not sent stay in the queue: fix the function, then run the same redrive again",
                  file=sys.stderr)  # fmt: skip
        return EXIT_INCOMPLETE if tally.failed or tally.canary_failed or self.look.in_flight else EXIT_OK
