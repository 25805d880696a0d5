# The AWS shape of README "Deploying": a VPC over three zones, an ALB with TLS
# and DNS, EKS for the Helm chart, RDS for MariaDB Multi-AZ with a read replica,
# ElastiCache Redis with automatic failover, CloudWatch alarms to SNS, and the
# app's secrets in Secrets Manager.

locals {
  name = "pedometer-${var.environment}"
}

module "network" {
  source = "../../modules/network"

  name = local.name
  cidr = var.vpc_cidr
  azs  = var.availability_zones
}

module "load_balancer" {
  source = "../../modules/load_balancer"

  name               = local.name
  domain_name        = var.domain_name
  zone_id            = var.route53_zone_id
  vpc_id             = module.network.vpc_id
  vpc_cidr_block     = module.network.vpc_cidr_block
  public_subnet_ids  = module.network.public_subnet_ids
  access_logs_bucket = var.access_logs_bucket
  web_acl_arn        = var.web_acl_arn
}

module "compute" {
  source = "../../modules/compute"

  name                  = local.name
  kubernetes_version    = var.kubernetes_version
  vpc_id                = module.network.vpc_id
  private_subnet_ids    = module.network.private_subnet_ids
  alb_security_group_id = module.load_balancer.security_group_id
  web_target_group_arn  = module.load_balancer.web_target_group_arn
  api_allowed_cidrs     = var.kubernetes_api_allowed_cidrs
  node_instance_types   = var.node_instance_types
}

module "secrets" {
  source = "../../modules/secrets"

  name                  = local.name
  domain_name           = var.domain_name
  database_host         = module.database.primary_address
  database_replica_host = module.database.replica_address
  database_port         = module.database.port
  database_name         = module.database.database_name
  cache_host            = module.cache.primary_endpoint
  cache_port            = module.cache.port
  extra_environment     = var.extra_environment
}

module "database" {
  source = "../../modules/database"

  name                      = local.name
  vpc_id                    = module.network.vpc_id
  db_subnet_group_name      = module.network.database_subnet_group_name
  client_security_group_ids = [module.compute.node_security_group_id]
  password                  = module.secrets.database_password
  instance_class            = var.database_instance_class
  replica_instance_class    = var.database_instance_class
}

module "cache" {
  source = "../../modules/cache"

  name                      = local.name
  vpc_id                    = module.network.vpc_id
  subnet_ids                = module.network.database_subnet_ids
  client_security_group_ids = [module.compute.node_security_group_id]
  auth_token                = module.secrets.redis_auth_token
  node_type                 = var.cache_node_type
}

module "alarms" {
  source = "../../modules/alarms"

  name                       = local.name
  alarm_emails               = var.alarm_emails
  alb_arn_suffix             = module.load_balancer.alb_arn_suffix
  target_group_arn_suffix    = module.load_balancer.web_target_group_arn_suffix
  primary_identifier         = module.database.primary_identifier
  replica_identifier         = module.database.replica_identifier
  cache_replication_group_id = module.cache.replication_group_id
  cache_node_count           = module.cache.node_count
}
