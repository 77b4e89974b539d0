package integrations

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/vigil-soc/vigil/internal/ldaptest"
)

// BenchmarkLDAP10k reads a directory of 10,000 users and a privileged
// group with 100 members.
func BenchmarkLDAP10k(b *testing.B) {
	srv, err := ldaptest.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()
	conn, _ := ldap.DialURL(srv.URL)
	defer conn.Close()
	if err := conn.Bind(ldaptest.Admin, ldaptest.Password); err != nil {
		b.Fatal(err)
	}
	add := func(dn string, attrs map[string][]string) {
		req := ldap.NewAddRequest(dn, nil)
		for k, v := range attrs {
			req.Attribute(k, v)
		}
		if err := conn.Add(req); err != nil {
			b.Fatalf("add %s: %v", dn, err)
		}
	}
	add(ldaptest.Base, map[string][]string{"objectClass": {"dcObject", "organization"}, "o": {"Acme"}, "dc": {"acme"}})
	var admins []string
	for i := range 10000 {
		u := fmt.Sprintf("user%05d", i)
		dn := "uid=" + u + "," + ldaptest.Base
		add(dn, map[string][]string{"objectClass": {"inetOrgPerson"}, "uid": {u}, "cn": {u}, "sn": {u}, "mail": {u + "@acme.test"}})
		if i%100 == 0 {
			admins = append(admins, dn)
		}
	}
	add("cn=admins,"+ldaptest.Base, map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"admins"}, "member": admins})
	cfg, _ := json.Marshal(map[string]any{"url": srv.URL, "bind_dn": ldaptest.Admin, "base_dn": ldaptest.Base, "privileged_groups": []string{"admins"}})
	b.ResetTimer()
	for range b.N {
		in, err := LDAP{}.Collect(ctx, &Run{Config: cfg, Secret: ldaptest.Password, Now: time.Now()})
		if err != nil {
			b.Fatal(err)
		}
		if n := in["ldap.directory"]["user_count"]; n != 10000 {
			b.Fatalf("%v users", n)
		}
	}
}
