package vigil_test

import (
	"slices"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
)

// Who is reminded: in scope, working here, something pending (of the
// named policy, when one is named), not reminded within the gap, not
// being reminded by another sender; a failed reminder, or one cut short
// long ago, does not count as sent.
func TestAckRemindersDue(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	reqs := []vigil.AckRequirement{
		{PolicyID: 1, Key: "POL-1", Number: 1, Current: 1, Since: now.AddDate(0, 0, -40)},
		{PolicyID: 2, Key: "POL-2", Number: 2, Current: 3, Since: now.AddDate(0, 0, -3)},
	}
	people := []vigil.Person{
		{Email: "done@x", InScope: true},                                // acknowledged both
		{Email: "old@x", InScope: true},                                 // acknowledged version 1 of POL-2: pending
		{Email: "new@x", InScope: true},                                 // nothing acknowledged, never reminded
		{Email: "out@x", InScope: false},                                // out of scope
		{Email: "left@x", InScope: true, End: vigil.Date("2026-11-01")}, // left
		{Email: "recent@x", InScope: true},                              // reminded 2 days ago
		{Email: "failed@x", InScope: true},                              // the last one failed
		{Email: "sending@x", InScope: true},                             // another sender at it now
		{Email: "stuck@x", InScope: true},                               // a claim cut short an hour ago
		{Email: "p1done@x", InScope: true},                              // only POL-2 pending
	}
	acks := map[[2]any]*vigil.PolicyAck{
		{int64(1), "done@x"}: {Number: 1}, {int64(2), "done@x"}: {Number: 3},
		{int64(1), "old@x"}: {Number: 1}, {int64(2), "old@x"}: {Number: 1},
		{int64(1), "p1done@x"}: {Number: 1},
	}
	latest := func(id int64, email string) *vigil.PolicyAck { return acks[[2]any{id, email}] }
	rem := func(id int64, st vigil.ReminderState, ago time.Duration) *vigil.Reminder {
		return &vigil.Reminder{ID: id, State: st, At: now.Add(-ago)}
	}
	last := map[string]vigil.LastReminders{
		"recent@x":  {Newest: rem(5, vigil.ReminderSent, 48*time.Hour), Sent: rem(5, vigil.ReminderSent, 48*time.Hour)},
		"failed@x":  {Newest: rem(7, vigil.ReminderFailed, time.Hour), Sent: rem(6, vigil.ReminderSent, 9*24*time.Hour)},
		"sending@x": {Newest: rem(8, vigil.ReminderSending, time.Minute)},
		"stuck@x":   {Newest: rem(9, vigil.ReminderSending, time.Hour)},
	}
	emails := func(rs []vigil.AckReminder) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Email)
		}
		return out
	}
	got := vigil.AckRemindersDue(reqs, people, latest, last, 0, vigil.DefaultReminderEvery, now)
	want := []string{"old@x", "new@x", "failed@x", "stuck@x", "p1done@x"}
	if !slices.Equal(emails(got), want) {
		t.Fatalf("due: %v, want %v", emails(got), want)
	}
	for _, r := range got {
		switch r.Email {
		case "new@x":
			if len(r.Policies) != 2 || r.Policies[0].State != vigil.AckOverdue || r.Policies[1].State != vigil.AckDue || r.After != 0 {
				t.Errorf("new@x: %+v", r)
			}
		case "failed@x":
			if r.After != 7 {
				t.Errorf("a retry follows the failed reminder: after %d", r.After)
			}
		case "p1done@x":
			if len(r.Policies) != 1 || r.Policies[0].Key != "POL-2" || !slices.Equal(r.Items(), []string{"POL-2 v3"}) {
				t.Errorf("p1done@x: %+v", r)
			}
		}
	}
	// Naming POL-1: only those with POL-1 pending, each still told of all.
	got = vigil.AckRemindersDue(reqs, people, latest, last, 1, vigil.ManualReminderGap, now)
	if want := []string{"new@x", "recent@x", "failed@x", "stuck@x"}; !slices.Equal(emails(got), want) {
		t.Fatalf("due for POL-1 by hand: %v, want %v", emails(got), want)
	}
	if len(got[0].Policies) != 2 {
		t.Errorf("the digest lists every pending policy: %+v", got[0])
	}
}
