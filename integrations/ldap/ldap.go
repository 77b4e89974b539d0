// Package ldap is the ldap integration kind: accounts and privileged
// groups of an OpenLDAP directory or Active Directory, with their
// password policies and last sign-in.
package ldap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// LDAP reads a directory (OpenLDAP or Active Directory): its users, which
// are disabled or locked, whose passwords never expire, when each last
// signed in, and the effective members of the privileged groups (nested
// groups expanded). The bind password is the secret. How each vendor's
// attributes are read is in ldap_account.go (accounts) and ldap_groups.go
// (membership).
type LDAP struct{}

type ldapConfig struct {
	URL              string   `json:"url"` // ldap://host:389 or ldaps://host:636
	StartTLS         bool     `json:"start_tls"`
	CAFile           string   `json:"ca_file"`
	BindDN           string   `json:"bind_dn"`
	BaseDN           string   `json:"base_dn"`
	UserFilter       string   `json:"user_filter"`
	GroupFilter      string   `json:"group_filter"`
	PrivilegedGroups []string `json:"privileged_groups"` // group names (cn) or DNs
	Flavor           string   `json:"flavor"`            // openldap or ad
	// PPolicyDefault is the ppolicy overlay's ppolicy_default: the policy
	// of entries without pwdPolicySubentry. "" reads it from cn=config
	// (when the bind DN may); "none" says there is no default.
	PPolicyDefault string `json:"ppolicy_default"`
	// LastLogonAttribute says where the last sign-in is recorded:
	// authTimestamp (slapo-lastbind), pwdLastSuccess (slapd 2.5's
	// "lastbind on") or lastLogonTimestamp (Active Directory).
	LastLogonAttribute string `json:"last_logon_attribute"`
	// LastLogonPrecision (seconds) is how stale the recorded time may be
	// while the account was used: lastbind-precision, or Active
	// Directory's ms-DS-Logon-Time-Sync-Interval (14 days by default).
	LastLogonPrecision *int64 `json:"last_logon_precision"`
	// PeopleSource makes the directory's people the personnel register's
	// (off by default: directories hold service accounts too).
	PeopleSource bool `json:"people_source"`
}

// Name is the kind's name.
func (LDAP) Name() string { return "ldap" }

func parseLDAP(raw json.RawMessage) (*ldapConfig, error) {
	var c ldapConfig
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, vigil.FieldError("config", "ldap settings: %v", err)
	}
	if c.Flavor == "" {
		c.Flavor = "openldap"
	}
	if c.UserFilter == "" {
		c.UserFilter = map[string]string{"ad": "(&(objectCategory=person)(objectClass=user))", "openldap": "(|(objectClass=inetOrgPerson)(objectClass=posixAccount))"}[c.Flavor]
	}
	if c.GroupFilter == "" {
		c.GroupFilter = "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup)(objectClass=group))"
	}
	if c.LastLogonAttribute == "" {
		c.LastLogonAttribute = map[string]string{"ad": "lastLogonTimestamp", "openldap": "authTimestamp"}[c.Flavor]
	}
	if c.LastLogonPrecision == nil {
		p := int64(0)
		if c.Flavor == "ad" {
			// lastLogonTimestamp is rewritten only when the stored value is
			// older than ms-DS-Logon-Time-Sync-Interval (14 days) less a
			// random 0-5 days: it may lag the real sign-in by 14 days.
			p = 14 * 86400
		}
		c.LastLogonPrecision = &p
	}
	return &c, nil
}

// Validate checks the settings.
func (LDAP) Validate(raw json.RawMessage, secretText string) error {
	c, err := parseLDAP(raw)
	if err != nil {
		return err
	}
	u, err := url.Parse(c.URL)
	switch {
	case err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "":
		return vigil.FieldError("config.url", "url must be ldap://host:port or ldaps://host:port")
	case c.BaseDN == "":
		return vigil.FieldError("config.base_dn", "base_dn is required, e.g. dc=acme,dc=com")
	case c.Flavor != "openldap" && c.Flavor != "ad":
		return vigil.FieldError("config.flavor", "flavor is openldap or ad")
	case c.BindDN != "" && secretText == "":
		return vigil.FieldError("secret", "bind_dn needs its password as the secret")
	case c.BindDN != "" && u.Scheme == "ldap" && !c.StartTLS && !kind.LoopbackHost(u.Hostname()):
		return vigil.FieldError("config.url", "binding with a password over plain ldap:// would send it in clear: use ldaps:// or start_tls")
	case c.Flavor == "ad" && c.LastLogonAttribute != "lastLogonTimestamp":
		return vigil.FieldError("config.last_logon_attribute", "Active Directory records the last sign-in in lastLogonTimestamp")
	case c.Flavor == "openldap" && c.LastLogonAttribute != "authTimestamp" && c.LastLogonAttribute != "pwdLastSuccess":
		return vigil.FieldError("config.last_logon_attribute", "OpenLDAP records the last bind in authTimestamp (lastbind overlay) or pwdLastSuccess (lastbind on)")
	case *c.LastLogonPrecision < 0:
		return vigil.FieldError("config.last_logon_precision", "last_logon_precision is a number of seconds, 0 or more")
	}
	if c.PPolicyDefault != "" && c.PPolicyDefault != "none" {
		if _, err := ldap.ParseDN(c.PPolicyDefault); err != nil {
			return vigil.FieldError("config.ppolicy_default", "ppolicy_default is the default policy's DN, or none: %v", err)
		}
	}
	if _, err := ldap.CompileFilter(c.UserFilter); err != nil {
		return vigil.FieldError("config.user_filter", "user_filter: %v", err)
	}
	if _, err := ldap.CompileFilter(c.GroupFilter); err != nil {
		return vigil.FieldError("config.group_filter", "group_filter: %v", err)
	}
	return nil
}

func (LDAP) connect(ctx context.Context, r *kind.Run) (*ldap.Conn, *ldapConfig, error) {
	c, err := parseLDAP(r.Config)
	if err != nil {
		return nil, nil, err
	}
	u, _ := url.Parse(c.URL)
	tcfg := &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, nil, fmt.Errorf("ca_file: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("ca_file %s holds no PEM certificate", c.CAFile)
		}
		tcfg.RootCAs = pool
	}
	conn, err := ldap.DialURL(c.URL, ldap.DialWithTLSConfig(tcfg))
	if err != nil {
		return nil, nil, fmt.Errorf("cannot connect to %s: %v", c.URL, err)
	}
	conn.SetTimeout(30 * time.Second)
	if c.StartTLS {
		if err := conn.StartTLS(tcfg); err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("StartTLS with %s: %v", c.URL, err)
		}
	}
	if c.BindDN != "" {
		if err := conn.Bind(c.BindDN, r.Secret); err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("bind as %s refused: %v", c.BindDN, err)
		}
	}
	return conn, c, nil
}

// Test binds and reads the base entry.
func (l LDAP) Test(ctx context.Context, r *kind.Run) error {
	conn, c, err := l.connect(ctx, r)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Search(ldap.NewSearchRequest(c.BaseDN, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 10, false, "(objectClass=*)", []string{"dn"}, nil))
	if err != nil {
		return fmt.Errorf("reading %s: %v", c.BaseDN, err)
	}
	return nil
}

// ldapDirectory is what the collector asks of a directory: *ldap.Conn,
// or in tests a replay of entries shaped like Active Directory's (which
// cannot run here).
type ldapDirectory interface {
	Search(*ldap.SearchRequest) (*ldap.SearchResult, error)
	SearchWithPaging(*ldap.SearchRequest, uint32) (*ldap.SearchResult, error)
	Compare(dn, attribute, value string) (bool, error)
}

// Collect reads users and groups with paged searches.
func (l LDAP) Collect(ctx context.Context, r *kind.Run) (map[string]map[string]any, error) {
	conn, c, err := l.connect(ctx, r)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	in, err := collectLDAP(conn, c, r.Now)
	if err != nil {
		return nil, err
	}
	r.Artifacts = append(r.Artifacts, kind.UserList("directory users and privileged groups", in))
	r.Accounts, r.AccountsListed = ldapAccountList(in), true
	if c.PeopleSource {
		if r.People, err = ldapPeople(conn, c, in); err != nil {
			return nil, err
		}
		r.PeopleListed = true
	}
	return map[string]map[string]any{"ldap.directory": in}, nil
}

// ldapPeople reads, when the directory is a people source, the people
// among its accounts: entries with a mail and a givenName (a service
// account seldom has a given name; sn is no sign, inetOrgPerson requires
// it), whose account is not disabled. A disabled account gives no end date: disabling is
// not a termination (it may be leave, or a lock), and the register's
// end date is the HR fact. A person whose account is disabled drops off
// the listing, which the run reports so someone records the leaver.
func ldapPeople(d ldapDirectory, c *ldapConfig, in map[string]any) ([]vigil.Person, error) {
	disabled := map[string]bool{}
	for _, u := range in["users"].([]any) {
		u := u.(map[string]any)
		if u["disabled"] == true {
			disabled[ldapDNKey(fmt.Sprint(u["id"]))] = true
		}
	}
	res, err := d.SearchWithPaging(ldap.NewSearchRequest(c.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false, c.UserFilter,
		[]string{"mail", "cn", "displayName", "givenName", "sn", "title", "department", "departmentNumber"}, nil), 500)
	if err != nil {
		return nil, fmt.Errorf("searching people under %s: %v", c.BaseDN, err)
	}
	var out []vigil.Person
	for _, e := range res.Entries {
		mail := e.GetAttributeValue("mail")
		given, sn := e.GetAttributeValue("givenName"), e.GetAttributeValue("sn")
		if mail == "" || given == "" || disabled[ldapDNKey(e.DN)] {
			continue
		}
		p := vigil.Person{Email: mail, Title: e.GetAttributeValue("title")}
		for _, n := range []string{e.GetAttributeValue("displayName"), strings.TrimSpace(given + " " + sn), e.GetAttributeValue("cn")} {
			if p.Name == "" {
				p.Name = n
			}
		}
		// Active Directory's department; inetOrgPerson's departmentNumber.
		if p.Department = e.GetAttributeValue("department"); p.Department == "" {
			p.Department = e.GetAttributeValue("departmentNumber")
		}
		out = append(out, p)
	}
	return out, nil
}

// collectLDAP builds the ldap.directory input:
//
//	{flavor, now (unix s), user_count, users: [USER], privileged: [GROUP],
//	 password_error, logon_attribute, logon_precision (s), logon_error}
//
// USER: {id: DN, uid, mail, disabled, disabled_reason, lock, status_error,
// password_never_expires, password_policy, password_error, last_logon
// (unix s | null), created (unix s | null), idle_days (days since
// last_logon less logon_precision | null), age_days (since created |
// null), logon_error}. Every field is
// always there with its type; what could not be judged is said in the
// *_error strings ("" when fine), so a check errors by name instead of
// tripping over a null.
//
// GROUP: {id, dn, members: [{dn, uid, known, disabled, disabled_reason,
// lock, via}], nested_groups: [DN], cycles: ["A > B > A"], status_error}
// or {id, error}. members are the effective members: nested groups are
// expanded (and are not members themselves), each account once.
func collectLDAP(d ldapDirectory, c *ldapConfig, now time.Time) (map[string]any, error) {
	a := &ldapAccounts{d: d, c: c, now: now, policies: map[string]*ldapPPolicy{}}
	if err := a.read(); err != nil {
		return nil, err
	}
	g := &ldapGroups{d: d, c: c, acc: a}
	privileged, err := g.privileged()
	if err != nil {
		return nil, err
	}
	users := make([]any, 0, len(a.users))
	for _, u := range a.users {
		users = append(users, u.m)
	}
	return map[string]any{
		"flavor": c.Flavor, "now": now.Unix(), "users": users, "user_count": len(users), "privileged": kind.NonNil(privileged),
		"password_error": a.passwordError, "logon_attribute": c.LastLogonAttribute, "logon_precision": *c.LastLogonPrecision,
		"logon_error": a.logonError,
	}, nil
}

// ldapAccountList is the directory's accounts for offboarding: an account
// whose status could not be read is unknown, never active or disabled;
// members of the privileged groups are privileged, and when a privileged
// group could not be read every account is (the shorter deadline).
func ldapAccountList(in map[string]any) []vigil.Account {
	priv, allPriv := map[string]bool{}, false
	for _, g := range in["privileged"].([]any) {
		g := g.(map[string]any)
		if _, bad := g["error"]; bad || g["status_error"] != "" {
			allPriv = true
		}
		ms, _ := g["members"].([]any)
		for _, m := range ms {
			priv[ldapDNKey(m.(map[string]any)["dn"].(string))] = true
		}
	}
	var out []vigil.Account
	for _, u := range in["users"].([]any) {
		u := u.(map[string]any)
		dn, _ := u["id"].(string)
		a := vigil.Account{ExternalID: dn, State: vigil.AccountActive, Privileged: allPriv || priv[ldapDNKey(dn)]}
		a.Username, _ = u["uid"].(string)
		a.Email, _ = u["mail"].(string)
		switch {
		case u["status_error"] != "":
			a.State, a.StateReason = vigil.AccountUnknown, fmt.Sprint(u["status_error"])
		case u["disabled"] == true:
			a.State, a.StateReason = vigil.AccountDisabled, fmt.Sprint(u["disabled_reason"])
		}
		out = append(out, a)
	}
	return out
}
