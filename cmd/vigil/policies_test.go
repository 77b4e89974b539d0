package main

import (
	"archive/zip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPoliciesCLI: the policy set from the command line: adopt a template
// naming users by email, edit from standard input, submit, an approval
// refused to the author and given by another admin, publish, a review that
// changes nothing, and usage errors.
func TestPoliciesCLI(t *testing.T) {
	dir := t.TempDir()
	m, setupTok := startMain(t, &Main{DataDir: dir})
	if code, _, errs := cli(t, map[string]string{"VIGIL_SERVER": m.URL}, "correct horse battery\n", "setup", "--token", setupTok, "--org", "Acme", "--email", "me@acme.test", "--name", "Me"); code != 0 {
		t.Fatalf("setup: %s", errs)
	}
	db := map[string]string{"VIGIL_DATA_DIR": dir}
	api := map[string]map[string]string{}
	for _, who := range []string{"ada", "bob"} {
		if code, _, errs := cli(t, db, "", "admin", "create-user", "--email", who+"@acme.test", "--name", who, "--role", "admin"); code != 0 {
			t.Fatalf("create-user: %s", errs)
		}
		_, tok, _ := cli(t, db, "", "admin", "create-token", "--email", who+"@acme.test", "--role", "admin")
		api[who] = map[string]string{"VIGIL_SERVER": m.URL, "VIGIL_TOKEN": strings.TrimSpace(tok)}
	}
	ada, bob := api["ada"], api["bob"]
	if code, out, errs := cli(t, ada, "", "policies", "templates"); code != 0 || !strings.Contains(out, "incident-response") {
		t.Fatalf("templates: %d %s %s", code, out, errs)
	}
	if code, _, errs := cli(t, ada, "", "policies", "adopt", "access-control"); code != 2 || !strings.Contains(errs, "Usage") {
		t.Fatalf("adopt without an owner: %d %s", code, errs)
	}
	if code, _, errs := cli(t, ada, "", "policies", "adopt", "no-such", "--owner", "ada@acme.test", "--approver", "bob@acme.test"); code != 1 || !strings.Contains(errs, "no-such") {
		t.Fatalf("adopt an unknown template: %d %s", code, errs)
	}
	code, out, errs := cli(t, ada, "", "policies", "adopt", "access-control", "--owner", "ada@acme.test", "--approver", "bob@acme.test")
	if code != 0 || !strings.Contains(out, "adopted POL-001") {
		t.Fatalf("adopt: %d %s %s", code, out, errs)
	}
	_, text, _ := cli(t, ada, "", "policies", "show", "1", "--text")
	if !strings.Contains(text, "# Access Control Policy") {
		t.Fatalf("show --text: %.200s", text)
	}
	if code, out, errs := cli(t, ada, text+"\nReviewed quarterly.\n", "policies", "edit", "1", "--file", "-", "--summary", "quarterly"); code != 0 || !strings.Contains(out, "version 1 saved") {
		t.Fatalf("edit: %d %s %s", code, out, errs)
	}
	if code, out, errs := cli(t, ada, "", "policies", "submit", "1"); code != 0 || !strings.Contains(out, "in_review") {
		t.Fatalf("submit: %d %s %s", code, out, errs)
	}
	if code, _, errs := cli(t, ada, "", "policies", "approve", "1"); code != 1 || !strings.Contains(errs, "not an approver") {
		t.Fatalf("the author approving: %d %s", code, errs)
	}
	if code, out, errs := cli(t, bob, "", "policies", "approve", "1", "--comment", "fine"); code != 0 || !strings.Contains(out, "approved (1 of 1") {
		t.Fatalf("approve: %d %s %s", code, out, errs)
	}
	// Without GV-01 or any of the policy's controls, nothing could carry
	// the sealed publication: refused, nothing changed.
	if code, _, errs := cli(t, ada, "", "policies", "publish", "1"); code != 1 || !strings.Contains(errs, "adopt GV-01") {
		t.Fatalf("publish with no control to seal against: %d %s", code, errs)
	}
	if code, _, errs := cli(t, ada, "", "controls", "adopt", "GV-01"); code != 0 {
		t.Fatalf("adopt GV-01: %s", errs)
	}
	if code, out, errs := cli(t, ada, "", "policies", "publish", "1", "--effective", "2027-01-01"); code != 0 || !strings.Contains(out, "effective 2027-01-01") {
		t.Fatalf("publish: %d %s %s", code, out, errs)
	}
	if code, _, errs := cli(t, bob, "", "policies", "review", "1", "--comment", "ok"); code != 1 || !strings.Contains(errs, "comment") {
		t.Fatalf("a review saying nothing: %d %s", code, errs)
	}
	if code, out, errs := cli(t, bob, "", "policies", "review", "1", "--comment", "read against our systems, unchanged"); code != 0 || !strings.Contains(out, "review of POL-001 is complete") {
		t.Fatalf("review: %d %s %s", code, out, errs)
	}
	if code, out, _ := cli(t, bob, "", "policies", "list"); code != 0 || !strings.Contains(out, "current") || !strings.Contains(out, "v1 from 2027-01-01") {
		t.Fatalf("list: %d %s", code, out)
	}
	if code, out, _ := cli(t, bob, "", "policies", "show", "1", "--json"); code != 0 || !strings.Contains(out, `"review_state": "current"`) {
		t.Fatalf("show --json: %d %s", code, out)
	}
	if code, _, _ := cli(t, bob, "", "policies", "show"); code != 2 {
		t.Fatalf("show without an id: %d", code)
	}

	// Exports: a version by id or key, the set as PDF and zip; a refused
	// format leaves no file.
	out1 := filepath.Join(dir, "pol.pdf")
	if code, out, errs := cli(t, bob, "", "policies", "export", "1", "--format", "pdf", "-o", out1); code != 0 || !strings.Contains(out, "wrote POL-001 version 1") {
		t.Fatalf("export pdf: %d %s %s", code, out, errs)
	}
	if b, err := os.ReadFile(out1); err != nil || !strings.HasPrefix(string(b), "%PDF-") {
		t.Fatalf("exported pdf: %v %.10q", err, b)
	}
	out2 := filepath.Join(dir, "pol.html")
	if code, _, errs := cli(t, bob, "", "policies", "export", "pol-001", "--version", "1", "--format", "html", "-o", out2); code != 0 {
		t.Fatalf("export html: %d %s", code, errs)
	}
	if b, _ := os.ReadFile(out2); !strings.Contains(string(b), "<!doctype html>") || !strings.Contains(string(b), "Reviewed quarterly.") {
		t.Fatalf("exported html: %.200s", b)
	}
	out3 := filepath.Join(dir, "set.zip")
	if code, _, errs := cli(t, bob, "", "policies", "export", "--all", "--format", "zip", "-o", out3); code != 0 {
		t.Fatalf("export --all zip: %d %s", code, errs)
	}
	zr, err := zip.OpenReader(out3)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	zr.Close()
	if strings.Join(names, " ") != "POL-001-v1.pdf POL-001-v1.html index.html manifest.json" {
		t.Errorf("zip entries %v", names)
	}
	if code, _, errs := cli(t, bob, "", "policies", "export", "--all", "-o", filepath.Join(dir, "set.pdf")); code != 0 {
		t.Fatalf("export --all pdf: %d %s", code, errs)
	}
	bad := filepath.Join(dir, "bad")
	if code, _, errs := cli(t, bob, "", "policies", "export", "1", "--format", "docx", "-o", bad); code != 1 || !strings.Contains(errs, "format must be pdf or html") {
		t.Errorf("export docx: %d %s", code, errs)
	}
	if code, _, errs := cli(t, bob, "", "policies", "export", "1", "--version", "9", "-o", bad); code != 1 || !strings.Contains(errs, "not found") && !strings.Contains(errs, "no ") {
		t.Errorf("export of a missing version: %d %s", code, errs)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("a refused export left a file: %v", err)
	}
	for _, args := range [][]string{{"export", "-o", bad}, {"export", "1"}, {"export", "1", "--all", "-o", bad}} {
		if code, _, errs := cli(t, bob, "", append([]string{"policies"}, args...)...); code != 2 || !strings.Contains(errs, "Usage") {
			t.Errorf("%v: %d %s", args, code, errs)
		}
	}

	// An existing policy uploaded as HTML becomes a draft.
	up := filepath.Join(dir, "Remote Work.html")
	os.WriteFile(up, []byte("<h1>Remote work</h1><p>Use the VPN.</p><script>alert(1)</script>"), 0o600)
	if code, out, errs := cli(t, ada, "", "policies", "upload", up, "--owner", "ada@acme.test", "--approver", "bob@acme.test"); code != 0 || !strings.Contains(out, "POL-002 Remote Work") || !strings.Contains(out, "from html") {
		t.Fatalf("upload: %d %s %s", code, out, errs)
	}
	if code, out, _ := cli(t, ada, "", "policies", "show", "2", "--text"); code != 0 || !strings.Contains(out, "Use the VPN.") || strings.Contains(out, "alert") {
		t.Fatalf("the uploaded text: %s", out)
	}
	bin := filepath.Join(dir, "x.bin")
	os.WriteFile(bin, []byte{0xff, 0x00, 0xfe}, 0o600)
	if code, _, errs := cli(t, ada, "", "policies", "upload", bin, "--owner", "ada@acme.test", "--approver", "bob@acme.test"); code != 1 || !strings.Contains(errs, "neither UTF-8 text") {
		t.Fatalf("a binary upload: %d %s", code, errs)
	}

	// People: a bad file names its line and imports nothing; a good one is
	// a dry run until --yes; then bob acknowledges POL-001 from his tasks.
	dir2 := t.TempDir()
	badCSV := dir2 + "/bad.csv"
	os.WriteFile(badCSV, []byte("email,name,end_date\nbob@acme.test,Bob,2026-13-01\n"), 0o600)
	if code, _, errs := cli(t, ada, "", "people", "import", badCSV); code != 1 || !strings.Contains(errs, "line 2, column end_date") {
		t.Fatalf("bad import: %d %s", code, errs)
	}
	good := "email,name,department\nada@acme.test,Ada,Eng\nbob@acme.test,Bob,Eng\n"
	if code, out, errs := cli(t, ada, good, "people", "import", "-"); code != 0 || !strings.Contains(out, "2 to add") || !strings.Contains(out, "dry run") {
		t.Fatalf("dry run: %d %s %s", code, out, errs)
	}
	if code, out, _ := cli(t, ada, "", "people", "list"); code != 0 || strings.Contains(out, "bob@acme.test") {
		t.Fatalf("the dry run imported: %s", out)
	}
	if code, out, errs := cli(t, ada, good, "people", "import", "-", "--yes"); code != 0 || !strings.Contains(out, "imported: 2 added") {
		t.Fatalf("import: %d %s %s", code, out, errs)
	}
	if code, out, errs := cli(t, bob, "", "tasks"); code != 0 || !strings.Contains(out, "POL-001") {
		t.Fatalf("tasks: %d %s %s", code, out, errs)
	}
	if code, out, errs := cli(t, ada, "", "policies", "roster", "1"); code != 0 || !regexp.MustCompile(`bob@acme.test\s+due`).MatchString(out) || !strings.Contains(out, "0 acknowledged, 2 due") {
		t.Fatalf("roster: %d %s %s", code, out, errs)
	}
	// This server has no mail: reminding says what is missing.
	if code, _, errs := cli(t, ada, "", "policies", "remind", "1"); code != 1 || !strings.Contains(errs, "--smtp-addr") {
		t.Fatalf("remind without mail: %d %s", code, errs)
	}
	if code, out, errs := cli(t, bob, "", "policies", "acknowledge", "1"); code != 0 || !strings.Contains(out, "acknowledged POL-001 version 1") {
		t.Fatalf("acknowledge: %d %s %s", code, out, errs)
	}
	if code, out, _ := cli(t, bob, "", "tasks"); code != 0 || !strings.Contains(out, "nothing to acknowledge") {
		t.Fatalf("tasks after: %s", out)
	}
	if code, out, _ := cli(t, ada, "", "people", "show", "2"); code != 0 || !strings.Contains(out, "POL-001") || !strings.Contains(out, "acknowledged") {
		t.Fatalf("people show: %s", out)
	}
	if code, out, errs := cli(t, ada, "", "people", "offboarding"); code != 0 || !strings.Contains(out, "PERSON") {
		t.Fatalf("offboarding: %d %s %s", code, out, errs)
	}
}
