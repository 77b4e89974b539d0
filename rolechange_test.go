package vigil

import (
	"strings"
	"testing"
	"time"
)

func TestRoleChangeOf(t *testing.T) {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	old := &Person{ID: 7, Email: "a@x.test", Name: "A", Title: "Engineer", Department: "R&D"}
	if c := RoleChangeOf(old, &Person{Name: "A", Title: "Engineer", Department: "R&D", Location: "Lyon"}, "csv", at); c != nil {
		t.Fatalf("nothing changed: %+v", c)
	}
	c := RoleChangeOf(old, &Person{Name: "A", Title: "Manager", Department: "R&D"}, "csv", at)
	if c == nil || c.PersonID != 7 || c.OldTitle != "Engineer" || c.NewTitle != "Manager" || c.NewDepartment != "R&D" || c.Describe() != `title "Engineer" → "Manager"` {
		t.Fatalf("a title change: %+v", c)
	}
	if !c.Due().Equal(at.AddDate(0, 0, 30)) {
		t.Fatalf("due %s", c.Due())
	}
	// A field learned for the first time is not a change of role.
	if c := RoleChangeOf(&Person{Email: "b@x.test", Title: "Engineer"}, &Person{Title: "Engineer", Department: "R&D"}, "ldap:corp", at); c != nil {
		t.Fatalf("a department learned: %+v", c)
	}
	if c := RoleChangeOf(&Person{Department: "R&D"}, &Person{Department: "Sales", Title: "Rep"}, "x", at); c == nil || c.Describe() != `department "R&D" → "Sales"` || c.NewTitle != "" {
		t.Fatalf("a department change: %+v", c)
	}
}

func TestRoleChangeSignals(t *testing.T) {
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	from := now.AddDate(-1, 0, 0)
	ch := func(days int, reviewedAfter int) RoleChange {
		c := RoleChange{Email: "a@x.test", Name: "A", OldTitle: "X", NewTitle: "Y", DetectedAt: now.AddDate(0, 0, -days), Source: "bamboohr:hr"}
		if reviewedAfter >= 0 {
			r := c.DetectedAt.AddDate(0, 0, reviewedAfter)
			c.ReviewedAt = &r
		}
		return c
	}
	status := func(sigs []Signal) string {
		var out []string
		for _, s := range sigs {
			st := string(s.Status)
			if s.Operating {
				st += "+operating"
			}
			out = append(out, st)
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		name    string
		changes []RoleChange
		sources int
		want    string
	}{
		{"no source", nil, 0, "unknown"},
		{"no change", nil, 1, "neutral"},
		{"pending", []RoleChange{ch(10, -1)}, 1, "neutral"},
		{"overdue", []RoleChange{ch(31, -1)}, 1, "fail"},
		{"overdue from before the period", []RoleChange{ch(500, -1)}, 1, "fail"},
		{"reviewed in time", []RoleChange{ch(40, 29)}, 1, "ok+operating"},
		{"reviewed late", []RoleChange{ch(40, 31)}, 1, "warn"},
		{"reviewed before the period", []RoleChange{ch(500, 1)}, 1, "neutral"},
		{"mixed", []RoleChange{ch(40, 2), ch(35, -1), ch(3, -1)}, 2, "fail,neutral,ok+operating"},
	} {
		if got := status(RoleChangeSignals(c.changes, c.sources, from, now)); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestPeopleSyncMessage(t *testing.T) {
	x := &PeopleSync{}
	if x.Message() != "" {
		t.Fatalf("nothing to say: %q", x.Message())
	}
	for i := 0; i < 7; i++ {
		x.Skipped = append(x.Skipped, SkippedPerson{Ref: "employee " + string(rune('1'+i)), Field: "email", Message: "bad"})
	}
	x.Unlisted = []string{"z@x.test"}
	m := x.Message()
	if !strings.HasPrefix(m, "7 people skipped: employee 1 email: bad; ") || !strings.Contains(m, "and 2 more") || !strings.HasSuffix(m, "(kept as they are): z@x.test") {
		t.Fatalf("message: %q", m)
	}
}
