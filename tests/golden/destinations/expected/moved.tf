# A project of more than 100 functions calls modules/function once per group (main.tf), a smaller one
# once. When the number of functions crosses 100, either way, these blocks move each function's instance
# to its new call instead of destroying and re-creating its resources.

moved {
  from = module.functions_e["to_queue_and_topic"]
  to   = module.function["to_queue_and_topic"]
}

moved {
  from = module.functions_f["to_bus_and_function"]
  to   = module.function["to_bus_and_function"]
}

moved {
  from = module.functions_e["to_existing"]
  to   = module.function["to_existing"]
}

moved {
  from = module.functions_6["default_failure_bucket"]
  to   = module.function["default_failure_bucket"]
}

# Projects rendered before generator 0.2 kept each function's resources at the root. These blocks
# tell Terraform they now live in module.function, so re-planning such a deployment moves them
# instead of destroying and re-creating them. A project first applied with a later layout ignores them.

moved {
  from = aws_cloudwatch_log_group.lambda["to_queue_and_topic"]
  to   = module.function["to_queue_and_topic"].aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.lambda["to_queue_and_topic"]
  to   = module.function["to_queue_and_topic"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.lambda["to_queue_and_topic"]
  to   = module.function["to_queue_and_topic"].aws_iam_role_policy.this
}

moved {
  from = aws_lambda_function.this["to_queue_and_topic"]
  to   = module.function["to_queue_and_topic"].aws_lambda_function.this
}

moved {
  from = aws_lambda_function_event_invoke_config.this["to_queue_and_topic"]
  to   = module.function["to_queue_and_topic"].aws_lambda_function_event_invoke_config.this
}

moved {
  from = aws_cloudwatch_log_group.lambda["to_bus_and_function"]
  to   = module.function["to_bus_and_function"].aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.lambda["to_bus_and_function"]
  to   = module.function["to_bus_and_function"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.lambda["to_bus_and_function"]
  to   = module.function["to_bus_and_function"].aws_iam_role_policy.this
}

moved {
  from = aws_lambda_function.this["to_bus_and_function"]
  to   = module.function["to_bus_and_function"].aws_lambda_function.this
}

moved {
  from = aws_lambda_function_event_invoke_config.this["to_bus_and_function"]
  to   = module.function["to_bus_and_function"].aws_lambda_function_event_invoke_config.this
}

moved {
  from = aws_cloudwatch_log_group.lambda["to_existing"]
  to   = module.function["to_existing"].aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.lambda["to_existing"]
  to   = module.function["to_existing"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.lambda["to_existing"]
  to   = module.function["to_existing"].aws_iam_role_policy.this
}

moved {
  from = aws_lambda_function.this["to_existing"]
  to   = module.function["to_existing"].aws_lambda_function.this
}

moved {
  from = aws_lambda_function_event_invoke_config.this["to_existing"]
  to   = module.function["to_existing"].aws_lambda_function_event_invoke_config.this
}

moved {
  from = aws_cloudwatch_log_group.lambda["default_failure_bucket"]
  to   = module.function["default_failure_bucket"].aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.lambda["default_failure_bucket"]
  to   = module.function["default_failure_bucket"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.lambda["default_failure_bucket"]
  to   = module.function["default_failure_bucket"].aws_iam_role_policy.this
}

moved {
  from = aws_lambda_function.this["default_failure_bucket"]
  to   = module.function["default_failure_bucket"].aws_lambda_function.this
}

moved {
  from = aws_lambda_function_event_invoke_config.this["default_failure_bucket"]
  to   = module.function["default_failure_bucket"].aws_lambda_function_event_invoke_config.this
}
