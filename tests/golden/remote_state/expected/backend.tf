terraform {
  backend "s3" {
    bucket       = "example-terraform-state"
    key          = "shared-state/terraform.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    use_lockfile = true
  }
}
