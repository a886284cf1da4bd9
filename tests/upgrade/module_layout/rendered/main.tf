locals {
  # What the generator packaged for each function, and the names it chose. Runtime and handler
  # must match the code in the zip, so they change in the generator's config, not here.
  packages = {
    async_function = {
      package          = "build/async_function.zip"
      runtime          = "python3.13"
      handler          = "handler.handler"
      role_name        = "upgrade-async_function-role"
      record_rule_name = "upgrade-async_function-failure-records"
    }
    queued = {
      package          = "build/queued.zip"
      runtime          = "python3.13"
      handler          = "handler.handler"
      role_name        = "upgrade-queued-role"
      record_rule_name = null
    }
  }

  functions = { for name, settings in var.functions : name => merge(settings, local.packages[name]) }

  # Where Lambda sends the record of each function's asynchronous invocations once they end.
  destinations = {
    async_function = {
      on_failure = aws_s3_bucket.failure_records.arn
      on_success = null
    }
    queued = {
      on_failure = aws_sqs_queue.destination["upgrade-queued-on-failure"].arn
      on_success = null
    }
  }

  # Where each function's description says its failed events go.
  function_descriptions = {
    async_function = "Invoked asynchronously; failed events are recorded in ${aws_s3_bucket.failure_records.id}"
    queued         = "Invoked asynchronously; records of failed events go to the SQS queue upgrade-queued-on-failure"
  }

  # What each role may do to reach its destinations: one action, on exactly that ARN.
  destination_permissions = {
    async_function = [
      {
        sid          = "WriteFailureRecords"
        actions      = ["s3:PutObject"]
        resources    = ["${aws_s3_bucket.failure_records.arn}/aws/lambda/async/async_function/*"]
        same_account = true
      },
      {
        sid          = "ListFailureBucket"
        actions      = ["s3:ListBucket"]
        resources    = [aws_s3_bucket.failure_records.arn]
        same_account = true
      },
    ]
    queued = [
      {
        sid          = "SendFailureToQueue"
        actions      = ["sqs:SendMessage"]
        resources    = [aws_sqs_queue.destination["upgrade-queued-on-failure"].arn]
        same_account = false
      },
    ]
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

# Each function's log group, role, policy, function, invoke config and alarms, in an instance of its own:
# references stay inside one function, which keeps terraform plan of many functions within minutes.
# Past 100 functions the module is called once per group of functions instead; moved.tf then
# carries each instance over.
module "function" {
  source   = "./modules/function"
  for_each = local.functions

  name                              = each.key
  description                       = local.function_descriptions[each.key]
  role_name                         = each.value.role_name
  package                           = "${path.module}/${each.value.package}"
  runtime                           = each.value.runtime
  handler                           = each.value.handler
  architecture                      = each.value.architecture
  memory_mb                         = each.value.memory_mb
  timeout_seconds                   = each.value.timeout_seconds
  reserved_concurrency              = each.value.reserved_concurrency
  environment                       = each.value.environment
  log_retention_days                = each.value.log_retention_days
  maximum_event_age_seconds         = each.value.maximum_event_age_seconds
  maximum_retry_attempts            = each.value.maximum_retry_attempts
  alarm_period_seconds              = each.value.alarm_period_seconds
  alarm_delivery_failures_threshold = each.value.alarm_delivery_failures_threshold
  alarm_dropped_events_threshold    = each.value.alarm_dropped_events_threshold
  alarm_event_age_percent           = each.value.alarm_event_age_percent
  on_failure                        = local.destinations[each.key].on_failure
  on_success                        = local.destinations[each.key].on_success
  destination_permissions           = local.destination_permissions[each.key]
  account_id                        = data.aws_caller_identity.current.account_id

  project                = "upgrade"
  notification_topic_arn = local.notification_topic_arn
  failure_bucket         = contains(["async_function"], each.key) ? aws_s3_bucket.failure_records.id : null
  record_rule_name       = each.value.record_rule_name
}
