# EventBridge and CloudWatch cannot publish to a topic encrypted with the AWS managed key (alias/aws/sns),
# whose policy no one can change: the topic has a key of its own that lets them.
data "aws_iam_policy_document" "notifications_key" {
  # checkov:skip=CKV_AWS_109:A key policy's resource "*" is the key it is attached to, and nothing else.
  # checkov:skip=CKV_AWS_111:A key policy's resource "*" is the key it is attached to, and nothing else.
  # checkov:skip=CKV_AWS_356:A key policy's resource "*" is the key it is attached to, and nothing else.
  statement {
    sid       = "AccountAdministersKey"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "PublishersEncryptMessages"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "notifications" {
  description         = "Encrypts the queues-notifications topic"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.notifications_key.json
}

resource "aws_kms_alias" "notifications" {
  name          = "alias/queues-notifications"
  target_key_id = aws_kms_key.notifications.key_id
}

resource "aws_sns_topic" "notifications" {
  name              = "queues-notifications"
  kms_master_key_id = aws_kms_key.notifications.arn
}

# Only this project's alarms may publish: their names start with the project's.
data "aws_iam_policy_document" "notifications_topic" {
  statement {
    sid       = "ProjectAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.notifications.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:cloudwatch:${var.region}:${data.aws_caller_identity.current.account_id}:alarm:queues-*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "notifications" {
  arn    = aws_sns_topic.notifications.arn
  policy = data.aws_iam_policy_document.notifications_topic.json
}

locals {
  notification_topic_arn = aws_sns_topic.notifications.arn
}

# AWS mails each address a link; the subscription delivers nothing until it is confirmed.
resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.notification_emails)

  topic_arn = local.notification_topic_arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_dashboard" "failures" {
  dashboard_name = "queues"
  dashboard_body = jsonencode({
    widgets = concat(
      [
        {
          type   = "text"
          x      = 0
          y      = 0
          width  = 24
          height = 5
          properties = {
            markdown = <<-EOT
              ## Failure records of queues
              Each function sends the records of its failed events to its own on-failure destination (the `destinations` output); the generator's failures commands read a failure bucket or an SQS queue, not an SNS topic, EventBridge bus or function.
            EOT
          }
        },
      ],
      [
        for index, name in keys(local.packages) : {
          type   = "metric"
          x      = index % 2 * 12
          y      = 5 + floor(index / 2) * 6
          width  = 12
          height = 6
          properties = {
            title  = name
            region = var.region
            view   = "timeSeries"
            stat   = "Sum"
            period = 300
            metrics = concat(
              [for metric in ["AsyncEventsReceived", "AsyncEventsDropped", "DestinationDeliveryFailures", "Errors", "Throttles"] : ["AWS/Lambda", metric, "FunctionName", name]],
              [["AWS/Lambda", "AsyncEventAge", "FunctionName", name, { stat = "Maximum", yAxis = "right", label = "AsyncEventAge (ms)" }]],
            )
          }
        }
      ],
    )
  })
}
