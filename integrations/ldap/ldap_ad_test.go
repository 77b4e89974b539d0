package ldap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// adReplay answers the collector's searches from entries shaped like
// Active Directory's, which cannot run here: a root DSE with
// defaultNamingContext, the domain object's maxPwdAge and lockoutDuration,
// only the attributes asked for (constructed ones such as
// msDS-ResultantPSO included only then), and multi-valued member returned
// in ranges of maxValRange values as AD does beyond MaxValRange
// (member;range=0-2, then member;range=3-* asked for, answered
// member;range=3-5 ... member;range=6-*).
type adReplay struct {
	c             *ldapConfig
	root          *ldap.Entry
	byDN          map[string]*ldap.Entry
	users, groups []*ldap.Entry
	maxValRange   int
}

func (f *adReplay) add(dn string, kind string, attrs map[string][]string) *ldap.Entry {
	e := ldap.NewEntry(dn, attrs)
	f.byDN[ldapDNKey(dn)] = e
	switch kind {
	case "user":
		f.users = append(f.users, e)
	case "group":
		f.groups = append(f.groups, e)
	}
	return e
}

// project gives the attributes asked for, ranged as AD ranges them.
func (f *adReplay) project(e *ldap.Entry, attrs []string) *ldap.Entry {
	out := &ldap.Entry{DN: e.DN}
	for _, want := range attrs {
		name, rng, ranged := strings.Cut(want, ";range=")
		for _, a := range e.Attributes {
			if !strings.EqualFold(a.Name, name) {
				continue
			}
			vals := a.Values
			if !strings.EqualFold(name, "member") || (!ranged && len(vals) <= f.maxValRange) {
				out.Attributes = append(out.Attributes, &ldap.EntryAttribute{Name: a.Name, Values: vals, ByteValues: a.ByteValues})
				continue
			}
			lo := 0
			if ranged {
				lo, _ = strconv.Atoi(strings.TrimSuffix(rng, "-*"))
			}
			hi := lo + f.maxValRange
			label := fmt.Sprintf("%s;range=%d-%d", a.Name, lo, hi-1)
			if hi >= len(vals) {
				hi, label = len(vals), fmt.Sprintf("%s;range=%d-*", a.Name, lo)
			}
			out.Attributes = append(out.Attributes, &ldap.EntryAttribute{Name: label, Values: vals[lo:hi]})
		}
	}
	return out
}

func (f *adReplay) Search(req *ldap.SearchRequest) (*ldap.SearchResult, error) {
	var from []*ldap.Entry
	switch {
	case req.BaseDN == "" && req.Scope == ldap.ScopeBaseObject:
		from = []*ldap.Entry{f.root}
	case req.Scope == ldap.ScopeSingleLevel:
		if f.byDN[ldapDNKey(req.BaseDN)] == nil {
			return nil, ldap.NewError(ldap.LDAPResultNoSuchObject, errors.New("no such object"))
		}
		for k, e := range f.byDN {
			if ldapDNParent(k) == ldapDNKey(req.BaseDN) {
				from = append(from, e)
			}
		}
	case req.Scope == ldap.ScopeBaseObject:
		e := f.byDN[ldapDNKey(req.BaseDN)]
		if e == nil {
			return nil, ldap.NewError(ldap.LDAPResultNoSuchObject, errors.New("no such object"))
		}
		from = []*ldap.Entry{e}
	case req.Filter == f.c.UserFilter:
		from = f.users
	case req.Filter == f.c.GroupFilter:
		from = f.groups
	default:
		return nil, fmt.Errorf("the replay has no answer for %s %q", req.BaseDN, req.Filter)
	}
	res := &ldap.SearchResult{}
	for _, e := range from {
		res.Entries = append(res.Entries, f.project(e, req.Attributes))
	}
	return res, nil
}

func (f *adReplay) SearchWithPaging(req *ldap.SearchRequest, _ uint32) (*ldap.SearchResult, error) {
	return f.Search(req)
}

func (f *adReplay) Compare(string, string, string) (bool, error) {
	return false, errors.New("not used for Active Directory")
}

// adSID is a domain SID S-1-5-21-1-2-3-RID in its binary form.
func adSID(rid uint32) string {
	b := []byte{1, 5, 0, 0, 0, 0, 0, 5}
	for _, v := range []uint32{21, 1, 2, 3, rid} {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return string(b)
}

// filetime is AD's FILETIME for t (100 ns since 1601).
func filetime(t time.Time) string {
	return strconv.FormatInt((t.Unix()+ldapFiletimeEpochGap)*1e7, 10)
}

// adDomain: Domain Admins (RID 512) holds alice, ivan (locked out five
// minutes ago: temporary) and the group Tier0, whose seven members come in
// three ranges: bob (disabled, and "password never expires" that does not
// count while disabled), carol (DONT_EXPIRE_PASSWORD), four others and
// the group Tier0-Ops, which holds hank (accountExpires passed) and
// Domain Admins again (a cycle). gina is a member only through
// primaryGroupID 512, which AD never lists in member. dave's resultant
// fine-grained policy has no maximum age. erin signed in 100 days ago as
// lastLogonTimestamp says, within its 14-day lag of 90 days; frank 120.
func adDomain(now time.Time) *adReplay {
	c, _ := parseLDAP([]byte(`{"url": "ldaps://dc.corp.example", "base_dn": "DC=corp,DC=example", "flavor": "ad", "privileged_groups": ["Domain Admins", "Administrators"]}`))
	f := &adReplay{c: c, byDN: map[string]*ldap.Entry{}, maxValRange: 3}
	f.root = ldap.NewEntry("", map[string][]string{"defaultNamingContext": {"DC=corp,DC=example"}, "supportedControl": {"1.2.840.113556.1.4.319", "1.2.840.113556.1.4.1941"}})
	f.add("DC=corp,DC=example", "", map[string][]string{"objectClass": {"top", "domain", "domainDNS"},
		"maxPwdAge": {"-36288000000000"}, "lockoutDuration": {"-18000000000"}})
	f.add("CN=Password Settings Container,CN=System,DC=corp,DC=example", "", map[string][]string{"objectClass": {"msDS-PasswordSettingsContainer"}})
	f.add("CN=NoExpiry,CN=Password Settings Container,CN=System,DC=corp,DC=example", "", map[string][]string{
		"objectClass": {"msDS-PasswordSettings"}, "msDS-MaximumPasswordAge": {"-9223372036854775808"}})
	days := func(n int) time.Time { return now.Add(-time.Duration(n) * 24 * time.Hour) }
	user := func(name, uac string, extra map[string][]string) string {
		dn := "CN=" + name + ",OU=Staff,DC=corp,DC=example"
		attrs := map[string][]string{"objectClass": {"top", "person", "organizationalPerson", "user"}, "objectCategory": {"CN=Person,CN=Schema,CN=Configuration,DC=corp,DC=example"},
			"cn": {name}, "sAMAccountName": {strings.ToLower(name)}, "userAccountControl": {uac}, "primaryGroupID": {"513"},
			"whenCreated": {days(400).UTC().Format("20060102150405") + ".0Z"}, "lastLogonTimestamp": {filetime(days(1))},
			"accountExpires": {"9223372036854775807"}, "pwdLastSet": {filetime(days(10))}}
		for k, v := range extra {
			attrs[k] = v
		}
		if uac == "" {
			delete(attrs, "userAccountControl")
		}
		f.add(dn, "user", attrs)
		return dn
	}
	alice := user("Alice", "512", nil)
	bob := user("Bob", "66050", nil)
	carol := user("Carol", "66048", nil)
	user("Dave", "512", map[string][]string{"msDS-ResultantPSO": {"CN=NoExpiry,CN=Password Settings Container,CN=System,DC=corp,DC=example"}})
	user("Erin", "512", map[string][]string{"lastLogonTimestamp": {filetime(days(100))}})
	user("Frank", "512", map[string][]string{"lastLogonTimestamp": {filetime(days(120))}})
	user("Gina", "512", map[string][]string{"primaryGroupID": {"512"}})
	hank := user("Hank", "512", map[string][]string{"accountExpires": {filetime(days(3))}})
	ivan := user("Ivan", "512", map[string][]string{"lockoutTime": {filetime(now.Add(-5 * time.Minute))}})
	var fill []string
	for i := range 4 {
		fill = append(fill, user(fmt.Sprintf("Op%d", i), "512", nil))
	}
	group := func(name string, rid uint32, members ...string) string {
		dn := "CN=" + name + ",CN=Users,DC=corp,DC=example"
		e := f.add(dn, "group", map[string][]string{"objectClass": {"top", "group"}, "cn": {name}, "member": members})
		sid := adSID(rid)
		e.Attributes = append(e.Attributes, &ldap.EntryAttribute{Name: "objectSid", Values: []string{sid}, ByteValues: [][]byte{[]byte(sid)}})
		return dn
	}
	da := "CN=Domain Admins,CN=Users,DC=corp,DC=example"
	ops := group("Tier0-Ops", 1105, hank, da)
	tier0 := group("Tier0", 1104, append([]string{bob, carol, ops}, fill...)...)
	group("Domain Admins", 512, alice, ivan, tier0)
	group("Domain Users", 513)
	// A builtin group's SID (S-1-5-32-544) is no domain group: Zoe's
	// primaryGroupID 544 makes her no member of it.
	admin := f.add("CN=Administrators,CN=Builtin,DC=corp,DC=example", "group", map[string][]string{"objectClass": {"top", "group"}, "cn": {"Administrators"}, "member": {alice}})
	builtin := string([]byte{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 2, 0, 0})
	admin.Attributes = append(admin.Attributes, &ldap.EntryAttribute{Name: "objectSid", Values: []string{builtin}, ByteValues: [][]byte{[]byte(builtin)}})
	user("Zoe", "512", map[string][]string{"primaryGroupID": {"544"}})
	return f
}

// TestLDAPActiveDirectory: nested groups through member with ranged
// retrieval, the cycle, primaryGroupID members, ACCOUNTDISABLE and
// accountExpires, a temporary lockout, DONT_EXPIRE_PASSWORD and a
// fine-grained policy without maximum age, and lastLogonTimestamp's lag.
// The old collector reported Tier0 as an unknown user (and a ranged
// privileged group as an error), never saw gina, and judged expiry by the
// flag alone.
func TestLDAPActiveDirectory(t *testing.T) {
	now := time.Now()
	f := adDomain(now)
	in, err := collectLDAP(f, f.c, now)
	if err != nil {
		t.Fatal(err)
	}
	got, why := judgeLDAP(t, in)
	want := map[string]string{
		"ldap.privileged-disabled Domain Admins": "fail", "ldap.privileged-size Domain Admins": "fail",
		"ldap.password-never-expires directory": "fail", "ldap.stale-accounts directory": "fail",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q (%s), want %s", k, got[k], why[k], v)
		}
	}
	r := why["ldap.privileged-disabled Domain Admins"]
	for _, s := range []string{"CN=Bob,OU=Staff,DC=corp,DC=example (disabled: ACCOUNTDISABLE (userAccountControl)) via Domain Admins > Tier0",
		"CN=Hank,OU=Staff,DC=corp,DC=example (disabled: accountExpires has passed) via Domain Admins > Tier0 > Tier0-Ops",
		"nesting cycles: Domain Admins > Tier0 > Tier0-Ops > Domain Admins"} {
		if !strings.Contains(r, s) {
			t.Errorf("privileged-disabled: %q does not say %q", r, s)
		}
	}
	if strings.Contains(r, "Ivan") || strings.Contains(r, "CN=Tier0,") {
		t.Errorf("privileged-disabled: %s", r)
	}
	if r := why["ldap.privileged-size Domain Admins"]; !strings.HasPrefix(r, "Domain Admins has 10 effective members (through 2 nested groups)") {
		t.Errorf("privileged-size: %s", r)
	}
	var da map[string]any
	for _, p := range in["privileged"].([]any) {
		switch p := p.(map[string]any); p["id"] {
		case "Domain Admins":
			da = p
		case "Administrators":
			if n := len(p["members"].([]any)); n != 1 {
				t.Errorf("builtin Administrators has %d members: %v", n, p["members"])
			}
		}
	}
	found := false
	for _, m := range da["members"].([]any) {
		m := m.(map[string]any)
		found = found || (m["uid"] == "gina" && m["via"] == "Domain Admins (primaryGroupID)")
	}
	if !found {
		t.Errorf("gina (primaryGroupID 512) is not a member: %v", da["members"])
	}
	if r := why["ldap.password-never-expires directory"]; !strings.HasPrefix(r, "2 enabled") || !strings.Contains(r, "carol (DONT_EXPIRE_PASSWORD") ||
		!strings.Contains(r, "dave (CN=NoExpiry") {
		t.Errorf("password-never-expires: %s", r)
	}
	if r := why["ldap.stale-accounts directory"]; !strings.HasPrefix(r, "1 enabled") || !strings.Contains(r, "frank (last sign-in 120 days ago)") {
		t.Errorf("stale-accounts: %s", r)
	}

	// msDS-ResultantPSO hidden from the bind DN: dave would read as under
	// the domain's 42 days, but the NoExpiry PSO exists, so it is unknown.
	// And without the Password Settings Container, whether any PSO applies
	// is unknown.
	for _, hide := range []string{"msDS-ResultantPSO", "CN=Password Settings Container,CN=System,DC=corp,DC=example"} {
		f := adDomain(now)
		for _, u := range f.users {
			for _, a := range u.Attributes {
				if a.Name == hide {
					a.Name = "x-hidden"
				}
			}
		}
		delete(f.byDN, ldapDNKey(hide))
		in, err := collectLDAP(f, f.c, now)
		if err != nil {
			t.Fatal(err)
		}
		got, why := judgeLDAP(t, in)
		if k := "ldap.password-never-expires directory"; got[k] != "error" || !strings.Contains(why[k], "msDS-ResultantPSO") {
			t.Errorf("%s hidden: %s %s", hide, got[k], why[k])
		}
	}

	// The domain's maxPwdAge unreadable, and an account whose
	// userAccountControl the bind cannot read, placed in Domain Admins:
	// errors naming them, never a pass.
	f = adDomain(now)
	delete(f.byDN, ldapDNKey("DC=corp,DC=example"))
	zed := "CN=Zed,OU=Staff,DC=corp,DC=example"
	f.add(zed, "user", map[string][]string{"objectClass": {"user"}, "sAMAccountName": {"zed"}, "whenCreated": {"20240101000000.0Z"}})
	for _, g := range f.groups {
		for _, a := range g.Attributes {
			if a.Name == "member" && g.GetAttributeValue("cn") == "Domain Admins" {
				a.Values = append(a.Values, zed)
			}
		}
	}
	// No account with lastLogonTimestamp (hidden, or a domain below the
	// 2003 functional level): every one would read as never used.
	for _, u := range f.users {
		for _, a := range u.Attributes {
			if a.Name == "lastLogonTimestamp" {
				a.Name = "x-hidden"
			}
		}
	}
	in, err = collectLDAP(f, f.c, now)
	if err != nil {
		t.Fatal(err)
	}
	got, why = judgeLDAP(t, in)
	for k, s := range map[string]string{
		"ldap.stale-accounts directory":          "no account has lastLogonTimestamp",
		"ldap.password-never-expires directory":  "maxPwdAge",
		"ldap.privileged-disabled Domain Admins": "userAccountControl of CN=Zed",
	} {
		if got[k] != "error" || !strings.Contains(why[k], s) {
			t.Errorf("%s: %s %s, want an error naming %s", k, got[k], why[k], s)
		}
	}
}
