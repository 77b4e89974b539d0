package tlsprobe

import "github.com/vigil-soc/vigil/integrations/kind"

// Info describes the tls kind's settings for the form and the pages.
var Info = kind.Info{Name: "tls", Title: "TLS endpoints", Help: "Certificate chain and expiry, protocol versions, weak cipher suites and HSTS.",
	Fields: []kind.Field{
		{Name: "endpoints", Label: "Endpoints", Help: "host:port, or https:// URLs (HSTS is checked for URLs); one per line or comma-separated.", Example: "https://www.acme.com, mail.acme.com:993", Type: kind.TypeList, Required: true},
		{Name: "ca_file", Label: "CA file", Help: "A CA certificate file on this server to trust too (a private PKI).", Example: "/etc/ssl/certs/acme-ca.pem", Type: kind.TypeText},
		{Name: "timeout_seconds", Label: "Timeout (seconds)", Help: "How long to wait for each endpoint; empty for 10.", Example: "10", Type: kind.TypeInt},
	}}

// Info describes the kind for the pages and the CLI.
func (TLS) Info() kind.Info { return Info }
