provider "aws" {
  region = var.region

  default_tags {
    tags = merge(
      {
        Project   = "ledger-async"
        ManagedBy = "terraform"
      },
      var.tags,
    )
  }
}
