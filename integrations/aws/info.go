package aws

import "github.com/vigil-soc/vigil/integrations/kind"

// Info describes the aws kind's settings for the form and the pages.
var Info = kind.Info{Name: "aws", Title: "AWS account", Help: "IAM (root keys, MFA, key age), CloudTrail, S3 public access and encryption, security groups open to the world.",
	Fields: []kind.Field{
		{Name: "regions", Label: "Regions", Help: "The regions to read (one per line or comma-separated).", Example: "eu-west-1, us-east-1", Type: kind.TypeList},
		{Name: "role_arn", Label: "Role to assume", Help: "An audit role in the account to test, assumed with the credential.", Example: "arn:aws:iam::123456789012:role/vigil-audit", Type: kind.TypeText},
		{Name: "external_id", Label: "External ID", Help: "The external ID the role's trust policy requires, if any.", Example: "vigil-7f3a", Type: kind.TypeText},
		{Name: "admin_ports", Label: "Administrative ports", Help: "Ports that must not be open to the world (comma-separated).", Example: "22, 3389", Type: kind.TypeInts},
		{Name: "key_max_age_days", Label: "Access key maximum age (days)", Help: "Older access keys fail.", Example: "90", Type: kind.TypeInt},
		{Name: "endpoint", Label: "Endpoint", Help: "An AWS-compatible endpoint (LocalStack, tests); empty for AWS.", Example: "http://localhost:4566", Type: kind.TypeText},
	},
	Secret: kind.Field{Name: "secret", Label: "Access key", Help: "ACCESS_KEY_ID:SECRET_ACCESS_KEY, or empty to use the server's own AWS role.", Example: "AKIA...:wJalr...", Type: kind.TypeText}}

// Info describes the kind for the pages and the CLI.
func (AWS) Info() kind.Info { return Info }
