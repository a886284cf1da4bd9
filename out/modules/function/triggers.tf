locals {
  # Triggers invoke the alias when there is one, so their events get the invoke config set on it.
  invoked_arn = var.alias == null ? aws_lambda_function.this.arn : aws_lambda_alias.this[0].arn

  rules     = { for name, trigger in var.triggers : name => trigger if trigger.type == "rule" }
  topics    = { for name, trigger in var.triggers : name => trigger if trigger.type == "sns" }
  schedules = { for name, trigger in var.triggers : name => trigger if trigger.type == "schedule" }
}

# EventBridge and EventBridge Scheduler retry an event Lambda does not accept, then leave it here: an event
# that never reached the function, so never reached its on-failure destination either.
resource "aws_sqs_queue" "undelivered" {
  count = length(local.rules) + length(local.schedules) > 0 ? 1 : 0

  name                      = "${var.name}-undelivered"
  message_retention_seconds = 1209600 # 14 days, the most SQS keeps a message
  sqs_managed_sse_enabled   = true
}

data "aws_iam_policy_document" "undelivered" {
  count = length(local.rules) > 0 ? 1 : 0

  statement {
    sid       = "EventBridgeRulesSendUndelivered"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.undelivered[0].arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [for rule in aws_cloudwatch_event_rule.trigger : rule.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "undelivered" {
  count = length(local.rules) > 0 ? 1 : 0

  queue_url = aws_sqs_queue.undelivered[0].id
  policy    = data.aws_iam_policy_document.undelivered[0].json
}

resource "aws_cloudwatch_event_rule" "trigger" {
  for_each = local.rules

  name           = "${var.name}-${each.key}"
  description    = "Invokes ${var.name} asynchronously"
  event_bus_name = each.value.event_bus
  event_pattern  = each.value.event_pattern
}

resource "aws_cloudwatch_event_target" "trigger" {
  for_each = local.rules

  rule           = aws_cloudwatch_event_rule.trigger[each.key].name
  event_bus_name = each.value.event_bus
  target_id      = "invoke-function"
  arn            = local.invoked_arn

  retry_policy {
    maximum_event_age_in_seconds = each.value.maximum_event_age_seconds
    maximum_retry_attempts       = each.value.maximum_retry_attempts
  }

  dead_letter_config {
    arn = aws_sqs_queue.undelivered[0].arn
  }

  depends_on = [aws_sqs_queue_policy.undelivered]
}

# Only this rule, of this account, may invoke the function: the confused-deputy protection of a service principal.
resource "aws_lambda_permission" "rule" {
  for_each = local.rules

  statement_id   = "InvokeFromRule-${each.key}"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this.function_name
  qualifier      = var.alias
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.trigger[each.key].arn
  source_account = var.account_id
}

resource "aws_lambda_permission" "topic" {
  for_each = local.topics

  statement_id   = "InvokeFromTopic-${each.key}"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this.function_name
  qualifier      = var.alias
  principal      = "sns.amazonaws.com"
  source_arn     = each.value.topic_arn
  source_account = split(":", each.value.topic_arn)[4]
}

resource "aws_sns_topic_subscription" "trigger" {
  for_each = local.topics

  topic_arn = each.value.topic_arn
  protocol  = "lambda"
  endpoint  = local.invoked_arn

  depends_on = [aws_lambda_permission.topic]
}

# EventBridge Scheduler invokes with a role of its own, which may invoke this function (or its alias) and
# leave an undelivered event in the queue, and nothing else.
data "aws_iam_policy_document" "scheduler_assume_role" {
  count = length(local.schedules) > 0 ? 1 : 0

  statement {
    sid     = "SchedulerAssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  count = length(local.schedules) > 0 ? 1 : 0

  name_prefix        = "${substr(var.name, 0, 28)}-schedule-"
  description        = "Lets EventBridge Scheduler invoke the ${var.name} Lambda function"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume_role[0].json
}

data "aws_iam_policy_document" "scheduler" {
  count = length(local.schedules) > 0 ? 1 : 0

  statement {
    sid       = "InvokeFunction"
    actions   = ["lambda:InvokeFunction"]
    resources = [local.invoked_arn]
  }

  statement {
    sid       = "SendUndelivered"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.undelivered[0].arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  count = length(local.schedules) > 0 ? 1 : 0

  name   = "invoke-function"
  role   = aws_iam_role.scheduler[0].id
  policy = data.aws_iam_policy_document.scheduler[0].json
}

resource "aws_scheduler_schedule" "trigger" {
  for_each = local.schedules

  # checkov:skip=CKV_AWS_297:The schedule holds no payload to encrypt with a customer managed key; EventBridge Scheduler encrypts it with an AWS owned key.
  name                         = "${var.name}-${each.key}"
  description                  = "Invokes ${var.name} asynchronously"
  schedule_expression          = each.value.schedule_expression
  schedule_expression_timezone = each.value.timezone

  flexible_time_window {
    mode                      = each.value.flexible_window_minutes == null ? "OFF" : "FLEXIBLE"
    maximum_window_in_minutes = each.value.flexible_window_minutes
  }

  target {
    arn      = local.invoked_arn
    role_arn = aws_iam_role.scheduler[0].arn

    retry_policy {
      maximum_event_age_in_seconds = each.value.maximum_event_age_seconds
      maximum_retry_attempts       = each.value.maximum_retry_attempts
    }

    dead_letter_config {
      arn = aws_sqs_queue.undelivered[0].arn
    }
  }

  depends_on = [aws_iam_role_policy.scheduler]
}
