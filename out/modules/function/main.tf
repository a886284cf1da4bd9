resource "aws_cloudwatch_log_group" "this" {
  # checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts log data at rest; a customer managed key needs a key policy this project does not own.
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.settings.log_retention_days
}

resource "aws_lambda_function" "this" {
  # checkov:skip=CKV_AWS_50:Tracing is the config's choice (functions[].tracing); Active gives the role X-Ray's write actions.
  # checkov:skip=CKV_AWS_116:Failed asynchronous events go to the on-failure destination, which supersedes a dead-letter queue.
  # checkov:skip=CKV_AWS_117:A VPC is the config's choice (functions[].vpc_subnet_ids); the demo calls only AWS APIs.
  # checkov:skip=CKV_AWS_173:Lambda encrypts environment variables at rest, with the config's functions[].kms_key_arn or an AWS managed key.
  # checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile; the package is built reproducibly from reviewed source.
  function_name = var.name
  description   = var.description
  role          = aws_iam_role.this.arn
  runtime       = var.runtime
  handler       = var.handler
  architectures = [var.settings.architecture]
  memory_size   = var.settings.memory_mb
  timeout       = var.settings.timeout_seconds
  publish       = var.publish
  kms_key_arn   = var.settings.kms_key_arn
  layers        = var.settings.layers

  # A package over Lambda's direct-upload limit deploys from S3; the hash of the local zip still
  # decides when the code changed.
  filename          = var.package_s3 == null ? var.package : null
  s3_bucket         = try(var.package_s3.bucket, null)
  s3_key            = try(var.package_s3.key, null)
  s3_object_version = try(var.package_s3.version, null)
  source_code_hash  = filebase64sha256(var.package)

  # 0 keeps the function from running: Lambda sends each asynchronous event straight to the
  # on-failure destination, without retries, with the condition ZeroReservedConcurrency.
  reserved_concurrent_executions = var.settings.reserved_concurrency

  dynamic "vpc_config" {
    for_each = length(var.settings.vpc_subnet_ids) > 0 ? [1] : []

    content {
      subnet_ids                  = var.settings.vpc_subnet_ids
      security_group_ids          = var.settings.vpc_security_group_ids
      ipv6_allowed_for_dual_stack = var.settings.vpc_ipv6_allowed
    }
  }

  ephemeral_storage {
    size = var.settings.ephemeral_storage_mb
  }

  tracing_config {
    mode = var.settings.tracing
  }

  # Log levels filter only JSON logs; the generator and the settings variable refuse them with Text.
  logging_config {
    log_format            = var.settings.log_format
    log_group             = aws_cloudwatch_log_group.this.name
    application_log_level = var.settings.log_format == "JSON" ? var.settings.log_application_level : null
    system_log_level      = var.settings.log_format == "JSON" ? var.settings.log_system_level : null
  }

  dynamic "environment" {
    for_each = length(var.settings.environment) > 0 ? [var.settings.environment] : []

    content {
      variables = environment.value
    }
  }

  # The log group exists before the function, so Lambda never creates one without retention.
  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]
}

# Lambda stops a recursive loop it detects unless the function allows it; without this resource the function
# keeps Lambda's default, Terminate, and removing it restores that.
resource "aws_lambda_function_recursion_config" "this" {
  count = var.settings.recursive_loop == "Allow" ? 1 : 0

  function_name  = aws_lambda_function.this.function_name
  recursive_loop = "Allow"
}

# The alias moves to each version the apply publishes; invokers that name it get the settings below.
resource "aws_lambda_alias" "this" {
  count = var.alias == null ? 0 : 1

  name             = var.alias
  description      = "The newest published version of ${var.name}"
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version
}

# Environments Lambda keeps initialized for the alias; billed for as long as they are configured.
resource "aws_lambda_provisioned_concurrency_config" "this" {
  count = var.alias != null && var.settings.provisioned_concurrency != null ? 1 : 0

  function_name                     = aws_lambda_function.this.function_name
  qualifier                         = aws_lambda_alias.this[0].name
  provisioned_concurrent_executions = var.settings.provisioned_concurrency
}

resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  qualifier                    = var.alias == null ? null : aws_lambda_alias.this[0].name
  maximum_event_age_in_seconds = var.settings.maximum_event_age_seconds
  maximum_retry_attempts       = var.settings.maximum_retry_attempts

  destination_config {
    on_failure {
      destination = var.on_failure
    }

    dynamic "on_success" {
      for_each = var.on_success == null ? [] : [var.on_success]

      content {
        destination = on_success.value
      }
    }
  }

  # AWS checks the role's permissions on the destinations when this is created.
  depends_on = [aws_iam_role_policy.this]
}
