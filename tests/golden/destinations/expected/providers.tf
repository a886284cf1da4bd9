provider "aws" {
  region = var.region

  default_tags {
    tags = merge(
      {
        Project   = "destinations"
        ManagedBy = "terraform"
      },
      var.tags,
    )
  }
}
