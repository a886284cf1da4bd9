provider "aws" {
  region = var.region

  default_tags {
    tags = merge(
      {
        Project   = "billing-async"
        ManagedBy = "terraform"
      },
      var.tags,
    )
  }
}
