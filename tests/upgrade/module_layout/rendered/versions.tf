terraform {
  # 1.11: tests/ mocks values at plan time (override_during), and init and validate read tests/ too.
  # 1.9 lets variable validations refer to locals; 1.11 also brings S3-native state locking.
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }
}
