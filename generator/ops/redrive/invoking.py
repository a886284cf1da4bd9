"""One invoke of a failed event: asynchronous as Lambda first ran it, or synchronous for a canary, after the size check.

A canary (``redrive --canary N``) is sent with ``RequestResponse`` and ``LogType: Tail``: the function runs
while the operator waits, and the answer says whether it failed, with the last 4 KB of its log.
"""

from __future__ import annotations

import base64

import botocore.exceptions

from generator.lambda_facts import INVOKE_DOC, MAX_ASYNC_PAYLOAD_BYTES, MAX_SYNC_PAYLOAD_BYTES
from generator.ops.aws import Aws, describe_client_error
from generator.ops.present import safe
from generator.record import Record


class Invoked(Record):
    """What one invoke came to: sent or not, and for a canary what the function answered."""

    sent: bool
    why: str = ""  # why it was not sent, or how a canary failed
    function_error: str | None = None
    log_tail: str = ""
    answer: str = ""  # a canary's response payload

    @property
    def failed_canary(self) -> bool:
        return self.sent and self.function_error is not None


def too_large(payload: bytes, synchronous: bool = False) -> str | None:
    """Why Lambda would refuse this payload, or None: checked before any claim or invoke, so a record that can
    never be sent as it is is reported each time, never sent and refused over and over."""
    limit = MAX_SYNC_PAYLOAD_BYTES if synchronous else MAX_ASYNC_PAYLOAD_BYTES
    if len(payload) <= limit:
        return None
    kind = "a synchronous" if synchronous else "an asynchronous"
    return (f"its payload is {len(payload):,} bytes, and Lambda accepts at most {limit:,} for {kind} invoke "
            f"({INVOKE_DOC}); it cannot be sent as it is")  # fmt: skip


def invoke(aws: Aws, target: str, payload: bytes, *, synchronous: bool = False) -> Invoked:
    """Invoke ``target`` (a function ARN, qualified or not) with exactly these bytes."""
    oversize = too_large(payload, synchronous)
    if oversize:
        return Invoked(False, oversize)
    client = aws.lambda_for(target.split(":")[3])
    try:
        if not synchronous:
            response = client.invoke(FunctionName=target, InvocationType="Event", Payload=payload)
            if response.get("StatusCode") != 202:
                return Invoked(False, f"Lambda answered {response.get('StatusCode')}, not 202")
            return Invoked(True)
        response = client.invoke(FunctionName=target, InvocationType="RequestResponse", LogType="Tail",
                                 Payload=payload)  # fmt: skip
    except botocore.exceptions.ClientError as exc:
        return Invoked(False, f"the invoke was refused: {describe_client_error(exc)}")
    tail = base64.b64decode(response.get("LogResult", "") or "").decode(errors="replace")
    answer = response["Payload"].read().decode(errors="replace") if "Payload" in response else ""
    error = response.get("FunctionError")
    why = f"the function failed on it ({safe(error)})" if error else ""
    return Invoked(True, why, error, tail, answer)


def canary_lines(shown: str, target: str, result: Invoked) -> list[str]:
    """How a canary went, for the operator: the outcome, the answer and the log tail, made safe for a terminal."""
    outcome = f"failed: {result.why}" if result.function_error else "succeeded"
    lines = [f"canary {shown} to {target}: {outcome}"]
    if result.answer:
        lines.append(f"  answer: {safe(result.answer[:500])}")
    lines.extend(f"  log: {safe(line)}" for line in result.log_tail.splitlines())
    return lines
