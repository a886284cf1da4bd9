# SQL over the failure records with Athena. Partition projection computes the partitions from the key
# layout aws/lambda/async/<function>/YYYY/MM/DD/, so no crawler and no MSCK REPAIR TABLE are needed.
resource "aws_glue_catalog_database" "failure_records" {
  name        = "ledger_async_failures"
  description = "Failure records of the ledger-async Lambda functions"
}

resource "aws_glue_catalog_table" "failure_records" {
  name          = "records"
  database_name = aws_glue_catalog_database.failure_records.name
  description   = "One row per failure record; records moved under redriven/ are outside the table"
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    EXTERNAL                       = "TRUE"
    "projection.enabled"           = "true"
    "projection.function.type"     = "enum"
    "projection.function.values"   = "post_entry,close_period"
    "projection.day.type"          = "date"
    "projection.day.format"        = "yyyy/MM/dd"
    "projection.day.range"         = "NOW-10YEARS,NOW"
    "projection.day.interval"      = "1"
    "projection.day.interval.unit" = "DAYS"
    "storage.location.template"    = "s3://${aws_s3_bucket.failure_records.id}/aws/lambda/async/$${function}/$${day}/"
  }

  partition_keys {
    name = "function"
    type = "string"
  }

  partition_keys {
    name = "day"
    type = "string"
  }

  storage_descriptor {
    location      = "s3://${aws_s3_bucket.failure_records.id}/aws/lambda/async/"
    input_format  = "org.apache.hadoop.mapred.TextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

    ser_de_info {
      serialization_library = "org.openx.data.jsonserde.JsonSerDe"
      parameters = {
        "ignore.malformed.json" = "true"
      }
    }

    columns {
      name = "version"
      type = "string"
    }

    columns {
      name = "timestamp"
      type = "string"
    }

    columns {
      name = "requestcontext"
      type = "struct<requestId:string,functionArn:string,condition:string,approximateInvokeCount:int>"
    }

    columns {
      name = "requestpayload"
      type = "string"
    }

    columns {
      name = "responsecontext"
      type = "struct<statusCode:int,executedVersion:string,functionError:string>"
    }

    columns {
      name = "responsepayload"
      type = "struct<errorMessage:string,errorType:string,requestId:string,stackTrace:array<string>>"
    }
  }
}

resource "aws_athena_workgroup" "failure_records" {
  name        = "ledger-async-failures"
  description = "Queries over the failure records of ledger-async"

  # Deleting the workgroup deletes its saved queries and query history, never the records.
  force_destroy = true

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.athena_scan_cutoff_mb * 1048576

    result_configuration {
      output_location = "s3://${aws_s3_bucket.failure_records.id}/athena-results/"

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.failure_bucket_kms_key_arn
      }
    }
  }
}

resource "aws_athena_named_query" "failures_per_day" {
  name        = "Failures per function and day"
  description = "How many records each function wrote each day of the last 7 days."
  workgroup   = aws_athena_workgroup.failure_records.id
  database    = aws_glue_catalog_database.failure_records.name
  query       = <<-EOT
    SELECT function, day, count(*) AS failures
    FROM records
    WHERE day >= date_format(current_date - INTERVAL '7' DAY, '%Y/%m/%d')
      AND regexp_like("$path", '/([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}\.[0-9]{2}\.[0-9]{2})-[0-9A-Fa-f-]{36}$')
    GROUP BY function, day
    ORDER BY day DESC, failures DESC
  EOT
}

resource "aws_athena_named_query" "failures_by_error" {
  name        = "Failures by condition and error type"
  description = "Why the last 7 days' events failed: the condition Lambda recorded and the error the function raised."
  workgroup   = aws_athena_workgroup.failure_records.id
  database    = aws_glue_catalog_database.failure_records.name
  query       = <<-EOT
    SELECT function, requestcontext.condition AS condition, nullif(responsepayload.errortype, '') AS error_type,
      count(*) AS failures
    FROM records
    WHERE day >= date_format(current_date - INTERVAL '7' DAY, '%Y/%m/%d')
      AND regexp_like("$path", '/([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}\.[0-9]{2}\.[0-9]{2})-[0-9A-Fa-f-]{36}$')
      AND requestcontext.requestid <> ''
      AND requestcontext.functionarn <> ''
      AND requestcontext.condition <> ''
    GROUP BY 1, 2, 3
    ORDER BY failures DESC
  EOT
}

resource "aws_athena_named_query" "record_of_request" {
  name        = "Record of one request ID"
  description = "The record of the request ID given as the parameter, with its key for `failures show`."
  workgroup   = aws_athena_workgroup.failure_records.id
  database    = aws_glue_catalog_database.failure_records.name
  query       = <<-EOT
    SELECT regexp_extract("$path", 'aws/lambda/async/.*$') AS key, *
    FROM records
    WHERE requestcontext.requestid = ?
      AND regexp_like("$path", '/([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}\.[0-9]{2}\.[0-9]{2})-[0-9A-Fa-f-]{36}$')
      AND requestcontext.requestid <> ''
      AND requestcontext.functionarn <> ''
      AND requestcontext.condition <> ''
  EOT
}

resource "aws_athena_named_query" "events_to_redrive" {
  name        = "Events to redrive in a window"
  description = "The records of the days from the first parameter to the second (YYYY/MM/DD), oldest first; pass their keys to `failures redrive`."
  workgroup   = aws_athena_workgroup.failure_records.id
  database    = aws_glue_catalog_database.failure_records.name
  query       = <<-EOT
    SELECT regexp_extract("$path", 'aws/lambda/async/.*$') AS key, function, requestcontext.requestid AS request_id, requestcontext.condition AS condition,
      requestpayload
    FROM records
    WHERE day BETWEEN ? AND ?
      AND regexp_like("$path", '/([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}\.[0-9]{2}\.[0-9]{2})-[0-9A-Fa-f-]{36}$')
      AND requestcontext.requestid <> ''
      AND requestcontext.functionarn <> ''
      AND requestcontext.condition <> ''
    ORDER BY "timestamp"
  EOT
}
