package main

import (
	"strings"
	"testing"
)

// TestRoleChangesCLI: a CSV import that changes a title records a role
// change; `people role-changes` lists it as due; the review needs a
// comment and is recorded once.
func TestRoleChangesCLI(t *testing.T) {
	dir := t.TempDir()
	m, setupTok := startMain(t, &Main{DataDir: dir})
	if code, _, errs := cli(t, map[string]string{"VIGIL_SERVER": m.URL}, "correct horse battery\n", "setup", "--token", setupTok, "--org", "Acme", "--email", "me@acme.test", "--name", "Me"); code != 0 {
		t.Fatalf("setup: %s", errs)
	}
	db := map[string]string{"VIGIL_DATA_DIR": dir}
	if code, _, errs := cli(t, db, "", "admin", "create-user", "--email", "ada@acme.test", "--name", "Ada", "--role", "admin"); code != 0 {
		t.Fatalf("create-user: %s", errs)
	}
	_, tok, _ := cli(t, db, "", "admin", "create-token", "--email", "ada@acme.test", "--role", "admin")
	ada := map[string]string{"VIGIL_SERVER": m.URL, "VIGIL_TOKEN": strings.TrimSpace(tok)}
	for _, title := range []string{"Engineer", "Engineering Manager"} {
		csv := "email,name,title\nbob@acme.test,Bob," + title + "\n"
		if code, out, errs := cli(t, ada, csv, "people", "import", "-", "--yes"); code != 0 || !strings.Contains(out, "imported") {
			t.Fatalf("import: %d %s %s", code, out, errs)
		}
	}
	code, out, errs := cli(t, ada, "", "people", "role-changes")
	if code != 0 || !strings.Contains(out, "bob@acme.test") || !strings.Contains(out, `title "Engineer" → "Engineering Manager"`) || !strings.Contains(out, "due ") {
		t.Fatalf("role-changes: %d %s %s", code, out, errs)
	}
	if code, _, errs := cli(t, ada, "", "people", "review-role-change", "1", "1"); code != 2 || !strings.Contains(errs, "Usage") {
		t.Fatalf("a review without a comment: %d %s", code, errs)
	}
	if code, _, errs := cli(t, ada, "", "people", "review-role-change", "1", "99", "--comment", "x"); code != 1 || !strings.Contains(errs, "not found") {
		t.Fatalf("an unknown change: %d %s", code, errs)
	}
	if code, out, errs := cli(t, ada, "", "people", "review-role-change", "1", "1", "--comment", "manager group added"); code != 0 || !strings.Contains(out, "access review of bob@acme.test recorded") {
		t.Fatalf("review: %d %s %s", code, out, errs)
	}
	if code, _, errs := cli(t, ada, "", "people", "review-role-change", "1", "1", "--comment", "again"); code != 1 || !strings.Contains(errs, "already reviewed") {
		t.Fatalf("reviewed twice: %d %s", code, errs)
	}
	if code, out, _ := cli(t, ada, "", "people", "role-changes", "1"); code != 0 || !strings.Contains(out, "reviewed ") || !strings.Contains(out, "ada@acme.test") {
		t.Fatalf("role-changes of one person: %s", out)
	}
}
