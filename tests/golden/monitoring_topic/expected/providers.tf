provider "aws" {
  region = var.region

  default_tags {
    tags = merge(
      {
        Project   = "shared-alerts"
        ManagedBy = "terraform"
      },
      var.tags,
    )
  }
}
