locals {
  # What the generator packaged for each function, the names it chose and how it is released. Runtime
  # and handler must match the code in the zip, so they change in the generator's config, not here.
  packages = {
    async_function = {
      package          = "build/async_function.zip"
      runtime          = "python3.13"
      handler          = "handler.handler"
      role_name        = "lambda-s3-async-failure-async_function-role"
      publish          = true
      alias            = "live"
      record_rule_name = "lambda-s3-async-failure-async_function-failure-records"
    }
    versioned = {
      package          = "build/versioned.zip"
      runtime          = "python3.13"
      handler          = "handler.handler"
      role_name        = "lambda-s3-async-failure-versioned-role"
      publish          = true
      alias            = null
      record_rule_name = "lambda-s3-async-failure-versioned-failure-records"
    }
    latest_only = {
      package          = "build/latest_only.zip"
      runtime          = "python3.13"
      handler          = "handler.handler"
      role_name        = "lambda-s3-async-failure-latest_only-role"
      publish          = false
      alias            = null
      record_rule_name = "lambda-s3-async-failure-latest_only-failure-records"
    }
  }

  # Where Lambda sends the record of each function's asynchronous invocations once they end.
  destinations = {
    async_function = {
      on_failure = aws_s3_bucket.failure_records.arn
      on_success = null
    }
    versioned = {
      on_failure = aws_s3_bucket.failure_records.arn
      on_success = null
    }
    latest_only = {
      on_failure = aws_s3_bucket.failure_records.arn
      on_success = null
    }
  }

  # Where each function's description says its failed events go.
  function_descriptions = {
    async_function = "Invoked asynchronously; failed events are recorded in ${aws_s3_bucket.failure_records.id}"
    versioned      = "Invoked asynchronously; failed events are recorded in ${aws_s3_bucket.failure_records.id}"
    latest_only    = "Invoked asynchronously; failed events are recorded in ${aws_s3_bucket.failure_records.id}"
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
    versioned = [
      {
        sid          = "WriteFailureRecords"
        actions      = ["s3:PutObject"]
        resources    = ["${aws_s3_bucket.failure_records.arn}/aws/lambda/async/versioned/*"]
        same_account = true
      },
      {
        sid          = "ListFailureBucket"
        actions      = ["s3:ListBucket"]
        resources    = [aws_s3_bucket.failure_records.arn]
        same_account = true
      },
    ]
    latest_only = [
      {
        sid          = "WriteFailureRecords"
        actions      = ["s3:PutObject"]
        resources    = ["${aws_s3_bucket.failure_records.arn}/aws/lambda/async/latest_only/*"]
        same_account = true
      },
      {
        sid          = "ListFailureBucket"
        actions      = ["s3:ListBucket"]
        resources    = [aws_s3_bucket.failure_records.arn]
        same_account = true
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
  triggers                = lookup(local.triggers, each.key, {})
  account_id              = data.aws_caller_identity.current.account_id
  publish                 = each.value.publish
  alias                   = each.value.alias

  create_alarms          = true
  project                = "lambda-s3-async-failure"
  notification_topic_arn = local.notification_topic_arn
  failure_bucket         = aws_s3_bucket.failure_records.id
  record_rule_name       = each.value.record_rule_name
}
