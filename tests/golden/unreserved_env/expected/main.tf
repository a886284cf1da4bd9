locals {
  # What the generator packaged for each function, and the names it chose. Runtime and handler
  # must match the code in the zip, so they change in the generator's config, not here.
  packages = {
    escaping_function = {
      package          = "build/escaping_function.zip"
      runtime          = "python3.13"
      handler          = "handler.handler"
      role_name        = "escaping-escaping_function-role"
      record_rule_name = "escaping-escaping_function-failure-records"
    }
  }

  # Where Lambda sends the record of each function's asynchronous invocations once they end.
  destinations = {
    escaping_function = {
      on_failure = aws_s3_bucket.failure_records.arn
      on_success = null
    }
  }

  # Where each function's description says its failed events go.
  function_descriptions = {
    escaping_function = "Invoked asynchronously; failed events are recorded in ${aws_s3_bucket.failure_records.id}"
  }

  # What each role may do to reach its destinations: one action, on exactly that ARN.
  destination_permissions = {
    escaping_function = [
      {
        sid          = "WriteFailureRecords"
        actions      = ["s3:PutObject"]
        resources    = ["${aws_s3_bucket.failure_records.arn}/aws/lambda/async/escaping_function/*"]
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

  # Each function's own permissions, as the config states them, after the generated ones.
  policy_statements = {
    escaping_function = [
      {
        sid       = "ReadOrders"
        effect    = "Allow"
        actions   = ["dynamodb:GetItem", "dynamodb:Query"]
        resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/orders"]
        conditions = [
          { test = "StringEquals", variable = "aws:RequestedRegion", values = ["us-east-1"] },
        ]
      },
      {
        sid        = "ListTables"
        effect     = "Allow"
        actions    = ["dynamodb:ListTables"]
        resources  = ["*"]
        conditions = []
      },
    ]
  }

  # Existing policies attached to each function's role.
  managed_policy_arns = {
    escaping_function = ["arn:aws:iam::123456789012:policy/team-read"]
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
  policy_statements       = lookup(local.policy_statements, each.key, [])
  managed_policy_arns     = lookup(local.managed_policy_arns, each.key, [])
  account_id              = data.aws_caller_identity.current.account_id

  create_alarms          = true
  project                = "escaping"
  notification_topic_arn = local.notification_topic_arn
  failure_bucket         = aws_s3_bucket.failure_records.id
  record_rule_name       = each.value.record_rule_name
}
