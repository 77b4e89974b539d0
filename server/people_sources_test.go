package server_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
)

// Role changes through the API and the person page: a CSV import that
// changes a department records one; only managers record the review,
// with a comment, once; HR-08's health follows.
func TestRoleChangesAPI(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"HR-08"}, "owner_id": e.users["member"]}, 200, nil)
		hr08 := func() vigil.Health {
			var ctl api.ControlView
			e.do("viewer", "GET", "/api/v1/controls/HR-08", nil, 200, &ctl)
			return ctl.Health
		}
		signals := func() string {
			var b strings.Builder
			for _, s := range hr08().Signals {
				if s.Source == "people" {
					b.WriteString(string(s.Status) + ": " + s.Reason + "\n")
				}
			}
			return b.String()
		}
		if s := signals(); !strings.Contains(s, "unknown: no HR system or directory") {
			t.Fatalf("HR-08 with no source: %s", s)
		}
		imp := func(body string) {
			t.Helper()
			status, b := e.raw("admin", "POST", "/api/v1/people/imports", strings.NewReader(body), map[string]string{"Content-Type": "text/csv"})
			var pv vigil.ImportPreview
			if status != 200 {
				t.Fatalf("preview: %d %s", status, b)
			}
			decodeJSON(t, b, &pv)
			e.do("admin", "POST", "/api/v1/people/imports/"+itoa(pv.ID)+"/confirm", map[string]any{"sha256": pv.SHA256}, 200, nil)
		}
		imp("email,name,title,department\nann@acme.test,Ann,Engineer,R&D\n")
		if s := signals(); !strings.Contains(s, "neutral: no role change has happened") {
			t.Fatalf("HR-08 with an import and no change: %s", s)
		}
		imp("email,name,title,department\nann@acme.test,Ann,Engineer,Sales\n")
		var all api.Page[vigil.RoleChange]
		e.do("member", "GET", "/api/v1/role-changes", nil, 403, nil)
		e.do("auditor", "GET", "/api/v1/role-changes", nil, 200, &all)
		if len(all.Items) != 1 || all.Items[0].OldDepartment != "R&D" || all.Items[0].NewDepartment != "Sales" || all.Items[0].Source != "csv" {
			t.Fatalf("role changes: %+v", all.Items)
		}
		c := all.Items[0]
		if s := signals(); !strings.Contains(s, "neutral: ann@acme.test (Ann): department \"R&D\" → \"Sales\"") {
			t.Fatalf("HR-08 pending: %s", s)
		}
		var mine api.Page[vigil.RoleChange]
		e.do("auditor", "GET", "/api/v1/people/"+itoa(c.PersonID)+"/role-changes", nil, 200, &mine)
		if len(mine.Items) != 1 || mine.Items[0].ID != c.ID {
			t.Fatalf("Ann's role changes: %+v", mine.Items)
		}
		e.do("auditor", "GET", "/api/v1/people/99999/role-changes", nil, 404, nil)
		review := "/api/v1/people/" + itoa(c.PersonID) + "/role-changes/" + itoa(c.ID) + "/review"
		e.do("auditor", "POST", review, map[string]any{"comment": "looked"}, 403, nil)
		e.do("admin", "POST", review, map[string]any{"comment": " "}, 400, nil)
		e.do("admin", "POST", "/api/v1/people/99999/role-changes/"+itoa(c.ID)+"/review", map[string]any{"comment": "x"}, 404, nil)

		// The person page lists the change with the form; the form records
		// the review.
		ss := e.sessions()
		admin, auditor := ss["admin"], ss["auditor"]
		_, page, _ := e.page(&admin, "GET", "/people/"+itoa(c.PersonID), nil)
		if !strings.Contains(page, `id="role-changes"`) || !strings.Contains(page, "/role-changes/"+itoa(c.ID)+"/review") {
			t.Fatalf("the person page has no role change form")
		}
		if st, _, _ := e.page(&admin, "POST", "/people/"+itoa(c.PersonID)+"/role-changes/"+itoa(c.ID)+"/review", url.Values{"comment": {"sales CRM access granted, source repos removed"}}); st != 303 {
			t.Fatalf("the review form: %d", st)
		}
		e.do("admin", "POST", review, map[string]any{"comment": "again"}, 409, nil)
		e.do("auditor", "GET", "/api/v1/role-changes", nil, 200, &all)
		if all.Items[0].ReviewedAt == nil || all.Items[0].Comment != "sales CRM access granted, source repos removed" || all.Items[0].ReviewedBy == "" {
			t.Fatalf("after the review: %+v", all.Items[0])
		}
		if s := signals(); !strings.Contains(s, "ok: 1 of 1 role changes") {
			t.Fatalf("HR-08 reviewed: %s", s)
		}
		if _, page, _ := e.page(&auditor, "GET", "/people/"+itoa(c.PersonID), nil); strings.Contains(page, "Record review") || !strings.Contains(page, "sales CRM access granted") {
			t.Fatalf("the auditor's view of the person page")
		}

		// A title changed by hand is a role change too, and the person
		// whose role changed may not review it (the admin is in the
		// register here).
		imp("email,name,title,department\nadmin@acme.test,The admin,IT lead,IT\n")
		var admin0 api.Page[vigil.Person]
		e.do("auditor", "GET", "/api/v1/people", nil, 200, &admin0)
		var adminID int64
		for _, p := range admin0.Items {
			if p.Email == "admin@acme.test" {
				adminID = p.ID
			}
		}
		e.do("owner", "PATCH", "/api/v1/people/"+itoa(adminID), map[string]any{"title": "Head of IT"}, 200, nil)
		var theirs api.Page[vigil.RoleChange]
		e.do("auditor", "GET", "/api/v1/people/"+itoa(adminID)+"/role-changes", nil, 200, &theirs)
		if len(theirs.Items) != 1 || theirs.Items[0].NewTitle != "Head of IT" || theirs.Items[0].Source != "manual" {
			t.Fatalf("a title changed by hand: %+v", theirs.Items)
		}
		own := "/api/v1/people/" + itoa(adminID) + "/role-changes/" + itoa(theirs.Items[0].ID) + "/review"
		if b := e.do("admin", "POST", own, map[string]any{"comment": "kept my own access"}, 403, nil); !strings.Contains(string(b), "own role change") {
			t.Fatalf("a self-review: %s", b)
		}
		e.do("owner", "POST", own, map[string]any{"comment": "admin rights kept, reviewed by the owner"}, 200, nil)
	})
}
