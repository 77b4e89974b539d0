package mysql

import "github.com/vigil-soc/vigil/integrations/kind"

// Info describes the mysql kind's settings for the form and the pages.
var Info = kind.Info{Name: "mysql", Title: "MySQL or MariaDB server", Help: "Transport encryption, anonymous and password-less accounts, superusers and logging of failed connections.",
	Fields: []kind.Field{
		{Name: "host", Label: "Host", Help: "A host name, or a socket path.", Example: "db.acme.internal", Type: kind.TypeText, Required: true},
		{Name: "port", Label: "Port", Help: "Empty for 3306.", Example: "3306", Type: kind.TypeInt},
		{Name: "user", Label: "User", Help: "An account with SELECT on mysql.user.", Example: "vigil", Type: kind.TypeText, Required: true},
		{Name: "tls", Label: "TLS", Help: "Empty for true over TCP.", Example: "true", Type: kind.TypeChoice, Choices: []string{"", "true", "skip-verify", "preferred", "false"}},
	},
	Secret: kind.Field{Name: "secret", Label: "Password", Help: "The user's password.", Type: kind.TypeText}}

// Info describes the kind for the pages and the CLI.
func (MySQL) Info() kind.Info { return Info }
