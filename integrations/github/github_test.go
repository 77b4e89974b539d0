package github

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
	"github.com/vigil-soc/vigil/integrations/integrationtest"
)

var ctx = integrationtest.Ctx

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
			map[string]any{"name": "svc", "full_name": "acme/svc", "default_branch": "main", "security_and_analysis": sa("enabled")},
			map[string]any{"name": "ops", "full_name": "acme/ops", "default_branch": "trunk", "security_and_analysis": sa("enabled")},
			map[string]any{"name": "lib", "full_name": "acme/lib", "default_branch": "main", "security_and_analysis": sa("enabled")},
			map[string]any{"name": "app", "full_name": "acme/app", "default_branch": "main", "security_and_analysis": sa("enabled")},
			map[string]any{"name": "cfg", "full_name": "acme/cfg", "default_branch": "main", "security_and_analysis": sa("enabled")},
		})
	})
	// Rulesets: svc is protected only by its own ruleset (nobody may
	// bypass it); ops by classic protection for status checks and force
	// pushes and by an organization ruleset, which organization
	// administrators may bypass, for reviews; lib by a ruleset whose bypass
	// list GitHub withholds from this token (a second page of rules).
	notProtected := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		js(w, map[string]any{"message": "Branch not protected", "documentation_url": "https://docs.github.com/rest/branches/branch-protection"})
	}
	rule := func(typ, source string, id int, params map[string]any) map[string]any {
		m := map[string]any{"type": typ, "ruleset_source_type": "Repository", "ruleset_source": source, "ruleset_id": id}
		if !strings.Contains(source, "/") {
			m["ruleset_source_type"] = "Organization"
		}
		if params != nil {
			m["parameters"] = params
		}
		return m
	}
	pr := func(n int, stale bool) map[string]any {
		return map[string]any{"required_approving_review_count": n, "dismiss_stale_reviews_on_push": stale, "require_code_owner_review": false,
			"require_last_push_approval": false, "required_review_thread_resolution": false, "allowed_merge_methods": []string{"merge", "squash"}}
	}
	checks := map[string]any{"strict_required_status_checks_policy": true, "required_status_checks": []any{map[string]any{"context": "ci"}}}
	for _, repo := range []string{"api", "web"} {
		mux.HandleFunc("GET /repos/acme/"+repo+"/rules/branches/main", func(w http.ResponseWriter, r *http.Request) { js(w, []any{}) })
	}
	mux.HandleFunc("GET /repos/acme/svc/branches/main/protection", notProtected)
	mux.HandleFunc("GET /repos/acme/svc/rules/branches/main", func(w http.ResponseWriter, r *http.Request) {
		js(w, []any{rule("pull_request", "acme/svc", 42, pr(2, true)), rule("required_status_checks", "acme/svc", 42, checks),
			rule("non_fast_forward", "acme/svc", 42, nil), rule("deletion", "acme/svc", 42, nil)})
	})
	mux.HandleFunc("GET /repos/acme/svc/rulesets/42", func(w http.ResponseWriter, r *http.Request) {
		js(w, map[string]any{"id": 42, "name": "main", "target": "branch", "source_type": "Repository", "source": "acme/svc", "enforcement": "active", "bypass_actors": []any{}})
	})
	mux.HandleFunc("GET /repos/acme/ops/branches/trunk/protection", func(w http.ResponseWriter, r *http.Request) {
		js(w, map[string]any{
			"required_status_checks": map[string]any{"strict": true, "contexts": []string{"ci"}},
			"enforce_admins":         map[string]any{"enabled": true},
			"allow_force_pushes":     map[string]any{"enabled": false},
		})
	})
	mux.HandleFunc("GET /repos/acme/ops/rules/branches/trunk", func(w http.ResponseWriter, r *http.Request) {
		js(w, []any{rule("pull_request", "acme", 7, pr(1, true))})
	})
	mux.HandleFunc("GET /repos/acme/ops/rulesets/7", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("includes_parents") != "true" {
			w.WriteHeader(404)
			js(w, map[string]any{"message": "Not Found"})
			return
		}
		js(w, map[string]any{"id": 7, "name": "reviews", "target": "branch", "source_type": "Organization", "source": "acme", "enforcement": "active",
			"bypass_actors": []any{map[string]any{"actor_id": nil, "actor_type": "OrganizationAdmin", "bypass_mode": "always"}}})
	})
	mux.HandleFunc("GET /repos/acme/lib/branches/main/protection", notProtected)
	mux.HandleFunc("GET /repos/acme/lib/rules/branches/main", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") != "2" {
			w.Header().Set("Link", fmt.Sprintf(`<http://%s/api/v3/repos/acme/lib/rules/branches/main?page=2&per_page=100>; rel="next"`, r.Host))
			js(w, []any{rule("pull_request", "acme/lib", 9, pr(1, true)), rule("required_status_checks", "acme/lib", 9, checks)})
			return
		}
		js(w, []any{rule("non_fast_forward", "acme/lib", 9, nil)})
	})
	mux.HandleFunc("GET /repos/acme/lib/rulesets/9", func(w http.ResponseWriter, r *http.Request) {
		js(w, map[string]any{"id": 9, "name": "main", "target": "branch", "source_type": "Repository", "source": "acme/lib", "enforcement": "active"})
	})
	// app: everything enforced for administrators, but a user may merge
	// without review; cfg: status checks "required" with none selected.
	mux.HandleFunc("GET /repos/acme/app/branches/main/protection", func(w http.ResponseWriter, r *http.Request) {
		js(w, map[string]any{
			"required_status_checks": map[string]any{"strict": true, "contexts": []string{"ci"}},
			"required_pull_request_reviews": map[string]any{"dismiss_stale_reviews": true, "required_approving_review_count": 1,
				"bypass_pull_request_allowances": map[string]any{"users": []any{user("release-bot")}, "teams": []any{}, "apps": []any{}}},
			"enforce_admins":     map[string]any{"enabled": true},
			"allow_force_pushes": map[string]any{"enabled": false},
		})
	})
	mux.HandleFunc("GET /repos/acme/cfg/branches/main/protection", func(w http.ResponseWriter, r *http.Request) {
		js(w, map[string]any{
			"required_status_checks":        map[string]any{"strict": true, "contexts": []string{}, "checks": []any{}},
			"required_pull_request_reviews": map[string]any{"dismiss_stale_reviews": true, "required_approving_review_count": 1},
			"enforce_admins":                map[string]any{"enabled": true},
			"allow_force_pushes":            map[string]any{"enabled": false},
		})
	})
	for _, repo := range []string{"app", "cfg"} {
		mux.HandleFunc("GET /repos/acme/"+repo+"/rules/branches/main", func(w http.ResponseWriter, r *http.Request) { js(w, []any{}) })
	}
	for _, repo := range []string{"svc", "ops", "lib", "app", "cfg"} {
		mux.HandleFunc("GET /repos/acme/"+repo+"/dependabot/alerts", func(w http.ResponseWriter, r *http.Request) { js(w, []any{}) })
		mux.HandleFunc("GET /repos/acme/"+repo+"/code-scanning/alerts", func(w http.ResponseWriter, r *http.Request) { js(w, []any{}) })
	}
	mux.HandleFunc("GET /repos/acme/api/branches/main/protection", func(w http.ResponseWriter, r *http.Request) {
		js(w, map[string]any{
			"required_status_checks":        map[string]any{"strict": true, "contexts": []string{"ci"}},
			"required_pull_request_reviews": map[string]any{"dismiss_stale_reviews": true, "required_approving_review_count": 1},
			"enforce_admins":                map[string]any{"enabled": true},
			"allow_force_pushes":            map[string]any{"enabled": false},
		})
	})
	mux.HandleFunc("GET /repos/acme/web/branches/main/protection", notProtected)
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
	s := integrationtest.NewService(t)
	s.Kinds = append(s.Kinds, GitHub{MaxWait: 10 * time.Second})
	cfg, _ := json.Marshal(map[string]any{"org": "acme", "api_url": srv.URL + "/"})
	x := &vigil.Integration{Kind: "github", Name: "acme on GitHub", Config: cfg, Interval: 3600, Enabled: true}
	got, why := integrationtest.Connect(t, s, x, "ghp_test")
	want := map[string]string{
		"github.org-2fa acme":               "fail", // bob on page 1, eve on page 2
		"github.owners acme":                "pass",
		"github.outside-collaborators acme": "error",
		"github.branch-protection api":      "pass",
		"github.branch-protection web":      "fail",
		"github.branch-protection svc":      "pass",  // a ruleset nobody may bypass
		"github.branch-protection ops":      "fail",  // reviews only from a ruleset administrators bypass
		"github.branch-protection lib":      "error", // the bypass list is withheld
		"github.branch-protection app":      "fail",  // a user may merge without review
		"github.branch-protection cfg":      "fail",  // no status check selected
		"github.alerts-overdue api":         "fail",  // the critical one, 20 days old
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
	if w := why["github.branch-protection ops"]; !strings.Contains(w, "organization administrators") || !strings.Contains(w, "approving review") ||
		strings.Contains(w, "status checks") {
		t.Errorf("ops: the bypassable requirement and who may bypass it are not named: %s", w)
	}
	if w := why["github.branch-protection app"]; !strings.Contains(w, "user release-bot") || !strings.Contains(w, "approving review") || strings.Contains(w, "status checks") {
		t.Errorf("app: the review bypass allowance is not named: %s", w)
	}
	if w := why["github.branch-protection cfg"]; !strings.Contains(w, "required status checks") {
		t.Errorf("cfg: %s", w)
	}
	if w := why["github.branch-protection lib"]; !strings.Contains(w, "write access") {
		t.Errorf("lib: the withheld bypass list is not explained: %s", w)
	}
	if w := why["github.branch-protection web"]; !strings.Contains(w, "main is not protected") {
		t.Errorf("web: %s", w)
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
