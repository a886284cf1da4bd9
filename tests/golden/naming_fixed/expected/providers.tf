provider "aws" {
  region = var.region

  default_tags {
    tags = merge(
      {
        Project   = "fixed-bucket"
        ManagedBy = "terraform"
      },
      var.tags,
    )
  }
}
