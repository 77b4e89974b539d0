package vigil

import (
	"strings"
	"testing"
	"time"
)

func TestRequestPeriods(t *testing.T) {
	now := time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)
	r := &EvidenceRequest{ControlID: "AC-07", Title: "access review", Frequency: RequestQuarterly, Start: "2026-01-01", GraceDays: 14}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	items := []ItemSpan{{ID: 1, EffectiveStart: "2026-02-10", EffectiveEnd: "2026-02-10", Review: ReviewAccepted}, {ID: 2, EffectiveStart: "2026-08-01", EffectiveEnd: "2026-08-01", Review: ReviewAccepted}}
	ps := r.Periods(items, now)
	var got []string
	for _, p := range ps {
		got = append(got, string(p.Start)+":"+p.Status)
	}
	want := "2026-01-01:fresh 2026-04-01:missing 2026-07-01:fresh 2026-10-01:awaiting_evidence"
	if strings.Join(got, " ") != want {
		t.Fatalf("periods %v, want %s", got, want)
	}
	sig := r.RequestSignal(ps, now)
	if sig.Status != SignalFail || !strings.Contains(sig.Reason, "missing for 2026-04-01 to 2026-06-30") {
		t.Fatalf("signal %+v", sig)
	}
	// The latest past period without evidence is overdue; inside its grace
	// days it is due soon.
	items = append(items, ItemSpan{ID: 3, EffectiveStart: "2026-05-01", EffectiveEnd: "2026-05-01", Review: ReviewAccepted})
	m := &EvidenceRequest{ControlID: "VU-01", Title: "scan", Frequency: RequestMonthly, Start: "2026-09-01", GraceDays: 3}
	later := now.AddDate(0, 0, 6)
	ps = m.Periods([]ItemSpan{{ID: 9, EffectiveStart: "2026-09-15", EffectiveEnd: "2026-09-15", Review: ReviewAccepted}}, later)
	if ps[1].Status != PeriodOverdue || ps[2].Status != PeriodDueSoon {
		t.Fatalf("monthly periods %+v", ps)
	}
	if s := m.RequestSignal(ps, later); s.Status != SignalFail || !strings.Contains(s.Reason, "overdue for 2026-10-01") {
		t.Fatalf("monthly signal %+v", s)
	}
	// Accepted evidence for every due period is OK and shows the control
	// operating.
	ok := &EvidenceRequest{ControlID: "GV-01", Title: "policy", Frequency: RequestOnce, Start: "2026-01-01"}
	if s := ok.RequestSignal(ok.Periods(items, now), now); s.Status != SignalOK || !s.Operating {
		t.Fatalf("once with evidence: %+v", s)
	}
	// An event request with nothing yet says nothing either way.
	ev := &EvidenceRequest{ControlID: "IR-01", Title: "incident ticket", Frequency: RequestEvent, Start: "2026-01-01"}
	if s := ev.RequestSignal(ev.Periods(nil, now), now); s.Status != SignalNeutral || s.Operating {
		t.Fatalf("event without evidence: %+v", s)
	}
	bad := &EvidenceRequest{Title: "x", Frequency: "hourly", Start: "2026-01-01"}
	if ErrorField(bad.Validate()) != "frequency" {
		t.Fatal("hourly accepted")
	}
}

// A period that is not yet due and has nothing submitted is awaited, not
// fresh, and its signal shows nothing operating. (It used to be "fresh",
// and the control healthy from its status alone.)
func TestAwaitingEvidenceIsNotFresh(t *testing.T) {
	now := time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)
	r := &EvidenceRequest{ControlID: "AC-07", Title: "access review", Frequency: RequestQuarterly, Start: "2026-10-01", GraceDays: 14}
	ps := r.Periods(nil, now)
	if len(ps) != 1 || ps[0].Status != PeriodAwaiting {
		t.Fatalf("periods %+v, want one awaiting_evidence", ps)
	}
	sig := r.RequestSignal(ps, now)
	if sig.Status != SignalNeutral || sig.Operating || !strings.Contains(sig.Reason, "awaiting evidence") || strings.Contains(sig.Reason, "fresh") {
		t.Fatalf("signal %+v, want neutral awaiting evidence", sig)
	}
	ctl := &Control{ID: "AC-07", Status: StatusImplemented, OwnerID: 1, OwnerName: "o@example.com", OwnerRole: RoleMember}
	h := ComputeHealth(append(ControlSignals(ctl), sig))
	if h.Passing() || h.State != HealthUnknown || !h.NotShown() {
		t.Fatalf("health %+v, want unknown (not shown)", h)
	}
}

// Evidence waiting for its review is not fresh: before the due date it is
// neutral, after it the period is unknown until someone reviews it.
func TestPendingEvidenceAwaitsReview(t *testing.T) {
	r := &EvidenceRequest{ControlID: "AC-07", Title: "access review", Frequency: RequestQuarterly, Start: "2026-10-01", GraceDays: 14}
	pending := []ItemSpan{{ID: 4, EffectiveStart: "2026-11-01", EffectiveEnd: "2026-11-01", Review: ReviewPending}}
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	ps := r.Periods(pending, now)
	if ps[0].Status != PeriodAwaitingReview {
		t.Fatalf("period %+v, want awaiting_review", ps[0])
	}
	if s := r.RequestSignal(ps, now); s.Status != SignalNeutral || s.Operating || !strings.Contains(s.Reason, "awaiting review") {
		t.Fatalf("signal before due %+v", s)
	}
	late := time.Date(2027, 1, 20, 0, 0, 0, 0, time.UTC) // past 2027-01-14
	ps = r.Periods(pending, late)
	if ps[0].Status != PeriodAwaitingReview {
		t.Fatalf("late period %+v", ps[0])
	}
	if s := r.RequestSignal(ps, late); s.Status != SignalUnknown || s.Operating || !strings.Contains(s.Reason, "not yet accepted") {
		t.Fatalf("signal after due %+v, want unknown", s)
	}
	// Once accepted the period is fresh and the control shown operating;
	// the next period, not yet due, is awaited without harming it.
	accepted := []ItemSpan{{ID: 4, EffectiveStart: "2026-11-01", EffectiveEnd: "2026-11-01", Review: ReviewAccepted}}
	ps = r.Periods(accepted, late)
	if ps[0].Status != PeriodFresh || ps[1].Status != PeriodAwaiting {
		t.Fatalf("periods %+v", ps)
	}
	s := r.RequestSignal(ps, late)
	if s.Status != SignalOK || !s.Operating || !strings.Contains(s.Reason, "awaiting evidence for 2027-01-01") {
		t.Fatalf("signal %+v", s)
	}
	ctl := &Control{ID: "AC-07", Status: StatusImplemented, OwnerID: 1, OwnerName: "o@example.com", OwnerRole: RoleMember}
	if h := ComputeHealth(append(ControlSignals(ctl), s)); h.State != HealthHealthy {
		t.Fatalf("health %+v, want healthy", h)
	}
}

func TestEvidenceInput(t *testing.T) {
	for _, bad := range []string{"", "../etc/passwd", "a/b", `a\b`, "..", "ok\x07.txt", "ok\n.txt", strings.Repeat("a", 256), "invoice\u202efdp.exe"} {
		if CheckFilename(bad) == nil {
			t.Errorf("file name %q accepted", bad)
		}
	}
	if CheckFilename("Access review Q3 (final).pdf") != nil {
		t.Error("a normal file name refused")
	}
	if _, err := ParseMediaType("application/x-msdownload"); err == nil {
		t.Error("an executable media type accepted")
	}
	if mt, err := ParseMediaType("text/csv; charset=utf-8"); err != nil || mt != "text/csv" {
		t.Errorf("text/csv: %q %v", mt, err)
	}
	if _, _, err := CheckPeriod("2026-10-02", "2026-10-01"); ErrorField(err) != "effective_end" {
		t.Error("backwards period accepted")
	}
}

// Evidence answers only periods that had begun when it was submitted: an
// accepted item claiming to be effective until 2099 does not make future
// quarters fresh (it made every later quarter "fresh", a false pass).
func TestEvidenceAnswersNoFuturePeriods(t *testing.T) {
	r := &EvidenceRequest{ControlID: "AC-07", Title: "access review", Frequency: RequestQuarterly, Start: "2026-01-01", GraceDays: 14}
	long := []ItemSpan{{ID: 1, EffectiveStart: "2026-01-01", EffectiveEnd: "2099-12-31", Collected: "2026-01-15", Review: ReviewAccepted}}
	now := time.Date(2027, 12, 1, 0, 0, 0, 0, time.UTC)
	ps := r.Periods(long, now)
	if ps[0].Status != PeriodFresh {
		t.Fatalf("the quarter it was submitted in: %+v", ps[0])
	}
	for _, p := range ps[1 : len(ps)-1] {
		if p.Status == PeriodFresh {
			t.Fatalf("period %s answered by evidence submitted before it began", p.Label())
		}
	}
	if s := r.RequestSignal(ps, now); s.Status != SignalFail {
		t.Fatalf("signal %+v, want missing periods", s)
	}
}
