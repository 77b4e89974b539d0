package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestIntegrationsCLI: connect a git repository through the CLI against a
// running server, test it, run its checks, list it; a credential read from
// standard input is never printed back.
func TestIntegrationsCLI(t *testing.T) {
	_, _, api := adminAPI(t)

	repo := t.TempDir()
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"commit", "-q", "--allow-empty", "-m", "direct push"}} {
		cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@x", "GIT_COMMITTER_NAME=A", "GIT_COMMITTER_EMAIL=a@x")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git: %v %s", err, out)
		}
	}
	code, out, errs := cli(t, api, "", "integrations", "add", "--kind", "git", "--name", "api", "--config", sinceCreation(t, repo))
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

// TestIntegrationsCLIExitStatus: `integrations test` is not "connected"
// when a source the settings name (the GitHub review source of a git
// integration) cannot be read, also with --json; `integrations run` exits
// non-zero, saying which checks could not be judged and why, when a run
// leaves errors, and zero when everything was judged.
func TestIntegrationsCLIExitStatus(t *testing.T) {
	_, _, api := adminAPI(t)
	gitIn := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@x", "GIT_COMMITTER_NAME=A", "GIT_COMMITTER_EMAIL=a@x")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git: %v %s", err, out)
		}
	}
	work := t.TempDir()
	gitIn(work, "init", "-q", "-b", "main")
	gitIn(work, "commit", "-q", "--allow-empty", "-m", "direct push")
	gitIn(work, "commit", "-q", "--allow-empty", "-m", "squashed feature (#5)")
	// A bare server repository keeping no reflog: whether its history was
	// rewritten is unknown.
	bare := t.TempDir()
	gitIn(bare, "init", "-q", "--bare", "-b", "main")
	gitIn(work, "push", "-q", bare, "main")

	// GitHub as the review source, at an address where nothing answers.
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	cfg, _ := json.Marshal(map[string]any{"repo": work, "github_repo": "acme/api", "github_api_url": gone.URL + "/"})
	if code, out, errs := cli(t, api, "ghp_token\n", "integrations", "add", "--kind", "git", "--name", "reviews", "--config", string(cfg), "--secret-stdin"); code != 0 {
		t.Fatalf("add: %d %s %s", code, out, errs)
	}
	code, out, errs := cli(t, api, "", "integrations", "test", "1")
	if code != 1 || strings.Contains(out, "connected") || !strings.Contains(errs, "acme/api") {
		t.Fatalf("test with the GitHub source unreachable: %d %q %q", code, out, errs)
	}
	if code, out, _ := cli(t, api, "", "integrations", "test", "1", "--json"); code != 1 || !strings.Contains(out, `"ok": false`) {
		t.Fatalf("test --json with the GitHub source unreachable: %d %s", code, out)
	}

	if code, out, errs := cli(t, api, "", "integrations", "add", "--kind", "git", "--name", "server", "--config", `{"repo": "`+bare+`"}`); code != 0 {
		t.Fatalf("add: %d %s %s", code, out, errs)
	}
	code, out, errs = cli(t, api, "", "integrations", "run", "2")
	if code != errUnjudged || !strings.Contains(out, "1 could not be judged") || !strings.Contains(errs, "git.history.no-force-push") || !strings.Contains(errs, "logAllRefUpdates") {
		t.Fatalf("run leaving an error: %d %q %q", code, out, errs)
	}
	if code, _, _ := cli(t, api, "", "integrations", "run", "2", "--json"); code != errUnjudged {
		t.Fatalf("run --json leaving an error: %d", code)
	}
	// The same server once it keeps its reflog: everything is judged.
	gitIn(bare, "config", "core.logAllRefUpdates", "always")
	gitIn(work, "commit", "-q", "--allow-empty", "-m", "second")
	gitIn(work, "push", "-q", bare, "main")
	gitIn(bare, "config", "gc.reflogExpire", "never")
	code, out, errs = cli(t, api, "", "integrations", "run", "2")
	if code == 0 || !strings.Contains(errs, "pushes before") {
		// The reflog starts with the second push: before it, unknown.
		t.Fatalf("run with a reflog starting late: %d %q %q", code, out, errs)
	}
	// The review source unreachable while reading pull request #5: the
	// run itself failed, and says so.
	if code, out, errs := cli(t, api, "", "integrations", "run", "1"); code != 1 || !strings.Contains(errs, "the run failed") || !strings.Contains(errs, "#5") {
		t.Fatalf("run with the GitHub source unreachable: %d %q %q", code, out, errs)
	}
	// A repository whose reflog holds the branch's creation: all judged.
	if code, out, errs := cli(t, api, "", "integrations", "add", "--kind", "git", "--name", "local", "--config", sinceCreation(t, work), "--interval", "24h"); code != 0 {
		t.Fatalf("add: %d %s %s", code, out, errs)
	}
	if code, out, errs := cli(t, api, "", "integrations", "run", "3"); code != 0 || !strings.Contains(out, "0 could not be judged") {
		t.Fatalf("run with everything judged: %d %q %q", code, out, errs)
	}
	// show: the integration as a duration and its results, counted as
	// listed; a bad interval is named.
	if code, out, errs := cli(t, api, "", "integrations", "show", "3"); code != 0 || !strings.Contains(out, "every 24h") || !strings.Contains(out, "results:") {
		t.Fatalf("show: %d %q %q", code, out, errs)
	}
	if code, _, errs := cli(t, api, "", "integrations", "add", "--kind", "git", "--name", "x", "--config", `{"repo": "`+work+`"}`, "--interval", "daily"); code != 1 || !strings.Contains(errs, "not a duration") {
		t.Fatalf("a bad interval: %d %q", code, errs)
	}
}

// sinceCreation is a git integration's settings whose window starts when
// the repository's branch was created: a reflog covers no earlier time
// (a branch deleted and created again starts a new one), so a window
// reaching before it is unknown, never a pass.
func sinceCreation(t *testing.T, repo string) string {
	t.Helper()
	cmd := exec.Command("git", "-C", repo, "log", "--reverse", "--format=%cI", "main")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	b, _ := json.Marshal(map[string]any{"repo": repo, "window_start": strings.TrimSpace(first), "window_end": time.Now().UTC().Add(24 * time.Hour).Format(time.RFC3339)})
	return string(b)
}

// TestHostsCLI: enrol a host with a token from the CLI, let it report a
// failure and a tailoring, then list, show and approve exactly the
// tailoring shown, and revoke it.
func TestHostsCLI(t *testing.T) {
	m, _, api := adminAPI(t)

	code, out, errs := cli(t, api, "", "hosts", "enrol", "web-1")
	i := strings.Index(out, "vge_")
	if code != 0 || i < 0 {
		t.Fatalf("hosts enrol: %d %s %s", code, out, errs)
	}
	token := strings.Fields(out[i:])[0]
	post := func(path, bearer string, body any, out any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", m.URL+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 300 {
			msg, _ := io.ReadAll(resp.Body)
			t.Fatalf("%s: %d %s", path, resp.StatusCode, msg)
		}
		if out != nil {
			json.NewDecoder(resp.Body).Decode(out)
		}
	}
	host := map[string]any{"hostname": "web-1.acme.test", "os": "debian 12", "kernel": "6.1", "agent_version": "1", "interval_seconds": 300}
	var en struct{ Credential string }
	post("/api/v1/agent/enrol", "", map[string]any{"token": token, "host": host}, &en)
	post("/api/v1/agent/reports", en.Credential, map[string]any{"seq": 1, "scanned_at": time.Now().UTC().Add(-time.Minute), "duration_ms": 900, "host": host, "full": true,
		"results":  []map[string]string{{"check": "linux.sshd.permit-root-login", "resource": "/etc/ssh/sshd_config", "verdict": "fail", "reason": "PermitRootLogin yes"}},
		"disabled": map[string]string{"linux.mounts.var-separate": "cloud images have one root volume"}}, nil)

	if code, out, _ := cli(t, api, "", "hosts", "list"); code != 0 || !strings.Contains(out, "web-1") || !strings.Contains(out, "debian 12") {
		t.Fatalf("hosts list: %d\n%s", code, out)
	}
	code, out, _ = cli(t, api, "", "hosts", "show", "1")
	j := strings.Index(out, "--digest ")
	if code != 0 || !strings.Contains(out, "PermitRootLogin yes") || !strings.Contains(out, "NOT APPROVED") || j < 0 {
		t.Fatalf("hosts show: %d\n%s", code, out)
	}
	digest := strings.Fields(out[j+len("--digest "):])[0]
	if code, _, errs := cli(t, api, "", "hosts", "approve-tailoring", "1", "--digest", "0000000000000000"); code != 1 || !strings.Contains(errs, "changed since it was shown") {
		t.Fatalf("approving a stale digest: %d %s", code, errs)
	}
	if code, _, _ := cli(t, api, "", "hosts", "approve-tailoring", "1"); code != 2 {
		t.Fatalf("approving without a digest: %d, want usage", code)
	}
	if code, out, errs := cli(t, api, "", "hosts", "approve-tailoring", "1", "--digest", digest); code != 0 || !strings.Contains(out, "approved: 1") {
		t.Fatalf("approve: %d %s %s", code, out, errs)
	}
	if _, out, _ := cli(t, api, "", "hosts", "show", "1"); strings.Contains(out, "NOT APPROVED") {
		t.Fatalf("after approval:\n%s", out)
	}
	if code, out, _ := cli(t, api, "", "hosts", "revoke", "1"); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %d %s", code, out)
	}
	if _, out, _ := cli(t, api, "", "hosts", "list"); !strings.Contains(out, "revoked") {
		t.Fatalf("hosts list after revoke:\n%s", out)
	}
	if _, out, _ := cli(t, api, "", "hosts", "show", "1"); !strings.Contains(out, "REVOKED") {
		t.Fatalf("hosts show after revoke:\n%s", out)
	}
}

// adminAPI starts a server on a fresh data directory and gives its admin
// CLI environment (the data directory) and an admin's API environment.
func adminAPI(t *testing.T) (m *Main, db, api map[string]string) {
	t.Helper()
	dir := t.TempDir()
	m, _ = startMain(t, &Main{DataDir: dir})
	db = map[string]string{"VIGIL_DATA_DIR": dir}
	if code, _, errs := cli(t, db, "", "admin", "create-user", "--email", "admin@acme.test", "--name", "Ada", "--role", "admin"); code != 0 {
		t.Fatalf("create-user: %s", errs)
	}
	_, tok, _ := cli(t, db, "", "admin", "create-token", "--email", "admin@acme.test", "--role", "admin")
	return m, db, map[string]string{"VIGIL_SERVER": m.URL, "VIGIL_TOKEN": strings.TrimSpace(tok)}
}
