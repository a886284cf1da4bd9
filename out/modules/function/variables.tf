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

variable "package_s3" {
  description = "Where the package was uploaded to S3, for one over Lambda's direct-upload limit; null uploads it directly."
  type = object({
    bucket  = string
    key     = string
    version = string
  })
  default = null
}

variable "runtime" {
  description = "Lambda runtime; it must match the code in the package."
  type        = string
}

variable "handler" {
  description = "Handler entry point in the package."
  type        = string
}

variable "settings" {
  description = "The function's settings; each one left out takes the default written beside it."
  type = object({
    # Instruction set of the function: arm64 or x86_64.
    architecture = optional(string, "arm64")
    # Memory in MB.
    memory_mb = optional(number, 128)
    # Timeout in seconds.
    timeout_seconds = optional(number, 10)
    # Reserved concurrency; 0 keeps the function from running (Lambda records each event at once), null leaves it unreserved.
    reserved_concurrency = optional(number)
    # Execution environments Lambda keeps initialized on the alias (needs alias); Lambda bills them for as long as they are configured, invoked or not. null: none.
    provisioned_concurrency = optional(number)
    # Environment variables of the function, string to string; names the runtime reserves are refused, and Lambda allows 4096 bytes in all.
    environment = optional(map(string), {})
    # Layer version ARNs, at most 5, in the config's region; Lambda counts them in the 250 MB unzipped, and render cannot see their size.
    layers = optional(list(string), [])
    # Subnets to run the function in, at most 16; with vpc_security_group_ids. The function then reaches AWS APIs only through the VPC's NAT or endpoints.
    vpc_subnet_ids = optional(list(string), [])
    # Security groups of the function's network interfaces, at most 5; with vpc_subnet_ids.
    vpc_security_group_ids = optional(list(string), [])
    # In a VPC, let the function use IPv6 on dual-stack subnets.
    vpc_ipv6_allowed = optional(bool, false)
    # A customer managed KMS key that encrypts the function's environment variables (the role gets kms:Decrypt on it); null: Lambda's AWS managed key.
    kms_key_arn = optional(string)
    # Size of the function's /tmp in MB.
    ephemeral_storage_mb = optional(number, 512)
    # X-Ray tracing: Active records a sample of requests (the role then may write traces); PassThrough only passes on a caller's trace header.
    tracing = optional(string, "PassThrough")
    # Format of the function's logs: Text, or JSON, which log levels need.
    log_format = optional(string, "Text")
    # With JSON logs, the lowest level of the function's own log lines that is kept.
    log_application_level = optional(string)
    # With JSON logs, the lowest level of Lambda's own log lines (START, REPORT) that is kept.
    log_system_level = optional(string)
    # What Lambda does when it detects the function in a loop of invocations: Terminate stops invoking it; Allow lets the loop run.
    recursive_loop = optional(string, "Terminate")
    # Days CloudWatch Logs keeps the function's logs (0: forever).
    log_retention_days = optional(number, 14)
    # How long Lambda keeps an asynchronous event before it records it as failed.
    maximum_event_age_seconds = optional(number, 60)
    # Retries after the function returns an error.
    maximum_retry_attempts = optional(number, 2)
    # Period of the function's alarms: each compares one period's value with its threshold.
    alarm_period_seconds = optional(number, 300)
    # The DestinationDeliveryFailures alarm fires when more records than this fail to reach the on-failure destination in one period.
    alarm_delivery_failures_threshold = optional(number, 0)
    # The AsyncEventsDropped alarm fires when Lambda drops more events than this in one period.
    alarm_dropped_events_threshold = optional(number, 0)
    # The AsyncEventAge alarm fires when an event has waited longer than this percentage of maximum_event_age_seconds.
    alarm_event_age_percent = optional(number, 50)
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains(["arm64", "x86_64"], var.settings.architecture)
    error_message = "${var.name}: architecture must be one of arm64, x86_64."
  }

  validation {
    condition     = var.settings.memory_mb >= 128 && var.settings.memory_mb <= 10240 && floor(var.settings.memory_mb) == var.settings.memory_mb
    error_message = "${var.name}: memory_mb must be a whole number from 128 to 10240."
  }

  validation {
    condition     = var.settings.timeout_seconds >= 1 && var.settings.timeout_seconds <= 900 && floor(var.settings.timeout_seconds) == var.settings.timeout_seconds
    error_message = "${var.name}: timeout_seconds must be a whole number from 1 to 900."
  }

  validation {
    condition     = coalesce(var.settings.reserved_concurrency, 0) >= 0 && coalesce(var.settings.reserved_concurrency, 0) <= 2147483647 && floor(coalesce(var.settings.reserved_concurrency, 0)) == coalesce(var.settings.reserved_concurrency, 0)
    error_message = "${var.name}: reserved_concurrency must be null (unreserved) or a whole number from 0 to 2147483647."
  }

  validation {
    condition     = coalesce(var.settings.provisioned_concurrency, 1) >= 1 && coalesce(var.settings.provisioned_concurrency, 1) <= 2147483647 && floor(coalesce(var.settings.provisioned_concurrency, 1)) == coalesce(var.settings.provisioned_concurrency, 1)
    error_message = "${var.name}: provisioned_concurrency must be null (none) or a whole number from 1 to 2147483647."
  }

  validation {
    condition     = length(var.settings.layers) <= 5 && alltrue([for item in var.settings.layers : can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]{1,140}:[0-9]+$", item))])
    error_message = "${var.name}: layers must be at most 5 layer version ARNs."
  }

  validation {
    condition     = length(var.settings.vpc_subnet_ids) <= 16 && alltrue([for item in var.settings.vpc_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", item))])
    error_message = "${var.name}: vpc_subnet_ids must be at most 16 subnet ids."
  }

  validation {
    condition     = length(var.settings.vpc_security_group_ids) <= 5 && alltrue([for item in var.settings.vpc_security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", item))])
    error_message = "${var.name}: vpc_security_group_ids must be at most 5 security group ids."
  }

  validation {
    condition     = var.settings.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.settings.kms_key_arn))
    error_message = "${var.name}: kms_key_arn must be null (Lambda's AWS managed key) or a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/<key id>."
  }

  validation {
    condition     = var.settings.ephemeral_storage_mb >= 512 && var.settings.ephemeral_storage_mb <= 10240 && floor(var.settings.ephemeral_storage_mb) == var.settings.ephemeral_storage_mb
    error_message = "${var.name}: ephemeral_storage_mb must be a whole number from 512 to 10240."
  }

  validation {
    condition     = contains(["PassThrough", "Active"], var.settings.tracing)
    error_message = "${var.name}: tracing must be one of PassThrough, Active."
  }

  validation {
    condition     = contains(["Text", "JSON"], var.settings.log_format)
    error_message = "${var.name}: log_format must be one of Text, JSON."
  }

  validation {
    condition     = var.settings.log_application_level == null || contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.settings.log_application_level == null ? "" : var.settings.log_application_level)
    error_message = "${var.name}: log_application_level must be null (every level) or one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL."
  }

  validation {
    condition     = var.settings.log_system_level == null || contains(["DEBUG", "INFO", "WARN"], var.settings.log_system_level == null ? "" : var.settings.log_system_level)
    error_message = "${var.name}: log_system_level must be null (every level) or one of DEBUG, INFO, WARN."
  }

  validation {
    condition     = contains(["Terminate", "Allow"], var.settings.recursive_loop)
    error_message = "${var.name}: recursive_loop must be one of Terminate, Allow."
  }

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.settings.log_retention_days)
    error_message = "${var.name}: log_retention_days must be one of the values CloudWatch Logs accepts: 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }

  validation {
    condition     = var.settings.maximum_event_age_seconds >= 60 && var.settings.maximum_event_age_seconds <= 21600 && floor(var.settings.maximum_event_age_seconds) == var.settings.maximum_event_age_seconds
    error_message = "${var.name}: maximum_event_age_seconds must be a whole number from 60 to 21600."
  }

  validation {
    condition     = contains([0, 1, 2], var.settings.maximum_retry_attempts)
    error_message = "${var.name}: maximum_retry_attempts must be 0, 1, 2."
  }

  validation {
    condition     = contains([60, 300, 900, 3600, 21600, 86400], var.settings.alarm_period_seconds)
    error_message = "${var.name}: alarm_period_seconds must be one of a period in seconds: 60, 300, 900, 3600, 21600, 86400."
  }

  validation {
    condition     = var.settings.alarm_delivery_failures_threshold >= 0 && var.settings.alarm_delivery_failures_threshold <= 2147483647 && floor(var.settings.alarm_delivery_failures_threshold) == var.settings.alarm_delivery_failures_threshold
    error_message = "${var.name}: alarm_delivery_failures_threshold must be a whole number from 0 to 2147483647."
  }

  validation {
    condition     = var.settings.alarm_dropped_events_threshold >= 0 && var.settings.alarm_dropped_events_threshold <= 2147483647 && floor(var.settings.alarm_dropped_events_threshold) == var.settings.alarm_dropped_events_threshold
    error_message = "${var.name}: alarm_dropped_events_threshold must be a whole number from 0 to 2147483647."
  }

  validation {
    condition     = var.settings.alarm_event_age_percent >= 1 && var.settings.alarm_event_age_percent <= 100 && floor(var.settings.alarm_event_age_percent) == var.settings.alarm_event_age_percent
    error_message = "${var.name}: alarm_event_age_percent must be a whole number from 1 to 100."
  }

  validation {
    condition     = (length(var.settings.vpc_subnet_ids) > 0) == (length(var.settings.vpc_security_group_ids) > 0)
    error_message = "${var.name}: vpc_subnet_ids and vpc_security_group_ids go together: Lambda places a function in a VPC only with both."
  }

  validation {
    condition     = var.settings.provisioned_concurrency == null || var.alias != null
    error_message = "${var.name}: provisioned_concurrency is set on the function's alias: it needs alias."
  }

  validation {
    condition = (var.settings.provisioned_concurrency == null || var.settings.reserved_concurrency == null ? true :
    var.settings.provisioned_concurrency <= var.settings.reserved_concurrency)
    error_message = "${var.name}: provisioned_concurrency cannot be more than reserved_concurrency."
  }

  validation {
    condition = alltrue([
      for name in keys(var.settings.environment) :
      can(regex("^[A-Za-z][A-Za-z0-9_]+$", name)) && !contains(["AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API", "AWS_REGION", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "LAMBDA_RUNTIME_DIR", "LAMBDA_TASK_ROOT", "_HANDLER", "_X_AMZN_TRACE_ID"], name)
    ])
    error_message = "${var.name}: environment variable names must start with a letter, hold only letters, digits and _, and not be one the Lambda runtime reserves."
  }
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

variable "policy_statements" {
  description = "The function's own permissions: statements added to its role's inline policy after the generated ones."
  type = list(object({
    sid        = string
    effect     = string
    actions    = list(string)
    resources  = list(string)
    conditions = optional(list(object({ test = string, variable = string, values = list(string) })), [])
  }))
  default  = []
  nullable = false

  validation {
    condition = alltrue([
      for statement in var.policy_statements :
      can(regex("^[A-Za-z0-9]{1,100}$", statement.sid)) && !contains(["DecryptEnvironment", "EncryptFailureRecords", "InvokeFailureFunction", "InvokeSuccessFunction", "ListFailureBucket", "ListSuccessBucket", "ManageNetworkInterfaces", "PublishFailureToTopic", "PublishSuccessToTopic", "PutFailureEvents", "PutSuccessEvents", "SendFailureToQueue", "SendSuccessToQueue", "WriteFailureRecords", "WriteOwnLogs", "WriteSuccessRecords", "WriteTraces"], statement.sid)
    ])
    error_message = "${var.name}: each statement needs an id of letters and digits that is not one of the generated statements' ids."
  }

  validation {
    condition = alltrue(flatten([
      for statement in var.policy_statements : [
        for action in statement.actions :
        can(regex("^[a-z0-9-]+:[A-Za-z0-9*?]+$", action)) && !endswith(action, ":*")
      ]
    ]))
    error_message = "${var.name}: each action must be service:Action, and not * or service:*."
  }

  validation {
    condition     = alltrue([for statement in var.policy_statements : contains(["Allow", "Deny"], statement.effect)])
    error_message = "${var.name}: a statement's effect must be Allow or Deny."
  }
}

variable "managed_policy_arns" {
  description = "Existing IAM policies attached to the function's role, by ARN, beside its inline policy; AWS managed ones are warned of (AWS widens them without notice)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.managed_policy_arns : can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/[A-Za-z0-9+=,.@_/-]{1,512}$", arn))])
    error_message = "${var.name}: each managed policy must be an IAM policy ARN."
  }
}

variable "triggers" {
  description = "What invokes the function asynchronously, by name: EventBridge rules (rule), SNS topics (sns) and EventBridge Scheduler schedules (schedule)."
  type = map(object({
    type                      = string
    event_bus                 = optional(string, "default")
    event_pattern             = optional(string)
    topic_arn                 = optional(string)
    schedule_expression       = optional(string)
    timezone                  = optional(string, "UTC")
    flexible_window_minutes   = optional(number)
    maximum_event_age_seconds = optional(number, 86400)
    maximum_retry_attempts    = optional(number, 185)
  }))
  default  = {}
  nullable = false

  validation {
    condition = alltrue([
      for name, trigger in var.triggers :
      can(regex("^[A-Za-z0-9_-]{1,63}$", name)) && length("${var.name}-${name}") <= 64
    ])
    error_message = "${var.name}: each trigger needs a name of letters, digits, - and _, short enough that <function>-<trigger> fits in 64 characters."
  }

  validation {
    condition = alltrue([
      for trigger in values(var.triggers) :
      trigger.type == "rule" ? trigger.event_pattern != null && can(jsondecode(trigger.event_pattern)) :
      trigger.type == "sns" ? can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", coalesce(trigger.topic_arn, "-"))) :
      trigger.type == "schedule" ? can(regex("^(rate|cron|at)\\(.+\\)$", coalesce(trigger.schedule_expression, "-"))) :
      false
    ])
    error_message = "${var.name}: a trigger is a rule with a JSON event_pattern, sns with a topic_arn, or a schedule with a rate(), cron() or at() schedule_expression."
  }

  validation {
    condition = alltrue([
      for trigger in values(var.triggers) :
      trigger.maximum_event_age_seconds >= 60 && trigger.maximum_event_age_seconds <= 86400 &&
      trigger.maximum_retry_attempts >= 0 && trigger.maximum_retry_attempts <= 185 &&
      (trigger.flexible_window_minutes == null ? true : trigger.flexible_window_minutes >= 1 && trigger.flexible_window_minutes <= 1440)
    ])
    error_message = "${var.name}: a trigger retries for 60 to 86400 seconds and at most 185 times, with a flexible window of 1 to 1440 minutes or none."
  }
}

variable "account_id" {
  description = "The account that must own a destination bucket (the s3:ResourceAccount condition)."
  type        = string
}

variable "publish" {
  description = "Publish a new version of the function each time its code or configuration changes."
  type        = bool
  default     = false
}

variable "alias" {
  description = "Name of an alias that follows the newest published version, with the asynchronous invocation settings on it; null: none."
  type        = string
  default     = null
}

variable "create_alarms" {
  description = "Whether the function gets its CloudWatch alarms, sent to notification_topic_arn."
  type        = bool
  default     = false
}

variable "project" {
  description = "Name of the deployment; the alarm names start with it."
  type        = string
  default     = null
}

variable "notification_topic_arn" {
  description = "ARN of the SNS topic that receives the alarms and the notices of new failure records; null when there are neither."
  type        = string
  default     = null
}

variable "failure_bucket" {
  description = "Name of the bucket that holds the function's failure records, or null when they go elsewhere."
  type        = string
  default     = null
}

variable "record_rule_name" {
  description = "Name of the EventBridge rule that announces the function's new failure records, or null for none."
  type        = string
  default     = null
}
