package server_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/server"
)

// TestIntegrationEvidence: connecting a git repository and running it
// seals the change population into the evidence ledger, linked to the
// adopted change-management controls; an unchanged population is not
// sealed twice. Credentials never come back from the API.
func TestIntegrationEvidence(t *testing.T) {
	e := newEnv(t, "sqlite", func(c *server.Config) { c.Sources = []vigil.SignalSource{c.Monitor} })
	e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"CM-02", "CM-04"}}, 200, nil)
	repo := t.TempDir()
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"commit", "-q", "--allow-empty", "-m", "first"}} {
		cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@x", "GIT_COMMITTER_NAME=A", "GIT_COMMITTER_EMAIL=a@x")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git: %v %s", err, out)
		}
	}
	var x vigil.Integration
	raw := e.do("admin", "POST", "/api/v1/integrations", map[string]any{"kind": "git", "name": "api", "config": map[string]any{"repo": repo},
		"interval_seconds": 3600, "secret": "tok_never_shown"}, 201, &x)
	if strings.Contains(string(raw), "tok_never_shown") {
		t.Fatal("the secret came back")
	}
	e.do("admin", "POST", "/api/v1/integrations/1/run", nil, 200, nil)
	e.do("admin", "POST", "/api/v1/integrations/1/run", nil, 200, nil)
	var page struct {
		Items []vigil.Evidence `json:"items"`
	}
	e.do("viewer", "GET", "/api/v1/evidence?control=CM-02", nil, 200, &page)
	if len(page.Items) != 1 || page.Items[0].Source != vigil.SourceCollector || !strings.Contains(page.Items[0].Title, "change population") {
		t.Fatalf("evidence for CM-02: %+v", page.Items)
	}
	// The direct push is a failing automated test of CM-02 in readiness.
	var ctl struct {
		Health vigil.Health `json:"health"`
	}
	e.do("viewer", "GET", "/api/v1/controls/CM-02", nil, 200, &ctl)
	found := false
	for _, sig := range ctl.Health.Signals {
		found = found || (sig.Source == "test" && sig.Status == vigil.SignalFail && strings.Contains(sig.Reason, "git.changes.reviewed"))
	}
	if !found {
		t.Fatalf("CM-02's health has no failing test signal: %+v", ctl.Health.Signals)
	}
	raw = e.do("viewer", "GET", "/api/v1/integrations/1", nil, 200, &x)
	if strings.Contains(string(raw), "tok_never_shown") || !x.HasSecret || x.LastStatus != "ok" {
		t.Fatalf("integration: %s", raw)
	}
}
