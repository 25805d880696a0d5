# The Application Load Balancer in front of the web pods: TLS from ACM ends here
# (the app runs with BEHIND_TLS_PROXY=true), a Route 53 name points at it, and a
# target group checks /readyz with the timings the README gives (every 5 s, out
# after 2 failures). The pods are registered by the AWS Load Balancer Controller
# through the chart's TargetGroupBinding (targetGroupBinding.targetGroupARN).
# Plain resources rather than the community alb module: the handful of settings
# that carry our availability behaviour stay readable in one place, and checkov
# can check them offline (it does not read registry modules without a download).

module "certificate" {
  #checkov:skip=CKV_TF_1:pinned to an exact registry release (reviewed on upgrade); a commit hash would bypass the registry's versioning
  source  = "terraform-aws-modules/acm/aws"
  version = "6.3.0"

  domain_name         = var.domain_name
  zone_id             = var.zone_id
  validation_method   = "DNS"
  wait_for_validation = true

  tags = var.tags
}

resource "aws_security_group" "alb" {
  name_prefix = "${var.name}-alb-"
  description = "The public load balancer: HTTPS (and HTTP, redirected) from anywhere, to the web pods."
  vpc_id      = var.vpc_id
  tags        = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from the internet (phones, browsers)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_ingress_rule" "http" {
  #checkov:skip=CKV_AWS_260:port 80 only answers a redirect to HTTPS (listener "http" below)
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from the internet, redirected to HTTPS"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}

resource "aws_vpc_security_group_egress_rule" "to_pods" {
  security_group_id = aws_security_group.alb.id
  description       = "Requests and health checks to the web pods"
  cidr_ipv4         = var.vpc_cidr_block
  ip_protocol       = "tcp"
  from_port         = var.target_port
  to_port           = var.target_port
}

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_76:the WAF web ACL and its rule sets are the organisation's (var.web_acl_arn)
  #checkov:skip=CKV2_AWS_28:a WAF web ACL is attached when var.web_acl_arn is set (aws_wafv2_web_acl_association below); the rules are the organisation's
  #checkov:skip=CKV_AWS_91:access logs go to var.access_logs_bucket when set; the bucket and its policy belong to the account's logging setup
  name                       = var.name
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = var.public_subnet_ids
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  # Above uvicorn's 20 s WebSocket ping, so an idle socket is never cut here.
  idle_timeout = 60

  dynamic "access_logs" {
    for_each = var.access_logs_bucket == "" ? [] : [var.access_logs_bucket]
    content {
      bucket  = access_logs.value
      prefix  = var.name
      enabled = true
    }
  }

  tags = var.tags
}

resource "aws_wafv2_web_acl_association" "this" {
  count        = var.web_acl_arn == "" ? 0 : 1
  resource_arn = aws_lb.this.arn
  web_acl_arn  = var.web_acl_arn
}

resource "aws_lb_target_group" "web" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; the pods speak HTTP inside the VPC (README "Configuration", BEHIND_TLS_PROXY)
  name        = "${var.name}-web"
  port        = var.target_port
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = var.vpc_id
  # The pod's 5 s preStop pause plus uvicorn's 20 s graceful shutdown: requests in flight finish.
  deregistration_delay = var.deregistration_delay_seconds

  health_check {
    path                = "/readyz"
    port                = "traffic-port"
    protocol            = "HTTP"
    matcher             = "200"
    interval            = var.health_check_interval_seconds
    timeout             = 3
    healthy_threshold   = 2
    unhealthy_threshold = var.health_check_failures
  }

  tags = var.tags
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = module.certificate.acm_certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.web.arn
  }

  tags = var.tags
}

resource "aws_lb_listener" "http" {
  #checkov:skip=CKV_AWS_2:this listener only redirects to HTTPS
  #checkov:skip=CKV_AWS_103:this listener only redirects to HTTPS; TLS policy is on the https listener
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }

  tags = var.tags
}

# Prometheus scrapes the pods directly; from outside /metrics does not exist.
resource "aws_lb_listener_rule" "deny_metrics" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 10

  condition {
    path_pattern {
      values = ["/metrics", "/metrics/*"]
    }
  }

  action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      message_body = "Not Found"
      status_code  = "404"
    }
  }

  tags = var.tags
}

resource "aws_route53_record" "app" {
  zone_id = var.zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = aws_lb.this.dns_name
    zone_id                = aws_lb.this.zone_id
    evaluate_target_health = true
  }
}
