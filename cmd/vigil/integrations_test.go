package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestIntegrationsCLI: connect a git repository through the CLI against a
// running server, test it, run its checks, list it; a credential read from
// standard input is never printed back.
func TestIntegrationsCLI(t *testing.T) {
	dir := t.TempDir()
	m, _ := startMain(t, &Main{DataDir: dir})
	db := map[string]string{"VIGIL_DATA_DIR": dir}
	if code, _, errs := cli(t, db, "", "admin", "create-user", "--email", "admin@acme.test", "--name", "Ada", "--role", "admin"); code != 0 {
		t.Fatalf("create-user: %s", errs)
	}
	_, tok, _ := cli(t, db, "", "admin", "create-token", "--email", "admin@acme.test", "--role", "admin")
	api := map[string]string{"VIGIL_SERVER": m.URL, "VIGIL_TOKEN": strings.TrimSpace(tok)}

	repo := t.TempDir()
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"commit", "-q", "--allow-empty", "-m", "direct push"}} {
		cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@x", "GIT_COMMITTER_NAME=A", "GIT_COMMITTER_EMAIL=a@x")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git: %v %s", err, out)
		}
	}
	code, out, errs := cli(t, api, "", "integrations", "add", "--kind", "git", "--name", "api", "--config", `{"repo": "`+repo+`"}`)
	if code != 0 || !strings.Contains(out, "added integration 1") {
		t.Fatalf("add: %d %s %s", code, out, errs)
	}
	if code, out, errs := cli(t, api, "", "integrations", "test", "1"); code != 0 || !strings.Contains(out, "connected") {
		t.Fatalf("test: %d %s %s", code, out, errs)
	}
	if code, out, errs := cli(t, api, "", "integrations", "run", "1"); code != 0 || !strings.Contains(out, "2 failing") {
		t.Fatalf("run: %d %s %s", code, out, errs)
	}
	if code, out, _ := cli(t, api, "", "integrations", "list"); code != 0 || !strings.Contains(out, "api") || !strings.Contains(out, "ok") {
		t.Fatalf("list: %d %s", code, out)
	}
	// A remote with a token that cannot be reached: the test says what is
	// wrong and never prints the token.
	code, _, _ = cli(t, api, "ghp_topsecret\n", "integrations", "add", "--kind", "git", "--name", "remote", "--config", `{"repo": "https://git.invalid/a.git"}`, "--secret-stdin")
	if code != 0 {
		t.Fatal("adding a remote with a secret failed")
	}
	code, out, errs = cli(t, api, "", "integrations", "test", "2")
	if code != 1 || !strings.Contains(errs, "git.invalid") || strings.Contains(out+errs, "topsecret") {
		t.Fatalf("test of an unreachable remote: %d %s %s", code, out, errs)
	}
	if code, out, _ := cli(t, api, "", "integrations", "list", "--json"); code != 0 || strings.Contains(out, "topsecret") || !strings.Contains(out, `"has_secret": true`) {
		t.Fatalf("list --json: %s", out)
	}
	if code, _, errs := cli(t, api, "", "integrations", "add", "--kind", "git", "--name", "bad", "--config", `{"repo": "relative"}`); code != 1 || !strings.Contains(errs, "absolute path") {
		t.Fatalf("bad config: %d %s", code, errs)
	}
}
