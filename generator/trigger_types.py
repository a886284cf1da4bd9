"""What may invoke a function asynchronously, and the facts each kind of trigger is checked and rendered with.

Only a source that invokes asynchronously hands its event to Lambda's queue, whose failures reach the
on-failure destination this project is about. Lambda's page on invoking functions from other services says
which services do: https://docs.aws.amazon.com/lambda/latest/dg/lambda-services.html — S3, SNS, EventBridge
(https://docs.aws.amazon.com/lambda/latest/dg/with-eventbridge-scheduler.html for EventBridge Scheduler) invoke
asynchronously; queues and streams are polled by an event source mapping, and API Gateway, function URLs and
load balancers invoke synchronously.
"""

from __future__ import annotations

import json
import re
from typing import Any

from generator.record import Record

SERVICES_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-services.html"
# S3 sends every event of a bucket to EventBridge once the bucket's EventBridge notifications are on; a rule
# picks those of one kind ("Using EventBridge", Amazon S3 User Guide).
S3_EVENTBRIDGE_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html"
# A rule's target retries delivery for at most 24 hours and 185 times (its default and its most), then sends the
# event to the target's dead-letter queue (EventBridge User Guide, "Event retry policy and using dead-letter
# queues"); EventBridge Scheduler's retry policy has the same limits.
RETRY_DOC = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html"
SCHEDULE_DOC = "https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html"
MAX_EVENT_AGE_SECONDS = 86400
MAX_RETRY_ATTEMPTS = 185
MIN_EVENT_AGE_SECONDS = 60
MAX_FLEXIBLE_WINDOW_MINUTES = 1440  # FlexibleTimeWindow's MaximumWindowInMinutes (Scheduler API reference)
# Rule and schedule names are <function>-<trigger>: both services allow 64 characters.
MAX_RULE_NAME = 64

TYPES = ("s3", "sns", "eventbridge", "schedule")
# The kinds EventBridge delivers, each from a rule or a schedule with a retry policy and a dead-letter queue.
DELIVERED_BY_EVENTBRIDGE = ("s3", "eventbridge", "schedule")

# Sources a user may reach for that never invoke asynchronously, each with how they do invoke.
_POLLED = "Lambda polls it and invokes the function synchronously"
_SYNCHRONOUS = "it invokes the function synchronously"
NOT_ASYNCHRONOUS = {
    "sqs": _POLLED,
    "kinesis": _POLLED,
    "dynamodb": _POLLED + " (DynamoDB Streams)",
    "msk": _POLLED,
    "kafka": _POLLED,
    "mq": _POLLED,
    "documentdb": _POLLED,
    "api_gateway": _SYNCHRONOUS,
    "apigateway": _SYNCHRONOUS,
    "function_url": _SYNCHRONOUS,
    "alb": _SYNCHRONOUS,
}

# The S3 events EventBridge carries, by detail-type (Amazon S3 User Guide, "Using EventBridge").
S3_EVENT_TYPES = (
    "Object Created", "Object Deleted", "Object Restore Initiated", "Object Restore Completed",
    "Object Restore Expired", "Object Tags Added", "Object Tags Deleted", "Object ACL Updated",
    "Object Storage Class Changed", "Object Access Tier Changed",
)  # fmt: skip
DEFAULT_S3_EVENTS = ("Object Created",)

TRIGGER_NAME_PATTERN = r"^[A-Za-z0-9_-]{1,63}$"
EVENT_BUS_PATTERN = (
    r"^([A-Za-z0-9._/-]{1,256}|arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/[A-Za-z0-9._/-]{1,256})$"
)
# EventBridge Scheduler's expressions: rate(<n> <unit>), cron(<six fields>) and at(<yyyy-mm-ddThh:mm:ss>).
_RATE = re.compile(r"rate\((?P<n>[1-9][0-9]*) (?P<unit>minutes?|hours?|days?)\)")
_CRON = re.compile(r"cron\((?P<fields>[^()]+)\)")
_AT = re.compile(r"at\(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\)")
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*?/,#L W-]+$")
TIMEZONE_PATTERN = r"^[A-Za-z]+(/[A-Za-z0-9_+-]+){0,2}$|^UTC$|^Etc/GMT[+-][0-9]{1,2}$"
MAX_PATTERN_CHARACTERS = 4096  # what this project accepts of an event pattern; EventBridge allows more


def refusal(kind: str) -> str | None:
    """Why ``kind`` cannot be a trigger of this project, or None when it is not one of those sources."""
    how = NOT_ASYNCHRONOUS.get(kind.lower())
    if how is None:
        return None
    return f"{kind} does not invoke asynchronously: {how}, so its failures never reach on_failure ({SERVICES_DOC})"


def schedule_problem(expression: Any) -> str | None:
    """What is wrong with a schedule expression, in EventBridge Scheduler's terms."""
    if not isinstance(expression, str):
        return f"must be rate(...), cron(...) or at(...), got {type(expression).__name__}"
    if rate := _RATE.fullmatch(expression):
        n, unit = int(rate["n"]), rate["unit"]
        if (n == 1) != (not unit.endswith("s")):
            return f"{expression!r}: the unit is singular for 1 and plural otherwise, e.g. rate(1 hour), rate(5 hours)"
        return None
    if cron := _CRON.fullmatch(expression):
        fields = cron["fields"].split(" ")
        if len(fields) != 6 or not all(_CRON_FIELD.match(f) for f in fields):
            return (f"{expression!r}: a cron expression has six fields (minutes hours day-of-month month "
                    f"day-of-week year), e.g. cron(0 12 * * ? *) ({SCHEDULE_DOC})")  # fmt: skip
        if "?" not in (fields[2], fields[4]):
            return f"{expression!r}: one of day-of-month and day-of-week must be ? ({SCHEDULE_DOC})"
        return None
    if _AT.fullmatch(expression):
        return None
    return (f"{expression!r} is not rate(<n> <unit>), cron(<six fields>) or at(<yyyy-mm-ddThh:mm:ss>) "
            f"({SCHEDULE_DOC})")  # fmt: skip


def timezone_problem(name: Any) -> str | None:
    """A time zone the IANA database names, as EventBridge Scheduler takes it."""
    import zoneinfo  # only when a schedule names a time zone

    if not isinstance(name, str) or not re.fullmatch(TIMEZONE_PATTERN, name):
        return f"must be an IANA time zone such as Europe/Paris or UTC, got {name!r}"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"{name!r} is not a time zone of the IANA database, such as Europe/Paris or UTC"
    return None


def event_pattern_problem(text: Any) -> str | None:
    """An EventBridge event pattern: a JSON object whose leaves are lists of what to match."""
    if not isinstance(text, str):
        return f"must be a JSON object as text (a YAML block scalar), got {type(text).__name__}"
    if len(text) > MAX_PATTERN_CHARACTERS:
        return f"holds {len(text)} characters; at most {MAX_PATTERN_CHARACTERS} are accepted"
    try:
        pattern = json.loads(text)
    except ValueError as exc:
        return f"is not JSON: {exc}"
    if not isinstance(pattern, dict) or not pattern:
        return 'must be a JSON object with at least one field, e.g. {"source": ["orders"]}'
    return _leaves_problem(pattern, "")


def _leaves_problem(pattern: dict[str, Any], where: str) -> str | None:
    for key, value in pattern.items():
        path = f"{where}.{key}" if where else key
        if isinstance(value, dict):
            if not value:
                return f"{path}: an empty object matches nothing"
            if problem := _leaves_problem(value, path):
                return problem
        elif not isinstance(value, list) or not value:
            return f'{path}: EventBridge matches a field against a non-empty list of values, e.g. ["orders"]'
    return None


def s3_event_pattern(bucket: str, events: tuple[str, ...], prefix: str | None, suffix: str | None) -> str:
    """The rule that picks one bucket's events of the given kinds, and of the given key prefix and suffix."""
    detail: dict[str, Any] = {"bucket": {"name": [bucket]}}
    key = _key_matcher(prefix, suffix)
    if key is not None:
        detail["object"] = {"key": [key]}
    return json.dumps({"source": ["aws.s3"], "detail-type": list(events), "detail": detail}, separators=(",", ":"))


def _key_matcher(prefix: str | None, suffix: str | None) -> dict[str, str] | None:
    if prefix and suffix:  # one matcher must hold both: a wildcard, with the pattern's own * and \ escaped
        return {"wildcard": f"{_escaped(prefix)}*{_escaped(suffix)}"}
    if prefix:
        return {"prefix": prefix}
    if suffix:
        return {"suffix": suffix}
    return None


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*")


class RenderedTrigger(Record):
    """One trigger as the function module takes it: a rule, a subscription or a schedule."""

    name: str
    type: str  # rule, sns or schedule
    event_bus: str | None = None
    event_pattern: str | None = None
    topic_arn: str | None = None
    schedule_expression: str | None = None
    timezone: str | None = None
    flexible_window_minutes: int | None = None
    maximum_event_age_seconds: int | None = None
    maximum_retry_attempts: int | None = None

    @property
    def hcl_fields(self) -> dict[str, Any]:
        """Its attributes for the module's triggers variable: those it sets (the module defaults the rest)."""
        return {k: getattr(self, k) for k in self.__fields__ if k != "name" and getattr(self, k) is not None}
