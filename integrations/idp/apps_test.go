package idp

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/integrationtest"
	"github.com/vigil-soc/vigil/integrations/service"
)

func appsByName(t *testing.T, s *service.Service) map[string]vigil.DiscoveredApp {
	t.Helper()
	as, err := s.Store.DiscoveredApps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]vigil.DiscoveredApp{}
	for _, a := range as {
		out[a.Name] = a
	}
	return out
}

func collectionOf(t *testing.T, s *service.Service, id int64) vigil.AppCollection {
	t.Helper()
	cs, err := s.Store.AppCollections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.IntegrationID == id {
			return c
		}
	}
	t.Fatalf("no app listing recorded for integration %d", id)
	return vigil.AppCollection{}
}

// TestOktaApps replays Okta's Apps API: two pages by Link header, Okta's
// own app (not a third party), an INACTIVE app; then the apps refused
// (403: not readable, nothing marked gone); then a full listing without
// one app (marked gone).
func TestOktaApps(t *testing.T) {
	js := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	app := func(id, name, label, status, mode string) map[string]any {
		return map[string]any{"id": id, "name": name, "label": label, "status": status, "signOnMode": mode, "created": "2025-01-02T03:04:05.000Z",
			"_links": map[string]any{}}
	}
	var denyApps, dropNotion atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/users", func(w http.ResponseWriter, r *http.Request) {
		js(w, []any{map[string]any{"id": "u1", "status": "ACTIVE", "lastLogin": time.Now().Format(time.RFC3339), "profile": map[string]any{"login": "ann@acme.test"}}})
	})
	mux.HandleFunc("GET /api/v1/users/{id}/factors", func(w http.ResponseWriter, r *http.Request) { js(w, []any{}) })
	mux.HandleFunc("GET /api/v1/iam/assignees/users", func(w http.ResponseWriter, r *http.Request) { js(w, map[string]any{"value": []any{}}) })
	mux.HandleFunc("GET /api/v1/apps", func(w http.ResponseWriter, r *http.Request) {
		if denyApps.Load() {
			w.WriteHeader(403)
			js(w, map[string]any{"errorCode": "E0000006", "errorSummary": "You do not have permission to perform the requested action"})
			return
		}
		if r.URL.Query().Get("limit") != "200" {
			w.WriteHeader(400)
			return
		}
		if r.URL.Query().Get("after") == "" {
			w.Header().Add("Link", fmt.Sprintf(`<http://%s/api/v1/apps?limit=200>; rel="self"`, r.Host))
			w.Header().Add("Link", fmt.Sprintf(`<http://%s/api/v1/apps?limit=200&after=0oa2>; rel="next"`, r.Host))
			js(w, []any{app("0oa1", "slack", "Slack", "ACTIVE", "SAML_2_0"), app("0oa2", "okta_enduser", "Okta Dashboard", "ACTIVE", "OPENID_CONNECT")})
			return
		}
		page := []any{app("0oa3", "legacycrm", "Legacy CRM", "INACTIVE", "BROWSER_PLUGIN")}
		if !dropNotion.Load() {
			page = append(page, app("0oa4", "notion", "Notion", "ACTIVE", "SAML_2_0"))
		}
		js(w, page)
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "SSWS okta-token" {
			w.WriteHeader(401)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	defer srv.Close()
	s := integrationtest.NewService(t)
	s.Kinds = append(s.Kinds, Okta{MaxWait: 5 * time.Second})
	cfg, _ := json.Marshal(map[string]any{"url": srv.URL})
	x := &vigil.Integration{Kind: "okta", Name: "acme okta", Config: cfg, Interval: 3600, Enabled: true}
	if err := s.Create(ctx, x, "okta-token"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	apps := appsByName(t, s)
	if len(apps) != 3 || apps["Slack"].AppID != "0oa1" || apps["Notion"].Status != "ACTIVE" || apps["Legacy CRM"].Status != "INACTIVE" {
		t.Fatalf("apps over two pages, Okta's own left out: %+v", apps)
	}
	if a := apps["Slack"]; !a.Present || a.System != "acme okta" || a.Kind != "okta" || a.FirstSeen.IsZero() || len(a.Scopes) != 1 || a.Scopes[0] != "sign-on: SAML_2_0" {
		t.Errorf("Slack: %+v", a)
	}
	if c := collectionOf(t, s, x.ID); !c.Complete || c.Apps != 3 || c.Unreadable != "" {
		t.Errorf("listing: %+v", c)
	}
	first := apps["Slack"].FirstSeen

	// Refused: recorded as not readable, and no app marked gone.
	denyApps.Store(true)
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	if c := collectionOf(t, s, x.ID); c.Complete || c.Readable() || !strings.Contains(c.Unreadable, "not readable") || !strings.Contains(c.Unreadable, "permission") {
		t.Errorf("a refused listing: %+v", c)
	}
	if a := appsByName(t, s)["Notion"]; !a.Present {
		t.Errorf("a refused listing marked Notion gone: %+v", a)
	}
	if x2, _, err := s.Store.Integration(ctx, x.ID); err != nil || x2.LastStatus != "ok" || !strings.Contains(x2.LastError, "apps not readable") {
		t.Errorf("the run should say the apps were not readable: %+v %v", x2, err)
	}

	// A full listing without Notion: gone; Slack keeps its first sighting.
	denyApps.Store(false)
	dropNotion.Store(true)
	time.Sleep(2 * time.Millisecond)
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	apps = appsByName(t, s)
	if apps["Notion"].Present || !apps["Slack"].Present || !apps["Slack"].FirstSeen.Equal(first) || !apps["Slack"].LastSeen.After(first) {
		t.Errorf("after Notion left: %+v", apps)
	}
}

// TestGoogleTokens replays the Directory API's tokens resource per user,
// with its own scope: one user's grants refused (403) is "not readable",
// recorded as such, never "no apps"; a suspended user is not read; a
// delegation without the scope reads no grant and says so, while the
// users are still listed.
func TestGoogleTokens(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: mustPKCS8(t, key)})
	js := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	var noSecurityScope atomic.Bool
	var mu sync.Mutex
	var asked []string
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		parts := strings.Split(r.Form.Get("assertion"), ".")
		var claims struct {
			Scope string `json:"scope"`
		}
		if len(parts) == 3 {
			b, _ := base64.RawURLEncoding.DecodeString(parts[1])
			json.Unmarshal(b, &claims)
		}
		switch claims.Scope {
		case "https://www.googleapis.com/auth/admin.directory.user.readonly":
			js(w, map[string]any{"access_token": "ya29.users", "token_type": "Bearer", "expires_in": 3600})
		case tokensScope:
			if noSecurityScope.Load() {
				w.WriteHeader(401)
				js(w, map[string]any{"error": "unauthorized_client", "error_description": "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."})
				return
			}
			js(w, map[string]any{"access_token": "ya29.security", "token_type": "Bearer", "expires_in": 3600})
		default:
			w.WriteHeader(400)
			js(w, map[string]any{"error": "invalid_scope"})
		}
	})
	mux.HandleFunc("GET /admin/directory/v1/users", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer ya29.users" {
			w.WriteHeader(401)
			return
		}
		u := func(email string, suspended bool) map[string]any {
			return map[string]any{"primaryEmail": email, "isEnrolledIn2Sv": true, "suspended": suspended, "lastLoginTime": time.Now().Format(time.RFC3339)}
		}
		js(w, map[string]any{"kind": "admin#directory#users", "users": []any{u("ann@acme.test", false), u("bob@acme.test", false), u("cat@acme.test", false), u("old@acme.test", true)}})
	})
	tok := func(client, text, user string, scopes ...string) map[string]any {
		return map[string]any{"kind": "admin#directory#token", "clientId": client, "displayText": text, "scopes": scopes, "anonymous": false, "nativeApp": false, "userKey": user}
	}
	mux.HandleFunc("GET /admin/directory/v1/users/{user}/tokens", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer ya29.security" {
			w.WriteHeader(401)
			js(w, map[string]any{"error": map[string]any{"code": 401, "message": "Login Required."}})
			return
		}
		user := r.PathValue("user")
		mu.Lock()
		asked = append(asked, user)
		mu.Unlock()
		switch user {
		case "ann@acme.test":
			js(w, map[string]any{"kind": "admin#directory#tokenList", "items": []any{
				tok("123-slack.apps.googleusercontent.com", "Slack", "1", "openid", "https://www.googleapis.com/auth/userinfo.email"),
				tok("456-notion.apps.googleusercontent.com", "Notion", "1", "https://www.googleapis.com/auth/drive.readonly")}})
		case "cat@acme.test":
			js(w, map[string]any{"kind": "admin#directory#tokenList", "items": []any{
				tok("123-slack.apps.googleusercontent.com", "Slack", "3", "openid", "https://www.googleapis.com/auth/calendar")}})
		case "bob@acme.test":
			w.WriteHeader(403)
			js(w, map[string]any{"error": map[string]any{"code": 403, "message": "Not Authorized to access this resource/api"}})
		default:
			w.WriteHeader(404)
			js(w, map[string]any{"error": map[string]any{"code": 404, "message": "Resource Not Found: userKey"}})
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	s := integrationtest.NewService(t)
	s.Kinds = append(s.Kinds, Google{TokenURL: srv.URL + "/token", APIURL: srv.URL, MaxWait: 5 * time.Second})
	sa, _ := json.Marshal(map[string]any{"type": "service_account", "client_email": "vigil@acme.iam.gserviceaccount.com", "private_key": string(keyPEM), "private_key_id": "k1"})
	cfg, _ := json.Marshal(map[string]any{"subject": "admin@acme.test"})
	x := &vigil.Integration{Kind: "google", Name: "acme workspace", Config: cfg, Interval: 3600, Enabled: true}
	if err := s.Create(ctx, x, string(sa)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	sort.Strings(asked)
	if strings.Join(asked, ",") != "ann@acme.test,bob@acme.test,cat@acme.test" {
		t.Errorf("tokens read for %v, want the three active users", asked)
	}
	apps := appsByName(t, s)
	slack, notion := apps["Slack"], apps["Notion"]
	if len(apps) != 2 || slack.Users != 2 || slack.AppID != "123-slack.apps.googleusercontent.com" || notion.Users != 1 || slack.Kind != "google" {
		t.Fatalf("apps: %+v", apps)
	}
	if strings.Join(slack.Scopes, " ") != "https://www.googleapis.com/auth/calendar https://www.googleapis.com/auth/userinfo.email openid" {
		t.Errorf("Slack's scopes, merged over its users: %v", slack.Scopes)
	}
	c := collectionOf(t, s, x.ID)
	if c.Complete || !strings.Contains(c.Unreadable, "1 user not readable (bob@acme.test)") || !strings.Contains(c.Unreadable, "403") || c.Apps != 2 {
		t.Errorf("one user's grants refused: %+v", c)
	}
	// The users are listed whatever became of the grants.
	if as, err := s.Store.Accounts(ctx); err != nil || len(as) != 4 {
		t.Fatalf("accounts: %d %v", len(as), err)
	}

	// No delegation of the security scope: nothing read, said so, and
	// the apps from before are not taken as gone.
	noSecurityScope.Store(true)
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	c = collectionOf(t, s, x.ID)
	if c.Complete || c.Readable() || !strings.Contains(c.Unreadable, "not readable") || !strings.Contains(c.Unreadable, "admin.directory.user.security") {
		t.Errorf("scope not delegated: %+v", c)
	}
	if a := appsByName(t, s)["Slack"]; !a.Present {
		t.Errorf("an unreadable listing marked Slack gone: %+v", a)
	}
}
