# Secrets Manager holds what must not be in code or state-free hands: Django's
# SECRET_KEY, the database credentials, the Redis AUTH token, and the pods'
# whole environment composed from them (README "Configuration"), which becomes
# the chart's envSecret (External Secrets Operator, or the README's kubectl step).
# The values are generated here, so they are also in the Terraform state: keep
# the state in an encrypted, access-controlled backend (examples/production).

resource "aws_kms_key" "secrets" {
  #checkov:skip=CKV2_AWS_64:the default key policy: the account administers the key and IAM policies grant its use, as for the account's other keys
  description         = "${var.name}: Secrets Manager encryption"
  enable_key_rotation = true
  tags                = var.tags
}

resource "random_password" "secret_key" {
  length  = 64
  special = true
  # No quotes, backslashes or spaces: the value passes through JSON and shells.
  override_special = "!#%&*()-_=+[]{}<>:?"
}

# Letters and digits only: the password sits inside DATABASE_URL.
resource "random_password" "database" {
  length  = 40
  special = false
}

resource "random_password" "redis_auth_token" {
  length  = 64
  special = false
}

resource "aws_secretsmanager_secret" "secret_key" {
  #checkov:skip=CKV2_AWS_57:rotating SECRET_KEY signs every session and token out at once; rotate by hand (README "Deploying")
  name                    = "${var.name}/secret-key"
  description             = "Django's SECRET_KEY"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = var.recovery_window_days
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "secret_key" {
  secret_id     = aws_secretsmanager_secret.secret_key.id
  secret_string = random_password.secret_key.result
}

resource "aws_secretsmanager_secret" "database" {
  #checkov:skip=CKV2_AWS_57:the app reads its password once, at start; rotation needs a rolling restart of every pod, done by hand (README "Deploying")
  name                    = "${var.name}/database"
  description             = "The app's MariaDB credentials (RDS secret format)"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = var.recovery_window_days
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "database" {
  secret_id = aws_secretsmanager_secret.database.id
  secret_string = jsonencode({
    engine   = "mariadb"
    username = var.database_username
    password = random_password.database.result
    host     = var.database_host
    port     = var.database_port
    dbname   = var.database_name
  })
}

resource "aws_secretsmanager_secret" "env" {
  #checkov:skip=CKV2_AWS_57:composed from the two secrets above, which are rotated by hand
  name                    = "${var.name}/env"
  description             = "The pods' environment (the Helm chart's envSecret)"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = var.recovery_window_days
  tags                    = var.tags
}

locals {
  credentials = "${var.database_username}:${random_password.database.result}"
}

resource "aws_secretsmanager_secret_version" "env" {
  secret_id = aws_secretsmanager_secret.env.id
  secret_string = jsonencode(merge({
    SECRET_KEY           = random_password.secret_key.result
    DATABASE_URL         = "mysql://${local.credentials}@${var.database_host}:${var.database_port}/${var.database_name}"
    DATABASE_REPLICA_URL = "mysql://${local.credentials}@${var.database_replica_host}:${var.database_port}/${var.database_name}"
    REDIS_URL            = "rediss://:${random_password.redis_auth_token.result}@${var.cache_host}:${var.cache_port}/0"
    ALLOWED_HOSTS        = var.domain_name
    CSRF_TRUSTED_ORIGINS = "https://${var.domain_name}"
  }, var.extra_environment))
}
