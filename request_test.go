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
	items := []ItemSpan{{ID: 1, EffectiveStart: "2026-02-10", EffectiveEnd: "2026-02-10"}, {ID: 2, EffectiveStart: "2026-08-01", EffectiveEnd: "2026-08-01"}}
	ps := r.Periods(items, now)
	var got []string
	for _, p := range ps {
		got = append(got, string(p.Start)+":"+p.Status)
	}
	want := "2026-01-01:fresh 2026-04-01:missing 2026-07-01:fresh 2026-10-01:open"
	if strings.Join(got, " ") != want {
		t.Fatalf("periods %v, want %s", got, want)
	}
	sig := r.RequestSignal(ps)
	if sig.Status != SignalFail || !strings.Contains(sig.Reason, "missing for 2026-04-01 to 2026-06-30") {
		t.Fatalf("signal %+v", sig)
	}
	// The latest past period without evidence is overdue; inside its grace
	// days it is due soon.
	items = append(items, ItemSpan{ID: 3, EffectiveStart: "2026-05-01", EffectiveEnd: "2026-05-01"})
	m := &EvidenceRequest{ControlID: "VU-01", Title: "scan", Frequency: RequestMonthly, Start: "2026-09-01", GraceDays: 3}
	ps = m.Periods([]ItemSpan{{ID: 9, EffectiveStart: "2026-09-15", EffectiveEnd: "2026-09-15"}}, now.AddDate(0, 0, 6))
	if ps[1].Status != PeriodOverdue || ps[2].Status != PeriodDueSoon {
		t.Fatalf("monthly periods %+v", ps)
	}
	if s := m.RequestSignal(ps); s.Status != SignalFail || !strings.Contains(s.Reason, "overdue for 2026-10-01") {
		t.Fatalf("monthly signal %+v", s)
	}
	// All fresh is OK; an event request with nothing yet is a warning.
	ok := &EvidenceRequest{ControlID: "GV-01", Title: "policy", Frequency: RequestOnce, Start: "2026-01-01"}
	if s := ok.RequestSignal(ok.Periods(items, now)); s.Status != SignalOK {
		t.Fatalf("once with evidence: %+v", s)
	}
	ev := &EvidenceRequest{ControlID: "IR-01", Title: "incident ticket", Frequency: RequestEvent, Start: "2026-01-01"}
	if s := ev.RequestSignal(ev.Periods(nil, now)); s.Status != SignalWarn {
		t.Fatalf("event without evidence: %+v", s)
	}
	bad := &EvidenceRequest{Title: "x", Frequency: "hourly", Start: "2026-01-01"}
	if ErrorField(bad.Validate()) != "frequency" {
		t.Fatal("hourly accepted")
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
