package ldap

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/vigil-soc/vigil/check"
)

// ldapChecks loads the ldap.* checks alone (vigil checks test loads every
// check; these can run while other checks are being edited).
func ldapChecks(t testing.TB) *check.Registry {
	t.Helper()
	files, _ := filepath.Glob("../../checks/integrations/ldap-*.yaml")
	fsys := fstest.MapFS{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fsys["ldap/"+filepath.Base(f)] = &fstest.MapFile{Data: b}
	}
	r, err := check.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadFS(fsys, "ldap"); err != nil {
		t.Fatal(err)
	}
	if len(r.Checks()) < 4 {
		t.Fatalf("%d ldap checks", len(r.Checks()))
	}
	return r
}

// judgeLDAP runs the ldap.* checks on a collected input: verdict and
// reason by "check resource".
func judgeLDAP(t testing.TB, in map[string]any) (got, why map[string]string) {
	t.Helper()
	got, why = map[string]string{}, map[string]string{}
	for _, c := range ldapChecks(t).Checks() {
		for _, r := range c.Run(in, nil) {
			k := c.ID + " " + r.Resource
			got[k], why[k] = string(r.Verdict), r.Reason
		}
	}
	return got, why
}

// TestLDAPChecks runs the inline cases of the ldap.* checks.
func TestLDAPChecks(t *testing.T) {
	for _, f := range ldapChecks(t).Test() {
		t.Errorf("%s / %s: %s", f.Check, f.Case, f.Detail)
	}
}
