provider "aws" {
  region = var.region

  default_tags {
    tags = merge(
      {
        Project   = "kms-encrypted"
        ManagedBy = "terraform"
      },
      var.tags,
    )
  }
}
