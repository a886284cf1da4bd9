"""Lambda's asynchronous delivery of a failure record, which moto does not emulate, for reserved concurrency 0.

"Capturing records of Lambda asynchronous invocations" (lambda_facts.RECORDS_DOC): with reserved concurrency 0,
Lambda sends each asynchronous event at once, without retries, to the on-failure destination of the invoke
config that applies (the alias's when the alias is invoked), as a record with the condition
ZeroReservedConcurrency, approximateInvokeCount 0 and no response. An S3 record is written as the function's
execution role, at aws/lambda/async/<function>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<UUID>; SQS, SNS, EventBridge and
Lambda get the record as their own message. LocalStack, which tests against AWS, writes the same record.

The sandbox runs no function code: an event of a function with concurrency is accepted (202) and nothing more
happens, so no RetriesExhausted record ever comes; the README says so.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from generator import lambda_facts
from generator.sandbox.patches import Patches

# The EventBridge event of a record (RECORDS_DOC, "Amazon EventBridge destinations").
EVENT_SOURCE = "lambda"
FAILURE_DETAIL_TYPE = "Lambda Function Invocation Result - Failure"


# The request id the Invoke being answered must report: moto makes a new one for every response, after the
# action has run, so the one the record holds is handed to that step through this.
_ANSWERED_REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("answered_request_id",
                                                                                   default=None)  # fmt: skip


def _request_id(original: Any) -> Any:
    def generate(headerdict: dict[str, Any] | None = None) -> str:
        chosen = _ANSWERED_REQUEST_ID.get()
        if chosen is None:
            return str(original(headerdict))
        _ANSWERED_REQUEST_ID.set(None)
        if isinstance(headerdict, dict):
            headerdict["x-amzn-requestid"] = chosen
        return chosen

    return generate


class DeliveryError(Exception):
    """A record Lambda could not deliver: AWS counts it in the DestinationDeliveryFailures metric."""


def zero_concurrency_record(function_arn: str, payload: bytes, now: datetime, request_id: str) -> dict[str, Any]:
    """The record Lambda sends for an event of a function whose reserved concurrency is 0; its requestId is the
    one the Invoke call answered with."""
    try:
        request: Any = json.loads(payload or b"{}")
    except ValueError:
        request = payload.decode("utf-8", "replace")
    return {
        "version": "1.0",
        "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": lambda_facts.ZERO_CONCURRENCY_CONDITION,
            "approximateInvokeCount": 0,
        },
        "requestPayload": request,
    }


def record_key(function: str, now: datetime) -> str:
    """Where Lambda writes a record in an S3 destination."""
    return f"{lambda_facts.record_prefix(function)}{now:%Y/%m/%d}/{now:%Y-%m-%dT%H.%M.%S}-{uuid.uuid4()}"


def _on_failure(backend: Any, name: str, qualifier: str | None) -> str | None:
    """The on-failure destination of the invoke config for this qualifier (see patches: one per qualifier)."""
    function = backend.get_function(name)
    configs = getattr(function, "configs_by_qualifier", {})
    config = configs.get(None if qualifier in (None, "$LATEST") else qualifier)
    if config is None:
        return None
    destination: str | None = config.config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
    return destination


def _role_may(backend: Any, role_arn: str, action: str, resource: str) -> bool:
    """Whether the function's role allows ``action`` on ``resource``, by its inline and attached policies."""
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.iam.models import iam_backends

    iam = iam_backends[backend.account_id]["global"]
    role = iam.get_role_by_arn(role_arn)
    documents = [role.policies[name] for name in role.policies]
    documents += [version.document for policy in role.managed_policies.values()
                  for version in policy.versions if version.is_default]  # fmt: skip
    results = [IAMPolicy(document).is_action_permitted(action, resource) for document in documents]
    return PermissionResult.DENIED not in results and PermissionResult.PERMITTED in results


def deliver(backend: Any, function: Any, destination: str, record: dict[str, Any], now: datetime) -> None:
    """Send ``record`` to ``destination`` as Lambda does, by the destination's kind."""
    from moto.events.models import events_backends
    from moto.s3.models import s3_backends
    from moto.sns.models import sns_backends
    from moto.sqs.models import sqs_backends

    parts = destination.split(":")
    service, region, account = parts[2], parts[3], parts[4]
    body = json.dumps(record)
    if service == "s3":
        bucket, key = parts[5], record_key(function.function_name, now)
        if not _role_may(backend, function.role, "s3:PutObject", f"arn:aws:s3:::{bucket}/{key}"):
            raise DeliveryError(f"{function.role} may not s3:PutObject {bucket}/{key}")
        s3_backends[backend.account_id]["global"].put_object(bucket, key, body.encode())
    elif service == "sqs":
        sqs_backends[account][region].send_message(parts[5], body)
    elif service == "sns":
        sns_backends[account][region].publish(body, arn=destination)
    elif service == "events":
        bus = parts[5].split("/", 1)[1]
        event = {"Source": EVENT_SOURCE, "DetailType": FAILURE_DETAIL_TYPE, "Detail": body, "EventBusName": bus}
        events_backends[account][region].put_events([event])
    elif service == "lambda":
        from moto.awslambda.utils import get_backend

        target, qualifier = parts[6], parts[7] if len(parts) > 7 else None
        get_backend(account, region).invoke(target, qualifier, body.encode(), {"X-Amz-Invocation-Type": "Event"}, {})
    else:
        raise DeliveryError(f"{destination} is no destination Lambda sends records to")


def _qualifier_in(function_name: str) -> str | None:
    """The qualifier a name (name:qualifier) or ARN (arn:...:function:name:qualifier) carries, if any."""
    parts = function_name.split(":")
    return parts[-1] if len(parts) in (2, 8) else None


def _invoke(original: Any) -> Any:
    def invoke(self: Any, function_name: str, qualifier: str | None, body: Any, *rest: Any) -> Any:
        headers = rest[0]
        if headers.get("X-Amz-Invocation-Type") != "Event":
            return original(self, function_name, qualifier, body, *rest)
        from moto.awslambda.exceptions import UnknownFunctionException

        qualifier = qualifier or _qualifier_in(function_name)
        try:
            function = self.get_function(self.get_function(function_name, qualifier).function_name)  # its $LATEST
        except UnknownFunctionException:
            return original(self, function_name, qualifier, body, *rest)  # moto's own answer, unchanged
        if function.reserved_concurrency != 0:
            return b""  # accepted; the sandbox runs no code (see the module's docstring)
        destination = _on_failure(self, function.function_name, qualifier)
        if destination is not None:
            now, request_id = datetime.now(UTC), str(uuid.uuid4())
            _ANSWERED_REQUEST_ID.set(request_id)  # the Invoke answers with the id the record holds
            arn = f"{function.function_arn}:{qualifier or '$LATEST'}"
            data = body if isinstance(body, bytes) else (body or "").encode()
            with contextlib.suppress(DeliveryError):  # AWS drops it too, and counts it as a delivery failure
                deliver(self, function, destination, zero_concurrency_record(arn, data, now, request_id), now)
        return b""

    return invoke


@contextlib.contextmanager
def applied() -> Iterator[None]:
    """moto's Lambda delivers the records of asynchronous events of functions with reserved concurrency 0.

    Without Docker, moto answers with its simple backend, whose invoke replaces the Docker one: both are patched.
    """
    from moto.awslambda.models import LambdaBackend
    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.core import responses

    patches = Patches()
    try:
        patches.setattr(LambdaBackend, "invoke", _invoke(LambdaBackend.invoke))
        patches.setattr(LambdaSimpleBackend, "invoke", _invoke(LambdaSimpleBackend.invoke))
        patches.setattr(responses, "gen_amzn_requestid_long", _request_id(responses.gen_amzn_requestid_long))  # type: ignore[attr-defined]
        yield
    finally:
        patches.undo()
