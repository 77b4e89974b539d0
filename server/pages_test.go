package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/auth"
)

// session gives each role's user a signed-in browser session.
type session struct{ cookie, csrf string }

func (e *env) sessions() map[string]session {
	e.t.Helper()
	out := map[string]session{}
	for role, uid := range e.users {
		if role == "owner" || role == "admin" {
			// They must have MFA for a full session to count.
			if err := e.store.SetTOTP(context.Background(), uid, "v1:unused"); err != nil {
				e.t.Fatal(err)
			}
			if err := e.store.EnableTOTP(context.Background(), uid, 1, nil); err != nil {
				e.t.Fatal(err)
			}
		}
		secret, hash, _ := auth.NewSecret(auth.SessionPrefix)
		csrf, _, _ := auth.NewSecret("")
		ctx := vigil.WithActor(context.Background(), vigil.Actor{UserID: uid, Name: role, Role: vigil.Role(role)})
		if err := e.store.CreateSession(ctx, &vigil.Session{IDHash: hash, UserID: uid, State: vigil.SessionFull, Method: "password", CSRF: csrf,
			ExpiresAt: time.Now().Add(time.Hour)}, "auth.login"); err != nil {
			e.t.Fatal(err)
		}
		out[role] = session{cookie: secret, csrf: csrf}
	}
	return out
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// page requests a page as a session (or anonymously) without following
// redirects.
func (e *env) page(s *session, method, path string, form url.Values) (int, string, http.Header) {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		if s != nil {
			form.Set("csrf", s.csrf)
		}
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, e.http.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if s != nil {
		req.AddCookie(&http.Cookie{Name: "vigil_session", Value: s.cookie})
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// pageExpected says who may use each page, independently of the table.
var pageExpected = map[string]string{
	"GET /login": "public", "POST /login": "public", "GET /login/sso": "public", "GET /auth/oidc/callback": "public",
	"GET /forgot": "public", "POST /forgot": "public", "GET /reset": "public", "POST /reset": "public",
	"GET /setup": "public", "POST /setup": "public",
	"GET /login/mfa": "mfa", "POST /login/mfa": "mfa",
	"POST /logout": "all",

	"GET /{$}": "all", "GET /criteria": "all", "GET /criteria/{id}": "all", "GET /controls": "all",
	"POST /controls/adopt": "owner admin", "POST /controls/bulk": "owner admin member", "GET /controls/new": "owner admin", "POST /controls/new": "owner admin",
	"GET /controls/{id}": "all", "POST /controls/{id}": "owner admin member",
	"GET /scope": "all", "POST /scope": "owner admin", "POST /systems": "owner admin", "GET /systems/{id}": "all",
	"POST /systems/{id}": "owner admin", "POST /systems/{id}/delete": "owner admin",
	"GET /settings": "owner admin", "POST /settings/organization": "owner admin", "POST /settings/auth": "owner", "POST /settings/evidence": "owner",
	"GET /users": "owner admin", "POST /users": "owner admin", "GET /users/{id}": "owner admin", "POST /users/{id}": "owner admin",
	"POST /users/{id}/reset-link": "owner admin",
	"GET /tokens":                 "all", "POST /tokens": "all", "POST /tokens/{id}/revoke": "all",
	"GET /activity": "owner admin auditor",
	"GET /hosts":    "all", "POST /hosts/enrol": "owner admin", "GET /hosts/{id}": "all", "POST /hosts/{id}/revoke": "owner admin", "POST /hosts/{id}/tailoring/approve": "owner admin",
	"POST /hosts/{id}/labels": "owner admin", "GET /exceptions": "all", "POST /exceptions": "owner admin member",
	"POST /exceptions/{id}/approve": "owner admin", "POST /exceptions/{id}/revoke": "owner admin",
	"GET /policies": "all", "POST /policies/adopt": "owner admin", "POST /policies/upload": "owner admin", "GET /policies/{id}": "all", "GET /policies/{id}/versions/{number}": "all",
	"POST /policies/{id}/draft": "owner admin member", "POST /policies/{id}/versions": "owner admin member", "POST /policies/{id}/submit": "owner admin member",
	"POST /policies/{id}/approve": "owner admin member", "POST /policies/{id}/reject": "owner admin member", "POST /policies/{id}/publish": "owner admin member",
	"POST /policies/{id}/review": "owner admin member", "POST /policies/{id}/settings": "owner admin", "POST /policies/{id}/retire": "owner admin",
	"GET /policies/{id}/versions/{number}/export": "all", "GET /policies/export": "all",
	"GET /tasks": "all", "GET /people": "owner admin auditor", "POST /people/import": "owner admin", "POST /people/imports/{id}/confirm": "owner admin",
	"GET /people/{id}": "owner admin auditor", "POST /people/{id}": "owner admin", "GET /offboarding": "owner admin auditor",
	"GET /onboarding": "owner admin auditor", "POST /people/{id}/background-check": "owner admin", "POST /people/{id}/performance-review": "owner admin member",
	"POST /people/{id}/agreement": "owner admin", "POST /onboarding/confidentiality-policy": "owner admin",
	"POST /people/{id}/role-changes/{change}/review": "owner admin",
	"GET /policies/{id}/acknowledgements":            "owner admin auditor", "POST /policies/{id}/acknowledge": "all", "POST /policies/{id}/remind": "owner admin", "GET /settings/notifications": "owner admin", "POST /settings/notifications": "owner admin",
	"POST /settings/notifications/{id}/test": "owner admin", "POST /settings/notifications/{id}/delete": "owner admin",
	"GET /training": "all", "POST /training/courses": "owner admin", "GET /training/mine": "all", "GET /training/{id}": "all",
	"POST /training/{id}/assign": "owner admin", "POST /training/{id}/assignments/{assignment}/delete": "owner admin",
	"POST /training/{id}/completions": "owner admin", "GET /training/{id}/take": "all", "POST /training/{id}/quiz": "all",
	"GET /incidents": "all", "POST /incidents": "owner admin member", "GET /incidents/{id}": "all", "POST /incidents/{id}/events": "owner admin member",
	"POST /incidents/{id}/update": "owner admin", "POST /incidents/{id}/notifications": "owner admin",
	"POST /incidents/{id}/notifications/{notification}/sent": "owner admin", "POST /incidents/{id}/review": "owner admin",
	"POST /incidents/{id}/actions/{action}/done": "owner admin", "POST /incidents/{id}/close": "owner admin",
	"GET /exercises": "all", "POST /exercises": "owner admin", "POST /exercises/rules": "owner admin",
	"GET /risks": "all", "POST /risks": "owner admin", "GET /risks/library": "all", "POST /risks/library": "owner admin", "GET /risks/plan": "all", "GET /risks/import": "owner admin", "POST /risks/import": "owner admin",
	"GET /risks/assessments": "all", "POST /risks/assessments": "owner admin", "GET /risks/assessments/{id}": "all", "POST /risks/assessments/{id}/sign": "owner admin",
	"GET /risks/{id}": "all", "POST /risks/{id}": "owner admin", "POST /risks/{id}/accept": "owner admin", "POST /risks/{id}/approve": "owner admin member",
	"GET /vendors": "all", "POST /vendors": "owner admin", "POST /vendor-suggestions/{id}/confirm": "owner admin", "POST /vendor-suggestions/{id}/dismiss": "owner admin", "POST /vendors/import": "owner admin", "POST /vendors/import/confirm": "owner admin", "GET /vendors/{id}": "all", "POST /vendors/{id}": "owner admin",
	"POST /vendors/{id}/documents": "owner admin", "POST /vendors/{id}/questionnaires": "owner admin", "POST /vendor-documents/{id}/review": "owner admin",
	"POST /vendor-cuecs/{id}": "owner admin", "GET /questionnaires/{id}": "all", "POST /questionnaires/{id}/review": "owner admin",
	"GET /q/{secret}": "public", "POST /q/{secret}": "public",
	"GET /fleet": "all", "GET /integrations": "all", "POST /integrations": "owner admin", "GET /integrations/{id}": "all", "POST /integrations/{id}/{action}": "owner admin",
	"GET /evidence": "all", "GET /evidence/export": "all", "GET /evidence/{id}/download": "all",
	"POST /evidence/{id}/review": "owner admin", "POST /controls/{id}/evidence": "owner admin member",
	"POST /controls/{id}/attest": "owner admin member", "POST /controls/{id}/requests": "owner admin",
	"POST /requests/{id}/delete": "owner admin",
	"GET /account":               "all", "POST /account/password": "all", "GET /account/mfa": "all", "POST /account/mfa": "all",
	"POST /account/mfa/disable":       "all", // owners and admins start over with a new authenticator
	"POST /account/logout-everywhere": "all",
}

func TestEveryPageForEveryRole(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"AC-01"}, "owner_id": e.users["member"]}, 200, nil)
	e.do("admin", "POST", "/api/v1/systems", map[string]any{"name": "api", "kind": "service", "classification": "internal", "environment": "production"}, 201, nil)
	seen := map[string]bool{}
	for _, rt := range e.srv.Routes() {
		if !rt.Page {
			continue
		}
		key := rt.Method + " " + rt.Path
		seen[key] = true
		allowed, ok := pageExpected[key]
		if !ok {
			t.Errorf("page %s has no expectation in pages_test.go", key)
			continue
		}
		if key == "POST /logout" || key == "POST /account/logout-everywhere" {
			continue // would end the sessions the walk uses; covered by the browser walk
		}
		path := strings.NewReplacer("{$}", "", "{id}", "1", "{number}", "1").Replace(rt.Path)
		if strings.HasPrefix(rt.Path, "/controls/{id}") {
			path = strings.Replace(rt.Path, "{id}", "AC-01", 1)
		}
		if strings.HasPrefix(rt.Path, "/tokens/{id}") {
			path = "/tokens/999999/revoke" // revoking a real one would end the walk's own access
		}
		if strings.HasPrefix(rt.Path, "/criteria/{id}") {
			path = "/criteria/CC6.1"
		}
		if rt.Path == "/users/{id}" || rt.Path == "/users/{id}/reset-link" {
			path = strings.Replace(rt.Path, "{id}", fmt.Sprint(e.users["viewer"]), 1)
		}
		var form url.Values
		if rt.Method == "POST" {
			form = url.Values{}
		}
		// Fresh sessions per route: some pages (MFA enrolment) change state.
		sess := e.sessions()
		for _, who := range []string{"", "owner", "admin", "member", "auditor", "viewer"} {
			var sp *session
			if who != "" {
				s := sess[who]
				sp = &s
			}
			status, body, hdr := e.page(sp, rt.Method, path, form)
			loc := hdr.Get("Location")
			switch {
			case allowed == "public":
				if status == 403 && strings.Contains(body, "another site") || status >= 500 {
					t.Errorf("%s as %q: %d", key, who, status)
				}
			case allowed == "mfa":
				// Only a session half-way through sign-in may use it; a
				// full session is sent on, no session goes to sign-in.
				if who == "" && !strings.HasPrefix(loc, "/login") || who != "" && (status != 303 || loc != "/") {
					t.Errorf("%s as %q: %d to %q", key, who, status, loc)
				}
			case who == "":
				if status != 303 || !strings.HasPrefix(loc, "/login?next=") {
					t.Errorf("%s without a session: %d to %q, want a redirect to sign-in", key, status, loc)
				}
			case allowed == "all" || strings.Contains(" "+allowed+" ", " "+who+" "):
				if status == 403 || status >= 500 || strings.HasPrefix(loc, "/login") {
					t.Errorf("%s as %s: %d to %q, want it allowed; %.300s", key, who, status, loc, body)
				}
			default:
				if status != 403 {
					t.Errorf("%s as %s: %d, want 403", key, who, status)
				}
			}
		}
	}
	for key := range pageExpected {
		if !seen[key] {
			t.Errorf("expected page %s is not registered", key)
		}
	}
}

func TestPagesRefuseForgedForms(t *testing.T) {
	e := newEnv(t, "sqlite")
	s := e.sessions()["admin"]
	// Right session, wrong CSRF token.
	req, _ := http.NewRequest("POST", e.http.URL+"/scope", strings.NewReader("csrf=forged&categories=privacy"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "vigil_session", Value: s.cookie})
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("forged CSRF token: %d, want 403", resp.StatusCode)
	}
	// Right token, sent from another site.
	req, _ = http.NewRequest("POST", e.http.URL+"/scope", strings.NewReader("csrf="+s.csrf+"&categories=privacy"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.AddCookie(&http.Cookie{Name: "vigil_session", Value: s.cookie})
	resp, _ = noRedirect.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("cross-site post: %d, want 403", resp.StatusCode)
	}
	var sc vigil.Scope
	e.do("viewer", "GET", "/api/v1/scope", nil, 200, &sc)
	if len(sc.Categories) != 1 {
		t.Fatalf("a refused form changed the scope: %v", sc.Categories)
	}
	// A page has a strict CSP and no stack traces.
	status, body, hdr := e.page(&s, "GET", "/controls/NOPE-1", nil)
	if status != 404 || !strings.Contains(hdr.Get("Content-Security-Policy"), "script-src 'self'") || strings.Contains(body, "goroutine") {
		t.Fatalf("missing control page: %d %v", status, hdr)
	}
}

func TestPageWeight(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.fill1000()
	s := e.sessions()["admin"]
	assets := 0
	for _, f := range []string{"/static/app.css", "/static/app.js", "/static/favicon.svg"} {
		_, b, _ := e.page(nil, "GET", f, nil)
		assets += len(b)
	}
	for _, p := range []string{"/", "/criteria", "/criteria/CC6.1", "/controls", "/controls/AC-01", "/scope", "/settings", "/users", "/tokens", "/activity", "/account"} {
		status, body, _ := e.page(&s, "GET", p, nil)
		if status != 200 {
			t.Fatalf("%s: %d", p, status)
		}
		// Inline images (data: URLs) count too: they are in the HTML.
		imgs := 0
		for _, m := range regexp.MustCompile(`src="(/static/[^"]+)"`).FindAllStringSubmatch(body, -1) {
			_ = m
			imgs++
		}
		if total := len(body) + assets; total > 300*1024 {
			t.Errorf("%s weighs %d bytes with its CSS and JavaScript, over 300 KB", p, total)
		}
	}
}
