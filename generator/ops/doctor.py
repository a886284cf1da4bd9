"""``failures doctor``: check a deployed project against what it was applied with, and say what is wrong.

Each check reads AWS as it is now and compares it with the project's outputs (``asynchronous_settings``,
``destinations``, ``role_arns``, ``alarm_names``, the failure bucket): drift, destinations that are gone or out of
the role's reach, a failure bucket another account owns, loops allowed, alarms firing, records lost or waiting.
Findings are sorted most serious first. What an API does not let the doctor see (an emulator without IAM policy
simulation, a permission the caller lacks) is reported as not checked, never as fine.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

import botocore.config
import botocore.exceptions
from botocore.parsers import ResponseParserError

from generator import destination_types, project_outputs
from generator.bucket_layout import CLAIM_PREFIX, RECORD_PREFIX
from generator.errors import EXIT_INCOMPLETE, EXIT_OK, EXIT_PROBLEMS, UsageError
from generator.ops.aws import Aws, aws_errors, describe_client_error
from generator.ops.present import safe
from generator.record import Record

ERROR, WARNING, UNCHECKED, OK = "error", "warning", "not checked", "ok"
SEVERITIES = (ERROR, WARNING, UNCHECKED, OK)  # most serious first
# 0 nothing wrong (some checks may not have run), 1 something to look at, 3 something is wrong (records go astray
# or are lost); 2, as for every command, when the doctor cannot run at all.
EXIT_BY_SEVERITY = {ERROR: EXIT_PROBLEMS, WARNING: EXIT_INCOMPLETE, UNCHECKED: EXIT_OK, OK: EXIT_OK}
# The alarms whose ALARM state means records or events are being lost, by the metric in their name.
_LOSS_ALARMS = ("destination-delivery-failures", "async-events-dropped")
_LOSS_METRICS = ("DestinationDeliveryFailures", "AsyncEventsDropped")  # summed over the last day
_QUALIFIER_NOTE = "the rendered project's invoke config is on the function's alias, where it has one"


class Finding(Record):
    severity: str
    function: str  # the function it concerns, or "" for the project
    check: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"severity": self.severity, "function": self.function, "check": self.check, "message": self.message}


class Expected(Record):
    """What one function was applied with, from the project's outputs."""

    name: str
    qualifier: str | None
    maximum_retry_attempts: int | None
    maximum_event_age_seconds: int | None
    reserved_concurrency: int | None
    on_failure: str | None
    on_success: str | None
    recursive_loop: str
    role_arn: str | None
    alarms: tuple[str, ...]


def expected_functions(outputs: dict[str, Any]) -> list[Expected]:
    settings = outputs.get(project_outputs.ASYNCHRONOUS_SETTINGS)
    if not isinstance(settings, dict):
        raise UsageError(f"the project has no {project_outputs.ASYNCHRONOUS_SETTINGS} output: render it with this "
                         "version of the generator and apply, then run doctor again")  # fmt: skip
    roles = outputs.get("role_arns") or {}
    alarms = outputs.get("alarm_names") or {}
    found = []
    for name, applied in sorted(settings.items()):
        concurrency = applied.get("reserved_concurrency")
        found.append(Expected(
            name=name, qualifier=applied.get("qualifier") or None,
            maximum_retry_attempts=applied.get("maximum_retry_attempts"),
            maximum_event_age_seconds=applied.get("maximum_event_age_seconds"),
            reserved_concurrency=None if concurrency in (None, -1) else int(concurrency),
            on_failure=applied.get("on_failure"), on_success=applied.get("on_success"),
            recursive_loop=applied.get("recursive_loop") or "Terminate", role_arn=roles.get(name),
            alarms=tuple(alarms.get(name) or ()),
        ))  # fmt: skip
    return found


def run_doctor(aws: Aws, as_json: bool, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if aws.target.outputs is None:
        raise UsageError("doctor checks a deployed project: run it in the project, or pass --from-terraform DIR")
    functions = expected_functions(aws.target.outputs)
    with aws_errors("cannot check the project"):
        account = aws.sts().get_caller_identity()["Account"]
        findings = list(_checks(aws, functions, account))
    findings.sort(key=lambda f: (SEVERITIES.index(f.severity), f.function, f.check))
    if as_json:
        for finding in findings:
            out.write(json.dumps(finding.as_json()) + "\n")
    else:
        _print(findings, out)
    return max((EXIT_BY_SEVERITY[f.severity] for f in findings), default=0)


def _print(findings: list[Finding], out: TextIO) -> None:
    width = max((len(f.function) for f in findings), default=0)
    for finding in findings:
        print(f"{finding.severity.upper():11}  {finding.function or '-':{max(width, 1)}}  {finding.check}: "
              f"{finding.message}", file=out)  # fmt: skip
    counts = {severity: sum(f.severity == severity for f in findings) for severity in SEVERITIES}
    print(", ".join(f"{n} {s}" for s, n in counts.items() if n) or "nothing to check", file=out)


def _checks(aws: Aws, functions: list[Expected], account: str) -> Iterator[Finding]:
    checks: tuple[Callable[[Aws, Expected, str], Iterator[Finding]], ...] = (
        _invoke_config, _concurrency, _destinations, _recursion, _alarms, _losses, _waiting,
    )  # fmt: skip
    for function in functions:
        for check in checks:
            try:
                yield from check(aws, function, account)
            except botocore.exceptions.ClientError as exc:
                yield Finding(UNCHECKED, function.name, check.__name__.strip("_").replace("_", " "),
                              f"AWS refused to answer: {describe_client_error(exc)}")  # fmt: skip
    yield from _stale_claims(aws)


def _config_qualifier(config: Any) -> str | None:
    parts = str(config.get("FunctionArn", "")).split(":")
    return parts[7] if len(parts) == 8 and parts[7] != "$LATEST" else None


def _where(qualifier: str | None) -> str:
    return f"the alias {qualifier}" if qualifier else "the function itself (no qualifier)"


def _invoke_config(aws: Aws, fn: Expected, account: str) -> Iterator[Finding]:
    """On the qualifier the config asks for, pointing where it says, with the retries and age it applied."""
    check = "invoke config"
    configs = aws.lambda_for(aws.target.region).list_function_event_invoke_configs(FunctionName=fn.name)
    by_qualifier = {_config_qualifier(c): c for c in configs.get("FunctionEventInvokeConfigs", [])}
    mine: Any = by_qualifier.pop(fn.qualifier, None)
    for other, config in by_qualifier.items():
        goes = config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination") or "nowhere"
        text = (f"{_where(other)} has an invoke config of its own, which the project did not apply: events invoked "
                f"there are recorded to {safe(goes)} ({_QUALIFIER_NOTE})")  # fmt: skip
        yield Finding(WARNING, fn.name, check, text)
    if mine is None:
        yield Finding(ERROR, fn.name, check, f"no invoke config on {_where(fn.qualifier)}: events invoked there get "
                      "Lambda's default retries and their records go nowhere; terraform apply restores it")  # fmt: skip
        return
    destinations = mine.get("DestinationConfig", {})
    for kind, wanted in (("OnFailure", fn.on_failure), ("OnSuccess", fn.on_success)):
        actual = destinations.get(kind, {}).get("Destination")
        if actual != wanted:
            yield Finding(ERROR, fn.name, check, f"{kind} goes to {safe(str(actual))}, but the project applied "
                          f"{wanted}; terraform apply restores it")  # fmt: skip
    drift = [f"{label} {mine.get(key)} (applied: {wanted})" for label, key, wanted in (
        ("retries", "MaximumRetryAttempts", fn.maximum_retry_attempts),
        ("event age", "MaximumEventAgeInSeconds", fn.maximum_event_age_seconds),
    ) if wanted is not None and mine.get(key) != wanted]  # fmt: skip
    if drift:
        yield Finding(WARNING, fn.name, check, "changed since the apply: " + ", ".join(drift))
    else:
        yield Finding(OK, fn.name, check, f"on {_where(fn.qualifier)}, records to {fn.on_failure}")


def _concurrency(aws: Aws, fn: Expected, account: str) -> Iterator[Finding]:
    actual = (
        aws.lambda_for(aws.target.region)
        .get_function_concurrency(FunctionName=fn.name)
        .get("ReservedConcurrentExecutions")
    )
    if actual != fn.reserved_concurrency:
        yield Finding(WARNING, fn.name, "concurrency", f"reserved concurrency is {actual}, applied "
                      f"{fn.reserved_concurrency}; terraform apply restores it")  # fmt: skip
    elif actual == 0:
        yield Finding(OK, fn.name, "concurrency", "reserved concurrency 0: Lambda runs nothing and records every "
                      "asynchronous event at once (ZeroReservedConcurrency)")  # fmt: skip


def _destinations(aws: Aws, fn: Expected, account: str) -> Iterator[Finding]:
    for kind, arn in (("on_failure", fn.on_failure), ("on_success", fn.on_success)):
        if arn:
            yield from _destination(aws, fn, kind, arn, account)


def _destination(aws: Aws, fn: Expected, kind: str, arn: str, account: str) -> Iterator[Finding]:
    """The destination exists (a bucket: in this account), and the role may deliver to it."""
    check = f"{kind} destination"
    service = arn.split(":")[2]
    type_name = {"s3": "s3", "sqs": "sqs", "sns": "sns", "events": "eventbridge", "lambda": "lambda"}.get(service)
    if type_name is None:
        yield Finding(UNCHECKED, fn.name, check, f"{safe(arn)} is no destination type this tool knows")
        return
    missing = _missing(aws, type_name, arn, account)
    if missing:
        yield Finding(ERROR, fn.name, check, f"{safe(arn)}: {missing}; Lambda cannot deliver records there")
        return
    resource = f"{arn}/{RECORD_PREFIX}{fn.name}/doctor" if type_name == "s3" else arn
    yield from _role_may(aws, fn, check, destination_types.BY_NAME[type_name].action, (resource, arn))


def _missing(aws: Aws, type_name: str, arn: str, account: str) -> str | None:
    """Why the destination cannot be used, or None when it exists (and, for a bucket, is this account's)."""
    parts = arn.split(":")
    region = parts[3] or aws.target.region
    try:
        if type_name == "s3":
            aws.s3.head_bucket(Bucket=parts[5], ExpectedBucketOwner=account)
        elif type_name == "sqs":
            aws.sqs_for(region).get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])
        elif type_name == "sns":
            aws.session.client("sns", **aws.where(region)).get_topic_attributes(TopicArn=arn)
        elif type_name == "eventbridge":
            aws.session.client("events", **aws.where(region)).describe_event_bus(Name=arn)
        else:
            aws.lambda_for(region).get_function(FunctionName=arn)
    except botocore.exceptions.ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if type_name == "s3" and code in ("403", "AccessDenied"):
            # S3 answers 403 to a bucket whose owner is not ExpectedBucketOwner: one re-created by another account
            # (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html).
            return f"the bucket does not belong to this account ({account}), or this caller may not see it"
        if code in ("404", "NoSuchBucket", "NotFound", "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist",
                    "ResourceNotFoundException", "ResourceNotFound"):  # fmt: skip
            return "it does not exist"
        raise
    return None


def _role_may(aws: Aws, fn: Expected, check: str, action: str, where: tuple[str, str]) -> Iterator[Finding]:
    """Whether the role may take ``action`` on the resource, by IAM policy simulation; ``where``: (resource, ARN)."""
    resource, arn = where
    if not fn.role_arn:
        yield Finding(UNCHECKED, fn.name, check, "the project names no role for the function")
        return
    # Asked once, without retries: an endpoint that cannot simulate (an emulator) answers an error at once.
    once = {**aws.where(None), "config": botocore.config.Config(retries={"mode": "standard", "max_attempts": 1})}
    try:
        answer = aws.session.client("iam", **once).simulate_principal_policy(
            PolicySourceArn=fn.role_arn, ActionNames=[action], ResourceArns=[resource]
        )
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, ResponseParserError) as exc:
        why = describe_client_error(exc) if isinstance(exc, botocore.exceptions.ClientError) else "no answer it reads"
        yield Finding(UNCHECKED, fn.name, check, f"{arn} exists; whether the role may {action} on it was not checked: "
                      f"IAM policy simulation is unavailable ({why})")  # fmt: skip
        return
    decisions = {result.get("EvalDecision") for result in answer.get("EvaluationResults", [])}
    if decisions == {"allowed"}:
        yield Finding(OK, fn.name, check, f"{arn} exists and the role may {action} on it")
    else:
        shown = ", ".join(sorted(str(d) for d in decisions)) or "no answer"
        yield Finding(ERROR, fn.name, check, f"the role may not {action} on {arn} ({shown}): Lambda cannot deliver "
                      "records there")  # fmt: skip


def _recursion(aws: Aws, fn: Expected, account: str) -> Iterator[Finding]:
    actual = (
        aws.lambda_for(aws.target.region)
        .get_function_recursion_config(FunctionName=fn.name)
        .get("RecursiveLoop", "Terminate")
    )
    if actual != fn.recursive_loop:
        severity = ERROR if actual == "Allow" else WARNING
        loops = "; Lambda will not stop a loop through its destination" if actual == "Allow" else ""
        yield Finding(
            severity, fn.name, "recursive loop", f"{actual}, but the project applied {fn.recursive_loop}{loops}"
        )
    elif actual == "Allow":
        yield Finding(WARNING, fn.name, "recursive loop", "Allow, as the config asks: Lambda will not stop a loop "
                      "through this function")  # fmt: skip
    else:
        yield Finding(OK, fn.name, "recursive loop", "Terminate: Lambda stops a loop it detects")


def _alarms(aws: Aws, fn: Expected, account: str) -> Iterator[Finding]:
    if not fn.alarms:
        return
    answer = aws.session.client("cloudwatch", **aws.where(None)).describe_alarms(AlarmNames=list(fn.alarms))
    states = {alarm["AlarmName"]: alarm["StateValue"] for alarm in answer.get("MetricAlarms", [])}
    for name in fn.alarms:
        state = states.get(name)
        if state is None:
            yield Finding(WARNING, fn.name, "alarm", f"{name} is gone; terraform apply restores it")
        elif state == "ALARM":
            severity = ERROR if name.endswith(_LOSS_ALARMS) else WARNING
            yield Finding(severity, fn.name, "alarm", f"{name} is in ALARM")
        else:
            yield Finding(OK, fn.name, "alarm", f"{name} is {state}")


def _losses(aws: Aws, fn: Expected, account: str) -> Iterator[Finding]:
    """Records Lambda could not deliver, and events it dropped, over the last day."""
    cloudwatch = aws.session.client("cloudwatch", **aws.where(None))
    now = datetime.now(UTC)
    for metric in _LOSS_METRICS:
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda", MetricName=metric, Dimensions=[{"Name": "FunctionName", "Value": fn.name}],
            # The end is a minute on: a datapoint stamped in this very second (to the second) is inside it.
            StartTime=now - timedelta(days=1), EndTime=now + timedelta(minutes=1), Period=86400, Statistics=["Sum"],
        )["Datapoints"]  # fmt: skip
        total = sum(point.get("Sum", 0) for point in points)
        if total:
            what = "records not delivered" if metric == _LOSS_METRICS[0] else "events dropped"
            yield Finding(ERROR, fn.name, "last day", f"{total:g} {what} ({metric})")
        else:
            yield Finding(OK, fn.name, "last day", f"{metric} 0")


def _waiting(aws: Aws, fn: Expected, account: str) -> Iterator[Finding]:
    """Records waiting for a redrive: in the bucket under the function's prefix, or in its queue."""
    arn = fn.on_failure or ""
    if arn.split(":")[2:3] == ["s3"] and aws.target.bucket:
        prefix = f"{RECORD_PREFIX}{fn.name}/"
        listing = aws.s3.list_objects_v2(Bucket=aws.target.bucket, Prefix=prefix, MaxKeys=1000)
        count = listing.get("KeyCount", 0)
        more = "+" if listing.get("IsTruncated") else ""
        if count:
            yield Finding(WARNING, fn.name, "waiting", f"{count}{more} record(s) wait in s3://{aws.target.bucket}/"
                          f"{prefix}: failures list --function {fn.name}, then redrive them")  # fmt: skip
    elif arn.split(":")[2:3] == ["sqs"]:
        from generator.ops.queues import queue_for, queues_of

        queue = queue_for(aws, arn, (fn.name,))
        for source in queues_of(queue):
            attributes = aws.sqs_for(arn.split(":")[3]).get_queue_attributes(
                QueueUrl=source.url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
            count = int(attributes.get("ApproximateNumberOfMessages", "0"))
            if count:
                yield Finding(WARNING, fn.name, "waiting", f"about {count} record(s) wait in the queue {source.name}: "
                              f"failures list --function {fn.name}, then redrive them")  # fmt: skip


def _stale_claims(aws: Aws) -> Iterator[Finding]:
    """Claims older than the takeover age on records still in place: a redrive died holding them."""
    if not aws.target.bucket:
        return
    from generator.ops.redrive.claims import CLAIM_SECONDS, exists

    stale = 0
    now = datetime.now(UTC)
    try:
        for page in aws.s3.get_paginator("list_objects_v2").paginate(Bucket=aws.target.bucket, Prefix=CLAIM_PREFIX):
            for claim in page.get("Contents", []):
                old = (now - claim["LastModified"]).total_seconds() > CLAIM_SECONDS
                if old and exists(aws, claim["Key"][len(CLAIM_PREFIX) :]):
                    stale += 1
    except botocore.exceptions.ClientError as exc:
        yield Finding(UNCHECKED, "", "claims", f"could not list the claims: {describe_client_error(exc)}")
        return
    if stale:
        yield Finding(WARNING, "", "claims", f"{stale} record(s) still in place are held by a claim older than "
                      f"{CLAIM_SECONDS} s: a redrive died holding them; the next redrive takes them over")  # fmt: skip
    else:
        yield Finding(OK, "", "claims", "no redrive left a record claimed")
