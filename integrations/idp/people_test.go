package idp

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/integrationtest"
)

// TestOktaPeopleSource: with people_source off the register is left
// alone; on, active users become people with their profile's title and
// department, a suspended one is not listed (and gets no end date).
func TestOktaPeopleSource(t *testing.T) {
	js := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	title := "Engineer"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/users", func(w http.ResponseWriter, r *http.Request) {
		js(w, []any{
			map[string]any{"id": "u1", "status": "ACTIVE", "profile": map[string]any{"login": "ann@acme.test", "email": "ann@acme.test", "firstName": "Ann", "lastName": "Archer", "title": title, "department": "R&D"}},
			map[string]any{"id": "u2", "status": "SUSPENDED", "profile": map[string]any{"login": "cat@acme.test", "email": "cat@acme.test", "firstName": "Cat", "lastName": "Cole"}},
		})
	})
	mux.HandleFunc("GET /api/v1/users/{id}/factors", func(w http.ResponseWriter, r *http.Request) { js(w, []any{}) })
	mux.HandleFunc("GET /api/v1/iam/assignees/users", func(w http.ResponseWriter, r *http.Request) { js(w, map[string]any{"value": []any{}}) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	s := integrationtest.NewService(t)
	s.Kinds = append(s.Kinds, Okta{})
	cfg, _ := json.Marshal(map[string]any{"url": srv.URL})
	x := &vigil.Integration{Kind: "okta", Name: "okta", Config: cfg, Interval: 3600, Enabled: true}
	integrationtest.Connect(t, s, x, "tok")
	if ps, _ := s.Store.People(ctx); len(ps) != 0 {
		t.Fatalf("people_source off made people: %+v", ps)
	}
	cfg, _ = json.Marshal(map[string]any{"url": srv.URL, "people_source": true})
	tok := "tok"
	if err := s.Update(ctx, &vigil.Integration{ID: x.ID, Name: x.Name, Config: cfg, Interval: 3600, Enabled: true}, &tok); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	ps, _ := s.Store.People(ctx)
	if len(ps) != 1 || ps[0].Email != "ann@acme.test" || ps[0].Name != "Ann Archer" || ps[0].Title != "Engineer" || ps[0].Department != "R&D" || ps[0].Source != "okta:okta" || ps[0].End != "" {
		t.Fatalf("people: %+v", ps)
	}
	title = "Staff Engineer"
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	if rcs, err := s.Store.RoleChanges(ctx, 0); err != nil || len(rcs) != 1 || rcs[0].NewTitle != "Staff Engineer" || rcs[0].Source != "okta:okta" {
		t.Fatalf("role changes: %+v %v", rcs, err)
	}
}

// TestGooglePeopleSource: the primary organization's title and
// department; a suspended user is not a person.
func TestGooglePeopleSource(t *testing.T) {
	js := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		js(w, map[string]any{"access_token": "ya29.test", "token_type": "Bearer", "expires_in": 3600})
	})
	mux.HandleFunc("GET /admin/directory/v1/users", func(w http.ResponseWriter, r *http.Request) {
		js(w, map[string]any{"users": []any{
			map[string]any{"primaryEmail": "ann@acme.test", "name": map[string]any{"givenName": "Ann", "familyName": "Archer", "fullName": "Ann Archer"},
				"organizations": []any{map[string]any{"title": "Old", "department": "Old"}, map[string]any{"title": "Engineer", "department": "R&D", "primary": true}}},
			map[string]any{"primaryEmail": "bob@acme.test", "name": map[string]any{"fullName": "Bob Baker"}, "suspended": true},
		}})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	key := mustKey(t)
	for _, on := range []bool{false, true} {
		s := integrationtest.NewService(t)
		s.Kinds = append(s.Kinds, Google{TokenURL: srv.URL + "/token", APIURL: srv.URL})
		cfg, _ := json.Marshal(map[string]any{"subject": "admin@acme.test", "people_source": on})
		integrationtest.Connect(t, s, &vigil.Integration{Kind: "google", Name: "ws", Config: cfg, Interval: 3600, Enabled: true}, key)
		ps, _ := s.Store.People(ctx)
		switch {
		case !on && len(ps) != 0:
			t.Fatalf("people_source off made people: %+v", ps)
		case on && (len(ps) != 1 || ps[0].Name != "Ann Archer" || ps[0].Title != "Engineer" || ps[0].Department != "R&D" || !strings.HasPrefix(ps[0].Source, "google:")):
			t.Fatalf("people: %+v", ps)
		}
	}
}

// mustKey is a service account's JSON key with a fresh private key.
func mustKey(t *testing.T) string {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: mustPKCS8(t, k)})
	b, _ := json.Marshal(map[string]any{"type": "service_account", "client_email": "vigil@acme.iam.gserviceaccount.com", "private_key": string(p), "private_key_id": "k1"})
	return string(b)
}
