package integrations

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
)

// githubReplay answers like GitHub's REST API (shapes from its published
// documentation): paginated members with Link headers, one rate-limited
// answer, a protected and an unprotected branch, alerts, and a 403 with
// the permission header for the outside-collaborator list.
func githubReplay(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var limited atomic.Bool
	var calls atomic.Int64
	now := time.Now().UTC()
	mux := http.NewServeMux()
	js := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	user := func(login string) map[string]any {
		return map[string]any{"login": login, "id": len(login), "type": "User"}
	}
	mux.HandleFunc("GET /orgs/acme", func(w http.ResponseWriter, r *http.Request) { js(w, map[string]any{"login": "acme", "id": 1}) })
	mux.HandleFunc("GET /orgs/acme/members", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case q.Get("filter") == "2fa_disabled" && q.Get("page") == "":
			w.Header().Set("Link", fmt.Sprintf(`<%s/api/v3/orgs/acme/members?filter=2fa_disabled&page=2&per_page=100>; rel="next"`, "http://"+r.Host))
			js(w, []any{user("bob")})
		case q.Get("filter") == "2fa_disabled":
			js(w, []any{user("eve")})
		case q.Get("role") == "admin":
			js(w, []any{user("ann"), user("cat")})
		default:
			js(w, []any{})
		}
	})
	mux.HandleFunc("GET /orgs/acme/outside_collaborators", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Accepted-GitHub-Permissions", "members=read")
		w.WriteHeader(403)
		js(w, map[string]any{"message": "Resource not accessible by personal access token", "documentation_url": "https://docs.github.com/rest"})
	})
	mux.HandleFunc("GET /orgs/acme/repos", func(w http.ResponseWriter, r *http.Request) {
		if !limited.Swap(true) {
			// The first call hits the rate limit, which resets in a second.
			w.Header().Set("X-RateLimit-Limit", "5000")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", fmt.Sprint(time.Now().Add(time.Second).Unix()))
			w.WriteHeader(403)
			js(w, map[string]any{"message": "API rate limit exceeded for user ID 1.", "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"})
			return
		}
		sa := func(s string) map[string]any { return map[string]any{"secret_scanning": map[string]any{"status": s}} }
		js(w, []any{
			map[string]any{"name": "api", "full_name": "acme/api", "default_branch": "main", "security_and_analysis": sa("enabled")},
			map[string]any{"name": "web", "full_name": "acme/web", "default_branch": "main", "security_and_analysis": sa("disabled")},
			map[string]any{"name": "old", "full_name": "acme/old", "default_branch": "main", "archived": true},
		})
	})
	mux.HandleFunc("GET /repos/acme/api/branches/main/protection", func(w http.ResponseWriter, r *http.Request) {
		js(w, map[string]any{
			"required_status_checks":        map[string]any{"strict": true, "contexts": []string{"ci"}},
			"required_pull_request_reviews": map[string]any{"dismiss_stale_reviews": true, "required_approving_review_count": 1},
			"enforce_admins":                map[string]any{"enabled": true},
			"allow_force_pushes":            map[string]any{"enabled": false},
		})
	})
	mux.HandleFunc("GET /repos/acme/web/branches/main/protection", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		js(w, map[string]any{"message": "Branch not protected", "documentation_url": "https://docs.github.com/rest/branches/branch-protection"})
	})
	mux.HandleFunc("GET /repos/acme/api/dependabot/alerts", func(w http.ResponseWriter, r *http.Request) {
		js(w, []any{map[string]any{"number": 3, "state": "open", "created_at": now.AddDate(0, 0, -20).Format(time.RFC3339),
			"security_advisory": map[string]any{"severity": "critical"}}})
	})
	mux.HandleFunc("GET /repos/acme/web/dependabot/alerts", func(w http.ResponseWriter, r *http.Request) { js(w, []any{}) })
	mux.HandleFunc("GET /repos/acme/api/code-scanning/alerts", func(w http.ResponseWriter, r *http.Request) {
		js(w, []any{map[string]any{"number": 9, "state": "open", "created_at": now.AddDate(0, 0, -2).Format(time.RFC3339),
			"rule": map[string]any{"security_severity_level": "high"}}})
	})
	mux.HandleFunc("GET /repos/acme/web/code-scanning/alerts", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		js(w, map[string]any{"message": "no analysis found"})
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer ghp_test" {
			w.WriteHeader(401)
			js(w, map[string]any{"message": "Bad credentials"})
			return
		}
		// GitHub Enterprise serves the API under /api/v3.
		r.URL.Path = strings.TrimPrefix(r.URL.Path, "/api/v3")
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestGitHubIntegration(t *testing.T) {
	srv, _ := githubReplay(t)
	s := newService(t)
	s.Kinds["github"] = GitHub{MaxWait: 10 * time.Second}
	cfg, _ := json.Marshal(map[string]any{"org": "acme", "api_url": srv.URL + "/"})
	x := &vigil.Integration{Kind: "github", Name: "acme on GitHub", Config: cfg, Interval: 3600, Enabled: true}
	if err := s.Create(ctx, x, "ghp_test"); err != nil {
		t.Fatal(err)
	}
	if err := s.Test(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	rs, _ := s.Store.CurrentResults(ctx, x.AgentID, "")
	got, why := map[string]string{}, map[string]string{}
	for _, r := range rs {
		got[r.CheckID+" "+r.Resource], why[r.CheckID+" "+r.Resource] = r.Verdict, r.Reason
	}
	want := map[string]string{
		"github.org-2fa acme":               "fail", // bob on page 1, eve on page 2
		"github.owners acme":                "pass",
		"github.outside-collaborators acme": "error",
		"github.branch-protection api":      "pass",
		"github.branch-protection web":      "fail",
		"github.alerts-overdue api":         "fail", // the critical one, 20 days old
		"github.alerts-overdue web":         "pass",
		"github.secret-scanning api":        "pass",
		"github.secret-scanning web":        "fail",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q (%s), want %s", k, got[k], why[k], v)
		}
	}
	if !strings.Contains(why["github.org-2fa acme"], "bob") || !strings.Contains(why["github.org-2fa acme"], "eve") {
		t.Errorf("2FA reason misses a page: %s", why["github.org-2fa acme"])
	}
	if !strings.Contains(why["github.outside-collaborators acme"], "members=read") {
		t.Errorf("the missing permission is not named: %s", why["github.outside-collaborators acme"])
	}
	if strings.Contains(why["github.alerts-overdue api"], "#9") {
		t.Errorf("a 2-day-old high alert reported overdue: %s", why["github.alerts-overdue api"])
	}
	for k := range got {
		if strings.Contains(k, " old") {
			t.Errorf("an archived repository was judged: %s", k)
		}
	}
	// A wrong token: the test says so, and never shows it.
	bad := "ghp_wrong"
	if err := s.Update(ctx, &vigil.Integration{ID: x.ID, Name: x.Name, Config: cfg, Interval: 3600, Enabled: true}, &bad); err != nil {
		t.Fatal(err)
	}
	if err := s.Test(ctx, x.ID); err == nil || !strings.Contains(err.Error(), "not valid") || strings.Contains(err.Error(), bad) {
		t.Fatalf("wrong token: %v", err)
	}
}
