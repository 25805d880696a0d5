variable "name" {
  description = "Name of the VPC and prefix of its subnets."
  type        = string
}

variable "cidr" {
  description = "The VPC's address range; a /16 leaves room for /24 public and database subnets and /20 private ones."
  type        = string
  default     = "10.40.0.0/16"
}

variable "azs" {
  description = "Exactly three Availability Zones of the region, e.g. [\"eu-west-1a\", \"eu-west-1b\", \"eu-west-1c\"]."
  type        = list(string)

  validation {
    condition     = length(var.azs) == 3
    error_message = "The shape is three zones: losing one keeps two thirds serving."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (cheaper, for staging); false gives each zone its own."
  type        = bool
  default     = false
}

variable "flow_log_retention_days" {
  description = "Days the VPC flow logs are kept in CloudWatch Logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
