package vigil

import (
	"strings"
	"testing"
	"time"
)

var incNow = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

func TestIncidentValidate(t *testing.T) {
	cases := []struct {
		name, field string
		x           Incident
	}{
		{"unknown severity is refused", "severity", Incident{Title: "x", Severity: "SEV5"}},
		{"no title", "title", Incident{Severity: SEV2}},
		{"declaration before detection", "declared_at", Incident{Title: "x", Severity: SEV2, DetectedAt: incNow.Add(-time.Hour), DeclaredAt: incNow.Add(-2 * time.Hour)}},
		{"declared in the future", "declared_at", Incident{Title: "x", Severity: SEV2, DeclaredAt: incNow.Add(time.Hour)}},
		{"a new incident is not resolved", "status", Incident{Title: "x", Severity: SEV2, Status: IncidentResolved}},
		{"two-line title", "title", Incident{Title: "a\nb", Severity: SEV2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.x.Validate(incNow); ErrorField(err) != c.field {
				t.Fatalf("want an error on %s, got %v", c.field, err)
			}
		})
	}
	ok := Incident{Title: " Database exposed ", Severity: "sev1", DetectedAt: incNow.Add(-3 * time.Hour)}
	if err := ok.Validate(incNow); err != nil || ok.Severity != SEV1 || ok.Title != "Database exposed" || !ok.DeclaredAt.Equal(incNow) || ok.Status != IncidentDeclared {
		t.Fatalf("a valid incident: %+v %v", ok, err)
	}
}

func TestIncidentPatchAndClose(t *testing.T) {
	x := Incident{Key: "INC-001", Title: "x", Severity: SEV1, Status: IncidentInvestigating, DeclaredAt: incNow.Add(-time.Hour), DetectedAt: incNow.Add(-time.Hour)}
	back := IncidentDeclared
	if err := (IncidentPatch{Status: &back}).Apply(&x, incNow); ErrorField(err) != "status" || !strings.Contains(err.Error(), "forward only") {
		t.Fatalf("moving back: %v", err)
	}
	resolved := IncidentResolved
	if err := (IncidentPatch{Status: &resolved}).Apply(&x, incNow); ErrorField(err) != "root_cause" {
		t.Fatalf("resolving without a root cause: %v", err)
	}
	x.Status, x.RootCause = IncidentInvestigating, ""
	rc := "an expired certificate"
	if err := (IncidentPatch{Status: &resolved, RootCause: &rc}).Apply(&x, incNow); err != nil || x.Status != IncidentResolved || !x.ResolvedAt.Equal(incNow) {
		t.Fatalf("resolved with a root cause: %+v %v", x, err)
	}
	closed := IncidentClosed
	if err := (IncidentPatch{Status: &closed}).Apply(&x, incNow); ErrorField(err) != "status" {
		t.Fatalf("closing by a patch: %v", err)
	}
	// SEV1 and SEV2 close only after their review; SEV3 without one.
	if err := x.MayClose(); ErrorField(err) != "review" {
		t.Fatalf("closing a SEV1 without a review: %v", err)
	}
	x.Severity = SEV3
	if err := x.MayClose(); err != nil {
		t.Fatalf("closing a resolved SEV3: %v", err)
	}
	x.Severity, x.Review = SEV2, &IncidentReview{Summary: "done", CompletedAt: incNow}
	if err := x.MayClose(); err != nil {
		t.Fatalf("closing a reviewed SEV2: %v", err)
	}
}

func TestNotificationRules(t *testing.T) {
	x := Incident{Key: "INC-001", DetectedAt: incNow.Add(-2 * time.Hour), DeclaredAt: incNow.Add(-time.Hour), Status: IncidentInvestigating}
	n := IncidentNotification{Audience: "regulator"}
	if err := n.Validate(&x); err != nil || !n.DueAt.Equal(x.DeclaredAt.Add(72*time.Hour)) {
		t.Fatalf("a default deadline: %+v %v", n, err)
	}
	if err := n.CheckSent(&x, x.DetectedAt.Add(-time.Minute), incNow); ErrorField(err) != "sent_at" || !strings.Contains(err.Error(), "before the incident") {
		t.Fatalf("sent before the incident: %v", err)
	}
	if err := n.CheckSent(&x, incNow, incNow); err != nil {
		t.Fatalf("sent now: %v", err)
	}
	if err := (&IncidentNotification{Audience: "customers", DueAt: x.DeclaredAt.AddDate(1, 0, 0)}).Validate(&x); ErrorField(err) != "due_at" {
		t.Fatalf("a deadline a year out, which would hide any lateness: %v", err)
	}
	if err := (&IncidentNotification{}).Validate(&x); ErrorField(err) != "audience" {
		t.Fatalf("no audience: %v", err)
	}
}

func TestExerciseValidate(t *testing.T) {
	e := Exercise{Kind: "fire-drill", Scenario: "s", Participants: "p", Tested: "t", Results: "r", Date: "2026-06-01", Outcome: OutcomePassed}
	if err := e.Validate(incNow); ErrorField(err) != "kind" {
		t.Fatalf("an unknown kind: %v", err)
	}
	e.Kind, e.Date = ExerciseRestore, "2026-07-01"
	if err := e.Validate(incNow); ErrorField(err) != "date" {
		t.Fatalf("a future date: %v", err)
	}
	e.Date, e.Results = "2026-06-01", ""
	if err := e.Validate(incNow); ErrorField(err) != "results" {
		t.Fatalf("no results: %v", err)
	}
}

// good is an incident handled by the book.
func good(key string) Incident {
	return Incident{Key: key, Severity: SEV2, Status: IncidentClosed, DeclaredAt: incNow.AddDate(0, 0, -30), ResolvedAt: incNow.AddDate(0, 0, -29),
		RootCause: "a bad deploy", Events: []IncidentEvent{{Text: "declared", Generated: true}, {Text: "rolled back"}},
		Notifications: []IncidentNotification{{Audience: "customers", DueAt: incNow.AddDate(0, 0, -27), SentAt: incNow.AddDate(0, 0, -28)}},
		Review:        &IncidentReview{Summary: "s", CompletedAt: incNow.AddDate(0, 0, -25)},
		Actions:       []ReviewAction{{Title: "add a canary", Due: "2026-06-01", DoneAt: incNow.AddDate(0, 0, -20)}}}
}

func TestIncidentSignals(t *testing.T) {
	rules := DefaultIncidentRules
	t.Run("no incidents is neutral, never operating", func(t *testing.T) {
		out := IncidentSignals(nil, rules, incNow)
		for _, c := range []string{"IR-02", "IR-04", "IR-05"} {
			s := out[c][0]
			if s.Status != SignalNeutral || s.Operating || !strings.Contains(s.Reason, "no incident") {
				t.Fatalf("%s with no incidents: %+v", c, s)
			}
			if h := ComputeHealth(out[c]); h.Passing() {
				t.Fatalf("%s with no incidents is %s", c, h.State)
			}
		}
	})
	t.Run("a fresh declaration with nothing written is not operating", func(t *testing.T) {
		x := Incident{Key: "INC-002", Severity: SEV3, Status: IncidentDeclared, DeclaredAt: incNow.Add(-time.Hour), Events: []IncidentEvent{{Text: "declared", Generated: true}}}
		s := IncidentSignals([]Incident{x}, rules, incNow)["IR-02"][0]
		if s.Operating || s.Status != SignalNeutral {
			t.Fatalf("IR-02 from a declaration alone: %+v", s)
		}
	})
	t.Run("the compliant look-alike passes", func(t *testing.T) {
		out := IncidentSignals([]Incident{good("INC-001")}, rules, incNow)
		for _, c := range []string{"IR-02", "IR-04", "IR-05"} {
			if s := out[c][0]; s.Status != SignalOK || !s.Operating {
				t.Fatalf("%s for a well-handled incident: %+v", c, s)
			}
		}
	})
	planted := []struct {
		name, control, reason string
		plant                 func(x *Incident)
	}{
		{"resolved without a root cause", "IR-02", "without a root cause", func(x *Incident) { x.RootCause = "" }},
		{"no timeline", "IR-02", "without a timeline", func(x *Incident) { x.Events = nil }},
		{"only the entries Vigil writes", "IR-02", "without a timeline", func(x *Incident) { x.Events = x.Events[:1] }},
		{"owed and not sent past the deadline", "IR-04", "not sent", func(x *Incident) { x.Notifications[0].SentAt = time.Time{} }},
		{"sent after the deadline", "IR-04", "sent late", func(x *Incident) { x.Notifications[0].SentAt = x.Notifications[0].DueAt.Add(time.Hour) }},
		{"no review 14 days after resolution", "IR-05", "no review 14 days", func(x *Incident) { x.Review = nil }},
		{"an action past due and open", "IR-05", "past due", func(x *Incident) { x.Actions[0].DoneAt = time.Time{} }},
	}
	for _, p := range planted {
		t.Run(p.name, func(t *testing.T) {
			x := good("INC-002")
			p.plant(&x)
			s := IncidentSignals([]Incident{good("INC-001"), x}, rules, incNow)[p.control][0]
			if s.Status != SignalFail || !strings.Contains(s.Reason, "INC-002") || !strings.Contains(s.Reason, p.reason) {
				t.Fatalf("planted problem not found: %+v", s)
			}
		})
	}
	t.Run("an incident closed over a year ago shows nothing now", func(t *testing.T) {
		x := good("INC-001")
		x.DeclaredAt = incNow.AddDate(-2, 0, 0)
		for _, c := range []string{"IR-02", "IR-04", "IR-05"} {
			if s := IncidentSignals([]Incident{x}, rules, incNow)[c][0]; s.Status != SignalNeutral || s.Operating {
				t.Fatalf("%s for an old incident: %+v", c, s)
			}
		}
	})
	t.Run("owed, deadline not reached, is not a failure", func(t *testing.T) {
		x := good("INC-001")
		x.Notifications[0].SentAt, x.Notifications[0].DueAt = time.Time{}, incNow.Add(time.Hour)
		if s := IncidentSignals([]Incident{x}, rules, incNow)["IR-04"][0]; s.Status != SignalWarn || s.Operating {
			t.Fatalf("owed before the deadline: %+v", s)
		}
	})
	t.Run("a review not yet due does not fail", func(t *testing.T) {
		x := good("INC-001")
		x.Review, x.ResolvedAt = nil, incNow.AddDate(0, 0, -3)
		if s := IncidentSignals([]Incident{x}, rules, incNow)["IR-05"][0]; s.Status != SignalNeutral {
			t.Fatalf("a review not yet due: %+v", s)
		}
	})
}

func TestExerciseSignals(t *testing.T) {
	rules := DefaultIncidentRules
	restore := func(date Date, out ExerciseOutcome, ev ...int64) Exercise {
		return Exercise{Key: "EX-001", Kind: ExerciseRestore, Date: date, Outcome: out, EvidenceIDs: ev}
	}
	cases := []struct {
		name   string
		es     []Exercise
		status SignalStatus
		reason string
	}{
		{"none recorded fails", nil, SignalFail, "no backup restore test recorded"},
		{"a passed restore with evidence last month passes", []Exercise{restore("2026-05-20", OutcomePassed, 1)}, SignalOK, "EX-001"},
		{"older than the quarter fails", []Exercise{restore("2026-03-01", OutcomePassed, 1)}, SignalFail, "every 3 months"},
		{"without evidence does not count", []Exercise{restore("2026-06-01", OutcomePassed)}, SignalFail, "no evidence"},
		{"a failed restore does not count", []Exercise{restore("2026-06-01", OutcomeFailed, 1)}, SignalFail, "outcome failed"},
		{"a later failure outweighs an earlier pass", []Exercise{restore("2026-05-01", OutcomePassed, 1), restore("2026-05-25", OutcomeFailed, 2)}, SignalFail, "a later one must pass"},
		{"a pass after a failure counts", []Exercise{restore("2026-05-01", OutcomeFailed, 1), restore("2026-05-25", OutcomePassed, 2)}, SignalOK, "passed on 2026-05-25"},
		{"a tabletop does not show a restore", []Exercise{{Key: "EX-001", Kind: ExerciseTabletop, Date: "2026-06-01", Outcome: OutcomePassed, EvidenceIDs: []int64{1}}}, SignalFail, "no backup restore test"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := ExerciseSignals(c.es, rules, incNow)["BC-02"][0]
			if s.Status != c.status || !strings.Contains(s.Reason, c.reason) || s.Operating != (c.status == SignalOK) {
				t.Fatalf("got %+v", s)
			}
		})
	}
	// The cadence is the organization's: yearly restore tests make the
	// March one count.
	rules.RestoreMonths = 12
	if s := ExerciseSignals([]Exercise{restore("2026-03-01", OutcomePassed, 1)}, rules, incNow)["BC-02"][0]; s.Status != SignalOK {
		t.Fatalf("a yearly cadence: %+v", s)
	}
	out := ExerciseSignals(nil, rules, incNow)
	if out["IR-03"][0].Status != SignalFail || out["BC-04"][0].Status != SignalFail {
		t.Fatalf("no tabletop, no DR exercise: %+v", out)
	}
}
