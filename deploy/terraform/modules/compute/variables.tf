variable "name" {
  description = "Name of the EKS cluster, its node group's prefix and the ECR repository."
  type        = string
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version (the chart needs 1.30 or later)."
  type        = string
  default     = "1.34"
}

variable "vpc_id" {
  description = "The VPC of the cluster."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets, one per zone, for the nodes and pods."
  type        = list(string)
}

variable "alb_security_group_id" {
  description = "The load balancer's security group, admitted to the pods on app_port."
  type        = string
}

variable "web_target_group_arn" {
  description = "The load balancer's web target group, the only one the Load Balancer Controller may register pods in."
  type        = string
}

variable "deletion_protection" {
  description = "Refuse to delete the EKS cluster (turn off only to tear the environment down)."
  type        = bool
  default     = true
}

variable "app_port" {
  description = "The port the web pods listen on (the image's PORT)."
  type        = number
  default     = 8000
}

variable "api_allowed_cidrs" {
  description = "Networks allowed to reach the Kubernetes API from outside the VPC; empty = private endpoint only."
  type        = list(string)
  default     = []
}

variable "node_instance_types" {
  description = "Instance types of the managed node group."
  type        = list(string)
  default     = ["m6i.large"]
}

variable "node_min_size" {
  description = "Fewest nodes: three, one per zone, so the web pods spread over all zones."
  type        = number
  default     = 3
}

variable "node_max_size" {
  description = "Most nodes the autoscaler may add."
  type        = number
  default     = 12
}

variable "node_desired_size" {
  description = "Nodes at creation (the autoscaler moves it afterwards)."
  type        = number
  default     = 3
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
