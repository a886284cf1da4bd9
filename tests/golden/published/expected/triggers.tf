locals {
  # What invokes each function asynchronously, by trigger name. An s3 trigger is a rule on the default bus
  # that picks the bucket's object events, which S3 sends to EventBridge.
  triggers = {
    async_function = {
      uploads = {
        type      = "rule"
        event_bus = "default"
        event_pattern = jsonencode({
          source      = ["aws.s3"]
          detail-type = ["Object Created"]
          detail = {
            bucket = {
              name = ["incoming-uploads"]
            }
            object = {
              key = [{
                wildcard = "in/*.csv"
              }]
            }
          }
        })
        maximum_event_age_seconds = 86400
        maximum_retry_attempts    = 185
      }
      alerts = {
        type      = "sns"
        topic_arn = "arn:aws:sns:us-east-1:123456789012:alerts"
      }
      orders = {
        type      = "rule"
        event_bus = "orders"
        event_pattern = jsonencode({
          source      = ["shop.orders"]
          detail-type = ["OrderPlaced"]
        })
        maximum_event_age_seconds = 86400
        maximum_retry_attempts    = 3
      }
    }
    latest_only = {
      nightly = {
        type                      = "schedule"
        schedule_expression       = "cron(0 2 * * ? *)"
        timezone                  = "Europe/Paris"
        flexible_window_minutes   = 15
        maximum_event_age_seconds = 86400
        maximum_retry_attempts    = 185
      }
    }
  }
}

# The bucket sends its object events to EventBridge. This resource owns the bucket's whole notification
# configuration (functions[].triggers[].owns_notifications): notifications set on it elsewhere are removed.
resource "aws_s3_bucket_notification" "trigger_source" {
  for_each = toset(["incoming-uploads"])

  bucket      = each.key
  eventbridge = true
}
