"""What each asynchronous-invocation destination becomes in Terraform: a target ARN and a permission.

Lambda checks the execution role's permission on a destination when the invoke config is
created, so every destination brings exactly the statement it needs, on exactly its ARN.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.config import (
    DEFAULT_ON_FAILURE,
    DEFAULT_SQS_MAX_RECEIVE_COUNT,
    DEFAULT_SQS_RETENTION_SECONDS,
    Config,
    Destination,
    Function,
)
from generator.hcl import Hcl, quote

KINDS = ("on_failure", "on_success")
_CREATED = {"sqs": "aws_sqs_queue", "sns": "aws_sns_topic", "eventbridge": "aws_cloudwatch_event_bus"}
_SHARED_BUCKET = "aws_s3_bucket.failure_records.arn"


@dataclass(frozen=True)
class Statement:
    sid: str
    actions: tuple[str, ...]
    resources: tuple[Hcl, ...]
    same_account: bool  # adds the s3:ResourceAccount condition AWS recommends for the bucket this project owns


@dataclass(frozen=True)
class Wiring:
    kind: str
    destination: Destination
    target: Hcl  # an HCL expression for the destination's ARN
    statements: tuple[Statement, ...]
    created_name: str | None  # name of the queue, topic or bus the project creates for it


def uses_custom_destinations(config: Config) -> bool:
    """False when every function sends failures to the shared bucket and nothing on success (the default)."""
    return any(fn.on_failure != DEFAULT_ON_FAILURE or fn.on_success is not None for fn in config.functions)


def wiring(fn: Function) -> list[Wiring]:
    result = []
    for kind in KINDS:
        destination: Destination | None = getattr(fn, kind)
        if destination is not None:
            result.append(_wire(fn, kind, destination))
    return result


def queue_settings(destination: Destination) -> dict[str, int]:
    return {
        "retention_seconds": destination.retention_seconds or DEFAULT_SQS_RETENTION_SECONDS,
        "max_receive_count": destination.max_receive_count or DEFAULT_SQS_MAX_RECEIVE_COUNT,
    }


def _wire(fn: Function, kind: str, destination: Destination) -> Wiring:
    word = "Failure" if kind == "on_failure" else "Success"
    created_name = None
    if destination.arn is not None:
        target = quote(destination.arn)
    elif destination.type == "s3":
        target = Hcl(_SHARED_BUCKET)
    elif destination.type == "lambda":
        # Built from its parts: a reference to aws_lambda_function.this would form a dependency cycle.
        target = Hcl(
            '"arn:${data.aws_partition.current.partition}:lambda:${var.region}:'
            "${data.aws_caller_identity.current.account_id}:function:" + quote(destination.function or "")[1:-1] + '"'
        )
    else:
        created_name = f"{fn.name}-{kind.replace('_', '-')}"
        target = Hcl(f"{_CREATED[destination.type]}.destination[{quote(created_name)}].arn")
    return Wiring(kind, destination, target, _statements(destination, word, target), created_name)


def _statements(destination: Destination, word: str, target: Hcl) -> tuple[Statement, ...]:
    if destination.type == "s3":
        owned = destination.arn is None
        return (
            Statement(f"Write{word}Records", ("s3:PutObject",), (_suffixed(target, "/*"),), owned),
            Statement(f"List{word}Bucket", ("s3:ListBucket",), (target,), owned),
        )
    action, sid = {
        "sqs": ("sqs:SendMessage", f"Send{word}ToQueue"),
        "sns": ("sns:Publish", f"Publish{word}ToTopic"),
        "eventbridge": ("events:PutEvents", f"Put{word}Events"),
        "lambda": ("lambda:InvokeFunction", f"Invoke{word}Function"),
    }[destination.type]
    return (Statement(sid, (action,), (target,), False),)


def _suffixed(target: Hcl, suffix: str) -> Hcl:
    """``target`` followed by ``suffix`` as one HCL string, whether target is a literal or an expression."""
    if target.startswith('"'):
        return Hcl(target[:-1] + suffix + '"')
    return Hcl('"${' + target + "}" + suffix + '"')
