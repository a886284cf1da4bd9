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

output "alarm_names" {
  description = "Names of the function's CloudWatch alarms."
  value = [
    aws_cloudwatch_metric_alarm.destination_delivery_failures.alarm_name,
    aws_cloudwatch_metric_alarm.async_events_dropped.alarm_name,
    aws_cloudwatch_metric_alarm.async_event_age.alarm_name,
  ]
}
