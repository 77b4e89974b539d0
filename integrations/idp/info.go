package idp

import "github.com/vigil-soc/vigil/integrations/kind"

// OktaInfo describes the okta kind's settings for the form and the pages.
var OktaInfo = kind.Info{Name: "okta", Title: "Okta", Help: "Multi-factor enrolment, inactive and suspended accounts.",
	Fields: []kind.Field{
		{Name: "url", Label: "Org URL", Help: "Your Okta org's https address.", Example: "https://acme.okta.com", Type: kind.TypeText, Required: true},
		{Name: "people_source", Label: "People source", Help: "Keep the personnel register from this directory's active users (name, title, department). Off by default: directories hold service accounts. A suspended account never records a leaver's end date.", Type: kind.TypeBool},
	},
	Secret: kind.Field{Name: "secret", Label: "API token", Help: "A token made by a read-only administrator.", Example: "00Ab...", Type: kind.TypeText, Required: true}}

// GoogleInfo describes the google kind's settings for the form and the pages.
var GoogleInfo = kind.Info{Name: "google", Title: "Google Workspace", Help: "2-step verification, administrators, suspended and inactive accounts.",
	Fields: []kind.Field{
		{Name: "subject", Label: "Administrator", Help: "An administrator's address the service account acts for (domain-wide delegation).", Example: "admin@acme.com", Type: kind.TypeText, Required: true},
		{Name: "domain", Label: "Domain", Help: "Only this domain's users; empty for the whole customer.", Example: "acme.com", Type: kind.TypeText},
		{Name: "people_source", Label: "People source", Help: "Keep the personnel register from this directory's active users (name, title, department). Off by default: directories hold service accounts. A suspended account never records a leaver's end date.", Type: kind.TypeBool},
	},
	Secret: kind.Field{Name: "secret", Label: "Service account key", Help: "The service account's JSON key file, pasted whole.", Example: `{"type": "service_account", "client_email": "...", "private_key": "..."}`, Type: kind.TypeLong, Required: true}}

// Info describes the kind for the pages and the CLI.
func (Okta) Info() kind.Info { return OktaInfo }

// Info describes the kind for the pages and the CLI.
func (Google) Info() kind.Info { return GoogleInfo }
