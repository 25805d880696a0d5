output "alb_arn" {
  description = "The load balancer's ARN."
  value       = aws_lb.this.arn
}

output "alb_arn_suffix" {
  description = "The load balancer's ARN suffix, the LoadBalancer dimension of its CloudWatch metrics."
  value       = aws_lb.this.arn_suffix
}

output "alb_dns_name" {
  description = "The load balancer's own DNS name (domain_name is an alias of it)."
  value       = aws_lb.this.dns_name
}

output "security_group_id" {
  description = "The load balancer's security group; the pods' security group admits it on target_port."
  value       = aws_security_group.alb.id
}

output "web_target_group_arn" {
  description = "The web target group: the chart's targetGroupBinding.targetGroupARN."
  value       = aws_lb_target_group.web.arn
}

output "web_target_group_arn_suffix" {
  description = "The web target group's ARN suffix, the TargetGroup dimension of its CloudWatch metrics."
  value       = aws_lb_target_group.web.arn_suffix
}

output "certificate_arn" {
  description = "The validated ACM certificate of domain_name."
  value       = module.certificate.acm_certificate_arn
}

output "url" {
  description = "The service's public URL."
  value       = "https://${var.domain_name}"
}
