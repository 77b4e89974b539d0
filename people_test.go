package vigil_test

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
)

func TestPersonValidate(t *testing.T) {
	good := func() vigil.Person {
		return vigil.Person{Email: " Ann@Example.com ", Name: "Ann", Start: "2025-01-02", End: "2026-03-01", Aliases: []string{"ANN", "ann"}}
	}
	p := good()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.Email != "ann@example.com" || p.Type != vigil.Employee || len(p.Aliases) != 1 || p.Aliases[0] != "ann" {
		t.Fatalf("not normalized: %+v", p)
	}
	for name, tc := range map[string]struct {
		change func(*vigil.Person)
		field  string
	}{
		"bad email":      {func(p *vigil.Person) { p.Email = "ann" }, "email"},
		"no name":        {func(p *vigil.Person) { p.Name = " " }, "name"},
		"end before":     {func(p *vigil.Person) { p.End = "2024-12-31" }, "end_date"},
		"bad date":       {func(p *vigil.Person) { p.Start = "2025-13-01" }, "start_date"},
		"own manager":    {func(p *vigil.Person) { p.ManagerEmail = "ann@example.com" }, "manager_email"},
		"unknown type":   {func(p *vigil.Person) { p.Type = "intern" }, "employment_type"},
		"alias spaces":   {func(p *vigil.Person) { p.Aliases = []string{"a b"} }, "aliases"},
		"long title":     {func(p *vigil.Person) { p.Title = strings.Repeat("x", 201) }, "title"},
		"manager is bad": {func(p *vigil.Person) { p.ManagerEmail = "boss" }, "manager_email"},
	} {
		p := good()
		tc.change(&p)
		err := p.Validate()
		if e, ok := err.(*vigil.Error); !ok || e.Field != tc.field {
			t.Errorf("%s: got %v, want an error on %s", name, err, tc.field)
		}
	}
}

func TestMatchAccounts(t *testing.T) {
	people := []vigil.Person{
		{ID: 1, Email: "ann@example.com", Aliases: []string{"annie"}},
		{ID: 2, Email: "bob@example.com"},
		{ID: 3, Email: "bob@other.example"}, // same local part as 2
		{ID: 4, Email: "cy@example.com"},
	}
	acc := []vigil.Account{
		{IntegrationID: 1, ExternalID: "cn=ann,dc=x", Email: "ANN@example.com", Username: "zz"}, // email
		{IntegrationID: 1, ExternalID: "cn=annie,dc=x", Username: "annie"},                      // alias
		{IntegrationID: 1, ExternalID: "cn=cy,dc=x", Username: "cy"},                            // local part
		{IntegrationID: 1, ExternalID: "cn=bob,dc=x", Username: "bob"},                          // ambiguous: nobody
		{IntegrationID: 2, ExternalID: "bob@example.com"},                                       // login is the email
		{IntegrationID: 2, ExternalID: "svc@example.com"},                                       // nobody
		{IntegrationID: 2, ExternalID: "cy@example.com"},                                        // linked to nobody by hand
		{IntegrationID: 3, ExternalID: "x1", Username: "robert"},                                // linked by hand
	}
	links := []vigil.AccountLink{
		{AccountKey: vigil.AccountKey{IntegrationID: 2, ExternalID: "cy@example.com"}, PersonID: 0},
		{AccountKey: vigil.AccountKey{IntegrationID: 3, ExternalID: "x1"}, PersonID: 2},
	}
	vigil.MatchAccounts(people, acc, links)
	want := []struct {
		id int64
		by string
	}{{1, "email"}, {1, "alias"}, {4, "username"}, {0, ""}, {2, "email"}, {0, ""}, {0, ""}, {2, "manual"}}
	for i, w := range want {
		if acc[i].PersonID != w.id || acc[i].MatchedBy != w.by {
			t.Errorf("%s: matched %d by %q, want %d by %q", acc[i].ExternalID, acc[i].PersonID, acc[i].MatchedBy, w.id, w.by)
		}
	}
}

func ts(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// Offboard: Ann's last day is 2026-03-01, so she left at 2026-03-02T00:00Z;
// a normal account is due by 03-05T00:00Z, a privileged one by 03-03T00:00Z.
func TestOffboard(t *testing.T) {
	p := &vigil.Person{ID: 1, Email: "ann@example.com", End: "2026-03-01"}
	now := *ts("2026-03-10T00:00:00Z")
	for name, tc := range map[string]struct {
		a         vigil.Account
		collected string
		want      vigil.OffboardingStatus
	}{
		"still active after the deadline": {vigil.Account{State: vigil.AccountActive, Present: true}, "2026-03-06T00:00:00Z", vigil.OffboardOverdue},
		"active, privileged, 30 hours":    {vigil.Account{State: vigil.AccountActive, Present: true, Privileged: true}, "2026-03-03T06:00:00Z", vigil.OffboardOverdue},
		"active, normal, 30 hours":        {vigil.Account{State: vigil.AccountActive, Present: true}, "2026-03-03T06:00:00Z", vigil.OffboardPending},
		"no collection since she left":    {vigil.Account{State: vigil.AccountActive, Present: true}, "2026-03-01T12:00:00Z", vigil.OffboardUnverified},
		"state unreadable":                {vigil.Account{State: vigil.AccountUnknown, Present: true, StateReason: "pwdAccountLockedTime unreadable"}, "2026-03-06T00:00:00Z", vigil.OffboardUnverified},
		"disabled in time":                {vigil.Account{State: vigil.AccountDisabled, Present: true, LastActiveSeen: ts("2026-03-02T01:00:00Z"), InactiveSince: ts("2026-03-03T00:00:00Z")}, "2026-03-06T00:00:00Z", vigil.OffboardRemoved},
		"removed in time":                 {vigil.Account{State: vigil.AccountActive, Present: false, LastActiveSeen: ts("2026-03-02T01:00:00Z"), InactiveSince: ts("2026-03-04T00:00:00Z")}, "2026-03-06T00:00:00Z", vigil.OffboardRemoved},
		"disabled before she left":        {vigil.Account{State: vigil.AccountDisabled, Present: true, InactiveSince: ts("2026-02-20T00:00:00Z")}, "2026-03-06T00:00:00Z", vigil.OffboardRemovedBefore},
		"seen active past the deadline":   {vigil.Account{State: vigil.AccountDisabled, Present: true, LastActiveSeen: ts("2026-03-05T06:00:00Z"), InactiveSince: ts("2026-03-05T07:00:00Z")}, "2026-03-06T00:00:00Z", vigil.OffboardLate},
		"gap over the deadline":           {vigil.Account{State: vigil.AccountDisabled, Present: true, LastActiveSeen: ts("2026-03-01T06:00:00Z"), InactiveSince: ts("2026-03-07T00:00:00Z")}, "2026-03-07T00:00:00Z", vigil.OffboardUnclear},
		"disabled, never dated":           {vigil.Account{State: vigil.AccountDisabled, Present: true}, "2026-03-06T00:00:00Z", vigil.OffboardUnverified},
	} {
		tc.a.ExternalID, tc.a.System = "ann", "corp-ldap"
		it := vigil.Offboard(p, &tc.a, *ts(tc.collected), now)
		if it.Status != tc.want {
			t.Errorf("%s: %s (%s), want %s", name, it.Status, it.Reason, tc.want)
		}
		if it.Reason == "" || !strings.Contains(it.Reason, "corp-ldap") {
			t.Errorf("%s: reason %q does not name the system", name, it.Reason)
		}
	}
}

func TestOffboardingSignals(t *testing.T) {
	from := *ts("2026-01-01T00:00:00Z")
	dep := *ts("2026-03-02T00:00:00Z")
	st := func(sigs []vigil.Signal) (worst vigil.SignalStatus, operating bool) {
		rank := map[vigil.SignalStatus]int{vigil.SignalNeutral: 0, vigil.SignalOK: 1, vigil.SignalWarn: 2, vigil.SignalUnknown: 3, vigil.SignalFail: 4}
		worst = vigil.SignalNeutral
		for _, s := range sigs {
			if s.ControlID != vigil.OffboardingControl {
				t.Fatalf("signal for %s", s.ControlID)
			}
			if rank[s.Status] > rank[worst] {
				worst = s.Status
			}
			operating = operating || s.Operating
		}
		return
	}
	item := func(s vigil.OffboardingStatus) vigil.OffboardingItem {
		return vigil.OffboardingItem{PersonID: 1, Departure: dep, Status: s, Reason: string(s)}
	}
	if w, op := st(vigil.OffboardingSignals(nil, nil, 0, 2, from)); w != vigil.SignalUnknown || op {
		t.Errorf("no register: %s %v", w, op)
	}
	if w, op := st(vigil.OffboardingSignals(nil, nil, 5, 0, from)); w != vigil.SignalUnknown || op {
		t.Errorf("no source: %s %v", w, op)
	}
	if w, op := st(vigil.OffboardingSignals(nil, nil, 5, 1, from)); w != vigil.SignalNeutral || op {
		t.Errorf("nobody left: %s %v", w, op)
	}
	if w, op := st(vigil.OffboardingSignals([]vigil.OffboardingItem{item(vigil.OffboardRemoved), item(vigil.OffboardOverdue)}, nil, 5, 1, from)); w != vigil.SignalFail || !op {
		t.Errorf("one overdue: %s %v", w, op)
	}
	if w, op := st(vigil.OffboardingSignals([]vigil.OffboardingItem{item(vigil.OffboardRemoved), item(vigil.OffboardUnverified)}, nil, 5, 1, from)); w != vigil.SignalUnknown {
		t.Errorf("one unverified: %s %v", w, op)
	}
	if w, op := st(vigil.OffboardingSignals([]vigil.OffboardingItem{item(vigil.OffboardRemoved)}, nil, 5, 1, from)); w != vigil.SignalOK || !op {
		t.Errorf("all removed: %s %v", w, op)
	}
	old := item(vigil.OffboardOverdue)
	old.Departure = *ts("2025-06-01T00:00:00Z")
	if w, _ := st(vigil.OffboardingSignals([]vigil.OffboardingItem{old}, nil, 5, 1, from)); w != vigil.SignalNeutral {
		t.Errorf("a leaver before the window counts: %s", w)
	}
	// A leaver with no account matched is flagged, not taken as removed.
	gone := []vigil.Person{{ID: 9, Email: "gone@x.io", End: "2026-03-01"}}
	if w, op := st(vigil.OffboardingSignals(nil, gone, 5, 1, from)); w != vigil.SignalWarn || op {
		t.Errorf("an unmatched leaver: %s %v", w, op)
	}
}

func TestAckStatusAndSignals(t *testing.T) {
	pub := *ts("2026-03-01T00:00:00Z")
	req := vigil.AckRequirement{PolicyID: 7, Key: "POL-001", Title: "Information security", Number: 2, Current: 3, SHA256: "abc", Since: pub}
	ann := vigil.Person{ID: 1, Email: "ann@x.io", InScope: true}
	late := vigil.Person{ID: 2, Email: "late@x.io", InScope: true, Start: "2026-03-20"}
	out := vigil.Person{ID: 3, Email: "out@x.io", InScope: false}
	gone := vigil.Person{ID: 4, Email: "gone@x.io", InScope: true, End: "2026-03-05"}
	now := *ts("2026-04-05T00:00:00Z") // 35 days after publication

	if s := vigil.AckStatusOf(&req, &ann, nil, now); s.State != vigil.AckOverdue {
		t.Errorf("never acknowledged after 35 days: %s", s.State)
	}
	if s := vigil.AckStatusOf(&req, &ann, &vigil.PolicyAck{Number: 1}, now); s.State != vigil.AckOverdue {
		t.Errorf("an older material version acknowledged: %s", s.State)
	}
	if s := vigil.AckStatusOf(&req, &ann, &vigil.PolicyAck{Number: 2}, now); s.State != vigil.AckDone {
		t.Errorf("the required version (3 was not material): %s", s.State)
	}
	if s := vigil.AckStatusOf(&req, &late, nil, now); s.State != vigil.AckDue || !s.Due.Equal(time.Date(2026, 4, 19, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("a joiner has 30 days from their start: %s %s", s.State, s.Due)
	}

	acks := map[string]*vigil.PolicyAck{}
	latest := func(_ int64, email string) *vigil.PolicyAck { return acks[email] }
	people := []vigil.Person{ann, late, out, gone}
	sigs := vigil.AckSignals([]vigil.AckRequirement{req}, people, latest, now)
	if len(sigs) != 1 || sigs[0].Status != vigil.SignalFail || !strings.Contains(sigs[0].Reason, "ann@x.io") || strings.Contains(sigs[0].Reason, "out@x.io") || strings.Contains(sigs[0].Reason, "gone@x.io") {
		t.Fatalf("ann overdue: %+v", sigs)
	}
	acks["ann@x.io"] = &vigil.PolicyAck{Number: 3}
	sigs = vigil.AckSignals([]vigil.AckRequirement{req}, people, latest, now)
	if sigs[0].Status != vigil.SignalOK || !sigs[0].Operating {
		t.Fatalf("ann done, the joiner not due yet: %+v", sigs)
	}
	acks = map[string]*vigil.PolicyAck{}
	sigs = vigil.AckSignals([]vigil.AckRequirement{req}, []vigil.Person{late}, latest, now)
	if sigs[0].Status != vigil.SignalNeutral || sigs[0].Operating {
		t.Fatalf("nobody has acknowledged, nobody overdue: %+v", sigs)
	}
	for name, sigs := range map[string][]vigil.Signal{
		"no register":      vigil.AckSignals([]vigil.AckRequirement{req}, nil, latest, now),
		"nobody in scope":  vigil.AckSignals([]vigil.AckRequirement{req}, []vigil.Person{out}, latest, now),
		"nothing in force": vigil.AckSignals(nil, people, latest, now),
	} {
		if len(sigs) != 1 || sigs[0].Status != vigil.SignalUnknown || sigs[0].Operating {
			t.Errorf("%s: %+v", name, sigs)
		}
	}
}

func TestCheckAck(t *testing.T) {
	req := vigil.AckRequirement{Key: "POL-001", Number: 2, Current: 3, SHA256: "abcdef"}
	if err := vigil.CheckAck(&req, 3, "ABCDEF"); err != nil {
		t.Fatal(err)
	}
	if err := vigil.CheckAck(&req, 2, "abcdef"); vigil.ErrorCode(err) != vigil.ECONFLICT {
		t.Errorf("a replaced version: %v", err)
	}
	if err := vigil.CheckAck(&req, 3, "abcdeg"); vigil.ErrorCode(err) != vigil.EINVALID {
		t.Errorf("another text: %v", err)
	}
}
