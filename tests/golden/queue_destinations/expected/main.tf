locals {
  # What the generator packaged for each function, and the names it chose. Runtime and handler
  # must match the code in the zip, so they change in the generator's config, not here.
  packages = {
    orders = {
      package   = "build/orders.zip"
      runtime   = "python3.13"
      handler   = "handler.handler"
      role_name = "queues-orders-role"
    }
    payments = {
      package   = "build/payments.zip"
      runtime   = "python3.13"
      handler   = "main.handle"
      role_name = "queues-payments-role"
    }
  }

  # Where Lambda sends the record of each function's asynchronous invocations once they end.
  destinations = {
    orders = {
      on_failure = aws_sqs_queue.destination["queues-orders-on-failure"].arn
      on_success = null
    }
    payments = {
      on_failure = "arn:aws:sqs:us-east-1:123456789012:payments-failures"
      on_success = null
    }
  }

  # Where each function's description says its failed events go.
  function_descriptions = {
    orders   = "Invoked asynchronously; records of failed events go to the SQS queue queues-orders-on-failure"
    payments = "Invoked asynchronously; records of failed events go to the SQS queue payments-failures"
  }

  # What each role may do to reach its destinations: one action, on exactly that ARN.
  destination_permissions = {
    orders = [
      {
        sid          = "SendFailureToQueue"
        actions      = ["sqs:SendMessage"]
        resources    = [aws_sqs_queue.destination["queues-orders-on-failure"].arn]
        same_account = false
      },
    ]
    payments = [
      {
        sid          = "SendFailureToQueue"
        actions      = ["sqs:SendMessage"]
        resources    = ["arn:aws:sqs:us-east-1:123456789012:payments-failures"]
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
  project                = "queues"
  notification_topic_arn = local.notification_topic_arn
}
