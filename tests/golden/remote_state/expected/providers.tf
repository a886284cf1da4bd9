provider "aws" {
  region = var.region

  default_tags {
    tags = merge(
      {
        Project   = "shared-state"
        ManagedBy = "terraform"
      },
      var.tags,
    )
  }
}
