# What this project promises, checked offline by `terraform test`: a mock AWS provider stands in
# for AWS, so no account or credentials are needed and nothing is created. Terraform 1.11 or
# later: override_during makes the mocked values below known when the plan is made.

mock_provider "aws" {
  override_during = plan

  # The provider itself builds policy documents; its mock returns this valid, empty one.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::failure-records-under-test"
      id  = "failure-records-under-test"
    }
  }

  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:us-east-1:123456789012:queue-under-test"
    }
  }

  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:us-east-1:123456789012:topic-under-test"
    }
  }

  mock_resource "aws_cloudwatch_event_bus" {
    defaults = {
      arn = "arn:aws:events:us-east-1:123456789012:event-bus/bus-under-test"
    }
  }

  mock_resource "aws_cloudwatch_event_rule" {
    defaults = {
      arn = "arn:aws:events:us-east-1:123456789012:rule/rule-under-test"
    }
  }

  mock_resource "aws_lambda_alias" {
    defaults = {
      arn = "arn:aws:lambda:us-east-1:123456789012:function:under-test:live"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/under-test"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/role-under-test"
      id  = "role-under-test"
    }
  }
}

# What the runs of the function module on its own give it, beside the settings each run sets.
# The runs of the whole project ignore these: its root module declares none of them.
variables {
  name        = "to_queue_and_topic"
  description = "The function module under test"
  role_name   = "destinations-to_queue_and_topic-role"
  package     = "build/to_queue_and_topic.zip"
  runtime     = "python3.13"
  handler     = "handler.handler"
  on_failure  = "arn:aws:s3:::failure-records-under-test"
  account_id  = "123456789012"
  destination_permissions = [
    {
      sid          = "WriteFailureRecords"
      actions      = ["s3:PutObject"]
      resources    = ["arn:aws:s3:::failure-records-under-test/aws/lambda/async/to_queue_and_topic/*"]
      same_account = true
    },
    {
      sid          = "SendFailureToQueue"
      actions      = ["sqs:SendMessage"]
      resources    = ["arn:aws:sqs:us-east-1:123456789012:queue-under-test"]
      same_account = false
    },
  ]
  policy_statements = [
    {
      sid        = "ReadOwnTable"
      effect     = "Allow"
      actions    = ["dynamodb:GetItem"]
      resources  = ["arn:aws:dynamodb:us-east-1:123456789012:table/table-under-test"]
      conditions = [{ test = "StringEquals", variable = "aws:RequestedRegion", values = ["us-east-1"] }]
    },
    {
      sid        = "KeepOwnTable"
      effect     = "Deny"
      actions    = ["dynamodb:DeleteTable"]
      resources  = ["arn:aws:dynamodb:us-east-1:123456789012:table/table-under-test"]
      conditions = []
    },
  ]
  project                = "destinations"
  notification_topic_arn = "arn:aws:sns:us-east-1:123456789012:topic-under-test"
  failure_bucket         = "failure-records-under-test"
  record_rule_name       = "destinations-to_queue_and_topic-failure-records"
}

# One plan checks the whole project: the failure bucket, then each function's destinations, settings,
# log group and permissions.
run "project" {
  command = plan

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.failure_records.block_public_acls,
      aws_s3_bucket_public_access_block.failure_records.block_public_policy,
      aws_s3_bucket_public_access_block.failure_records.ignore_public_acls,
      aws_s3_bucket_public_access_block.failure_records.restrict_public_buckets,
    ])
    error_message = "The failure bucket must block every kind of public access."
  }

  assert {
    condition = anytrue([
      for statement in data.aws_iam_policy_document.failure_records_bucket.statement :
      statement.effect == "Deny" && contains(statement.actions, "s3:*") && anytrue([
        for condition in statement.condition :
        condition.test == "Bool" && condition.variable == "aws:SecureTransport" && contains(condition.values, "false")
      ])
    ])
    error_message = "The failure bucket's policy must deny every request made without TLS."
  }

  assert {
    condition     = aws_s3_bucket_policy.failure_records.bucket == aws_s3_bucket.failure_records.id
    error_message = "The TLS-only policy must be the failure bucket's policy."
  }

  assert {
    condition     = module.function["to_queue_and_topic"].async_invocation.on_failure == aws_sqs_queue.destination["destinations-to_queue_and_topic-on-failure"].arn
    error_message = "to_queue_and_topic must send the records of failed events to the SQS queue destinations-to_queue_and_topic-on-failure."
  }

  assert {
    condition     = module.function["to_queue_and_topic"].async_invocation.on_success == aws_sns_topic.destination["destinations-to_queue_and_topic-on-success"].arn
    error_message = "to_queue_and_topic must send the records of successful events to its on-success destination."
  }

  assert {
    condition     = module.function["to_queue_and_topic"].async_invocation.maximum_event_age_seconds == module.function["to_queue_and_topic"].settings.maximum_event_age_seconds
    error_message = "to_queue_and_topic must keep events for maximum_event_age_seconds."
  }

  assert {
    condition     = module.function["to_queue_and_topic"].async_invocation.maximum_retry_attempts == module.function["to_queue_and_topic"].settings.maximum_retry_attempts
    error_message = "to_queue_and_topic must retry maximum_retry_attempts times."
  }

  assert {
    condition     = coalesce(module.function["to_queue_and_topic"].async_invocation.reserved_concurrency, -1) == coalesce(module.function["to_queue_and_topic"].settings.reserved_concurrency, -1)
    error_message = "to_queue_and_topic must reserve the configured concurrency (null or -1: unreserved)."
  }

  assert {
    condition     = module.function["to_queue_and_topic"].log_group_name == "/aws/lambda/to_queue_and_topic"
    error_message = "to_queue_and_topic's log group must be the one Lambda writes to."
  }

  assert {
    condition = local.destination_permissions["to_queue_and_topic"] == [
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
    error_message = "to_queue_and_topic's role may do exactly what its destinations need, on exactly their ARNs."
  }

  assert {
    condition = alltrue(flatten([
      for statement in local.destination_permissions["to_queue_and_topic"] : [
        for resource in statement.resources :
        startswith(resource, "${aws_s3_bucket.failure_records.arn}/aws/lambda/async/to_queue_and_topic/") || !startswith(resource, "${aws_s3_bucket.failure_records.arn}/")
      ] if contains(statement.actions, "s3:PutObject")
    ]))
    error_message = "to_queue_and_topic's role may write in the failure bucket only under aws/lambda/async/to_queue_and_topic/, where Lambda writes its records."
  }

  assert {
    condition     = module.function["to_bus_and_function"].async_invocation.on_failure == aws_cloudwatch_event_bus.destination["destinations-to_bus_and_function-on-failure"].arn
    error_message = "to_bus_and_function must send the records of failed events to the EventBridge bus destinations-to_bus_and_function-on-failure."
  }

  assert {
    condition     = module.function["to_bus_and_function"].async_invocation.on_success == "arn:${data.aws_partition.current.partition}:lambda:${var.region}:${data.aws_caller_identity.current.account_id}:function:to_queue_and_topic"
    error_message = "to_bus_and_function must send the records of successful events to its on-success destination."
  }

  assert {
    condition     = module.function["to_bus_and_function"].async_invocation.maximum_event_age_seconds == module.function["to_bus_and_function"].settings.maximum_event_age_seconds
    error_message = "to_bus_and_function must keep events for maximum_event_age_seconds."
  }

  assert {
    condition     = module.function["to_bus_and_function"].async_invocation.maximum_retry_attempts == module.function["to_bus_and_function"].settings.maximum_retry_attempts
    error_message = "to_bus_and_function must retry maximum_retry_attempts times."
  }

  assert {
    condition     = coalesce(module.function["to_bus_and_function"].async_invocation.reserved_concurrency, -1) == coalesce(module.function["to_bus_and_function"].settings.reserved_concurrency, -1)
    error_message = "to_bus_and_function must reserve the configured concurrency (null or -1: unreserved)."
  }

  assert {
    condition     = module.function["to_bus_and_function"].log_group_name == "/aws/lambda/to_bus_and_function"
    error_message = "to_bus_and_function's log group must be the one Lambda writes to."
  }

  assert {
    condition = local.destination_permissions["to_bus_and_function"] == [
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
    error_message = "to_bus_and_function's role may do exactly what its destinations need, on exactly their ARNs."
  }

  assert {
    condition = alltrue(flatten([
      for statement in local.destination_permissions["to_bus_and_function"] : [
        for resource in statement.resources :
        startswith(resource, "${aws_s3_bucket.failure_records.arn}/aws/lambda/async/to_bus_and_function/") || !startswith(resource, "${aws_s3_bucket.failure_records.arn}/")
      ] if contains(statement.actions, "s3:PutObject")
    ]))
    error_message = "to_bus_and_function's role may write in the failure bucket only under aws/lambda/async/to_bus_and_function/, where Lambda writes its records."
  }

  assert {
    condition     = module.function["to_existing"].async_invocation.on_failure == "arn:aws:sqs:us-east-1:123456789012:existing-failures"
    error_message = "to_existing must send the records of failed events to the SQS queue existing-failures."
  }

  assert {
    condition     = module.function["to_existing"].async_invocation.on_success == "arn:aws:events:us-east-1:123456789012:event-bus/default"
    error_message = "to_existing must send the records of successful events to its on-success destination."
  }

  assert {
    condition     = module.function["to_existing"].async_invocation.maximum_event_age_seconds == module.function["to_existing"].settings.maximum_event_age_seconds
    error_message = "to_existing must keep events for maximum_event_age_seconds."
  }

  assert {
    condition     = module.function["to_existing"].async_invocation.maximum_retry_attempts == module.function["to_existing"].settings.maximum_retry_attempts
    error_message = "to_existing must retry maximum_retry_attempts times."
  }

  assert {
    condition     = coalesce(module.function["to_existing"].async_invocation.reserved_concurrency, -1) == coalesce(module.function["to_existing"].settings.reserved_concurrency, -1)
    error_message = "to_existing must reserve the configured concurrency (null or -1: unreserved)."
  }

  assert {
    condition     = module.function["to_existing"].log_group_name == "/aws/lambda/to_existing"
    error_message = "to_existing's log group must be the one Lambda writes to."
  }

  assert {
    condition = local.destination_permissions["to_existing"] == [
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
    error_message = "to_existing's role may do exactly what its destinations need, on exactly their ARNs."
  }

  assert {
    condition = alltrue(flatten([
      for statement in local.destination_permissions["to_existing"] : [
        for resource in statement.resources :
        startswith(resource, "${aws_s3_bucket.failure_records.arn}/aws/lambda/async/to_existing/") || !startswith(resource, "${aws_s3_bucket.failure_records.arn}/")
      ] if contains(statement.actions, "s3:PutObject")
    ]))
    error_message = "to_existing's role may write in the failure bucket only under aws/lambda/async/to_existing/, where Lambda writes its records."
  }

  assert {
    condition     = module.function["default_failure_bucket"].async_invocation.on_failure == aws_s3_bucket.failure_records.arn
    error_message = "default_failure_bucket must send the records of failed events to the failure bucket."
  }

  assert {
    condition     = module.function["default_failure_bucket"].async_invocation.on_success == "arn:aws:lambda:us-east-1:123456789012:function:existing-consumer"
    error_message = "default_failure_bucket must send the records of successful events to its on-success destination."
  }

  assert {
    condition     = module.function["default_failure_bucket"].async_invocation.maximum_event_age_seconds == module.function["default_failure_bucket"].settings.maximum_event_age_seconds
    error_message = "default_failure_bucket must keep events for maximum_event_age_seconds."
  }

  assert {
    condition     = module.function["default_failure_bucket"].async_invocation.maximum_retry_attempts == module.function["default_failure_bucket"].settings.maximum_retry_attempts
    error_message = "default_failure_bucket must retry maximum_retry_attempts times."
  }

  assert {
    condition     = coalesce(module.function["default_failure_bucket"].async_invocation.reserved_concurrency, -1) == coalesce(module.function["default_failure_bucket"].settings.reserved_concurrency, -1)
    error_message = "default_failure_bucket must reserve the configured concurrency (null or -1: unreserved)."
  }

  assert {
    condition     = module.function["default_failure_bucket"].log_group_name == "/aws/lambda/default_failure_bucket"
    error_message = "default_failure_bucket's log group must be the one Lambda writes to."
  }

  assert {
    condition = local.destination_permissions["default_failure_bucket"] == [
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
    error_message = "default_failure_bucket's role may do exactly what its destinations need, on exactly their ARNs."
  }

  assert {
    condition = alltrue(flatten([
      for statement in local.destination_permissions["default_failure_bucket"] : [
        for resource in statement.resources :
        startswith(resource, "${aws_s3_bucket.failure_records.arn}/aws/lambda/async/default_failure_bucket/") || !startswith(resource, "${aws_s3_bucket.failure_records.arn}/")
      ] if contains(statement.actions, "s3:PutObject")
    ]))
    error_message = "default_failure_bucket's role may write in the failure bucket only under aws/lambda/async/default_failure_bucket/, where Lambda writes its records."
  }
}

# The function module on its own, given one permission on a bucket this project owns, one on a queue
# and one statement of its own: its role policy must grant those and its own logs, nothing else.
run "function_module_grants_exactly_the_permissions_it_is_given" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    settings = {
      reserved_concurrency = 0
    }
  }

  assert {
    condition = jsonencode([
      for statement in data.aws_iam_policy_document.this.statement : {
        sid       = statement.sid
        effect    = coalesce(statement.effect, "Allow")
        actions   = sort(statement.actions)
        resources = sort(statement.resources)
        accounts  = [for condition in statement.condition : "${condition.test} ${condition.variable} ${join(",", condition.values)}"]
      }
      ]) == jsonencode([
      {
        sid       = "WriteOwnLogs"
        effect    = "Allow"
        actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/under-test:*"]
        accounts  = []
      },
      {
        sid       = "WriteFailureRecords"
        effect    = "Allow"
        actions   = ["s3:PutObject"]
        resources = ["arn:aws:s3:::failure-records-under-test/aws/lambda/async/to_queue_and_topic/*"]
        accounts  = ["StringEquals s3:ResourceAccount 123456789012"]
      },
      {
        sid       = "SendFailureToQueue"
        effect    = "Allow"
        actions   = ["sqs:SendMessage"]
        resources = ["arn:aws:sqs:us-east-1:123456789012:queue-under-test"]
        accounts  = []
      },
      {
        sid       = "ReadOwnTable"
        effect    = "Allow"
        actions   = ["dynamodb:GetItem"]
        resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/table-under-test"]
        accounts  = ["StringEquals aws:RequestedRegion us-east-1"]
      },
      {
        sid       = "KeepOwnTable"
        effect    = "Deny"
        actions   = ["dynamodb:DeleteTable"]
        resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/table-under-test"]
        accounts  = []
      },
    ])
    error_message = "The role policy must grant the function's own logs, exactly the permissions given and its own statements, with s3:ResourceAccount on the bucket this project owns."
  }

  assert {
    condition = alltrue([
      aws_lambda_function.this.ephemeral_storage[0].size == var.settings.ephemeral_storage_mb,
      aws_lambda_function.this.tracing_config[0].mode == var.settings.tracing,
      aws_lambda_function.this.logging_config[0].log_format == var.settings.log_format,
      aws_lambda_function.this.logging_config[0].log_group == aws_cloudwatch_log_group.this.name,
      length(aws_lambda_function_recursion_config.this) == (var.settings.recursive_loop == "Allow" ? 1 : 0),
      tolist(aws_lambda_function.this.layers) == var.settings.layers,
      length(aws_lambda_function.this.vpc_config) == (length(var.settings.vpc_subnet_ids) > 0 ? 1 : 0),
      alltrue([for vpc in aws_lambda_function.this.vpc_config : toset(vpc.subnet_ids) == toset(var.settings.vpc_subnet_ids) && toset(vpc.security_group_ids) == toset(var.settings.vpc_security_group_ids)]),
    ])
    error_message = "The function must have the /tmp size, tracing, log format, loop handling, layers and VPC its settings give, and log to its own group."
  }

  assert {
    condition     = aws_iam_role_policy.this.role == aws_iam_role.this.id && aws_lambda_function.this.role == aws_iam_role.this.arn
    error_message = "The function must run with the role that carries that policy."
  }

  assert {
    condition     = one(aws_lambda_function_event_invoke_config.this.destination_config[0].on_failure).destination == var.on_failure
    error_message = "The invoke config must send failed events' records to on_failure."
  }
}

# The function module on its own, published behind an alias with provisioned concurrency, and a trigger of each
# kind: each invokes the alias, through a permission scoped to its source and account or a role that may invoke
# nothing else.
run "function_module_triggers_invoke_the_alias_and_nothing_else" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    settings = {
      reserved_concurrency    = null
      provisioned_concurrency = 2
    }
    publish = true
    alias   = "live"
    triggers = {
      orders  = { type = "rule", event_bus = "default", event_pattern = jsonencode({ source = ["shop.orders"] }) }
      alerts  = { type = "sns", topic_arn = "arn:aws:sns:us-east-1:210987654321:topic-under-test" }
      nightly = { type = "schedule", schedule_expression = "rate(1 day)", maximum_retry_attempts = 3 }
    }
  }

  assert {
    condition = alltrue([
      aws_lambda_permission.rule["orders"].principal == "events.amazonaws.com",
      aws_lambda_permission.rule["orders"].source_arn == aws_cloudwatch_event_rule.trigger["orders"].arn,
      aws_lambda_permission.rule["orders"].source_account == var.account_id,
      aws_lambda_permission.rule["orders"].qualifier == "live",
      aws_lambda_permission.topic["alerts"].principal == "sns.amazonaws.com",
      aws_lambda_permission.topic["alerts"].source_arn == "arn:aws:sns:us-east-1:210987654321:topic-under-test",
      aws_lambda_permission.topic["alerts"].source_account == "210987654321",
      aws_lambda_permission.topic["alerts"].qualifier == "live",
      length(aws_lambda_permission.rule) + length(aws_lambda_permission.topic) == 2,
    ])
    error_message = "Each rule and topic may invoke the alias only as itself, from its own account; a schedule needs no permission."
  }

  assert {
    condition = alltrue([
      aws_cloudwatch_event_target.trigger["orders"].arn == aws_lambda_alias.this[0].arn,
      aws_sns_topic_subscription.trigger["alerts"].endpoint == aws_lambda_alias.this[0].arn,
      aws_scheduler_schedule.trigger["nightly"].target[0].arn == aws_lambda_alias.this[0].arn,
    ])
    error_message = "Every trigger must invoke the alias, which carries the invoke config."
  }

  assert {
    condition = alltrue([
      aws_lambda_provisioned_concurrency_config.this[0].qualifier == aws_lambda_alias.this[0].name,
      aws_lambda_provisioned_concurrency_config.this[0].provisioned_concurrent_executions == 2,
    ])
    error_message = "Provisioned concurrency must be set on the alias, as many environments as the settings give."
  }

  assert {
    condition = alltrue([
      aws_cloudwatch_event_target.trigger["orders"].dead_letter_config[0].arn == aws_sqs_queue.undelivered[0].arn,
      aws_scheduler_schedule.trigger["nightly"].target[0].dead_letter_config[0].arn == aws_sqs_queue.undelivered[0].arn,
      aws_cloudwatch_event_target.trigger["orders"].retry_policy[0].maximum_retry_attempts == 185,
      aws_scheduler_schedule.trigger["nightly"].target[0].retry_policy[0].maximum_retry_attempts == 3,
      aws_scheduler_schedule.trigger["nightly"].flexible_time_window[0].mode == "OFF",
      aws_scheduler_schedule.trigger["nightly"].schedule_expression_timezone == "UTC",
    ])
    error_message = "Rules and schedules retry as set (185 times by default), then leave undelivered events in the function's queue; a schedule runs on time unless a window is set."
  }

  assert {
    condition = jsonencode([
      for statement in data.aws_iam_policy_document.scheduler[0].statement : [statement.actions, statement.resources]
      ]) == jsonencode([
      [["lambda:InvokeFunction"], [aws_lambda_alias.this[0].arn]],
      [["sqs:SendMessage"], [aws_sqs_queue.undelivered[0].arn]],
    ])
    error_message = "The schedule's role may invoke the alias and send to the undelivered queue, nothing else."
  }
}

# A trigger that is none of the three kinds, or without what its kind needs, is stopped before any API call.
run "rejects_a_trigger_without_what_its_kind_needs" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    settings = {
      reserved_concurrency = 0
    }
    triggers = {
      polled = { type = "sqs" }
    }
  }

  expect_failures = [var.triggers]
}

# A value Lambda would refuse is stopped by the module's validation, before any API call.
run "rejects_more_retries_than_lambda_allows" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    settings = {
      reserved_concurrency   = 0
      maximum_retry_attempts = 3
    }
  }

  expect_failures = [var.settings]
}
