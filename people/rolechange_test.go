package people_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/integrationtest"
	"github.com/vigil-soc/vigil/people"
)

// TestRoleChangeSignal walks HR-08: no source (unknown), a source and no
// change (neutral), a title change pending, then overdue after 30 days
// unreviewed (fail, naming the person), then reviewed late (a warning),
// and a later change reviewed in time (operating).
func TestRoleChangeSignal(t *testing.T) {
	integ := integrationtest.NewService(t)
	st := integ.Store
	ctx := integrationtest.Ctx
	admin := &vigil.User{Email: "admin@acme.test", Name: "Admin", Role: vigil.RoleAdmin}
	if err := st.CreateUser(ctx, admin, ""); err != nil {
		t.Fatal(err)
	}
	actx := vigil.WithActor(context.Background(), vigil.Actor{UserID: admin.ID, Name: admin.Email, Role: admin.Role})
	// The review is recorded at the store's clock, the real one: the
	// signal's clock starts two days behind it and catches up.
	real := time.Now().UTC()
	now := real.AddDate(0, 0, -2)
	rc := &people.RoleChanges{Store: st, Now: func() time.Time { return now }}
	var src vigil.SignalSource = rc
	signal := func() (vigil.SignalStatus, bool, string) {
		t.Helper()
		sigs, err := src.Signals(actx)
		if err != nil {
			t.Fatal(err)
		}
		var reasons []string
		for _, s := range sigs[vigil.RoleChangeControl] {
			reasons = append(reasons, string(s.Status)+": "+s.Reason)
		}
		operating := false
		for _, s := range sigs[vigil.RoleChangeControl] {
			operating = operating || s.Operating
		}
		return worst(sigs[vigil.RoleChangeControl]), operating, strings.Join(reasons, " | ")
	}
	if w, _, r := signal(); w != vigil.SignalUnknown || !strings.Contains(r, "cannot be detected") {
		t.Fatalf("no source: %s %s", w, r)
	}
	x := &vigil.Integration{Kind: "bamboohr", Name: "hr", Config: []byte("{}"), Interval: 3600}
	if err := st.CreateIntegration(actx, x, ""); err != nil {
		t.Fatal(err)
	}
	sync := func(title string, at time.Time) {
		t.Helper()
		if _, err := st.SyncPeople(actx, x.ID, "bamboohr:hr", []vigil.Person{{Email: "ann@acme.test", Name: "Ann", Title: title, Department: "R&D"}}, at); err != nil {
			t.Fatal(err)
		}
	}
	sync("Engineer", real.AddDate(0, 0, -60))
	if w, _, r := signal(); w != vigil.SignalNeutral || !strings.Contains(r, "no role change has happened") {
		t.Fatalf("no change: %s %s", w, r)
	}
	sync("Engineering Manager", real.AddDate(0, 0, -31))
	if w, op, r := signal(); w != vigil.SignalNeutral || op || !strings.Contains(r, "ann@acme.test") || !strings.Contains(r, "review due by") {
		t.Fatalf("pending: %s %v %s", w, op, r)
	}
	now = real // 31 days after the change
	if w, op, r := signal(); w != vigil.SignalFail || op || !strings.Contains(r, "ann@acme.test (Ann): title \"Engineer\" → \"Engineering Manager\"") || !strings.Contains(r, "no access review recorded") {
		t.Fatalf("overdue: %s %v %s", w, op, r)
	}
	changes, err := rc.List(actx, 0)
	if err != nil || len(changes) != 1 {
		t.Fatalf("list: %+v %v", changes, err)
	}
	if _, err := rc.List(actx, 999); vigil.ErrorCode(err) != vigil.ENOTFOUND {
		t.Fatalf("an unknown person: %v", err)
	}
	if _, err := rc.Review(actx, changes[0].PersonID, changes[0].ID, "admin rights in the HR tool removed"); err != nil {
		t.Fatal(err)
	}
	// Reviewed, but after its 30 days: an exception (as a late removal is
	// for HR-07), not the control shown operating.
	if w, op, r := signal(); w != vigil.SignalWarn || op || !strings.Contains(r, "31 days after (due within 30)") {
		t.Fatalf("reviewed late: %s %v %s", w, op, r)
	}
	// A change reviewed in time: the control operating, nothing else.
	sync("Director", real.Add(-time.Hour))
	changes, _ = rc.List(actx, changes[0].PersonID)
	if _, err := rc.Review(actx, changes[0].PersonID, changes[0].ID, "checked"); err != nil {
		t.Fatal(err)
	}
	if w, op, r := signal(); w != vigil.SignalWarn || !op || !strings.Contains(r, "1 of 2 role changes") {
		t.Fatalf("one in time, one late: %s %v %s", w, op, r)
	}
	now = now.AddDate(0, 0, 400) // both changes before the lookback
	if w, _, r := signal(); w != vigil.SignalNeutral {
		t.Fatalf("reviewed changes out of the period: %s %s", w, r)
	}
}

func worst(sigs []vigil.Signal) vigil.SignalStatus {
	rank := map[vigil.SignalStatus]int{vigil.SignalNeutral: 0, vigil.SignalOK: 1, vigil.SignalWarn: 2, vigil.SignalUnknown: 3, vigil.SignalFail: 4}
	w := vigil.SignalNeutral
	for _, s := range sigs {
		if rank[s.Status] > rank[w] {
			w = s.Status
		}
	}
	return w
}
