package ldap

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/integrationtest"
	"github.com/vigil-soc/vigil/internal/ldaptest"
)

// TestLDAPPeopleSource against slapd: off, the register is untouched; on,
// entries with a mail and a givenName become people with their title and
// departmentNumber; a service account (no givenName) and a disabled
// account (shadowExpire) are not people, and the disabled one gets no end
// date.
func TestLDAPPeopleSource(t *testing.T) {
	b := ldaptest.Base
	var l strings.Builder
	entry := func(dn string, lines ...string) { fmt.Fprintf(&l, "dn: %s\n%s\n\n", dn, strings.Join(lines, "\n")) }
	entry(b, "objectClass: dcObject", "objectClass: organization", "o: Acme", "dc: acme")
	entry("ou=people,"+b, "objectClass: organizationalUnit", "ou: people")
	user := func(uid string, extra ...string) {
		entry("uid="+uid+",ou=people,"+b, append([]string{"objectClass: inetOrgPerson", "objectClass: shadowAccount", "uid: " + uid, "cn: " + uid, "sn: " + uid}, extra...)...)
	}
	user("ann", "mail: ann@acme.test", "givenName: Ann", "displayName: Ann Archer", "title: Engineer", "departmentNumber: R&D")
	user("leo", "mail: leo@acme.test", "givenName: Leo", "shadowExpire: 1")
	user("svc", "mail: ci@acme.test")
	srv, err := ldaptest.StartWith(ldaptest.Options{LDIF: l.String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	s := integrationtest.NewService(t)
	s.Kinds = append(s.Kinds, LDAP{})
	ctx := integrationtest.Ctx
	for _, on := range []bool{false, true} {
		cfg, _ := json.Marshal(map[string]any{"url": srv.URL, "bind_dn": ldaptest.Admin, "base_dn": b, "people_source": on})
		integrationtest.Connect(t, s, &vigil.Integration{Kind: "ldap", Name: fmt.Sprint("corp-", on), Config: cfg, Interval: 3600, Enabled: true}, ldaptest.Password)
		ps, err := s.Store.People(ctx)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case !on && len(ps) != 0:
			t.Fatalf("people_source off made people: %+v", ps)
		case on && (len(ps) != 1 || ps[0].Email != "ann@acme.test" || ps[0].Name != "Ann Archer" || ps[0].Title != "Engineer" ||
			ps[0].Department != "R&D" || ps[0].Source != "ldap:corp-true" || ps[0].End != ""):
			t.Fatalf("people: %+v", ps)
		}
	}
}
