package gitrepo

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/changes"
	ghkind "github.com/vigil-soc/vigil/integrations/github"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// TestGitForcePushFromGitHubEvents: a repository on GitHub, rewritten
// before Vigil first fetched it, so the commit the force push dropped is
// not in Vigil's copy at all: GitHub's push events (the Events API's
// PushEvent: push_id, ref, head, before; no "forced" flag) with GitHub's
// compare tell the rewrite from the fast-forward pushes around it, and the
// check names who pushed, when (the event's time) and the dropped commit.
// A token that cannot read the events leaves the history unknown.
func TestGitForcePushFromGitHubEvents(t *testing.T) {
	day := time.Now().UTC().Add(-5 * 24 * time.Hour).Truncate(time.Hour)
	origin := t.TempDir()
	gitAs(t, origin, "Ann|ann@acme.test", day, "init", "-q", "-b", "main")
	gitAs(t, origin, "Ann|ann@acme.test", day, "commit", "-q", "--allow-empty", "-m", "initial")
	i := gitAs(t, origin, "Ann|ann@acme.test", day, "rev-parse", "HEAD")
	gitAs(t, origin, "Ann|ann@acme.test", day.Add(time.Hour), "commit", "-q", "--allow-empty", "-m", "a")
	a := gitAs(t, origin, "Ann|ann@acme.test", day, "rev-parse", "HEAD")
	gitAs(t, origin, "Bob|bob@acme.test", day.Add(2*time.Hour), "commit", "-q", "--allow-empty", "-m", "b: the reviewed change")
	b := gitAs(t, origin, "Bob|bob@acme.test", day, "rev-parse", "HEAD")
	gitAs(t, origin, "Mal|mal@acme.test", day.Add(3*time.Hour), "reset", "-q", "--hard", a)
	gitAs(t, origin, "Mal|mal@acme.test", day.Add(3*time.Hour), "commit", "-q", "--allow-empty", "-m", "c: replaces b")
	c := gitAs(t, origin, "Mal|mal@acme.test", day, "rev-parse", "HEAD")
	// b is gone from the branch, and from any copy made now.
	gitAs(t, origin, "Ann|ann@acme.test", day, "reflog", "expire", "--expire=all", "--expire-unreachable=all", "--all")
	gitAs(t, origin, "Ann|ann@acme.test", day, "gc", "-q", "--prune=now")

	stamp := func(h int) string { return day.Add(time.Duration(h) * time.Hour).Format(time.RFC3339) }
	push := func(id, login string, pushID int, ref, before, head, at string) map[string]any {
		return map[string]any{"id": id, "type": "PushEvent", "public": false, "created_at": at,
			"actor": map[string]any{"id": len(login), "login": login, "display_login": login, "url": "https://api.github.com/users/" + login},
			"repo":  map[string]any{"id": 1296269, "name": "acme/api", "url": "https://api.github.com/repos/acme/api"},
			"payload": map[string]any{"repository_id": 1296269, "push_id": pushID, "size": 1, "distinct_size": 1, "ref": ref, "head": head, "before": before,
				"commits": []any{map[string]any{"sha": head, "author": map[string]any{"email": login + "@acme.test", "name": login}, "message": "x", "distinct": true}}}}
	}
	js := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	var compared []string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /repos/acme/api/events", func(w http.ResponseWriter, r *http.Request) {
		// Newest first, as GitHub lists them.
		js(w, []any{
			push("5", "eve", 105, "refs/heads/feature", b, c, stamp(4)), // another branch
			push("4", "mal", 104, "refs/heads/main", b, c, stamp(3)),
			map[string]any{"id": "3", "type": "WatchEvent", "created_at": stamp(2), "actor": map[string]any{"login": "fan"}, "repo": map[string]any{"name": "acme/api"}, "payload": map[string]any{"action": "started"}},
			push("2", "bob", 102, "refs/heads/main", a, b, stamp(2)),
			push("1", "ann", 101, "refs/heads/main", i, a, stamp(1)),
		})
	})
	mux.HandleFunc("GET /repos/acme/api/compare/{basehead}", func(w http.ResponseWriter, r *http.Request) {
		bh := r.PathValue("basehead")
		compared = append(compared, bh)
		commit := func(sha string) map[string]any {
			return map[string]any{"sha": sha, "commit": map[string]any{"message": "x"}}
		}
		switch bh {
		case a + "..." + b:
			js(w, map[string]any{"status": "ahead", "ahead_by": 1, "behind_by": 0, "total_commits": 1, "commits": []any{commit(b)}})
		case b + "..." + c:
			js(w, map[string]any{"status": "diverged", "ahead_by": 1, "behind_by": 1, "total_commits": 1, "commits": []any{commit(c)}})
		case c + "..." + b:
			js(w, map[string]any{"status": "diverged", "ahead_by": 1, "behind_by": 1, "total_commits": 1, "commits": []any{commit(b)}})
		default:
			w.WriteHeader(404)
			js(w, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/commits/commits#compare-two-commits"})
		}
	})
	mux.HandleFunc("GET /repos/acme/secret/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Accepted-GitHub-Permissions", "contents=read")
		w.WriteHeader(403)
		js(w, map[string]any{"message": "Resource not accessible by personal access token", "documentation_url": "https://docs.github.com/rest/activity/events"})
	})
	srv := httptest.NewServer(http.StripPrefix("/api/v3", mux))
	defer srv.Close()

	s := newService(t)
	cfg, _ := json.Marshal(map[string]any{"repo": "file://" + origin, "github_repo": "acme/api", "github_api_url": srv.URL + "/api/v3/", "window_days": 30})
	x := &vigil.Integration{Kind: "git", Name: "api", Config: cfg, Interval: 3600, Enabled: true}
	if err := s.Create(ctx, x, "ghp_test"); err != nil {
		t.Fatal(err)
	}
	got := results(t, s, x, "git.history.no-force-push")
	id := b[:12] + " -> " + c[:12]
	if len(got) != 1 || !strings.HasPrefix(got[id], "fail") || !strings.Contains(got[id], " by mal ") || !strings.Contains(got[id], stamp(3)) ||
		!strings.Contains(got[id], "GitHub push event 104") || !strings.Contains(got[id], "dropped 1 commit(s): "+b[:12]) {
		t.Fatalf("a force push GitHub recorded: %v (want %s failing, by mal at %s, dropping %s)", got, id, stamp(3), b[:12])
	}
	// The fast-forward a -> b was told by GitHub's compare (b is not in
	// the copy); i -> a from the copy itself.
	if strings.Contains(strings.Join(compared, " "), i+"...") {
		t.Errorf("a push whose commits the copy holds was sent to GitHub: %v", compared)
	}

	// A token that cannot read the events: unknown, naming the permission.
	cfg2, _ := json.Marshal(map[string]any{"repo": "file://" + origin, "github_repo": "acme/secret", "github_api_url": srv.URL + "/api/v3/", "window_days": 30})
	y := &vigil.Integration{Kind: "git", Name: "secret", Config: cfg2, Interval: 3600, Enabled: true}
	if err := s.Create(ctx, y, "ghp_test"); err != nil {
		t.Fatal(err)
	}
	got = results(t, s, y, "git.history.no-force-push")
	if len(got) != 1 {
		t.Fatalf("events unreadable: %v", got)
	}
	for res, v := range got {
		if !strings.HasPrefix(v, "error") || !strings.Contains(v, "contents=read") || !strings.Contains(v, "GitHub push events") {
			t.Fatalf("events unreadable: %s %s", res, v)
		}
	}
}

// TestPushEventsPagingLimit: GitHub serves at most 300 events and answers
// 422 to the page after; the rewrites among those 300 are still reported,
// and the record's start is the oldest event read (the rest is unknown),
// rather than the whole record failing.
func TestPushEventsPagingLimit(t *testing.T) {
	now := time.Now().UTC()
	sha := func(n int) string { return fmt.Sprintf("%040x", n) }
	mux := http.NewServeMux()
	mux.HandleFunc("GET /repos/acme/api/events", func(w http.ResponseWriter, r *http.Request) {
		page := r.URL.Query().Get("page")
		if page == "4" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(422)
			w.Write([]byte(`{"message": "In order to keep the API fast for everyone, pagination is limited for this resource.", "documentation_url": "https://docs.github.com/rest/activity/events#list-repository-events"}`))
			return
		}
		p := map[string]int{"": 1, "1": 1, "2": 2, "3": 3}[page]
		w.Header().Set("Link", fmt.Sprintf(`<http://%s/api/v3/repos/acme/api/events?page=%d>; rel="next"`, r.Host, p+1))
		var evs []any
		for i := 0; i < 100; i++ {
			n := (p-1)*100 + i // newest first: n hours ago
			ev := map[string]any{"id": fmt.Sprint(n), "type": "PushEvent", "created_at": now.Add(-time.Duration(n+1) * time.Hour).Format(time.RFC3339),
				"actor": map[string]any{"login": "ann"}, "repo": map[string]any{"name": "acme/api"},
				"payload": map[string]any{"push_id": n, "ref": "refs/heads/main", "before": sha(n + 1), "head": sha(n)}}
			evs = append(evs, ev)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(evs)
	})
	mux.HandleFunc("GET /repos/acme/api/compare/{basehead}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		status := "ahead"
		if r.PathValue("basehead") == sha(151)+"..."+sha(150) || r.PathValue("basehead") == sha(150)+"..."+sha(151) {
			status = "diverged" // push 150 rewrote history
		}
		json.NewEncoder(w).Encode(map[string]any{"status": status, "ahead_by": 1, "behind_by": 0, "commits": []any{}})
	})
	srv := httptest.NewServer(http.StripPrefix("/api/v3", mux))
	defer srv.Close()
	gh := ghkind.GitHub{MaxWait: time.Second}
	cl, err := gh.Client(&kind.Run{Secret: "ghp_test"}, srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	win := changes.Window{Since: now.AddDate(0, 0, -30), Until: now.Add(time.Hour)}
	rws, unknown, from, err := ghkind.PushRewrites(ctx, gh, cl, "acme", "api", "main", win, now, nil, nil)
	if err != nil {
		t.Fatalf("the 300-event limit failed the record: %v", err)
	}
	if len(rws) != 1 || rws[0].To != sha(150) || len(unknown) != 0 {
		t.Fatalf("rewrites %+v, unknown %v", rws, unknown)
	}
	if want := now.Add(-300 * time.Hour).Truncate(time.Second); !from.Equal(want) {
		t.Fatalf("the record starts at %s, want the oldest event read, %s", from, want)
	}
}

// TestGitReviewOfMissingPullRequest: a change naming a number no pull
// request has (an issue's) is judged unapproved on its own, with why; it
// no longer fails the whole run, so the rest is still judged. A token
// that cannot see the repository at all still fails the run.
func TestGitReviewOfMissingPullRequest(t *testing.T) {
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "commit", "-q", "--allow-empty", "-m", "initial")
	git(t, dir, "checkout", "-q", "-b", "pr1")
	git(t, dir, "commit", "-q", "--allow-empty", "-m", "work")
	git(t, dir, "checkout", "-q", "main")
	git(t, dir, "merge", "-q", "--no-ff", "pr1", "-m", "Merge pull request #1 from acme/pr1")
	merge := git(t, dir, "rev-parse", "HEAD")
	git(t, dir, "commit", "-q", "--allow-empty", "-m", "fix the thing in issue (#77)")
	js := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	notFound := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(404)
		w.Write([]byte(`{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/pulls/pulls#get-a-pull-request"}`))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /repos/acme/api", func(w http.ResponseWriter, r *http.Request) {
		js(w, map[string]any{"name": "api", "full_name": "acme/api"})
	})
	mux.HandleFunc("GET /repos/acme/api/pulls/1", func(w http.ResponseWriter, r *http.Request) {
		js(w, map[string]any{"number": 1, "user": map[string]any{"login": "bob"}, "merged": true, "merged_at": "2026-10-01T00:00:00Z", "merge_commit_sha": merge})
	})
	mux.HandleFunc("GET /repos/acme/api/pulls/1/reviews", func(w http.ResponseWriter, r *http.Request) {
		js(w, []any{map[string]any{"user": map[string]any{"login": "dana"}, "state": "APPROVED"}})
	})
	mux.HandleFunc("GET /repos/acme/api/pulls/77", notFound)
	mux.HandleFunc("GET /repos/acme/api/events", func(w http.ResponseWriter, r *http.Request) { js(w, []any{}) })
	mux.HandleFunc("GET /repos/acme/hidden/", notFound)
	mux.HandleFunc("GET /repos/acme/hidden", notFound)
	srv := httptest.NewServer(http.StripPrefix("/api/v3", mux))
	defer srv.Close()

	s := newService(t)
	cfg, _ := json.Marshal(map[string]any{"repo": dir, "github_repo": "acme/api", "github_api_url": srv.URL + "/"})
	x := &vigil.Integration{Kind: "git", Name: "api", Config: cfg, Interval: 3600, Enabled: true}
	if err := s.Create(ctx, x, "ghp_test"); err != nil {
		t.Fatal(err)
	}
	got := results(t, s, x, "git.changes.reviewed")
	var fails []string
	for res, v := range got {
		if strings.HasPrefix(v, "error") {
			t.Fatalf("the run failed on one missing pull request: %v", got)
		}
		if strings.HasPrefix(v, "fail") {
			fails = append(fails, res+": "+v)
		}
	}
	joined := strings.Join(fails, "\n")
	if len(fails) != 2 || !strings.Contains(joined, "pull request #77 was not found in acme/api") || strings.Contains(joined, "#1 from") {
		t.Fatalf("reviewed-change results:\n%s", joined)
	}

	cfg2, _ := json.Marshal(map[string]any{"repo": dir, "github_repo": "acme/hidden", "github_api_url": srv.URL + "/"})
	y := &vigil.Integration{Kind: "git", Name: "hidden", Config: cfg2, Interval: 3600, Enabled: true}
	if err := s.Create(ctx, y, "ghp_test"); err != nil {
		t.Fatal(err)
	}
	for res, v := range results(t, s, y, "git.changes.reviewed") {
		if !strings.HasPrefix(v, "error") {
			t.Fatalf("a repository the token cannot see: %s %s", res, v)
		}
	}
}

// TestGitTestTriesSigners: trusted OpenPGP keys gpg cannot import fail
// the connection test, naming them, instead of failing every run.
func TestGitTestTriesSigners(t *testing.T) {
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "commit", "-q", "--allow-empty", "-m", "initial")
	s := newService(t)
	cfg, _ := json.Marshal(map[string]any{"repo": dir, "gpg_keys": "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nbm90IGEga2V5\n-----END PGP PUBLIC KEY BLOCK-----\n"})
	x := &vigil.Integration{Kind: "git", Name: "signers", Config: cfg, Interval: 3600, Enabled: true}
	if err := s.Create(ctx, x, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Test(ctx, x.ID); err == nil || !strings.Contains(err.Error(), "OpenPGP keys") {
		t.Fatalf("test with keys gpg cannot read: %v", err)
	}
}
