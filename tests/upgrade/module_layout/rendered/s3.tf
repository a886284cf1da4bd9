resource "aws_s3_bucket" "failure_records" {
  # checkov:skip=CKV_AWS_18:Server access logs need a second bucket; send them to the organization's log bucket where required.
  # checkov:skip=CKV_AWS_144:Failure records are short-lived operational data; replicating them doubles cost and adds no recovery.
  # checkov:skip=CKV_AWS_145:SSE-S3 (AES256) by default; set failure_bucket.kms_key_arn in the config for SSE-KMS.

  bucket_prefix = "async-lambda-destination-"
  force_destroy = var.failure_bucket_force_destroy
}

resource "aws_s3_bucket_public_access_block" "failure_records" {
  bucket = aws_s3_bucket.failure_records.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "failure_records" {
  bucket = aws_s3_bucket.failure_records.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "failure_records" {
  bucket = aws_s3_bucket.failure_records.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "failure_records" {
  bucket = aws_s3_bucket.failure_records.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "failure_records" {
  bucket = aws_s3_bucket.failure_records.id

  rule {
    id     = "expire-failure-records"
    status = "Enabled"

    filter {}

    expiration {
      days = var.failure_record_expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = var.failure_record_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  # Lifecycle rules on a versioned bucket apply only once versioning is on.
  depends_on = [aws_s3_bucket_versioning.failure_records]
}

data "aws_iam_policy_document" "failure_records_bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.failure_records.arn,
      "${aws_s3_bucket.failure_records.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "failure_records" {
  bucket = aws_s3_bucket.failure_records.id
  policy = data.aws_iam_policy_document.failure_records_bucket.json

  # S3 rejects a policy while the public access block is still being applied.
  depends_on = [aws_s3_bucket_public_access_block.failure_records]
}
