provider "aws" {
  region = var.region

  default_tags {
    tags = merge(
      {
        Project   = "quiet-async"
        ManagedBy = "terraform"
      },
      var.tags,
    )
  }
}
