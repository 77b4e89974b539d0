package store

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
)

// TestIncidentsStore walks an incident's life on both engines: opened
// (idempotently on its dedup key), a timeline entry, a notification owed
// and sent, forward-only status with the root cause, the review with an
// action, closure; each refusal writes nothing.
func TestIncidentsStore(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		owner, _, member := exceptionUsers(t, s)
		mem := vigil.ActorFrom(member).UserID
		sys := &vigil.System{Name: "api", Kind: "service", Classification: "internal", Environment: "production"}
		if err := s.CreateSystem(owner, sys); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Second)
		x := &vigil.Incident{Title: "Checkout down", Severity: vigil.SEV2, DetectedAt: now.Add(-2 * time.Hour), DeclaredAt: now.Add(-time.Hour),
			Systems: []int64{sys.ID}, DedupKey: "alert-42"}
		if err := x.Validate(now); err != nil {
			t.Fatal(err)
		}
		created, err := s.OpenIncident(member, x, "Declared")
		if err != nil || !created || x.Key != "INC-001" || len(x.Events) != 1 {
			t.Fatalf("open: %+v %v %v", x, created, err)
		}
		again := &vigil.Incident{Title: "Checkout down (retry)", Severity: vigil.SEV2, DedupKey: "alert-42"}
		if err := again.Validate(now); err != nil {
			t.Fatal(err)
		}
		if created, err := s.OpenIncident(member, again, "Declared"); err != nil || created || again.ID != x.ID || again.Title != "Checkout down" {
			t.Fatalf("a retry with the same dedup key opened another: %+v %v %v", again, created, err)
		}
		bad := &vigil.Incident{Title: "x", Severity: vigil.SEV3, Systems: []int64{999}}
		_ = bad.Validate(now)
		if _, err := s.OpenIncident(member, bad, "Declared"); vigil.ErrorField(err) != "systems" {
			t.Fatalf("an unknown system: %v", err)
		}
		if xs, _ := s.Incidents(owner, vigil.IncidentFilter{}); len(xs) != 1 {
			t.Fatalf("a refused incident was written: %d incidents", len(xs))
		}

		if err := s.AddIncidentEvent(member, x.ID, &vigil.IncidentEvent{Text: "Rolled back the deploy", At: now.Add(-30 * time.Minute)}, now); err != nil {
			t.Fatal(err)
		}
		n := &vigil.IncidentNotification{Audience: "customers"}
		if err := s.AddNotification(owner, x.ID, n); err != nil {
			t.Fatal(err)
		}
		if _, err := s.MarkNotificationSent(owner, x.ID, n.ID, now.Add(-3*time.Hour), now); vigil.ErrorField(err) != "sent_at" {
			t.Fatalf("sent before detection: %v", err)
		}
		if got, err := s.MarkNotificationSent(owner, x.ID, n.ID, now, now); err != nil || !got.SentAt.Equal(now) {
			t.Fatalf("sent: %+v %v", got, err)
		}
		resolved := vigil.IncidentResolved
		if _, err := s.UpdateIncident(owner, x.ID, vigil.IncidentPatch{Status: &resolved}, now); vigil.ErrorField(err) != "root_cause" {
			t.Fatalf("resolved without a root cause: %v", err)
		}
		if _, err := s.CloseIncident(owner, x.ID, now); vigil.ErrorField(err) != "status" {
			t.Fatalf("closing an open incident: %v", err)
		}
		rc := "A config change removed the payment provider's key."
		if got, err := s.UpdateIncident(owner, x.ID, vigil.IncidentPatch{Status: &resolved, RootCause: &rc}, now); err != nil || got.Status != vigil.IncidentResolved {
			t.Fatalf("resolve: %+v %v", got, err)
		}
		if _, err := s.CloseIncident(owner, x.ID, now); vigil.ErrorField(err) != "review" {
			t.Fatalf("closing a SEV2 without its review: %v", err)
		}
		acts := []vigil.ReviewAction{{Title: "Check keys in CI", OwnerID: mem, Due: "2030-01-01"}, {Title: "no owner", Due: "2030-01-01"}}
		if _, err := s.AddIncidentReview(owner, x.ID, &vigil.IncidentReview{Summary: "We lacked a check."}, acts, now); vigil.ErrorField(err) != "actions" {
			t.Fatalf("an action without an owner: %v", err)
		}
		if got, _ := s.Incident(owner, x.ID); got.Review != nil || len(got.Actions) != 0 {
			t.Fatalf("a refused review was half written: %+v", got)
		}
		got, err := s.AddIncidentReview(owner, x.ID, &vigil.IncidentReview{Summary: "We lacked a check."}, acts[:1], now)
		if err != nil || got.Review == nil || len(got.Actions) != 1 || got.Actions[0].OwnerName == "" {
			t.Fatalf("review: %+v %v", got, err)
		}
		closed, err := s.CloseIncident(owner, x.ID, now)
		if err != nil || closed.Status != vigil.IncidentClosed {
			t.Fatalf("close: %+v %v", closed, err)
		}
		if err := s.AddIncidentEvent(member, x.ID, &vigil.IncidentEvent{Text: "late"}, now); vigil.ErrorCode(err) != vigil.ECONFLICT {
			t.Fatalf("a timeline entry after closure: %v", err)
		}
		full, err := s.Incident(owner, x.ID)
		if err != nil || len(full.Events) != 6 || len(full.Systems) != 1 || full.Notifications[0].SentAt.IsZero() || full.Review == nil || full.ClosedAt.IsZero() {
			t.Fatalf("read back: %+v %v", full, err)
		}
		// After closure the same alert opens a new incident.
		next := &vigil.Incident{Title: "Checkout down again", Severity: vigil.SEV3, DedupKey: "alert-42"}
		_ = next.Validate(now)
		if created, err := s.OpenIncident(member, next, "Declared"); err != nil || !created || next.Key != "INC-002" {
			t.Fatalf("after closure: %+v %v %v", next, created, err)
		}
		if xs, err := s.Incidents(owner, vigil.IncidentFilter{Status: "open", Query: "again"}); err != nil || len(xs) != 1 || xs[0].Key != "INC-002" {
			t.Fatalf("filter: %+v %v", xs, err)
		}
		all, err := s.AllIncidents(owner)
		if err != nil || len(all) != 2 || len(all[0].Events) != 6 || len(all[1].Events) != 1 {
			t.Fatalf("all: %+v %v", all, err)
		}
		acts2, err := s.ListActivity(owner, vigil.ActivityFilter{Action: "incident.", Limit: 100})
		if err != nil || len(acts2) < 8 {
			t.Fatalf("activity: %d %v", len(acts2), err)
		}

		// Rules and exercises.
		if r, err := s.IncidentRules(owner); err != nil || r != vigil.DefaultIncidentRules {
			t.Fatalf("default rules: %+v %v", r, err)
		}
		if err := s.SetIncidentRules(owner, vigil.IncidentRules{ReviewDays: 7, TabletopMonths: 12, DRMonths: 12, RestoreMonths: 0}); vigil.ErrorField(err) != "restore_months" {
			t.Fatalf("restore every 0 months: %v", err)
		}
		if err := s.SetIncidentRules(owner, vigil.IncidentRules{ReviewDays: 7, TabletopMonths: 12, DRMonths: 6, RestoreMonths: 1}); err != nil {
			t.Fatal(err)
		}
		if r, _ := s.IncidentRules(owner); r.DRMonths != 6 || r.ReviewDays != 7 {
			t.Fatalf("rules: %+v", r)
		}
		e := &vigil.Exercise{Kind: vigil.ExerciseRestore, Scenario: "Restore the main database", Date: vigil.Date(now.Format(time.DateOnly)), Participants: "Ops",
			Tested: "Nightly backup", Results: "Restored in 40 minutes", Outcome: vigil.OutcomePassed, EvidenceIDs: []int64{999}}
		if err := e.Validate(now); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateExercise(owner, e); vigil.ErrorField(err) != "evidence_ids" || !strings.Contains(err.Error(), "999") {
			t.Fatalf("unknown evidence: %v", err)
		}
		e.EvidenceIDs = nil
		if err := s.CreateExercise(owner, e); err != nil || e.Key != "EX-001" {
			t.Fatalf("exercise: %+v %v", e, err)
		}
		es, err := s.Exercises(owner)
		if err != nil || len(es) != 1 || es[0].Results != "Restored in 40 minutes" || es[0].Date != e.Date {
			t.Fatalf("exercises: %+v %v", es, err)
		}
	})
}
