package github

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/integrationtest"
)

// TestGitHubHistory: the GitHub kind reads each default branch's push
// events (shaped as GitHub's Events API gives them: no "forced" flag) and
// judges each push with GitHub's compare: the force push to api fails
// with who and when from the event and the commit it dropped; web's
// fast-forward pushes pass. The audit log's branch protection override
// on api fails, naming the administrator; a token that cannot read the
// audit log, or a repository's events, is an error saying what it could
// not read. A repository named in the settings that does not exist fails
// the connection test.
func TestGitHubHistory(t *testing.T) {
	now := time.Now().UTC()
	at := func(h int) time.Time { return now.Add(time.Duration(-h) * time.Hour).Truncate(time.Second) }
	sha := func(c string) string { return strings.Repeat(c, 40) }
	push := func(id, login string, pushID int, before, head string, when time.Time) map[string]any {
		return map[string]any{"id": id, "type": "PushEvent", "public": false, "created_at": when.Format(time.RFC3339),
			"actor":   map[string]any{"id": 1, "login": login, "display_login": login},
			"repo":    map[string]any{"id": 2, "name": "acme/x"},
			"payload": map[string]any{"repository_id": 2, "push_id": pushID, "size": 1, "distinct_size": 1, "ref": "refs/heads/main", "head": head, "before": before, "commits": []any{}}}
	}
	js := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	for _, org := range []string{"acme", "solo"} {
		mux.HandleFunc("GET /orgs/"+org, func(w http.ResponseWriter, r *http.Request) { js(w, map[string]any{"login": org, "id": 1}) })
		mux.HandleFunc("GET /orgs/"+org+"/members", func(w http.ResponseWriter, r *http.Request) { js(w, []any{}) })
		mux.HandleFunc("GET /orgs/"+org+"/outside_collaborators", func(w http.ResponseWriter, r *http.Request) { js(w, []any{}) })
		mux.HandleFunc("GET /orgs/"+org+"/repos", func(w http.ResponseWriter, r *http.Request) {
			js(w, []any{map[string]any{"name": "api", "full_name": org + "/api", "default_branch": "main"},
				map[string]any{"name": "web", "full_name": org + "/web", "default_branch": "main"}})
		})
		for _, repo := range []string{"api", "web"} {
			mux.HandleFunc("GET /repos/"+org+"/"+repo, func(w http.ResponseWriter, r *http.Request) {
				js(w, map[string]any{"name": repo, "full_name": org + "/" + repo, "default_branch": "main"})
			})
			mux.HandleFunc("GET /repos/"+org+"/"+repo+"/branches/main/protection", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(404)
				js(w, map[string]any{"message": "Branch not protected"})
			})
			for _, p := range []string{"/rules/branches/main", "/dependabot/alerts", "/code-scanning/alerts"} {
				mux.HandleFunc("GET /repos/"+org+"/"+repo+p, func(w http.ResponseWriter, r *http.Request) { js(w, []any{}) })
			}
		}
	}
	events := map[string][]any{
		"api": {push("3", "mal", 203, sha("b"), sha("c"), at(20)), push("2", "bob", 202, sha("a"), sha("b"), at(30))},
		"web": {push("5", "ann", 205, sha("d"), sha("e"), at(10))},
	}
	mux.HandleFunc("GET /repos/acme/{repo}/events", func(w http.ResponseWriter, r *http.Request) { js(w, events[r.PathValue("repo")]) })
	var compares atomic.Int64
	mux.HandleFunc("GET /repos/acme/{repo}/compare/{basehead}", func(w http.ResponseWriter, r *http.Request) {
		compares.Add(1)
		commit := func(s string) map[string]any { return map[string]any{"sha": s} }
		switch r.PathValue("basehead") {
		case sha("a") + "..." + sha("b"), sha("d") + "..." + sha("e"):
			js(w, map[string]any{"status": "ahead", "ahead_by": 1, "behind_by": 0, "total_commits": 1, "commits": []any{}})
		case sha("b") + "..." + sha("c"):
			js(w, map[string]any{"status": "diverged", "ahead_by": 1, "behind_by": 1, "total_commits": 1, "commits": []any{commit(sha("c"))}})
		case sha("c") + "..." + sha("b"):
			js(w, map[string]any{"status": "diverged", "ahead_by": 1, "behind_by": 1, "total_commits": 1, "commits": []any{commit(sha("b"))}})
		default:
			w.WriteHeader(404)
			js(w, map[string]any{"message": "Not Found"})
		}
	})
	mux.HandleFunc("GET /orgs/acme/audit-log", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Query().Get("phrase"), "action:protected_branch.policy_override") {
			js(w, []any{})
			return
		}
		entry := func(repo, actor string, when time.Time) map[string]any {
			return map[string]any{"@timestamp": when.UnixMilli(), "_document_id": "doc-" + actor, "action": "protected_branch.policy_override",
				"actor": actor, "actor_id": 9, "created_at": when.UnixMilli(), "org": "acme", "org_id": 1, "repo": repo, "branch": "main", "business": "acme-corp"}
		}
		js(w, []any{entry("acme/api", "ann", at(5)), entry("acme/elsewhere", "cat", at(6))})
	})
	// solo: the token reads neither the audit log nor api's events.
	mux.HandleFunc("GET /orgs/solo/audit-log", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		js(w, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/orgs/orgs#get-the-audit-log-for-an-organization"})
	})
	mux.HandleFunc("GET /repos/solo/api/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Accepted-GitHub-Permissions", "metadata=read")
		w.WriteHeader(403)
		js(w, map[string]any{"message": "Resource not accessible by integration"})
	})
	mux.HandleFunc("GET /repos/solo/web/events", func(w http.ResponseWriter, r *http.Request) { js(w, []any{}) })
	// GitHub Enterprise serves the API under /api/v3.
	srv := httptest.NewServer(http.StripPrefix("/api/v3", mux))
	defer srv.Close()

	s := integrationtest.NewService(t)
	s.Kinds = append(s.Kinds, GitHub{MaxWait: 5 * time.Second})
	cfg, _ := json.Marshal(map[string]any{"org": "acme", "api_url": srv.URL + "/"})
	x := &vigil.Integration{Kind: "github", Name: "acme", Config: cfg, Interval: 3600, Enabled: true}
	got, why := integrationtest.Connect(t, s, x, "ghp_test")
	forced := "github.history.no-force-push api: " + sha("b")[:12] + " -> " + sha("c")[:12]
	if got[forced] != "fail" || !strings.Contains(why[forced], "by mal") || !strings.Contains(why[forced], at(20).Format(time.RFC3339)) ||
		!strings.Contains(why[forced], "dropped 1 commit(s): "+sha("b")[:12]) {
		t.Errorf("the force push: %q %q (results %v)", got[forced], why[forced], got)
	}
	if got["github.history.no-force-push web"] != "pass" {
		t.Errorf("fast-forward pushes only: %v", got)
	}
	override := "github.history.protection-overrides acme/api: ann at " + at(5).Format(time.RFC3339)
	if got[override] != "fail" || !strings.Contains(why[override], "by ann") {
		t.Errorf("the override: %q %q (results %v)", got[override], why[override], got)
	}
	for k := range got {
		if strings.Contains(k, "elsewhere") {
			t.Errorf("an override on a repository not judged: %s", k)
		}
	}
	// The next run compares nothing again (a push's verdict never
	// changes; GitHub's rate limit is hourly) and still fails the rewrite.
	n := compares.Load()
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	if compares.Load() != n {
		t.Errorf("pushes compared again: %d then %d calls", n, compares.Load())
	}
	if v := integrationtest.Verdicts(t, s, x.AgentID); v["github.history.no-force-push"] != "fail" {
		t.Errorf("the rewrite was forgotten at the next run: %v", v)
	}

	cfg2, _ := json.Marshal(map[string]any{"org": "solo", "api_url": srv.URL + "/"})
	y := &vigil.Integration{Kind: "github", Name: "solo", Config: cfg2, Interval: 3600, Enabled: true}
	got, why = integrationtest.Connect(t, s, y, "ghp_test")
	if k := "github.history.protection-overrides solo audit log"; got[k] != "error" || !strings.Contains(why[k], "audit log could not be read") {
		t.Errorf("audit log unreadable: %q %q (%v)", got[k], why[k], got)
	}
	errs := 0
	for k, v := range got {
		if strings.HasPrefix(k, "github.history.no-force-push api") && v == "error" && strings.Contains(why[k], "metadata=read") {
			errs++
		}
	}
	if errs != 1 || got["github.history.no-force-push web"] != "pass" {
		t.Errorf("api's events unreadable: %v %v", got, why)
	}

	// A repository in the settings that does not exist: not "connected".
	cfg3, _ := json.Marshal(map[string]any{"org": "acme", "repos": []string{"api", "gone"}, "api_url": srv.URL + "/"})
	z := &vigil.Integration{Kind: "github", Name: "named", Config: cfg3, Interval: 3600, Enabled: true}
	if err := s.Create(ctx, z, "ghp_test"); err != nil {
		t.Fatal(err)
	}
	if err := s.Test(ctx, z.ID); err == nil || !strings.Contains(err.Error(), "acme/gone") {
		t.Fatalf("test with a named repository that cannot be read: %v", err)
	}
	if _, err := s.RunNow(ctx, z.ID); err != nil {
		t.Fatal(err)
	}
	rs, _ := s.Store.CurrentResults(ctx, z.AgentID, "github.history.no-force-push")
	found := false
	for _, r := range rs {
		found = found || (r.Resource == "gone" && r.Verdict == "error")
	}
	if !found {
		t.Errorf("the unreadable named repository is not an error in the history: %+v", rs)
	}
}
