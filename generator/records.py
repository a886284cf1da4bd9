"""The records Lambda writes for failed asynchronous invocations, as AWS documents them.

Lambda stores each record as JSON under
``aws/lambda/async/<function>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>``. This module knows
that layout and format and nothing about how to reach S3, so it is easy to test and
cheap to import.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

RECORD_PREFIX = "aws/lambda/async/"
REDRIVEN_PREFIX = "redriven/"
_KEY = re.compile(
    r"^aws/lambda/async/(?P<function>[A-Za-z0-9_-]{1,64})/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?P<stamp>\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2})-(?P<id>[0-9A-Fa-f-]{36})$"
)
_DURATION = re.compile(r"^(?P<amount>\d+)(?P<unit>[smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class RecordError(ValueError):
    """A stored object is not a usable failure record; the message says why."""


@dataclass(frozen=True)
class RecordKey:
    """Where a record lives, and what its key alone tells: the function and the time."""

    key: str
    function: str
    time: datetime

    @classmethod
    def parse(cls, key: str) -> RecordKey:
        match = _KEY.match(key)
        if not match:
            raise RecordError(f"key is outside the record layout {RECORD_PREFIX}<function>/YYYY/MM/DD/<time>-<uuid>")
        stamp = datetime.strptime(match["stamp"], "%Y-%m-%dT%H.%M.%S").replace(tzinfo=timezone.utc)
        return cls(key=key, function=match["function"], time=stamp)


@dataclass(frozen=True)
class FailureRecord:
    """One failed invocation: what was sent, why it failed, and what the function answered."""

    key: RecordKey
    timestamp: str
    request_id: str
    function_arn: str
    condition: str
    invoke_count: int | None
    payload: Any
    status_code: int | None
    function_error: str | None
    response: Any

    @classmethod
    def parse(cls, key: RecordKey, body: bytes) -> FailureRecord:
        try:
            document = json.loads(body)
        except (UnicodeDecodeError, ValueError) as exc:
            raise RecordError(f"not valid JSON ({exc})") from None
        if not isinstance(document, dict):
            raise RecordError("not a JSON object")
        context = document.get("requestContext")
        if not isinstance(context, dict):
            raise RecordError("has no requestContext")
        missing = [name for name in ("requestId", "functionArn", "condition") if not context.get(name)]
        if missing:
            raise RecordError(f"requestContext lacks {', '.join(missing)}")
        if "requestPayload" not in document:
            raise RecordError("has no requestPayload, so there is nothing to redrive")
        response_context = document.get("responseContext") or {}
        return cls(
            key=key,
            timestamp=str(document.get("timestamp", "")),
            request_id=str(context["requestId"]),
            function_arn=str(context["functionArn"]),
            condition=str(context["condition"]),
            invoke_count=context.get("approximateInvokeCount"),
            payload=document["requestPayload"],
            status_code=response_context.get("statusCode"),
            function_error=response_context.get("functionError"),
            response=document.get("responsePayload"),
        )

    @property
    def error_type(self) -> str:
        return str(self.response.get("errorType", "")) if isinstance(self.response, dict) else ""

    @property
    def error_message(self) -> str:
        return str(self.response.get("errorMessage", "")) if isinstance(self.response, dict) else ""

    @property
    def stack_trace(self) -> list[str]:
        trace = self.response.get("stackTrace") if isinstance(self.response, dict) else None
        return [str(line) for line in trace] if isinstance(trace, list) else []

    def summary(self) -> dict[str, Any]:
        """The fields of ``failures list --json``: one flat object per record."""
        return {
            "time": self.key.time.isoformat().replace("+00:00", "Z"),
            "function": self.key.function,
            "condition": self.condition,
            "errorType": self.error_type or None,
            "errorMessage": self.error_message or None,
            "requestId": self.request_id,
            "approximateInvokeCount": self.invoke_count,
            "key": self.key.key,
        }


def parse_since(text: str, now: datetime) -> datetime:
    """``--since``: an ISO 8601 time (UTC unless it says otherwise) or a duration such as ``90m``, ``2h``, ``7d``."""
    match = _DURATION.match(text.strip())
    if match:
        return now - timedelta(**{_UNITS[match["unit"]]: int(match["amount"])})
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--since takes an ISO time (2026-11-29T10:00Z) or a duration (30m, 2h, 7d), not {text!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
