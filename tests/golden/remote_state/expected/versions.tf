terraform {
  # 1.11 brings S3-native state locking (use_lockfile); 1.9 lets variable validations refer to locals.
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }
}
