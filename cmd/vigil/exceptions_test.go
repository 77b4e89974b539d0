package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/agent"
)

// TestExceptionsCLI: enrol with labels; ask for an exception for a label,
// refused with the field named when the justification is short; the
// requester cannot approve it, another admin can; list and revoke.
func TestExceptionsCLI(t *testing.T) {
	dir := t.TempDir()
	m, _ := startMain(t, &Main{DataDir: dir})
	db := map[string]string{"VIGIL_DATA_DIR": dir}
	api := map[string]map[string]string{}
	for _, who := range []string{"ada", "bob"} {
		if code, _, errs := cli(t, db, "", "admin", "create-user", "--email", who+"@acme.test", "--name", who, "--role", "admin"); code != 0 {
			t.Fatalf("create-user: %s", errs)
		}
		_, tok, _ := cli(t, db, "", "admin", "create-token", "--email", who+"@acme.test", "--role", "admin")
		api[who] = map[string]string{"VIGIL_SERVER": m.URL, "VIGIL_TOKEN": strings.TrimSpace(tok)}
	}
	code, out, errs := cli(t, api["ada"], "", "hosts", "enrol", "web-1", "--label", "env=dev", "--label", "team=payments")
	tok := regexp.MustCompile(`vge_[A-Za-z0-9_-]+`).FindString(out)
	if code != 0 || tok == "" {
		t.Fatalf("enrol with labels: %d %s %s", code, out, errs)
	}
	if _, err := agent.Enrol(context.Background(), t.TempDir(), m.URL, tok, "", "", vigil.HostInfo{Hostname: "web-1", Interval: 900}); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := cli(t, api["ada"], "", "hosts", "show", "1"); code != 0 || !strings.Contains(out, "labels: env=dev, team=payments") {
		t.Fatalf("hosts show after a labelled enrolment: %d %s", code, out)
	}
	if code, out, errs := cli(t, api["ada"], "", "hosts", "label", "1", "env=prod"); code != 0 || !strings.Contains(out, "labels of web-1: env=prod") {
		t.Fatalf("hosts label: %d %s %s", code, out, errs)
	}
	if code, _, errs := cli(t, api["ada"], "", "hosts", "label", "1", "env"); code != 2 || !strings.Contains(errs, "key=value") {
		t.Fatalf("hosts label with a bad label: %d %s", code, errs)
	}
	if code, _, errs := cli(t, api["ada"], "", "hosts", "enrol", "web-2", "--label", "Env=Dev"); code != 2 || !strings.Contains(errs, "lowercase") {
		t.Fatalf("enrol with a bad label: %d %s", code, errs)
	}
	expires := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	req := []string{"exceptions", "request", "--check", "linux.sshd.permit-root-login", "--kind", "risk_accepted", "--label", "env=dev", "--expires", expires}
	if code, _, errs := cli(t, api["ada"], "", append(req, "--justification", "dev")...); code != 1 || !strings.Contains(errs, "justification") {
		t.Fatalf("a short justification: %d %s", code, errs)
	}
	if code, _, _ := cli(t, api["ada"], "", "exceptions", "request", "--check", "linux.sshd.permit-root-login", "--kind", "risk_accepted", "--justification", "x y z"); code != 2 {
		t.Fatalf("a request naming no hosts: %d", code)
	}
	code, out, errs = cli(t, api["ada"], "", append(req, "--justification", "Development hosts are only reachable over the VPN.")...)
	if code != 0 || !strings.Contains(out, "requested exception #1") || !strings.Contains(out, "hosts labelled env=dev") {
		t.Fatalf("request: %d %s %s", code, out, errs)
	}
	if code, _, errs := cli(t, api["ada"], "", "exceptions", "approve", "1"); code != 1 || !strings.Contains(errs, "separation of duties") {
		t.Fatalf("self-approval: %d %s", code, errs)
	}
	if code, out, errs := cli(t, api["bob"], "", "exceptions", "approve", "1"); code != 0 || !strings.Contains(out, "approved exception #1") {
		t.Fatalf("approve: %d %s %s", code, out, errs)
	}
	if code, out, _ := cli(t, api["ada"], "", "exceptions", "list", "--state", "active"); code != 0 || !strings.Contains(out, "active") || !strings.Contains(out, "bob") {
		t.Fatalf("list active: %d %s", code, out)
	}
	if code, out, errs := cli(t, api["ada"], "", "exceptions", "revoke", "1", "--reason", "VPN gone"); code != 0 || !strings.Contains(out, "revoked exception #1") {
		t.Fatalf("revoke: %d %s %s", code, out, errs)
	}
	if code, out, _ := cli(t, api["ada"], "", "exceptions", "list", "--state", "active"); code != 0 || strings.Contains(out, "env=dev") {
		t.Fatalf("list active after revocation: %d %s", code, out)
	}
}
