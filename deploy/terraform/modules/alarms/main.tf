# CloudWatch alarms for what AWS itself measures, named after the Prometheus
# alert each one mirrors (deploy/prometheus/alerts.yml; a test checks the names),
# e-mailed through SNS: "page" for what wakes someone, "ticket" for working hours.
# The app's own signals (database or Redis unreachable from the nodes, syncs
# stopping, push failures) have no AWS metric: Prometheus alerts on those alone.

data "aws_caller_identity" "current" {}

# CloudWatch must be allowed to use the key of the topics it publishes to.
data "aws_iam_policy_document" "topic_key" {
  # In a key policy, Resource "*" means this key and nothing else.
  #checkov:skip=CKV_AWS_111:a key policy's resource "*" is the key itself
  #checkov:skip=CKV_AWS_356:a key policy's resource "*" is the key itself
  #checkov:skip=CKV_AWS_109:the account's root administering its own key is the standard key policy
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchPublishes"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "topics" {
  description         = "${var.name}: alarm topics"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.topic_key.json
  tags                = var.tags
}

resource "aws_sns_topic" "alarms" {
  for_each = toset(["page", "ticket"])

  name              = "${var.name}-${each.key}"
  kms_master_key_id = aws_kms_key.topics.arn
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each = { for pair in setproduct(["page", "ticket"], var.alarm_emails) : "${pair[0]}-${pair[1]}" => pair }

  topic_arn = aws_sns_topic.alarms[each.value[0]].arn
  protocol  = "email"
  endpoint  = each.value[1]
}

locals {
  alb = {
    LoadBalancer = var.alb_arn_suffix
    TargetGroup  = var.target_group_arn_suffix
  }
}

# PedometerNoNodeServing: no web pod passes /readyz.
resource "aws_cloudwatch_metric_alarm" "no_node_serving" {
  alarm_name          = "${var.name}-PedometerNoNodeServing"
  alarm_description   = "No web pod passes the load balancer's /readyz check: every sync and page fails."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HealthyHostCount"
  dimensions          = local.alb
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms["page"].arn]
  ok_actions          = [aws_sns_topic.alarms["page"].arn]
  tags                = var.tags
}

# PedometerRedundancyLost: fewer than two healthy pods for 5 minutes.
resource "aws_cloudwatch_metric_alarm" "redundancy_lost" {
  alarm_name          = "${var.name}-PedometerRedundancyLost"
  alarm_description   = "Fewer than two web pods pass /readyz: one more failure is an outage."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HealthyHostCount"
  dimensions          = local.alb
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "LessThanThreshold"
  threshold           = 2
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms["page"].arn]
  ok_actions          = [aws_sns_topic.alarms["page"].arn]
  tags                = var.tags
}

# PedometerHighErrorRate: more than 2% of requests answered with a 5xx (by the app or the load balancer).
resource "aws_cloudwatch_metric_alarm" "high_error_rate" {
  alarm_name          = "${var.name}-PedometerHighErrorRate"
  alarm_description   = "More than 2% of requests fail with a 5xx for 5 minutes."
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = 2
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms["page"].arn]
  ok_actions          = [aws_sns_topic.alarms["page"].arn]
  tags                = var.tags

  metric_query {
    id          = "rate"
    expression  = "100 * (FILL(target5xx, 0) + FILL(lb5xx, 0)) / requests"
    label       = "5xx per 100 requests"
    return_data = true
  }

  metric_query {
    id = "target5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = local.alb
      stat        = "Sum"
      period      = 60
    }
  }

  metric_query {
    id = "lb5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      stat        = "Sum"
      period      = 60
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = local.alb
      stat        = "Sum"
      period      = 60
    }
  }
}

# PedometerSlowResponses: the 95th percentile above 1 s for 10 minutes.
resource "aws_cloudwatch_metric_alarm" "slow_responses" {
  alarm_name          = "${var.name}-PedometerSlowResponses"
  alarm_description   = "The 95th percentile response time is above 1 s: phones time out and retry."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = local.alb
  extended_statistic  = "p95"
  period              = 60
  evaluation_periods  = 10
  comparison_operator = "GreaterThanThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms["page"].arn]
  ok_actions          = [aws_sns_topic.alarms["page"].arn]
  tags                = var.tags
}

# PedometerReplicaUnreachable: the replica lags by minutes or stops reporting; its reads go to the primary.
resource "aws_cloudwatch_metric_alarm" "replica_unreachable" {
  alarm_name          = "${var.name}-PedometerReplicaUnreachable"
  alarm_description   = "The read replica lags more than 5 minutes or reports nothing: the primary carries all reads."
  namespace           = "AWS/RDS"
  metric_name         = "ReplicaLag"
  dimensions          = { DBInstanceIdentifier = var.replica_identifier }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 15
  comparison_operator = "GreaterThanThreshold"
  threshold           = 300
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms["ticket"].arn]
  ok_actions          = [aws_sns_topic.alarms["ticket"].arn]
  tags                = var.tags
}

# AWS-only: storage running out stops every write; RDS grows it up to its ceiling, this says when that is near.
resource "aws_cloudwatch_metric_alarm" "database_storage" {
  alarm_name          = "${var.name}-DatabaseStorageLow"
  alarm_description   = "Less than 10 GiB free on the primary."
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  dimensions          = { DBInstanceIdentifier = var.primary_identifier }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = 10 * 1024 * 1024 * 1024
  alarm_actions       = [aws_sns_topic.alarms["ticket"].arn]
  tags                = var.tags
}

# AWS-only: Redis near its memory limit evicts keys (the task queue among them).
resource "aws_cloudwatch_metric_alarm" "cache_memory" {
  # Node IDs are <group>-001, -002, ...: known before apply, as for_each needs.
  for_each = toset([for i in range(1, var.cache_node_count + 1) : format("%s-%03d", var.cache_replication_group_id, i)])

  alarm_name          = "${var.name}-CacheMemoryHigh-${each.key}"
  alarm_description   = "Redis node ${each.key} uses more than 80% of its memory."
  namespace           = "AWS/ElastiCache"
  metric_name         = "DatabaseMemoryUsagePercentage"
  dimensions          = { CacheClusterId = each.key }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = 80
  alarm_actions       = [aws_sns_topic.alarms["ticket"].arn]
  tags                = var.tags
}
