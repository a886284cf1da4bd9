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
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TextIO

from generator.errors import GeneratorError, UsageError
from generator.records import (
    RECORD_PREFIX,
    REDRIVEN_PREFIX,
    FailureRecord,
    RecordError,
    RecordKey,
    parse_since,
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


class AwsError(GeneratorError):
    """AWS refused the whole command: no credentials, no bucket, no access."""


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
    except botocore.exceptions.EndpointConnectionError as exc:
        raise AwsError(f"{what}: cannot reach {exc.kwargs.get('endpoint_url', 'the AWS endpoint')}") from None
    except botocore.exceptions.ClientError as exc:
        raise AwsError(f"{what}: {describe_client_error(exc)}") from None


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
        return f"access denied ({message})"
    return f"{code or 'error'}: {message}"


# --- where the bucket comes from --------------------------------------------------------------


def resolve_target(
    bucket: str | None, from_terraform: Path | None, region: str | None, endpoint_url: str | None
) -> Target:
    """``--bucket``, else the outputs of a deployed rendered project (``out/`` when it holds state)."""
    if bucket and from_terraform:
        raise UsageError("pass either --bucket or --from-terraform, not both")
    if not bucket:
        directory = from_terraform or Path("out")
        if from_terraform is None and not (directory / "terraform.tfstate").is_file():
            raise UsageError("no bucket given: pass --bucket NAME, or --from-terraform DIR for a deployed project")
        outputs = terraform_outputs(directory)
        bucket = outputs.get("failure_bucket_name")
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


def list_keys(aws: Aws, prefix: str = RECORD_PREFIX, start_after: str | None = None) -> list[str]:
    keys: list[str] = []
    paginator = aws.s3.get_paginator("list_objects_v2")
    arguments = {"Bucket": aws.target.bucket, "Prefix": prefix}
    if start_after:
        arguments["StartAfter"] = start_after
    with aws_errors(f"cannot list s3://{aws.target.bucket}/{prefix}"):
        for page in paginator.paginate(**arguments):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
    return keys


def fetch(aws: Aws, key: RecordKey) -> FailureRecord:
    try:
        body = aws.s3.get_object(Bucket=aws.target.bucket, Key=key.key)["Body"].read()
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise RecordError("no such record (moved or deleted meanwhile?)") from None
        raise RecordError(describe_client_error(exc)) from None
    return FailureRecord.parse(key, body)


def select(aws: Aws, selection: Selection) -> Outcome:
    """The selected records, newest first; unreadable objects are reported, not fatal."""
    outcome = Outcome()
    if selection.keys:
        candidates = []
        for key in selection.keys:
            try:
                candidates.append(RecordKey.parse(key))
            except RecordError as exc:
                outcome.problems.append((key, str(exc)))
    else:
        prefix = RECORD_PREFIX + (f"{selection.function}/" if selection.function else "")
        candidates = []
        for key in list_keys(aws, prefix):
            try:
                candidates.append(RecordKey.parse(key))
            except RecordError as exc:
                outcome.problems.append((key, str(exc)))
        if selection.since:
            candidates = [c for c in candidates if c.time >= selection.since]
    candidates.sort(key=lambda c: (c.time, c.key), reverse=True)
    with ThreadPoolExecutor(max_workers=_FETCH_WORKERS) as pool:
        for start in range(0, len(candidates), _FETCH_BATCH):
            batch = candidates[start : start + _FETCH_BATCH]
            for candidate, result in zip(batch, pool.map(lambda k: _fetch_or_error(aws, k), batch), strict=True):
                if isinstance(result, RecordError):
                    outcome.problems.append((candidate.key, str(result)))
                elif selection.condition is None or result.condition == selection.condition:
                    outcome.records.append(result)
            if selection.limit is not None and len(outcome.records) >= selection.limit:
                outcome.records = outcome.records[: selection.limit]
                break
    return outcome


def _fetch_or_error(aws: Aws, key: RecordKey) -> FailureRecord | RecordError:
    try:
        return fetch(aws, key)
    except RecordError as exc:
        return exc


# --- list and show ----------------------------------------------------------------------------


def run_list(aws: Aws, selection: Selection, as_json: bool, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    outcome = select(aws, selection)
    if as_json:
        for record in outcome.records:
            out.write(json.dumps(record.summary(), ensure_ascii=False) + "\n")
    elif outcome.records:
        _print_table(outcome.records, out)
    else:
        print(f"no failure records in s3://{aws.target.bucket}/{RECORD_PREFIX} match", file=out)
    _report_problems(outcome.problems)
    return 1 if outcome.problems else 0


def _print_table(records: list[FailureRecord], out: TextIO) -> None:
    rows = [("TIME", "FUNCTION", "CONDITION", "ERROR", "REQUEST ID", "KEY")]
    for record in records:
        error = f"{record.error_type}: {record.error_message}" if record.error_type else record.error_message or "-"
        error = error.replace("\n", " ")
        rows.append((
            record.key.time.strftime("%Y-%m-%d %H:%M:%SZ"), record.key.function, record.condition,
            error if len(error) <= 60 else error[:59] + "…", record.request_id, record.key.key,
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1], file=out)


def run_show(aws: Aws, key: str, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        record = fetch(aws, RecordKey.parse(key))
    except RecordError as exc:
        print(f"error: {key}: {exc}", file=sys.stderr)
        return 1
    print_record(record, out)
    return 0


def print_record(record: FailureRecord, out: TextIO) -> None:
    lines = [
        f"Key:         {record.key.key}",
        f"Function:    {record.key.function} ({record.function_arn})",
        f"Time:        {record.timestamp or record.key.time.isoformat()}",
        f"Condition:   {record.condition}"
        + (f" after {record.invoke_count} attempt(s)" if record.invoke_count is not None else ""),
        f"Request ID:  {record.request_id}",
    ]
    if record.status_code is not None or record.function_error:
        lines.append(f"Response:    status {record.status_code}, function error {record.function_error or '-'}")
    if record.error_type or record.error_message:
        lines.append(f"Error:       {record.error_type}: {record.error_message}")
    else:
        lines.append("Error:       none recorded (the event never ran, e.g. it was throttled until it aged out)")
    if record.stack_trace:
        lines.append("Stack trace:")
        lines.extend(f"  {line}" for entry in record.stack_trace for line in entry.rstrip().splitlines())
    lines.append("Payload:")
    lines.extend("  " + line for line in json.dumps(record.payload, indent=2, ensure_ascii=False).splitlines())
    print("\n".join(lines), file=out)


def _report_problems(problems: Iterable[tuple[str, str]]) -> None:
    for key, problem in problems:
        print(f"warning: {key}: {problem}", file=sys.stderr)


# --- wait -------------------------------------------------------------------------------------


def run_wait(
    aws: Aws, function: str, *, timeout: float, invoke: bool, interval: float = 5.0, out: TextIO | None = None
) -> int:
    """Optionally invoke ``function`` with a failing event, then poll until its next record arrives."""
    out = out or sys.stdout
    started = datetime.now(timezone.utc)
    prefix = f"{RECORD_PREFIX}{function}/"
    # Records newer than a few minutes before now: a key built from that moment sorts before them all.
    since = started - timedelta(minutes=5)
    start_after = f"{prefix}{since:%Y/%m/%d}/{since:%Y-%m-%dT%H.%M.%S}"
    known = set(list_keys(aws, prefix, start_after))
    expected = _maximum_event_age(aws, function)
    request_id = None
    if invoke:
        with aws_errors(f"cannot invoke {function}"):
            response = aws.lambda_for(aws.target.region).invoke(
                FunctionName=function, InvocationType="Event", Payload=FORCE_ERROR_PAYLOAD
            )
        request_id = response["ResponseMetadata"]["RequestId"]
        print(f"Invoked {function} asynchronously with {FORCE_ERROR_PAYLOAD.decode()} (request {request_id})", file=out)
    hint = f"; expect it after about {expected} s (the maximum event age) plus retries" if expected else ""
    print(
        f"Waiting up to {timeout:.0f} s for a failure record of {function} in s3://{aws.target.bucket}{hint}", file=out
    )
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
                print(f"Record arrived after {time.monotonic() - clock:.0f} s:", file=out)
                print_record(record, out)
                return 0
        elapsed = time.monotonic() - clock
        if elapsed >= timeout:
            status.clear()
            print(f"No record for {function} after {timeout:.0f} s; try a longer --timeout", file=out)
            return 1
        status.show(f"waiting: {elapsed:4.0f} s elapsed" + (f", expected about {expected} s" if expected else ""))
        time.sleep(min(interval, timeout - elapsed))


def _maximum_event_age(aws: Aws, function: str) -> int | None:
    try:
        config = aws.lambda_for(aws.target.region).get_function_event_invoke_config(FunctionName=function)
    except botocore.exceptions.BotoCoreError:
        return None
    except botocore.exceptions.ClientError:
        return None
    age = config.get("MaximumEventAgeInSeconds")
    return int(age) if age is not None else None


class _Status:
    """One self-overwriting status line on a terminal; silent when the output is a file or pipe."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.active = stream.isatty()

    def show(self, text: str) -> None:
        if self.active:
            self.stream.write("\r" + text.ljust(60))
            self.stream.flush()

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


def run_redrive(aws: Aws, selection: Selection, dry_run: bool, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    """Send each selected record's payload back to its function; move the record under redriven/ once accepted."""
    outcome = select(aws, selection)
    _report_problems(outcome.problems)
    records = sorted(outcome.records, key=lambda r: (r.key.time, r.key.key))  # oldest first, as they happened
    tally = Tally(failed=len(outcome.problems))
    if not records:
        print("no failure records match; nothing to redrive", file=out)
        return 1 if tally.failed else 0
    _warn_about_throttled_functions(aws, records)
    progress = _Progress(len(records), sys.stderr)
    for record in records:
        progress.clear()  # each record's line goes above the bar, never into it
        if dry_run:
            size = len(_payload_bytes(record))
            name, _ = _function_and_region(record.function_arn)
            print(f"would send {record.key.key} to {name} ({size} bytes)", file=out)
        else:
            _redrive_one(aws, record, tally, out)
        out.flush()
        progress.step()
    progress.done()
    if dry_run:
        print(f"dry run: {len(records)} record(s) would be sent; nothing was sent or moved", file=out)
        return 1 if tally.failed else 0
    print(f"redrive: sent {tally.sent}, skipped {tally.skipped}, failed {tally.failed}", file=out)
    return 1 if tally.failed else 0


def _redrive_one(aws: Aws, record: FailureRecord, tally: Tally, out: TextIO) -> None:
    bucket, key = aws.target.bucket, record.key.key
    marked = REDRIVEN_PREFIX + key
    if _exists(aws, marked):  # an earlier run sent and marked it but could not remove the original
        _delete(aws, key)
        print(f"skipped {key}: already redriven (found {marked})", file=out)
        tally.skipped += 1
        return
    name, region = _function_and_region(record.function_arn)
    try:
        response = aws.lambda_for(region).invoke(
            FunctionName=name, InvocationType="Event", Payload=_payload_bytes(record)
        )
    except botocore.exceptions.ClientError as exc:
        print(f"failed {key}: the invoke was refused: {describe_client_error(exc)}; the record stays", file=out)
        tally.failed += 1
        return
    if response.get("StatusCode") != 202:
        print(f"failed {key}: Lambda answered {response.get('StatusCode')}, not 202; the record stays", file=out)
        tally.failed += 1
        return
    try:
        aws.s3.copy_object(Bucket=bucket, Key=marked, CopySource={"Bucket": bucket, "Key": key})
        _delete(aws, key)
    except botocore.exceptions.ClientError as exc:
        print(f"failed {key}: sent, but could not be moved to {marked}: {describe_client_error(exc)}", file=out)
        tally.failed += 1
        return
    print(f"sent {key} to {name}; moved to {marked}", file=out)
    tally.sent += 1


def _payload_bytes(record: FailureRecord) -> bytes:
    return json.dumps(record.payload, ensure_ascii=False, separators=(",", ":")).encode()


def _function_and_region(function_arn: str) -> tuple[str, str | None]:
    """The unqualified function ARN (``$LATEST`` is the default) and its region."""
    parts = function_arn.split(":")
    if len(parts) >= 7 and parts[2] == "lambda":
        return ":".join(parts[:7]), parts[3]
    return function_arn, None


def _exists(aws: Aws, key: str) -> bool:
    try:
        aws.s3.head_object(Bucket=aws.target.bucket, Key=key)
    except botocore.exceptions.ClientError:
        return False
    return True


def _delete(aws: Aws, key: str) -> None:
    aws.s3.delete_object(Bucket=aws.target.bucket, Key=key)


def _warn_about_throttled_functions(aws: Aws, records: list[FailureRecord]) -> None:
    for arn in sorted({r.function_arn for r in records}):
        name, region = _function_and_region(arn)
        try:
            concurrency = aws.lambda_for(region).get_function_concurrency(FunctionName=name)
        except botocore.exceptions.ClientError:
            continue
        if concurrency.get("ReservedConcurrentExecutions") == 0:
            print(
                f"warning: {name.rsplit(':', 1)[-1]} has reserved concurrency 0, so every redriven event will be "
                "throttled and fail again; raise it (functions[].reserved_concurrency) before redriving",
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


def selection_from(args: Any) -> Selection:
    since = None
    if getattr(args, "since", None):
        try:
            since = parse_since(args.since, datetime.now(timezone.utc))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    return Selection(
        function=getattr(args, "function", None),
        since=since,
        condition=getattr(args, "condition", None),
        limit=getattr(args, "limit", None),
        keys=list(getattr(args, "keys", []) or []),
    )
