# EKS, for the Helm chart (deploy/helm/pedometer). We chose it over an EC2 Auto
# Scaling group (the original's shape) because the chart is the one deployment
# we test: the same Deployments, probes, budgets, autoscalers and rolling
# updates run on any Kubernetes and here, and the web, worker and sweep roles
# are three Deployments of one image. An Auto Scaling group would need an AMI or
# user-data per role, its own rolling-update and drain logic and a second
# deployment path to keep right.
#
# Managed node groups spread over the three private subnets (one per zone);
# the AWS Load Balancer Controller (installed with its Helm chart, using the
# IAM role below) registers the web pods in the load balancer's target group.

module "eks" {
  #checkov:skip=CKV_TF_1:pinned to an exact registry release (reviewed on upgrade); a commit hash would bypass the registry's versioning
  source  = "terraform-aws-modules/eks/aws"
  version = "21.19.0"

  name               = var.name
  kubernetes_version = var.kubernetes_version

  vpc_id     = var.vpc_id
  subnet_ids = var.private_subnet_ids

  # The API endpoint is private; list the networks (CI, VPN) that may reach it publicly.
  # Without any, the public endpoint is off and its CIDRs (null: AWS's default) unused.
  endpoint_private_access      = true
  endpoint_public_access       = length(var.api_allowed_cidrs) > 0
  endpoint_public_access_cidrs = length(var.api_allowed_cidrs) > 0 ? var.api_allowed_cidrs : null

  enable_cluster_creator_admin_permissions = true
  enabled_log_types                        = ["api", "audit", "authenticator"]
  deletion_protection                      = var.deletion_protection

  addons = {
    coredns    = {}
    kube-proxy = {}
    vpc-cni    = { before_compute = true }
  }

  eks_managed_node_groups = {
    app = {
      instance_types = var.node_instance_types
      min_size       = var.node_min_size
      max_size       = var.node_max_size
      desired_size   = var.node_desired_size
      subnet_ids     = var.private_subnet_ids
      # Label the Cluster Autoscaler or Karpenter can use; nothing else is scheduled specially.
      labels = { "pedometer.example.com/pool" = "app" }
    }
  }

  tags = var.tags
}

# The pods use the nodes' security group (VPC CNI): admit the load balancer on the app port.
resource "aws_vpc_security_group_ingress_rule" "alb_to_pods" {
  security_group_id            = module.eks.node_security_group_id
  description                  = "The load balancer's requests and /readyz checks to the web pods"
  referenced_security_group_id = var.alb_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
}

# The AWS Load Balancer Controller only registers pods in the target group Terraform made
# (the chart's TargetGroupBinding): the narrow policy for that, not the one that creates
# load balancers.
module "load_balancer_controller_irsa" {
  #checkov:skip=CKV_TF_1:pinned to an exact registry release (reviewed on upgrade); a commit hash would bypass the registry's versioning
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts"
  version = "6.5.0"

  name            = "${var.name}-aws-load-balancer-controller"
  use_name_prefix = false

  attach_load_balancer_controller_targetgroup_binding_only_policy = true
  load_balancer_controller_targetgroup_arns                       = [var.web_target_group_arn]

  oidc_providers = {
    main = {
      provider_arn               = module.eks.oidc_provider_arn
      namespace_service_accounts = ["kube-system:aws-load-balancer-controller"]
    }
  }

  tags = var.tags
}

# The image's repository: tags are immutable (a tag always means one build) and scanned on push.
resource "aws_kms_key" "ecr" {
  #checkov:skip=CKV2_AWS_64:the default key policy: the account administers the key and IAM policies grant its use, as for the account's other keys
  description         = "${var.name}: ECR image encryption"
  enable_key_rotation = true
  tags                = var.tags
}

resource "aws_ecr_repository" "app" {
  name                 = var.name
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.ecr.arn
  }

  tags = var.tags
}
