# A project of more than 100 functions calls modules/function once per group (main.tf), a smaller one
# once. When the number of functions crosses 100, either way, these blocks move each function's instance
# to its new call instead of destroying and re-creating its resources.

moved {
  from = module.functions_6["ingest_orders"]
  to   = module.function["ingest_orders"]
}

moved {
  from = module.functions_f["notify-customers"]
  to   = module.function["notify-customers"]
}

moved {
  from = module.functions_e["reconcile"]
  to   = module.function["reconcile"]
}

# Projects rendered before generator 0.2 kept each function's resources at the root. These blocks
# tell Terraform they now live in module.function, so re-planning such a deployment moves them
# instead of destroying and re-creating them. A project first applied with a later layout ignores them.

moved {
  from = aws_cloudwatch_log_group.lambda["ingest_orders"]
  to   = module.function["ingest_orders"].aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.lambda["ingest_orders"]
  to   = module.function["ingest_orders"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.lambda["ingest_orders"]
  to   = module.function["ingest_orders"].aws_iam_role_policy.this
}

moved {
  from = aws_lambda_function.this["ingest_orders"]
  to   = module.function["ingest_orders"].aws_lambda_function.this
}

moved {
  from = aws_lambda_function_event_invoke_config.this["ingest_orders"]
  to   = module.function["ingest_orders"].aws_lambda_function_event_invoke_config.this
}

moved {
  from = aws_cloudwatch_log_group.lambda["notify-customers"]
  to   = module.function["notify-customers"].aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.lambda["notify-customers"]
  to   = module.function["notify-customers"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.lambda["notify-customers"]
  to   = module.function["notify-customers"].aws_iam_role_policy.this
}

moved {
  from = aws_lambda_function.this["notify-customers"]
  to   = module.function["notify-customers"].aws_lambda_function.this
}

moved {
  from = aws_lambda_function_event_invoke_config.this["notify-customers"]
  to   = module.function["notify-customers"].aws_lambda_function_event_invoke_config.this
}

moved {
  from = aws_cloudwatch_log_group.lambda["reconcile"]
  to   = module.function["reconcile"].aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.lambda["reconcile"]
  to   = module.function["reconcile"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.lambda["reconcile"]
  to   = module.function["reconcile"].aws_iam_role_policy.this
}

moved {
  from = aws_lambda_function.this["reconcile"]
  to   = module.function["reconcile"].aws_lambda_function.this
}

moved {
  from = aws_lambda_function_event_invoke_config.this["reconcile"]
  to   = module.function["reconcile"].aws_lambda_function_event_invoke_config.this
}
