variable "name" {
  description = "Prefix of the topics' and alarms' names."
  type        = string
}

variable "alarm_emails" {
  description = "Addresses subscribed to both topics (each confirms by e-mail)."
  type        = list(string)
}

variable "alb_arn_suffix" {
  description = "The load balancer's ARN suffix (its metrics' LoadBalancer dimension)."
  type        = string
}

variable "target_group_arn_suffix" {
  description = "The web target group's ARN suffix (its metrics' TargetGroup dimension)."
  type        = string
}

variable "primary_identifier" {
  description = "The RDS primary's identifier."
  type        = string
}

variable "replica_identifier" {
  description = "The RDS read replica's identifier."
  type        = string
}

variable "cache_replication_group_id" {
  description = "The ElastiCache replication group's ID."
  type        = string
}

variable "cache_node_count" {
  description = "Nodes in the replication group (primary and replicas)."
  type        = number
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
