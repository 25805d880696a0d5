terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.28"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # The state holds the generated secrets: keep it in an encrypted bucket only operators can read.
  # backend "s3" {
  #   bucket       = "example-terraform-state"
  #   key          = "pedometer/production.tfstate"
  #   region       = "eu-west-1"
  #   encrypt      = true
  #   use_lockfile = true
  # }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Service     = "pedometer"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}
