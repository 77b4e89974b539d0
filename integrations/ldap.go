package integrations

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/vigil-soc/vigil"
)

// LDAP reads a directory (OpenLDAP or Active Directory): its users, which
// are disabled, whose passwords never expire, and the members of the
// privileged groups. The bind password is the secret.
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
	case c.BindDN != "" && u.Scheme == "ldap" && !c.StartTLS && !loopbackHost(u.Hostname()):
		return vigil.FieldError("config.url", "binding with a password over plain ldap:// would send it in clear: use ldaps:// or start_tls")
	}
	if _, err := ldap.CompileFilter(c.UserFilter); err != nil {
		return vigil.FieldError("config.user_filter", "user_filter: %v", err)
	}
	if _, err := ldap.CompileFilter(c.GroupFilter); err != nil {
		return vigil.FieldError("config.group_filter", "group_filter: %v", err)
	}
	return nil
}

func (LDAP) connect(ctx context.Context, r *Run) (*ldap.Conn, *ldapConfig, error) {
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
func (l LDAP) Test(ctx context.Context, r *Run) error {
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

// Collect reads users and groups with paged searches.
func (l LDAP) Collect(ctx context.Context, r *Run) (map[string]map[string]any, error) {
	conn, c, err := l.connect(ctx, r)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	attrs := []string{"uid", "sAMAccountName", "mail", "cn", "userAccountControl", "pwdAccountLockedTime", "shadowExpire", "lastLogonTimestamp"}
	res, err := conn.SearchWithPaging(ldap.NewSearchRequest(c.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false, c.UserFilter, attrs, nil), 500)
	if err != nil {
		return nil, fmt.Errorf("searching users under %s: %v", c.BaseDN, err)
	}
	today := int(r.Now.Unix() / 86400)
	users := make([]any, 0, len(res.Entries))
	byDN := map[string]map[string]any{}
	byUID := map[string]string{}
	for _, e := range res.Entries {
		uid := e.GetAttributeValue("uid")
		if uid == "" {
			uid = e.GetAttributeValue("sAMAccountName")
		}
		u := map[string]any{"id": e.DN, "uid": uid, "mail": e.GetAttributeValue("mail"), "disabled": false, "password_never_expires": nil}
		if v := e.GetAttributeValue("userAccountControl"); v != "" {
			uac, _ := strconv.Atoi(v)
			u["disabled"] = uac&0x2 != 0
			u["password_never_expires"] = uac&0x10000 != 0
		} else if c.Flavor == "ad" {
			// Active Directory always has it: unreadable means unknown.
			u["disabled"] = nil
		}
		if e.GetAttributeValue("pwdAccountLockedTime") != "" {
			u["disabled"] = true
		}
		if v := e.GetAttributeValue("shadowExpire"); v != "" {
			if d, err := strconv.Atoi(v); err == nil && d >= 0 && d <= today {
				u["disabled"] = true
			}
		}
		users = append(users, u)
		byDN[strings.ToLower(e.DN)] = u
		if uid != "" {
			byUID[uid] = e.DN
		}
	}
	gres, err := conn.SearchWithPaging(ldap.NewSearchRequest(c.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false, c.GroupFilter,
		[]string{"cn", "member", "uniqueMember", "memberUid"}, nil), 500)
	if err != nil {
		return nil, fmt.Errorf("searching groups under %s: %v", c.BaseDN, err)
	}
	groups := map[string]*ldap.Entry{}
	dupes := map[string]bool{}
	for _, g := range gres.Entries {
		groups[strings.ToLower(g.DN)] = g
		cn := strings.ToLower(g.GetAttributeValue("cn"))
		if _, seen := groups[cn]; seen {
			dupes[cn] = true
		}
		groups[cn] = g
	}
	var privileged []any
	for _, want := range c.PrivilegedGroups {
		p := map[string]any{"id": want}
		g := groups[strings.ToLower(want)]
		if dupes[strings.ToLower(want)] {
			p["error"] = "more than one group is named " + want + ": give its DN"
			privileged = append(privileged, p)
			continue
		}
		ranged := false
		if g != nil {
			for _, a := range g.Attributes {
				ranged = ranged || strings.Contains(strings.ToLower(a.Name), ";range=")
			}
		}
		if ranged {
			// Active Directory returns large groups in ranges: reading the
			// first range only would miss members.
			p["error"] = "group " + want + " has more members than one answer holds (ranged retrieval); its members cannot be listed completely"
			privileged = append(privileged, p)
			continue
		}
		if g == nil {
			p["error"] = "privileged group " + want + " was not found under " + c.BaseDN + " with the group filter"
			privileged = append(privileged, p)
			continue
		}
		members := []any{}
		dns := append(append(g.GetAttributeValues("member"), g.GetAttributeValues("uniqueMember")...), []string{}...)
		for _, m := range g.GetAttributeValues("memberUid") {
			if dn, ok := byUID[m]; ok {
				dns = append(dns, dn)
			} else {
				dns = append(dns, "uid="+m+" (no such user)")
			}
		}
		sort.Strings(dns)
		for _, dn := range dns {
			m := map[string]any{"dn": dn, "disabled": false, "known": false}
			if u := byDN[strings.ToLower(dn)]; u != nil {
				m["disabled"], m["known"], m["uid"] = u["disabled"], true, u["uid"]
			}
			members = append(members, m)
		}
		p["dn"], p["members"] = g.DN, members
		privileged = append(privileged, p)
	}
	in := map[string]any{"flavor": c.Flavor, "users": users, "user_count": len(users), "privileged": nonNil(privileged)}
	r.Artifacts = append(r.Artifacts, userList("directory users and privileged groups", in))
	return map[string]map[string]any{"ldap.directory": in}, nil
}
