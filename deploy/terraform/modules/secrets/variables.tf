variable "name" {
  description = "Prefix of the secrets' names (<name>/secret-key, <name>/database, <name>/env)."
  type        = string
}

variable "domain_name" {
  description = "The service's public name (ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS)."
  type        = string
}

variable "database_host" {
  description = "The primary's host name (DATABASE_URL)."
  type        = string
}

variable "database_replica_host" {
  description = "The read replica's host name (DATABASE_REPLICA_URL)."
  type        = string
}

variable "database_port" {
  description = "The database port."
  type        = number
  default     = 3306
}

variable "database_name" {
  description = "The app's schema."
  type        = string
  default     = "pedometer"
}

variable "database_username" {
  description = "The app's database user."
  type        = string
  default     = "pedometer"
}

variable "cache_host" {
  description = "The Redis primary endpoint (REDIS_URL)."
  type        = string
}

variable "cache_port" {
  description = "The Redis port."
  type        = number
  default     = 6379
}

variable "extra_environment" {
  description = "More variables for the pods' environment (README \"Configuration\"), e.g. FIREBASE_CREDENTIALS, or the password-reset SMTP settings (EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, DEFAULT_FROM_EMAIL)."
  type        = map(string)
  default     = {}
}

variable "recovery_window_days" {
  description = "Days a deleted secret can still be restored."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
