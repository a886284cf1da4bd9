"""What each asynchronous-invocation destination becomes in Terraform: a target ARN and a permission.

Lambda checks the execution role's permission on a destination when the invoke config is
created, so every destination brings exactly the statement it needs, on exactly its ARN.

An S3 destination is written to with the function's own role, at the key layout AWS documents
(``lambda_facts.RECORD_PREFIX``), so the role may put objects under its own function's prefix and
nowhere else in the bucket: not under another function's records, where a redrive would send its
payload to that function, and not under the markers the failure tools keep (``redrive-claims/``,
``redriven/``). The choice, and its sources, are in the README's "Who may write what in the bucket": a
bucket-policy ``Deny`` a function would need a statement per function, and a bucket policy holds 20 KB.
"""

from __future__ import annotations

from generator import destination_types
from generator.config.model import (
    DEFAULT_ON_FAILURE,
    DEFAULT_SQS_MAX_RECEIVE_COUNT,
    DEFAULT_SQS_RETENTION_SECONDS,
    DESTINATION_KINDS,
    Config,
    Destination,
    Function,
)
from generator.lambda_facts import record_prefix
from generator.record import Record
from generator.render.hcl import Hcl, interpolate, quote
from generator.render.names import scoped_name

KINDS = DESTINATION_KINDS
_SHARED_BUCKET = "aws_s3_bucket.failure_records.arn"
_ACCOUNT_ID = "data.aws_caller_identity.current.account_id"


class Statement(Record):
    sid: str
    actions: tuple[str, ...]
    resources: tuple[Hcl, ...]
    same_account: bool  # adds the s3:ResourceAccount condition AWS recommends for the bucket this project owns


class Wiring(Record):
    kind: str
    destination: Destination
    target: Hcl  # an HCL expression for the destination's ARN
    statements: tuple[Statement, ...]
    created_name: str | None  # name of the queue, topic or bus the project creates for it


def uses_failure_bucket(config: Config) -> bool:
    """Whether any function records its failures in the bucket this project creates."""
    return any(fn.on_failure.is_failure_bucket for fn in config.functions)


def uses_custom_destinations(config: Config) -> bool:
    """False when every function sends failures to the shared bucket and nothing on success (the default)."""
    return any(fn.on_failure != DEFAULT_ON_FAILURE or fn.on_success is not None for fn in config.functions)


def wiring(project: str, fn: Function, bucket_kms: bool = False) -> list[Wiring]:
    """Each destination of ``fn``; ``bucket_kms``: the failure bucket encrypts with a customer managed key."""
    result = []
    for kind in KINDS:
        destination: Destination | None = getattr(fn, kind)
        if destination is not None:
            result.append(_wire(project, fn, kind, destination, bucket_kms))
    return result


def described(wired: Wiring) -> str:
    """Where the records go, in words: 'the failure bucket', 'the SQS queue orders-on-failure'."""
    destination = wired.destination
    if destination.is_failure_bucket:
        return "the failure bucket"
    name = wired.created_name or destination.function or _name_in_arn(destination.arn or "")
    return f"the {destination_types.BY_NAME[destination.type].words} {name}"


def _name_in_arn(arn: str) -> str:
    if ":event-bus/" in arn:
        return arn.split(":event-bus/", 1)[1]
    if ":function:" in arn:
        return arn.split(":function:", 1)[1]
    return arn.rsplit(":", 1)[-1]


def queue_settings(destination: Destination) -> dict[str, int]:
    return {
        "retention_seconds": destination.retention_seconds or DEFAULT_SQS_RETENTION_SECONDS,
        "max_receive_count": destination.max_receive_count or DEFAULT_SQS_MAX_RECEIVE_COUNT,
    }


def _wire(project: str, fn: Function, kind: str, destination: Destination, bucket_kms: bool) -> Wiring:
    word = destination_types.WORDS[0] if kind == "on_failure" else destination_types.WORDS[1]
    created_name = None
    if destination.arn is not None:
        arn: tuple[str, ...] = (destination.arn,)
    elif destination.type == "s3":
        arn = (Hcl(_SHARED_BUCKET),)
    elif destination.type == "lambda":
        # Built from its parts: a reference to the function's resource would form a dependency cycle.
        partition, account = Hcl("data.aws_partition.current.partition"), Hcl(_ACCOUNT_ID)
        arn = ("arn:", partition, ":lambda:", Hcl("var.region"), ":", account, ":function:", destination.function or "")
    else:
        created = destination_types.CREATED[destination.type]
        created_name = scoped_name(project, fn.name, kind.replace("_", "-"), limit=created.name_limit)
        arn = (Hcl(f"{created.resource}.destination[{quote(created_name)}].arn"),)
    target = interpolate(*arn)
    statements = _statements(destination, word, arn, fn.name)
    if bucket_kms and destination.is_failure_bucket:
        key = (Hcl("var.failure_bucket_kms_key_arn"),)
        statements += (Statement(destination_types.ENCRYPT_RECORDS_STATEMENT, ("kms:GenerateDataKey",), key, False),)
    return Wiring(kind, destination, target, statements, created_name)


def _statements(destination: Destination, word: str, arn: tuple[str, ...], function: str) -> tuple[Statement, ...]:
    kind = destination_types.BY_NAME[destination.type]
    sid = kind.statement.format(word=word)
    if destination.type == "s3":  # its own records only, and the listing Lambda needs beside them
        owned = destination.is_failure_bucket
        own_records = interpolate(*arn, "/", record_prefix(function), "*")
        return (
            Statement(sid, (kind.action,), (own_records,), owned),
            Statement(
                destination_types.LIST_BUCKET_STATEMENT.format(word=word),
                ("s3:ListBucket",),
                (interpolate(*arn),),
                owned,
            ),
        )
    return (Statement(sid, (kind.action,), (interpolate(*arn),), False),)
