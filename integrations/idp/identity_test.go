package idp

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
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

// TestOktaIntegration replays Okta's API (users paged by Link headers, one
// 429 with X-Rate-Limit-Reset, factors, admin assignees).
func TestOktaIntegration(t *testing.T) {
	now := time.Now().UTC()
	var limited atomic.Bool
	js := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	user := func(id, login, status string, lastLogin time.Time) map[string]any {
		return map[string]any{"id": id, "status": status, "lastLogin": lastLogin.Format(time.RFC3339), "profile": map[string]any{"login": login}}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/users", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("after") == "" {
			if !limited.Swap(true) {
				w.Header().Set("X-Rate-Limit-Reset", fmt.Sprint(time.Now().Add(time.Second).Unix()))
				w.WriteHeader(429)
				js(w, map[string]any{"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too many requests."})
				return
			}
			w.Header().Add("Link", fmt.Sprintf(`<http://%s/api/v1/users?limit=200&after=u2>; rel="next"`, r.Host))
			js(w, []any{user("u1", "ann@acme.test", "ACTIVE", now.AddDate(0, 0, -1)), user("u2", "bob@acme.test", "ACTIVE", now.AddDate(0, 0, -200))})
			return
		}
		js(w, []any{user("u3", "cat@acme.test", "SUSPENDED", now.AddDate(0, 0, -400)), user("u4", "dan@acme.test", "ACTIVE", now.AddDate(0, 0, -2)),
			user("u5", "eve@acme.test", "ACTIVE", now.AddDate(0, 0, -3))})
	})
	var denyFactors atomic.Bool
	mux.HandleFunc("GET /api/v1/users/{id}/factors", func(w http.ResponseWriter, r *http.Request) {
		if denyFactors.Load() && r.PathValue("id") == "u5" {
			w.WriteHeader(403)
			js(w, map[string]any{"errorCode": "E0000006", "errorSummary": "You do not have permission to perform the requested action"})
			return
		}
		if r.PathValue("id") == "u4" {
			js(w, []any{}) // dan has no factor
			return
		}
		js(w, []any{map[string]any{"factorType": "token:software:totp", "status": "ACTIVE"}})
	})
	// Five role holders over two pages, the next named in the body.
	mux.HandleFunc("GET /api/v1/iam/assignees/users", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("after") == "" {
			js(w, map[string]any{"value": []any{map[string]any{"id": "u1"}, map[string]any{"id": "u2"}, map[string]any{"id": "u3"}},
				"_links": map[string]any{"next": map[string]any{"href": fmt.Sprintf("http://%s/api/v1/iam/assignees/users?limit=200&after=u3", r.Host)}}})
			return
		}
		js(w, map[string]any{"value": []any{map[string]any{"id": "u4"}, map[string]any{"id": "u5"}}, "_links": map[string]any{}})
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "SSWS okta-token" {
			w.WriteHeader(401)
			js(w, map[string]any{"errorCode": "E0000011", "errorSummary": "Invalid token provided"})
			return
		}
		mux.ServeHTTP(w, r)
	}))
	defer srv.Close()
	s := integrationtest.NewService(t)
	s.Kinds = append(s.Kinds, Okta{MaxWait: 10 * time.Second})
	cfg, _ := json.Marshal(map[string]any{"url": srv.URL})
	x := &vigil.Integration{Kind: "okta", Name: "acme okta", Config: cfg, Interval: 3600, Enabled: true}
	if err := s.Create(ctx, x, "okta-token"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	got, why := integrationtest.ResultsOf(t, s, x.AgentID)
	if got["okta.mfa"] != "fail" || !strings.Contains(why["okta.mfa"], "dan@acme.test") || strings.Contains(why["okta.mfa"], "cat@") {
		t.Errorf("okta.mfa: %s %s", got["okta.mfa"], why["okta.mfa"])
	}
	if got["okta.inactive"] != "fail" || !strings.Contains(why["okta.inactive"], "bob@acme.test") || strings.Contains(why["okta.inactive"], "cat@") {
		t.Errorf("okta.inactive: %s %s", got["okta.inactive"], why["okta.inactive"])
	}
	if got["okta.admins"] != "fail" || !strings.Contains(why["okta.admins"], "5 administrators") || !strings.Contains(why["okta.admins"], "eve@acme.test") {
		t.Errorf("okta.admins (five over two pages, four allowed): %s %s", got["okta.admins"], why["okta.admins"])
	}
	// The accounts keep each user's MFA for onboarding: enrolled, not,
	// or (a suspended user, whose factors are not read) unknown.
	mfaOf := func() map[string]string {
		t.Helper()
		as, err := s.Store.Accounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, a := range as {
			out[a.ExternalID] = "nil"
			if a.MFA != nil {
				out[a.ExternalID] = fmt.Sprint(*a.MFA)
			}
		}
		return out
	}
	if m := mfaOf(); m["ann@acme.test"] != "true" || m["dan@acme.test"] != "false" || m["cat@acme.test"] != "nil" {
		t.Errorf("accounts' MFA: %v", m)
	}
	// Offboarding reads the accounts' states: Okta's SUSPENDED is
	// disabled, ACTIVE active; every role holder is privileged.
	as, err := s.Store.Accounts(ctx)
	if err != nil || len(as) != 5 {
		t.Fatalf("accounts: %d %v", len(as), err)
	}
	for _, a := range as {
		want := vigil.AccountActive
		if a.ExternalID == "cat@acme.test" {
			want = vigil.AccountDisabled
		}
		if a.State != want || !a.Privileged || !a.Present {
			t.Errorf("okta account %s: %s privileged %v, want %s and privileged", a.ExternalID, a.State, a.Privileged, want)
		}
	}
	// One user's factors refused: MFA is unknown for the run, never a
	// pass, and the refusal is named.
	denyFactors.Store(true)
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	if m := mfaOf(); m["ann@acme.test"] != "nil" || m["dan@acme.test"] != "nil" {
		t.Errorf("accounts' MFA after a refused factors call: %v", m)
	}
	if got, why := integrationtest.ResultsOf(t, s, x.AgentID); got["okta.mfa"] != "error" || !strings.Contains(why["okta.mfa"], "permission") || got["okta.inactive"] != "fail" {
		t.Errorf("a refused factors call: mfa %s %s, inactive %s", got["okta.mfa"], why["okta.mfa"], got["okta.inactive"])
	}
	denyFactors.Store(false)
	bad := "wrong"
	if err := s.Update(ctx, &vigil.Integration{ID: x.ID, Name: x.Name, Config: cfg, Interval: 3600, Enabled: true}, &bad); err != nil {
		t.Fatal(err)
	}
	if err := s.Test(ctx, x.ID); err == nil || !strings.Contains(err.Error(), "Invalid token provided") || strings.Contains(err.Error(), bad) {
		t.Fatalf("wrong token: %v", err)
	}
}

// TestGoogleIntegration replays Google's token endpoint (a JWT bearer
// grant from a service account) and the Admin SDK's paged user list.
func TestGoogleIntegration(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: mustPKCS8(t, key)})
	now := time.Now().UTC()
	js := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.Form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" || r.Form.Get("assertion") == "" {
			w.WriteHeader(400)
			js(w, map[string]any{"error": "invalid_grant"})
			return
		}
		js(w, map[string]any{"access_token": "ya29.test", "token_type": "Bearer", "expires_in": 3600})
	})
	mux.HandleFunc("GET /admin/directory/v1/users", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer ya29.test" {
			w.WriteHeader(401)
			js(w, map[string]any{"error": map[string]any{"code": 401, "message": "Login Required."}})
			return
		}
		if r.URL.Query().Get("pageToken") == "" {
			js(w, map[string]any{"users": []any{
				map[string]any{"primaryEmail": "ann@acme.test", "isAdmin": true, "isEnrolledIn2Sv": true, "lastLoginTime": now.AddDate(0, 0, -1).Format(time.RFC3339)},
				map[string]any{"primaryEmail": "bob@acme.test", "isEnrolledIn2Sv": false, "lastLoginTime": now.AddDate(0, 0, -3).Format(time.RFC3339)},
			}, "nextPageToken": "p2"})
			return
		}
		js(w, map[string]any{"users": []any{
			map[string]any{"primaryEmail": "old@acme.test", "suspended": true, "isEnrolledIn2Sv": false, "lastLoginTime": "1970-01-01T00:00:00.000Z"},
		}})
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
	if err := s.Test(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	got, why := integrationtest.ResultsOf(t, s, x.AgentID)
	if got["google.mfa"] != "fail" || !strings.Contains(why["google.mfa"], "bob@acme.test") || strings.Contains(why["google.mfa"], "old@") {
		t.Errorf("google.mfa: %s %s", got["google.mfa"], why["google.mfa"])
	}
	if got["google.admins"] != "pass" || got["google.inactive"] != "pass" {
		t.Errorf("admins %s, inactive %s (%s)", got["google.admins"], got["google.inactive"], why["google.inactive"])
	}
	// The accounts for offboarding: a suspended user is disabled, an
	// administrator privileged, everyone else active and unprivileged.
	as, err := s.Store.Accounts(ctx)
	if err != nil || len(as) == 0 {
		t.Fatalf("accounts: %v", err)
	}
	for _, a := range as {
		switch a.ExternalID {
		case "old@acme.test":
			if a.State != vigil.AccountDisabled {
				t.Errorf("the suspended user: %+v", a)
			}
		case "ann@acme.test":
			if a.State != vigil.AccountActive || !a.Privileged {
				t.Errorf("the administrator: %+v", a)
			}
		default:
			if a.State != vigil.AccountActive || a.Privileged {
				t.Errorf("%s: %+v", a.ExternalID, a)
			}
		}
	}
	if err := s.Create(ctx, &vigil.Integration{Kind: "google", Name: "bad", Config: cfg, Interval: 3600}, "not json"); err == nil || !strings.Contains(err.Error(), "JSON key") {
		t.Fatalf("a key that is not JSON: %v", err)
	}
}

func mustPKCS8(t *testing.T, k *rsa.PrivateKey) []byte {
	b, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
