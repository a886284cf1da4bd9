locals {
  # What every alarm tells an operator to run first.
  list_failures = var.failure_bucket == null ? "The records are at ${var.on_failure}." : "Then run: python -m generator failures list --bucket ${var.failure_bucket} --function ${var.name} --since 1d"
}

resource "aws_cloudwatch_metric_alarm" "destination_delivery_failures" {
  count = var.create_alarms ? 1 : 0

  alarm_name        = "${var.project}-${var.name}-destination-delivery-failures"
  alarm_description = "Lambda could not deliver the record of a failed event to the on-failure destination, so that event is lost. Check that the destination still exists and that the function's role may write to it (the bucket's policy and KMS key included), then look at the records that did arrive. ${local.list_failures}"

  namespace           = "AWS/Lambda"
  metric_name         = "DestinationDeliveryFailures"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = var.settings.alarm_period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.settings.alarm_delivery_failures_threshold
  treat_missing_data  = "notBreaching"

  alarm_actions = [var.notification_topic_arn]
  ok_actions    = [var.notification_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "async_events_dropped" {
  count = var.create_alarms ? 1 : 0

  alarm_name        = "${var.project}-${var.name}-async-events-dropped"
  alarm_description = "Lambda dropped events without the function running them to success: after the retries, past the maximum event age, or at once because reserved concurrency is 0. Each one's record went to the on-failure destination unless DestinationDeliveryFailures fired too. Read the records for their condition and error, fix the cause, then redrive them. ${local.list_failures}"

  namespace           = "AWS/Lambda"
  metric_name         = "AsyncEventsDropped"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = var.settings.alarm_period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.settings.alarm_dropped_events_threshold
  treat_missing_data  = "notBreaching"

  alarm_actions = [var.notification_topic_arn]
  ok_actions    = [var.notification_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "async_event_age" {
  count = var.create_alarms ? 1 : 0

  alarm_name        = "${var.project}-${var.name}-async-event-age"
  alarm_description = "An event has waited in Lambda's queue for much of its maximum age: the function is throttled or failing and retrying, and events will soon expire into failure records. Check Throttles and Errors on the dashboard; raise the reserved concurrency or fix the errors before the events age out. ${local.list_failures}"

  namespace           = "AWS/Lambda"
  metric_name         = "AsyncEventAge"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Maximum"
  period              = var.settings.alarm_period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.settings.maximum_event_age_seconds * 1000 * var.settings.alarm_event_age_percent / 100
  treat_missing_data  = "notBreaching"

  alarm_actions = [var.notification_topic_arn]
  ok_actions    = [var.notification_topic_arn]
}

# Lambda writes each record under aws/lambda/async/<function>/; the bucket sends an Object Created event for it.
resource "aws_cloudwatch_event_rule" "failure_record" {
  # Only a function whose records go to the failure bucket, with notices on, has records to announce.
  count = var.record_rule_name == null ? 0 : 1

  name        = var.record_rule_name
  description = "A new failure record of ${var.name} in ${var.failure_bucket}"
  event_pattern = jsonencode({
    source        = ["aws.s3"]
    "detail-type" = ["Object Created"]
    detail = {
      bucket = { name = [var.failure_bucket] }
      object = { key = [{ prefix = "aws/lambda/async/${var.name}/" }] }
    }
  })
}

resource "aws_cloudwatch_event_target" "failure_record" {
  count = var.record_rule_name == null ? 0 : 1

  rule      = aws_cloudwatch_event_rule.failure_record[0].name
  target_id = "notification-topic"
  arn       = var.notification_topic_arn

  input_transformer {
    input_paths = {
      bucket = "$.detail.bucket.name"
      key    = "$.detail.object.key"
      time   = "$.time"
    }
    # A quoted string: SNS delivers it as the message text.
    input_template = "\"New failure record of ${var.name} at <time>: s3://<bucket>/<key>. Show it: python -m generator failures show --bucket <bucket> <key>\""
  }
}
