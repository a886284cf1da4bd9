"""The failures commands on an SQS queue destination of 10,000 messages, side by side with bare boto3, against moto.

The queue is made as the rendered project makes one (a dead-letter queue after 5 receives) and filled with
records as Lambda sends them. Each measurement starts from a freshly filled queue, so no message is near its
receive limit (a look would renew it, which is extra work a bare loop does not do). Against the same server:

- ``list --function F --json`` and ``stats --by condition,error_type``: a look over the queue and its dead-letter
  queue, beside a bare loop that receives every message (10 at a time, long polling of 1 s, hidden for 60 s) and
  shows each batch again with ChangeMessageVisibilityBatch, which is the work a look must do;
- ``redrive --function F`` (concurrency 8): beside a bare loop that receives (hidden for 900 s), invokes each event
  asynchronously on 8 threads and deletes each message.

    python benchmarks/bench_queue.py [--count 10000]

moto runs in this process, so absolute times say more about moto than about SQS; the ratios are the point.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_failures import ACCOUNT, FUNCTION, REGION, record_document  # noqa: E402  (this script's own directory)

from generator.ops import commands, redrive, stats  # noqa: E402
from generator.ops.aws import Aws, Target  # noqa: E402
from generator.ops.reading import Selection  # noqa: E402
from tests.harness import moto_server  # noqa: E402

WORKERS = 8


def _record(index: int) -> str:
    return json.dumps(record_document(index, datetime.now(UTC)))


class Queue:
    """A fresh queue and dead-letter queue, filled with ``count`` records."""

    def __init__(self, sqs: Any, count: int, name: str) -> None:
        self.sqs, self.count = sqs, count
        dead = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        policy = json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": 5})
        self.url = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": policy})["QueueUrl"]
        self.arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        self.seconds = self._fill()

    def aws(self, endpoint: str) -> Aws:
        return Aws(Target(bucket="", region=REGION, endpoint_url=endpoint, queues={FUNCTION: self.arn}))

    def _fill(self) -> float:
        """Send ``count`` records, ten a request on eight threads; returns the seconds it took."""
        started = time.perf_counter()
        batches = [range(start, min(start + 10, self.count)) for start in range(0, self.count, 10)]
        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(lambda batch: self.sqs.send_message_batch(QueueUrl=self.url, Entries=[
                {"Id": str(i), "MessageBody": _record(i)} for i in batch]), batches))  # fmt: skip
        return time.perf_counter() - started


def floor_look(sqs: Any, url: str) -> int:
    """Receive every message once and show each batch again: what a look must do, and nothing more."""
    seen = 0
    held: list[list[dict[str, Any]]] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60,
                                          WaitTimeSeconds=1).get("Messages", []):  # fmt: skip
        seen += len(messages)
        held.append([{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                     for i, m in enumerate(messages)])  # fmt: skip
    for entries in held:
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)
    return seen


def floor_redrive(sqs: Any, lam: Any, url: str) -> int:
    sent = 0
    with ThreadPoolExecutor(WORKERS) as pool:
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=900,
                                              WaitTimeSeconds=1).get("Messages", []):  # fmt: skip

            def one(message: dict[str, Any]) -> None:
                payload = json.dumps(json.loads(message["Body"])["requestPayload"]).encode()
                lam.invoke(FunctionName=FUNCTION, InvocationType="Event", Payload=payload)
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

            list(pool.map(one, messages))
            sent += len(messages)
    return sent


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    count = parser.parse_args().count
    os.environ.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION=REGION)
    with moto_server() as moto:
        sqs, lam, iam = moto.client("sqs", REGION), moto.client("lambda", REGION), moto.client("iam", REGION)
        role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        lam.create_function(FunctionName=FUNCTION, Runtime="python3.13", Role=role, Handler="h.h",
                            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18})  # fmt: skip
        sink = io.StringIO()
        everything = Selection(function=FUNCTION, limit=count)
        first = Queue(sqs, count, "bench-list")
        print(f"{count} messages (sent in {first.seconds:.0f} s)", flush=True)
        listing = timed(lambda: commands.run_list(first.aws(moto.endpoint), everything, True, sink))
        floor_queue = Queue(sqs, count, "bench-floor")
        floor = timed(lambda: floor_look(sqs, floor_queue.url))
        print(f"  list --json                      {listing:8.2f} s   bare loop {floor:6.2f} s   "
              f"x{listing / floor:.2f}")  # fmt: skip
        counted = Queue(sqs, count, "bench-stats").aws(moto.endpoint)
        by = ("condition", "error_type")
        counting = timed(lambda: stats.run_stats(counted, Selection(function=FUNCTION), by, True, sink))
        print(f"  stats by condition,error_type    {counting:8.2f} s   bare loop {floor:6.2f} s   "
              f"x{counting / floor:.2f}")  # fmt: skip
        sys.stdout.flush()
        pace = redrive.Pace(concurrency=WORKERS)
        driven = Queue(sqs, count, "bench-redrive").aws(moto.endpoint)
        sent = timed(lambda: redrive.run_redrive(driven, Selection(function=FUNCTION), False, sink, pace=pace))
        bare_queue = Queue(sqs, count, "bench-bare")
        bare = timed(lambda: floor_redrive(sqs, lam, bare_queue.url))
        print(f"  redrive (concurrency {WORKERS})          {count / sent:8.0f} events/s   bare loop "
              f"{count / bare:6.0f} events/s   x{sent / bare:.2f} the time")  # fmt: skip
        assert sink.getvalue().count("sent sqs:") == count, "every record sent once"
    print(f"machine: {os.cpu_count()} cores, moto in-process; absolute times vary, the ratios say more")


if __name__ == "__main__":
    main()
