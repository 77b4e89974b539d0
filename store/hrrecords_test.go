package store

import (
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
)

func TestHRRecordsStore(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		owner, admin, member := exceptionUsers(t, s)
		ann := &vigil.Person{Email: "ann@example.com", Name: "Ann", Start: "2026-01-05", ManagerEmail: "member@example.com", InScope: true}
		if err := s.CreatePerson(owner, ann); err != nil {
			t.Fatal(err)
		}

		// The evidence must exist: the column is a foreign key.
		b := &vigil.BackgroundCheck{PersonID: ann.ID, CompletedOn: "2026-01-02", Provider: "Checkr", Result: vigil.BackgroundClear, EvidenceID: 424242}
		if err := s.AddBackgroundCheck(admin, b); vigil.ErrorField(err) != "evidence_id" {
			t.Fatalf("a check naming missing evidence: %v", err)
		}
		if err := s.AddBackgroundCheck(admin, &vigil.BackgroundCheck{PersonID: 999, EvidenceID: 1}); vigil.ErrorCode(err) != vigil.ENOTFOUND {
			t.Fatalf("an unknown person: %v", err)
		}
		if bs, err := s.BackgroundChecks(owner, ann.ID); err != nil || len(bs) != 0 {
			t.Fatalf("nothing recorded: %+v %v", bs, err)
		}

		// A review: the rule runs on the person read in the transaction.
		mem := vigil.ActorFrom(member)
		r := &vigil.PerformanceReview{PersonID: ann.ID, Period: "2026", CompletedOn: "2026-03-01", AttestedBy: mem.UserID}
		if err := s.AddPerformanceReview(member, r, func(p *vigil.Person) error { return mem.MayAttestReview(p, "ann@example.com") }); vigil.ErrorCode(err) != vigil.EFORBIDDEN {
			t.Fatalf("attested as ann: %v", err)
		}
		if err := s.AddPerformanceReview(member, r, func(p *vigil.Person) error { return mem.MayAttestReview(p, mem.Name) }); err != nil {
			t.Fatalf("attested by the manager: %v", err)
		}
		rs, err := s.PerformanceReviews(owner, ann.ID)
		if err != nil || len(rs) != 1 || rs[0].Attester != "member@example.com" || rs[0].CompletedOn != "2026-03-01" || rs[0].EvidenceID != 0 || rs[0].ID != r.ID {
			t.Fatalf("reviews: %+v %v", rs, err)
		}
		if all, err := s.PerformanceReviews(owner, 0); err != nil || len(all) != 1 {
			t.Fatalf("all reviews: %+v %v", all, err)
		}

		c := &vigil.ConfidentialityAgreement{PersonID: ann.ID, SignedAt: time.Now(), Method: vigil.AgreementUpload, Document: "NDA v2", EvidenceID: 424242}
		if err := s.AddConfidentialityAgreement(admin, c); vigil.ErrorField(err) != "evidence_id" {
			t.Fatalf("an agreement naming missing evidence: %v", err)
		}

		if id, err := s.ConfidentialityPolicy(owner); err != nil || id != 0 {
			t.Fatalf("no policy designated: %d %v", id, err)
		}
		if err := s.SetConfidentialityPolicy(admin, 77); vigil.ErrorField(err) != "policy_id" {
			t.Fatalf("designating a missing policy: %v", err)
		}
		if err := s.SetConfidentialityPolicy(admin, 0); err != nil {
			t.Fatal(err)
		}

		// Accounts keep what their system says of MFA, and that it said
		// nothing.
		x := &vigil.Integration{Kind: "okta", Name: "okta", Config: []byte("{}"), Interval: 3600, Enabled: true}
		if err := s.CreateIntegration(owner, x, ""); err != nil {
			t.Fatal(err)
		}
		yes, no := true, false
		now := time.Now()
		if err := s.ReplaceAccounts(owner, x.ID, []vigil.Account{{ExternalID: "a@x", State: vigil.AccountActive, MFA: &yes},
			{ExternalID: "b@x", State: vigil.AccountActive, MFA: &no}, {ExternalID: "c@x", State: vigil.AccountActive}}, now, now); err != nil {
			t.Fatal(err)
		}
		as, err := s.Accounts(owner)
		if err != nil || len(as) != 3 {
			t.Fatalf("accounts: %+v %v", as, err)
		}
		if as[0].MFA == nil || !*as[0].MFA || as[1].MFA == nil || *as[1].MFA || as[2].MFA != nil {
			t.Fatalf("mfa read back: %v %v %v", as[0].MFA, as[1].MFA, as[2].MFA)
		}
	})
}
