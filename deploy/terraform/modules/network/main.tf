# A VPC across three Availability Zones: public subnets (the load balancer, NAT),
# private subnets (EKS nodes and pods) and database subnets (RDS, ElastiCache; no route out).
module "vpc" {
  #checkov:skip=CKV_TF_1:pinned to an exact registry release (reviewed on upgrade); a commit hash would bypass the registry's versioning
  source  = "terraform-aws-modules/vpc/aws"
  version = "6.6.0"

  name = var.name
  cidr = var.cidr
  azs  = var.azs

  public_subnets   = [for i, _ in var.azs : cidrsubnet(var.cidr, 8, i)]
  private_subnets  = [for i, _ in var.azs : cidrsubnet(var.cidr, 4, i + 1)]
  database_subnets = [for i, _ in var.azs : cidrsubnet(var.cidr, 8, i + 100)]

  create_database_subnet_group       = true
  create_elasticache_subnet_group    = false
  create_database_subnet_route_table = true

  # One NAT gateway per zone: losing a zone does not cut the others off from FCM.
  enable_nat_gateway     = true
  single_nat_gateway     = var.single_nat_gateway
  one_nat_gateway_per_az = !var.single_nat_gateway

  enable_dns_hostnames = true
  enable_dns_support   = true

  # Nothing may use the default security group.
  manage_default_security_group  = true
  default_security_group_ingress = []
  default_security_group_egress  = []

  enable_flow_log                                 = true
  create_flow_log_cloudwatch_log_group            = true
  create_flow_log_cloudwatch_iam_role             = true
  flow_log_cloudwatch_log_group_retention_in_days = var.flow_log_retention_days

  # Where the AWS Load Balancer Controller may place load balancers.
  public_subnet_tags  = { "kubernetes.io/role/elb" = "1" }
  private_subnet_tags = { "kubernetes.io/role/internal-elb" = "1" }

  tags = var.tags
}
