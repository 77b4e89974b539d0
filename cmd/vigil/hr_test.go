package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHRCLI: a background check recorded from the command line with its
// report, refused without one and for a member; the onboarding checklist
// as an admin and as the person see it; a performance review refused when
// the person attests their own and recorded when HR does.
func TestHRCLI(t *testing.T) {
	dir := t.TempDir()
	m, setupTok := startMain(t, &Main{DataDir: dir})
	if code, _, errs := cli(t, map[string]string{"VIGIL_SERVER": m.URL}, "correct horse battery\n", "setup", "--token", setupTok, "--org", "Acme", "--email", "me@acme.test", "--name", "Me"); code != 0 {
		t.Fatalf("setup: %s", errs)
	}
	db := map[string]string{"VIGIL_DATA_DIR": dir}
	env := map[string]map[string]string{}
	for who, role := range map[string]string{"ada": "admin", "max": "member"} {
		if code, _, errs := cli(t, db, "", "admin", "create-user", "--email", who+"@acme.test", "--name", who, "--role", role); code != 0 {
			t.Fatalf("create-user: %s", errs)
		}
		_, tok, _ := cli(t, db, "", "admin", "create-token", "--email", who+"@acme.test", "--role", role)
		env[who] = map[string]string{"VIGIL_SERVER": m.URL, "VIGIL_TOKEN": strings.TrimSpace(tok)}
	}
	ada, max := env["ada"], env["max"]
	day := func(d int) string { return time.Now().UTC().AddDate(0, 0, d).Format("2006-01-02") }
	csv := filepath.Join(dir, "people.csv")
	if err := os.WriteFile(csv, []byte("email,name,start_date,in_scope\nmax@acme.test,Max,"+day(-10)+",yes\nada@acme.test,Ada,2020-01-01,yes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := cli(t, ada, "", "people", "import", csv, "--yes"); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	if code, _, errs := cli(t, ada, "", "controls", "adopt", "HR-01"); code != 0 {
		t.Fatalf("adopt HR-01: %s", errs)
	}
	report := filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(report, []byte("%PDF-1.4 background report"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := cli(t, ada, "", "people", "background-check", "max@acme.test", "--completed", day(-12), "--provider", "Checkr"); code != 2 || !strings.Contains(errs, "Usage") {
		t.Fatalf("a check without its file: %d %s", code, errs)
	}
	if code, _, errs := cli(t, max, "", "people", "background-check", "1", "--file", report, "--completed", day(-12), "--provider", "Checkr"); code != 1 || !strings.Contains(errs, "role") {
		t.Fatalf("a member recording a check: %d %s", code, errs)
	}
	if code, out, errs := cli(t, ada, "", "people", "background-check", "max@acme.test", "--file", report, "--completed", day(-12), "--provider", "Checkr"); code != 0 || !strings.Contains(out, "report: evidence") {
		t.Fatalf("background-check: %d %s %s", code, out, errs)
	}
	code, out, errs := cli(t, ada, "", "people", "onboarding")
	if code != 0 || !strings.Contains(out, "max@acme.test") || strings.Contains(out, "ada@acme.test") {
		t.Fatalf("onboarding: %d %s %s", code, out, errs)
	}
	for _, want := range []string{"background_check", "complete", "mfa", "unknown", "Checkr"} {
		if !strings.Contains(out, want) {
			t.Errorf("onboarding lacks %q: %s", want, out)
		}
	}
	if code, out, errs := cli(t, max, "", "people", "onboarding", "1"); code != 0 || !strings.Contains(out, "background_check") {
		t.Fatalf("max's own checklist: %d %s %s", code, out, errs)
	}
	if code, _, errs := cli(t, max, "", "people", "onboarding", "2"); code != 1 || !strings.Contains(errs, "your own") {
		t.Fatalf("max reading ada's checklist: %d %s", code, errs)
	}
	if code, _, errs := cli(t, ada, "", "people", "performance-review", "ada@acme.test", "--completed", day(-1)); code != 1 || !strings.Contains(errs, "own performance review") {
		t.Fatalf("ada attesting her own review: %d %s", code, errs)
	}
	if code, out, errs := cli(t, ada, "", "people", "performance-review", "1", "--completed", day(-1)); code != 0 || !strings.Contains(out, "attested by ada@acme.test") {
		t.Fatalf("ada attesting max's review: %d %s %s", code, out, errs)
	}
}
