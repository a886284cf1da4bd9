provider "aws" {
  region = var.region

  default_tags {
    tags = merge(
      {
        Project   = "custom-code"
        ManagedBy = "terraform"
      },
      var.tags,
    )
  }
}
