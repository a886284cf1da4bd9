# A project of more than 100 functions calls modules/function once per group (main.tf), a smaller one
# once. When the number of functions crosses 100, either way, these blocks move each function's instance
# to its new call instead of destroying and re-creating its resources.

moved {
  from = module.functions_3["post_entry"]
  to   = module.function["post_entry"]
}

moved {
  from = module.functions_7["close_period"]
  to   = module.function["close_period"]
}

# Projects rendered before generator 0.2 kept each function's resources at the root. These blocks
# tell Terraform they now live in module.function, so re-planning such a deployment moves them
# instead of destroying and re-creating them. A project first applied with a later layout ignores them.

moved {
  from = aws_cloudwatch_log_group.lambda["post_entry"]
  to   = module.function["post_entry"].aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.lambda["post_entry"]
  to   = module.function["post_entry"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.lambda["post_entry"]
  to   = module.function["post_entry"].aws_iam_role_policy.this
}

moved {
  from = aws_lambda_function.this["post_entry"]
  to   = module.function["post_entry"].aws_lambda_function.this
}

moved {
  from = aws_lambda_function_event_invoke_config.this["post_entry"]
  to   = module.function["post_entry"].aws_lambda_function_event_invoke_config.this
}

moved {
  from = aws_cloudwatch_log_group.lambda["close_period"]
  to   = module.function["close_period"].aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.lambda["close_period"]
  to   = module.function["close_period"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.lambda["close_period"]
  to   = module.function["close_period"].aws_iam_role_policy.this
}

moved {
  from = aws_lambda_function.this["close_period"]
  to   = module.function["close_period"].aws_lambda_function.this
}

moved {
  from = aws_lambda_function_event_invoke_config.this["close_period"]
  to   = module.function["close_period"].aws_lambda_function_event_invoke_config.this
}
