package vigil

import (
	"strings"
	"testing"
	"time"
)

var riskNow = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

func goodRisk() Risk {
	return Risk{ID: 1, Key: "RISK-001", Title: "Phished credentials", Category: RiskSecurity, OwnerID: 7, OwnerName: "Olive",
		Likelihood: 4, Impact: 4, ResidualLikelihood: 2, ResidualImpact: 3, Treatment: TreatMitigate, ReviewDate: "2026-12-01"}
}

func TestRiskValidateNamesTheField(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(r *Risk)
		field string
	}{
		{"no title", func(r *Risk) { r.Title = "  " }, "title"},
		{"title over two lines", func(r *Risk) { r.Title = "a\nb" }, "title"},
		{"likelihood above the scale", func(r *Risk) { r.Likelihood = 6 }, "likelihood"},
		{"likelihood zero", func(r *Risk) { r.Likelihood = 0 }, "likelihood"},
		{"impact below the scale", func(r *Risk) { r.Impact = -1 }, "impact"},
		{"residual impact alone", func(r *Risk) { r.ResidualLikelihood, r.ResidualImpact = 0, 2 }, "residual_likelihood"},
		{"residual above inherent", func(r *Risk) { r.ResidualLikelihood = 5 }, "residual_likelihood"},
		{"residual impact above inherent", func(r *Risk) { r.Impact, r.ResidualImpact = 2, 3 }, "residual_impact"},
		{"unknown treatment", func(r *Risk) { r.Treatment = "ignore" }, "treatment"},
		{"unknown category", func(r *Risk) { r.Category = "weather" }, "category"},
		{"bad review date", func(r *Risk) { r.ReviewDate = "2026-13-01" }, "review_date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := goodRisk()
			tc.edit(&r)
			if err := r.Validate(DefaultRiskScale); ErrorField(err) != tc.field {
				t.Fatalf("got %v (field %q), want field %q", err, ErrorField(err), tc.field)
			}
		})
	}
	r := goodRisk()
	r.Controls = []string{"ac-03", "AC-03", " "}
	if err := r.Validate(DefaultRiskScale); err != nil || len(r.Controls) != 1 || r.Controls[0] != "AC-03" {
		t.Fatalf("a good risk: %v %v", err, r.Controls)
	}
}

func TestRiskAcceptance(t *testing.T) {
	t.Run("request is refused without approver, with the owner, without or with a past expiry", func(t *testing.T) {
		for _, tc := range []struct {
			approver int64
			expires  Date
			field    string
		}{
			{0, "2026-12-31", "approver_id"},
			{7, "2026-12-31", "approver_id"}, // the owner
			{8, "", "acceptance_expires"},
			{8, "2026-06-15", "acceptance_expires"}, // today
			{8, "2026-01-01", "acceptance_expires"},
			{8, "2030-01-01", "acceptance_expires"}, // over three years
			{8, "31/12/2026", "acceptance_expires"},
		} {
			r := goodRisk()
			if err := r.RequestAcceptance(tc.approver, tc.expires, "", riskNow); ErrorField(err) != tc.field {
				t.Errorf("approver %d expiry %q: %v, want field %s", tc.approver, tc.expires, err, tc.field)
			}
		}
	})
	r := goodRisk()
	if err := r.RequestAcceptance(8, "2026-12-31", "cost of fix exceeds loss", riskNow); err != nil {
		t.Fatal(err)
	}
	if st := r.AcceptanceAt(riskNow); st != AcceptancePending {
		t.Fatalf("after the request: %q", st)
	}
	owner, other, approver := Actor{UserID: 7, Role: RoleOwner}, Actor{UserID: 9, Role: RoleOwner}, Actor{UserID: 8, Role: RoleMember}
	if err := owner.ApproveAcceptance(&r, riskNow); ErrorCode(err) != EFORBIDDEN || !strings.Contains(err.Error(), "owner") {
		t.Fatalf("the owner approves: %v", err)
	}
	if err := other.ApproveAcceptance(&r, riskNow); ErrorCode(err) != EFORBIDDEN {
		t.Fatalf("someone not named approves: %v", err)
	}
	if err := approver.ApproveAcceptance(&r, riskNow); err != nil || r.AcceptanceAt(riskNow) != AcceptanceApproved {
		t.Fatalf("the approver approves: %v %q", err, r.AcceptanceAt(riskNow))
	}
	if err := approver.ApproveAcceptance(&r, riskNow); ErrorCode(err) != ECONFLICT {
		t.Fatalf("approved twice: %v", err)
	}
	if st := r.AcceptanceAt(time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)); st != AcceptanceExpired {
		t.Fatalf("on its expiry day: %q", st)
	}
	// Rescored, an approved acceptance awaits its approver again.
	rescored := r
	if err := (&RiskPatch{Impact: ptr(5)}).Apply(&rescored, riskNow); err != nil || rescored.AcceptanceAt(riskNow) != AcceptancePending {
		t.Fatalf("rescored after approval: %v %q", err, rescored.AcceptanceAt(riskNow))
	}
	plan := "insure"
	if err := (&RiskPatch{TreatmentPlan: &plan}).Apply(&r, riskNow); err != nil || r.AcceptanceAt(riskNow) != AcceptanceApproved {
		t.Fatalf("a new plan voided the approval: %v", err)
	}
	// A patch cannot make a risk accepted, nor its approver its owner.
	p := RiskPatch{OwnerID: ptr(int64(8))}
	if err := p.Apply(&r, riskNow); ErrorField(err) != "owner_id" {
		t.Fatalf("the approver made owner: %v", err)
	}
	r2 := goodRisk()
	accept := TreatAccept
	if err := (&RiskPatch{Treatment: &accept}).Apply(&r2, riskNow); ErrorField(err) != "treatment" {
		t.Fatalf("accepted by patch: %v", err)
	}
	past := Date("2026-06-01")
	if err := (&RiskPatch{ReviewDate: &past}).Apply(&r2, riskNow); ErrorField(err) != "review_date" {
		t.Fatalf("review date in the past: %v", err)
	}
	far := Date("2036-06-01")
	if err := (&RiskPatch{ReviewDate: &far}).Apply(&r2, riskNow); ErrorField(err) != "review_date" {
		t.Fatalf("review date ten years out: %v", err)
	}
	// Leaving accept for mitigate clears the acceptance.
	mit := TreatMitigate
	if err := (&RiskPatch{Treatment: &mit}).Apply(&r, riskNow); err != nil || r.ApproverID != 0 || r.AcceptedAt != nil {
		t.Fatalf("acceptance left behind: %v %+v", err, r)
	}
}

func ptr[T any](v T) *T { return &v }

func TestHeatMapAndFilter(t *testing.T) {
	a, b, c := goodRisk(), goodRisk(), goodRisk()
	b.Likelihood, b.Impact, b.ResidualLikelihood, b.ResidualImpact = 1, 5, 0, 0
	c.Category = RiskFraud
	rs := []Risk{a, b, c}
	h := NewHeatMap(rs, DefaultRiskScale, false)
	if h.Counts[3][3] != 2 || h.Counts[0][4] != 1 || h.Unscored != 0 {
		t.Fatalf("inherent: %v", h.Counts)
	}
	h = NewHeatMap(rs, DefaultRiskScale, true)
	if h.Counts[1][2] != 2 || h.Unscored != 1 {
		t.Fatalf("residual: %v unscored %d", h.Counts, h.Unscored)
	}
	f := RiskFilter{Likelihood: 2, Impact: 3, Residual: true, Category: RiskFraud}
	n := 0
	for i := range rs {
		if f.Match(&rs[i]) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the residual cell 2×3 of fraud risks: %d, want 1", n)
	}
	if DefaultRiskScale.Band(16) != "critical" || DefaultRiskScale.Band(10) != "high" || DefaultRiskScale.Band(6) != "medium" || DefaultRiskScale.Band(4) != "low" {
		t.Fatal("bands")
	}
}

func signed(key string, on Date, months int, reg ...RiskSnapshot) RiskAssessment {
	at := on.Time()
	return RiskAssessment{ID: int64(len(key)), Key: key, PerformedOn: on, Months: months, NextDue: Date(at.AddDate(0, months, 0).Format(time.DateOnly)),
		Register: reg, SignedAt: &at, SignedByName: "Olive", EvidenceID: 3}
}

func statusOf(t *testing.T, sigs map[string][]Signal, ctl string) Signal {
	t.Helper()
	if len(sigs[ctl]) != 1 {
		t.Fatalf("%s: %d signals, want 1: %+v", ctl, len(sigs[ctl]), sigs[ctl])
	}
	return sigs[ctl][0]
}

func TestRiskSignals(t *testing.T) {
	fraud := RiskSnapshot{Key: "RISK-002", Category: RiskFraud, Likelihood: 3, Impact: 4}
	sec := RiskSnapshot{Key: "RISK-001", Category: RiskSecurity, Likelihood: 3, Impact: 4}
	ok := goodRisk()

	t.Run("nothing recorded is never a pass", func(t *testing.T) {
		sigs := RiskSignals(nil, nil, riskNow)
		for _, ctl := range RiskControls {
			if s := statusOf(t, sigs, ctl); s.Status != SignalUnknown || s.Operating {
				t.Errorf("%s with nothing: %+v", ctl, s)
			}
		}
	})
	t.Run("a current signed assessment with a fraud risk operates RA-01 and RA-02", func(t *testing.T) {
		sigs := RiskSignals([]Risk{ok}, []RiskAssessment{signed("RA-2026-1", "2026-03-01", 12, sec, fraud)}, riskNow)
		for _, ctl := range RiskControls {
			if s := statusOf(t, sigs, ctl); s.Status != SignalOK || !s.Operating {
				t.Errorf("%s: %+v", ctl, s)
			}
		}
	})
	t.Run("an overdue assessment fails RA-01 and RA-02 is unknown", func(t *testing.T) {
		sigs := RiskSignals([]Risk{ok}, []RiskAssessment{signed("RA-2025-1", "2025-06-01", 12, fraud)}, riskNow)
		if s := statusOf(t, sigs, RiskAssessmentControl); s.Status != SignalFail || !strings.Contains(s.Reason, "due again on 2026-06-01") {
			t.Errorf("RA-01: %+v", s)
		}
		if s := statusOf(t, sigs, FraudRiskControl); s.Status != SignalUnknown {
			t.Errorf("RA-02: %+v", s)
		}
	})
	t.Run("an unsigned or unsealed assessment does not count", func(t *testing.T) {
		draft := signed("RA-2026-1", "2026-03-01", 12, fraud)
		draft.SignedAt = nil
		unsealed := signed("RA-2026-2", "2026-03-02", 12, fraud)
		unsealed.EvidenceID = 0
		sigs := RiskSignals([]Risk{ok}, []RiskAssessment{draft, unsealed}, riskNow)
		if s := statusOf(t, sigs, RiskAssessmentControl); s.Status != SignalUnknown || !strings.Contains(s.Reason, "not sealed") {
			t.Errorf("RA-01: %+v", s)
		}
	})
	t.Run("due within 30 days warns and still operates", func(t *testing.T) {
		sigs := RiskSignals([]Risk{ok}, []RiskAssessment{signed("RA-2025-1", "2025-07-01", 12, fraud)}, riskNow)
		if s := statusOf(t, sigs, RiskAssessmentControl); s.Status != SignalWarn || !s.Operating {
			t.Errorf("RA-01: %+v", s)
		}
	})
	t.Run("an assessment without a fraud risk fails RA-02; a fraud risk added after it does not help", func(t *testing.T) {
		later := goodRisk()
		later.Category = RiskFraud
		sigs := RiskSignals([]Risk{ok, later}, []RiskAssessment{signed("RA-2026-1", "2026-03-01", 12, sec)}, riskNow)
		if s := statusOf(t, sigs, FraudRiskControl); s.Status != SignalFail {
			t.Errorf("RA-02: %+v", s)
		}
	})
	t.Run("RA-03 names each problem, and a compliant register passes", func(t *testing.T) {
		noOwner, noTreat, pastReview, expired, pending, disabled, farReview := ok, ok, ok, ok, ok, ok, ok
		farReview.Key, farReview.ReviewDate = "RISK-016", "9999-12-31"
		noOwner.Key, noOwner.OwnerID = "RISK-010", 0
		noTreat.Key, noTreat.Treatment = "RISK-011", ""
		pastReview.Key, pastReview.ReviewDate = "RISK-012", "2026-06-14"
		expired.Key, expired.Treatment, expired.ApproverID, expired.AcceptanceExpires = "RISK-013", TreatAccept, 8, "2026-06-15"
		at := riskNow.AddDate(0, -1, 0)
		expired.AcceptedAt = &at
		pending.Key, pending.Treatment, pending.ApproverID, pending.AcceptanceExpires = "RISK-014", TreatAccept, 8, "2026-12-01"
		disabled.Key, disabled.OwnerDisabled = "RISK-015", true
		for _, r := range []Risk{noOwner, noTreat, pastReview, expired, pending, disabled, farReview} {
			s := statusOf(t, RiskSignals([]Risk{ok, r}, nil, riskNow), RiskRegisterControl)
			if s.Status != SignalFail || s.Operating || !strings.Contains(s.Reason, r.Key) {
				t.Errorf("%s: %+v", r.Key, s)
			}
		}
		approved := pending
		approved.AcceptedAt = &at
		todayReview := ok
		todayReview.ReviewDate = "2026-06-15"
		s := statusOf(t, RiskSignals([]Risk{ok, approved, todayReview}, nil, riskNow), RiskRegisterControl)
		if s.Status != SignalOK || !s.Operating {
			t.Errorf("a compliant register: %+v", s)
		}
	})
}

func TestAssessmentValidate(t *testing.T) {
	for _, tc := range []struct {
		a     RiskAssessment
		field string
	}{
		{RiskAssessment{Participants: []string{"Olive"}}, "method"},
		{RiskAssessment{Method: "workshop"}, "participants"},
		{RiskAssessment{Method: "workshop", Participants: []string{"Olive"}, Months: 30}, "months"},
		{RiskAssessment{Method: "workshop", Participants: []string{"Olive"}, PerformedOn: "2026-07-01"}, "performed_on"},
		{RiskAssessment{Method: "workshop", Participants: []string{"Olive"}, PerformedOn: "2025-01-01"}, "performed_on"},
	} {
		if err := tc.a.Validate(riskNow); ErrorField(err) != tc.field {
			t.Errorf("%+v: %v, want field %s", tc.a, err, tc.field)
		}
	}
	a := RiskAssessment{Method: "workshop", Participants: []string{" Olive ", "Olive", "Mia"}, PerformedOn: "2026-06-01", Months: 6}
	if err := a.Validate(riskNow); err != nil || a.NextDue != "2026-12-01" || len(a.Participants) != 2 {
		t.Fatalf("%v %+v", err, a)
	}
}
