output "vpc_id" {
  description = "The VPC's ID."
  value       = module.vpc.vpc_id
}

output "vpc_cidr_block" {
  description = "The VPC's address range."
  value       = module.vpc.vpc_cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets, one per zone (the load balancer)."
  value       = module.vpc.public_subnets
}

output "private_subnet_ids" {
  description = "Private subnets, one per zone (EKS nodes and pods)."
  value       = module.vpc.private_subnets
}

output "database_subnet_ids" {
  description = "Database subnets, one per zone (RDS and ElastiCache)."
  value       = module.vpc.database_subnets
}

output "database_subnet_group_name" {
  description = "The RDS subnet group over the database subnets."
  value       = module.vpc.database_subnet_group_name
}
