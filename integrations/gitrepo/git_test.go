package gitrepo

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/scheduler"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_AUTHOR_NAME=Ann", "GIT_AUTHOR_EMAIL=ann@acme.test",
		"GIT_COMMITTER_NAME=Ann", "GIT_COMMITTER_EMAIL=ann@acme.test")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestGitIntegration: a repository with a direct push and, later, a
// rewritten history; the integration's checks find both and the results
// are kept like a host's.
func TestGitIntegration(t *testing.T) {
	s := newService(t)
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "commit", "-q", "--allow-empty", "-m", "initial")
	first := git(t, dir, "rev-parse", "HEAD")
	git(t, dir, "commit", "-q", "--allow-empty", "-m", "hotfix pushed straight to main")

	// The window starts with the repository: its reflog covers no earlier
	// time.
	created := git(t, dir, "log", "-1", "--format=%cI", first)
	x := &vigil.Integration{Kind: "git", Name: "api", Config: json.RawMessage(`{"repo": "` + dir + `", "window_start": "` + created + `", "window_end": "` + time.Now().UTC().Add(24*time.Hour).Format(time.RFC3339) + `"}`), Interval: 3600, Enabled: true}
	if err := s.Create(ctx, x, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Test(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	v := verdicts(t, s, x.AgentID)
	if v["git.changes.reviewed"] != "fail" || v["git.history.no-force-push"] != "pass" {
		t.Fatalf("first run: %v", v)
	}
	// History rewritten: the hotfix is gone, another commit replaces it.
	git(t, dir, "reset", "-q", "--hard", first)
	git(t, dir, "commit", "-q", "--allow-empty", "-m", "rewritten")
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	if v := verdicts(t, s, x.AgentID); v["git.history.no-force-push"] != "fail" {
		t.Fatalf("after a force push: %v", v)
	}
	// It stays failing at the next run: the rewrite is in the window.
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	if v := verdicts(t, s, x.AgentID); v["git.history.no-force-push"] != "fail" {
		t.Fatalf("the force push was forgotten at the next run: %v", v)
	}
	// Each run names what its checks were judged on, kept by hash.
	runs, _ := s.Store.Runs(ctx, x.AgentID, 10)
	if len(runs) != 3 || runs[0].Input == "" {
		t.Fatalf("runs %+v", runs)
	}
	if in, err := s.Store.MonitorInput(ctx, runs[0].Input); err != nil || in == "" {
		t.Fatalf("the run's input is not kept: %v", err)
	}
	got, _, _ := s.Store.Integration(ctx, x.ID)
	if got.LastStatus != "ok" || got.LastRun == nil {
		t.Fatalf("run not recorded: %+v", got)
	}
	// The repository vanishes: the checks are errors naming it, never a pass.
	os.RemoveAll(dir)
	if err := s.Test(ctx, x.ID); err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("test of a vanished repository: %v", err)
	}
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	if v := verdicts(t, s, x.AgentID); v["git.changes.reviewed"] != "error" || v["git.history.no-force-push"] != "error" {
		t.Fatalf("vanished repository: %v", v)
	}
	got, _, _ = s.Store.Integration(ctx, x.ID)
	if got.LastStatus != "error" || !strings.Contains(got.LastError, dir) {
		t.Fatalf("failure not recorded: %+v", got)
	}
}

// TestGitSignedChanges: signatures count only when verified against the
// trusted signers in the settings; without them, signed changes are an
// error (unknown), never a pass.
func TestGitSignedChanges(t *testing.T) {
	s := newService(t)
	keys := t.TempDir()
	for _, k := range []string{"trusted", "other"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", keys+"/"+k).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v %s", err, out)
		}
	}
	pub, _ := os.ReadFile(keys + "/trusted.pub")
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "config", "gpg.format", "ssh")
	git(t, dir, "config", "user.signingkey", keys+"/trusted")
	git(t, dir, "commit", "-q", "--allow-empty", "-S", "-m", "initial")
	git(t, dir, "commit", "-q", "--allow-empty", "-S", "-m", "release")
	run := func(name, cfg string) (string, string) {
		t.Helper()
		x := &vigil.Integration{Kind: "git", Name: name, Config: json.RawMessage(cfg), Interval: 3600, Enabled: true}
		if err := s.Create(ctx, x, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RunNow(ctx, x.ID); err != nil {
			t.Fatal(err)
		}
		rs, _ := s.Store.CurrentResults(ctx, x.AgentID, "git.changes.signed")
		verdict, why := "", ""
		for _, r := range rs {
			if verdict != "fail" {
				verdict = r.Verdict
			}
			why += r.Resource + ": " + r.Reason + "; "
		}
		return verdict, why
	}
	if v, why := run("no signers", `{"repo": "`+dir+`"}`); v != "error" || !strings.Contains(why, "no trusted signers") {
		t.Fatalf("signed changes without trusted signers: %s %s", v, why)
	}
	signers, _ := json.Marshal("ann@acme.test namespaces=\"git\" " + strings.TrimSpace(string(pub)))
	cfg := `{"repo": "` + dir + `", "allowed_signers": ` + string(signers) + `}`
	if v, why := run("trusted", cfg); v != "pass" {
		t.Fatalf("changes signed by the trusted key: %s %s", v, why)
	}
	all, _ := s.Store.Integrations(ctx)
	for _, x := range all {
		if x.Name != "trusted" {
			continue
		}
		if st, err := s.Store.IntegrationState(ctx, x.ID); err != nil || !strings.Contains(st, `"verified"`) || !strings.Contains(st, `"good"`) {
			t.Fatalf("verifications not kept for the next run: %v %s", err, st)
		}
	}
	git(t, dir, "config", "user.signingkey", keys+"/other")
	git(t, dir, "commit", "-q", "--allow-empty", "-S", "-m", "signed by someone else")
	if v, why := run("other key", cfg); v != "fail" || !strings.Contains(why, "not in the trusted signers") || !strings.Contains(why, "someone else") {
		t.Fatalf("a change signed by an untrusted key: %s %s", v, why)
	}
}

func TestGitSettingsAndSecrets(t *testing.T) {
	s := newService(t)
	for _, cfg := range []string{`{}`, `{"repo": "relative/path"}`, `{"repo": "/x", "window_days": 999}`, `{"repo": "/x", "colour": 1}`,
		`{"repo": "https://user:pw@git.example/x.git"}`, `{"repo": "--upload-pack=evil"}`} {
		x := &vigil.Integration{Kind: "git", Name: "bad", Config: json.RawMessage(cfg), Interval: 3600, Enabled: true}
		if err := s.Create(ctx, x, ""); err == nil {
			t.Errorf("config %s was accepted", cfg)
		}
	}
	if err := s.Create(ctx, &vigil.Integration{Kind: "svn", Name: "x", Config: json.RawMessage(`{}`), Interval: 3600}, ""); err == nil || !strings.Contains(err.Error(), "git") {
		t.Fatalf("unknown kind: %v", err)
	}
	// A token is sealed at rest, bound to its integration, and never
	// returned or logged.
	x := &vigil.Integration{Kind: "git", Name: "remote", Config: json.RawMessage(`{"repo": "https://git.invalid/acme/api.git"}`), Interval: 3600, Enabled: true}
	if err := s.Create(ctx, x, "ghp_supersecret"); err != nil {
		t.Fatal(err)
	}
	got, sealed, err := s.Store.Integration(ctx, x.ID)
	if err != nil || !got.HasSecret || sealed == "" || strings.Contains(sealed, "supersecret") {
		t.Fatalf("stored secret: %v %q", err, sealed)
	}
	acts, _ := s.Store.ListActivity(ctx, vigil.ActivityFilter{EntityType: "integration"})
	for _, a := range acts {
		if strings.Contains(string(a.After), "supersecret") || strings.Contains(string(a.Before), "supersecret") {
			t.Fatal("the token is in the activity log")
		}
	}
	b, _ := json.Marshal(got)
	if strings.Contains(string(b), "supersecret") {
		t.Fatal("the token is in the integration's JSON")
	}
	err = s.Test(ctx, x.ID)
	if err == nil || strings.Contains(err.Error(), "supersecret") || !strings.Contains(err.Error(), "git.invalid") {
		t.Fatalf("test of an unreachable remote: %v", err)
	}
	// Pointing the integration elsewhere without giving the credential
	// again is refused: the stored token must not follow new settings.
	moved := &vigil.Integration{ID: x.ID, Name: x.Name, Config: json.RawMessage(`{"repo": "https://attacker.example/x.git"}`), Interval: 3600, Enabled: true}
	if err := s.Update(ctx, moved, nil); err == nil || !strings.Contains(err.Error(), "credential again") {
		t.Fatalf("moving an integration kept its credential: %v", err)
	}
	for cfg, field := range map[string]string{
		`{"repo": "/x", "allowed_signers": "ann@acme.test just-words"}`:                                                "allowed_signers line 1",
		`{"repo": "/x", "gpg_keys": "-----BEGIN PGP PRIVATE KEY BLOCK-----\nxx\n-----END PGP PRIVATE KEY BLOCK-----"}`: "private key",
		`{"repo": "/x", "gpg_keys": "mQINBGV..."}`:                                                                     "ASCII-armored",
	} {
		err := s.Create(ctx, &vigil.Integration{Kind: "git", Name: "bad3", Config: json.RawMessage(cfg), Interval: 3600, Enabled: true}, "")
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("config %s: %v, want an error naming %q", cfg, err, field)
		}
	}
	for _, cfg := range []string{`{"repo": "https://ghp_x@github.com/acme/api.git"}`, `{"repo": "http://git.example/x.git"}`, `{"repo": "/x", "branch": "main~200"}`} {
		if err := s.Create(ctx, &vigil.Integration{Kind: "git", Name: "bad2", Config: json.RawMessage(cfg), Interval: 3600, Enabled: true}, "tok"); err == nil {
			t.Errorf("config %s with a token was accepted", cfg)
		}
	}
}

// TestGitReviewsFromGitHub: review data from GitHub's pull requests
// outranks what merge commits claim: a forged Reviewed-by trailer does not
// make an unreviewed pull request approved.
func TestGitReviewsFromGitHub(t *testing.T) {
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "commit", "-q", "--allow-empty", "-m", "initial")
	for n, trailer := range map[int]string{1: "", 2: "", 3: "Reviewed-by: Dana <dana@acme.test>"} {
		b := fmt.Sprintf("pr%d", n)
		git(t, dir, "checkout", "-q", "-b", b)
		git(t, dir, "commit", "-q", "--allow-empty", "-m", "work "+b)
		git(t, dir, "checkout", "-q", "main")
		git(t, dir, "merge", "-q", "--no-ff", b, "-m", fmt.Sprintf("Merge pull request #%d from acme/%s\n\n%s", n, b, trailer))
	}
	// A direct push whose subject borrows pull request #9's number.
	git(t, dir, "commit", "-q", "--allow-empty", "-m", "hotfix (#9)")
	js := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	reviews := map[string][]any{
		"9": {map[string]any{"user": map[string]any{"login": "dana"}, "state": "APPROVED"}},
		"1": {map[string]any{"user": map[string]any{"login": "dana"}, "state": "CHANGES_REQUESTED"}, map[string]any{"user": map[string]any{"login": "dana"}, "state": "APPROVED"}},
		"2": {map[string]any{"user": map[string]any{"login": "bob"}, "state": "APPROVED"}},
		"3": {map[string]any{"user": map[string]any{"login": "dana"}, "state": "COMMENTED"}},
	}
	var prCalls atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v3/repos/acme/api/pulls/{n}", func(w http.ResponseWriter, r *http.Request) {
		prCalls.Add(1)
		pr := map[string]any{"number": 1, "user": map[string]any{"login": "bob"}, "merged": true, "merged_at": "2026-10-01T00:00:00Z"}
		if r.PathValue("n") == "9" {
			pr["merge_commit_sha"] = "0123456789abcdef0123456789abcdef01234567"
		}
		js(w, pr)
	})
	mux.HandleFunc("GET /api/v3/repos/acme/api/pulls/{n}/reviews", func(w http.ResponseWriter, r *http.Request) { js(w, reviews[r.PathValue("n")]) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	s := newService(t)
	cfg, _ := json.Marshal(map[string]any{"repo": dir, "github_repo": "acme/api", "github_api_url": srv.URL + "/"})
	x := &vigil.Integration{Kind: "git", Name: "api", Config: cfg, Interval: 3600, Enabled: true}
	if err := s.Create(ctx, x, "ghp_test"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	rs, _ := s.Store.CurrentResults(ctx, x.AgentID, "git.changes.reviewed")
	fails := map[string]string{}
	for _, r := range rs {
		if r.Verdict == "fail" {
			fails[r.Resource] = r.Reason
		}
	}
	var all []string
	for res, why := range fails {
		all = append(all, res+": "+why)
	}
	joined := strings.Join(all, "\n")
	// #1: approved by dana (her latest review); #2: approved only by its
	// author; #3: a trailer claims a review GitHub does not have; and the
	// initial commit went straight to main.
	if len(fails) != 4 || strings.Contains(joined, "#1 ") || !strings.Contains(joined, "#2 from acme/pr2: approved only by its author") ||
		!strings.Contains(joined, "#3 from acme/pr3: merged without a recorded approval") || !strings.Contains(joined, "pull request #9 was not merged as this commit") {
		t.Fatalf("reviewed-change failures:\n%s", joined)
	}
	// A second run reads no pull request again: merged reviews are cached.
	n := prCalls.Load()
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	if prCalls.Load() != n {
		t.Fatalf("merged pull requests were read again: %d then %d calls", n, prCalls.Load())
	}
}

// TestScheduledRemoteGit: an integration on a remote repository (a
// file:// URL, fetched into a mirror) runs through the scheduler, and the
// next due run fetches what was pushed since.
func TestScheduledRemoteGit(t *testing.T) {
	s := newService(t)
	origin := t.TempDir()
	git(t, origin, "init", "-q", "-b", "main")
	git(t, origin, "commit", "-q", "--allow-empty", "-m", "first")
	cfg, _ := json.Marshal(map[string]any{"repo": "file://" + origin})
	x := &vigil.Integration{Kind: "git", Name: "remote", Config: cfg, Interval: 60, Enabled: true}
	if err := s.Create(ctx, x, ""); err != nil {
		t.Fatal(err)
	}
	sched := &scheduler.Scheduler{Store: s.Store, Holder: "test", Dynamic: s.Jobs, Log: slog.New(slog.DiscardHandler)}
	if n := sched.RunDue(ctx); n != 1 {
		t.Fatalf("scheduler ran %d jobs", n)
	}
	if n := sched.RunDue(ctx); n != 0 {
		t.Fatalf("a job ran again before its interval: %d", n)
	}
	// Each run names what its checks were judged on, kept by hash.
	runs, _ := s.Store.Runs(ctx, x.AgentID, 10)
	if len(runs) != 1 || runs[0].Input == "" {
		t.Fatalf("runs %+v", runs)
	}
	if in, err := s.Store.MonitorInput(ctx, runs[0].Input); err != nil || in == "" {
		t.Fatalf("the run's input is not kept: %v", err)
	}
	got, _, _ := s.Store.Integration(ctx, x.ID)
	if got.LastStatus != "ok" || got.LastRun == nil {
		t.Fatalf("scheduled run: %+v", got)
	}
	rs, _ := s.Store.CurrentResults(ctx, x.AgentID, "git.changes.reviewed")
	if len(rs) != 1 || rs[0].Verdict != "fail" || !strings.Contains(rs[0].Resource, "first") {
		t.Fatalf("first run: %+v", rs)
	}
	// A new direct push reaches the mirror at the next run.
	git(t, origin, "commit", "-q", "--allow-empty", "-m", "second")
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	rs, _ = s.Store.CurrentResults(ctx, x.AgentID, "git.changes.reviewed")
	if len(rs) != 2 {
		t.Fatalf("after a push: %+v", rs)
	}
}
