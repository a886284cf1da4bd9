variable "name" {
  description = "Name of the Lambda function."
  type        = string
}

variable "description" {
  description = "Description of the function: where the records of its failed events go."
  type        = string
}

variable "role_name" {
  description = "Name of the function's execution role."
  type        = string
}

variable "package" {
  description = "Path of the deployment package (a zip the generator built)."
  type        = string
}

variable "runtime" {
  description = "Lambda runtime; it must match the code in the package."
  type        = string
}

variable "handler" {
  description = "Handler entry point in the package."
  type        = string
}

variable "architecture" {
  description = "Instruction set of the function: arm64 or x86_64."
  type        = string
}

variable "memory_mb" {
  description = "Memory in MB."
  type        = number
}

variable "timeout_seconds" {
  description = "Timeout in seconds."
  type        = number
}

variable "reserved_concurrency" {
  description = "Reserved concurrency; 0 keeps the function from running, null leaves it unreserved."
  type        = number
  default     = null
}

variable "environment" {
  description = "Environment variables of the function."
  type        = map(string)
  default     = {}
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the function's logs (0: forever)."
  type        = number
}

variable "maximum_event_age_seconds" {
  description = "How long Lambda keeps an asynchronous event before it records it as failed."
  type        = number
}

variable "maximum_retry_attempts" {
  description = "Retries after the function returns an error."
  type        = number
}

variable "alarm_period_seconds" {
  description = "Period of the function's alarms: each compares one period's value with its threshold."
  type        = number
}

variable "alarm_delivery_failures_threshold" {
  description = "The DestinationDeliveryFailures alarm fires when more records than this fail to reach the on-failure destination in one period."
  type        = number
}

variable "alarm_dropped_events_threshold" {
  description = "The AsyncEventsDropped alarm fires when Lambda drops more events than this in one period."
  type        = number
}

variable "alarm_event_age_percent" {
  description = "The AsyncEventAge alarm fires when an event has waited longer than this percentage of maximum_event_age_seconds."
  type        = number
}

variable "on_failure" {
  description = "ARN of the destination of the records of failed asynchronous invocations."
  type        = string
}

variable "on_success" {
  description = "ARN of the destination of the records of successful asynchronous invocations, or null."
  type        = string
  default     = null
}

variable "destination_permissions" {
  description = "What the role may do to reach the destinations: one statement per action, on exactly its ARNs."
  type = list(object({
    sid          = string
    actions      = list(string)
    resources    = list(string)
    same_account = bool
  }))
}

variable "account_id" {
  description = "The account that must own a destination bucket (the s3:ResourceAccount condition)."
  type        = string
}

variable "project" {
  description = "Name of the deployment; the alarm names start with it."
  type        = string
}

variable "notification_topic_arn" {
  description = "ARN of the SNS topic that receives the alarms and the notices of new failure records."
  type        = string
}

variable "failure_bucket" {
  description = "Name of the bucket that holds the function's failure records, or null when they go elsewhere."
  type        = string
  default     = null
}

variable "record_rule_name" {
  description = "Name of the EventBridge rule that announces the function's new failure records, or null when they go elsewhere."
  type        = string
  default     = null
}
