provider "aws" {
  region = var.region

  default_tags {
    tags = merge(
      {
        Project   = "queues"
        ManagedBy = "terraform"
      },
      var.tags,
    )
  }
}
