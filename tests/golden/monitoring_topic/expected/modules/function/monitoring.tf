locals {
  # What every alarm tells an operator to run first.
  list_failures = "Then run: python -m generator failures list --bucket ${var.failure_bucket} --function ${var.name} --since 1d"
}

resource "aws_cloudwatch_metric_alarm" "destination_delivery_failures" {
  alarm_name        = "${var.project}-${var.name}-destination-delivery-failures"
  alarm_description = "Lambda could not deliver the record of a failed event to the on-failure destination, so that event is lost. Check that the destination still exists and that the function's role may write to it (the bucket's policy and KMS key included), then look at the records that did arrive. ${local.list_failures}"

  namespace           = "AWS/Lambda"
  metric_name         = "DestinationDeliveryFailures"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_delivery_failures_threshold
  treat_missing_data  = "notBreaching"

  alarm_actions = [var.notification_topic_arn]
  ok_actions    = [var.notification_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "async_events_dropped" {
  alarm_name        = "${var.project}-${var.name}-async-events-dropped"
  alarm_description = "Lambda dropped events without the function running them to success: after the retries, past the maximum event age, or at once because reserved concurrency is 0. Each one's record went to the on-failure destination unless DestinationDeliveryFailures fired too. Read the records for their condition and error, fix the cause, then redrive them. ${local.list_failures}"

  namespace           = "AWS/Lambda"
  metric_name         = "AsyncEventsDropped"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_dropped_events_threshold
  treat_missing_data  = "notBreaching"

  alarm_actions = [var.notification_topic_arn]
  ok_actions    = [var.notification_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "async_event_age" {
  alarm_name        = "${var.project}-${var.name}-async-event-age"
  alarm_description = "An event has waited in Lambda's queue for much of its maximum age: the function is throttled or failing and retrying, and events will soon expire into failure records. Check Throttles and Errors on the dashboard; raise the reserved concurrency or fix the errors before the events age out. ${local.list_failures}"

  namespace           = "AWS/Lambda"
  metric_name         = "AsyncEventAge"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Maximum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.maximum_event_age_seconds * 1000 * var.alarm_event_age_percent / 100
  treat_missing_data  = "notBreaching"

  alarm_actions = [var.notification_topic_arn]
  ok_actions    = [var.notification_topic_arn]
}
