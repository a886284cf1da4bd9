provider "aws" {
  region = var.region

  default_tags {
    tags = merge(
      {
        Project   = "lambda-s3-async-failure"
        ManagedBy = "terraform"
      },
      var.tags,
    )
  }
}
