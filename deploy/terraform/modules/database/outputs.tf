output "primary_address" {
  description = "Host name of the primary (it follows a Multi-AZ failover): DATABASE_URL's host."
  value       = module.primary.db_instance_address
}

output "replica_address" {
  description = "Host name of the read replica: DATABASE_REPLICA_URL's host."
  value       = module.replica.db_instance_address
}

output "port" {
  description = "The port of both instances."
  value       = 3306
}

output "database_name" {
  description = "The app's schema."
  value       = var.database_name
}

output "primary_identifier" {
  description = "The primary's identifier, the DBInstanceIdentifier dimension of its CloudWatch metrics."
  value       = module.primary.db_instance_identifier
}

output "replica_identifier" {
  description = "The replica's identifier, for its CloudWatch metrics (ReplicaLag)."
  value       = module.replica.db_instance_identifier
}

output "security_group_id" {
  description = "The database's security group."
  value       = aws_security_group.database.id
}
