# Lambda accepts a package of at most 50 MB zipped in a direct upload; larger ones
# deploy from S3 (Lambda quotas: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
# Each object is uploaded again when its zip changes.
resource "aws_s3_object" "package" {
  for_each = {
    custom_function = "custom-code-artifacts"
  }

  bucket      = each.value
  key         = "lambda-packages/${each.key}.zip"
  source      = "${path.module}/${local.packages[each.key].package}"
  source_hash = filebase64sha256("${path.module}/${local.packages[each.key].package}")
}

locals {
  # What each function's module deploys from, when its package is in S3.
  # A bucket without versioning gives no version: Lambda then reads the object as it is.
  package_objects = {
    for name, object in aws_s3_object.package : name => {
      bucket  = object.bucket
      key     = object.key
      version = object.version_id == "" ? null : object.version_id
    }
  }
}
