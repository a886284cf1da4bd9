# A project of more than 100 functions calls modules/function once per group (main.tf), a smaller one
# once. When the number of functions crosses 100, either way, these blocks move each function's instance
# to its new call instead of destroying and re-creating its resources.

moved {
  from = module.functions_9["charge"]
  to   = module.function["charge"]
}

moved {
  from = module.functions_1["refund"]
  to   = module.function["refund"]
}

# Projects rendered before generator 0.2 kept each function's resources at the root. These blocks
# tell Terraform they now live in module.function, so re-planning such a deployment moves them
# instead of destroying and re-creating them. A project first applied with a later layout ignores them.

moved {
  from = aws_cloudwatch_log_group.lambda["charge"]
  to   = module.function["charge"].aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.lambda["charge"]
  to   = module.function["charge"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.lambda["charge"]
  to   = module.function["charge"].aws_iam_role_policy.this
}

moved {
  from = aws_lambda_function.this["charge"]
  to   = module.function["charge"].aws_lambda_function.this
}

moved {
  from = aws_lambda_function_event_invoke_config.this["charge"]
  to   = module.function["charge"].aws_lambda_function_event_invoke_config.this
}

moved {
  from = aws_cloudwatch_log_group.lambda["refund"]
  to   = module.function["refund"].aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.lambda["refund"]
  to   = module.function["refund"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.lambda["refund"]
  to   = module.function["refund"].aws_iam_role_policy.this
}

moved {
  from = aws_lambda_function.this["refund"]
  to   = module.function["refund"].aws_lambda_function.this
}

moved {
  from = aws_lambda_function_event_invoke_config.this["refund"]
  to   = module.function["refund"].aws_lambda_function_event_invoke_config.this
}
