"""Records in an SQS queue destination: reading them without pushing any into the dead-letter queue, and claims.

SQS has no way to look at a message without receiving it, and every receive counts toward the queue's
``maxReceiveCount``: the receive after the last one allowed moves the message to the dead-letter queue
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
So the failure tools keep these rules:

- **A look hides what it received for ``LOOK_SECONDS``** (the visibility timeout of its receives), so one pass
  sees each message once, and shows it again as soon as the pass ends (visibility 0). A run that is killed
  hides them for at most that long.
- **A look never spends the last receives.** A message received ``RECEIVES_LEFT_TO_KEEP`` or fewer receives short of
  the limit is sent again as a fresh message with the same body, and the old one deleted: its record stays,
  with its receive count back at zero and a new message id. Records are therefore named by their request id
  (``sqs:<queue>/<requestId>``), which never changes, and not by message id.
- **The dead-letter queue is read too.** A record another consumer pushed there is still a failure to handle.
- **Redrive's claim is the visibility timeout**: it receives with ``CLAIM_SECONDS``, so no other run can receive the
  message while it sends; it invokes, then deletes the message with the receipt it holds. A message whose claim is
  too near its end to send safely is shown again instead.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import botocore.exceptions

from generator.errors import UsageError
from generator.ops.aws import Aws, aws_errors, describe_client_error
from generator.ops.present import safe
from generator.ops.reading import Selection
from generator.ops.records import FailureRecord, RecordError, RecordKey
from generator.record import Record, field

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

QUEUE_KEY_PREFIX = "sqs:"  # a queued record is named sqs:<queue name>/<request id>
LOOK_SECONDS = 60  # how long a look hides each message it received, so that one pass sees each once
CLAIM_SECONDS = 900  # how long a redrive holds a message it sends: SQS's visibility timeout is the claim
CLAIM_MARGIN_SECONDS = 60  # a claim with less than this left is not used to send: the invoke could outlast it
RECEIVES_LEFT_TO_KEEP = 1  # a look renews a message this many receives (or fewer) short of maxReceiveCount
_BATCH = 10  # the most messages one ReceiveMessage returns
# Long polling asks every SQS server, so an empty answer means the queue has no visible message; short polling
# samples a few servers and may answer empty while messages wait.
_WAIT_SECONDS = 1


class Queue(Record):
    """A queue that holds failure records, and what reading it must respect."""

    name: str
    url: str
    arn: str
    functions: tuple[str, ...]  # the functions whose on_failure destination it is (or whose queue's DLQ)
    max_receive_count: int | None  # None: no redrive policy, so receives never move a message
    dead_letter: Queue | None = None  # the queue messages move to after max_receive_count receives
    is_dead_letter: bool = False


class Received(Record):
    """One message as a pass received it: its record, or why it is not one, and the receipt that holds it."""

    queue: Queue
    message_id: str
    receipt: str
    receive_count: int
    body: str
    received_at: float  # time.monotonic() of the receive
    record: FailureRecord | None = None
    problem: str | None = None

    @property
    def name(self) -> str:
        request = self.record.request_id if self.record else self.message_id
        return f"{QUEUE_KEY_PREFIX}{self.queue.name}/{request}"


class LookResult(Record, frozen=False):
    """What a pass over a queue found beyond its records: renewed messages and the ones out of sight."""

    renewed: int = 0
    duplicates: int = 0
    in_flight: int = 0  # messages another reader held while this pass ran
    renew_failures: list[str] = field(default_factory=list)


def sqs(aws: Aws, region: str) -> SQSClient:
    return aws.sqs_for(region)


def queue_for(aws: Aws, arn: str, functions: tuple[str, ...]) -> Queue:
    """The queue an ARN names, with its dead-letter queue, found through GetQueueUrl and its RedrivePolicy."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        raise UsageError(f"{safe(arn)} is not an SQS queue ARN")
    region, account, name = parts[3], parts[4], parts[5]
    client = sqs(aws, region)
    url = client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"]).get("Attributes", {})
    policy = _redrive_policy(attributes.get("RedrivePolicy"))
    if policy is None:
        return Queue(name, url, arn, functions, None)
    dead_arn, limit = policy
    dead_parts = dead_arn.split(":")
    dead_url = sqs(aws, dead_parts[3]).get_queue_url(QueueName=dead_parts[5], QueueOwnerAWSAccountId=dead_parts[4])
    dead_attributes = (
        sqs(aws, dead_parts[3])
        .get_queue_attributes(QueueUrl=dead_url["QueueUrl"], AttributeNames=["RedrivePolicy"])
        .get("Attributes", {})
    )
    dead_policy = _redrive_policy(dead_attributes.get("RedrivePolicy"))
    dead = Queue(dead_parts[5], dead_url["QueueUrl"], dead_arn, functions, dead_policy[1] if dead_policy else None,
                 is_dead_letter=True)  # fmt: skip
    return Queue(name, url, arn, functions, limit, dead)


def _redrive_policy(text: str | None) -> tuple[str, int] | None:
    if not text:
        return None
    try:
        policy = json.loads(text)
        return str(policy["deadLetterTargetArn"]), int(policy["maxReceiveCount"])
    except (ValueError, KeyError, TypeError):
        return None


def region_of(queue: Queue) -> str:
    return queue.arn.split(":")[3]


def receive(aws: Aws, queue: Queue, visibility: int) -> list[Received]:
    """Up to ten messages, hidden from other readers for ``visibility`` seconds, each parsed into its record."""
    answer = sqs(aws, region_of(queue)).receive_message(
        QueueUrl=queue.url, MaxNumberOfMessages=_BATCH, VisibilityTimeout=visibility, WaitTimeSeconds=_WAIT_SECONDS,
        MessageSystemAttributeNames=["ApproximateReceiveCount", "SentTimestamp"], MessageAttributeNames=["All"],
    )  # fmt: skip
    now = time.monotonic()
    return [_parse(queue, message, now) for message in answer.get("Messages", [])]


def _parse(queue: Queue, message: Any, now: float) -> Received:
    attributes = message.get("Attributes", {})
    body = message.get("Body", "")
    record, problem = None, None
    try:
        record = _record_in(queue, message["MessageId"], body, attributes)
    except RecordError as exc:
        problem = str(exc)
    return Received(queue, message["MessageId"], message["ReceiptHandle"],
                    int(attributes.get("ApproximateReceiveCount", "1")), body, now, record, problem)  # fmt: skip


def _record_in(queue: Queue, message_id: str, body: str, attributes: dict[str, str]) -> FailureRecord:
    """The record a message holds, named by its queue and request id, and timed by its timestamp."""
    sent = datetime.fromtimestamp(int(attributes.get("SentTimestamp", "0")) / 1000, UTC)
    provisional = RecordKey(key=f"{QUEUE_KEY_PREFIX}{queue.name}/{message_id}", function="", time=sent)
    record = FailureRecord.parse(provisional, body.encode())
    function = _function_of(record, queue)
    moment = _record_time(record.timestamp) or sent
    key = RecordKey(key=f"{QUEUE_KEY_PREFIX}{queue.name}/{record.request_id}", function=function, time=moment)
    return FailureRecord.parse(key, body.encode())


def _function_of(record: FailureRecord, queue: Queue) -> str:
    """The function a queued record belongs to: the one its functionArn names, if this queue is that function's.

    A function's role may send to its queue, so a record could name any function; only the queue's own are
    trusted, as the key's function is in the bucket.
    """
    parts = record.function_arn.split(":")
    name = parts[6] if len(parts) in (7, 8) and parts[:1] == ["arn"] and parts[2:3] == ["lambda"] else ""
    if name not in queue.functions:
        raise RecordError(
            f"its functionArn names {name or record.function_arn!r}, which does not send its failures to "
            f"{queue.name} (that is {', '.join(queue.functions)})"
        )
    return name


def _record_time(stamp: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def needs_renewal(message: Received) -> bool:
    limit = message.queue.max_receive_count
    return limit is not None and message.receive_count >= limit - RECEIVES_LEFT_TO_KEEP


def renew(aws: Aws, message: Received) -> None:
    """Send the message again as a new one, then delete the old: the record keeps its place, its count restarts.

    Sent before the delete, so a run killed between the two leaves two copies of one record (same request id,
    same body), never none; the readers count such copies once and redrive sends one and deletes the rest.
    """
    client = sqs(aws, region_of(message.queue))
    client.send_message(QueueUrl=message.queue.url, MessageBody=message.body)
    client.delete_message(QueueUrl=message.queue.url, ReceiptHandle=message.receipt)


def release(aws: Aws, messages: list[Received]) -> None:
    """Show messages again at once (visibility 0), so the next reader need not wait for them."""
    by_queue: dict[str, list[Received]] = {}
    for message in messages:
        by_queue.setdefault(message.queue.url, []).append(message)
    for url, held in by_queue.items():
        client = sqs(aws, region_of(held[0].queue))
        for start in range(0, len(held), _BATCH):
            entries = [{"Id": str(i), "ReceiptHandle": m.receipt, "VisibilityTimeout": 0}
                       for i, m in enumerate(held[start : start + _BATCH])]  # fmt: skip
            with contextlib.suppress(botocore.exceptions.ClientError):
                client.change_message_visibility_batch(QueueUrl=url, Entries=entries)  # type: ignore[arg-type]


def delete(aws: Aws, message: Received) -> None:
    sqs(aws, region_of(message.queue)).delete_message(QueueUrl=message.queue.url, ReceiptHandle=message.receipt)


def in_flight(aws: Aws, queue: Queue) -> int:
    """Messages out of sight right now: another reader holds them, or a run that died does until they show."""
    attributes = (
        sqs(aws, region_of(queue))
        .get_queue_attributes(QueueUrl=queue.url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
        .get("Attributes", {})
    )
    return int(attributes.get("ApproximateNumberOfMessagesNotVisible", "0"))


def queues_of(queue: Queue) -> list[Queue]:
    return [queue] + ([queue.dead_letter] if queue.dead_letter else [])


@contextlib.contextmanager
def looking(aws: Aws, queue: Queue) -> Iterator[tuple[Iterator[Received], LookResult]]:
    """Every message of the queue and its dead-letter queue, each once, shown again when the block ends.

    Messages near their receive limit are renewed as they pass; copies of one record (same request id and
    body, left by a renewal that was cut short) are yielded once. Whatever happens in the block, what the
    pass holds is shown again at its end.
    """
    held: list[Received] = []
    result = LookResult()

    def messages() -> Iterator[Received]:
        seen: dict[str, str] = {}
        renewed: set[str] = set()  # the bodies this pass sent again: their copies come round in the same pass
        for source in queues_of(queue):
            mine = len(held)
            while batch := receive(aws, source, LOOK_SECONDS):
                held.extend(batch)  # from now on shown again at the end, whatever happens
                for message in batch:
                    if message.body in renewed:
                        renewed.discard(message.body)
                        continue
                    if renew_if_near_limit(aws, message, result):
                        renewed.add(message.body)
                        held.remove(message)
                    if message.record is not None:
                        if seen.get(message.record.request_id) == message.body:
                            result.duplicates += 1
                            continue
                        seen[message.record.request_id] = message.body
                    yield message
            result.in_flight += max(0, in_flight(aws, source) - (len(held) - mine))

    try:
        yield messages(), result
    finally:
        release(aws, held)


def renew_if_near_limit(aws: Aws, message: Received, result: LookResult) -> bool:
    """Renew a message near its receive limit, noting it (or why it failed) in ``result``; True when renewed."""
    if not needs_renewal(message):
        return False
    try:
        renew(aws, message)
    except botocore.exceptions.ClientError as exc:
        result.renew_failures.append(f"{message.name}: {describe_client_error(exc)}")
        return False
    result.renewed += 1
    return True


def queue_of_selection(aws: Aws, function: str | None) -> Queue | None:
    """The queue holding ``function``'s records, when the project sends them to one; None for the bucket."""
    if function is None or function not in aws.target.queues:
        if not aws.target.bucket and aws.target.queues:
            names = ", ".join(sorted(aws.target.queues))
            raise UsageError(f"the project's failures go to SQS queues; say whose with --function ({names})")
        return None
    arn = aws.target.queues[function]
    sharing = tuple(sorted(name for name, other in aws.target.queues.items() if other == arn))
    with aws_errors(f"cannot find the queue {arn}"):
        return queue_for(aws, arn, sharing)


def queue_named(aws: Aws, name: str) -> Queue:
    """The project's queue called ``name``, or whose dead-letter queue is: a record's ``sqs:<queue>/...`` names it."""
    for function in sorted(aws.target.queues):
        queue = queue_of_selection(aws, function)
        if queue is not None and name in (candidate.name for candidate in queues_of(queue)):
            return queue
    known = ", ".join(sorted({arn.rsplit(":", 1)[-1] for arn in aws.target.queues.values()})) or "none"
    raise UsageError(f"{name} is not a failure queue of this project (its queues: {known})")


def selects(selection: Selection, record: FailureRecord) -> bool:
    """Whether a queued record passes the selection's filters (keys name records by request id)."""
    if (
        selection.keys
        and record.key.key not in selection.keys
        and not any(
            key.endswith("/" + record.request_id) and key.startswith(QUEUE_KEY_PREFIX) for key in selection.keys
        )
    ):
        return False
    if selection.since and record.key.time < selection.since:
        return False
    if selection.until and record.key.time > selection.until:
        return False
    return selection.condition is None or record.condition == selection.condition


def note_look(queue: Queue, result: LookResult) -> None:
    """What a pass did beyond reading, on stderr: renewals, copies, and messages it could not see."""
    if result.renewed:
        print(f"note: {result.renewed} message(s) in {queue.name} were {RECEIVES_LEFT_TO_KEEP} receive(s) or fewer "
              f"from its maxReceiveCount ({queue.max_receive_count}); each was sent again with the same record, so "
              "that reading never moves one to the dead-letter queue", file=sys.stderr)  # fmt: skip
    if result.duplicates:
        print(f"note: {result.duplicates} message(s) held a copy of a record already read (a renewal cut short); "
              "each record counts once", file=sys.stderr)  # fmt: skip
    for failure in result.renew_failures:
        print(f"warning: could not renew {safe(failure)}; it may move to the dead-letter queue, where it is still "
              "read", file=sys.stderr)  # fmt: skip
    if result.in_flight:
        print(f"note: {result.in_flight} message(s) were out of sight: another reader or redrive holds them (one "
              f"that was killed, for up to {CLAIM_SECONDS} s); they were not read", file=sys.stderr)  # fmt: skip
