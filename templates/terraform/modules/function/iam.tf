data "aws_iam_policy_document" "assume_role" {
  statement {
    sid     = "LambdaAssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.role_name
  description        = "Execution role of the ${var.name} Lambda function"
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  dynamic "statement" {
    for_each = var.destination_permissions

    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources

      # A bucket this project owns: the account condition stops a record from going to a bucket someone else now owns.
      dynamic "condition" {
        for_each = statement.value.same_account ? [var.account_id] : []

        content {
          test     = "StringEquals"
          variable = "s3:ResourceAccount"
          values   = [condition.value]
        }
      }
    }
  }

  # X-Ray's write actions take no resource, only "*" (Service Authorization Reference, AWS X-Ray).
  dynamic "statement" {
    for_each = var.settings.tracing == "Active" ? [1] : []

    content {
      sid       = "WriteTraces"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    }
  }

  # In a VPC, Lambda manages the function's network interfaces with its role: the actions the Lambda Developer
  # Guide lists for it, on "*" as AWSLambdaVPCAccessExecutionRole grants them (the interfaces' ids are Lambda's).
  dynamic "statement" {
    for_each = length(var.settings.vpc_subnet_ids) > 0 ? [1] : []

    content {
      sid = "ManageNetworkInterfaces"
      actions = [
        "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
      ]
      resources = ["*"]
    }
  }

  # A customer managed key for the environment variables: Lambda decrypts them as the function's role.
  dynamic "statement" {
    for_each = var.settings.kms_key_arn == null ? [] : [var.settings.kms_key_arn]

    content {
      sid       = "DecryptEnvironment"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }

  # The function's own permissions, as the config states them (functions[].policy_statements).
  dynamic "statement" {
    for_each = var.policy_statements

    content {
      sid       = statement.value.sid
      effect    = statement.value.effect
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "logs-and-failure-destination"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_iam_role_policy_attachment" "managed" {
  for_each = toset(var.managed_policy_arns)

  role       = aws_iam_role.this.name
  policy_arn = each.value
}
