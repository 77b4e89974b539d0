package vigil

import (
	"strings"
	"testing"
	"time"
)

func TestVendorValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		v     Vendor
		field string
	}{
		{"name required", Vendor{Name: "  "}, "name"},
		{"name one line", Vendor{Name: "a\nb"}, "name"},
		{"unknown tier", Vendor{Name: "A", Tier: "urgent"}, "tier"},
		{"unknown data category", Vendor{Name: "A", DataShared: []DataCategory{"secrets"}}, "data_shared"},
		{"none with categories", Vendor{Name: "A", DataShared: []DataCategory{"none", "personal_data"}}, "data_shared"},
		{"bad status", Vendor{Name: "A", Status: "gone"}, "status"},
		{"bad date", Vendor{Name: "A", ContractStart: "2026-13-01"}, "contract_start"},
		{"ends before start", Vendor{Name: "A", ContractStart: "2026-02-01", ContractEnd: "2026-01-01"}, "contract_end"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.v.Validate(); ErrorField(err) != tc.field {
				t.Fatalf("error %v, want one naming %s", err, tc.field)
			}
		})
	}
	// An imported vendor may lack owner, tier and data: VM-01 names it.
	v := Vendor{Name: " Acme ", DataShared: []DataCategory{"Personal_Data", "internal", "internal"}}
	if err := v.Validate(); err != nil {
		t.Fatal(err)
	}
	if v.Name != "Acme" || v.Status != VendorOnboarding || len(v.DataShared) != 2 || v.DataShared[0] != DataInternal {
		t.Fatalf("normalized: %+v", v)
	}
	if g := v.InventoryGaps(); len(g) != 2 || g[0] != "no owner" || g[1] != "no tier" {
		t.Fatalf("gaps: %v", g)
	}
}

func TestDocumentExpiry(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		d    VendorDocument
		want ExpiryState
	}{
		{VendorDocument{Kind: DocSOC2, PeriodEnd: "2025-12-31"}, ExpiryCurrent},
		{VendorDocument{Kind: DocSOC2, PeriodEnd: "2025-07-15"}, ExpiryExpiring},
		{VendorDocument{Kind: DocSOC2, PeriodEnd: "2025-05-31"}, ExpiryExpired},
		{VendorDocument{Kind: DocISO27001, Expires: "2026-06-01"}, ExpiryExpiring},
		{VendorDocument{Kind: DocISO27001, Expires: "2026-05-31"}, ExpiryExpired},
		{VendorDocument{Kind: DocDPA}, ExpiryNone},
	} {
		if got := tc.d.ExpiryAt(now); got != tc.want {
			t.Errorf("%s %s%s: %s, want %s", tc.d.Kind, tc.d.PeriodEnd, tc.d.Expires, got, tc.want)
		}
	}
	bad := VendorDocument{Kind: DocSOC2, PeriodEnd: "2025-12-31", ReportType: "type2", Opinion: "great"}
	if err := bad.Validate(); ErrorField(err) != "opinion" {
		t.Fatalf("a made-up opinion: %v", err)
	}
	now = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		d     VendorDocument
		field string
	}{
		{VendorDocument{Kind: DocSOC2, PeriodEnd: "2036-06-30"}, "period_end"},
		{VendorDocument{Kind: DocISO27001, Expires: "2099-01-01"}, "expires"},
		{VendorDocument{Kind: DocBridgeLetter, Expires: "2028-01-01"}, "expires"},
	} {
		if err := c.d.CheckDates(now); ErrorField(err) != c.field {
			t.Errorf("%s with %s%s: %v", c.d.Kind, c.d.PeriodEnd, c.d.Expires, err)
		}
	}
	for _, ok := range []VendorDocument{{Kind: DocSOC2, PeriodEnd: "2026-03-31"}, {Kind: DocISO27001, Expires: "2029-05-01"}, {Kind: DocBridgeLetter, Expires: "2026-09-30"}, {Kind: DocDPA}} {
		if err := ok.CheckDates(now); err != nil {
			t.Errorf("a plausible %s refused: %v", ok.Kind, err)
		}
	}
	iso := VendorDocument{Kind: DocISO27001}
	if err := iso.Validate(); ErrorField(err) != "expires" {
		t.Fatalf("a certificate without expiry: %v", err)
	}
}

func TestScoreAnswers(t *testing.T) {
	qs := []VendorQuestion{{ID: "a", Expected: "yes"}, {ID: "b", Expected: "no"}, {ID: "c", Expected: "yes"}, {ID: "d", Expected: "yes"}}
	score, _, err := ScoreAnswers(qs, []Answer{{QuestionID: "a", Value: "yes"}, {QuestionID: "b", Value: "no"}, {QuestionID: "c", Value: "na"}, {QuestionID: "d", Value: "NO"}})
	if err != nil || score != 50 {
		t.Fatalf("score %d %v, want 50 (na never scores)", score, err)
	}
	if _, _, err := ScoreAnswers(qs, []Answer{{QuestionID: "a", Value: "yes"}}); ErrorField(err) != "q-b" {
		t.Fatalf("an unanswered question: %v", err)
	}
	if _, _, err := ScoreAnswers(qs[:1], []Answer{{QuestionID: "a", Value: "maybe"}}); ErrorField(err) != "q-a" {
		t.Fatalf("a made-up answer: %v", err)
	}
}

func TestVendorReviewCadence(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	at := func(d string) *time.Time { x, _ := time.Parse(time.DateOnly, d); return &x }
	v := Vendor{Tier: TierCritical, Status: VendorActive}
	docs := []VendorDocument{{Kind: DocSOC2, Conclusion: ConclusionAcceptable, ReviewedAt: at("2025-05-01")}}
	if r := v.ReviewAt(docs, nil, now); r.State != "overdue" {
		t.Fatalf("a critical vendor reviewed 13 months ago: %+v", r)
	}
	v.Tier = TierHigh
	if r := v.ReviewAt(docs, nil, now); r.State != "current" {
		t.Fatalf("a high vendor reviewed 13 months ago: %+v", r)
	}
	// A contract reviewed since is not a reassessment.
	v.Tier = TierCritical
	if r := v.ReviewAt(append(docs, VendorDocument{Kind: DocDPA, Conclusion: ConclusionAcceptable, ReviewedAt: at("2026-05-01")}), nil, now); r.State != "overdue" {
		t.Fatalf("a DPA review counted as the vendor's reassessment: %+v", r)
	}
	// An unacceptable review is no review.
	v.Tier = TierCritical
	if r := v.ReviewAt(nil, []Questionnaire{{Conclusion: ConclusionUnacceptable, ReviewedAt: at("2026-05-01")}}, now); r.State != "never" {
		t.Fatalf("rejected only: %+v", r)
	}
	if r := v.ReviewAt(nil, []Questionnaire{{Conclusion: ConclusionConditions, ReviewedAt: at("2025-07-01")}}, now); r.State != "due" {
		t.Fatalf("due within 60 days: %+v", r)
	}
	v.Tier = TierLow
	if r := v.ReviewAt(nil, nil, now); r.State != "not_required" {
		t.Fatalf("low tier: %+v", r)
	}
}

func vendorStatusOf(t *testing.T, m map[string][]Signal, ctl string) (SignalStatus, string) {
	t.Helper()
	ss := m[ctl]
	if len(ss) == 0 {
		t.Fatalf("no signal for %s", ctl)
	}
	h := ComputeHealth(ss)
	var rs []string
	for _, s := range h.Signals {
		rs = append(rs, s.Reason)
	}
	switch h.State {
	case HealthHealthy:
		return SignalOK, strings.Join(rs, "; ")
	case HealthAtRisk:
		return SignalWarn, strings.Join(rs, "; ")
	case HealthUnknown:
		return SignalUnknown, strings.Join(rs, "; ")
	}
	return SignalFail, strings.Join(rs, "; ")
}

// compliant is a critical vendor with everything in order: the look-alike
// each planted problem below differs from by one thing.
func compliant(now time.Time) VendorRecords {
	rev := now.AddDate(0, -2, 0)
	v := Vendor{ID: 1, Name: "Cloudy", OwnerID: 1, Tier: TierCritical, DataShared: []DataCategory{DataPersonal}, Status: VendorActive}
	return VendorRecords{
		Vendors: []Vendor{v},
		Documents: map[int64][]VendorDocument{1: {
			{ID: 1, VendorID: 1, Kind: DocSOC2, Title: "SOC 2 2026", PeriodEnd: Date(now.AddDate(0, -3, 0).Format(time.DateOnly)), ReportType: "type2", Opinion: "unqualified",
				CUECs: []CUEC{{Text: "Customers review access", Controls: []string{"AC-04"}}}, Conclusion: ConclusionAcceptable, ReviewedAt: &rev},
			{ID: 2, VendorID: 1, Kind: DocDPA, Title: "DPA", Conclusion: ConclusionAcceptable, ReviewedAt: &rev},
		}},
		Questionnaires: map[int64][]Questionnaire{},
	}
}

func TestVendorSignals(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, ctl := range []string{"VM-01", "VM-02", "VM-03", "VM-04"} {
		if st, why := vendorStatusOf(t, VendorSignals(compliant(now), now), ctl); st != SignalOK {
			t.Errorf("the compliant vendor: %s is %s (%s)", ctl, st, why)
		}
	}
	for _, ctl := range []string{"VM-01", "VM-02", "VM-03", "VM-04"} {
		if st, _ := vendorStatusOf(t, VendorSignals(VendorRecords{}, now), ctl); st != SignalUnknown {
			t.Errorf("no vendor: %s is %s, want unknown", ctl, st)
		}
	}
	for _, tc := range []struct {
		name  string
		plant func(r *VendorRecords)
		ctl   string
		want  SignalStatus
		why   string
	}{
		{"no owner", func(r *VendorRecords) { r.Vendors[0].OwnerID = 0 }, "VM-01", SignalFail, "no owner"},
		{"no data recorded", func(r *VendorRecords) { r.Vendors[0].DataShared = nil }, "VM-01", SignalFail, "no data shared"},
		{"no data recorded leaves VM-04 unknown", func(r *VendorRecords) { r.Vendors[0].DataShared = nil }, "VM-04", SignalUnknown, "data shared not recorded"},
		{"report unreviewed", func(r *VendorRecords) { r.Documents[1][0].ReviewedAt = nil }, "VM-02", SignalFail, "Cloudy"},
		{"report found unacceptable", func(r *VendorRecords) { r.Documents[1][0].Conclusion = ConclusionUnacceptable }, "VM-02", SignalFail, "Cloudy"},
		{"onboarding vendor not judged by VM-02", func(r *VendorRecords) { r.Vendors[0].Status = VendorOnboarding }, "VM-02", SignalUnknown, "no active vendor"},
		{"report expired", func(r *VendorRecords) {
			r.Documents[1][0].PeriodEnd = Date(now.AddDate(-1, -1, 0).Format(time.DateOnly))
		}, "VM-03", SignalFail, "expired"},
		{"report expiring", func(r *VendorRecords) {
			r.Documents[1][0].PeriodEnd = Date(now.AddDate(-1, 1, 0).Format(time.DateOnly))
		}, "VM-03", SignalWarn, "expires on"},
		{"unmapped CUEC", func(r *VendorRecords) { r.Documents[1][0].CUECs = append(r.Documents[1][0].CUECs, CUEC{Text: "x"}) }, "VM-03", SignalFail, "mapped to no control"},
		{"review overdue", func(r *VendorRecords) { old := now.AddDate(-1, -1, 0); r.Documents[1][0].ReviewedAt = &old }, "VM-03", SignalFail, "overdue"},
		{"untiered vendor", func(r *VendorRecords) { r.Vendors[0].Tier = "" }, "VM-03", SignalUnknown, "no tier"},
		{"low vendor only", func(r *VendorRecords) { r.Vendors[0].Tier = TierLow }, "VM-03", SignalUnknown, "no critical or high"},
		{"no DPA", func(r *VendorRecords) { r.Documents[1] = r.Documents[1][:1] }, "VM-04", SignalFail, "without a current contract"},
		{"contract ended in the inventory", func(r *VendorRecords) { r.Vendors[0].ContractEnd = Date(now.AddDate(0, 0, -1).Format(time.DateOnly)) }, "VM-04", SignalFail, "after the contract ended"},
		{"contract ends tomorrow is still in force", func(r *VendorRecords) { r.Vendors[0].ContractEnd = Date(now.AddDate(0, 0, 1).Format(time.DateOnly)) }, "VM-04", SignalOK, "reviewed as acceptable"},
		{"DPA on file, never reviewed", func(r *VendorRecords) { r.Documents[1][1].ReviewedAt, r.Documents[1][1].Conclusion = nil, "" }, "VM-04", SignalUnknown, "not yet reviewed"},
		{"DPA found unacceptable", func(r *VendorRecords) { r.Documents[1][1].Conclusion = ConclusionUnacceptable }, "VM-04", SignalFail, "without a current contract"},
		{"DPA expired", func(r *VendorRecords) { r.Documents[1][1].Expires = Date(now.AddDate(0, 0, -1).Format(time.DateOnly)) }, "VM-04", SignalFail, "Cloudy"},
		{"no sensitive data", func(r *VendorRecords) { r.Vendors[0].DataShared = []DataCategory{DataPublic} }, "VM-04", SignalUnknown, "no vendor receives"},
		{"offboarded only", func(r *VendorRecords) { r.Vendors[0].Status = VendorOffboarded }, "VM-01", SignalUnknown, "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := compliant(now)
			tc.plant(&r)
			st, why := vendorStatusOf(t, VendorSignals(r, now), tc.ctl)
			if st != tc.want || !strings.Contains(why, tc.why) {
				t.Fatalf("%s: %s (%s), want %s with %q", tc.ctl, st, why, tc.want, tc.why)
			}
		})
	}
	// A newer report supersedes an expired one: the old one no longer fails.
	r := compliant(now)
	old := r.Documents[1][0]
	old.ID, old.PeriodEnd = 3, Date(now.AddDate(-2, 0, 0).Format(time.DateOnly))
	r.Documents[1] = append(r.Documents[1], old)
	if st, why := vendorStatusOf(t, VendorSignals(r, now), "VM-03"); st != SignalOK {
		t.Fatalf("an old report beside a current one: %s (%s)", st, why)
	}
}

func TestSubprocessors(t *testing.T) {
	got := Subprocessors([]Vendor{{Name: "b", Subprocessor: true, Location: "EU"}, {Name: "A", Subprocessor: true}, {Name: "c"}, {Name: "d", Subprocessor: true, Status: VendorOffboarded}})
	if len(got) != 2 || got[0].Name != "A" || got[1].Location != "EU" {
		t.Fatalf("subprocessors: %+v", got)
	}
}
