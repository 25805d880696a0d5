variable "name" {
  description = "Identifier of the primary instance (the replica is <name>-replica)."
  type        = string
}

variable "vpc_id" {
  description = "The VPC of the database's security group."
  type        = string
}

variable "db_subnet_group_name" {
  description = "The RDS subnet group over the database subnets of all three zones."
  type        = string
}

variable "client_security_group_ids" {
  description = "Security groups admitted on 3306 (the EKS nodes')."
  type        = list(string)
}

variable "engine_version" {
  description = "RDS for MariaDB engine version."
  type        = string
  default     = "10.11"
}

variable "major_engine_version" {
  description = "Its major version (parameter group family mariadb<this>)."
  type        = string
  default     = "10.11"
}

variable "instance_class" {
  description = "Instance class of the primary (and its Multi-AZ standby)."
  type        = string
  default     = "db.r6g.large"
}

variable "replica_instance_class" {
  description = "Instance class of the read replica."
  type        = string
  default     = "db.r6g.large"
}

variable "allocated_storage_gb" {
  description = "Initial storage in GiB."
  type        = number
  default     = 100
}

variable "max_allocated_storage_gb" {
  description = "Storage autoscaling ceiling in GiB."
  type        = number
  default     = 1000
}

variable "database_name" {
  description = "The schema the app uses (the path of DATABASE_URL)."
  type        = string
  default     = "pedometer"
}

variable "username" {
  description = "The app's database user (the master user of the instance)."
  type        = string
  default     = "pedometer"
}

variable "password" {
  description = "That user's password (from the secrets module; stored in Secrets Manager, never in code)."
  type        = string
  sensitive   = true
}

variable "password_version" {
  description = "Increment to send a changed password to RDS (the password is write-only)."
  type        = number
  default     = 1
}

variable "backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery)."
  type        = number
  default     = 14
}

variable "deletion_protection" {
  description = "Refuse to delete the instances (turn off only to tear the environment down)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
