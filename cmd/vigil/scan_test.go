package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// scanRoot is a small host laid out under a directory, with root SSH
// sign-in allowed (a high-severity failure).
func scanRoot(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for p, body := range map[string]string{
		"etc/os-release":      "ID=debian\nVERSION_ID=12\nPRETTY_NAME=\"Debian GNU/Linux 12\"\n",
		"etc/hostname":        "scratch\n",
		"etc/passwd":          "root:x:0:0:root:/root:/bin/bash\n",
		"etc/group":           "root:x:0:\n",
		"etc/ssh/sshd_config": "PermitRootLogin yes\n",
	} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), []byte(body), 0o644)
	}
	return dir
}

func TestScanFormatsAndExitCodes(t *testing.T) {
	root := scanRoot(t)
	code, out, errOut := cli(t, nil, "", "scan", "--root", root, "--progress=false")
	if code != errFindings || !strings.Contains(out, "linux.sshd.permit-root-login") || !strings.Contains(out, "fix:") ||
		!strings.Contains(errOut, "exit code 3") {
		t.Fatalf("text scan: exit %d\n%s\n%s", code, out, errOut)
	}
	// Failures come first, most severe first.
	if i, j := strings.Index(out, "FAILED"), strings.Index(out, "COULD NOT BE JUDGED"); i < 0 || (j >= 0 && j < i) {
		t.Fatalf("failures are not listed first:\n%s", out)
	}
	if code, _, _ := cli(t, nil, "", "scan", "--root", root, "--fail-on", "none"); code != 0 {
		t.Fatalf("--fail-on none: exit %d", code)
	}
	if code, _, _ := cli(t, nil, "", "scan", "--root", root, "--fail-on", "critical", "--only", "linux.sshd.permit-root-login"); code != 0 {
		t.Fatalf("a high failure with --fail-on critical: exit %d", code)
	}

	_, out, _ = cli(t, nil, "", "scan", "--root", root, "--format", "json", "--fail-on", "none")
	var rep struct {
		Summary  struct{ Checks, Fail, Error, ChecksUnjudged int } `json:"summary"`
		Findings []struct{ Check, Verdict, Reason string }         `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Summary.Checks < 200 || rep.Summary.Fail == 0 {
		t.Fatalf("json: %v %+v", err, rep.Summary)
	}
	for _, f := range rep.Findings {
		if f.Verdict == "error" && f.Reason == "" {
			t.Errorf("%s: an error without its cause", f.Check)
		}
	}

	_, out, _ = cli(t, nil, "", "scan", "--root", root, "--format", "junit", "--fail-on", "none")
	var suite struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal([]byte(out), &suite); err != nil || suite.Tests == 0 || suite.Failures == 0 {
		t.Fatalf("junit: %v %+v", err, suite)
	}

	_, out, _ = cli(t, nil, "", "scan", "--root", root, "--format", "sarif", "--fail-on", "none")
	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct{ Rules []struct{ ID string } }
			} `json:"tool"`
			Results []struct {
				RuleID string `json:"ruleId"`
				Kind   string `json:"kind"`
				Level  string `json:"level"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &sarif); err != nil || sarif.Version != "2.1.0" || len(sarif.Runs) != 1 || len(sarif.Runs[0].Tool.Driver.Rules) < 200 {
		t.Fatalf("sarif: %v", err)
	}
	found := false
	for _, r := range sarif.Runs[0].Results {
		found = found || (r.RuleID == "linux.sshd.permit-root-login" && r.Kind == "fail" && r.Level == "error")
	}
	if !found {
		t.Fatal("sarif lacks the failing sshd result")
	}
}

func TestScanBadInput(t *testing.T) {
	root := scanRoot(t)
	if code, _, _ := cli(t, nil, "", "scan", "--root", root, "--format", "pdf"); code != 2 {
		t.Fatalf("bad format: exit %d", code)
	}
	if code, _, errOut := cli(t, nil, "", "scan", "--root", filepath.Join(root, "nope")); code != 1 || !strings.Contains(errOut, "nope") {
		t.Fatalf("missing root: exit %d %s", code, errOut)
	}
	// Tailoring without a justification, or naming no check, is refused.
	tail := filepath.Join(t.TempDir(), "tailor.yaml")
	os.WriteFile(tail, []byte("disable:\n  linux.sshd.permit-root-login: \"\"\n"), 0o644)
	if code, _, errOut := cli(t, nil, "", "scan", "--root", root, "--tailoring", tail); code != 1 || !strings.Contains(errOut, "justification") {
		t.Fatalf("tailoring without justification: exit %d %s", code, errOut)
	}
	os.WriteFile(tail, []byte("params:\n  linux.sshd.max-auth-tries: {maxx: 3}\n"), 0o644)
	if code, _, errOut := cli(t, nil, "", "scan", "--root", root, "--tailoring", tail); code != 1 || !strings.Contains(errOut, "maxx") {
		t.Fatalf("tailoring with a misspelt parameter: exit %d %s", code, errOut)
	}
	// With a justification the check is off, and the report says why.
	os.WriteFile(tail, []byte("disable:\n  linux.sshd.permit-root-login: \"Break-glass access only, over the console.\"\n"), 0o644)
	code, out, _ := cli(t, nil, "", "scan", "--root", root, "--tailoring", tail, "--only", "linux.sshd.permit-root-login,linux.sshd.max-auth-tries")
	if code != 0 || !strings.Contains(out, "DISABLED BY TAILORING") || !strings.Contains(out, "Break-glass") {
		t.Fatalf("disabled check: exit %d\n%s", code, out)
	}
	// A custom check with broken CEL: file and line.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mine.yaml"), []byte("id: acme.motd\nversion: 1\ntitle: T\nseverity: low\ncollector: host.config\nselect: '[input.files]'\nassert: 'r.x =='\nreason: '\"x\"'\ntests:\n  - name: t\n    input: {}\n    expect: {x: pass}\n"), 0o644)
	if code, _, errOut := cli(t, nil, "", "scan", "--root", root, "--checks", dir); code != 1 || !strings.Contains(errOut, "mine.yaml:7") {
		t.Fatalf("bad custom check: exit %d %s", code, errOut)
	}
	if code, out, _ := cli(t, nil, "", "checks", "test"); code != 0 || !strings.Contains(out, "ok:") {
		t.Fatalf("checks test: exit %d %s", code, out)
	}
}

func TestScanBaselineAndDrift(t *testing.T) {
	root := scanRoot(t)
	base := filepath.Join(t.TempDir(), "base.vgl")
	if code, _, errOut := cli(t, nil, "", "scan", "--root", root, "--fail-on", "none", "--fim-paths", "/etc", "--baseline", base); code != 0 {
		t.Fatalf("baseline: exit %d %s", code, errOut)
	}
	code, out, _ := cli(t, nil, "", "scan", "--root", root, "--only", "linux.drift", "--drift", base)
	if code != 0 || !strings.Contains(out, "DRIFT SINCE THE BASELINE") || strings.Contains(out, "FAILED") {
		t.Fatalf("unchanged host: exit %d\n%s", code, out)
	}
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/root:/bin/sh\n"), 0o644)
	code, out, _ = cli(t, nil, "", "scan", "--root", root, "--only", "linux.drift", "--drift", base)
	if code != errFindings || !strings.Contains(out, "files:/etc/passwd") || !strings.Contains(out, "users:toor") {
		t.Fatalf("changed host: exit %d\n%s", code, out)
	}
	// /etc/passwd gone: the users the baseline has cannot be read now,
	// which is unknown, not "no drift".
	os.Remove(filepath.Join(root, "etc/passwd"))
	_, out, _ = cli(t, nil, "", "scan", "--root", root, "--only", "linux.drift.accounts", "--drift", base)
	if !strings.Contains(out, "drift cannot be judged") || !strings.Contains(out, "users") {
		t.Fatalf("unreadable users:\n%s", out)
	}
	if code, _, errOut := cli(t, nil, "", "scan", "--root", root, "--drift", filepath.Join(root, "etc/hostname")); code != 1 || !strings.Contains(errOut, "not a Vigil baseline") {
		t.Fatalf("a file that is not a baseline: exit %d %s", code, errOut)
	}
}

// TestScanUnjudgedIsNotGreen: a scan that cannot read what a high check
// needs does not exit 0.
func TestScanUnjudgedIsNotGreen(t *testing.T) {
	root := scanRoot(t)
	p := filepath.Join(root, "etc/ssh/sshd_config")
	os.Remove(p)
	os.MkdirAll(p, 0o755) // a directory where the file should be: unreadable as a file
	code, out, errOut := cli(t, nil, "", "scan", "--root", root, "--only", "linux.sshd.permit-root-login")
	if code != errUnjudged || !strings.Contains(out, "COULD NOT BE JUDGED") || !strings.Contains(errOut, "could not be judged") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestScanRefusesUnknownCollector: a custom check naming a collector that
// exists nowhere is an error, not a check that silently never runs.
func TestScanRefusesUnknownCollector(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "typo.yaml"), []byte("id: acme.typo\nversion: 1\ntitle: T\nseverity: low\ncollector: hots.sshd\nselect: '[input]'\nassert: 'true'\nreason: '\"x\"'\ntests:\n  - name: t\n    input: {}\n    expect: {x: pass}\n"), 0o644)
	code, _, errOut := cli(t, nil, "", "scan", "--root", scanRoot(t), "--checks", dir)
	if code != 1 || !strings.Contains(errOut, `collector "hots.sshd", which does not exist`) {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}
