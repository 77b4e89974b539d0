package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRisksCLI: the register started from the library, a risk added,
// scored and linked, an acceptance the owner cannot approve and its
// approver can, and the annual assessment recorded and signed, all from
// the command line; bad input is refused naming what is wrong.
func TestRisksCLI(t *testing.T) {
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
	if code, _, errs := cli(t, ada, "", "controls", "adopt", "RA-01", "RA-02", "RA-03", "AC-03"); code != 0 {
		t.Fatalf("adopt: %s", errs)
	}
	if code, out, _ := cli(t, max, "", "risks", "library"); code != 0 || !strings.Contains(out, "LR-18") || strings.Count(out, "\nLR-") < 40 {
		t.Fatalf("library: %d %s", code, out)
	}
	if code, _, errs := cli(t, max, "", "risks", "add", "--library", "LR-01"); code != 1 || !strings.Contains(errs, "role") {
		t.Fatalf("a member adding: %d %s", code, errs)
	}
	if code, out, errs := cli(t, ada, "", "risks", "add", "--library", "LR-01,LR-18", "--owner", "ada@acme.test"); code != 0 || !strings.Contains(out, "added RISK-001") || !strings.Contains(out, "controls AC-03") {
		t.Fatalf("add from the library: %d %s %s", code, out, errs)
	}
	if code, _, errs := cli(t, ada, "", "risks", "add", "--title", "Office flood", "--likelihood", "7", "--impact", "2"); code != 1 || !strings.Contains(errs, "likelihood must be 1 to 5") {
		t.Fatalf("likelihood 7: %d %s", code, errs)
	}
	if code, _, errs := cli(t, ada, "", "risks", "add"); code != 2 || !strings.Contains(errs, "Usage") {
		t.Fatalf("add with nothing: %d %s", code, errs)
	}
	if code, out, errs := cli(t, ada, "", "risks", "add", "--title", "Office flood", "--category", "availability", "--likelihood", "2", "--impact", "2"); code != 0 || !strings.Contains(out, "RISK-003") {
		t.Fatalf("add: %d %s %s", code, out, errs)
	}
	review := time.Now().AddDate(0, 3, 0).Format("2006-01-02")
	if code, out, errs := cli(t, ada, "", "risks", "score", "1", "--residual-likelihood", "2", "--residual-impact", "2", "--treatment", "mitigate", "--review", review, "--controls", "AC-03,RA-01"); code != 0 || !strings.Contains(out, "residual: 2×2=4") || !strings.Contains(out, "controls: AC-03,RA-01") {
		t.Fatalf("score: %d %s %s", code, out, errs)
	}
	if code, _, errs := cli(t, ada, "", "risks", "score", "1", "--residual-likelihood", "5"); code != 1 || !strings.Contains(errs, "above the inherent") {
		t.Fatalf("residual above inherent: %d %s", code, errs)
	}
	exp := time.Now().AddDate(0, 6, 0).Format("2006-01-02")
	if code, _, errs := cli(t, ada, "", "risks", "accept", "2", "--approver", "ada@acme.test", "--expires", exp); code != 1 || !strings.Contains(errs, "someone other than the risk's owner") {
		t.Fatalf("the owner as approver: %d %s", code, errs)
	}
	if code, out, errs := cli(t, ada, "", "risks", "accept", "2", "--approver", "max@acme.test", "--expires", exp); code != 0 || !strings.Contains(out, "awaits the approval of max") {
		t.Fatalf("accept: %d %s %s", code, out, errs)
	}
	if code, _, errs := cli(t, ada, "", "risks", "approve", "2"); code != 1 || !strings.Contains(errs, "owner") {
		t.Fatalf("the owner approves: %d %s", code, errs)
	}
	if code, out, errs := cli(t, max, "", "risks", "approve", "2"); code != 0 || !strings.Contains(out, "approved") {
		t.Fatalf("approve: %d %s %s", code, out, errs)
	}
	if code, out, _ := cli(t, max, "", "risks", "show", "2"); code != 0 || !strings.Contains(out, "acceptance: approver max") || !strings.Contains(out, "approved") {
		t.Fatalf("show: %d %s", code, out)
	}
	if code, out, _ := cli(t, max, "", "risks", "list", "--category", "fraud"); code != 0 || !strings.Contains(out, "RISK-002") || strings.Contains(out, "RISK-001") {
		t.Fatalf("list fraud: %d %s", code, out)
	}
	if code, _, errs := cli(t, ada, "", "risks", "assess", "--method", "workshop"); code != 1 || !strings.Contains(errs, "took part") {
		t.Fatalf("assess without participants: %d %s", code, errs)
	}
	if code, out, errs := cli(t, ada, "", "risks", "assess", "--method", "workshop with owners", "--participant", "Ada", "--participant", "Max"); code != 0 || !strings.Contains(out, "records 3 risks") {
		t.Fatalf("assess: %d %s %s", code, out, errs)
	}
	if code, out, errs := cli(t, ada, "", "risks", "sign", "1"); code != 0 || !strings.Contains(out, "sealed into the evidence ledger as evidence") {
		t.Fatalf("sign: %d %s %s", code, out, errs)
	}
	if code, _, errs := cli(t, ada, "", "risks", "sign", "1"); code != 1 || !strings.Contains(errs, "already signed") {
		t.Fatalf("sign twice: %d %s", code, errs)
	}
	if code, out, _ := cli(t, max, "", "risks", "assessments"); code != 0 || !strings.Contains(out, "evidence") {
		t.Fatalf("assessments: %d %s", code, out)
	}

	// Import: a dry run names each bad row; --yes imports a clean file.
	file := filepath.Join(t.TempDir(), "register.csv")
	os.WriteFile(file, []byte("title,owner_email,likelihood,impact\nLeaked key,nobody@acme.test,3,4\n=1+1,,2,2\n"), 0o600)
	if code, _, errs := cli(t, ada, "", "risks", "import", file, "--yes"); code != 1 || !strings.Contains(errs, "line 2, column owner_email") || !strings.Contains(errs, "line 3, column title: \"=1+1\" looks like a spreadsheet formula") {
		t.Fatalf("a bad import: %d %s", code, errs)
	}
	os.WriteFile(file, []byte("title,owner_email,likelihood,impact\nLeaked key,max@acme.test,3,4\n"), 0o600)
	if code, out, errs := cli(t, ada, "", "risks", "import", file); code != 0 || !strings.Contains(out, "1 risks would be added") {
		t.Fatalf("a dry run: %d %s %s", code, out, errs)
	}
	if code, out, errs := cli(t, ada, "", "risks", "import", file, "--yes"); code != 0 || !strings.Contains(out, "imported 1 risks: RISK-004") {
		t.Fatalf("the import: %d %s %s", code, out, errs)
	}
}
