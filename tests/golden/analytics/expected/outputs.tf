output "failure_bucket_name" {
  description = "Name of the S3 bucket that receives the records of failed asynchronous invocations."
  value       = aws_s3_bucket.failure_records.id
}

output "failure_bucket_arn" {
  description = "ARN of the failure bucket, the on-failure destination of every function."
  value       = aws_s3_bucket.failure_records.arn
}

output "destinations" {
  description = "Where Lambda sends the record of each function's asynchronous invocations once they end: ARNs by function name."
  value       = local.destinations
}

output "function_names" {
  description = "Names of the Lambda functions."
  value       = keys(module.function)
}

output "function_arns" {
  description = "ARN of each Lambda function, by function name."
  value       = { for name, function in module.function : name => function.arn }
}

output "role_arns" {
  description = "ARN of each function's execution role, by function name."
  value       = { for name, function in module.function : name => function.role_arn }
}

output "asynchronous_settings" {
  description = "Each function's asynchronous invocation as applied: the qualifier its invoke config is on (null: the function itself), retries, event age, reserved concurrency, destinations and recursive-loop setting; failures doctor checks the deployed functions against it."
  value = {
    for name, function in module.function :
    name => merge(function.async_invocation, { recursive_loop = function.settings.recursive_loop })
  }
}

output "invoke_commands" {
  description = "Ready-to-paste AWS CLI commands that invoke each function asynchronously with {\"forceError\": true}: with reserved concurrency 0, Lambda records it at once as ZeroReservedConcurrency, without running the function."
  value = {
    for name, function in module.function :
    name => "aws lambda invoke --region ${var.region} --function-name ${function.name} --invocation-type Event --cli-binary-format raw-in-base64-out --payload '{\"forceError\": true}' /dev/null"
  }
}

output "list_failure_records_command" {
  description = "Ready-to-paste AWS CLI command that lists the failure records in the bucket."
  value       = "aws s3 ls --region ${var.region} --recursive s3://${aws_s3_bucket.failure_records.id}/aws/lambda/async/"
}

output "notification_topic_arn" {
  description = "ARN of the SNS topic that receives the alarms and the notices of new failure records."
  value       = local.notification_topic_arn
}

output "alarm_names" {
  description = "Names of each function's CloudWatch alarms, by function name."
  value       = { for name, function in module.function : name => function.alarm_names }
}

output "athena_workgroup" {
  description = "Athena workgroup for queries over the failure records (results encrypted, scans capped)."
  value       = aws_athena_workgroup.failure_records.name
}

output "athena_table" {
  description = "The failure records' table, as <database>.<table> for SQL."
  value       = "${aws_glue_catalog_database.failure_records.name}.${aws_glue_catalog_table.failure_records.name}"
}

output "athena_named_queries" {
  description = "IDs of the saved queries over the failure records, by name."
  value = {
    failures_per_day  = aws_athena_named_query.failures_per_day.id
    failures_by_error = aws_athena_named_query.failures_by_error.id
    record_of_request = aws_athena_named_query.record_of_request.id
    events_to_redrive = aws_athena_named_query.events_to_redrive.id
  }
}

output "dashboard_url" {
  description = "URL of the project's CloudWatch dashboard in the AWS console."
  value       = "https://${var.region}.console.aws.amazon.com/cloudwatch/home?region=${var.region}#dashboards/dashboard/${aws_cloudwatch_dashboard.failures.dashboard_name}"
}

output "region" {
  description = "AWS region of the deployment, for the AWS CLI and the generator's failures commands."
  value       = var.region
}
