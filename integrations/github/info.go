package github

import "github.com/vigil-soc/vigil/integrations/kind"

// Info describes the github kind's settings for the form and the pages.
var Info = kind.Info{Name: "github", Title: "GitHub organization", Help: "Branch protection, two-factor enforcement, outside collaborators and open security alerts.",
	Fields: []kind.Field{
		{Name: "org", Label: "Organization", Help: "The organization's login.", Example: "acme", Type: kind.TypeText, Required: true},
		{Name: "repos", Label: "Repositories", Help: "Only these repositories (one per line or comma-separated); empty for all of the organization's.", Example: "api, web", Type: kind.TypeList},
		{Name: "api_url", Label: "API URL", Help: "Only for GitHub Enterprise.", Example: "https://ghe.example.com/api/v3/", Type: kind.TypeText},
	},
	Secret: kind.Field{Name: "secret", Label: "Token", Help: "A token with read:org, repo and security_events scopes, or a fine-grained read-only token.", Example: "ghp_...", Type: kind.TypeText, Required: true}}

// Info describes the kind for the pages and the CLI.
func (GitHub) Info() kind.Info { return Info }
