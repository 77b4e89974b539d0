package ldap

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/integrationtest"
	"github.com/vigil-soc/vigil/internal/ldaptest"
)

// TestLDAPIntegration: Debian's slapd with people and groups and no
// overlay; a leaver still in the admins group and an oversized ops group
// are found; a privileged group that does not exist is an error, and a
// wrong password is named. Without the ppolicy and lastbind overlays the
// password and staleness checks are errors naming what is missing, never
// a pass.
func TestLDAPIntegration(t *testing.T) {
	srv, err := ldaptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	conn, err := ldap.DialURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Bind(ldaptest.Admin, ldaptest.Password); err != nil {
		t.Fatal(err)
	}
	add := func(dn string, attrs map[string][]string) {
		t.Helper()
		req := ldap.NewAddRequest(dn, nil)
		for k, v := range attrs {
			req.Attribute(k, v)
		}
		if err := conn.Add(req); err != nil {
			t.Fatalf("add %s: %v", dn, err)
		}
	}
	add(ldaptest.Base, map[string][]string{"objectClass": {"dcObject", "organization"}, "o": {"Acme"}, "dc": {"acme"}})
	add("ou=people,"+ldaptest.Base, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"people"}})
	add("ou=groups,"+ldaptest.Base, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"groups"}})
	for i, u := range []string{"ann", "bob", "cat", "dan", "eve", "fay", "gus"} {
		attrs := map[string][]string{"objectClass": {"inetOrgPerson", "posixAccount", "shadowAccount"}, "uid": {u}, "cn": {u}, "sn": {u},
			"mail": {u + "@acme.test"}, "uidNumber": {fmt.Sprint(1000 + i)}, "gidNumber": {"1000"}, "homeDirectory": {"/home/" + u}}
		if u == "bob" {
			attrs["shadowExpire"] = []string{"1"} // expired in 1970: a leaver
		}
		add("uid="+u+",ou=people,"+ldaptest.Base, attrs)
	}
	member := func(us ...string) []string {
		var out []string
		for _, u := range us {
			out = append(out, "uid="+u+",ou=people,"+ldaptest.Base)
		}
		return out
	}
	add("cn=admins,ou=groups,"+ldaptest.Base, map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"admins"}, "member": member("ann", "bob")})
	add("cn=ops,ou=groups,"+ldaptest.Base, map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"ops"}, "member": member("ann", "cat", "dan", "eve", "fay", "gus")})
	add("cn=dba,ou=groups,"+ldaptest.Base, map[string][]string{"objectClass": {"posixGroup"}, "cn": {"dba"}, "gidNumber": {"2000"}, "memberUid": {"cat"}})

	s := integrationtest.NewService(t)
	s.Kinds = append(s.Kinds, LDAP{})
	cfg, _ := json.Marshal(map[string]any{"url": srv.URL, "bind_dn": ldaptest.Admin, "base_dn": ldaptest.Base, "privileged_groups": []string{"admins", "ops", "dba", "wheel"}})
	x := &vigil.Integration{Kind: "ldap", Name: "directory", Config: cfg, Interval: 3600, Enabled: true}
	got, reasons := integrationtest.Connect(t, s, x, ldaptest.Password)
	want := map[string]string{
		"ldap.privileged-disabled admins": "fail", "ldap.privileged-disabled ops": "pass", "ldap.privileged-disabled dba": "pass",
		"ldap.privileged-disabled wheel": "error", "ldap.privileged-size admins": "pass", "ldap.privileged-size ops": "fail",
		"ldap.password-never-expires directory": "error", "ldap.stale-accounts directory": "error",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q (%s), want %s", k, got[k], reasons[k], v)
		}
	}
	if !strings.Contains(reasons["ldap.privileged-disabled admins"], "uid=bob") {
		t.Errorf("the leaver is not named: %s", reasons["ldap.privileged-disabled admins"])
	}
	// The flavour's attributes are absent: the error names them.
	if r := reasons["ldap.password-never-expires directory"]; !strings.Contains(r, "ppolicy") || !strings.Contains(r, "1.3.6.1.4.1.42.2.27.8.5.1") {
		t.Errorf("password-never-expires without ppolicy: %s", r)
	}
	if r := reasons["ldap.stale-accounts directory"]; !strings.Contains(r, "authTimestamp") || !strings.Contains(r, "lastbind") {
		t.Errorf("stale-accounts without lastbind: %s", r)
	}
	// A wrong bind password: the test names the refusal, and the password
	// never appears.
	bad := "not-the-password"
	if err := s.Update(ctx, &vigil.Integration{ID: x.ID, Name: x.Name, Config: cfg, Interval: 3600, Enabled: true}, &bad); err != nil {
		t.Fatal(err)
	}
	if err := s.Test(ctx, x.ID); err == nil || !strings.Contains(err.Error(), "bind as "+ldaptest.Admin+" refused") || strings.Contains(err.Error(), bad) {
		t.Fatalf("wrong password: %v", err)
	}
}

// TestLDAPOverTLS: slapd with a certificate from a private CA. ldaps://
// and StartTLS work with the CA given; without it, with another CA, or
// under a name the certificate does not hold, the connection is refused
// before the password is sent.
func TestLDAPOverTLS(t *testing.T) {
	srv, err := ldaptest.StartTLSServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	other := filepath.Join(t.TempDir(), "other-ca.pem")
	otherSrv := httptest.NewTLSServer(http.NotFoundHandler())
	otherSrv.Close()
	os.WriteFile(other, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: otherSrv.Certificate().Raw}), 0o600)
	notPEM := filepath.Join(t.TempDir(), "ca.txt")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)

	s := integrationtest.NewService(t)
	s.Kinds = append(s.Kinds, LDAP{})
	try := func(name string, settings map[string]any) error {
		t.Helper()
		settings["bind_dn"], settings["base_dn"], settings["privileged_groups"] = ldaptest.Admin, ldaptest.Base, []string{"admins"}
		cfg, _ := json.Marshal(settings)
		x := &vigil.Integration{Kind: "ldap", Name: name, Config: cfg, Interval: 3600, Enabled: true}
		if err := s.Create(ctx, x, ldaptest.Password); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return s.Test(ctx, x.ID)
	}
	// The directory is empty: after the bind, reading the base answers
	// "No Such Object", which proves the TLS session and the bind.
	ok := func(err error) bool { return err != nil && strings.Contains(err.Error(), "No Such Object") }
	if err := try("ldaps", map[string]any{"url": srv.LDAPSURL, "ca_file": srv.CAFile}); !ok(err) {
		t.Fatalf("ldaps with the CA: %v", err)
	}
	if err := try("starttls", map[string]any{"url": srv.URL, "start_tls": true, "ca_file": srv.CAFile}); !ok(err) {
		t.Fatalf("StartTLS with the CA: %v", err)
	}
	for name, c := range map[string]struct {
		settings map[string]any
		want     string
	}{
		"ldaps, system CAs":      {map[string]any{"url": srv.LDAPSURL}, "unknown authority"},
		"ldaps, another CA":      {map[string]any{"url": srv.LDAPSURL, "ca_file": other}, "unknown authority"},
		"starttls, system CAs":   {map[string]any{"url": srv.URL, "start_tls": true}, "unknown authority"},
		"ldaps, wrong name":      {map[string]any{"url": strings.Replace(srv.LDAPSURL, "127.0.0.1", "localhost", 1), "ca_file": srv.CAFile}, "localhost"},
		"ldaps, CA file not PEM": {map[string]any{"url": srv.LDAPSURL, "ca_file": notPEM}, "no PEM certificate"},
	} {
		err := try(name, c.settings)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), ldaptest.Password) {
			t.Errorf("%s: %v, want a refusal naming %q", name, err, c.want)
		}
	}
}
