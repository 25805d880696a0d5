output "cluster_name" {
  description = "The EKS cluster's name (aws eks update-kubeconfig --name ...)."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "The Kubernetes API endpoint."
  value       = module.eks.cluster_endpoint
}

output "cluster_certificate_authority_data" {
  description = "The cluster's CA certificate, base64."
  value       = module.eks.cluster_certificate_authority_data
}

output "node_security_group_id" {
  description = "The nodes' (and pods') security group: the database and cache admit it."
  value       = module.eks.node_security_group_id
}

output "load_balancer_controller_role_arn" {
  description = "IAM role for the AWS Load Balancer Controller's service account (kube-system/aws-load-balancer-controller)."
  value       = module.load_balancer_controller_irsa.arn
}

output "ecr_repository_url" {
  description = "Where to push the image (the chart's image.repository)."
  value       = aws_ecr_repository.app.repository_url
}
