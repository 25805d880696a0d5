output "database_password" {
  description = "The app's database password (for the database module)."
  value       = random_password.database.result
  sensitive   = true
}

output "redis_auth_token" {
  description = "The Redis AUTH token (for the cache module)."
  value       = random_password.redis_auth_token.result
  sensitive   = true
}

output "env_secret_name" {
  description = "The secret holding the pods' environment as JSON (source of the chart's envSecret)."
  value       = aws_secretsmanager_secret.env.name
}

output "env_secret_arn" {
  description = "Its ARN (grant the External Secrets Operator's role secretsmanager:GetSecretValue on it)."
  value       = aws_secretsmanager_secret.env.arn
}

output "secret_key_secret_arn" {
  description = "ARN of the SECRET_KEY secret."
  value       = aws_secretsmanager_secret.secret_key.arn
}

output "database_secret_arn" {
  description = "ARN of the database credentials secret."
  value       = aws_secretsmanager_secret.database.arn
}

output "kms_key_arn" {
  description = "The key the secrets are encrypted with (readers need kms:Decrypt on it)."
  value       = aws_kms_key.secrets.arn
}
