variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region code such as us-east-1."
  }
}

variable "tags" {
  description = "Extra tags for every taggable resource, on top of Project and ManagedBy."
  type        = map(string)
  default = {
    Team       = "payments"
    CostCenter = "4711"
  }

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
  default     = true
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
  description = "Settings of each Lambda function, keyed by function name: exactly the functions the generator packaged. A setting left out takes its default from the settings variable of modules/function, which checks each value."
  type        = any
  default = {
    ingest_orders = {
      memory_mb            = 256
      timeout_seconds      = 30
      reserved_concurrency = 0
      environment = {
        LOG_LEVEL = "debug"
      }
    }
    notify-customers = {
      architecture              = "x86_64"
      reserved_concurrency      = 5
      ephemeral_storage_mb      = 1024
      tracing                   = "Active"
      log_format                = "JSON"
      log_application_level     = "INFO"
      log_system_level          = "WARN"
      log_retention_days        = 30
      maximum_event_age_seconds = 3600
      maximum_retry_attempts    = 0
    }
    reconcile = {
      environment = {
        API_URL = "https://orders.example.com"
      }
      kms_key_arn            = "arn:aws:kms:eu-west-1:123456789012:key/0f8fad5b-d9cb-469f-a165-70867728950e"
      recursive_loop         = "Allow"
      log_retention_days     = 0
      maximum_retry_attempts = 1
    }
  }

  validation {
    condition     = try(alltrue([for f in values(var.functions) : can(keys(f))]), false)
    error_message = "functions must map each function name to an object of its settings."
  }

  validation {
    condition     = try(toset(keys(var.functions)) == toset(keys(local.packages)), false)
    error_message = "functions must have one entry for each packaged function: ingest_orders, notify-customers, reconcile."
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
