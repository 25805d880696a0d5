output "page_topic_arn" {
  description = "SNS topic of the alarms that page (subscribe a pager here too)."
  value       = aws_sns_topic.alarms["page"].arn
}

output "ticket_topic_arn" {
  description = "SNS topic of the alarms that can wait for working hours."
  value       = aws_sns_topic.alarms["ticket"].arn
}

output "alarm_names" {
  description = "Every alarm's name."
  value = concat(
    [for alarm in [
      aws_cloudwatch_metric_alarm.no_node_serving,
      aws_cloudwatch_metric_alarm.redundancy_lost,
      aws_cloudwatch_metric_alarm.high_error_rate,
      aws_cloudwatch_metric_alarm.slow_responses,
      aws_cloudwatch_metric_alarm.replica_unreachable,
      aws_cloudwatch_metric_alarm.database_storage,
    ] : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.cache_memory : alarm.alarm_name],
  )
}
