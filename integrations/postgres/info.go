package postgres

import "github.com/vigil-soc/vigil/integrations/kind"

// Info describes the postgres kind's settings for the form and the pages.
var Info = kind.Info{Name: "postgres", Title: "PostgreSQL server", Help: "TLS, password hashing, connection logging, superusers, the public schema and trust rules.",
	Fields: []kind.Field{
		{Name: "host", Label: "Host", Help: "A host name, or a socket directory.", Example: "db.acme.internal", Type: kind.TypeText, Required: true},
		{Name: "port", Label: "Port", Help: "Empty for 5432.", Example: "5432", Type: kind.TypeInt},
		{Name: "database", Label: "Database", Help: "Empty for postgres.", Example: "postgres", Type: kind.TypeText},
		{Name: "user", Label: "User", Help: "A role that can read the settings (pg_read_all_settings, pg_hba_file_rules).", Example: "vigil", Type: kind.TypeText, Required: true},
		{Name: "sslmode", Label: "TLS mode", Help: "Empty for verify-full.", Example: "verify-full", Type: kind.TypeChoice, Choices: []string{"", "verify-full", "verify-ca", "require", "disable"}},
	},
	Secret: kind.Field{Name: "secret", Label: "Password", Help: "The user's password; empty for peer or certificate authentication.", Type: kind.TypeText}}

// Info describes the kind for the pages and the CLI.
func (Postgres) Info() kind.Info { return Info }
