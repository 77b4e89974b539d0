package ldap

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil/integrations/kind"
	"github.com/vigil-soc/vigil/internal/ldaptest"
)

// BenchmarkLDAP10k reads a directory of 10,000 users under ppolicy and
// lastbind, and a privileged group nested three deep over 110 groups
// (admins > 10 tiers > 10 squads each > 100 users each, one squad holding
// admins again: a cycle), so that every user is an effective member.
func BenchmarkLDAP10k(b *testing.B) {
	now := time.Now()
	ts := now.Add(-24 * time.Hour).UTC().Format("20060102150405Z")
	var l strings.Builder
	base := ldaptest.Base
	fmt.Fprintf(&l, "dn: %s\nobjectClass: dcObject\nobjectClass: organization\no: Acme\ndc: acme\n\n", base)
	fmt.Fprintf(&l, "dn: cn=default,%s\nobjectClass: device\nobjectClass: pwdPolicy\ncn: default\npwdAttribute: userPassword\npwdMaxAge: 7776000\npwdLockout: TRUE\n\n", base)
	for i := range 10000 {
		u := fmt.Sprintf("user%05d", i)
		fmt.Fprintf(&l, "dn: uid=%s,%s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\nmail: %s@acme.test\nauthTimestamp: %s\npwdChangedTime: %s\n\n",
			u, base, u, u, u, u, ts, ts)
	}
	admins := "cn=admins," + base
	fmt.Fprintf(&l, "dn: %s\nobjectClass: groupOfNames\ncn: admins\n", admins)
	for t := range 10 {
		fmt.Fprintf(&l, "member: cn=tier%d,%s\n", t, base)
	}
	l.WriteString("\n")
	for t := range 10 {
		fmt.Fprintf(&l, "dn: cn=tier%d,%s\nobjectClass: groupOfNames\ncn: tier%d\n", t, base, t)
		for s := range 10 {
			fmt.Fprintf(&l, "member: cn=squad%d-%d,%s\n", t, s, base)
		}
		l.WriteString("\n")
		for s := range 10 {
			fmt.Fprintf(&l, "dn: cn=squad%d-%d,%s\nobjectClass: groupOfNames\ncn: squad%d-%d\n", t, s, base, t, s)
			for u := range 100 {
				fmt.Fprintf(&l, "member: uid=user%05d,%s\n", (t*10+s)*100+u, base)
			}
			if t == 0 && s == 0 {
				fmt.Fprintf(&l, "member: %s\n", admins)
			}
			l.WriteString("\n")
		}
	}
	srv, err := ldaptest.StartWith(ldaptest.Options{PPolicy: true, PPolicyDefault: "cn=default," + base, LastBind: true, LDIF: l.String()})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()
	cfg, _ := json.Marshal(map[string]any{"url": srv.URL, "bind_dn": ldaptest.Admin, "base_dn": base, "privileged_groups": []string{"admins"},
		"ppolicy_default": "cn=default," + base})
	b.ResetTimer()
	var d map[string]any
	for range b.N {
		in, err := LDAP{}.Collect(ctx, &kind.Run{Config: cfg, Secret: ldaptest.Password, Now: now})
		if err != nil {
			b.Fatal(err)
		}
		d = in["ldap.directory"]
		p := d["privileged"].([]any)[0].(map[string]any)
		if n := d["user_count"]; n != 10000 || len(p["members"].([]any)) != 10000 || len(p["nested_groups"].([]any)) != 110 || len(p["cycles"].([]any)) != 1 {
			b.Fatalf("%v users, %d effective members, %d nested groups, cycles %v", n, len(p["members"].([]any)), len(p["nested_groups"].([]any)), p["cycles"])
		}
	}
	// The checks on that input stay within the engine's cost limit, and
	// their time is reported.
	b.StopTimer()
	start := time.Now()
	got, why := judgeLDAP(b, d)
	b.ReportMetric(float64(time.Since(start).Milliseconds()), "judge-ms")
	for k, v := range got {
		if v == "error" {
			b.Errorf("%s: %s", k, why[k])
		}
	}
}
