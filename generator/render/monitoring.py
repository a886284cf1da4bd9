"""The alarms each function gets: what they watch, what they mean, and what an operator does when one fires.

The function module's alarms, their descriptions in AWS and the rendered README's alarm section
all come from this table, so what an alarm says about itself cannot drift from what it watches.
"""

from __future__ import annotations

from generator.record import Record
from generator.render.hcl import Hcl

# "Types of metrics for Lambda functions", asynchronous invocation metrics: AsyncEventsReceived,
# AsyncEventAge (milliseconds between Lambda queueing the event and invoking the function; it grows while
# events are retried after errors or throttling) and AsyncEventsDropped (events dropped without the
# function running to success; with an on-failure destination each is sent there before it is dropped,
# reserved concurrency 0 among the reasons), and DestinationDeliveryFailures (Lambda tried to send an
# event's record to a destination and failed: permissions, a misconfigured resource or the size limit).
METRICS_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html"
# "Monitoring Amazon EventBridge": MatchedEvents with the RuleName dimension counts the events a rule of the
# default bus matched; a record notice rule matches one event per new failure record.
EVENTBRIDGE_METRICS_DOC = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html"
# CloudWatch's "Using Amazon CloudWatch alarms": set-alarm-state changes an alarm's state until its next
# evaluation, which sends the alarm's notifications without waiting for the metric.
SET_ALARM_STATE_DOC = "https://docs.aws.amazon.com/cli/latest/reference/cloudwatch/set-alarm-state.html"

NAMESPACE = "AWS/Lambda"
DASHBOARD_METRICS = ("AsyncEventsReceived", "AsyncEventsDropped", "DestinationDeliveryFailures", "Errors", "Throttles")


class Alarm(Record):
    """One alarm of each function: CloudWatch compares one period's statistic with the threshold."""

    resource: str  # the resource name in the function module, and the end of the alarm's name
    metric: str
    statistic: str
    threshold: Hcl  # an expression in the function module
    threshold_words: str  # the threshold, for the README
    meaning: str
    action: str

    @property
    def suffix(self) -> str:
        return self.resource.replace("_", "-")


ALARMS = (
    Alarm(
        resource="destination_delivery_failures",
        metric="DestinationDeliveryFailures",
        statistic="Sum",
        threshold=Hcl("var.settings.alarm_delivery_failures_threshold"),
        threshold_words="more than alarm_delivery_failures_threshold (default 0) in one period",
        meaning="Lambda could not deliver the record of a failed event to the on-failure destination, so that "
        "event is lost.",
        action="Check that the destination still exists and that the function's role may write to it (the "
        "bucket's policy and KMS key included), then look at the records that did arrive.",
    ),
    Alarm(
        resource="async_events_dropped",
        metric="AsyncEventsDropped",
        statistic="Sum",
        threshold=Hcl("var.settings.alarm_dropped_events_threshold"),
        threshold_words="more than alarm_dropped_events_threshold (default 0) in one period",
        meaning="Lambda dropped events without the function running them to success: after the retries, past "
        "the maximum event age, or at once because reserved concurrency is 0. Each one's record went to the "
        "on-failure destination unless DestinationDeliveryFailures fired too.",
        action="Read the records for their condition and error, fix the cause, then redrive them.",
    ),
    Alarm(
        resource="async_event_age",
        metric="AsyncEventAge",
        statistic="Maximum",
        threshold=Hcl("var.settings.maximum_event_age_seconds * 1000 * var.settings.alarm_event_age_percent / 100"),
        threshold_words="more than alarm_event_age_percent (default 50) percent of maximum_event_age_seconds",
        meaning="An event has waited in Lambda's queue for much of its maximum age: the function is throttled "
        "or failing and retrying, and events will soon expire into failure records.",
        action="Check Throttles and Errors on the dashboard; raise the reserved concurrency or fix the errors "
        "before the events age out.",
    ),
)
