variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region code such as us-east-1."
  }
}

variable "tags" {
  description = "Extra tags for every taggable resource, on top of Project and ManagedBy."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([
      for key, value in var.tags :
      length(key) >= 1 && length(key) <= 128 && length(value) <= 256 && !startswith(lower(key), "aws:")
    ])
    error_message = "Tag keys must be 1 to 128 characters and must not start with aws:; values at most 256."
  }

  validation {
    condition     = alltrue([for key, value in var.tags : can(regex("^[\\p{L}\\p{Z}\\p{N}_.:/=+@-]*$", "${key}${value}"))])
    error_message = "Tag keys and values may hold letters, digits, spaces and _ . : / = + - @ only."
  }

  validation {
    condition     = length(setunion(keys(var.tags), ["Project", "ManagedBy"])) <= 50
    error_message = "AWS allows 50 tags a resource, Project and ManagedBy included."
  }
}

variable "failure_bucket_force_destroy" {
  description = "Let `terraform destroy` delete a bucket that still holds records."
  type        = bool
  default     = false
}

variable "failure_record_expiration_days" {
  description = "Days after which failure records (and their earlier versions) expire."
  type        = number
  default     = 30

  validation {
    condition     = var.failure_record_expiration_days >= 1 && var.failure_record_expiration_days <= 2147483647 && floor(var.failure_record_expiration_days) == var.failure_record_expiration_days
    error_message = "failure_record_expiration_days must be a whole number of days from 1 to 2147483647."
  }
}

variable "functions" {
  description = "Settings of each Lambda function, keyed by function name: exactly the functions the generator packaged."
  type = map(object({
    architecture                      = string
    memory_mb                         = number
    timeout_seconds                   = number
    reserved_concurrency              = optional(number)
    environment                       = optional(map(string), {})
    log_retention_days                = number
    maximum_event_age_seconds         = number
    maximum_retry_attempts            = number
    alarm_period_seconds              = optional(number, 300)
    alarm_delivery_failures_threshold = optional(number, 0)
    alarm_dropped_events_threshold    = optional(number, 0)
    alarm_event_age_percent           = optional(number, 50)
  }))
  default = {
    async_function = {
      architecture                      = "arm64"
      memory_mb                         = 128
      timeout_seconds                   = 10
      reserved_concurrency              = 0
      environment                       = {}
      log_retention_days                = 14
      maximum_event_age_seconds         = 60
      maximum_retry_attempts            = 2
      alarm_period_seconds              = 300
      alarm_delivery_failures_threshold = 0
      alarm_dropped_events_threshold    = 0
      alarm_event_age_percent           = 50
    }
    queued = {
      architecture                      = "arm64"
      memory_mb                         = 128
      timeout_seconds                   = 10
      reserved_concurrency              = null
      environment                       = {}
      log_retention_days                = 14
      maximum_event_age_seconds         = 60
      maximum_retry_attempts            = 2
      alarm_period_seconds              = 300
      alarm_delivery_failures_threshold = 0
      alarm_dropped_events_threshold    = 0
      alarm_event_age_percent           = 50
    }
  }

  validation {
    condition     = toset(keys(var.functions)) == toset(keys(local.packages))
    error_message = "functions must have one entry for each packaged function: async_function, queued."
  }

  validation {
    condition     = alltrue([for f in values(var.functions) : contains(["arm64", "x86_64"], f.architecture)])
    error_message = "architecture must be one of arm64, x86_64."
  }

  validation {
    condition     = alltrue([for f in values(var.functions) : f.memory_mb >= 128 && f.memory_mb <= 10240 && floor(f.memory_mb) == f.memory_mb])
    error_message = "memory_mb must be a whole number from 128 to 10240."
  }

  validation {
    condition     = alltrue([for f in values(var.functions) : f.timeout_seconds >= 1 && f.timeout_seconds <= 900 && floor(f.timeout_seconds) == f.timeout_seconds])
    error_message = "timeout_seconds must be a whole number from 1 to 900."
  }

  validation {
    condition     = alltrue([for f in values(var.functions) : coalesce(f.reserved_concurrency, 0) >= 0 && coalesce(f.reserved_concurrency, 0) <= 2147483647 && floor(coalesce(f.reserved_concurrency, 0)) == coalesce(f.reserved_concurrency, 0)])
    error_message = "reserved_concurrency must be null (unreserved) or a whole number from 0 to 2147483647."
  }

  validation {
    condition     = alltrue([for f in values(var.functions) : contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], f.log_retention_days)])
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts: 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }

  validation {
    condition     = alltrue([for f in values(var.functions) : f.maximum_event_age_seconds >= 60 && f.maximum_event_age_seconds <= 21600 && floor(f.maximum_event_age_seconds) == f.maximum_event_age_seconds])
    error_message = "maximum_event_age_seconds must be a whole number from 60 to 21600."
  }

  validation {
    condition     = alltrue([for f in values(var.functions) : contains([0, 1, 2], f.maximum_retry_attempts)])
    error_message = "maximum_retry_attempts must be 0, 1, 2."
  }

  validation {
    condition     = alltrue([for f in values(var.functions) : contains([60, 300, 900, 3600, 21600, 86400], f.alarm_period_seconds)])
    error_message = "alarm_period_seconds must be one of a period in seconds: 60, 300, 900, 3600, 21600, 86400."
  }

  validation {
    condition     = alltrue([for f in values(var.functions) : f.alarm_delivery_failures_threshold >= 0 && f.alarm_delivery_failures_threshold <= 2147483647 && floor(f.alarm_delivery_failures_threshold) == f.alarm_delivery_failures_threshold])
    error_message = "alarm_delivery_failures_threshold must be a whole number from 0 to 2147483647."
  }

  validation {
    condition     = alltrue([for f in values(var.functions) : f.alarm_dropped_events_threshold >= 0 && f.alarm_dropped_events_threshold <= 2147483647 && floor(f.alarm_dropped_events_threshold) == f.alarm_dropped_events_threshold])
    error_message = "alarm_dropped_events_threshold must be a whole number from 0 to 2147483647."
  }

  validation {
    condition     = alltrue([for f in values(var.functions) : f.alarm_event_age_percent >= 1 && f.alarm_event_age_percent <= 100 && floor(f.alarm_event_age_percent) == f.alarm_event_age_percent])
    error_message = "alarm_event_age_percent must be a whole number from 1 to 100."
  }

  validation {
    condition = alltrue(flatten([
      for f in values(var.functions) : [
        for name in keys(f.environment) :
        can(regex("^[A-Za-z][A-Za-z0-9_]+$", name)) && !contains(["AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API", "AWS_REGION", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "LAMBDA_RUNTIME_DIR", "LAMBDA_TASK_ROOT", "_HANDLER", "_X_AMZN_TRACE_ID"], name)
      ]
    ]))
    error_message = "Environment variable names must start with a letter, hold only letters, digits and _, and not be one the Lambda runtime reserves."
  }
}

variable "notification_emails" {
  description = "Email addresses to subscribe to the topic; AWS mails each a link to confirm."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([
      for address in var.notification_emails :
      can(regex("^[A-Za-z0-9_%+-]+(\\.[A-Za-z0-9_%+-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}$", address)) && length(address) <= 254 && length(split("@", address)[0]) <= 64
    ])
    error_message = "notification_emails must hold email addresses such as oncall@example.com."
  }
}
