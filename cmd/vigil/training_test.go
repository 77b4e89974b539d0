package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTrainingCLI: the built-in course added and assigned from the
// command line, a completion attested and one recorded with an uploaded
// certificate, the roster as an admin sees it and a member's own view,
// and usage errors.
func TestTrainingCLI(t *testing.T) {
	dir := t.TempDir()
	m, setupTok := startMain(t, &Main{DataDir: dir})
	if code, _, errs := cli(t, map[string]string{"VIGIL_SERVER": m.URL}, "correct horse battery\n", "setup", "--token", setupTok, "--org", "Acme", "--email", "me@acme.test", "--name", "Me"); code != 0 {
		t.Fatalf("setup: %s", errs)
	}
	db := map[string]string{"VIGIL_DATA_DIR": dir}
	env := map[string]map[string]string{}
	for who, role := range map[string]string{"ada": "admin", "max": "member", "mia": "member"} {
		if code, _, errs := cli(t, db, "", "admin", "create-user", "--email", who+"@acme.test", "--name", who, "--role", role); code != 0 {
			t.Fatalf("create-user: %s", errs)
		}
		_, tok, _ := cli(t, db, "", "admin", "create-token", "--email", who+"@acme.test", "--role", role)
		env[who] = map[string]string{"VIGIL_SERVER": m.URL, "VIGIL_TOKEN": strings.TrimSpace(tok)}
	}
	ada, max := env["ada"], env["max"]
	if code, _, errs := cli(t, ada, "", "controls", "adopt", "HR-02"); code != 0 {
		t.Fatalf("adopt HR-02: %s", errs)
	}
	if code, _, errs := cli(t, ada, "", "training", "add-builtin", "--pass-mark", "0"); code != 1 || !strings.Contains(errs, "pass mark") {
		t.Fatalf("pass mark 0: %d %s", code, errs)
	}
	if code, _, errs := cli(t, max, "", "training", "add-builtin"); code != 1 || !strings.Contains(errs, "role") {
		t.Fatalf("a member adding a course: %d %s", code, errs)
	}
	if code, out, errs := cli(t, ada, "", "training", "add-builtin"); code != 0 || !strings.Contains(out, "added TRN-001") {
		t.Fatalf("add-builtin: %d %s %s", code, out, errs)
	}
	if code, _, errs := cli(t, ada, "", "training", "assign", "1"); code != 2 || !strings.Contains(errs, "Usage") {
		t.Fatalf("assign without a target: %d %s", code, errs)
	}
	if code, out, errs := cli(t, ada, "", "training", "assign", "1", "--role", "member"); code != 0 || !strings.Contains(out, "role member") {
		t.Fatalf("assign: %d %s %s", code, out, errs)
	}
	if code, _, errs := cli(t, ada, "", "training", "assign", "1", "--department", "Engineering"); code != 0 || !strings.Contains(errs, "personnel register") {
		t.Fatalf("assign a department: %d %s", code, errs)
	}
	if code, out, _ := cli(t, ada, "", "training", "list"); code != 0 || !strings.Contains(out, "TRN-001") || !strings.Contains(out, "HR-02") || !strings.Contains(out, "80%") {
		t.Fatalf("list: %d %s", code, out)
	}
	day := time.Now().UTC().AddDate(0, 0, -2).Format("2006-01-02")
	if code, _, errs := cli(t, ada, "", "training", "record", "1", "--user", "max@acme.test", "--date", "someday"); code != 1 || !strings.Contains(errs, "YYYY-MM-DD") {
		t.Fatalf("a bad date: %d %s", code, errs)
	}
	if code, out, errs := cli(t, ada, "", "training", "record", "1", "--user", "max@acme.test", "--date", day, "--score", "90"); code != 0 || !strings.Contains(out, "(attestation)") || strings.Contains(out, "evidence 0") {
		t.Fatalf("record: %d %s %s", code, out, errs)
	}
	cert := filepath.Join(t.TempDir(), "mia-certificate.pdf")
	if err := os.WriteFile(cert, []byte("%PDF-1.4\n% a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := cli(t, ada, "", "training", "record", "1", "--user", "mia@acme.test", "--date", day, "--certificate", cert); code != 0 || !strings.Contains(out, "(upload)") {
		t.Fatalf("record with a certificate: %d %s %s", code, out, errs)
	}
	code, out, _ := cli(t, ada, "", "training", "show", "1")
	if code != 0 || strings.Count(out, "complete") != 2 || !strings.Contains(out, "max") || !strings.Contains(out, "mia") || !strings.Contains(out, "department Engineering") {
		t.Fatalf("show as an admin: %d %s", code, out)
	}
	// Max sees only himself.
	code, out, _ = cli(t, max, "", "training", "show", "1")
	if code != 0 || !strings.Contains(out, "max") || strings.Contains(out, "mia") {
		t.Fatalf("show as a member: %d %s", code, out)
	}
	if code, out, _ := cli(t, max, "", "training", "mine"); code != 0 || !strings.Contains(out, "TRN-001") || !strings.Contains(out, "complete") || !strings.Contains(out, "90%") {
		t.Fatalf("mine: %d %s", code, out)
	}
	if code, _, _ := cli(t, max, "", "training", "show"); code != 2 {
		t.Fatalf("show without an id: %d", code)
	}
}
