"""Inspect and redrive the failure records in a deployed project's bucket.

AWS offers no redrive for an S3 on-failure destination, and ``aws s3 ls`` shows keys,
not errors. These commands read the records (see ``records``), show what failed and
why, wait for the demo's record to arrive, and send records back to their functions.

boto3 is an optional dependency (``pip install .[ops]``); only this module imports it,
and only ``python -m generator failures ...`` imports this module.

Exit codes: 0 all went well; 1 a record could not be read, sent or marked, or ``wait``
timed out; 2 the command cannot run at all (usage, credentials, missing bucket).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TextIO

from generator.errors import AwsError, RecordReadError, UsageError
from generator.lambda_facts import condition_meaning, expected_record
from generator.records import (
    RECORD_PREFIX,
    REDRIVEN_PREFIX,
    FailureRecord,
    RecordError,
    RecordKey,
    pretty_json,
)

try:
    import boto3
    import botocore.config
    import botocore.exceptions

    HAVE_BOTO3 = True
except ImportError:  # pragma: no cover - exercised by users without the extra
    HAVE_BOTO3 = False

FORCE_ERROR_PAYLOAD = b'{"forceError": true}'
_FETCH_BATCH = 32
_FETCH_WORKERS = 8
# botocore's standard mode retries throttling and transient errors with exponential backoff and jitter.
_RETRIES = {"mode": "standard", "max_attempts": 8}


CLAIM_PREFIX = "redrive-claims/"
CLAIM_SECONDS = 900  # a claim older than this belongs to a run that died; another run may take it over
_CONTROL = ("Cc", "Cf", "Cs", "Co", "Zl", "Zp")


def safe(text: str, *, keep_newlines: bool = False) -> str:
    """Text from a record or a key, fit for a terminal: control and formatting characters become escapes.

    A record is written by the function's role, which anyone who can change the function holds, so
    its error message or stack trace could otherwise move the cursor, rewrite earlier lines or set
    the terminal's title.
    """
    out = []
    for char in text:
        if (char == "\n" and keep_newlines) or unicodedata.category(char) not in _CONTROL:
            out.append(char)
        else:
            out.append(char.encode("unicode_escape", "backslashreplace").decode("ascii")
                       if ord(char) < 0x10000 else f"\\U{ord(char):08x}")  # fmt: skip
    return "".join(out)


@dataclass(frozen=True)
class Target:
    """Where the records are and how to reach AWS."""

    bucket: str
    region: str | None = None
    endpoint_url: str | None = None


@dataclass
class Selection:
    """Which records a command works on."""

    function: str | None = None
    since: datetime | None = None
    condition: str | None = None
    limit: int | None = None
    keys: list[str] = field(default_factory=list)
    redriven: bool = False  # read the copies under redriven/ instead of the records still to handle


@dataclass
class Outcome:
    records: list[FailureRecord] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (key, what is wrong)


def make_session(region: str | None) -> Any:
    """The boto3 session every client comes from (tests attach event hooks to it)."""
    if not HAVE_BOTO3:
        raise UsageError("the failures commands need boto3: pip install 'generator[ops]'")
    return boto3.session.Session(region_name=region)


class Aws:
    """The clients a command needs, with AWS errors translated into messages for people."""

    def __init__(self, target: Target, session: Any | None = None) -> None:
        self.target = target
        self.session = session or make_session(target.region)
        self._config = botocore.config.Config(retries=_RETRIES)  # type: ignore[arg-type]
        self.s3 = self.client("s3")
        self._lambda: dict[str | None, Any] = {}

    def client(self, service: str, region: str | None = None) -> Any:
        return self.session.client(
            service,
            region_name=region or self.target.region,
            endpoint_url=self.target.endpoint_url,
            config=self._config,
        )

    def lambda_for(self, region: str | None) -> Any:
        if region not in self._lambda:
            self._lambda[region] = self.client("lambda", region)
        return self._lambda[region]


@contextlib.contextmanager
def aws_errors(what: str) -> Iterator[None]:
    """Turn the errors that stop a whole command into one clear sentence (exit 2)."""
    try:
        yield
    except botocore.exceptions.NoCredentialsError:
        raise AwsError(f"{what}: no AWS credentials found; configure a profile, environment variables or SSO") from None
    except botocore.exceptions.NoRegionError:
        raise AwsError(f"{what}: no AWS region; pass --region or set AWS_REGION") from None
    except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError) as exc:
        raise AwsError(f"{what}: cannot reach {exc.kwargs.get('endpoint_url', 'the AWS endpoint')}") from None
    except botocore.exceptions.ClientError as exc:
        raise AwsError(f"{what}: {describe_client_error(exc)}") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise AwsError(f"{what}: {exc}") from None


# Refusals that concern the credentials or the bucket, not one record.
_WHOLE_COMMAND_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "403", "Forbidden", "ExpiredToken", "ExpiredTokenException",
    "RequestExpired", "TokenRefreshRequired", "InvalidAccessKeyId", "SignatureDoesNotMatch",
    "UnrecognizedClientException", "InvalidClientTokenId", "NoSuchBucket",
})  # fmt: skip


def describe_client_error(exc: Any) -> str:
    code = exc.response.get("Error", {}).get("Code", "")
    message = exc.response.get("Error", {}).get("Message", "") or str(exc)
    if code in ("NoSuchBucket",):
        return "the bucket does not exist (check --bucket and the region)"
    if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"):
        return "the AWS credentials have expired; refresh them (for example: aws sso login) and try again"
    if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "UnrecognizedClientException", "InvalidClientTokenId"):
        return "the AWS credentials are not valid for this account"
    if code in ("AccessDenied", "AccessDeniedException", "403", "Forbidden"):
        return f"access denied ({safe(message)})"
    return safe(f"{code or 'error'}: {message}")


# --- where the bucket comes from --------------------------------------------------------------


def resolve_target(
    bucket: str | None, from_terraform: Path | None, region: str | None, endpoint_url: str | None
) -> Target:
    """``--bucket``, else the outputs of a deployed rendered project (``out/`` when it holds state)."""
    if bucket and from_terraform:
        raise UsageError("pass either --bucket or --from-terraform, not both")
    if not bucket:
        directory = from_terraform or Path("out")
        if from_terraform is not None and not directory.is_dir():
            raise UsageError(f"--from-terraform {directory}: directory not found")
        if from_terraform is None and not (directory / "terraform.tfstate").is_file():
            raise UsageError("no bucket given: pass --bucket NAME, or --from-terraform DIR for a deployed project")
        outputs = terraform_outputs(directory)
        bucket = outputs.get("failure_bucket_name")
        destinations = outputs.get("destinations")
        if (not isinstance(bucket, str) or not bucket) and isinstance(destinations, dict):
            where = "; ".join(f"{name}: {safe(str(d.get('on_failure')))}" for name, d in sorted(destinations.items()))
            raise UsageError(
                f"no function of {directory} records its failures in an S3 bucket, which is what the failures "
                f"commands read; they go to: {where}"
            )
        if not isinstance(bucket, str) or not bucket:
            raise UsageError(f"{directory} has no failure_bucket_name output; has it been applied?")
        region = region or outputs.get("region")
    return Target(bucket=bucket, region=region, endpoint_url=endpoint_url)


def terraform_outputs(directory: Path) -> dict[str, Any]:
    try:
        result = subprocess.run(
            ["terraform", f"-chdir={directory}", "output", "-json"], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise UsageError("--from-terraform needs terraform on PATH; or pass --bucket") from None
    if result.returncode != 0:
        raise UsageError(f"terraform output failed in {directory}: {result.stderr.strip()}")
    return {name: value.get("value") for name, value in json.loads(result.stdout or "{}").items()}


# --- reading records --------------------------------------------------------------------------


def list_keys(
    aws: Aws, prefix: str = RECORD_PREFIX, start_after: str | None = None, delimiter: str | None = None
) -> list[str]:
    keys: list[str] = []
    paginator = aws.s3.get_paginator("list_objects_v2")
    arguments = {"Bucket": aws.target.bucket, "Prefix": prefix}
    if start_after:
        arguments["StartAfter"] = start_after
    if delimiter:
        arguments["Delimiter"] = delimiter
    with aws_errors(f"cannot list s3://{aws.target.bucket}/{prefix}"):
        for page in paginator.paginate(**arguments):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
    return keys


def fetch(aws: Aws, key: RecordKey) -> FailureRecord:
    """One record; a problem with this object is a ``RecordError``, a problem reaching AWS is not."""
    try:
        body = aws.s3.get_object(Bucket=aws.target.bucket, Key=key.key)["Body"].read()
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code in ("NoSuchKey", "404"):
            raise RecordError("no such record (moved or deleted meanwhile?)") from None
        if code in _WHOLE_COMMAND_CODES:  # no record can be read either: the command cannot run (exit 2)
            raise
        raise RecordError(describe_client_error(exc)) from None
    return FailureRecord.parse(key, body)


def select(aws: Aws, selection: Selection) -> Outcome:
    """The selected records, newest first; unreadable objects are reported, not fatal."""
    outcome = Outcome()
    keys = list(selection.keys) if selection.keys else _listed_keys(aws, selection)
    candidates = []
    for key in keys:
        try:
            candidates.append(RecordKey.parse(key))
        except RecordError as exc:
            outcome.problems.append((key, str(exc)))
    if selection.since and not selection.keys:
        candidates = [c for c in candidates if c.time >= selection.since]
    candidates.sort(key=lambda c: (c.time, c.key), reverse=True)
    with ThreadPoolExecutor(max_workers=_FETCH_WORKERS) as pool:
        start = 0
        while start < len(candidates):
            # Without a condition to filter on, every record read counts: read no more than the limit asks.
            wanted = _FETCH_BATCH
            if selection.limit is not None and selection.condition is None:
                wanted = min(wanted, selection.limit - len(outcome.records))
            batch = candidates[start : start + wanted]
            start += len(batch)
            for candidate, result in zip(batch, pool.map(lambda k: _fetch_or_error(aws, k), batch), strict=True):
                if isinstance(result, RecordError):
                    outcome.problems.append((candidate.key, str(result)))
                elif selection.condition is None or result.condition == selection.condition:
                    outcome.records.append(result)
            if selection.limit is not None and len(outcome.records) >= selection.limit:
                outcome.records = outcome.records[: selection.limit]
                break
    return outcome


def _listed_keys(aws: Aws, selection: Selection) -> list[str]:
    """Keys under the selection's prefix; with --since, each function's listing starts at the first matching day.

    Keys sort by day within a function (``<function>/YYYY/MM/DD/...``), so S3's StartAfter skips the days
    before the window without reading them.
    """
    prefix = (REDRIVEN_PREFIX if selection.redriven else "") + RECORD_PREFIX
    if selection.since is None:
        return list_keys(aws, prefix + (f"{selection.function}/" if selection.function else ""))
    functions = [f"{selection.function}/"] if selection.function else _function_prefixes(aws, prefix)
    day = f"{selection.since:%Y/%m/%d}"
    keys: list[str] = []
    for function in functions:
        keys.extend(list_keys(aws, prefix + function, start_after=f"{prefix}{function}{day}"))
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


# --- list and show ----------------------------------------------------------------------------


def run_list(aws: Aws, selection: Selection, as_json: bool, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    with aws_errors(f"cannot read s3://{aws.target.bucket}/{RECORD_PREFIX}"):
        outcome = select(aws, selection)
    if as_json:
        for record in outcome.records:
            out.write(json.dumps(record.summary()) + "\n")  # ASCII escapes: safe for terminals and pipes
    elif outcome.records:
        _print_table(outcome.records, out)
    else:
        print(f"no failure records in s3://{aws.target.bucket}/{RECORD_PREFIX} match", file=sys.stderr)
    _report_problems(outcome.problems)
    return 1 if outcome.problems else 0


def _print_table(records: list[FailureRecord], out: TextIO) -> None:
    rows = [("TIME", "FUNCTION", "CONDITION", "ERROR", "REQUEST ID", "KEY")]
    for record in records:
        error = f"{record.error_type}: {record.error_message}" if record.error_type else record.error_message or "-"
        error = safe(error)
        rows.append((
            record.key.time.strftime("%Y-%m-%d %H:%M:%SZ"), record.key.function, safe(record.condition),
            error if len(error) <= 60 else error[:59] + "…", safe(record.request_id), safe(record.key.key),
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1], file=out)


def run_show(aws: Aws, key: str, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        with aws_errors(f"cannot read s3://{aws.target.bucket}/{safe(key)}"):
            record = fetch(aws, RecordKey.parse(key))
    except RecordError as exc:
        raise RecordReadError(f"{safe(key)}: {exc}") from None
    print_record(record, out)
    return 0


def print_record(record: FailureRecord, out: TextIO) -> None:
    lines = [
        f"Key:         {safe(record.key.key)}",
        f"Function:    {record.key.function} ({safe(record.function_arn)})",
        f"Time:        {safe(record.timestamp) or record.key.time.isoformat()}",
        f"Condition:   {safe(record.condition)}"
        + (f" after {record.invoke_count} attempt(s)" if record.invoke_count is not None else ""),
        f"             {condition_meaning(record.condition)}",
        f"Request ID:  {safe(record.request_id)}",
    ]
    if record.status_code is not None or record.function_error:
        lines.append(f"Response:    status {record.status_code}, function error {safe(record.function_error or '-')}")
    if record.error_type or record.error_message:
        lines.append(f"Error:       {safe(record.error_type)}: {safe(record.error_message)}")
    else:
        lines.append("Error:       none recorded (the function never returned one)")
    if record.stack_trace:
        lines.append("Stack trace:")
        lines.extend(f"  {safe(line)}" for entry in record.stack_trace for line in entry.rstrip().splitlines())
    lines.append("Payload:")
    try:
        payload = pretty_json(record.payload)
    except (ValueError, RecursionError):
        payload = record.payload_text
    lines.extend("  " + line for line in safe(payload, keep_newlines=True).splitlines())
    print("\n".join(lines), file=out)


def _report_problems(problems: Iterable[tuple[str, str]]) -> None:
    for key, problem in problems:
        print(f"warning: {safe(key)}: {safe(problem)}", file=sys.stderr)


# --- wait -------------------------------------------------------------------------------------


def run_wait(
    aws: Aws,
    function: str,
    *,
    timeout: float,
    invoke: bool,
    interval: float = 5.0,
    payload: bytes = FORCE_ERROR_PAYLOAD,
    out: TextIO | None = None,
) -> int:
    """Optionally invoke ``function`` asynchronously, then poll until its next record arrives."""
    out = out or sys.stdout
    with aws_errors(f"cannot wait for a record of {function} in s3://{aws.target.bucket}"):
        return _wait(aws, function, timeout=timeout, invoke=invoke, interval=interval, payload=payload, out=out)


def _wait(
    aws: Aws, function: str, *, timeout: float, invoke: bool, interval: float, payload: bytes, out: TextIO
) -> int:
    settings = _async_settings(aws, function)
    if settings.destination is not None and settings.destination != f"arn:aws:s3:::{aws.target.bucket}":
        raise UsageError(
            f"{function} sends the records of its failed events to {settings.destination}, not to "
            f"s3://{aws.target.bucket}; the failures commands read only an S3 failure bucket"
        )
    started = datetime.now(timezone.utc)
    prefix = f"{RECORD_PREFIX}{function}/"
    # Records newer than a few minutes before now: a key built from that moment sorts before them all.
    since = started - timedelta(minutes=5)
    start_after = f"{prefix}{since:%Y/%m/%d}/{since:%Y-%m-%dT%H.%M.%S}"
    known = set(list_keys(aws, prefix, start_after))
    request_id = None
    if invoke:
        response = aws.lambda_for(aws.target.region).invoke(
            FunctionName=function, InvocationType="Event", Payload=payload
        )
        request_id = response["ResponseMetadata"]["RequestId"]
        demo = " (the bundled demo handler fails on it)" if payload == FORCE_ERROR_PAYLOAD else ""
        print(f"Invoked {function} asynchronously with {safe(payload.decode(errors='replace'))}{demo} "
              f"(request {request_id})", file=sys.stderr)  # fmt: skip
    print(f"Waiting up to {timeout:.0f} s for a failure record of {function} in s3://{aws.target.bucket}; "
          f"expect it {settings.expectation()}", file=sys.stderr)  # fmt: skip
    clock = time.monotonic()
    status = _Status(sys.stderr)
    while True:
        for key in sorted(set(list_keys(aws, prefix, start_after)) - known):
            known.add(key)
            try:
                record = fetch(aws, RecordKey.parse(key))
            except RecordError as exc:
                _report_problems([(key, str(exc))])
                continue
            if request_id is None or record.request_id == request_id:
                status.clear()
                print(f"Record arrived after {time.monotonic() - clock:.0f} s:", file=sys.stderr)
                print_record(record, out)
                return 0
        elapsed = time.monotonic() - clock
        if elapsed >= timeout:
            status.clear()
            print(f"No record for {function} after {timeout:.0f} s; expected {settings.expectation()}",
                  file=sys.stderr)  # fmt: skip
            return 1
        status.show(f"waiting: {elapsed:4.0f} s of {timeout:.0f} s")
        time.sleep(min(interval, timeout - elapsed))


@dataclass(frozen=True)
class AsyncSettings:
    """What decides when a failure record arrives, as the function is configured in AWS."""

    reserved_concurrency: int | None = None
    retry_attempts: int = 2  # Lambda's defaults when no invoke config sets them
    maximum_event_age: int = 21600
    destination: str | None = None  # the on-failure destination, when it can be read

    def expectation(self) -> str:
        return expected_record(self.reserved_concurrency, self.retry_attempts, self.maximum_event_age)


def _async_settings(aws: Aws, function: str) -> AsyncSettings:
    """The function's concurrency and asynchronous settings; what cannot be read keeps Lambda's defaults."""
    client = aws.lambda_for(aws.target.region)
    try:
        concurrency = client.get_function_concurrency(FunctionName=function).get("ReservedConcurrentExecutions")
    except botocore.exceptions.ClientError:
        concurrency = None
    try:
        config = client.get_function_event_invoke_config(FunctionName=function)
    except botocore.exceptions.ClientError:  # no invoke config, or not allowed to read it
        return AsyncSettings(reserved_concurrency=concurrency)
    return AsyncSettings(
        reserved_concurrency=concurrency,
        retry_attempts=int(config.get("MaximumRetryAttempts", 2)),
        maximum_event_age=int(config.get("MaximumEventAgeInSeconds", 21600)),
        destination=config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"),
    )


class _Status:
    """One self-overwriting status line on a terminal; elsewhere (a CI log) a line every half minute."""

    LOG_EVERY_SECONDS = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.active = stream.isatty()
        self.logged = time.monotonic()

    def show(self, text: str) -> None:
        if self.active:
            self.stream.write("\r" + text.ljust(60))
            self.stream.flush()
        elif time.monotonic() - self.logged >= self.LOG_EVERY_SECONDS:
            self.logged = time.monotonic()
            print(f"still {text}", file=self.stream)

    def clear(self) -> None:
        if self.active:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()


# --- redrive ----------------------------------------------------------------------------------


@dataclass
class Tally:
    sent: int = 0
    skipped: int = 0
    failed: int = 0


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


def run_redrive(aws: Aws, selection: Selection, dry_run: bool, out: TextIO | None = None) -> int:
    """Send each selected record's payload back to its function; move the record under redriven/ once accepted.

    Each record is claimed first with a conditional write, so two operators redriving at once send
    it once; a run that dies leaves its claims, which expire after ``CLAIM_SECONDS``.
    """
    out = out or sys.stdout
    with aws_errors(f"cannot redrive from s3://{aws.target.bucket}"):
        outcome = select(aws, selection)
        home = _home(aws) if outcome.records else None
    _report_problems(outcome.problems)
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
            targets.append((record, _target(record, home)))
        except RecordError as exc:
            print(f"failed {safe(record.key.key)}: {exc}; the record stays", file=out)
            tally.failed += 1
    if not targets:
        print("no failure records match; nothing to redrive", file=sys.stderr)
        return 1 if tally.failed else 0
    with aws_errors("cannot read the functions' concurrency"):
        _warn_about_throttled_functions(aws, home, [target for _, target in targets])
    progress = _Progress(len(targets), sys.stderr)
    for done, (record, target) in enumerate(targets):
        progress.clear()  # each record's line goes above the bar, never into it
        if dry_run:
            size = len(record.payload_text.encode())
            print(f"would send {safe(record.key.key)} to {target} ({size} bytes)", file=out)
        else:
            try:
                _redrive_one(aws, record, target, tally, out)
            except botocore.exceptions.BotoCoreError as exc:
                progress.done()
                left = len(targets) - done
                raise AwsError(
                    f"lost the connection to AWS ({exc}) after sending {tally.sent} of {len(targets)} record(s); "
                    f"the {left} not yet sent are still in s3://{aws.target.bucket}/{RECORD_PREFIX}, and the next "
                    "redrive sends them"
                ) from None
        out.flush()
        progress.step()
    progress.done()
    if dry_run:
        print(f"dry run: {len(targets)} record(s) would be sent; nothing was sent or moved", file=out)
        return 1 if tally.failed else 0
    print(f"redrive: sent {tally.sent}, skipped {tally.skipped}, failed {tally.failed}", file=out)
    return 1 if tally.failed else 0


def _home(aws: Aws) -> Home:
    identity = aws.client("sts").get_caller_identity()
    account, partition = identity["Account"], identity["Arn"].split(":")[1]
    location = aws.s3.get_bucket_location(Bucket=aws.target.bucket, ExpectedBucketOwner=account)
    region = location.get("LocationConstraint") or "us-east-1"
    return Home(partition, account, "eu-west-1" if region == "EU" else region)


def _target(record: FailureRecord, home: Home) -> str:
    """The ARN to invoke: the key's function in the bucket's home, with the record's qualifier if it agrees."""
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
    return home.function_arn(name, qualifier)


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


def _server_time(response: Any) -> datetime | None:
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


class _Progress:
    """A progress bar on a terminal; nothing when stderr is a file or pipe."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.count, self.stream = total, 0, stream
        self.active = stream.isatty() and total > 1

    def step(self) -> None:
        self.count += 1
        if self.active:
            filled = int(30 * self.count / self.total)
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.count}/{self.total}")
            self.stream.flush()

    def clear(self) -> None:
        if self.active and self.count:
            self.stream.write("\r" + " " * 45 + "\r")
            self.stream.flush()

    def done(self) -> None:
        if self.active:
            self.stream.write("\n")
