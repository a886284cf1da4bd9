# A project of more than 100 functions calls modules/function once per group (main.tf), a smaller one
# once. When the number of functions crosses 100, either way, these blocks move each function's instance
# to its new call instead of destroying and re-creating its resources.

moved {
  from = module.functions_a["async_function"]
  to   = module.function["async_function"]
}

moved {
  from = module.functions_d["queued"]
  to   = module.function["queued"]
}

# Projects rendered before generator 0.2 kept each function's resources at the root. These blocks
# tell Terraform they now live in module.function, so re-planning such a deployment moves them
# instead of destroying and re-creating them. A project first applied with a later layout ignores them.

moved {
  from = aws_cloudwatch_log_group.lambda["async_function"]
  to   = module.function["async_function"].aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.lambda["async_function"]
  to   = module.function["async_function"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.lambda["async_function"]
  to   = module.function["async_function"].aws_iam_role_policy.this
}

moved {
  from = aws_lambda_function.this["async_function"]
  to   = module.function["async_function"].aws_lambda_function.this
}

moved {
  from = aws_lambda_function_event_invoke_config.this["async_function"]
  to   = module.function["async_function"].aws_lambda_function_event_invoke_config.this
}

moved {
  from = aws_cloudwatch_log_group.lambda["queued"]
  to   = module.function["queued"].aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.lambda["queued"]
  to   = module.function["queued"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.lambda["queued"]
  to   = module.function["queued"].aws_iam_role_policy.this
}

moved {
  from = aws_lambda_function.this["queued"]
  to   = module.function["queued"].aws_lambda_function.this
}

moved {
  from = aws_lambda_function_event_invoke_config.this["queued"]
  to   = module.function["queued"].aws_lambda_function_event_invoke_config.this
}
