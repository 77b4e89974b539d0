package bamboohr

import "github.com/vigil-soc/vigil/integrations/kind"

// Info describes the bamboohr kind's settings for the form and the pages.
var Info = kind.Info{Name: "bamboohr", Title: "BambooHR", Help: "The personnel register from the HR system: who works here, their role, when they started and left.",
	Fields: []kind.Field{
		{Name: "subdomain", Label: "Company domain", Help: "Your company's BambooHR subdomain: acme for https://acme.bamboohr.com.", Example: "acme", Type: kind.TypeText, Required: true},
	},
	Secret: kind.Field{Name: "secret", Label: "API key", Help: "An API key of a BambooHR user who can see employees' job and employment fields (your name, API Keys).", Example: "0a1b2c...", Type: kind.TypeText, Required: true}}

// Info describes the kind for the pages and the CLI.
func (BambooHR) Info() kind.Info { return Info }
