output "name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "arn" {
  description = "ARN of the Lambda function."
  value       = aws_lambda_function.this.arn
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.this.arn
}

output "alias_arn" {
  description = "ARN of the alias the asynchronous invocation settings are on, or null when the function has none."
  value       = var.alias == null ? null : aws_lambda_alias.this[0].arn
}

output "version" {
  description = "The newest published version of the function ($LATEST when it does not publish)."
  value       = aws_lambda_function.this.version
}

output "log_group_name" {
  description = "Name of the function's log group, the one Lambda writes to."
  value       = aws_cloudwatch_log_group.this.name
}

output "async_invocation" {
  description = "How Lambda handles the function's asynchronous invocations, as configured: the event age and retries, the reserved concurrency (null or -1: unreserved), where the records go and the alias it is set on (null: the function itself)."
  value = {
    maximum_event_age_seconds = aws_lambda_function_event_invoke_config.this.maximum_event_age_in_seconds
    maximum_retry_attempts    = aws_lambda_function_event_invoke_config.this.maximum_retry_attempts
    reserved_concurrency      = aws_lambda_function.this.reserved_concurrent_executions
    on_failure                = one(aws_lambda_function_event_invoke_config.this.destination_config[0].on_failure).destination
    on_success                = try(one(aws_lambda_function_event_invoke_config.this.destination_config[0].on_success).destination, null)
    qualifier                 = var.alias == null ? null : aws_lambda_alias.this[0].name
  }
}

output "alarm_names" {
  description = "Names of the function's CloudWatch alarms; empty when create_alarms is false."
  value = concat(
    aws_cloudwatch_metric_alarm.destination_delivery_failures[*].alarm_name,
    aws_cloudwatch_metric_alarm.async_events_dropped[*].alarm_name,
    aws_cloudwatch_metric_alarm.async_event_age[*].alarm_name,
  )
}

output "settings" {
  description = "The function's settings as the module applies them: those the call set, and the defaults of the rest."
  value       = var.settings
}
