provider "aws" {
  region = var.region

  default_tags {
    tags = merge(
      {
        Project   = "escaping"
        ManagedBy = "terraform"
      },
      var.tags,
    )
  }
}
