package store

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
)

// policyPeople makes a policy owner and three approvers beside the
// store's owner; each comes back as a context acting as them.
func policyPeople(t *testing.T, s *Store) (owner context.Context, people []context.Context, ids []int64) {
	t.Helper()
	owner, _, _ = exceptionUsers(t, s)
	for _, email := range []string{"writer@example.com", "a1@example.com", "a2@example.com", "a3@example.com"} {
		u := &vigil.User{Email: email, Name: strings.Split(email, "@")[0], Role: vigil.RoleMember}
		if err := s.CreateUser(owner, u, ""); err != nil {
			t.Fatal(err)
		}
		people = append(people, vigil.WithActor(context.Background(), vigil.Actor{UserID: u.ID, Name: u.Email, Role: u.Role}))
		ids = append(ids, u.ID)
	}
	return owner, people, ids
}

func actorOf(ctx context.Context) vigil.Actor { return vigil.ActorFrom(ctx) }

func TestPolicyStoreLifecycle(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		owner, people, ids := policyPeople(t, s)
		writer, a1, a2 := people[0], people[1], people[2]
		p := &vigil.Policy{Title: "Access Control Policy", TemplateID: "access-control", OwnerID: ids[0],
			Approvers: []int64{ids[1], ids[2], ids[3]}, Quorum: 2, Controls: []string{"AC-01"}, Criteria: []string{"CC6.1"}}
		if err := s.CreatePolicy(writer, p, "# Access control\n\nReviewed quarterly.\n"); err != nil {
			t.Fatal(err)
		}
		if p.Key != "POL-001" || p.ReviewMonths != 12 || p.Latest.State != vigil.PolicyDraft {
			t.Fatalf("created: %+v", p)
		}
		// A second policy gets the next key; a viewer-role approver is refused.
		bad := &vigil.Policy{Title: "X", OwnerID: ids[0], Approvers: []int64{999}, Quorum: 1}
		if err := s.CreatePolicy(owner, bad, "x"); vigil.ErrorCode(err) != vigil.EINVALID {
			t.Errorf("an unknown approver: %v", err)
		}

		change := func(ctx context.Context, action string, fn PolicyChange) (*vigil.Policy, error) {
			return s.ChangePolicy(ctx, p.ID, action, fn)
		}
		if _, err := change(writer, "policy.edit", func(p *vigil.Policy, now time.Time) error {
			return p.Latest.Edit(actorOf(writer).UserID, "# Access control\n\nReviewed every quarter.\n", "wording")
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := change(writer, "policy.submit", func(p *vigil.Policy, now time.Time) error { return p.Latest.Submit(p, now) }); err != nil {
			t.Fatal(err)
		}
		// Approvals at once from two approvers: both count, the version is
		// approved once.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, ctx := range []context.Context{a1, a2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = change(ctx, "policy.approve", func(p *vigil.Policy, now time.Time) error {
					return p.Latest.Approve(p, actorOf(ctx), "looks right", now)
				})
			}()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("approvals: %v", errs)
		}
		got, err := s.Policy(context.Background(), p.ID)
		if err != nil || got.Latest.State != vigil.PolicyApproved || len(got.Latest.Approvals) != 2 {
			t.Fatalf("after two approvals: %v %+v", err, got.Latest)
		}
		// A version past draft keeps its text, whatever a caller does.
		if _, err := change(owner, "policy.edit", func(p *vigil.Policy, now time.Time) error {
			p.Latest.Body = "rewritten"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Policy(context.Background(), p.ID); got.Latest.Body == "rewritten" || got.Latest.SHA256 != vigil.PolicyBodySHA256(got.Latest.Body) {
			t.Fatalf("an approved text was rewritten: %q", got.Latest.Body)
		}
		if _, err := change(owner, "policy.publish", func(p *vigil.Policy, now time.Time) error {
			return p.Latest.Publish(p, "2027-01-01", true, now)
		}); err != nil {
			t.Fatal(err)
		}

		// Version 2, published: version 1 is retired, both are kept.
		if _, err := change(writer, "policy.new_version", func(p *vigil.Policy, now time.Time) error {
			v := &vigil.PolicyVersion{PolicyID: p.ID, Number: p.Latest.Number + 1, State: vigil.PolicyDraft, CreatedBy: actorOf(writer).UserID, CreatedAt: now}
			p.Latest = v
			return v.Edit(actorOf(writer).UserID, "# Access control\n\nReviewed every quarter by owners.\n", "owners review")
		}); err != nil {
			t.Fatal(err)
		}
		for _, step := range []struct {
			ctx context.Context
			fn  PolicyChange
		}{
			{writer, func(p *vigil.Policy, now time.Time) error { return p.Latest.Submit(p, now) }},
			{a1, func(p *vigil.Policy, now time.Time) error { return p.Latest.Approve(p, actorOf(a1), "", now) }},
			{a2, func(p *vigil.Policy, now time.Time) error { return p.Latest.Approve(p, actorOf(a2), "", now) }},
			{owner, func(p *vigil.Policy, now time.Time) error { return p.Latest.Publish(p, "", false, now) }},
		} {
			if _, err := change(step.ctx, "policy.step", step.fn); err != nil {
				t.Fatal(err)
			}
		}
		got, _ = s.Policy(context.Background(), p.ID)
		v1, err := s.PolicyVersion(context.Background(), p.ID, 1)
		if err != nil || got.Published == nil || got.Published.Number != 2 || v1.State != vigil.PolicyRetired || v1.Effective != "2027-01-01" ||
			len(v1.Approvals) != 2 || got.LastReviewedAt == nil {
			t.Fatalf("after v2: published %+v, v1 %+v (%v)", got.Published, v1, err)
		}

		// A "no changes" review by two approvers restarts the cycle.
		for _, ctx := range []context.Context{a1, a2} {
			if _, err := change(ctx, "policy.review", func(p *vigil.Policy, now time.Time) error {
				_, err := p.Reapprove(actorOf(ctx), "read against the systems, unchanged", now)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		got, _ = s.Policy(context.Background(), p.ID)
		if got.ReviewRound != 2 || len(got.Published.Approvals) != 4 || got.ReviewStateAt(time.Now()) != vigil.ReviewCurrent {
			t.Fatalf("after the review: round %d, approvals %d, state %s", got.ReviewRound, len(got.Published.Approvals), got.ReviewStateAt(time.Now()))
		}
		if _, err := s.PolicyVersion(context.Background(), p.ID, 9); vigil.ErrorCode(err) != vigil.ENOTFOUND {
			t.Errorf("a missing version: %v", err)
		}
		list, err := s.Policies(context.Background())
		if err != nil || len(list) != 1 || list[0].Published.Number != 2 {
			t.Fatalf("list: %v %+v", err, list)
		}
		// Every step is in the activity log.
		acts, err := s.ListActivity(context.Background(), vigil.ActivityFilter{EntityType: "policy", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(acts) != 13 {
			t.Errorf("%d activity entries for the policy, want one per step that changed something (13)", len(acts))
		}
	})
}
