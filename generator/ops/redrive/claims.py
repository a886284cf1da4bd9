"""The claim protocol: at most one run sends a record, by S3 conditional writes on a claim object per record.

A run claims ``redrive-claims/<key>`` with ``If-None-Match: *``; the claim names the run and the record's ETag.
A claim older than ``CLAIM_SECONDS`` (by S3's clock) belongs to a run that died and may be taken over, with
``If-Match`` on the claim, so two runs taking over one claim cannot both win. Nothing else in the bucket
counts as a claim: one that names no run and no ETag is reported, never trusted.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import botocore.exceptions

from generator.bucket_layout import CLAIM_PREFIX
from generator.ops.aws import Aws, describe_client_error
from generator.ops.present import safe
from generator.ops.records import RecordError
from generator.record import Record, field

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import GetObjectOutputTypeDef, HeadObjectOutputTypeDef

CLAIM_SECONDS = 900  # a claim older than this belongs to a run that died; another run may take it over
# The user metadata of a redriven/ copy: the ETag of the record it copies, and the run that sent it.
SOURCE_ETAG_METADATA = "redrive-source-etag"
RUN_METADATA = "redrive-run"
_CLAIM_READ_BYTES = 4096  # a claim is a small JSON object; more is not one of ours


class Held(Record):
    """A record another claim kept this run from sending: unsent, unless its holder finishes with it."""

    key: str
    expires: datetime  # when the claim can be taken over
    run: str | None  # the holding redrive's run, when the claim names one
    again: bool  # a --again send: the record stays under redriven/, and its copy names the run that sent it

    def done(self, aws: Aws) -> bool:
        if not self.again:
            return not exists(aws, self.key)  # moved to redriven/ by its holder
        marker = head(aws, self.key)
        return bool(self.run) and marker is not None and marker.get("Metadata", {}).get(RUN_METADATA) == self.run


class Claim(Record):
    refused: str | None = None  # why this run must not send the record
    expires: datetime = field(default_factory=lambda: datetime.now(UTC))  # when a refusing claim expires
    taken_over: bool = False  # from a run that died: it may have sent or moved the record already
    holder_run: str | None = None  # the run a refusing claim names, when it is a redrive's


def take_claim(aws: Aws, key: str, etag: str, run_id: str) -> Claim:
    """Claim a record for this run with S3 conditional writes; the claim names the run and the record's ETag."""
    claim, bucket = CLAIM_PREFIX + key, aws.target.bucket
    mine = {"claimedBy": f"{socket.gethostname()}:{os.getpid()}", "run": run_id, "record": key, "etag": etag}
    body = json.dumps(mine).encode()
    try:
        aws.s3.put_object(Bucket=bucket, Key=claim, Body=body, IfNoneMatch="*")
        return Claim()
    except botocore.exceptions.ClientError as exc:
        if not _lost_a_race(exc):
            raise RecordError(f"cannot claim it: {describe_client_error(exc)}") from None
    try:
        held = aws.s3.get_object(Bucket=bucket, Key=claim, Range=f"bytes=0-{_CLAIM_READ_BYTES - 1}")
        holder_run = _holder_run(held["Body"].read(), key)
    except botocore.exceptions.ClientError:
        return Claim(refused="another redrive is sending it")
    server_now = _server_time(held) or datetime.now(UTC)
    age = (server_now - held["LastModified"]).total_seconds()
    if age < CLAIM_SECONDS:
        expires = server_now + timedelta(seconds=CLAIM_SECONDS - age)
        if holder_run is None:
            why = (f"{safe(claim)} holds it, but no redrive wrote that claim (it names no run and no ETag of the "
                   f"record); written {max(age, 0):.0f} s ago, it can be taken over after {stamp(expires)}: check "
                   "who may write to the bucket")  # fmt: skip
        else:
            why = (f"another redrive claimed it {max(age, 0):.0f} s ago (run {safe(holder_run)}); a claim expires "
                   f"after {CLAIM_SECONDS} s, so it can be taken over after {stamp(expires)}")  # fmt: skip
        return Claim(refused=why, expires=expires, holder_run=holder_run)
    try:  # the claim of a run that died, or of one that finished: take it over, unless someone else just did
        aws.s3.put_object(Bucket=bucket, Key=claim, Body=body, IfMatch=held["ETag"])
    except botocore.exceptions.ClientError as exc:
        if _lost_a_race(exc):
            return Claim(refused="another redrive took over its expired claim")
        raise RecordError(f"cannot claim it: {describe_client_error(exc)}") from None
    return Claim(taken_over=True)


def _holder_run(body: bytes, key: str) -> str | None:
    """The run a claim names, when it is a redrive's claim of this record (run, host and ETag); None otherwise."""
    try:
        claim = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(claim, dict) or claim.get("record") != key:
        return None
    run, by, etag = claim.get("run"), claim.get("claimedBy"), claim.get("etag")
    if not all(isinstance(value, str) and value for value in (run, by, etag)):
        return None
    return str(run)


def _lost_a_race(exc: botocore.exceptions.ClientError) -> bool:
    code = exc.response.get("Error", {}).get("Code", "")
    return code in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")


def _server_time(response: HeadObjectOutputTypeDef | GetObjectOutputTypeDef) -> datetime | None:
    from email.utils import parsedate_to_datetime

    date = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        return parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        return None


def head(aws: Aws, key: str) -> HeadObjectOutputTypeDef | None:
    try:
        return aws.s3.head_object(Bucket=aws.target.bucket, Key=key)
    except botocore.exceptions.ClientError:
        return None


def exists(aws: Aws, key: str) -> bool:
    return head(aws, key) is not None


def delete(aws: Aws, key: str) -> None:
    aws.s3.delete_object(Bucket=aws.target.bucket, Key=key)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
