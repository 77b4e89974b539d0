package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/auth"
	"github.com/vigil-soc/vigil/catalog"
	"github.com/vigil-soc/vigil/checks"
	"github.com/vigil-soc/vigil/incidents"
	"github.com/vigil-soc/vigil/integrations"
	"github.com/vigil-soc/vigil/integrations/builtin"
	"github.com/vigil-soc/vigil/internal/evidencetest"
	"github.com/vigil-soc/vigil/internal/pgtest"
	"github.com/vigil-soc/vigil/monitor"
	"github.com/vigil-soc/vigil/notify"
	"github.com/vigil-soc/vigil/people"
	"github.com/vigil-soc/vigil/policy"
	"github.com/vigil-soc/vigil/risk"
	"github.com/vigil-soc/vigil/secret"
	"github.com/vigil-soc/vigil/server"
	"github.com/vigil-soc/vigil/store"
	"github.com/vigil-soc/vigil/training"
	"github.com/vigil-soc/vigil/vendors"
)

var cat *catalog.Catalog

func TestMain(m *testing.M) {
	var err error
	if cat, err = catalog.Load(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	pgtest.StopShared()
	os.Exit(code)
}

// env is a running API server on a real database, set up with an owner.
type env struct {
	t      *testing.T
	store  *store.Store
	srv    *server.Server
	http   *httptest.Server
	tokens map[string]string // role (or user label) -> API token secret
	users  map[string]int64  // role -> user id
}

var fastHash = auth.Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32}

// engines runs fn on SQLite and on PostgreSQL.
func engines(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) { fn(t, newEnv(t, engine)) })
	}
}

func newEnv(t *testing.T, engine string, opts ...func(*server.Config)) *env {
	t.Helper()
	ctx := context.Background()
	cfg := store.Config{DataDir: t.TempDir()}
	if engine == "postgres" {
		cfg = store.Config{DatabaseURL: pgtest.Database(t)}
	}
	st, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ev := evidencetest.New(t, st)
	cfg2 := server.Config{Store: st, Catalog: cat, Version: "test", PasswordParams: fastHash, Evidence: ev, Monitor: newMonitor(t, st),
		Policies: &policy.Service{Store: st, Evidence: ev}, Training: &training.Service{Store: st, Evidence: ev},
		Incidents: &incidents.Service{Store: st, Evidence: ev}, Risks: &risk.Service{Store: st, Evidence: ev}}
	cfg2.People = &people.Service{Store: st, Training: cfg2.Training, Evidence: ev}
	cfg2.Vendors = &vendors.Service{Store: st, Evidence: ev}
	cfg2.Integrations = newIntegrations(t, st, cfg2.Monitor)
	cfg2.Integrations.Evidence = cfg2.Evidence
	cfg2.Notify = &notify.Service{Store: st, Box: cfg2.Integrations.Box}
	// As serve wires them: evidence and monitoring speak about controls.
	cfg2.Sources = []vigil.SignalSource{cfg2.Evidence, cfg2.Monitor, cfg2.Policies, cfg2.People, cfg2.Training, cfg2.Incidents, cfg2.Risks, cfg2.Vendors, &people.RoleChanges{Store: st}, people.HRSource{People: cfg2.People}}
	for _, o := range opts {
		o(&cfg2)
	}
	srv := server.New(cfg2)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); st.Close() })
	e := &env{t: t, store: st, srv: srv, http: hs, tokens: map[string]string{}, users: map[string]int64{}}

	secret, hash, _ := auth.NewSecret(auth.SetupPrefix)
	if err := st.CreateSetupToken(ctx, hash, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var out struct {
		User  vigil.User `json:"user"`
		Token struct {
			Secret string `json:"secret"`
		} `json:"token"`
	}
	e.do("", "POST", "/api/v1/setup", map[string]any{"setup_token": secret, "organization": map[string]any{"name": "Acme"},
		"email": "owner@acme.test", "name": "Olive Owner", "password": "correct horse battery"}, 201, &out)
	e.tokens["owner"], e.users["owner"] = out.Token.Secret, out.User.ID
	// One user per other role, each with a token of that role.
	for _, r := range []vigil.Role{vigil.RoleAdmin, vigil.RoleMember, vigil.RoleAuditor, vigil.RoleViewer} {
		var u vigil.User
		e.do("owner", "POST", "/api/v1/users", map[string]any{"email": string(r) + "@acme.test", "name": "The " + string(r), "role": r}, 201, &u)
		e.users[string(r)] = u.ID
		actx := vigil.WithActor(ctx, vigil.Actor{UserID: u.ID, Name: u.Email, Role: r})
		s, h, _ := auth.NewSecret(auth.TokenPrefix)
		if err := st.CreateToken(actx, &vigil.APIToken{UserID: u.ID, Name: "test", Role: r, Prefix: auth.DisplayPrefix(s)}, h); err != nil {
			t.Fatal(err)
		}
		e.tokens[string(r)] = s
	}
	return e
}

// raw sends a request and returns status and body.
func (e *env) raw(who, method, path string, body io.Reader, header map[string]string) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.http.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if tok := e.tokens[who]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// do sends JSON and checks the status; out receives the decoded answer.
func (e *env) do(who, method, path string, in any, want int, out any) []byte {
	e.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	status, b := e.raw(who, method, path, body, map[string]string{"Content-Type": "application/json"})
	if status != want {
		e.t.Fatalf("%s %s as %q: status %d, want %d; body %s", method, path, who, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return b
}

// apiError decodes an error body.
func apiError(t *testing.T, b []byte) (code, message, field string) {
	t.Helper()
	var eb struct {
		Error struct{ Code, Message, Field string }
	}
	if err := json.Unmarshal(b, &eb); err != nil || eb.Error.Code == "" {
		t.Fatalf("not an error body: %s", b)
	}
	return eb.Error.Code, eb.Error.Message, eb.Error.Field
}

func TestReadinessFlow(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		type report struct {
			Overall struct {
				Ready, Total int
				Percent      float64
			}
			Categories []struct{ Category string }
			Criteria   []struct {
				ID    string
				Ready bool
				Gaps  []struct{ ControlID, Source, Reason string } `json:"gaps"`
			}
		}
		var r report
		e.do("viewer", "GET", "/api/v1/readiness", nil, 200, &r)
		if r.Overall.Total != 33 || r.Overall.Ready != 0 || len(r.Categories) != 1 {
			t.Fatalf("before scope: %+v; want 33 security criteria, none ready", r.Overall)
		}
		if g := r.Criteria[0].Gaps; len(g) != 1 || g[0].Reason != "no control covers this criterion" {
			t.Fatalf("gap without controls: %+v", g)
		}
		e.do("admin", "PUT", "/api/v1/scope", map[string]any{"categories": []string{"Availability", "privacy"}, "audit_type": "type1", "as_of": "2026-12-31"}, 200, nil)
		e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"all": true}, 200, nil)
		r = report{}
		e.do("viewer", "GET", "/api/v1/readiness", nil, 200, &r)
		if r.Overall.Total != 33+3+18 || r.Overall.Ready != 0 {
			t.Fatalf("after scope: %+v; want 54 criteria, none ready", r.Overall)
		}
		// Implement and own every control covering CC1.2 (only GV-05).
		member := e.users["member"]
		e.do("admin", "PATCH", "/api/v1/controls/GV-05", map[string]any{"owner_id": member}, 200, nil)
		e.do("member", "PATCH", "/api/v1/controls/GV-05", map[string]any{"status": "implemented"}, 200, nil)
		// A status and an owner show nothing operating: not shown, not ready.
		r = report{}
		e.do("viewer", "GET", "/api/v1/readiness", nil, 200, &r)
		if r.Overall.Ready != 0 {
			t.Fatalf("after implementing GV-05 with no evidence: %d ready, want 0", r.Overall.Ready)
		}
		var gv struct{ Health vigil.Health }
		e.do("viewer", "GET", "/api/v1/controls/GV-05", nil, 200, &gv)
		if gv.Health.State != vigil.HealthUnknown || !gv.Health.NotShown() {
			t.Fatalf("GV-05 implemented and owned, nothing else: %+v, want unknown (not shown)", gv.Health)
		}
		// Adoption made the library's request, assigned to the owner, and
		// its current period is awaited (neutral), not fresh.
		var reqs struct {
			Items []struct {
				ID         int64
				Title      string
				Frequency  string
				Assignee   string
				AssigneeID int64 `json:"assignee_id"`
				Signal     vigil.Signal
				Periods    []vigil.Period
			}
		}
		e.do("viewer", "GET", "/api/v1/requests?control=GV-05", nil, 200, &reqs)
		if len(reqs.Items) != 1 || reqs.Items[0].Frequency != "annual" || reqs.Items[0].Assignee != "The member" || reqs.Items[0].AssigneeID != 0 {
			t.Fatalf("GV-05's requests after adoption: %+v", reqs.Items)
		}
		rq := reqs.Items[0]
		if rq.Signal.Status != vigil.SignalNeutral || rq.Periods[len(rq.Periods)-1].Status != vigil.PeriodAwaiting {
			t.Fatalf("GV-05's request with nothing submitted: %+v", rq)
		}
		// Continuous controls get no request: a test shows them instead.
		e.do("viewer", "GET", "/api/v1/requests?control=AC-11", nil, 200, &reqs)
		if len(reqs.Items) != 0 {
			t.Fatalf("AC-11 (continuous) got requests: %+v", reqs.Items)
		}
		// The admin submits the minutes; submitted is not accepted.
		var item vigil.Evidence
		status, b := e.raw("admin", "POST", fmt.Sprintf("/api/v1/evidence?filename=minutes.txt&request=%d&effective_start=%s", rq.ID, time.Now().UTC().Format(time.DateOnly)),
			strings.NewReader("board reviewed the security program"), map[string]string{"Content-Type": "text/plain"})
		if status != 201 || json.Unmarshal(b, &item) != nil {
			t.Fatalf("upload: %d %s", status, b)
		}
		r = report{}
		e.do("viewer", "GET", "/api/v1/readiness", nil, 200, &r)
		if r.Overall.Ready != 0 {
			t.Fatalf("with evidence awaiting review: %d ready, want 0", r.Overall.Ready)
		}
		// Separation of duties: the submitter cannot accept it.
		status, b = e.raw("admin", "POST", fmt.Sprintf("/api/v1/evidence/%d/review", item.ID), strings.NewReader(`{"state":"accepted"}`), nil)
		if code, msg, _ := apiError(t, b); status != 403 || code != "forbidden" || !strings.Contains(msg, "another reviewer") {
			t.Fatalf("self-review: %d %s", status, b)
		}
		// Only an owner may turn the rule off; an admin may read it.
		var es vigil.EvidenceSettings
		e.do("admin", "GET", "/api/v1/settings/evidence", nil, 200, &es)
		if !es.IndependentReview {
			t.Fatal("independent review is off by default")
		}
		status, _ = e.raw("admin", "PUT", "/api/v1/settings/evidence", strings.NewReader(`{"independent_review":false}`), nil)
		if status != 403 {
			t.Fatalf("admin turned independent review off: %d", status)
		}
		// Another reviewer accepts it: the control is shown operating.
		e.do("owner", "POST", fmt.Sprintf("/api/v1/evidence/%d/review", item.ID), map[string]any{"state": "accepted"}, 200, nil)
		r = report{}
		e.do("viewer", "GET", "/api/v1/readiness", nil, 200, &r)
		if r.Overall.Ready != 1 {
			t.Fatalf("after GV-05's evidence was accepted: %d ready, want 1 (CC1.2)", r.Overall.Ready)
		}
		// The assignee can be changed and changed back to "the owner".
		e.do("admin", "PATCH", fmt.Sprintf("/api/v1/requests/%d", rq.ID), map[string]any{"assignee_id": e.users["admin"]}, 200, nil)
		e.do("viewer", "GET", "/api/v1/requests?control=GV-05", nil, 200, &reqs)
		if reqs.Items[0].Assignee != "The admin" {
			t.Fatalf("reassigned request: %+v", reqs.Items[0])
		}
		status, b = e.raw("admin", "PATCH", fmt.Sprintf("/api/v1/requests/%d", rq.ID), strings.NewReader(fmt.Sprintf(`{"assignee_id":%d}`, e.users["viewer"])), nil)
		if _, _, field := apiError(t, b); status != 400 || field != "assignee_id" {
			t.Fatalf("a viewer as assignee: %d %s", status, b)
		}
		e.do("admin", "PATCH", fmt.Sprintf("/api/v1/requests/%d", rq.ID), map[string]any{"assignee_id": 0}, 200, nil)
		for _, c := range r.Criteria {
			if c.ID == "CC1.2" && (!c.Ready || len(c.Gaps) != 0) {
				t.Fatalf("CC1.2: %+v, want ready", c)
			}
		}
		var fr struct {
			Derived bool
			Label   string
			Overall struct{ Ready, Total int }
		}
		e.do("viewer", "GET", "/api/v1/readiness/frameworks/iso27001", nil, 200, &fr)
		if !fr.Derived || fr.Label != "related (derived)" || fr.Overall.Total == 0 {
			t.Fatalf("ISO readiness %+v; want derived with requirements", fr)
		}
		// An owner who leaves (disabled) or becomes a viewer no longer counts.
		for _, patch := range []map[string]any{{"disabled": true}, {"role": "viewer"}} {
			e.do("owner", "PATCH", fmt.Sprintf("/api/v1/users/%d", member), patch, 200, nil)
			var c struct{ Health vigil.Health }
			e.do("viewer", "GET", "/api/v1/controls/GV-05", nil, 200, &c)
			if c.Health.State != vigil.HealthFailing || !strings.Contains(fmt.Sprint(c.Health.Signals), "assign someone else") {
				t.Fatalf("GV-05 after owner change %v: %+v", patch, c.Health)
			}
			r = report{}
			e.do("viewer", "GET", "/api/v1/readiness", nil, 200, &r)
			if r.Overall.Ready != 0 {
				t.Fatalf("readiness after owner change %v: %d ready, want 0", patch, r.Overall.Ready)
			}
			e.do("owner", "PATCH", fmt.Sprintf("/api/v1/users/%d", member), map[string]any{"disabled": false, "role": "member"}, 200, nil)
		}
		// A member cannot touch a control they do not own.
		status, b = e.raw("member", "PATCH", "/api/v1/controls/AC-01", strings.NewReader(`{"status":"in_progress"}`), nil)
		if code, _, _ := apiError(t, b); status != 403 || code != "forbidden" {
			t.Fatalf("member on someone else's control: %d %s", status, b)
		}
		// Nor take their own out of coverage.
		status, b = e.raw("member", "PATCH", "/api/v1/controls/GV-05", strings.NewReader(`{"status":"not_applicable","justification":"we are too small"}`), nil)
		if status != 403 || !strings.Contains(string(b), "not applicable") {
			t.Fatalf("member marking N/A: %d %s", status, b)
		}
		// Nor reassign their own.
		status, _ = e.raw("member", "PATCH", "/api/v1/controls/GV-05", strings.NewReader(`{"owner_id":`+fmt.Sprint(e.users["admin"])+`}`), nil)
		if status != 403 {
			t.Fatalf("member reassigning: %d, want 403", status)
		}
	})
}

func TestBadInput(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"AC-01"}}, 200, nil)
		big := `{"title":"` + strings.Repeat("x", server.MaxBodyBytes) + `"}`
		cases := []struct {
			name, method, path, body string
			status                   int
			code, field, msg         string
		}{
			{"invalid JSON", "POST", "/api/v1/controls", `{"id":`, 400, "invalid", "", "truncated"},
			{"syntax error", "POST", "/api/v1/controls", `{"id" "x"}`, 400, "invalid", "", "not valid JSON"},
			{"empty body", "POST", "/api/v1/controls", ``, 400, "invalid", "", "empty"},
			{"wrong type", "POST", "/api/v1/controls", `{"id":"CUST-1","title":"t","owner_id":"bob"}`, 400, "invalid", "owner_id", "number"},
			{"unknown field", "POST", "/api/v1/controls", `{"id":"CUST-1","title":"t","colour":"red"}`, 400, "invalid", "colour", "unknown field"},
			{"two values", "POST", "/api/v1/controls", `{"id":"CUST-1","title":"t"}{}`, 400, "invalid", "", "more than one"},
			{"bad control id", "POST", "/api/v1/controls", `{"id":"not an id","title":"t"}`, 400, "invalid", "id", "AC-01"},
			{"unknown criterion", "POST", "/api/v1/controls", `{"id":"CUST-1","title":"t","criteria":["CC9.9"]}`, 400, "invalid", "criteria", "CC9.9"},
			{"library id as custom", "POST", "/api/v1/controls", `{"id":"AC-02","title":"t"}`, 409, "conflict", "id", "library control"},
			{"duplicate control", "POST", "/api/v1/controls", `{"id":"CUST-1","title":"t"}`, 201, "", "", ""},
			{"duplicate control again", "POST", "/api/v1/controls", `{"id":"CUST-1","title":"t"}`, 409, "conflict", "id", "already exists"},
			{"unknown control", "PATCH", "/api/v1/controls/ZZ-99", `{"title":"x"}`, 404, "not_found", "", "ZZ-99"},
			{"bad status", "PATCH", "/api/v1/controls/AC-01", `{"status":"done"}`, 400, "invalid", "status", "done"},
			{"n/a without justification", "PATCH", "/api/v1/controls/AC-01", `{"status":"not_applicable"}`, 400, "invalid", "justification", "justification"},
			{"implemented without owner", "PATCH", "/api/v1/controls/AC-01", `{"status":"implemented"}`, 400, "invalid", "status", "owner"},
			{"unknown owner", "PATCH", "/api/v1/controls/AC-01", `{"owner_id":999}`, 400, "invalid", "owner_id", "999"},
			{"viewer as owner", "PATCH", "/api/v1/controls/AC-01", fmt.Sprintf(`{"owner_id":%d}`, e.users["viewer"]), 400, "invalid", "owner_id", "viewer"},
			{"body over limit", "PATCH", "/api/v1/controls/AC-01", big, 413, "too_large", "", "larger than"},
			{"adopt nothing", "POST", "/api/v1/controls/adopt", `{}`, 400, "invalid", "all", "exactly one"},
			{"adopt unknown domain", "POST", "/api/v1/controls/adopt", `{"domains":["ZZ"]}`, 400, "invalid", "domains", "ZZ"},
			{"adopt unknown id", "POST", "/api/v1/controls/adopt", `{"ids":["AC-01","XX-1"]}`, 400, "invalid", "ids", "XX-1"},
			{"bad category", "PUT", "/api/v1/scope", `{"categories":["security","marketing"]}`, 400, "invalid", "categories", "marketing"},
			{"short window", "PUT", "/api/v1/scope", `{"audit_type":"type2","window_start":"2026-01-01","window_end":"2026-02-01"}`, 400, "invalid", "window_end", "3 to 12 months"},
			{"bad date", "PUT", "/api/v1/scope", `{"audit_type":"type1","as_of":"31/12/2026"}`, 400, "invalid", "as_of", "YYYY-MM-DD"},
			{"bad system id", "GET", "/api/v1/systems/abc", ``, 400, "invalid", "id", "abc"},
			{"bad limit", "GET", "/api/v1/controls?limit=0", ``, 400, "invalid", "limit", "1 to 1000"},
			{"bad cursor", "GET", "/api/v1/controls?cursor=!!!", ``, 400, "invalid", "cursor", "cursor"},
			{"bad health filter", "GET", "/api/v1/controls?health=great", ``, 400, "invalid", "health", "great"},
			{"unknown framework", "GET", "/api/v1/readiness/frameworks/cobit", ``, 404, "not_found", "", "cobit"},
			{"bad email", "POST", "/api/v1/users", `{"email":"nope","name":"N","role":"member"}`, 400, "invalid", "email", "nope"},
			{"bad role", "POST", "/api/v1/users", `{"email":"a@b.test","name":"N","role":"god"}`, 400, "invalid", "role", "god"},
			{"duplicate user", "POST", "/api/v1/users", `{"email":"Member@acme.test","name":"N","role":"member"}`, 409, "conflict", "email", "already exists"},
			{"short password", "POST", "/api/v1/users", `{"email":"p@acme.test","name":"N","role":"member","password":"short"}`, 400, "invalid", "password", "12"},
			{"wrong content type", "PUT", "/api/v1/organization", `name=x`, 400, "invalid", "", "Content-Type"},
			{"unknown route", "GET", "/api/v1/nope", ``, 404, "not_found", "", "no such route"},
			{"NUL in body", "POST", "/api/v1/systems", `{"name":"a\u0000b","classification":"internal","environment":"production"}`, 400, "invalid", "", "NUL"},
			{"NUL in query", "GET", "/api/v1/controls?q=%00", ``, 400, "invalid", "", "NUL"},
			{"NUL in path", "GET", "/api/v1/controls/AC%00", ``, 400, "invalid", "", "NUL"},
			{"NUL in cursor", "GET", "/api/v1/controls?cursor=AA", ``, 400, "invalid", "cursor", "cursor"},
			{"null body", "PATCH", "/api/v1/controls/AC-01", `null`, 400, "invalid", "", "JSON object"},
			{"array body", "PUT", "/api/v1/scope", `[]`, 400, "invalid", "", "JSON object"},
			{"wrong method", "DELETE", "/api/v1/readiness", ``, 405, "method_not_allowed", "", "GET"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				hdr := map[string]string{"Content-Type": "application/json"}
				if tc.name == "wrong content type" {
					hdr["Content-Type"] = "application/x-www-form-urlencoded"
				}
				status, b := e.raw("admin", tc.method, tc.path, strings.NewReader(tc.body), hdr)
				if status != tc.status {
					t.Fatalf("status %d, want %d; body %s", status, tc.status, b)
				}
				if tc.code == "" {
					return
				}
				code, msg, field := apiError(t, b)
				if code != tc.code || field != tc.field || !strings.Contains(msg, tc.msg) {
					t.Fatalf("error %q %q field %q; want %q containing %q, field %q", code, msg, field, tc.code, tc.msg, tc.field)
				}
			})
		}
		// Nothing half-written: the failed requests above left one custom
		// control and one adopted one, and the activity chain is intact.
		var page struct{ Items []struct{ ID string } }
		e.do("viewer", "GET", "/api/v1/controls", nil, 200, &page)
		if len(page.Items) != 2 {
			t.Fatalf("controls after bad input: %+v, want AC-01 and CUST-1", page.Items)
		}
		var v vigil.ChainVerification
		e.do("auditor", "GET", "/api/v1/activity/verify", nil, 200, &v)
		if !v.OK {
			t.Fatalf("activity chain broken: %+v", v.Break)
		}
	})
}

func TestPagination(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"all": true}, 200, nil)
	seen := map[string]bool{}
	cursor := ""
	pages := 0
	for {
		var p struct {
			Items      []struct{ ID string }
			NextCursor string `json:"next_cursor"`
		}
		e.do("viewer", "GET", "/api/v1/controls?limit=25&cursor="+cursor, nil, 200, &p)
		pages++
		for _, it := range p.Items {
			if seen[it.ID] {
				t.Fatalf("%s on two pages", it.ID)
			}
			seen[it.ID] = true
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if len(seen) != 108 || pages != 5 {
		t.Fatalf("%d controls over %d pages; want 108 over 5", len(seen), pages)
	}
	var h struct{ Items []struct{ ID string } }
	e.do("viewer", "GET", "/api/v1/controls?health=failing&limit=1000", nil, 200, &h)
	if len(h.Items) != 108 {
		t.Fatalf("failing controls: %d, want 108", len(h.Items))
	}
}

func TestTokens(t *testing.T) {
	e := newEnv(t, "sqlite")
	// A viewer cannot mint an admin token.
	status, b := e.raw("viewer", "POST", "/api/v1/tokens", strings.NewReader(`{"name":"x","role":"admin"}`), nil)
	if code, _, field := apiError(t, b); status != 403 || code != "forbidden" || field != "role" {
		t.Fatalf("viewer minting admin token: %d %s", status, b)
	}
	var tr struct {
		ID     int64
		Secret string
		Role   string
	}
	e.do("admin", "POST", "/api/v1/tokens", map[string]any{"name": "ci", "role": "viewer"}, 201, &tr)
	if !strings.HasPrefix(tr.Secret, "vgl_") || tr.Role != "viewer" {
		t.Fatalf("token %+v", tr)
	}
	e.tokens["ci"] = tr.Secret
	e.do("ci", "GET", "/api/v1/readiness", nil, 200, nil)
	e.do("ci", "PUT", "/api/v1/scope", map[string]any{"categories": []string{}}, 403, nil)
	// The secret is never listed again.
	b = e.do("admin", "GET", "/api/v1/tokens", nil, 200, nil)
	if strings.Contains(string(b), tr.Secret) || strings.Contains(string(b), "secret") {
		t.Fatalf("token list leaks the secret: %s", b)
	}
	// Another user's token: not found, not forbidden.
	e.do("member", "DELETE", fmt.Sprintf("/api/v1/tokens/%d", tr.ID), nil, 404, nil)
	e.do("admin", "DELETE", fmt.Sprintf("/api/v1/tokens/%d", tr.ID), nil, 204, nil)
	status, b = e.raw("ci", "GET", "/api/v1/readiness", nil, nil)
	if _, msg, _ := apiError(t, b); status != 401 || !strings.Contains(msg, "revoked") {
		t.Fatalf("revoked token: %d %s", status, b)
	}
	// Demoting a user makes their stronger tokens stop working.
	e.do("owner", "PATCH", fmt.Sprintf("/api/v1/users/%d", e.users["admin"]), map[string]any{"role": "viewer"}, 200, nil)
	status, b = e.raw("admin", "GET", "/api/v1/readiness", nil, nil)
	if _, msg, _ := apiError(t, b); status != 401 || !strings.Contains(msg, "exceeds") {
		t.Fatalf("token of a demoted user: %d %s", status, b)
	}
	// A disabled user's tokens stop working.
	e.do("owner", "PATCH", fmt.Sprintf("/api/v1/users/%d", e.users["member"]), map[string]any{"disabled": true}, 200, nil)
	e.do("member", "GET", "/api/v1/readiness", nil, 401, nil)
	// An admin cannot revoke an owner's token.
	var owners struct{ Items []vigil.APIToken }
	e.do("owner", "GET", "/api/v1/tokens", nil, 200, &owners)
	// Only owners make owners.
	e.tokens["admin2"] = ""
	var u vigil.User
	e.do("owner", "POST", "/api/v1/users", map[string]any{"email": "a2@acme.test", "name": "A2", "role": "admin"}, 201, &u)
	s, h, _ := auth.NewSecret(auth.TokenPrefix)
	if err := e.store.CreateToken(context.Background(), &vigil.APIToken{UserID: u.ID, Name: "t", Role: vigil.RoleAdmin, Prefix: "x"}, h); err != nil {
		t.Fatal(err)
	}
	e.tokens["admin2"] = s
	e.do("admin2", "DELETE", fmt.Sprintf("/api/v1/tokens/%d", owners.Items[0].ID), nil, 403, nil)
	e.do("admin2", "POST", "/api/v1/users", map[string]any{"email": "o2@acme.test", "name": "O2", "role": "owner"}, 403, nil)
	e.do("admin2", "PATCH", fmt.Sprintf("/api/v1/users/%d", e.users["owner"]), map[string]any{"name": "Mallory"}, 403, nil)
	e.do("owner", "PATCH", fmt.Sprintf("/api/v1/users/%d", e.users["owner"]), map[string]any{"role": "admin"}, 400, nil)
}

func TestSOA(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"domains": []string{"AC"}}, 200, nil)
	e.do("admin", "PATCH", "/api/v1/controls/AC-02", map[string]any{"status": "not_applicable", "justification": "=HYPERLINK(\"http://evil\")"}, 200, nil)
	status, b := e.raw("auditor", "GET", "/api/v1/soa?format=csv", nil, nil)
	if status != 200 {
		t.Fatalf("soa csv: %d %s", status, b)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 13 || !strings.HasPrefix(lines[0], "control_id,title,domain,applicable") || !strings.Contains(lines[0], "iso27001_related_derived") {
		t.Fatalf("soa csv: %d lines, header %q", len(lines), lines[0])
	}
	if !strings.Contains(string(b), `AC-02,`) || !strings.Contains(string(b), `,no,"'=HYPERLINK`) {
		t.Fatalf("AC-02 row should be not applicable with a defused formula: %s", lines[2])
	}
	var doc struct {
		Controls []struct {
			ControlID      string              `json:"control_id"`
			Applicable     bool                `json:"applicable"`
			RelatedDerived map[string][]string `json:"related_derived"`
		}
	}
	e.do("auditor", "GET", "/api/v1/soa", nil, 200, &doc)
	if len(doc.Controls) != 12 || doc.Controls[1].Applicable || len(doc.Controls[0].RelatedDerived["iso27001"]) == 0 {
		t.Fatalf("soa json: %+v", doc.Controls[:2])
	}
}

func TestOpsEndpoints(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		status, b := e.raw("", "GET", "/healthz", nil, nil)
		if status != 200 || string(b) != "ok\n" {
			t.Fatalf("healthz %d %q", status, b)
		}
		var ready struct {
			Status        string
			SchemaVersion int `json:"schema_version"`
		}
		e.do("", "GET", "/readyz", nil, 200, &ready)
		if ready.Status != "ready" || ready.SchemaVersion != store.LatestVersion() {
			t.Fatalf("readyz %+v", ready)
		}
		e.do("viewer", "GET", "/api/v1/readiness", nil, 200, nil)
		status, b = e.raw("", "GET", "/metrics", nil, nil)
		if status != 200 || !strings.Contains(string(b), `vigil_http_requests_total{route="GET /api/v1/readiness",code="200"} 1`) ||
			!strings.Contains(string(b), "vigil_http_request_duration_seconds_bucket") {
			t.Fatalf("metrics: %s", b)
		}
		// Once the database is gone, readyz says so.
		e.store.Close()
		status, _ = e.raw("", "GET", "/readyz", nil, nil)
		if status != 503 {
			t.Fatalf("readyz with a closed database: %d, want 503", status)
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, "sqlite")
	req, _ := http.NewRequest("GET", e.http.URL+"/api/v1/readiness", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", "Www-Authenticate": `Bearer realm="vigil"`} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
}

// newMonitor is the monitoring service on the built-in checks.
func newMonitor(t *testing.T, st *store.Store) *monitor.Service {
	t.Helper()
	reg, err := checks.Load()
	if err != nil {
		t.Fatal(err)
	}
	return &monitor.Service{Store: st, Checks: reg}
}

// newIntegrations is the integrations service with every built-in kind.
func newIntegrations(t *testing.T, st *store.Store, mon *monitor.Service) *integrations.Service {
	t.Helper()
	box, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return &integrations.Service{Store: st, Box: box, Monitor: mon, Checks: mon.Checks,
		Kinds: builtin.Kinds(), DataDir: t.TempDir()}
}
