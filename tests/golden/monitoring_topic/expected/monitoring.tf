locals {
  # The config's topic: its policy must let cloudwatch.amazonaws.com publish.
  notification_topic_arn = "arn:aws:sns:us-east-1:123456789012:platform-alerts"
}

# AWS mails each address a link; the subscription delivers nothing until it is confirmed.
resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.notification_emails)

  topic_arn = local.notification_topic_arn
  protocol  = "email"
  endpoint  = each.value
}
