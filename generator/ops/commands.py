"""The failures commands that read: list, show, and wait for the next record of a function."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import TextIO

import botocore.exceptions

from generator.errors import EXIT_INCOMPLETE, EXIT_OK, RecordReadError, UsageError
from generator.lambda_facts import RECORD_PREFIX, expected_record
from generator.ops.aws import Aws, aws_errors
from generator.ops.present import Status, print_record, print_table, report_problems, safe, suggest_athena
from generator.ops.queue_commands import list_queue, show_queued
from generator.ops.queues import QUEUE_KEY_PREFIX, queue_of_selection
from generator.ops.reading import Selection, fetch, iter_selected, list_keys
from generator.ops.records import FailureRecord, Problem, RecordError, RecordKey
from generator.ops.redrive.invoking import too_large
from generator.record import Record
from generator.sandbox.server import PROBE_ANSWER, PROBE_PATH

FORCE_ERROR_PAYLOAD = b'{"forceError": true}'


def run_list(aws: Aws, selection: Selection, as_json: bool, out: TextIO | None = None) -> int:
    """Records newest first: --json streams a line per record as it is read; the table waits for its widths."""
    out = out or sys.stdout
    queue = queue_of_selection(aws, selection.function)
    if queue is not None:
        return list_queue(aws, queue, selection, as_json, out)
    records: list[FailureRecord] = []
    problems: list[Problem] = []
    read = 0
    with aws_errors(f"cannot read s3://{aws.target.bucket}/{RECORD_PREFIX}"):
        for item in iter_selected(aws, selection):
            read += 1
            if isinstance(item, Problem):
                problems.append(item)
            elif as_json:
                out.write(json.dumps(item.summary()) + "\n")  # ASCII escapes: safe for terminals and pipes
            else:
                records.append(item)
    if records:
        print_table(records, out)
    elif read == len(problems):
        print(f"no failure records in s3://{aws.target.bucket}/{RECORD_PREFIX} match", file=sys.stderr)
    report_problems(problems)
    suggest_athena(read)
    return EXIT_INCOMPLETE if problems else EXIT_OK


def run_show(aws: Aws, key: str, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if key.startswith(QUEUE_KEY_PREFIX):
        return show_queued(aws, key, out)
    try:
        with aws_errors(f"cannot read s3://{aws.target.bucket}/{safe(key)}"):
            record = fetch(aws, RecordKey.parse(key))
    except RecordError as exc:
        raise RecordReadError(f"{safe(key)}: {exc}") from None
    print_record(record, out)
    return EXIT_OK


def run_wait(
    aws: Aws,
    function: str,
    *,
    timeout: float,
    invoke: bool,
    interval: float = 5.0,
    payload: bytes = FORCE_ERROR_PAYLOAD,
    qualifier: str | None = None,
    out: TextIO | None = None,
) -> int:
    """Optionally invoke ``function`` asynchronously, then poll until its next record arrives.

    ``qualifier`` names the version or alias whose asynchronous settings count, and the one invoked:
    a function whose invoke config is on an alias sends nothing to its destination when invoked bare.
    """
    out = out or sys.stdout
    oversize = too_large(payload) if invoke else None
    if oversize:
        raise UsageError(f"--payload: {oversize}")
    with aws_errors(f"cannot wait for a record of {function} in s3://{aws.target.bucket}"):
        return _wait(aws, function, timeout=timeout, invoke=invoke, interval=interval, payload=payload,
                     qualifier=qualifier, out=out)  # fmt: skip


def _wait(
    aws: Aws,
    function: str,
    *,
    timeout: float,
    invoke: bool,
    interval: float,
    payload: bytes,
    qualifier: str | None,
    out: TextIO,
) -> int:
    settings = _async_settings(aws, function, qualifier)
    if settings.destination is not None and not _is_bucket_arn(settings.destination, aws.target.bucket):
        queued = " (failures list/stats/show/redrive --function read a queue)" if function in aws.target.queues else ""
        raise UsageError(
            f"{function} sends the records of its failed events to {settings.destination}, not to "
            f"s3://{aws.target.bucket}; wait reads only an S3 failure bucket{queued}"
        )
    started = datetime.now(UTC)
    prefix = f"{RECORD_PREFIX}{function}/"
    # Records newer than a few minutes before now: a key built from that moment sorts before them all.
    since = started - timedelta(minutes=5)
    start_after = f"{prefix}{since:%Y/%m/%d}/{since:%Y-%m-%dT%H.%M.%S}"
    known = set(list_keys(aws, prefix, start_after))
    request_id = None
    if invoke:
        target = f"{function}:{qualifier}" if qualifier else function
        client = aws.lambda_for(aws.target.region)
        response = client.invoke(FunctionName=target, InvocationType="Event", Payload=payload)
        request_id = response["ResponseMetadata"]["RequestId"]
        demo = " (the bundled demo handler fails on it)" if payload == FORCE_ERROR_PAYLOAD else ""
        print(f"Invoked {target} asynchronously with {safe(payload.decode(errors='replace'))}{demo} "
              f"(request {request_id})", file=sys.stderr)  # fmt: skip
    emulator = _emulator_without_delivery(aws)
    expectation = (f"none may come: {emulator} is neither AWS nor the generator's sandbox, and emulators such as "
                   "moto do not deliver asynchronous failure records (python -m generator sandbox does)"
                   if emulator else f"expect it {settings.expectation()}")  # fmt: skip
    print(f"Waiting up to {timeout:.0f} s for a failure record of {function} in s3://{aws.target.bucket}; "
          f"{expectation}", file=sys.stderr)  # fmt: skip
    clock = time.monotonic()
    status = Status(sys.stderr)
    while True:
        for key in sorted(set(list_keys(aws, prefix, start_after)) - known):
            known.add(key)
            try:
                record = fetch(aws, RecordKey.parse(key))
            except RecordError as exc:
                report_problems([Problem(key, str(exc))])
                continue
            if request_id is None or record.request_id == request_id:
                status.clear()
                print(f"Record arrived after {time.monotonic() - clock:.0f} s:", file=sys.stderr)
                print_record(record, out)
                return EXIT_OK
        elapsed = time.monotonic() - clock
        if elapsed >= timeout:
            status.clear()
            expected = expectation if emulator else f"expected {settings.expectation()}"
            print(f"No record for {function} after {timeout:.0f} s; {expected}", file=sys.stderr)
            return EXIT_INCOMPLETE
        status.show(f"waiting: {elapsed:4.0f} s of {timeout:.0f} s")
        time.sleep(min(interval, timeout - elapsed))


def _is_bucket_arn(arn: str, bucket: str) -> bool:
    """``arn:<partition>:s3:::<bucket>`` in any partition: aws, aws-cn, aws-us-gov, ..."""
    parts = arn.split(":")
    return len(parts) == 6 and parts[0] == "arn" and parts[2] == "s3" and parts[3:] == ["", "", bucket]


class AsyncSettings(Record):
    """What decides when a failure record arrives, as the function is configured in AWS."""

    reserved_concurrency: int | None = None
    retry_attempts: int = 2  # Lambda's defaults when no invoke config sets them
    maximum_event_age: int = 21600
    destination: str | None = None  # the on-failure destination, when it can be read

    def expectation(self) -> str:
        return expected_record(self.reserved_concurrency, self.retry_attempts, self.maximum_event_age)


def _emulator_without_delivery(aws: Aws) -> str | None:
    """The endpoint the commands talk to, when it is neither AWS nor the sandbox: it will deliver no record."""
    from urllib.parse import urlsplit

    endpoint = aws.target.endpoint_url or os.environ.get("AWS_ENDPOINT_URL_LAMBDA") or os.environ.get(
        "AWS_ENDPOINT_URL")  # fmt: skip
    if not endpoint:
        return None
    host = urlsplit(endpoint).hostname or ""
    if host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".api.aws")):
        return None
    return None if _is_sandbox(endpoint) else endpoint


def _is_sandbox(endpoint: str) -> bool:
    """Whether ``endpoint`` answers the sandbox's probe. Its certificate is not checked: the probe only asks, and
    sends nothing."""
    import ssl
    import urllib.request

    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        with urllib.request.urlopen(endpoint.rstrip("/") + PROBE_PATH, timeout=2, context=context) as answer:
            return bool(answer.read() == PROBE_ANSWER)
    except (OSError, ValueError):
        return False


def _async_settings(aws: Aws, function: str, qualifier: str | None = None) -> AsyncSettings:
    """The function's concurrency and asynchronous settings; what cannot be read keeps Lambda's defaults."""
    client = aws.lambda_for(aws.target.region)
    try:
        concurrency = client.get_function_concurrency(FunctionName=function).get("ReservedConcurrentExecutions")
    except botocore.exceptions.ClientError:
        concurrency = None
    try:
        config = client.get_function_event_invoke_config(
            FunctionName=function, **({"Qualifier": qualifier} if qualifier else {})
        )
    except botocore.exceptions.ClientError:  # no invoke config, or not allowed to read it
        return AsyncSettings(reserved_concurrency=concurrency)
    return AsyncSettings(
        reserved_concurrency=concurrency,
        retry_attempts=int(config.get("MaximumRetryAttempts", 2)),
        maximum_event_age=int(config.get("MaximumEventAgeInSeconds", 21600)),
        destination=config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"),
    )
