package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// oktaReplay answers the Okta calls an okta integration makes: one user,
// and apps over two pages (Slack, Okta's own dashboard, an INACTIVE
// Legacy CRM, Notion, Figma).
func oktaReplay(t *testing.T) *httptest.Server {
	js := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	app := func(id, name, label, status string) map[string]any {
		return map[string]any{"id": id, "name": name, "label": label, "status": status, "signOnMode": "SAML_2_0", "created": "2025-01-02T03:04:05.000Z"}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/users", func(w http.ResponseWriter, r *http.Request) {
		js(w, []any{map[string]any{"id": "u1", "status": "ACTIVE", "lastLogin": time.Now().Format(time.RFC3339), "profile": map[string]any{"login": "ann@acme.test"}}})
	})
	mux.HandleFunc("GET /api/v1/users/{id}/factors", func(w http.ResponseWriter, r *http.Request) { js(w, []any{}) })
	mux.HandleFunc("GET /api/v1/iam/assignees/users", func(w http.ResponseWriter, r *http.Request) { js(w, map[string]any{"value": []any{}}) })
	mux.HandleFunc("GET /api/v1/apps", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("after") == "" {
			w.Header().Add("Link", fmt.Sprintf(`<http://%s/api/v1/apps?limit=200&after=0oa2>; rel="next"`, r.Host))
			js(w, []any{app("0oa1", "slack", "Slack", "ACTIVE"), app("0oa2", "okta_enduser", "Okta Dashboard", "ACTIVE")})
			return
		}
		js(w, []any{app("0oa3", "legacycrm", "Legacy CRM", "INACTIVE"), app("0oa4", "notion", "Notion", "ACTIVE"), app("0oa5", "figma", "Figma <b>Design</b>", "ACTIVE")})
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "SSWS okta-token" {
			w.WriteHeader(401)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestVendorSuggestionsCLI: an okta integration run against the replayed
// Okta lists its apps; `vigil vendors suggestions` shows those matching no
// vendor (Slack matches one; Okta's own and the inactive app are not
// suggested); confirm adds the vendor, onboarding; dismiss records who;
// neither is suggested again, and a second decision is refused.
func TestVendorSuggestionsCLI(t *testing.T) {
	okta := oktaReplay(t)
	m, setupTok := startMain(t, &Main{DataDir: t.TempDir()})
	vars := map[string]string{"VIGIL_SERVER": m.URL}
	code, out, errs := cli(t, vars, "correct horse battery\n", "setup", "--token", setupTok, "--org", "Acme", "--email", "me@acme.test", "--name", "Me")
	if code != 0 {
		t.Fatalf("setup: %d %s %s", code, out, errs)
	}
	vars["VIGIL_TOKEN"] = strings.TrimSpace(out)
	run := func(wantCode int, want, stdin string, args ...string) string {
		t.Helper()
		code, out, errs := cli(t, vars, stdin, args...)
		if code != wantCode || !strings.Contains(out+errs, want) {
			t.Fatalf("vigil %s: exit %d, want %d with %q:\n%s%s", strings.Join(args, " "), code, wantCode, want, out, errs)
		}
		return out
	}
	run(0, "no connected system lists", "", "vendors", "suggestions")
	run(0, "added VND-001", "", "vendors", "add", "Slack, Inc.")
	run(0, "added integration 1", "okta-token\n", "integrations", "add", "--kind", "okta", "--name", "acme okta", "--config", `{"url": "`+okta.URL+`"}`, "--secret-stdin")
	run(0, "", "", "integrations", "run", "1")
	out = run(0, "acme okta (okta): 4 apps listed", "", "vendors", "suggestions")
	if !strings.Contains(out, "Notion") || !strings.Contains(out, "Figma <b>Design</b>") || strings.Contains(out, "Slack") || strings.Contains(out, "Legacy CRM") || strings.Contains(out, "Okta Dashboard") {
		t.Fatalf("suggestions: %s", out)
	}
	ids := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 1 && (f[1] == "Notion" || f[1] == "Figma") {
			ids[f[1]] = f[0]
		}
	}
	run(0, "added VND-002 Notion", "", "vendors", "confirm", ids["Notion"], "--service", "wiki")
	run(0, "dismissed Figma <b>Design</b> (acme okta)", "", "vendors", "dismiss", ids["Figma"])
	run(1, "already", "", "vendors", "dismiss", ids["Figma"])
	run(1, "already", "", "vendors", "confirm", ids["Notion"])
	run(2, "Usage", "", "vendors", "confirm")
	run(0, "no suggestion", "", "vendors", "suggestions")
	if out := run(0, "VND-002", "", "vendors", "list"); !strings.Contains(out, "onboarding") {
		t.Fatalf("list: %s", out)
	}
	// A second run keeps the decisions.
	run(0, "", "", "integrations", "run", "1")
	run(0, "no suggestion", "", "vendors", "suggestions")
	out = run(0, "", "", "activity", "--action", "vendor.suggestion.")
	if !strings.Contains(out, "vendor.suggestion.confirm") || !strings.Contains(out, "vendor.suggestion.dismiss") {
		t.Fatalf("activity: %s", out)
	}
}
