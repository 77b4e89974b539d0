package store

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
)

// TestRiskStore: risks keyed RISK-001.., a batch written whole or not at
// all, references named by field, a patch applied to the row as stored,
// the acceptance approved only by its approver, and an assessment's
// register kept and signed once; each change in the activity log.
func TestRiskStore(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		owner, admin, member := exceptionUsers(t, s)
		ownerID, memID := vigil.ActorFrom(owner).UserID, vigil.ActorFrom(member).UserID
		if _, err := s.AdoptControls(owner, []vigil.Control{ctl("AC-03", "CC6.1"), ctl("RA-01", "CC3.1")}); err != nil {
			t.Fatal(err)
		}
		a := &vigil.Risk{Title: "Phished credentials", Likelihood: 4, Impact: 4, OwnerID: memID, Controls: []string{"AC-03"}}
		b := &vigil.Risk{Title: "Invoice fraud", Category: vigil.RiskFraud, Likelihood: 3, Impact: 4}
		if err := s.CreateRisks(owner, []*vigil.Risk{a, b}); err != nil {
			t.Fatal(err)
		}
		if a.Key != "RISK-001" || b.Key != "RISK-002" {
			t.Fatalf("keys %s %s", a.Key, b.Key)
		}
		// One bad risk in a batch: nothing written.
		bad := []*vigil.Risk{{Title: "ok", Likelihood: 1, Impact: 1}, {Title: "unknown control", Likelihood: 1, Impact: 1, Controls: []string{"NS-01"}}}
		if err := s.CreateRisks(owner, bad); vigil.ErrorField(err) != "controls" || !strings.Contains(err.Error(), "NS-01") {
			t.Fatalf("a control not adopted: %v", err)
		}
		if err := s.CreateRisks(owner, []*vigil.Risk{{Title: "x", Likelihood: 1, Impact: 1, OwnerID: 999}}); vigil.ErrorField(err) != "owner_id" {
			t.Fatalf("an unknown owner: %v", err)
		}
		if err := s.CreateRisks(owner, []*vigil.Risk{{Title: "x", Likelihood: 9, Impact: 1}}); vigil.ErrorField(err) != "likelihood" {
			t.Fatalf("likelihood 9: %v", err)
		}
		rs, err := s.Risks(owner)
		if err != nil || len(rs) != 2 {
			t.Fatalf("after refused batches: %d risks, %v", len(rs), err)
		}
		if rs[0].OwnerName != "The member" || len(rs[0].Controls) != 1 || rs[0].Controls[0] != "AC-03" || len(rs[1].Controls) != 0 {
			t.Fatalf("read back: %+v", rs)
		}

		// Score and link through a patch.
		rl, ri, review := 2, 3, vigil.Date(time.Now().AddDate(0, 2, 0).Format(time.DateOnly))
		ctls := []string{"AC-03", "RA-01"}
		mit := vigil.TreatMitigate
		p := &vigil.RiskPatch{ResidualLikelihood: &rl, ResidualImpact: &ri, Controls: &ctls, Treatment: &mit, ReviewDate: &review}
		got, err := s.UpdateRisk(admin, a.ID, "risk.update", p.Apply)
		if err != nil || got.ResidualScore() != 6 || len(got.Controls) != 2 || got.ReviewDate != review {
			t.Fatalf("patched: %+v %v", got, err)
		}
		// The quantitative estimate, kept on both engines, and removed.
		q := &vigil.LossEstimate{Frequency: 0.25, LossLow: 1000.5, LossLikely: 20_000, LossHigh: 250_000}
		got, err = s.UpdateRisk(admin, a.ID, "risk.update", (&vigil.RiskPatch{Quant: q}).Apply)
		if err != nil || got.Quant == nil || *got.Quant != *q {
			t.Fatalf("the estimate: %+v %v", got.Quant, err)
		}
		if _, err := s.UpdateRisk(admin, a.ID, "risk.update", (&vigil.RiskPatch{Quant: &vigil.LossEstimate{Frequency: 1, LossLow: 5, LossLikely: 1, LossHigh: 9}}).Apply); vigil.ErrorField(err) != "loss_likely" {
			t.Fatalf("likely below low: %v", err)
		}
		if got, err = s.UpdateRisk(admin, a.ID, "risk.update", (&vigil.RiskPatch{Quant: &vigil.LossEstimate{}}).Apply); err != nil || got.Quant != nil {
			t.Fatalf("removing the estimate: %+v %v", got, err)
		}
		big := 5
		if _, err := s.UpdateRisk(admin, a.ID, "risk.update", (&vigil.RiskPatch{ResidualLikelihood: &big}).Apply); vigil.ErrorField(err) != "residual_likelihood" {
			t.Fatalf("residual above inherent: %v", err)
		}

		// Acceptance: requested naming the member, approved only by her.
		exp := vigil.Date(time.Now().AddDate(0, 6, 0).Format(time.DateOnly))
		if _, err := s.UpdateRisk(owner, b.ID, "risk.accept.request", func(r *vigil.Risk, now time.Time) error {
			return r.RequestAcceptance(memID, exp, "", now)
		}); vigil.ErrorField(err) != "owner_id" {
			t.Fatalf("accepting a risk without owner: %v", err)
		}
		own := ownerID
		if _, err := s.UpdateRisk(owner, b.ID, "risk.update", (&vigil.RiskPatch{OwnerID: &own}).Apply); err != nil {
			t.Fatal(err)
		}
		got, err = s.UpdateRisk(owner, b.ID, "risk.accept.request", func(r *vigil.Risk, now time.Time) error {
			return r.RequestAcceptance(memID, exp, "the fix costs more than the loss", now)
		})
		if err != nil || got.AcceptanceAt(time.Now()) != vigil.AcceptancePending || got.ApproverName != "The member" {
			t.Fatalf("requested: %+v %v", got, err)
		}
		if _, err := s.UpdateRisk(owner, b.ID, "risk.accept.approve", func(r *vigil.Risk, now time.Time) error {
			return vigil.ActorFrom(owner).ApproveAcceptance(r, now)
		}); vigil.ErrorCode(err) != vigil.EFORBIDDEN {
			t.Fatalf("the owner approves: %v", err)
		}
		got, err = s.UpdateRisk(member, b.ID, "risk.accept.approve", func(r *vigil.Risk, now time.Time) error {
			return vigil.ActorFrom(member).ApproveAcceptance(r, now)
		})
		if err != nil || got.AcceptanceAt(time.Now()) != vigil.AcceptanceApproved {
			t.Fatalf("the approver approves: %+v %v", got, err)
		}

		// An assessment: its register kept as it stood, signed once.
		ra := &vigil.RiskAssessment{Method: "workshop", Participants: []string{"Olive", "Mia"}}
		if err := ra.Validate(time.Now()); err != nil {
			t.Fatal(err)
		}
		ra.Register = []vigil.RiskSnapshot{a.Snapshot(time.Now()), b.Snapshot(time.Now())}
		if err := s.AddRiskAssessment(owner, ra); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(ra.Key, "RA-") || !strings.HasSuffix(ra.Key, "-1") {
			t.Fatalf("key %s", ra.Key)
		}
		at := time.Now().UTC().Truncate(time.Second)
		if err := s.SignRiskAssessment(owner, ra.ID, at, 999); vigil.ErrorField(err) != "evidence_id" {
			t.Fatalf("signed with a missing evidence item: %v", err)
		}
		as, err := s.RiskAssessments(owner)
		if err != nil || len(as) != 1 || as[0].SignedAt != nil || len(as[0].Register) != 2 || as[0].Register[1].Category != vigil.RiskFraud || as[0].Participants[1] != "Mia" {
			t.Fatalf("read back: %+v %v", as, err)
		}
		var n int
		if err := s.queryRow(owner, "SELECT count(*) FROM activity WHERE action LIKE 'risk.%'").Scan(&n); err != nil || n != 9 {
			t.Fatalf("activity entries: %d %v", n, err)
		}
	})
}
