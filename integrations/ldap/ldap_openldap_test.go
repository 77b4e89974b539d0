package ldap

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/vigil-soc/vigil/integrations/integrationtest"
	"github.com/vigil-soc/vigil/integrations/kind"
	"github.com/vigil-soc/vigil/internal/ldaptest"
)

var ctx = integrationtest.Ctx

// ppolicyDirectory is an OpenLDAP directory with the ppolicy and lastbind
// overlays, loaded with slapadd so that creation and last-bind times can
// lie in the past. The policies follow slapo-ppolicy(5): "default" (the
// ppolicy_default) has pwdMaxAge 0, so its passwords never expire;
// "strict" expires after 90 days and locks for 10 minutes after 2 failed
// binds; "nolock" expires but has pwdLockout FALSE, so slapd enforces no
// pwdAccountLockedTime under it.
//
//	ann  strict, used yesterday: compliant (its own policy has a max age
//	     while the default has none)
//	ben  default policy: never expires
//	cal  strict, permanently locked (000001010000Z): disabled, and in
//	     admins through ops
//	dee  strict, locked by failed binds during the test: temporary, not
//	     disabled
//	eli  nolock, with 000001010000Z: slapd binds it, so not disabled
//	gus  strict, last bind 200 days ago: stale
//	hal  strict, created 5 days ago, never bound: inside the grace
//	ivy  strict, created 300 days ago, never bound: stale
//	jon  strict, no pwdChangedTime: never expires (slapo-ppolicy(5))
//
// Groups: admins (groupOfNames) = ann + ops; ops (groupOfUniqueNames) =
// cal (with an optional UID) + oncall; oncall (groupOfNames) = dee, eli
// and admins again (a cycle); helpdesk = dee, eli and the empty DN
// (the usual placeholder of an empty groupOfNames); dba (posixGroup) = jon
// and a memberUid that is nobody; audit (posixGroup) is empty.
func ppolicyDirectory(now time.Time) string {
	ago := func(days int) string {
		return now.Add(-time.Duration(days) * 24 * time.Hour).UTC().Format("20060102150405Z")
	}
	b := ldaptest.Base
	var l strings.Builder
	entry := func(dn string, lines ...string) {
		fmt.Fprintf(&l, "dn: %s\n%s\n\n", dn, strings.Join(lines, "\n"))
	}
	entry(b, "objectClass: dcObject", "objectClass: organization", "o: Acme", "dc: acme")
	for _, ou := range []string{"people", "groups", "policies"} {
		entry("ou="+ou+","+b, "objectClass: organizationalUnit", "ou: "+ou)
	}
	policy := func(cn string, lines ...string) {
		entry("cn="+cn+",ou=policies,"+b, append([]string{"objectClass: device", "objectClass: pwdPolicy", "cn: " + cn, "pwdAttribute: userPassword"}, lines...)...)
	}
	policy("default", "pwdMaxAge: 0", "pwdLockout: TRUE", "pwdMaxFailure: 2", "pwdLockoutDuration: 600")
	policy("strict", "pwdMaxAge: 7776000", "pwdLockout: TRUE", "pwdMaxFailure: 2", "pwdLockoutDuration: 600")
	policy("nolock", "pwdMaxAge: 7776000", "pwdLockout: FALSE")
	user := func(uid, pol string, created int, extra ...string) {
		lines := []string{"objectClass: inetOrgPerson", "uid: " + uid, "cn: " + uid, "sn: " + uid, "userPassword: pw-" + uid,
			"createTimestamp: " + ago(created)}
		if pol != "" {
			lines = append(lines, "pwdPolicySubentry: cn="+pol+",ou=policies,"+b)
		}
		entry("uid="+uid+",ou=people,"+b, append(lines, extra...)...)
	}
	user("ann", "strict", 400, "pwdChangedTime: "+ago(10), "authTimestamp: "+ago(1))
	user("ben", "", 400, "authTimestamp: "+ago(2))
	user("cal", "strict", 400, "pwdChangedTime: "+ago(100), "authTimestamp: "+ago(300), "pwdAccountLockedTime: 000001010000Z")
	user("dee", "strict", 400, "pwdChangedTime: "+ago(10), "authTimestamp: "+ago(1))
	user("eli", "nolock", 400, "pwdChangedTime: "+ago(10), "authTimestamp: "+ago(1), "pwdAccountLockedTime: 000001010000Z")
	user("gus", "strict", 400, "pwdChangedTime: "+ago(10), "authTimestamp: "+ago(200))
	user("hal", "strict", 5, "pwdChangedTime: "+ago(5))
	user("ivy", "strict", 300, "pwdChangedTime: "+ago(10))
	user("jon", "strict", 400, "authTimestamp: "+ago(1))
	entry("cn=reader,"+b, "objectClass: organizationalRole", "objectClass: simpleSecurityObject", "cn: reader", "userPassword: reader-secret")
	entry("cn=auditor,"+b, "objectClass: organizationalRole", "objectClass: simpleSecurityObject", "cn: auditor", "userPassword: auditor-secret")
	p := func(uid string) string { return "uid=" + uid + ",ou=people," + b }
	g := func(cn string) string { return "cn=" + cn + ",ou=groups," + b }
	entry(g("admins"), "objectClass: groupOfNames", "cn: admins", "member: "+p("ann"), "member: "+g("ops"))
	entry(g("ops"), "objectClass: groupOfUniqueNames", "cn: ops", "uniqueMember: "+p("cal")+"#'0101'B", "uniqueMember: "+g("oncall"))
	entry(g("oncall"), "objectClass: groupOfNames", "cn: oncall", "member: "+p("dee"), "member: "+p("eli"), "member: "+g("admins"))
	entry(g("helpdesk"), "objectClass: groupOfNames", "cn: helpdesk", "member: "+p("dee"), "member: "+p("eli"), "member:")
	entry(g("dba"), "objectClass: posixGroup", "cn: dba", "gidNumber: 2000", "memberUid: jon", "memberUid: ghost")
	entry(g("audit"), "objectClass: posixGroup", "cn: audit", "gidNumber: 2001")
	return l.String()
}

// readerACL hides pwdPolicySubentry and member from cn=reader, as a
// deployment's ACLs may from an audit account: the entries then read as
// if those attributes were absent.
var readerACL = []string{
	`access to attrs=pwdPolicySubentry by dn.exact="cn=reader,dc=acme,dc=test" none by * read`,
	`access to attrs=member by dn.exact="cn=reader,dc=acme,dc=test" none by * read`,
	`access to attrs=memberUid by dn.exact="cn=reader,dc=acme,dc=test" none by * read`,
	`access to attrs=authTimestamp,pwdAccountLockedTime by dn.exact="cn=reader,dc=acme,dc=test" none by * read`,
}

// TestLDAPOpenLDAPPolicies: real slapd with ppolicy and lastbind. Nested
// groups are expanded through groupOfNames, groupOfUniqueNames and
// posixGroup, the cycle ends and is reported, and the permanently locked
// admin inside a nested group is found while the temporarily locked one
// and the one whose lock slapd does not enforce are not; passwords that
// never expire are those of the default policy (pwdMaxAge 0) and the one
// without pwdChangedTime; stale accounts are the old last bind and the
// account never used after its grace. The old collector reported ops as
// an unknown user, never judged cal, and had no OpenLDAP expiry or
// staleness.
func TestLDAPOpenLDAPPolicies(t *testing.T) {
	now := time.Now()
	srv, err := ldaptest.StartWith(ldaptest.Options{PPolicy: true, PPolicyDefault: "cn=default,ou=policies," + ldaptest.Base,
		LastBind: true, ConfigReadable: true, Access: readerACL, LDIF: ppolicyDirectory(now)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	bind := func(uid, pw string) error {
		c, err := ldap.DialURL(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.Bind("uid="+uid+",ou=people,"+ldaptest.Base, pw)
	}
	// dee fails twice and is locked out (pwdMaxFailure 2); slapd then
	// refuses even the right password, for pwdLockoutDuration.
	bind("dee", "wrong")
	bind("dee", "wrong")
	if err := bind("dee", "pw-dee"); err == nil {
		t.Fatal("dee was not locked out after two failed binds")
	}
	// What slapd does with 000001010000Z: cal (pwdLockout TRUE) cannot
	// bind; eli (pwdLockout FALSE) can.
	if err := bind("cal", "pw-cal"); err == nil {
		t.Fatal("cal is permanently locked but binds")
	}
	if err := bind("eli", "pw-eli"); err != nil {
		t.Fatalf("eli's lock is not enforced by its policy, yet: %v", err)
	}

	collect := func(settings map[string]any, bindDN, pw string) map[string]any {
		t.Helper()
		settings["url"], settings["bind_dn"], settings["base_dn"] = srv.URL, bindDN, ldaptest.Base
		settings["privileged_groups"] = []string{"admins", "helpdesk", "dba", "audit"}
		cfg, _ := json.Marshal(settings)
		if err := (LDAP{}).Validate(cfg, pw); err != nil {
			t.Fatal(err)
		}
		in, err := LDAP{}.Collect(ctx, &kind.Run{Config: cfg, Secret: pw, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return in["ldap.directory"]
	}
	in := collect(map[string]any{}, ldaptest.Admin, ldaptest.Password)
	got, why := judgeLDAP(t, in)
	want := map[string]string{
		"ldap.privileged-disabled admins": "fail", "ldap.privileged-disabled helpdesk": "pass", "ldap.privileged-disabled dba": "fail",
		"ldap.privileged-size admins": "pass", "ldap.password-never-expires directory": "fail", "ldap.stale-accounts directory": "fail",
		"ldap.privileged-disabled audit": "pass", "ldap.privileged-size audit": "pass",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q (%s), want %s", k, got[k], why[k], v)
		}
	}
	r := why["ldap.privileged-disabled admins"]
	for _, s := range []string{"uid=cal", "permanently locked", "admins > ops", "nesting cycles: admins > ops > oncall > admins"} {
		if !strings.Contains(r, s) {
			t.Errorf("admins: %q does not say %q", r, s)
		}
	}
	for _, s := range []string{"cn=ops", "cn=oncall", "uid=dee", "uid=eli"} {
		if strings.Contains(r, s+",") || strings.Contains(r, s+" (") {
			t.Errorf("admins: %q lists %s", r, s)
		}
	}
	if r := why["ldap.privileged-disabled dba"]; !strings.Contains(r, "ghost") || strings.Contains(r, "jon") {
		t.Errorf("dba: %s", r)
	}
	var admins map[string]any
	for _, p := range in["privileged"].([]any) {
		if p.(map[string]any)["id"] == "admins" {
			admins = p.(map[string]any)
		}
	}
	locks := map[string]string{}
	members, _ := admins["members"].([]any)
	for _, m := range members {
		m, _ := m.(map[string]any)
		locks[fmt.Sprint(m["uid"])] = fmt.Sprint(m["lock"])
	}
	if nested, _ := admins["nested_groups"].([]any); fmt.Sprint(locks) != "map[ann: cal:permanent dee:temporary eli:not_enforced]" || len(nested) != 2 {
		t.Errorf("admins' effective members: %v, nested %v", locks, admins["nested_groups"])
	}
	if r := why["ldap.password-never-expires directory"]; !strings.HasPrefix(r, "2 enabled") || !strings.Contains(r, "ben (none") && !strings.Contains(r, "ben (cn=default") ||
		!strings.Contains(r, "jon (cn=strict") || !strings.Contains(r, "no pwdChangedTime") {
		t.Errorf("password-never-expires: %s", r)
	}
	if r := why["ldap.stale-accounts directory"]; !strings.HasPrefix(r, "2 enabled") || !strings.Contains(r, "gus (last sign-in 200 days ago)") ||
		!strings.Contains(r, "ivy (never signed in, created 300 days ago)") {
		t.Errorf("stale-accounts: %s", r)
	}

	// The default policy given in the settings instead of read from
	// cn=config: the same verdicts. "none" says there is no default, which
	// slapd reads as no policy at all: ben still never expires.
	for _, def := range []string{"cn=default,ou=policies," + ldaptest.Base, "none"} {
		got, why := judgeLDAP(t, collect(map[string]any{"ppolicy_default": def}, ldaptest.Admin, ldaptest.Password))
		if k := "ldap.password-never-expires directory"; got[k] != "fail" || !strings.Contains(why[k], "ben (") {
			t.Errorf("ppolicy_default %s: %s %s", def, got[k], why[k])
		}
	}

	// An audit account that may not read pwdPolicySubentry, member or
	// cn=config: every entry would look as if it had no policy of its
	// own and every groupOfNames as empty; the checks error, naming what
	// cannot be read.
	in = collect(map[string]any{}, "cn=reader,"+ldaptest.Base, "reader-secret")
	if u := in["users"].([]any)[0].(map[string]any); !strings.Contains(fmt.Sprint(u["status_error"]), "cannot read pwdAccountLockedTime") {
		t.Errorf("as reader, pwdAccountLockedTime hidden: %v", u)
	}
	got, why = judgeLDAP(t, in)
	for k, s := range map[string]string{
		"ldap.stale-accounts directory":         "cannot read authTimestamp",
		"ldap.password-never-expires directory": "cannot read pwdPolicySubentry",
		"ldap.privileged-disabled admins":       "shows no member",
		"ldap.privileged-size admins":           "shows no member",
		"ldap.privileged-size helpdesk":         "shows no member",
		"ldap.privileged-size dba":              "cannot read memberUid",
	} {
		if got[k] != "error" || !strings.Contains(why[k], s) {
			t.Errorf("as reader, %s: %s %s, want an error saying %q", k, got[k], why[k], s)
		}
	}
	// Without cn=config and without ppolicy_default, the default policy
	// is unknown: an error naming ppolicy_default for the entries without
	// their own policy.
	got, why = judgeLDAP(t, collect(map[string]any{}, "cn=auditor,"+ldaptest.Base, "auditor-secret"))
	if k := "ldap.password-never-expires directory"; got[k] != "error" || !strings.Contains(why[k], "ppolicy_default") || !strings.Contains(why[k], "ben") {
		t.Errorf("default policy unknown: %s %s", got[k], why[k])
	}
	if k := "ldap.privileged-disabled admins"; got[k] != "fail" {
		t.Errorf("as auditor, %s: %s %s", k, got[k], why[k])
	}
}

// TestLDAPLastSuccess: slapd 2.5's own "lastbind on" keeps pwdLastSuccess (the
// directory also has the lastbind overlay, whose schema its entries use);
// with last_logon_attribute pwdLastSuccess a bind is seen, and without the
// option no entry has it, which is an error naming it.
func TestLDAPLastSuccess(t *testing.T) {
	for _, on := range []bool{true, false} {
		srv, err := ldaptest.StartWith(ldaptest.Options{PPolicy: true, LastBind: true, LastSuccess: on, LDIF: ppolicyDirectory(time.Now())})
		if err != nil {
			t.Fatal(err)
		}
		c, err := ldap.DialURL(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Bind("uid=ann,ou=people,"+ldaptest.Base, "pw-ann"); err != nil {
			t.Fatal(err)
		}
		c.Close()
		cfg, _ := json.Marshal(map[string]any{"url": srv.URL, "bind_dn": ldaptest.Admin, "base_dn": ldaptest.Base, "last_logon_attribute": "pwdLastSuccess"})
		in, err := LDAP{}.Collect(ctx, &kind.Run{Config: cfg, Secret: ldaptest.Password, Now: time.Now()})
		srv.Stop()
		if err != nil {
			t.Fatal(err)
		}
		d := in["ldap.directory"]
		var ann map[string]any
		for _, u := range d["users"].([]any) {
			if u.(map[string]any)["uid"] == "ann" {
				ann = u.(map[string]any)
			}
		}
		got, why := judgeLDAP(t, d)
		switch {
		case on && (ann["last_logon"] == nil || got["ldap.stale-accounts directory"] == "error"):
			t.Errorf("lastbind on: ann %v; %s", ann, why["ldap.stale-accounts directory"])
		case !on && (got["ldap.stale-accounts directory"] != "error" || !strings.Contains(why["ldap.stale-accounts directory"], "no account has pwdLastSuccess")):
			t.Errorf("lastbind off: %s %s", got["ldap.stale-accounts directory"], why["ldap.stale-accounts directory"])
		}
	}
}

// TestLDAPSettings: the new settings are checked, and the vendors' time
// formats read.
func TestLDAPSettings(t *testing.T) {
	base := `"url": "ldaps://dc.example:636", "base_dn": "dc=example"`
	for cfg, field := range map[string]string{
		`{` + base + `, "flavor": "ad", "last_logon_attribute": "authTimestamp"}`:   "config.last_logon_attribute",
		`{` + base + `, "last_logon_attribute": "lastLogonTimestamp"}`:              "config.last_logon_attribute",
		`{` + base + `, "last_logon_precision": -1}`:                                "config.last_logon_precision",
		`{` + base + `, "ppolicy_default": "not a dn"}`:                             "config.ppolicy_default",
		`{` + base + `, "ppolicy_default": "cn=default,ou=policies,dc=example"}`:    "",
		`{` + base + `, "ppolicy_default": "none", "last_logon_precision": 604800}`: "",
	} {
		err := LDAP{}.Validate([]byte(cfg), "")
		if (field == "") != (err == nil) || (err != nil && !strings.Contains(fmt.Sprintf("%#v", err), field)) {
			t.Errorf("%s: %v, want %q", cfg, err, field)
		}
	}
	for s, want := range map[string]string{
		"20261207084956Z":        "2026-12-07T08:49:56Z",
		"20261207084956.001446Z": "2026-12-07T08:49:56.001446Z",
		"20240101120000.0Z":      "2024-01-01T12:00:00Z",
		"202401011200-0130":      "2024-01-01T13:30:00Z",
		"000001010000Z":          "0000-01-01T00:00:00Z",
		"yesterday":              "",
	} {
		got := ""
		if t := ldapParseGeneralizedTime(s); t.ok {
			got = t.Format(time.RFC3339Nano)
		}
		if got != want {
			t.Errorf("%s: %q, want %q", s, got, want)
		}
	}
	for s, want := range map[string]string{"133000000000000000": "2022-06-18T04:26:40Z", "0": "", "9223372036854775807": ""} {
		got := ""
		if t := ldapParseFiletime(s); t.ok {
			got = t.Format(time.RFC3339)
		}
		if got != want {
			t.Errorf("FILETIME %s: %q, want %q", s, got, want)
		}
	}
}
