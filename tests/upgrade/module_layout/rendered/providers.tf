provider "aws" {
  region = var.region

  default_tags {
    tags = merge(
      {
        Project   = "upgrade"
        ManagedBy = "terraform"
      },
      var.tags,
    )
  }
}
