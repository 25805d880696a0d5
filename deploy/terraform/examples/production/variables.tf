variable "region" {
  description = "The AWS region."
  type        = string
  default     = "eu-west-1"
}

variable "environment" {
  description = "Environment name, part of every resource's name (pedometer-<environment>)."
  type        = string
  default     = "production"
}

variable "availability_zones" {
  description = "Three Availability Zones of the region."
  type        = list(string)
  default     = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
}

variable "vpc_cidr" {
  description = "The VPC's address range."
  type        = string
  default     = "10.40.0.0/16"
}

variable "domain_name" {
  description = "The service's public name, e.g. api.pedometer.example.com."
  type        = string
}

variable "route53_zone_id" {
  description = "The Route 53 hosted zone holding domain_name."
  type        = string
}

variable "alarm_emails" {
  description = "Addresses the alarms are e-mailed to."
  type        = list(string)
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version."
  type        = string
  default     = "1.34"
}

variable "kubernetes_api_allowed_cidrs" {
  description = "Networks (CI, VPN) that may reach the Kubernetes API from outside; empty = private only."
  type        = list(string)
  default     = []
}

variable "node_instance_types" {
  description = "EKS node instance types."
  type        = list(string)
  default     = ["m6i.large"]
}

variable "database_instance_class" {
  description = "RDS instance class of the primary and the replica."
  type        = string
  default     = "db.r6g.large"
}

variable "cache_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.r7g.large"
}

variable "access_logs_bucket" {
  description = "S3 bucket for the load balancer's access logs; empty = none."
  type        = string
  default     = ""
}

variable "web_acl_arn" {
  description = "WAFv2 web ACL for the load balancer; empty = none."
  type        = string
  default     = ""
}

variable "extra_environment" {
  description = "More variables for the pods' environment (README \"Configuration\")."
  type        = map(string)
  default     = {}
}
