package store

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
)

func TestSyncPeople(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		owner, _, member := exceptionUsers(t, s)
		x := &vigil.Integration{Kind: "bamboohr", Name: "hr", Config: []byte("{}"), Interval: 3600}
		if err := s.CreateIntegration(owner, x, ""); err != nil {
			t.Fatal(err)
		}
		if n, err := s.RoleChangeSources(owner); err != nil || n != 0 {
			t.Fatalf("sources before any sync: %d %v", n, err)
		}
		mo := &vigil.Person{Email: "mo@acme.test", Name: "Manual Mo", Title: "Analyst", Location: "Paris", Source: "manual"}
		if err := s.CreatePerson(owner, mo); err != nil {
			t.Fatal(err)
		}
		ty := &vigil.Person{Email: "ty@acme.test", Name: "Ty", Title: "Dev", Source: "manual"}
		if err := s.CreatePerson(owner, ty); err != nil {
			t.Fatal(err)
		}
		day1 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		res, err := s.SyncPeople(owner, x.ID, "bamboohr:hr", []vigil.Person{
			{Email: "Ann@acme.test", Name: "Ann", Title: "Engineer", Department: "R&D"},
			{Email: "bob@acme.test", Name: "Bob", Start: "2020-01-01", End: "2026-10-30"},
			{Email: "cy@acme.test", Name: "Cy", Type: vigil.Contractor},
			// The source gives no title for Mo: the register's stays.
			{Email: "mo@acme.test", Name: "Mo Manual", Department: "Finance"},
			{Email: "x@", Name: "Broken"},
			// The first sync is the baseline: Ty's title in the source's
			// words is not a role change.
			{Email: "ty@acme.test", Name: "Ty", Title: "Developer"},
			{Email: "dee@acme.test", Name: "Dee", Title: "QA", Location: "Lyon"},
			{Email: "ann@acme.test", Name: "Ann again"},
		}, day1)
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 4 || res.Updated != 2 || res.Unchanged != 0 || res.RoleChanges != 0 || res.Baseline != 1 || len(res.Skipped) != 2 || res.Listed != 8 {
			t.Fatalf("first sync: %+v", res)
		}
		if m := res.Message(); !strings.Contains(m, "2 people skipped: #5 x@ email:") || !strings.Contains(m, "#8 ann@acme.test email: listed twice") ||
			!strings.Contains(m, "first sync: 1 people's title") {
			t.Fatalf("first sync's message: %q", m)
		}
		ps := peopleByEmail(t, s)
		if p := ps["mo@acme.test"]; p.Title != "Analyst" || p.Department != "Finance" || p.Location != "Paris" || p.Name != "Mo Manual" || p.Source != "manual" || p.InScope {
			t.Fatalf("a manual row updated by the source: %+v", p)
		}
		if p := ps["cy@acme.test"]; p.Type != vigil.Contractor || p.Source != "bamboohr:hr" || !p.InScope {
			t.Fatalf("a person the source created: %+v", p)
		}
		if n, err := s.RoleChangeSources(owner); err != nil || n != 1 {
			t.Fatalf("sources after a sync: %d %v", n, err)
		}
		if p := ps["ty@acme.test"]; p.Title != "Developer" {
			t.Fatalf("the baseline's title: %+v", p)
		}
		// Dee's leaving recorded by hand: a listing that gives no dates
		// does not clear it.
		if _, err := s.UpdatePerson(owner, ps["dee@acme.test"].ID, func(p *vigil.Person) error { p.End = "2026-12-31"; return nil }); err != nil {
			t.Fatal(err)
		}

		// Ann moves; Bob (who left) and Cy (who did not) drop off; the
		// source says nothing of Mo's title again.
		day2 := day1.AddDate(0, 0, 7)
		res, err = s.SyncPeople(owner, x.ID, "bamboohr:hr", []vigil.Person{
			{Email: "ann@acme.test", Name: "Ann", Title: "Engineering Manager", Department: "R&D", Location: "Paris"},
			{Email: "mo@acme.test", Name: "Mo Manual", Department: "Finance"},
			{Email: "ty@acme.test", Name: "Ty", Title: "Developer"},
			{Email: "dee@acme.test", Name: "Dee", Title: "QA"},
		}, day2)
		if err != nil {
			t.Fatal(err)
		}
		if res.Updated != 2 || res.Unchanged != 2 || res.RoleChanges != 1 || res.Baseline != 0 || !slices.Equal(res.Unlisted, []string{"cy@acme.test"}) {
			t.Fatalf("second sync: %+v", res)
		}
		ps = peopleByEmail(t, s)
		if p := ps["dee@acme.test"]; p.End != "2026-12-31" || p.Location != "" {
			t.Fatalf("Dee after a listing with locations and no dates: %+v", p)
		}
		if len(ps) != 6 || ps["bob@acme.test"].End != "2026-10-30" || ps["cy@acme.test"].End != "" || ps["ann@acme.test"].Title != "Engineering Manager" {
			t.Fatalf("after the second sync: %+v", ps)
		}
		// Mo's department changing from a known one is a role change too,
		// even in a row the source does not own.
		if res, err = s.SyncPeople(owner, x.ID, "bamboohr:hr", []vigil.Person{{Email: "mo@acme.test", Name: "Mo Manual", Department: "Risk"}}, day2); err != nil || res.RoleChanges != 1 {
			t.Fatalf("Mo's move: %+v %v", res, err)
		}

		rcs, err := s.RoleChanges(owner, 0)
		if err != nil || len(rcs) != 2 {
			t.Fatalf("role changes: %+v %v", rcs, err)
		}
		ann := ps["ann@acme.test"]
		rc, err := s.RoleChanges(owner, ann.ID)
		if err != nil || len(rc) != 1 || rc[0].OldTitle != "Engineer" || rc[0].NewTitle != "Engineering Manager" || !rc[0].DetectedAt.Equal(day2) || rc[0].ReviewedAt != nil {
			t.Fatalf("Ann's role change: %+v %v", rc, err)
		}
		if _, err := s.ReviewRoleChange(owner, ann.ID, rc[0].ID, "  "); vigil.ErrorField(err) != "comment" {
			t.Fatalf("no comment: %v", err)
		}
		if _, err := s.ReviewRoleChange(owner, ps["mo@acme.test"].ID, rc[0].ID, "ok"); vigil.ErrorCode(err) != vigil.ENOTFOUND {
			t.Fatalf("another person's change: %v", err)
		}
		got, err := s.ReviewRoleChange(member, ann.ID, rc[0].ID, "engineering admin group removed, managers group added")
		if err != nil || got.ReviewedAt == nil || got.ReviewedBy != "member@example.com" {
			t.Fatalf("review: %+v %v", got, err)
		}
		if _, err := s.ReviewRoleChange(owner, ann.ID, rc[0].ID, "again"); vigil.ErrorCode(err) != vigil.ECONFLICT {
			t.Fatalf("reviewed twice: %v", err)
		}
		rc, _ = s.RoleChanges(owner, ann.ID)
		if rc[0].ReviewedAt == nil || rc[0].Comment != "engineering admin group removed, managers group added" {
			t.Fatalf("read back: %+v", rc[0])
		}
		acts, err := s.ListActivity(owner, vigil.ActivityFilter{Action: "people.sync"})
		if err != nil || len(acts) != 3 {
			t.Fatalf("people.sync entries: %d %v", len(acts), err)
		}

		// A CSV import that changes a title records a role change too.
		c1 := []vigil.Person{{Email: "ann@acme.test", Name: "Ann", Title: "Director", Department: "R&D", Type: vigil.Employee, InScope: true, Aliases: []string{}, Source: "csv"}}
		id, err := s.StagePeopleImport(owner, "h1", "x")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ApplyPeopleImport(owner, id, "h1", c1); err != nil {
			t.Fatal(err)
		}
		rc, _ = s.RoleChanges(owner, ann.ID)
		if len(rc) != 2 || rc[0].Source != "csv" || rc[0].OldTitle != "Engineering Manager" || rc[0].NewTitle != "Director" {
			t.Fatalf("after a CSV import: %+v", rc)
		}
		if n, err := s.RoleChangeSources(owner); err != nil || n != 2 {
			t.Fatalf("sources after an import: %d %v", n, err)
		}
	})
}

func peopleByEmail(t *testing.T, s *Store) map[string]vigil.Person {
	t.Helper()
	ps, err := s.People(adminCtx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]vigil.Person{}
	for _, p := range ps {
		out[p.Email] = p
	}
	return out
}
