"""The failures commands at 1,000, 10,000 (and 100,000) records, side by side with bare boto3, against moto.

For each count, records are seeded across 100 days with 1% in the last hour, the way a bucket looks
after an old incident and a new one. Then, in one run:

- ``list --since 1h``: must touch only the matching day prefixes, so its time follows the selected
  records, not the bucket;
- ``list`` of everything against a floor: a bare boto3 script with the same thread pool that lists
  and GETs every object (goal: within 1.3x);
- ``stats`` by condition and error type: time and peak Python memory;
- ``redrive --dry-run`` and ``redrive`` (concurrency 8): events a second, against a bare boto3 invoke
  loop with the same concurrency, and the dry run's peak memory (it streams the records).

Above 10,000 records only ``list --since 1h`` and ``stats --by function,day`` (keys alone) run: they must
cost the same at 100,000 as the records they select; reading every record of such a bucket is Athena's job.

    python benchmarks/bench_failures.py                       # 1,000, 10,000 and 100,000
    python benchmarks/bench_failures.py --counts 1000 --no-send

moto runs in this process, so absolute times say more about moto than about S3; the ratios against the
floors, measured on the same server in the same run, are the point. Absolute times vary.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from generator.ops import commands, redrive, stats  # noqa: E402
from generator.ops.aws import Aws  # noqa: E402
from generator.ops.project import resolve_target  # noqa: E402
from generator.ops.reading import Selection  # noqa: E402
from tests.harness import moto_server  # noqa: E402

REGION, ACCOUNT, FUNCTION = "us-east-1", "123456789012", "bench_fn"
WORKERS = 8  # the failures commands read 8 records at a time; the floors use the same pool
FULL_UP_TO = 10_000  # above this, only the commands whose cost must not grow with the bucket are run


def seed(bucket: str, count: int) -> None:
    """Store the records straight into moto's in-process S3 backend: the stored fixture bucket.

    The same objects a PUT would store, without an HTTP round trip each, so that 100,000 records take
    seconds to build instead of a quarter of an hour. Every command measured reads them over HTTP.
    """
    from moto.s3.models import s3_backends

    backend = s3_backends[ACCOUNT]["aws"]
    now = datetime.now(UTC)
    recent = max(count // 100, 1)
    for index in range(count):
        age = timedelta(minutes=index % 50) if index < recent else timedelta(days=1 + index % 99, seconds=index)
        when = now - age
        key = f"aws/lambda/async/{FUNCTION}/{when:%Y/%m/%d}/{when:%Y-%m-%dT%H.%M.%S}-{uuid.uuid4()}"
        body = record_document(index, when)
        backend.put_object(bucket, key, json.dumps(body).encode())


def record_document(index: int, when: datetime) -> dict[str, Any]:
    """A RetriesExhausted record as Lambda writes it, one error type in three a Timeout."""
    return {
        "version": "1.0", "timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "requestContext": {"requestId": str(uuid.uuid4()), "condition": "RetriesExhausted",
                           "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION}:$LATEST",
                           "approximateInvokeCount": 3},
        "requestPayload": {"order": index},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorType": "ForcedError" if index % 3 else "Timeout", "errorMessage": "boom"},
    }  # fmt: skip


def floor_read_all(s3: Any, bucket: str) -> int:
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="aws/")
            for o in page.get("Contents", [])]  # fmt: skip
    with ThreadPoolExecutor(WORKERS) as pool:
        bodies = list(pool.map(lambda k: s3.get_object(Bucket=bucket, Key=k)["Body"].read(), keys))
    return len(bodies)


def floor_invoke_all(lam: Any, count: int) -> None:
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(lambda i: lam.invoke(FunctionName=FUNCTION, InvocationType="Event", Payload=b"{}"),
                      range(count)))  # fmt: skip


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def bench_count(moto: Any, s3: Any, lam: Any, count: int, send: bool) -> None:
    bucket = f"bench-{count}"
    s3.create_bucket(Bucket=bucket)
    seeding = timed(lambda: seed(bucket, count))
    aws = Aws(resolve_target(bucket, None, REGION, moto.endpoint))
    sink = io.StringIO()
    hour = Selection(since=datetime.now(UTC) - timedelta(hours=1))
    since = timed(lambda: commands.run_list(aws, hour, True, sink))
    keys_only = ("function", "day")
    by_key = timed(lambda: stats.run_stats(aws, Selection(), keys_only, True, sink))
    print(f"{count:>7} records (seeded in {seeding:.0f} s)")
    print(f"  list --since 1h ({max(count // 100, 1)} match)    {since:8.2f} s")
    print(f"  stats by function,day (keys)     {by_key:8.2f} s")
    sys.stdout.flush()
    if count > FULL_UP_TO:  # reading every record of a bucket this size is Athena's job; the above must not read it
        return
    everything = timed(lambda: commands.run_list(aws, Selection(limit=count), True, sink))
    floor = timed(lambda: floor_read_all(s3, bucket))
    by = ("condition", "error_type")
    counting = timed(lambda: stats.run_stats(aws, Selection(), by, True, sink))
    print(f"  list all --json                  {everything:8.2f} s   floor {floor:6.2f} s   x{everything / floor:.2f}")
    counting_peak = peak(lambda: stats.run_stats(aws, Selection(), by, True, sink))
    print(f"  stats by condition,error_type    {counting:8.2f} s   peak {counting_peak:6.1f} MiB (Python heap)")
    dry = timed(lambda: redrive.run_redrive(aws, Selection(), True, sink))
    dry_peak = peak(lambda: redrive.run_redrive(aws, Selection(), True, sink))
    print(f"  redrive --dry-run                {count / dry:8.0f} events/s   peak {dry_peak:6.1f} MiB")
    sys.stdout.flush()
    if send:
        pace = redrive.Pace(concurrency=WORKERS)
        sent = timed(lambda: redrive.run_redrive(aws, Selection(), False, sink, pace=pace))
        bare = timed(lambda: floor_invoke_all(lam, count))
        print(f"  redrive (concurrency {WORKERS})          {count / sent:8.0f} events/s   bare invoke loop "
              f"{count / bare:6.0f} events/s   x{sent / bare:.2f} the time")  # fmt: skip
    sys.stdout.flush()


def peak(action: Callable[[], Any]) -> float:
    """Peak Python heap of a second run, in MiB: tracing slows Python down several times, so it is not timed."""
    tracemalloc.start()
    action()
    top = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return top / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--no-send", action="store_true", help="skip the real redrive (4 requests a record)")
    arguments = parser.parse_args()
    os.environ.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION=REGION)
    with moto_server() as moto:
        s3, lam, iam = moto.client("s3", REGION), moto.client("lambda", REGION), moto.client("iam", REGION)
        role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        lam.create_function(FunctionName=FUNCTION, Runtime="python3.13", Role=role, Handler="h.h",
                            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18})  # fmt: skip
        for count in arguments.counts:
            bench_count(moto, s3, lam, count, send=not arguments.no_send)
    print(f"machine: {os.cpu_count()} cores, moto in-process; absolute times vary, the ratios say more")


if __name__ == "__main__":
    main()
