output "url" {
  description = "The service's public URL."
  value       = module.load_balancer.url
}

output "web_target_group_arn" {
  description = "The chart's targetGroupBinding.targetGroupARN."
  value       = module.load_balancer.web_target_group_arn
}

output "cluster_name" {
  description = "The EKS cluster (aws eks update-kubeconfig --name ...)."
  value       = module.compute.cluster_name
}

output "load_balancer_controller_role_arn" {
  description = "IAM role for the AWS Load Balancer Controller's service account."
  value       = module.compute.load_balancer_controller_role_arn
}

output "ecr_repository_url" {
  description = "Where to push the image (the chart's image.repository)."
  value       = module.compute.ecr_repository_url
}

output "env_secret_name" {
  description = "The Secrets Manager secret with the pods' environment (source of the chart's envSecret)."
  value       = module.secrets.env_secret_name
}

output "page_topic_arn" {
  description = "SNS topic of the paging alarms."
  value       = module.alarms.page_topic_arn
}

output "ticket_topic_arn" {
  description = "SNS topic of the ticket alarms."
  value       = module.alarms.ticket_topic_arn
}
