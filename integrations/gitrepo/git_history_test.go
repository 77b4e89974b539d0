package gitrepo

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/kind"
	"github.com/vigil-soc/vigil/integrations/service"
	"github.com/vigil-soc/vigil/store"
)

// gitAs runs git as someone, at a given time (author, committer and the
// reflog entry a push writes on the server all take it).
func gitAs(t *testing.T, dir, who string, at time.Time, args ...string) string {
	t.Helper()
	name, email, _ := strings.Cut(who, "|")
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	d := at.UTC().Format(time.RFC3339)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null", "GIT_AUTHOR_NAME="+name, "GIT_AUTHOR_EMAIL="+email,
		"GIT_COMMITTER_NAME="+name, "GIT_COMMITTER_EMAIL="+email, "GIT_AUTHOR_DATE="+d, "GIT_COMMITTER_DATE="+d)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// results runs the integration once and gives each result of a check by
// resource, with its verdict and reason.
func results(t *testing.T, s *service.Service, x *vigil.Integration, check string) map[string]string {
	t.Helper()
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	rs, err := s.Store.CurrentResults(ctx, x.AgentID, check)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rs {
		out[r.Resource] = r.Verdict + ": " + r.Reason
	}
	return out
}

// bareServer is a server's bare repository and a clone pushing to it.
func bareServer(t *testing.T, logAll bool, at time.Time) (bare, clone string) {
	t.Helper()
	bare = filepath.Join(t.TempDir(), "api.git")
	clone = t.TempDir()
	gitAs(t, clone, "Ann|ann@acme.test", at, "init", "-q", "--bare", "-b", "main", bare)
	if logAll {
		gitAs(t, bare, "Ann|ann@acme.test", at, "config", "core.logAllRefUpdates", "always")
	}
	gitAs(t, clone, "Ann|ann@acme.test", at, "init", "-q", "-b", "main")
	gitAs(t, clone, "Ann|ann@acme.test", at, "commit", "-q", "--allow-empty", "-m", "initial")
	gitAs(t, clone, "Ann|ann@acme.test", at, "remote", "add", "origin", bare)
	gitAs(t, clone, "Ann|ann@acme.test", at, "push", "-q", "origin", "main")
	return bare, clone
}

// TestGitForcePushBeforeFirstRun: a force push to the server's repository
// made before Vigil's first run is found in the server's reflog and fails
// the check with who pushed it, when (the reflog's time, not the run's)
// and the commit it dropped; a server whose history only moved forward,
// through a reviewed pull request and fast-forward pushes, passes. Before
// the reflog was read, the first run saw one head and passed both.
func TestGitForcePushBeforeFirstRun(t *testing.T) {
	s := newService(t)
	day := time.Now().UTC().Add(-10 * 24 * time.Hour).Truncate(time.Hour)
	bare, clone := bareServer(t, true, day)
	a := gitAs(t, clone, "Ann|ann@acme.test", day.Add(time.Hour), "rev-parse", "HEAD")
	gitAs(t, clone, "Bob|bob@acme.test", day.Add(2*time.Hour), "commit", "-q", "--allow-empty", "-m", "b: the reviewed change")
	b := gitAs(t, clone, "Bob|bob@acme.test", day.Add(2*time.Hour), "rev-parse", "HEAD")
	gitAs(t, clone, "Bob|bob@acme.test", day.Add(2*time.Hour), "push", "-q", "origin", "main")
	gitAs(t, clone, "Mal|mal@acme.test", day.Add(3*time.Hour), "reset", "-q", "--hard", a)
	gitAs(t, clone, "Mal|mal@acme.test", day.Add(3*time.Hour), "commit", "-q", "--allow-empty", "-m", "c: replaces b")
	c := gitAs(t, clone, "Mal|mal@acme.test", day.Add(3*time.Hour), "rev-parse", "HEAD")
	pushedAt := day.Add(4 * time.Hour)
	gitAs(t, clone, "Mal|mal@acme.test", pushedAt, "push", "-q", "--force", "origin", "main")
	gitAs(t, clone, "Ann|ann@acme.test", day.Add(5*time.Hour), "commit", "-q", "--allow-empty", "-m", "d")
	gitAs(t, clone, "Ann|ann@acme.test", day.Add(5*time.Hour), "push", "-q", "origin", "main")

	// The window starts when the server's branch was created: its reflog
	// covers no earlier time (a branch created again starts a new one).
	x := &vigil.Integration{Kind: "git", Name: "rewritten", Config: json.RawMessage(`{"repo": "` + bare + `", "window_start": "` + day.Format(time.RFC3339) + `", "window_end": "` + time.Now().UTC().Add(24*time.Hour).Format(time.RFC3339) + `"}`), Interval: 3600, Enabled: true}
	if err := s.Create(ctx, x, ""); err != nil {
		t.Fatal(err)
	}
	got := results(t, s, x, "git.history.no-force-push")
	id := b[:12] + " -> " + c[:12]
	if len(got) != 1 || !strings.HasPrefix(got[id], "fail") || !strings.Contains(got[id], "Mal <mal@acme.test>") ||
		!strings.Contains(got[id], pushedAt.Format(time.RFC3339)) || !strings.Contains(got[id], "dropped 1 commit(s): "+b[:12]) {
		t.Fatalf("a force push before the first run: %v (want %s failing, by Mal at %s, dropping %s)", got, id, pushedAt.Format(time.RFC3339), b[:12])
	}
	// It keeps failing while in the window, at the next run too.
	if got := results(t, s, x, "git.history.no-force-push"); !strings.HasPrefix(got[id], "fail") {
		t.Fatalf("the rewrite was forgotten: %v", got)
	}

	// The look-alike: a pull request merged and fast-forward pushes only.
	bare2, clone2 := bareServer(t, true, day)
	gitAs(t, clone2, "Bob|bob@acme.test", day.Add(time.Hour), "checkout", "-q", "-b", "feature")
	gitAs(t, clone2, "Bob|bob@acme.test", day.Add(time.Hour), "commit", "-q", "--allow-empty", "-m", "feature")
	gitAs(t, clone2, "Cat|cat@acme.test", day.Add(2*time.Hour), "checkout", "-q", "main")
	gitAs(t, clone2, "Cat|cat@acme.test", day.Add(2*time.Hour), "merge", "-q", "--no-ff", "feature", "-m", "Merge pull request #4 from acme/feature\n\nReviewed-by: Dana <dana@acme.test>")
	gitAs(t, clone2, "Cat|cat@acme.test", day.Add(2*time.Hour), "push", "-q", "origin", "main")
	y := &vigil.Integration{Kind: "git", Name: "clean", Config: json.RawMessage(`{"repo": "` + bare2 + `", "window_start": "` + day.Format(time.RFC3339) + `", "window_end": "` + time.Now().UTC().Add(24*time.Hour).Format(time.RFC3339) + `"}`), Interval: 3600, Enabled: true}
	if err := s.Create(ctx, y, ""); err != nil {
		t.Fatal(err)
	}
	if got := results(t, s, y, "git.history.no-force-push"); len(got) != 1 || !strings.HasPrefix(got["main"], "pass") {
		t.Fatalf("fast-forward pushes only: %v", got)
	}
}

// TestGitNoRefLogIsUnknown: a server repository that keeps no reflog (a
// bare repository's default) leaves the history unknown: an error saying
// what to set, never a pass.
func TestGitNoRefLogIsUnknown(t *testing.T) {
	s := newService(t)
	bare, _ := bareServer(t, false, time.Now().UTC().Add(-48*time.Hour))
	x := &vigil.Integration{Kind: "git", Name: "nolog", Config: json.RawMessage(`{"repo": "` + bare + `", "window_days": 30}`), Interval: 3600, Enabled: true}
	if err := s.Create(ctx, x, ""); err != nil {
		t.Fatal(err)
	}
	got := results(t, s, x, "git.history.no-force-push")
	if len(got) != 1 {
		t.Fatalf("no reflog: %v", got)
	}
	for res, v := range got {
		if !strings.HasPrefix(v, "error") || !strings.Contains(v, "logAllRefUpdates") || !strings.HasPrefix(res, "pushes since") {
			t.Fatalf("no reflog: %s %s", res, v)
		}
	}
	// The integration says so beside its status, not a bare "ok".
	if x, _, _ := s.Store.Integration(ctx, x.ID); x.LastStatus != "ok" || !strings.Contains(x.LastError, "1 checks could not be judged") ||
		!strings.Contains(x.LastError, "git.history.no-force-push") {
		t.Fatalf("the integration's status: %q %q", x.LastStatus, x.LastError)
	}
}

// TestGitWindowFromAuditScope: without window settings the population is
// the audit scope's Type II window, exactly its days (start 00:00 UTC to
// the day after the end, excluded), not "90 days back from now"; explicit
// bounds are exact too; and the sealed population states them.
func TestGitWindowFromAuditScope(t *testing.T) {
	s := newService(t)
	if err := s.Store.CreateSetupToken(ctx, "h", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Store.Setup(ctx, &store.SetupInput{SetupSecretHash: "h", Organization: vigil.Organization{Name: "Acme"},
		Owner: vigil.User{Email: "o@acme.test", Name: "O"}, PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	sc := &vigil.Scope{AuditType: vigil.AuditType2, WindowStart: "2026-03-01", WindowEnd: "2026-08-31"}
	if err := s.Store.UpdateScope(ctx, sc); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	gitAs(t, dir, "Ann|ann@acme.test", at("2026-02-28T23:59:59Z"), "init", "-q", "-b", "main")
	for _, c := range []struct{ msg, date string }{
		{"before the audit window", "2026-02-28T23:59:59Z"},
		{"first second of the window", "2026-03-01T00:00:00Z"},
		{"last day of the window", "2026-08-31T23:59:59Z"},
		{"after the audit window", "2026-09-01T00:00:00Z"},
		{"recent", time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)},
	} {
		gitAs(t, dir, "Mal|mal@acme.test", at(c.date), "commit", "-q", "--allow-empty", "-m", c.msg)
	}
	x := &vigil.Integration{Kind: "git", Name: "scoped", Config: json.RawMessage(`{"repo": "` + dir + `"}`), Interval: 3600, Enabled: true}
	if err := s.Create(ctx, x, ""); err != nil {
		t.Fatal(err)
	}
	got := results(t, s, x, "git.changes.reviewed")
	var names []string
	for res := range got {
		names = append(names, res[13:])
	}
	joined := strings.Join(names, "|")
	if len(got) != 2 || !strings.Contains(joined, "first second of the window") || !strings.Contains(joined, "last day of the window") {
		t.Fatalf("the audit window's population: %v", got)
	}

	// The sealed population, read straight from the kind: exact bounds.
	r := &kind.Run{Config: x.Config, Dir: t.TempDir(), Now: time.Now()}
	in, err := Git{}.Collect(kind.WithScope(ctx, sc), r)
	if err != nil {
		t.Fatal(err)
	}
	if in["git.changes"]["since"] != "2026-03-01T00:00:00Z" || in["git.changes"]["until"] != "2026-09-01T00:00:00Z" ||
		!strings.Contains(in["git.changes"]["window_source"].(string), "audit window") {
		t.Fatalf("the input's window: %v %v %v", in["git.changes"]["since"], in["git.changes"]["until"], in["git.changes"]["window_source"])
	}
	var sealed map[string]any
	for _, a := range r.Artifacts {
		if a.Name == "change-population.json" {
			json.Unmarshal(a.Data, &sealed)
		}
	}
	if sealed["since"] != "2026-03-01T00:00:00Z" || sealed["until"] != "2026-09-01T00:00:00Z" || sealed["window_ended"] != true ||
		!strings.Contains(fmt.Sprint(sealed["bounds"]), "until excluded") || !strings.Contains(fmt.Sprint(sealed["window_source"]), "2026-03-01 to 2026-08-31") {
		t.Fatalf("the sealed population's bounds: since %v until %v ended %v bounds %v source %v", sealed["since"], sealed["until"], sealed["window_ended"], sealed["bounds"], sealed["window_source"])
	}

	// Explicit timestamps are applied exactly: the end is excluded.
	cfg := `{"repo": "` + dir + `", "window_start": "2026-03-01T00:00:00Z", "window_end": "2026-08-31T23:59:59Z"}`
	r = &kind.Run{Config: json.RawMessage(cfg), Dir: t.TempDir(), Now: time.Now()}
	if in, err = (Git{}).Collect(ctx, r); err != nil {
		t.Fatal(err)
	}
	if in["git.changes"]["count"] != 1 || in["git.changes"]["until"] != "2026-08-31T23:59:59Z" {
		t.Fatalf("explicit bounds: %v changes until %v", in["git.changes"]["count"], in["git.changes"]["until"])
	}
	// A rolling window is whole days: the same bounds all day.
	r = &kind.Run{Config: json.RawMessage(`{"repo": "` + dir + `", "window_days": 7}`), Dir: t.TempDir(), Now: time.Date(2026, 9, 10, 15, 4, 5, 0, time.UTC)}
	if in, err = (Git{}).Collect(ctx, r); err != nil {
		t.Fatal(err)
	}
	if in["git.changes"]["since"] != "2026-09-03T00:00:00Z" || in["git.changes"]["until"] != "2026-09-11T00:00:00Z" {
		t.Fatalf("rolling window: %v to %v", in["git.changes"]["since"], in["git.changes"]["until"])
	}
}

// TestGitWindowSettings: bad window settings are refused, naming the field.
func TestGitWindowSettings(t *testing.T) {
	s := newService(t)
	for cfg, field := range map[string]string{
		`{"repo": "/x", "window_start": "2026-06-01", "window_end": "2026-05-01"}`:                    "config.window_end",
		`{"repo": "/x", "window_start": "2026-06-01"}`:                                                "config.window_end",
		`{"repo": "/x", "window_end": "2026-06-01"}`:                                                  "config.window_start",
		`{"repo": "/x", "window_start": "June", "window_end": "2026-07-01"}`:                          "config.window_start",
		`{"repo": "/x", "window_days": 30, "window_start": "2026-06-01", "window_end": "2026-07-01"}`: "config.window_days",
		`{"repo": "/x", "window_days": -1}`:                                                           "config.window_days",
	} {
		err := s.Create(ctx, &vigil.Integration{Kind: "git", Name: "w", Config: json.RawMessage(cfg), Interval: 3600, Enabled: true}, "")
		if err == nil || vigil.ErrorField(err) != field {
			t.Errorf("%s: %v (field %q), want an error on %s", cfg, err, vigil.ErrorField(err), field)
		}
	}
}

// TestGitTestReachesGitHub: a git integration whose reviews come from
// GitHub is not "connected" when GitHub cannot be read; the error names
// the source.
func TestGitTestReachesGitHub(t *testing.T) {
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "commit", "-q", "--allow-empty", "-m", "initial")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		w.Write([]byte(`{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}`))
	}))
	defer srv.Close()
	s := newService(t)
	cfg, _ := json.Marshal(map[string]any{"repo": dir, "github_repo": "acme/api", "github_api_url": srv.URL + "/"})
	x := &vigil.Integration{Kind: "git", Name: "api", Config: cfg, Interval: 3600, Enabled: true}
	if err := s.Create(ctx, x, "ghp_expired"); err != nil {
		t.Fatal(err)
	}
	err := s.Test(ctx, x.ID)
	if err == nil || !strings.Contains(err.Error(), "acme/api") || !strings.Contains(err.Error(), "not valid") {
		t.Fatalf("test with an unreachable GitHub source: %v", err)
	}
	// GitHub down altogether: the same.
	srv.Close()
	if err := s.Test(ctx, x.ID); err == nil || !strings.Contains(err.Error(), "github_repo") {
		t.Fatalf("test with GitHub down: %v", err)
	}
}

// TestRunNotStoredIsRecorded: a run whose results could not be stored
// (the integration's agent record was revoked) is recorded as failed,
// with why; it does not keep showing the previous run's "ok".
func TestRunNotStoredIsRecorded(t *testing.T) {
	s := newService(t)
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "commit", "-q", "--allow-empty", "-m", "initial")
	x := &vigil.Integration{Kind: "git", Name: "api", Config: json.RawMessage(`{"repo": "` + dir + `"}`), Interval: 3600, Enabled: true}
	if err := s.Create(ctx, x, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.Store.Integration(ctx, x.ID); got.LastStatus != "ok" {
		t.Fatalf("first run: %+v", got)
	}
	if err := s.Store.RevokeAgent(ctx, x.AgentID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunNow(ctx, x.ID); err == nil {
		t.Fatal("a run whose results were refused reported no error")
	}
	got, _, _ := s.Store.Integration(ctx, x.ID)
	if got.LastStatus != "error" || !strings.Contains(got.LastError, "could not be stored") || !strings.Contains(got.LastError, "revoked") {
		t.Fatalf("the failed run is not recorded: %q %q", got.LastStatus, got.LastError)
	}
}
