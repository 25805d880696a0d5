variable "name" {
  description = "Name of the load balancer and prefix of its target group and security group."
  type        = string
}

variable "domain_name" {
  description = "The service's public name, e.g. api.pedometer.example.com (certificate and DNS record)."
  type        = string
}

variable "zone_id" {
  description = "The Route 53 hosted zone that holds domain_name (the certificate is validated through it)."
  type        = string
}

variable "vpc_id" {
  description = "The VPC of the load balancer and its targets."
  type        = string
}

variable "vpc_cidr_block" {
  description = "The VPC's address range: the only destination the load balancer sends to."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets, one per zone, for the load balancer."
  type        = list(string)
}

variable "target_port" {
  description = "The port the web pods listen on (the image's PORT)."
  type        = number
  default     = 8000
}

variable "health_check_interval_seconds" {
  description = "Seconds between /readyz checks of each target (README \"High availability\": 5)."
  type        = number
  default     = 5
}

variable "health_check_failures" {
  description = "Failed /readyz checks in a row that take a target out (README: 2)."
  type        = number
  default     = 2
}

variable "deregistration_delay_seconds" {
  description = "Seconds a deregistered target keeps its requests (20-30 s matches the graceful shutdown)."
  type        = number
  default     = 25
}

variable "deletion_protection" {
  description = "Refuse to delete the load balancer (turn off only to tear the environment down)."
  type        = bool
  default     = true
}

variable "access_logs_bucket" {
  description = "An S3 bucket (with the ELB log-delivery policy) for access logs; empty = no access logs."
  type        = string
  default     = ""
}

variable "web_acl_arn" {
  description = "A WAFv2 web ACL to attach to the load balancer; empty = none."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
