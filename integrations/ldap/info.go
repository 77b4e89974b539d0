package ldap

import "github.com/vigil-soc/vigil/integrations/kind"

// Info describes the ldap kind's settings for the form and the pages.
var Info = kind.Info{Name: "ldap", Title: "LDAP or Active Directory", Help: "Disabled and locked accounts, passwords that never expire, last sign-in, and members of privileged groups.",
	Fields: []kind.Field{
		{Name: "url", Label: "Server URL", Help: "ldaps://host:636, or ldap://host:389 with StartTLS.", Example: "ldaps://ldap.acme.com:636", Type: kind.TypeText, Required: true},
		{Name: "base_dn", Label: "Base DN", Help: "Where accounts and groups are searched.", Example: "dc=acme,dc=com", Type: kind.TypeText, Required: true},
		{Name: "bind_dn", Label: "Bind DN", Help: "The account Vigil binds as; its password is the credential. Empty binds anonymously.", Example: "cn=vigil,ou=services,dc=acme,dc=com", Type: kind.TypeText},
		{Name: "flavor", Label: "Directory", Help: "OpenLDAP or Active Directory (ad).", Example: "openldap", Type: kind.TypeChoice, Choices: []string{"", "openldap", "ad"}},
		{Name: "start_tls", Label: "Use StartTLS", Help: "Upgrade an ldap:// connection to TLS before binding.", Type: kind.TypeBool},
		{Name: "ca_file", Label: "CA file", Help: "A CA certificate file on this server to trust (a private PKI).", Example: "/etc/ssl/certs/acme-ca.pem", Type: kind.TypeText},
		{Name: "privileged_groups", Label: "Privileged groups", Help: "Group names (cn) or DNs whose members are reviewed (one per line or comma-separated).", Example: "admins, Domain Admins", Type: kind.TypeList},
		{Name: "user_filter", Label: "User filter", Help: "An LDAP filter for accounts; empty for the directory's usual one.", Example: "(objectClass=inetOrgPerson)", Type: kind.TypeText},
		{Name: "group_filter", Label: "Group filter", Help: "An LDAP filter for groups; empty for the usual ones.", Example: "(objectClass=groupOfNames)", Type: kind.TypeText},
		{Name: "last_logon_attribute", Label: "Last sign-in attribute", Help: "authTimestamp or pwdLastSuccess (OpenLDAP), lastLogonTimestamp (AD); empty for the directory's default.", Example: "authTimestamp", Type: kind.TypeText},
		{Name: "last_logon_precision", Label: "Last sign-in precision (seconds)", Help: "How stale the recorded time may be; empty for the default (14 days on AD).", Example: "1209600", Type: kind.TypeInt},
		{Name: "people_source", Label: "People source", Help: "Keep the personnel register from this directory's people (entries with a mail and a given name, not disabled). Off by default: directories hold service accounts. A disabled account never records a leaver's end date.", Type: kind.TypeBool},
		{Name: "ppolicy_default", Label: "Default password policy", Help: "The ppolicy overlay's default policy DN; empty reads it from cn=config, none says there is none.", Example: "cn=default,ou=policies,dc=acme,dc=com", Type: kind.TypeText},
	},
	Secret: kind.Field{Name: "secret", Label: "Bind password", Help: "The bind DN's password.", Type: kind.TypeText}}

// Info describes the kind for the pages and the CLI.
func (LDAP) Info() kind.Info { return Info }
