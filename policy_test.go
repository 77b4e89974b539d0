package vigil

import (
	"strings"
	"testing"
	"time"
)

var policyNow = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

func testPolicy() *Policy {
	return &Policy{ID: 1, Key: "POL-001", Title: "Access Control Policy", OwnerID: 10, Approvers: []int64{20, 21, 22}, Quorum: 2}
}

func approverActor(id int64) Actor {
	return Actor{UserID: id, Name: "user" + string(rune('0'+id%10)), Role: RoleMember}
}

func draft(t *testing.T, editor int64) *PolicyVersion {
	t.Helper()
	v := &PolicyVersion{PolicyID: 1, Number: 1, State: PolicyDraft, CreatedBy: editor, CreatedAt: policyNow}
	if err := v.Edit(editor, "# Access control\n\nAccess is reviewed quarterly.\n", "first"); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPolicyValidate(t *testing.T) {
	ok := func(int64) bool { return true }
	for name, c := range map[string]struct {
		mut   func(*Policy)
		field string
	}{
		"no title":            {func(p *Policy) { p.Title = " " }, "title"},
		"two-line title":      {func(p *Policy) { p.Title = "a\nb" }, "title"},
		"no owner":            {func(p *Policy) { p.OwnerID = 0 }, "owner_id"},
		"no approvers":        {func(p *Policy) { p.Approvers = nil }, "approvers"},
		"approver twice":      {func(p *Policy) { p.Approvers = []int64{20, 20} }, "approvers"},
		"quorum too high":     {func(p *Policy) { p.Quorum = 4 }, "quorum"},
		"negative quorum":     {func(p *Policy) { p.Quorum = -1 }, "quorum"},
		"review cycle 0 → 12": {func(p *Policy) { p.ReviewMonths = 0 }, ""},
		"review cycle 37":     {func(p *Policy) { p.ReviewMonths = 37 }, "review_months"},
	} {
		p := testPolicy()
		c.mut(p)
		err := p.Validate(ok)
		if c.field == "" {
			if err != nil || p.ReviewMonths != DefaultReviewMonths {
				t.Errorf("%s: %v, review months %d", name, err, p.ReviewMonths)
			}
			continue
		}
		if e, isErr := err.(*Error); !isErr || e.Field != c.field {
			t.Errorf("%s: got %v, want an error on %s", name, err, c.field)
		}
	}
	p := testPolicy()
	if err := p.Validate(func(id int64) bool { return id != 21 }); err == nil || !strings.Contains(err.Error(), "21") {
		t.Errorf("an approver who may not approve was accepted: %v", err)
	}
}

// The whole life of a version: only a draft is edited, the text is fixed
// once submitted, the quorum approves, an editor never approves, and
// publishing retires the version it replaces.
func TestPolicyLifecycle(t *testing.T) {
	p := testPolicy()
	v := draft(t, 20) // approver 20 wrote it
	if err := v.Submit(p, policyNow); err != nil {
		t.Fatal(err)
	}
	if err := v.Edit(20, "changed after submission", ""); err == nil {
		t.Error("a version in review was edited")
	}
	if err := v.Approve(p, approverActor(20), "", policyNow); err == nil || !strings.Contains(err.Error(), "edited") {
		t.Errorf("the editor approved their own text: %v", err)
	}
	if err := v.Approve(p, approverActor(30), "", policyNow); err == nil {
		t.Error("someone who is not an approver approved")
	}
	if err := v.Approve(p, approverActor(21), "fine", policyNow); err != nil || v.State != PolicyInReview {
		t.Fatalf("first approval: %v, state %s (quorum is 2)", err, v.State)
	}
	if err := v.Approve(p, approverActor(21), "again", policyNow); err == nil {
		t.Error("one approver counted twice")
	}
	if err := v.Publish(p, "", true, policyNow); err == nil {
		t.Error("published before the quorum")
	}
	if err := v.Approve(p, approverActor(22), "", policyNow); err != nil || v.State != PolicyApproved {
		t.Fatalf("second approval: %v, state %s", err, v.State)
	}
	if err := v.Publish(p, "2026-13-01", true, policyNow); err == nil {
		t.Error("an impossible effective date was accepted")
	}
	if err := v.Publish(p, "2027-01-01", false, policyNow); err != nil {
		t.Fatal(err)
	}
	if v.State != PolicyPublished || !v.Material || p.Published != v || p.LastReviewedAt == nil || v.Effective != "2027-01-01" {
		t.Errorf("after publishing: state %s material %v published %v reviewed %v", v.State, v.Material, p.Published == v, p.LastReviewedAt)
	}

	// Version 2: publishing it retires version 1.
	v2 := &PolicyVersion{PolicyID: 1, Number: 2, State: PolicyDraft}
	v2.Edit(10, v.Body+"\nAdded a line.\n", "a line")
	if err := v2.Submit(p, policyNow); err != nil {
		t.Fatal(err)
	}
	v2.Approve(p, approverActor(20), "", policyNow)
	v2.Approve(p, approverActor(21), "", policyNow)
	later := policyNow.AddDate(0, 1, 0)
	if err := v2.Publish(p, "", false, later); err != nil {
		t.Fatal(err)
	}
	if v.State != PolicyRetired || v.RetiredAt == nil || p.Published != v2 || v2.Material || !p.LastReviewedAt.Equal(*v2.ApprovedAt) {
		t.Errorf("v1 %s, published is v2 %v, v2 material %v", v.State, p.Published == v2, v2.Material)
	}
}

// A version whose approvers all edited it can never reach its quorum:
// submitting it says so rather than leaving it in review for ever.
func TestPolicySubmitNeedsEligibleApprovers(t *testing.T) {
	p := testPolicy()
	v := draft(t, 20)
	v.Edit(21, v.Body+"more\n", "")
	if err := v.Submit(p, policyNow); err == nil || !strings.Contains(err.Error(), "quorum") {
		t.Errorf("submitted with one eligible approver for a quorum of 2: %v", err)
	}
}

// An approval from someone no longer an approver does not count at
// publication.
func TestPolicyQuorumJudgedAtPublication(t *testing.T) {
	p := testPolicy()
	v := draft(t, 10)
	v.Submit(p, policyNow)
	v.Approve(p, approverActor(20), "", policyNow)
	v.Approve(p, approverActor(21), "", policyNow)
	p.Approvers = []int64{20, 22}
	if err := v.Publish(p, "", true, policyNow); err == nil {
		t.Error("published on an approval from someone removed from the approvers")
	}
}

func TestPolicyReject(t *testing.T) {
	p := testPolicy()
	v := draft(t, 10)
	v.Submit(p, policyNow)
	v.Approve(p, approverActor(20), "", policyNow)
	if err := v.Reject(p, approverActor(21), "no"); err == nil {
		t.Error("a one-word reason was accepted")
	}
	if err := v.Reject(p, Actor{UserID: 30, Role: RoleMember}, "section 3 is wrong"); err == nil {
		t.Error("a stranger sent the version back")
	}
	if err := v.Reject(p, approverActor(21), "section 3 is wrong"); err != nil || v.State != PolicyDraft || len(v.Approvals) != 0 {
		t.Errorf("reject: %v, state %s, approvals %d", err, v.State, len(v.Approvals))
	}
}

// The review cycle: current, due soon in its last 30 days, overdue from the
// due date; a "no changes" review at the quorum starts a new cycle; a
// policy never published is never current.
func TestPolicyReviewCycle(t *testing.T) {
	p := testPolicy()
	if got := p.ReviewStateAt(policyNow); got != ReviewUnpublished {
		t.Errorf("never published: %s", got)
	}
	v := draft(t, 10)
	v.Submit(p, policyNow)
	v.Approve(p, approverActor(20), "", policyNow)
	v.Approve(p, approverActor(21), "", policyNow)
	v.Publish(p, "", true, policyNow)
	due := policyNow.AddDate(1, 0, 0)
	for at, want := range map[time.Time]PolicyReviewState{
		policyNow:              ReviewCurrent,
		due.AddDate(0, 0, -31): ReviewCurrent,
		due.AddDate(0, 0, -30): ReviewDueSoon,
		due.Add(-time.Second):  ReviewDueSoon,
		due:                    ReviewOverdue,
		due.AddDate(0, 2, 0):   ReviewOverdue,
	} {
		if got := p.ReviewStateAt(at); got != want {
			t.Errorf("at %s: %s, want %s", at.Format(time.DateOnly), got, want)
		}
	}
	review := due.AddDate(0, 0, 10)
	if _, err := p.Reapprove(approverActor(20), "ok", review); err == nil {
		t.Error("a review that says nothing of what it covered was accepted")
	}
	if _, err := p.Reapprove(approverActor(10), "read it all, nothing changes", review); err == nil {
		t.Error("the owner, not an approver, re-approved")
	}
	done, err := p.Reapprove(approverActor(20), "read it all, nothing changes", review)
	if err != nil || done {
		t.Fatalf("first re-approval: done %v, %v", done, err)
	}
	if _, err := p.Reapprove(approverActor(20), "read it all again", review); err == nil {
		t.Error("one approver counted twice in a review")
	}
	if p.ReviewStateAt(review) != ReviewOverdue {
		t.Error("a review short of its quorum reset the cycle")
	}
	if done, err := p.Reapprove(approverActor(22), "checked against our systems", review); err != nil || !done {
		t.Fatalf("second re-approval: done %v, %v", done, err)
	}
	if p.ReviewRound != 2 {
		t.Errorf("the next review round is %d, want 2", p.ReviewRound)
	}
	if got := p.ReviewStateAt(review); got != ReviewCurrent || !p.ReviewDue().Equal(review.AddDate(1, 0, 0)) {
		t.Errorf("after the review: %s, due %s", got, p.ReviewDue())
	}
	if len(p.Published.Approvals) != 4 {
		t.Errorf("the review's approvals were not kept beside the publication's: %d", len(p.Published.Approvals))
	}
	p.Retire(review)
	if p.ReviewStateAt(review) != ReviewRetired || p.Published.State != PolicyRetired {
		t.Errorf("retired policy: %s, version %s", p.ReviewStateAt(review), p.Published.State)
	}
	if err := v.Publish(p, "", true, review); err == nil {
		t.Error("published into a retired policy")
	}
}

func TestPolicyBody(t *testing.T) {
	v := &PolicyVersion{State: PolicyDraft}
	for _, bad := range []string{"", "  \n", strings.Repeat("x", MaxPolicyBodyLen+1), "a\x00b", "\xff"} {
		if err := v.Edit(1, bad, ""); err == nil {
			t.Errorf("body %.20q accepted", bad)
		}
	}
	if err := v.Edit(1, "text", ""); err != nil || v.SHA256 != PolicyBodySHA256("text") {
		t.Errorf("%v %s", err, v.SHA256)
	}
}

func TestMayEditPolicy(t *testing.T) {
	p := testPolicy()
	for _, c := range []struct {
		a    Actor
		want bool
	}{
		{Actor{UserID: 1, Role: RoleAdmin}, true},
		{Actor{UserID: 10, Role: RoleMember}, true},  // the owner
		{Actor{UserID: 11, Role: RoleMember}, false}, // another member
		{Actor{UserID: 10, Role: RoleViewer}, false}, // the owner, but a role that writes nothing
		{Actor{UserID: 10, Role: RoleAuditor}, false},
	} {
		if got := c.a.MayEditPolicy(p); got != c.want {
			t.Errorf("%+v: %v, want %v", c.a, got, c.want)
		}
	}
}

func publishedPolicy(t *testing.T, at time.Time) *Policy {
	t.Helper()
	p := testPolicy()
	v := draft(t, 10)
	v.Submit(p, at)
	v.Approve(p, Actor{UserID: 20, Name: "ann"}, "", at)
	v.Approve(p, Actor{UserID: 21, Name: "bob"}, "", at)
	if err := v.Publish(p, "", true, at); err != nil {
		t.Fatal(err)
	}
	p.Latest = v
	return p
}

// The policy set shows GV-01 operating only through published, sealed
// policies within their review cycle; nothing, a draft, an unsealed
// publication or review, and an overdue review never pass.
func TestPolicySetSignals(t *testing.T) {
	all := func(int64, int, int) bool { return true }
	none := func(int64, int, int) bool { return false }
	one := func(ps []Policy, sealed func(int64, int, int) bool, now time.Time) Signal {
		t.Helper()
		s := PolicySetSignals(ps, sealed, now)
		if len(s) != 1 || s[0].ControlID != PolicySetControl {
			t.Fatalf("signals %+v", s)
		}
		return s[0]
	}
	if s := one(nil, all, policyNow); s.Status != SignalUnknown || s.Operating {
		t.Errorf("no policies: %+v", s)
	}
	if s := one([]Policy{*testPolicy()}, all, policyNow); s.Status != SignalUnknown {
		t.Errorf("a policy never published: %+v", s)
	}
	p := publishedPolicy(t, policyNow)
	if s := one([]Policy{*p}, none, policyNow); s.Status != SignalUnknown || s.Operating {
		t.Errorf("published, not sealed: %+v", s)
	}
	if s := one([]Policy{*p}, all, policyNow); s.Status != SignalOK || !s.Operating || !strings.Contains(s.Reason, "ann, bob") {
		t.Errorf("published and sealed: %+v", s)
	}
	if s := one([]Policy{*p}, all, policyNow.AddDate(0, 11, 15)); s.Status != SignalWarn || !s.Operating {
		t.Errorf("due soon: %+v", s)
	}
	if s := one([]Policy{*p}, all, policyNow.AddDate(1, 0, 1)); s.Status != SignalFail || s.Operating {
		t.Errorf("overdue: %+v", s)
	}
	// A completed review that is not sealed yet is unknown, sealed it counts.
	later := policyNow.AddDate(1, 0, 5)
	p.Reapprove(Actor{UserID: 20, Name: "ann"}, "read it, nothing changes", later)
	p.Reapprove(Actor{UserID: 22, Name: "cy"}, "read it, nothing changes", later)
	reviewUnsealed := func(_ int64, _ int, review int) bool { return review == 0 }
	if s := one([]Policy{*p}, reviewUnsealed, later); s.Status != SignalUnknown {
		t.Errorf("review not sealed: %+v", s)
	}
	if s := one([]Policy{*p}, all, later); s.Status != SignalOK {
		t.Errorf("review sealed: %+v", s)
	}
	// Retired policies leave the set; a set of only retired ones is empty.
	p.Retire(later)
	if s := one([]Policy{*p}, all, later); s.Status != SignalUnknown {
		t.Errorf("only a retired policy: %+v", s)
	}
}
