package bamboohr

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/integrationtest"
)

var ctx = integrationtest.Ctx

const apiKey = "b4mb00-s3cret-key"

// replay is BambooHR's custom report endpoint as its API documentation
// shows it: POST /api/gateway.php/{companyDomain}/v1/reports/custom
// ?format=JSON, Basic auth with the API key as the user name and "x" as
// the password, a body naming the fields, and an answer with "fields"
// (id, type, name) and "employees" (each field by its name; ids as
// strings, empty text as null, empty dates as "0000-00-00"). Errors come
// with X-BambooHR-Error-Message.
type replay struct {
	mu        sync.Mutex
	employees []map[string]any
	status    int // forced error status, 0 for none
	asked     []string
}

func (rp *replay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	user, pass, ok := r.BasicAuth()
	switch {
	case r.URL.Path != "/api/gateway.php/acme/v1/reports/custom":
		w.Header().Set("X-BambooHR-Error-Message", "Company not found")
		w.WriteHeader(404)
		return
	case !ok || user != apiKey || pass != "x":
		w.WriteHeader(401)
		return
	case rp.status != 0:
		w.Header().Set("X-BambooHR-Error-Message", "You do not have access to custom reports")
		w.WriteHeader(rp.status)
		return
	case r.Method != "POST" || r.URL.Query().Get("format") != "JSON" || r.Header.Get("Accept") != "application/json":
		w.WriteHeader(400)
		return
	}
	var body struct {
		Title  string   `json:"title"`
		Fields []string `json:"fields"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Fields) == 0 {
		w.WriteHeader(400)
		return
	}
	rp.asked = body.Fields
	fields := []map[string]any{}
	emps := []map[string]any{}
	for _, f := range body.Fields {
		fields = append(fields, map[string]any{"id": f, "type": "text", "name": f})
	}
	for _, e := range rp.employees {
		row := map[string]any{}
		for _, f := range body.Fields {
			row[f] = e[f] // a field the employee lacks is null
		}
		emps = append(emps, row)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"title": body.Title, "fields": fields, "employees": emps})
}

func emp(id, email, first, last, title, dept, hire, term, status, hist string) map[string]any {
	e := map[string]any{"id": id, "workEmail": email, "firstName": first, "lastName": last, "displayName": first + " " + last,
		"jobTitle": title, "department": dept, "location": "Lyon", "supervisorEmail": nil, "hireDate": hire, "terminationDate": term,
		"status": status, "employmentHistoryStatus": hist}
	if email == "" {
		e["workEmail"] = nil
	}
	return e
}

func TestBambooHR(t *testing.T) {
	rp := &replay{employees: []map[string]any{
		emp("101", "Ann@Acme.test", "Ann", "Archer", "Engineer", "Engineering", "2021-03-01", "0000-00-00", "Active", "Full-Time"),
		emp("102", "bob@acme.test", "Bob", "Baker", "Sales Rep", "Sales", "2019-05-13", "2026-10-30", "Inactive", "Terminated"),
		emp("103", "cat@acme.test", "Cat", "Cole", "Designer", "Product", "2024-01-08", "0000-00-00", "Active", "Contractor"),
		emp("104", "dan@", "Dan", "Dee", "Engineer", "Engineering", "2025-02-03", "0000-00-00", "Active", "Full-Time"),
		emp("105", "", "Eve", "Eden", "Intern", "Engineering", "2025-06-02", "0000-00-00", "Active", "Part-Time"),
	}}
	rp.employees[0]["supervisorEmail"] = "cat@acme.test"
	srv := httptest.NewServer(rp)
	defer srv.Close()
	s := integrationtest.NewService(t)
	s.Kinds = append(s.Kinds, BambooHR{})
	cfg, _ := json.Marshal(map[string]any{"subdomain": "acme", "base_url": srv.URL})
	x := &vigil.Integration{Kind: "bamboohr", Name: "hr", Config: cfg, Interval: 3600, Enabled: true}
	if err := s.Create(ctx, x, apiKey); err != nil {
		t.Fatal(err)
	}
	if err := s.Test(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	if strings.Join(rp.asked, ",") != "id" {
		t.Fatalf("the test asked for %v, want one field", rp.asked)
	}
	// No check reads bamboohr: the run still collects, stores the people
	// and is recorded ok, naming what it skipped.
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.Store.Integration(ctx, x.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.LastStatus != "ok" || !strings.Contains(got.LastError, "2 people skipped") || !strings.Contains(got.LastError, "employee 104 (Dan Dee) email") ||
		!strings.Contains(got.LastError, "employee 105 (Eve Eden) workEmail: no work email") {
		t.Fatalf("first run: %s %q", got.LastStatus, got.LastError)
	}
	people := byEmail(t, s.Store.People)
	ann, bob, cat := people["ann@acme.test"], people["bob@acme.test"], people["cat@acme.test"]
	if len(people) != 3 || ann.Title != "Engineer" || ann.Department != "Engineering" || ann.Start != "2021-03-01" || ann.End != "" ||
		ann.ManagerEmail != "cat@acme.test" || ann.Source != "bamboohr:hr" || !ann.InScope || ann.Type != vigil.Employee {
		t.Fatalf("people: %+v", people)
	}
	if bob.End != "2026-10-30" || cat.Type != vigil.Contractor || cat.End != "" {
		t.Fatalf("the terminated employee and the contractor: %+v %+v", bob, cat)
	}

	// Ann moves to management, Bob drops off the report, Cat disappears
	// without a termination date.
	rp.mu.Lock()
	rp.employees[0]["jobTitle"] = "Engineering Manager"
	rp.employees = []map[string]any{rp.employees[0]}
	rp.mu.Unlock()
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	got, _, _ = s.Store.Integration(ctx, x.ID)
	if got.LastStatus != "ok" || !strings.Contains(got.LastError, "1 people no longer listed") || !strings.Contains(got.LastError, "cat@acme.test") ||
		strings.Contains(got.LastError, "bob@") {
		t.Fatalf("second run: %s %q", got.LastStatus, got.LastError)
	}
	people = byEmail(t, s.Store.People)
	if len(people) != 3 || people["bob@acme.test"].End != "2026-10-30" || people["cat@acme.test"].End != "" || people["ann@acme.test"].Title != "Engineering Manager" {
		t.Fatalf("after the second run: %+v", people)
	}
	rcs, err := s.Store.RoleChanges(ctx, 0)
	if err != nil || len(rcs) != 1 || rcs[0].Email != "ann@acme.test" || rcs[0].OldTitle != "Engineer" || rcs[0].NewTitle != "Engineering Manager" ||
		rcs[0].Source != "bamboohr:hr" || rcs[0].OldDepartment != "Engineering" || rcs[0].NewDepartment != "Engineering" {
		t.Fatalf("role changes: %+v %v", rcs, err)
	}

	// Refusals name what to fix and never the key.
	rp.mu.Lock()
	rp.status = 403
	rp.mu.Unlock()
	if err := s.Test(ctx, x.ID); err == nil || !strings.Contains(err.Error(), "lacks a permission (403)") || !strings.Contains(err.Error(), "custom reports") {
		t.Fatalf("403: %v", err)
	}
	rp.mu.Lock()
	rp.status = 0
	rp.mu.Unlock()
	bad := "wrong-" + apiKey
	if err := s.Update(ctx, &vigil.Integration{ID: x.ID, Name: x.Name, Config: cfg, Interval: 3600, Enabled: true}, &bad); err != nil {
		t.Fatal(err)
	}
	if err := s.Test(ctx, x.ID); err == nil || !strings.Contains(err.Error(), "refused the API key (401)") || strings.Contains(err.Error(), apiKey) {
		t.Fatalf("wrong key: %v", err)
	}
	// A failed collection is recorded as the run's status.
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	got, _, _ = s.Store.Integration(ctx, x.ID)
	st, _ := s.Store.IntegrationState(ctx, x.ID)
	if got.LastStatus != "error" || !strings.Contains(got.LastError, "API key (401)") || strings.Contains(got.LastError, apiKey) || strings.Contains(st, apiKey) {
		t.Fatalf("a run with a wrong key: %s %q, state %s", got.LastStatus, got.LastError, st)
	}
	// A failed run keeps the register as it was.
	if people := byEmail(t, s.Store.People); len(people) != 3 || people["ann@acme.test"].Title != "Engineering Manager" {
		t.Fatalf("after a failed run: %+v", people)
	}
	acts, err := s.Store.ListActivity(ctx, vigil.ActivityFilter{})
	if err != nil {
		t.Fatal(err)
	}
	syncs := 0
	for _, a := range acts {
		b, _ := json.Marshal(a)
		if strings.Contains(string(b), apiKey) {
			t.Fatalf("the key is in the activity log: %s", b)
		}
		if a.Action == "people.sync" {
			syncs++
		}
	}
	if syncs != 2 {
		t.Fatalf("%d people.sync entries, want one per sync", syncs)
	}

	// A wrong company domain.
	other, _ := json.Marshal(map[string]any{"subdomain": "acmee", "base_url": srv.URL})
	key := apiKey
	if err := s.Update(ctx, &vigil.Integration{ID: x.ID, Name: x.Name, Config: other, Interval: 3600, Enabled: true}, &key); err != nil {
		t.Fatal(err)
	}
	if err := s.Test(ctx, x.ID); err == nil || !strings.Contains(err.Error(), "no such company (404)") || !strings.Contains(err.Error(), "subdomain") {
		t.Fatalf("wrong domain: %v", err)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		cfg, secret, field string
	}{
		{`{"subdomain": "acme"}`, "k", ""},
		{`{"subdomain": "https://acme.bamboohr.com/"}`, "k", ""},
		{`{"subdomain": "acme"}`, "", "secret"},
		{`{"subdomain": ""}`, "k", "config.subdomain"},
		{`{"subdomain": "ac/me"}`, "k", "config.subdomain"},
		{`{"subdomain": "acme", "base_url": "http://hr.example.com"}`, "k", "config.base_url"},
		{`{"subdomain": "acme", "base_url": "http://127.0.0.1:8080"}`, "k", ""},
		{`{"subdomain": "acme", "base_url": "https://hr.example.com"}`, "k", ""},
		{`{"subdomain": "acme", "key": "k"}`, "k", "config"},
	} {
		err := BambooHR{}.Validate(json.RawMessage(c.cfg), c.secret)
		if vigil.ErrorField(err) != c.field || (c.field != "" && err == nil) {
			t.Errorf("%s: %v, want field %q", c.cfg, err, c.field)
		}
	}
}

func TestPeopleFromReport(t *testing.T) {
	// A rehired employee keeps the old termination date in BambooHR: it
	// is before the new hire date and they are active, so no end.
	ps, skipped := people([]employee{
		{ID: "7", WorkEmail: "re@acme.test", DisplayName: "Re Hired", HireDate: "2025-01-06", TerminationDate: "2022-08-31", Status: "Active"},
		{ID: "8", WorkEmail: "x@acme.test", FirstName: "Xa", LastName: "Vier", HireDate: "0000-00-00", TerminationDate: "0000-00-00"},
		{ID: "9", WorkEmail: "gone@acme.test", DisplayName: "Gone", TerminationDate: "0000-00-00", Status: "Inactive"},
	})
	if len(skipped) != 1 || skipped[0].Ref != "employee 9 (Gone)" || skipped[0].Message != "inactive with no termination date" || len(ps) != 2 || ps[0].End != "" || ps[0].Start != "2025-01-06" || ps[1].Name != "Xa Vier" || ps[1].Start != "" || ps[1].End != "" {
		t.Fatalf("people: %+v skipped %+v", ps, skipped)
	}
	var e employee
	if err := json.Unmarshal([]byte(`{"id": 42}`), &e); err != nil || e.ID != "42" {
		t.Fatalf("a numeric id: %q %v", e.ID, err)
	}
}

func byEmail(t *testing.T, list func(context.Context) ([]vigil.Person, error)) map[string]vigil.Person {
	t.Helper()
	ps, err := list(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]vigil.Person{}
	for _, p := range ps {
		out[p.Email] = p
	}
	return out
}
