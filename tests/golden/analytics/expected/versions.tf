terraform {
  # 1.9 lets variable validations refer to locals (the functions check does).
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }
}
