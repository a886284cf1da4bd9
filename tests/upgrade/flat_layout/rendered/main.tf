locals {
  # What the generator packaged for each function. Runtime and handler must match
  # the code in the zip, so they change in the generator's config, not here.
  packages = {
    async_function = {
      package   = "build/async_function.zip"
      runtime   = "python3.13"
      handler   = "handler.handler"
      role_name = "upgrade-async_function-role"
    }
    queued = {
      package   = "build/queued.zip"
      runtime   = "python3.13"
      handler   = "handler.handler"
      role_name = "upgrade-queued-role"
    }
  }

  functions = { for name, settings in var.functions : name => merge(settings, local.packages[name]) }

  # Where Lambda sends the record of each function's asynchronous invocations once they end.
  destinations = {
    async_function = {
      on_failure = aws_s3_bucket.failure_records.arn
    }
    queued = {
      on_failure = aws_sqs_queue.destination["upgrade-queued-on-failure"].arn
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
        resources    = ["${aws_s3_bucket.failure_records.arn}/*"]
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

resource "aws_cloudwatch_log_group" "lambda" {
  # checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts log data at rest; a customer managed key needs a key policy this project does not own.
  for_each = local.functions

  name              = "/aws/lambda/${each.key}"
  retention_in_days = each.value.log_retention_days
}

resource "aws_lambda_function" "this" {
  # checkov:skip=CKV_AWS_50:X-Ray needs xray:PutTraceSegments on all resources (*), which the least-privilege role leaves out.
  # checkov:skip=CKV_AWS_116:Failed asynchronous events go to the on-failure destination, which supersedes a dead-letter queue.
  # checkov:skip=CKV_AWS_117:The function calls only AWS APIs; a VPC would add NAT or endpoint cost and no protection.
  # checkov:skip=CKV_AWS_173:Lambda encrypts environment variables at rest with an AWS managed key; keep secrets out of them.
  # checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile; the package is built reproducibly from reviewed source.
  for_each = local.functions

  function_name    = each.key
  description      = local.function_descriptions[each.key]
  role             = aws_iam_role.lambda[each.key].arn
  runtime          = each.value.runtime
  handler          = each.value.handler
  architectures    = [each.value.architecture]
  memory_size      = each.value.memory_mb
  timeout          = each.value.timeout_seconds
  filename         = "${path.module}/${each.value.package}"
  source_code_hash = filebase64sha256("${path.module}/${each.value.package}")

  # 0 keeps the function from running: Lambda sends each asynchronous event straight to the
  # on-failure destination, without retries, with the condition ZeroReservedConcurrency.
  reserved_concurrent_executions = each.value.reserved_concurrency

  dynamic "environment" {
    for_each = length(each.value.environment) > 0 ? [each.value.environment] : []

    content {
      variables = environment.value
    }
  }

  # The log group exists before the function, so Lambda never creates one without retention.
  depends_on = [aws_cloudwatch_log_group.lambda, aws_iam_role_policy.lambda]
}

resource "aws_lambda_function_event_invoke_config" "this" {
  for_each = local.functions

  function_name                = aws_lambda_function.this[each.key].function_name
  maximum_event_age_in_seconds = each.value.maximum_event_age_seconds
  maximum_retry_attempts       = each.value.maximum_retry_attempts

  destination_config {
    on_failure {
      destination = local.destinations[each.key].on_failure
    }

    dynamic "on_success" {
      for_each = { for kind, arn in local.destinations[each.key] : kind => arn if kind == "on_success" }

      content {
        destination = on_success.value
      }
    }
  }

  # AWS checks the role's permissions on the destination when this is created.
  depends_on = [aws_iam_role_policy.lambda]
}
