locals {
  # Queues created as destinations, with their retention and how often a consumer may fail on a record.
  destination_queues = {
    "upgrade-queued-on-failure" = {
      retention_seconds = 1209600
      max_receive_count = 5
    }
  }
}

resource "aws_sqs_queue" "destination" {
  for_each = local.destination_queues

  name                      = each.key
  message_retention_seconds = each.value.retention_seconds
  sqs_managed_sse_enabled   = true

  # A record that consumers keep failing on moves to a dead-letter queue instead of cycling forever.
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.destination_dead_letter[each.key].arn
    maxReceiveCount     = each.value.max_receive_count
  })
}

resource "aws_sqs_queue" "destination_dead_letter" {
  for_each = local.destination_queues

  name                      = "${each.key}-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}
