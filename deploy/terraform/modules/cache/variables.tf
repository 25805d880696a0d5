variable "name" {
  description = "Replication group ID and prefix of its subnet and security groups."
  type        = string
}

variable "vpc_id" {
  description = "The VPC of the cache's security group."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets of all three zones for the nodes (the database subnets)."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups admitted on 6379 (the EKS nodes')."
  type        = list(string)
}

variable "auth_token" {
  description = "The Redis AUTH token (from the secrets module); part of REDIS_URL."
  type        = string
  sensitive   = true
}

variable "engine_version" {
  description = "Redis engine version."
  type        = string
  default     = "7.1"
}

variable "parameter_group_name" {
  description = "Parameter group of the nodes."
  type        = string
  default     = "default.redis7"
}

variable "node_type" {
  description = "Node type (the leaderboard index of 1,000,000 users is about 110 MB)."
  type        = string
  default     = "cache.r7g.large"
}

variable "replicas" {
  description = "Replicas of the primary, each in another zone (at least one for automatic failover)."
  type        = number
  default     = 1

  validation {
    condition     = var.replicas >= 1
    error_message = "Automatic failover needs at least one replica."
  }
}

variable "snapshot_retention_days" {
  description = "Days of daily snapshots (Redis holds only rebuildable data; a snapshot shortens the rebuild)."
  type        = number
  default     = 1
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
