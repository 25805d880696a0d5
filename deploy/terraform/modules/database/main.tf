# RDS for MariaDB (the engine the tests and `make cluster` run): a Multi-AZ
# primary (a synchronous standby in another zone; failover in about a minute,
# during which requests get 503 + Retry-After) and a read replica for
# DATABASE_REPLICA_URL. The parameter group holds what settings.py also asks of
# each session: utf8mb4 and READ COMMITTED.

locals {
  parameters = [
    { name = "character_set_server", value = "utf8mb4" },
    { name = "collation_server", value = "utf8mb4_unicode_ci" },
    { name = "tx_isolation", value = "READ-COMMITTED" },
    # Above the 10 s the app's lock waits allow for (README: DB_READ_TIMEOUT 15 s).
    { name = "innodb_lock_wait_timeout", value = "10" },
    { name = "sql_mode", value = "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION" },
    # require_secure_transport stays off until DATABASE_URL carries TLS options checked
    # against the RDS CA: turning it on first would refuse every app connection.
  ]
}

resource "aws_security_group" "database" {
  #checkov:skip=CKV2_AWS_5:attached to both instances through the rds modules' vpc_security_group_ids, which checkov does not follow offline
  name_prefix = "${var.name}-db-"
  description = "MariaDB: reachable from the app's pods only."
  vpc_id      = var.vpc_id
  tags        = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "from_clients" {
  # count, not for_each: the IDs are only known after apply, their number before.
  count = length(var.client_security_group_ids)

  security_group_id            = aws_security_group.database.id
  description                  = "MariaDB from the app"
  referenced_security_group_id = var.client_security_group_ids[count.index]
  ip_protocol                  = "tcp"
  from_port                    = 3306
  to_port                      = 3306
}

resource "aws_kms_key" "database" {
  #checkov:skip=CKV2_AWS_64:the default key policy: the account administers the key and IAM policies grant its use, as for the account's other keys
  description         = "${var.name}: RDS storage encryption"
  enable_key_rotation = true
  tags                = var.tags
}

module "primary" {
  #checkov:skip=CKV_TF_1:pinned to an exact registry release (reviewed on upgrade); a commit hash would bypass the registry's versioning
  source  = "terraform-aws-modules/rds/aws"
  version = "7.2.0"

  identifier = var.name

  engine               = "mariadb"
  engine_version       = var.engine_version
  family               = "mariadb${var.major_engine_version}"
  major_engine_version = var.major_engine_version
  instance_class       = var.instance_class

  allocated_storage     = var.allocated_storage_gb
  max_allocated_storage = var.max_allocated_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.database.arn

  db_name  = var.database_name
  username = var.username
  # The password lives in Secrets Manager (the secrets module), where the app's DATABASE_URL is built.
  manage_master_user_password = false
  # Write-only: sent to RDS, never kept in the state by this resource. Bump the version to change it.
  password_wo         = var.password
  password_wo_version = var.password_version

  port = 3306

  multi_az               = true
  db_subnet_group_name   = var.db_subnet_group_name
  vpc_security_group_ids = [aws_security_group.database.id]

  parameters = local.parameters

  backup_retention_period = var.backup_retention_days
  backup_window           = "02:00-03:00"
  maintenance_window      = "Mon:03:30-Mon:04:30"
  deletion_protection     = var.deletion_protection
  skip_final_snapshot     = false
  copy_tags_to_snapshot   = true
  apply_immediately       = false

  performance_insights_enabled    = true
  performance_insights_kms_key_id = aws_kms_key.database.arn
  create_monitoring_role          = true
  monitoring_interval             = 30
  monitoring_role_name            = "${var.name}-rds-monitoring"
  enabled_cloudwatch_logs_exports = ["error", "slowquery"]
  auto_minor_version_upgrade      = true

  tags = var.tags
}

# Lag-tolerant reads (history, the leaderboard's SQL fallback, admin lists). Not a
# standby: when it is down its reads go to the primary (README "Read replica").
module "replica" {
  #checkov:skip=CKV_TF_1:pinned to an exact registry release (reviewed on upgrade); a commit hash would bypass the registry's versioning
  source  = "terraform-aws-modules/rds/aws"
  version = "7.2.0"

  identifier          = "${var.name}-replica"
  replicate_source_db = module.primary.db_instance_identifier

  engine               = "mariadb"
  engine_version       = var.engine_version
  family               = "mariadb${var.major_engine_version}"
  major_engine_version = var.major_engine_version
  instance_class       = var.replica_instance_class

  storage_type      = "gp3"
  storage_encrypted = true
  kms_key_id        = aws_kms_key.database.arn
  port              = 3306

  # A replica takes the source's credentials and database, and must not be in another subnet group.
  manage_master_user_password = false
  multi_az                    = false
  vpc_security_group_ids      = [aws_security_group.database.id]
  create_db_subnet_group      = false
  create_db_option_group      = false

  parameters = local.parameters

  backup_retention_period = 0
  maintenance_window      = "Tue:03:30-Tue:04:30"
  deletion_protection     = var.deletion_protection
  skip_final_snapshot     = true

  performance_insights_enabled    = true
  performance_insights_kms_key_id = aws_kms_key.database.arn
  create_monitoring_role          = false
  monitoring_interval             = 30
  monitoring_role_arn             = module.primary.enhanced_monitoring_iam_role_arn
  enabled_cloudwatch_logs_exports = ["error", "slowquery"]
  auto_minor_version_upgrade      = true

  tags = var.tags
}
