package store

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
)

func TestVendorStore(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		owner, _, member := exceptionUsers(t, s)
		mem := vigil.ActorFrom(member).UserID
		v := &vigil.Vendor{Name: "Cloudy Hosting", Service: "hosting", OwnerID: mem, Tier: vigil.TierCritical,
			DataShared: []vigil.DataCategory{vigil.DataPersonal, vigil.DataCustomer}, Subprocessor: true, Location: "EU", Status: vigil.VendorActive}
		if err := s.CreateVendor(owner, v); err != nil {
			t.Fatal(err)
		}
		if v.Key != "VND-001" {
			t.Fatalf("key %q", v.Key)
		}
		if err := s.CreateVendor(owner, &vigil.Vendor{Name: "cloudy hosting"}); vigil.ErrorField(err) != "name" || !strings.Contains(err.Error(), "already") {
			t.Fatalf("the same vendor twice: %v", err)
		}
		if err := s.CreateVendor(owner, &vigil.Vendor{Name: "Ghost", OwnerID: 999}); vigil.ErrorField(err) != "owner_id" {
			t.Fatalf("an unknown owner: %v", err)
		}
		got, err := s.Vendor(owner, v.ID)
		if err != nil || got.OwnerName != "The member" || len(got.DataShared) != 2 || !got.Subprocessor || got.Tier != vigil.TierCritical {
			t.Fatalf("read back: %+v %v", got, err)
		}
		// An import is all or nothing.
		err = s.ImportVendors(owner, []vigil.Vendor{{Name: "Mailer"}, {Name: "Cloudy Hosting"}})
		if vigil.ErrorField(err) != "name" {
			t.Fatalf("an import with a duplicate: %v", err)
		}
		if vs, _ := s.Vendors(owner); len(vs) != 1 {
			t.Fatalf("a refused import left %d vendors", len(vs))
		}
		up, err := s.UpdateVendor(owner, v.ID, func(x *vigil.Vendor) error { x.Tier = vigil.TierHigh; return nil })
		if err != nil || up.Tier != vigil.TierHigh {
			t.Fatalf("update: %+v %v", up, err)
		}
		if _, err := s.UpdateVendor(owner, v.ID, func(x *vigil.Vendor) error { x.Tier = "top"; return nil }); vigil.ErrorField(err) != "tier" {
			t.Fatalf("a bad tier: %v", err)
		}

		// A link: open while live, answered once, then refused like an
		// unknown one.
		now := time.Now()
		q := &vigil.Questionnaire{VendorID: v.ID, Template: "baseline", Contact: "sec@cloudy.test", ExpiresAt: now.Add(time.Hour)}
		if err := s.CreateQuestionnaire(owner, q, "hash-live"); err != nil {
			t.Fatal(err)
		}
		if q.ThreadID != q.ID || q.Round != 1 {
			t.Fatalf("first round: %+v", q)
		}
		if _, err := s.OpenQuestionnaire(owner, "hash-live", now); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReviewQuestionnaire(owner, q.ID, vigil.ConclusionAcceptable, ""); vigil.ErrorCode(err) != vigil.ECONFLICT {
			t.Fatalf("review before answers: %v", err)
		}
		q.Answers, q.Score = []vigil.Answer{{QuestionID: "a", Value: "yes"}}, 100
		if err := s.SubmitQuestionnaire(owner, "hash-live", q); err != nil {
			t.Fatal(err)
		}
		if err := s.SubmitQuestionnaire(owner, "hash-live", q); err != ErrLinkRefused {
			t.Fatalf("a second submission: %v", err)
		}
		if _, err := s.OpenQuestionnaire(owner, "hash-live", now); err != ErrLinkRefused {
			t.Fatalf("a used link: %v", err)
		}
		if _, err := s.OpenQuestionnaire(owner, "hash-unknown", now); err != ErrLinkRefused {
			t.Fatalf("an unknown link: %v", err)
		}
		exp := &vigil.Questionnaire{VendorID: v.ID, ThreadID: q.ID, Template: "baseline", Contact: "sec@cloudy.test", ExpiresAt: now.Add(-time.Second)}
		if err := s.CreateQuestionnaire(owner, exp, "hash-expired"); err != nil {
			t.Fatal(err)
		}
		if exp.Round != 2 || exp.ThreadID != q.ID {
			t.Fatalf("a follow-up round: %+v", exp)
		}
		if _, err := s.OpenQuestionnaire(owner, "hash-expired", now); err != ErrLinkRefused {
			t.Fatalf("an expired link: %v", err)
		}
		exp.Answers = q.Answers
		if err := s.SubmitQuestionnaire(owner, "hash-expired", exp); err != ErrLinkRefused {
			t.Fatalf("answering an expired link: %v", err)
		}
		r, err := s.ReviewQuestionnaire(owner, q.ID, vigil.ConclusionAcceptable, "fine")
		if err != nil || r.ReviewedAt == nil || r.ReviewerName != "Olive Owner" {
			t.Fatalf("review: %+v %v", r, err)
		}
		if _, err := s.ReviewQuestionnaire(owner, q.ID, vigil.ConclusionUnacceptable, ""); vigil.ErrorCode(err) != vigil.ECONFLICT {
			t.Fatalf("a second review: %v", err)
		}
		qs, err := s.Questionnaires(owner, v.ID)
		if err != nil || len(qs) != 2 || qs[0].Score != 100 || len(qs[0].Answers) != 1 || qs[0].VendorName != "Cloudy Hosting" {
			t.Fatalf("rounds: %+v %v", qs, err)
		}
		other := &vigil.Vendor{Name: "Other"}
		if err := s.CreateVendor(owner, other); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateQuestionnaire(owner, &vigil.Questionnaire{VendorID: other.ID, ThreadID: q.ID, Template: "baseline", Contact: "a@b.test", ExpiresAt: now.Add(time.Hour)}, "h3"); vigil.ErrorField(err) != "thread_id" {
			t.Fatalf("a follow-up in another vendor's thread: %v", err)
		}
		acts, err := s.ListActivity(owner, vigil.ActivityFilter{Action: "vendor.", Limit: 100})
		if err != nil || len(acts) < 5 {
			t.Fatalf("activity: %d %v", len(acts), err)
		}
	})
}
