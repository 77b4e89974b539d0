package people

import (
	"context"
	"slices"
	"strings"

	"github.com/vigil-soc/vigil"
)

// Acknowledge records that the signed-in user accepted the version of a
// policy in force, whose text they were shown with this SHA-256. The
// record is theirs: it names their email (the register's key) and user.
func (s *Service) Acknowledge(ctx context.Context, policyID int64, version int, sha string) (*vigil.PolicyAck, error) {
	actor := vigil.ActorFrom(ctx)
	if actor.UserID == 0 {
		return nil, vigil.Errorf(vigil.EFORBIDDEN, "only a person signed in can acknowledge a policy")
	}
	u, err := s.Store.User(ctx, actor.UserID)
	if err != nil {
		return nil, err
	}
	email := u.Email
	if p, err := s.personFor(ctx, u.Email); err != nil {
		return nil, err
	} else if p != nil {
		email = p.Email // the register's key, when the user signs in under an alias
	}
	return s.Store.AddPolicyAck(ctx, policyID, email, func(r *vigil.AckRequirement) (*vigil.PolicyAck, error) {
		if err := vigil.CheckAck(r, version, sha); err != nil {
			return nil, err
		}
		return &vigil.PolicyAck{Number: version, SHA256: r.SHA256}, nil
	})
}

// AckRoster says who has and has not acknowledged a policy in force.
func (s *Service) AckRoster(ctx context.Context, policyID int64) (*vigil.AckRoster, error) {
	reqs, err := s.Store.AckRequirements(ctx)
	if err != nil {
		return nil, err
	}
	var req *vigil.AckRequirement
	for i := range reqs {
		if reqs[i].PolicyID == policyID {
			req = &reqs[i]
		}
	}
	if req == nil {
		return nil, vigil.Errorf(vigil.ENOTFOUND, "policy %d has no version in force", policyID)
	}
	people, err := s.people(ctx)
	if err != nil {
		return nil, err
	}
	last, err := s.Store.LastReminders(ctx, vigil.ReminderAcks)
	if err != nil {
		return nil, err
	}
	now := s.now()
	r := &vigil.AckRoster{Requirement: *req, People: []vigil.AckRosterLine{}}
	err = s.withLatest(ctx, func(latest func(int64, string) *vigil.PolicyAck) error {
		for _, p := range vigil.InScopeAt(people, now) {
			st := vigil.AckStatusOf(req, &p, latest(policyID, p.Email), now)
			line := vigil.AckRosterLine{AckStatus: st, PersonID: p.ID, Name: p.Name}
			// Shown only while pending: a digest about other policies
			// is not news on this one's roster (nor a reason to seal it
			// again).
			if l := last[p.Email]; l.Newest != nil && st.State != vigil.AckDone {
				if l.Sent != nil {
					line.RemindedAt = l.Sent.At
				}
				if l.Newest.State == vigil.ReminderFailed {
					line.ReminderError = l.Newest.Error
				}
			}
			r.People = append(r.People, line)
			switch st.State {
			case vigil.AckDone:
				r.Done++
			case vigil.AckDue:
				r.Due++
			case vigil.AckOverdue:
				r.Overdue++
			}
		}
		return nil
	})
	return r, err
}

// AckOverview counts, for every policy in force, who has acknowledged it.
func (s *Service) AckOverview(ctx context.Context) (*vigil.AckOverview, error) {
	reqs, err := s.Store.AckRequirements(ctx)
	if err != nil {
		return nil, err
	}
	people, err := s.people(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	scope := vigil.InScopeAt(people, now)
	out := &vigil.AckOverview{InScope: len(scope), Policies: make([]vigil.AckPolicyCounts, 0, len(reqs)), At: now}
	err = s.withLatest(ctx, func(latest func(int64, string) *vigil.PolicyAck) error {
		for i := range reqs {
			c := vigil.AckPolicyCounts{AckRequirement: reqs[i]}
			for j := range scope {
				switch vigil.AckStatusOf(&reqs[i], &scope[j], latest(reqs[i].PolicyID, scope[j].Email), now).State {
				case vigil.AckDone:
					c.Done++
				case vigil.AckDue:
					c.Due++
				case vigil.AckOverdue:
					c.Overdue++
				}
			}
			out.Policies = append(out.Policies, c)
		}
		return nil
	})
	return out, err
}

// MyTasks returns the signed-in user's own tasks, and nothing of anyone
// else's: the person is the register's entry with the user's email, or,
// for a user not in the register, the user alone (every policy in force
// is offered to them, since acknowledging costs nothing and proves more).
func (s *Service) MyTasks(ctx context.Context) (*vigil.MyTasks, error) {
	actor := vigil.ActorFrom(ctx)
	u, err := s.Store.User(ctx, actor.UserID)
	if err != nil {
		return nil, err
	}
	p, err := s.personFor(ctx, u.Email)
	if err != nil {
		return nil, err
	}
	t := &vigil.MyTasks{Email: u.Email, Policies: []vigil.PolicyDue{}, Training: []vigil.TrainingStatus{}}
	if s.Training != nil {
		due, err := s.Training.TrainingDue(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		t.Training = append(t.Training, due...)
	}
	t.Onboarding = []vigil.OnboardingItem{}
	if p == nil {
		p = &vigil.Person{Email: u.Email}
	} else {
		t.InScope = p.InScope
		if t.Onboarding, err = s.OnboardingDue(ctx, p.ID); err != nil {
			return nil, err
		}
	}
	reqs, err := s.Store.AckRequirements(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	err = s.withLatest(ctx, func(latest func(int64, string) *vigil.PolicyAck) error {
		for i := range reqs {
			st := vigil.AckStatusOf(&reqs[i], p, latest(reqs[i].PolicyID, p.Email), now)
			if st.State != vigil.AckDone {
				t.Policies = append(t.Policies, vigil.PolicyDue{AckRequirement: reqs[i], State: st.State, Due: st.Due, Acked: st.Acked})
			}
		}
		return nil
	})
	return t, err
}

// personFor is the register's person a user is: by email, or by an alias
// (someone who signs in as first.last@ but is registered as initials@).
func (s *Service) personFor(ctx context.Context, email string) (*vigil.Person, error) {
	email = strings.ToLower(email)
	ps, err := s.people(ctx)
	if err != nil {
		return nil, err
	}
	var byAlias *vigil.Person
	for i := range ps {
		if ps[i].Email == email {
			return &ps[i], nil
		}
		if slices.Contains(ps[i].Aliases, email) {
			if byAlias != nil {
				return nil, nil // two people claim it: neither
			}
			byAlias = &ps[i]
		}
	}
	return byAlias, nil
}
