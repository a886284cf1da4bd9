"""The records Lambda writes for failed asynchronous invocations, as AWS documents them.

Lambda stores each record as JSON under
``aws/lambda/async/<function>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>``. This module knows
that layout and format and nothing about how to reach S3, so it is easy to test and
cheap to import.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from generator.bucket_layout import RECORD_PREFIX, REDRIVEN_PREFIX
from generator.record import Record

_KEY = re.compile(
    "^(?P<redriven>"
    + re.escape(REDRIVEN_PREFIX)
    + ")?"
    + re.escape(RECORD_PREFIX)
    + r"(?P<function>[A-Za-z0-9_-]{1,64})/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?P<stamp>\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2})-(?P<id>[0-9A-Fa-f-]{36})$"
)
_DURATION = re.compile(r"^(?P<amount>\d+)(?P<unit>[smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


# The members of a record this module reads, and the fields it reads inside them. The Athena table
# (lambda_facts.RECORD_COLUMNS) must declare each, so SQL and the failures commands see the same record.
READS: dict[str, tuple[str, ...]] = {
    "timestamp": (),
    "requestContext": ("requestId", "functionArn", "condition", "approximateInvokeCount"),
    "requestPayload": (),
    "responseContext": ("statusCode", "functionError"),
    "responsePayload": ("errorType", "errorMessage", "stackTrace"),
}


class RecordError(ValueError):
    """A stored object is not a usable failure record; the message says why."""


class RecordGoneError(RecordError):
    """The object was listed but is gone when read: another redrive moved it, or someone deleted it."""


class Problem(Record):
    """An object under the prefix that is not a usable record, and why: reported, never fatal."""

    key: str
    reason: str


class RecordKey(Record):
    """Where a record lives, and what its key alone tells: the function and the time."""

    key: str
    function: str
    time: datetime
    redriven: bool = False  # a copy under redriven/: the event was sent again

    @classmethod
    def parse(cls, key: str) -> RecordKey:
        match = _KEY.match(key)
        if not match:
            raise RecordError(f"key is outside the record layout {RECORD_PREFIX}<function>/YYYY/MM/DD/<time>-<uuid>")
        try:
            stamp = datetime.strptime(match["stamp"], "%Y-%m-%dT%H.%M.%S").replace(tzinfo=UTC)
        except ValueError:
            raise RecordError(f"key holds an impossible time {match['stamp']}") from None
        return cls(key=key, function=match["function"], time=stamp, redriven=bool(match["redriven"]))


class FailureRecord(Record):
    """One failed invocation: what was sent, why it failed, and what the function answered.

    ``payload_text`` is the event exactly as the record holds it: redrive sends these characters,
    never a re-encoding (which would turn 12345678901234567890 into a float and 1e400 into Infinity).
    """

    key: RecordKey
    timestamp: str
    request_id: str
    function_arn: str
    condition: str
    invoke_count: int | None
    payload_text: str
    status_code: int | None
    function_error: str | None
    response: Any
    etag: str = ""  # the object's ETag when it was read: redrive's claim and marker name exactly this version

    @classmethod
    def parse(cls, key: RecordKey, body: bytes) -> FailureRecord:
        """A record from the object's bytes; anything that is not one raises ``RecordError``, never more."""
        try:
            members = _members(body.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise RecordError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except RecursionError:
            raise RecordError("JSON nested too deeply to read") from None
        context = members.get("requestContext", (None, ""))[0]
        if not isinstance(context, dict):
            raise RecordError("has no requestContext object")
        missing = [name for name in ("requestId", "functionArn", "condition") if not isinstance(context.get(name), str)
                   or not context[name]]  # fmt: skip
        if missing:
            raise RecordError(f"requestContext lacks {', '.join(missing)}")
        if "requestPayload" not in members:
            raise RecordError("has no requestPayload, so there is nothing to redrive")
        response_context = members.get("responseContext", ({}, ""))[0]
        if not isinstance(response_context, dict):
            response_context = {}  # some other shape: shown as no response, never fatal
        timestamp = members.get("timestamp", ("", ""))[0]
        return cls(
            key=key,
            timestamp=timestamp if isinstance(timestamp, str) else "",
            request_id=context["requestId"],
            function_arn=context["functionArn"],
            condition=context["condition"],
            invoke_count=_whole_number(context.get("approximateInvokeCount")),
            payload_text=members["requestPayload"][1],
            status_code=_whole_number(response_context.get("statusCode")),
            function_error=_text_or_none(response_context.get("functionError")),
            response=members.get("responsePayload", (None, ""))[0],
        )

    @property
    def payload(self) -> Any:
        """The event for display: numbers stay as written (``Verbatim``), so nothing is rounded."""
        return json.loads(self.payload_text, parse_float=Verbatim, parse_int=Verbatim, parse_constant=Verbatim)

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


class Verbatim(str):
    """A JSON number exactly as written."""


def pretty_json(value: Any, indent: int = 0) -> str:
    """JSON indented by two, with ``Verbatim`` numbers printed as written and text left unescaped."""
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, Verbatim):
        return str(value)
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {pretty_json(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and value:
        return "[\n" + ",\n".join(inner + pretty_json(v, indent + 2) for v in value) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False)


_SPACE = re.compile(r"[ \t\n\r]*")


# Python refuses to turn more than 4,300 digits into an int (sys.int_info.default_max_str_digits), and any caller
# of a function can put such a number in an event. Past this many digits a number is kept as written instead.
_INT_DIGITS = 4000


def _number(text: str) -> int | Verbatim:
    return int(text) if len(text) <= _INT_DIGITS else Verbatim(text)


def _decoder() -> json.JSONDecoder:
    """The standard decoder, made unable to fail on valid JSON: an integer too long for int() stays as written."""
    return json.JSONDecoder(parse_int=_number)


def _members(text: str) -> dict[str, tuple[Any, str]]:
    """A JSON object's members as (value, the value's exact text), read with the standard decoder."""
    decoder = _decoder()
    members: dict[str, tuple[Any, str]] = {}
    try:
        index = _skip(text, 0)
        if text[index : index + 1] != "{":
            raise RecordError("not a JSON object")
        index = _skip(text, index + 1)
        while text[index : index + 1] != "}":
            if text[index : index + 1] != '"':
                raise RecordError(f"not valid JSON (expected a member name at character {index})")
            name, index = json.decoder.scanstring(text, index + 1)  # type: ignore[attr-defined]
            index = _skip(text, index)
            if text[index : index + 1] != ":":
                raise RecordError(f"not valid JSON (expected ':' at character {index})")
            start = _skip(text, index + 1)
            value, end = decoder.raw_decode(text, start)
            members[name] = (value, text[start:end])
            index = _skip(text, end)
            if text[index : index + 1] == ",":
                index = _skip(text, index + 1)
            elif text[index : index + 1] != "}":
                raise RecordError(f"not valid JSON (expected ',' or '}}' at character {index})")
        if _skip(text, index + 1) != len(text):
            raise RecordError("not valid JSON (text after the object)")
    except json.JSONDecodeError as exc:
        raise RecordError(f"not valid JSON ({exc.msg} at character {exc.pos})") from None
    return members


def _skip(text: str, index: int) -> int:
    match = _SPACE.match(text, index)
    return match.end() if match else index


def _whole_number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def parse_since(text: str, now: datetime, option: str = "--since") -> datetime:
    """``--since``/``--until``: an ISO 8601 time or a duration ago (``90m``, ``7d``), as an instant in UTC.

    A time without an offset is UTC, the zone of the records' keys; one with an offset is converted, so a
    window's day-by-day listing covers every UTC day it touches.
    """
    match = _DURATION.fullmatch(text.strip())
    if match:
        try:
            return now - timedelta(**{_UNITS[match["unit"]]: int(match["amount"])})
        except OverflowError:
            raise ValueError(f"{option} {text} reaches before the year 1; give a shorter duration") from None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{option} takes an ISO time (2026-11-29T10:00Z) or a duration (30m, 2h, 7d), not {text!r}"
        ) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:  # records are keyed by UTC day: a window with an offset selects by the instant, in UTC
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{option} {text} is outside the years 1 to 9999 in UTC") from None
