provider "aws" {
  region = var.region

  default_tags {
    tags = merge(
      {
        Project   = "orders-async"
        ManagedBy = "terraform"
      },
      var.tags,
    )
  }
}
