locals {
  # What the generator packaged for each function, and the names it chose. Runtime and handler
  # must match the code in the zip, so they change in the generator's config, not here.
  packages = {
    to_queue_and_topic = {
      package          = "build/to_queue_and_topic.zip"
      runtime          = "python3.13"
      handler          = "handler.handler"
      role_name        = "destinations-to_queue_and_topic-role"
      record_rule_name = null
    }
    to_bus_and_function = {
      package          = "build/to_bus_and_function.zip"
      runtime          = "python3.13"
      handler          = "handler.handler"
      role_name        = "destinations-to_bus_and_function-role"
      record_rule_name = null
    }
    to_existing = {
      package          = "build/to_existing.zip"
      runtime          = "python3.13"
      handler          = "handler.handler"
      role_name        = "destinations-to_existing-role"
      record_rule_name = null
    }
    default_failure_bucket = {
      package          = "build/default_failure_bucket.zip"
      runtime          = "python3.13"
      handler          = "handler.handler"
      role_name        = "destinations-default_failure_bucket-role"
      record_rule_name = "destinations-default_failure_bucket-failure-records"
    }
  }

  # Where Lambda sends the record of each function's asynchronous invocations once they end.
  destinations = {
    to_queue_and_topic = {
      on_failure = aws_sqs_queue.destination["destinations-to_queue_and_topic-on-failure"].arn
      on_success = aws_sns_topic.destination["destinations-to_queue_and_topic-on-success"].arn
    }
    to_bus_and_function = {
      on_failure = aws_cloudwatch_event_bus.destination["destinations-to_bus_and_function-on-failure"].arn
      on_success = "arn:${data.aws_partition.current.partition}:lambda:${var.region}:${data.aws_caller_identity.current.account_id}:function:to_queue_and_topic"
    }
    to_existing = {
      on_failure = "arn:aws:sqs:us-east-1:123456789012:existing-failures"
      on_success = "arn:aws:events:us-east-1:123456789012:event-bus/default"
    }
    default_failure_bucket = {
      on_failure = aws_s3_bucket.failure_records.arn
      on_success = "arn:aws:lambda:us-east-1:123456789012:function:existing-consumer"
    }
  }

  # Where each function's description says its failed events go.
  function_descriptions = {
    to_queue_and_topic     = "Invoked asynchronously; records of failed events go to the SQS queue destinations-to_queue_and_topic-on-failure"
    to_bus_and_function    = "Invoked asynchronously; records of failed events go to the EventBridge bus destinations-to_bus_and_function-on-failure"
    to_existing            = "Invoked asynchronously; records of failed events go to the SQS queue existing-failures"
    default_failure_bucket = "Invoked asynchronously; failed events are recorded in ${aws_s3_bucket.failure_records.id}"
  }

  # What each role may do to reach its destinations: one action, on exactly that ARN.
  destination_permissions = {
    to_queue_and_topic = [
      {
        sid          = "SendFailureToQueue"
        actions      = ["sqs:SendMessage"]
        resources    = [aws_sqs_queue.destination["destinations-to_queue_and_topic-on-failure"].arn]
        same_account = false
      },
      {
        sid          = "PublishSuccessToTopic"
        actions      = ["sns:Publish"]
        resources    = [aws_sns_topic.destination["destinations-to_queue_and_topic-on-success"].arn]
        same_account = false
      },
    ]
    to_bus_and_function = [
      {
        sid          = "PutFailureEvents"
        actions      = ["events:PutEvents"]
        resources    = [aws_cloudwatch_event_bus.destination["destinations-to_bus_and_function-on-failure"].arn]
        same_account = false
      },
      {
        sid          = "InvokeSuccessFunction"
        actions      = ["lambda:InvokeFunction"]
        resources    = ["arn:${data.aws_partition.current.partition}:lambda:${var.region}:${data.aws_caller_identity.current.account_id}:function:to_queue_and_topic"]
        same_account = false
      },
    ]
    to_existing = [
      {
        sid          = "SendFailureToQueue"
        actions      = ["sqs:SendMessage"]
        resources    = ["arn:aws:sqs:us-east-1:123456789012:existing-failures"]
        same_account = false
      },
      {
        sid          = "PutSuccessEvents"
        actions      = ["events:PutEvents"]
        resources    = ["arn:aws:events:us-east-1:123456789012:event-bus/default"]
        same_account = false
      },
    ]
    default_failure_bucket = [
      {
        sid          = "WriteFailureRecords"
        actions      = ["s3:PutObject"]
        resources    = ["${aws_s3_bucket.failure_records.arn}/aws/lambda/async/default_failure_bucket/*"]
        same_account = true
      },
      {
        sid          = "ListFailureBucket"
        actions      = ["s3:ListBucket"]
        resources    = [aws_s3_bucket.failure_records.arn]
        same_account = true
      },
      {
        sid          = "InvokeSuccessFunction"
        actions      = ["lambda:InvokeFunction"]
        resources    = ["arn:aws:lambda:us-east-1:123456789012:function:existing-consumer"]
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
  for_each = local.packages

  name                    = each.key
  description             = local.function_descriptions[each.key]
  role_name               = each.value.role_name
  package                 = "${path.module}/${each.value.package}"
  runtime                 = each.value.runtime
  handler                 = each.value.handler
  settings                = var.functions[each.key]
  on_failure              = local.destinations[each.key].on_failure
  on_success              = local.destinations[each.key].on_success
  destination_permissions = local.destination_permissions[each.key]
  account_id              = data.aws_caller_identity.current.account_id

  create_alarms          = true
  project                = "destinations"
  notification_topic_arn = local.notification_topic_arn
  failure_bucket         = contains(["default_failure_bucket"], each.key) ? aws_s3_bucket.failure_records.id : null
  record_rule_name       = each.value.record_rule_name
}
