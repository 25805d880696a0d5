# ElastiCache for Redis: a primary and a replica in another zone with automatic
# failover, TLS in transit (REDIS_URL is rediss://) and an AUTH token, encrypted
# at rest. Redis holds only what can be rebuilt from MySQL (cache, throttles,
# socket groups, the leaderboard index, the task queue): losing it is slower,
# not broken (README "High availability").
# One resource, so no community module: its options are the design.

resource "aws_security_group" "cache" {
  name_prefix = "${var.name}-redis-"
  description = "Redis: reachable from the app's pods only."
  vpc_id      = var.vpc_id
  tags        = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "from_clients" {
  # count, not for_each: the IDs are only known after apply, their number before.
  count = length(var.client_security_group_ids)

  security_group_id            = aws_security_group.cache.id
  description                  = "Redis from the app"
  referenced_security_group_id = var.client_security_group_ids[count.index]
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

resource "aws_elasticache_subnet_group" "cache" {
  name        = var.name
  description = "Redis over the database subnets of all three zones."
  subnet_ids  = var.subnet_ids
  tags        = var.tags
}

resource "aws_kms_key" "cache" {
  #checkov:skip=CKV2_AWS_64:the default key policy: the account administers the key and IAM policies grant its use, as for the account's other keys
  description         = "${var.name}: ElastiCache encryption at rest"
  enable_key_rotation = true
  tags                = var.tags
}

resource "aws_elasticache_replication_group" "cache" {
  replication_group_id = var.name
  description          = "Pedometer: cache, throttles, channel layer, leaderboard index, task broker"

  engine               = "redis"
  engine_version       = var.engine_version
  node_type            = var.node_type
  port                 = 6379
  parameter_group_name = var.parameter_group_name

  num_cache_clusters         = var.replicas + 1
  automatic_failover_enabled = true
  multi_az_enabled           = true

  subnet_group_name  = aws_elasticache_subnet_group.cache.name
  security_group_ids = [aws_security_group.cache.id]

  transit_encryption_enabled = true
  auth_token                 = var.auth_token
  at_rest_encryption_enabled = true
  kms_key_id                 = aws_kms_key.cache.arn

  snapshot_retention_limit   = var.snapshot_retention_days
  snapshot_window            = "01:00-02:00"
  maintenance_window         = "sun:04:00-sun:05:00"
  auto_minor_version_upgrade = true
  apply_immediately          = false

  tags = var.tags
}
