output "primary_endpoint" {
  description = "Host name of the current primary (it follows a failover): REDIS_URL's host."
  value       = aws_elasticache_replication_group.cache.primary_endpoint_address
}

output "port" {
  description = "The Redis port."
  value       = aws_elasticache_replication_group.cache.port
}

output "replication_group_id" {
  description = "The replication group's ID; its nodes are <id>-001, <id>-002, ... in CloudWatch."
  value       = aws_elasticache_replication_group.cache.replication_group_id
}

output "node_count" {
  description = "Nodes in the group (primary and replicas)."
  value       = var.replicas + 1
}

output "security_group_id" {
  description = "The cache's security group."
  value       = aws_security_group.cache.id
}
