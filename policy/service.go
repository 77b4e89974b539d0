package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/evidence"
	"github.com/vigil-soc/vigil/store"
)

// Service is the policy module: each step of a policy's life applied as a
// domain rule inside the store's transaction, publications and reviews
// sealed into the evidence ledger, and the policy set's signals.
type Service struct {
	Store    *store.Store
	Evidence *evidence.Service
	Now      func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Create stores a new policy with its first draft. Only people who manage
// the program create policies.
func (s *Service) Create(ctx context.Context, p *vigil.Policy, body string) error {
	if !vigil.ActorFrom(ctx).Role.Can(vigil.PermManage) {
		return vigil.Errorf(vigil.EFORBIDDEN, "only an admin or owner creates a policy")
	}
	return s.Store.CreatePolicy(ctx, p, body)
}

// mayEdit refuses anyone who is neither the policy's owner nor an admin.
func mayEdit(ctx context.Context, p *vigil.Policy) error {
	if a := vigil.ActorFrom(ctx); !a.MayEditPolicy(p) {
		return vigil.Errorf(vigil.EFORBIDDEN, "only %s's owner or an admin may do that", p.Key)
	}
	return nil
}

// Edit replaces the text of the policy's draft.
func (s *Service) Edit(ctx context.Context, id int64, body, summary string) (*vigil.Policy, error) {
	return s.Store.ChangePolicy(ctx, id, "policy.edit", func(p *vigil.Policy, _ time.Time) error {
		if err := mayEdit(ctx, p); err != nil {
			return err
		}
		return p.Latest.Edit(vigil.ActorFrom(ctx).UserID, body, summary)
	})
}

// NewVersion starts the next version as a draft, from the given text; only
// when no version is already on its way (a draft, in review or approved).
func (s *Service) NewVersion(ctx context.Context, id int64, body, summary string) (*vigil.Policy, error) {
	return s.Store.ChangePolicy(ctx, id, "policy.new_version", func(p *vigil.Policy, now time.Time) error {
		if err := mayEdit(ctx, p); err != nil {
			return err
		}
		switch {
		case p.RetiredAt != nil:
			return vigil.Errorf(vigil.ECONFLICT, "policy %s is retired", p.Key)
		case p.Latest.State != vigil.PolicyPublished && p.Latest.State != vigil.PolicyRetired:
			return vigil.Errorf(vigil.ECONFLICT, "version %d of %s is %s: finish or send it back before starting another", p.Latest.Number, p.Key, p.Latest.State)
		}
		by := vigil.ActorFrom(ctx).UserID
		v := &vigil.PolicyVersion{PolicyID: p.ID, Number: p.Latest.Number + 1, State: vigil.PolicyDraft, CreatedBy: by, CreatedAt: now, Material: true}
		if err := v.Edit(by, body, summary); err != nil {
			return err
		}
		p.Latest = v
		return nil
	})
}

// Submit sends the draft to the approvers.
func (s *Service) Submit(ctx context.Context, id int64) (*vigil.Policy, error) {
	return s.Store.ChangePolicy(ctx, id, "policy.submit", func(p *vigil.Policy, now time.Time) error {
		if err := mayEdit(ctx, p); err != nil {
			return err
		}
		return p.Latest.Submit(p, now)
	})
}

// Approve records the actor's approval of the version in review.
func (s *Service) Approve(ctx context.Context, id int64, comment string) (*vigil.Policy, error) {
	return s.Store.ChangePolicy(ctx, id, "policy.approve", func(p *vigil.Policy, now time.Time) error {
		return p.Latest.Approve(p, vigil.ActorFrom(ctx), comment, now)
	})
}

// Reject sends the version in review (or approved) back to draft.
func (s *Service) Reject(ctx context.Context, id int64, reason string) (*vigil.Policy, error) {
	return s.Store.ChangePolicy(ctx, id, "policy.reject", func(p *vigil.Policy, _ time.Time) error {
		return p.Latest.Reject(p, vigil.ActorFrom(ctx), reason)
	})
}

// Publish puts the approved version in force and seals it, with its
// approvals, into the evidence ledger. A publication whose sealing failed
// stays unsealed (and not shown operating) until Seal succeeds.
func (s *Service) Publish(ctx context.Context, id int64, effective string, material bool) (*vigil.Policy, error) {
	if err := s.sealable(ctx, id); err != nil {
		return nil, err
	}
	p, err := s.Store.ChangePolicy(ctx, id, "policy.publish", func(p *vigil.Policy, now time.Time) error {
		if err := mayEdit(ctx, p); err != nil {
			return err
		}
		return p.Latest.Publish(p, effective, material, now)
	})
	if err != nil {
		return nil, err
	}
	if err := s.Seal(ctx); err != nil {
		return p, fmt.Errorf("%s version %d is published, but sealing it into the evidence ledger failed (it will be retried): %w", p.Key, p.Published.Number, err)
	}
	return p, nil
}

// Review records the actor's "no changes" approval of the published text;
// at the quorum the review cycle restarts and the review is sealed.
func (s *Service) Review(ctx context.Context, id int64, comment string) (*vigil.Policy, bool, error) {
	if err := s.sealable(ctx, id); err != nil {
		return nil, false, err
	}
	var done bool
	p, err := s.Store.ChangePolicy(ctx, id, "policy.review", func(p *vigil.Policy, now time.Time) error {
		var err error
		done, err = p.Reapprove(vigil.ActorFrom(ctx), comment, now)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	if done {
		if err := s.Seal(ctx); err != nil {
			return p, true, fmt.Errorf("the review of %s is recorded, but sealing it into the evidence ledger failed (it will be retried): %w", p.Key, err)
		}
	}
	return p, done, nil
}

// sealable refuses a publication or review that could not be sealed: the
// ledger links every item to a control, and an organization that has
// neither GV-01 nor any of the policy's controls has none to link it to.
// Refusing before anything changes keeps a published text from waiting,
// unsealed, for a control nobody adopts.
func (s *Service) sealable(ctx context.Context, id int64) error {
	p, err := s.Store.Policy(ctx, id)
	if err != nil {
		return err
	}
	ctl, err := s.existingControls(ctx, append([]string{vigil.PolicySetControl}, p.Controls...))
	if err != nil {
		return err
	}
	if len(ctl) == 0 {
		return vigil.Errorf(vigil.ECONFLICT, "%s is sealed into the evidence ledger against %s or the controls it supports, and the organization has none of them: adopt %s first", p.Key, vigil.PolicySetControl, vigil.PolicySetControl)
	}
	return nil
}

// Retire takes a policy out of the set. Only admins retire policies.
func (s *Service) Retire(ctx context.Context, id int64) (*vigil.Policy, error) {
	return s.Store.ChangePolicy(ctx, id, "policy.retire", func(p *vigil.Policy, now time.Time) error {
		if !vigil.ActorFrom(ctx).Role.Can(vigil.PermManage) {
			return vigil.Errorf(vigil.EFORBIDDEN, "only an admin or owner retires a policy")
		}
		return p.Retire(now)
	})
}

// sealRecord is what the ledger keeps of a publication or a review: the
// exact text (with its hash, which acknowledgements name) and who
// approved it when.
type sealRecord struct {
	Policy    string                 `json:"policy"`
	Title     string                 `json:"title"`
	Version   int                    `json:"version"`
	Review    int                    `json:"review,omitempty"`
	Effective string                 `json:"effective_date"`
	Published time.Time              `json:"published_at"`
	Reviewed  time.Time              `json:"reviewed_at"`
	SHA256    string                 `json:"sha256"`
	Summary   string                 `json:"change_summary,omitempty"`
	Approvals []vigil.PolicyApproval `json:"approvals"`
	Quorum    int                    `json:"quorum"`
	Body      string                 `json:"body"`
}

// Seal seals every publication and completed review not sealed yet. It is
// idempotent: a second run finds nothing to do.
func (s *Service) Seal(ctx context.Context) error {
	ps, err := s.Store.Policies(ctx)
	if err != nil {
		return err
	}
	seals, err := s.Store.PolicySeals(ctx)
	if err != nil {
		return err
	}
	sealed := sealedSet(seals)
	for i := range ps {
		p := &ps[i]
		v := p.Published
		if v == nil {
			continue
		}
		if !sealed(p.ID, v.Number, 0) {
			if err := s.sealOne(ctx, p, v, 0); err != nil {
				return err
			}
		}
		if r := p.ReviewRound - 1; r >= 1 && p.LastReviewedAt != nil && v.ApprovedAt != nil && p.LastReviewedAt.After(*v.ApprovedAt) && !sealed(p.ID, v.Number, r) {
			if err := s.sealOne(ctx, p, v, r); err != nil {
				return err
			}
		}
	}
	return nil
}

func sealedSet(seals []store.PolicySeal) func(int64, int, int) bool {
	type key struct {
		id        int64
		num, revw int
	}
	m := map[key]bool{}
	for _, x := range seals {
		m[key{x.PolicyID, x.Number, x.Review}] = true
	}
	return func(id int64, num, review int) bool { return m[key{id, num, review}] }
}

func (s *Service) sealOne(ctx context.Context, p *vigil.Policy, v *vigil.PolicyVersion, review int) error {
	rec := sealRecord{Policy: p.Key, Title: p.Title, Version: v.Number, Review: review, Effective: v.Effective, SHA256: v.SHA256,
		Summary: v.ChangeSummary, Quorum: p.Quorum, Body: v.Body}
	if v.PublishedAt != nil {
		rec.Published = *v.PublishedAt
	}
	rec.Reviewed = rec.Published
	if review > 0 && p.LastReviewedAt != nil {
		rec.Reviewed = *p.LastReviewedAt
	}
	for _, a := range v.Approvals {
		if a.Review == review {
			rec.Approvals = append(rec.Approvals, a)
		}
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	controls, err := s.existingControls(ctx, append([]string{vigil.PolicySetControl}, p.Controls...))
	if err != nil {
		return err
	}
	title := fmt.Sprintf("%s %s, version %d: published with its approvals", p.Key, p.Title, v.Number)
	name := fmt.Sprintf("%s-v%d.json", strings.ToLower(p.Key), v.Number)
	if review > 0 {
		title = fmt.Sprintf("%s %s, version %d: review %d, no changes", p.Key, p.Title, v.Number, review)
		name = fmt.Sprintf("%s-v%d-review%d.json", strings.ToLower(p.Key), v.Number, review)
	}
	// The item covers the review cycle it starts.
	start := rec.Reviewed.UTC()
	end := start.AddDate(0, p.ReviewMonths, -1)
	ev, err := s.Evidence.Upload(ctx, evidence.Meta{Source: vigil.SourceReview, Title: title, Filename: name, MediaType: "application/json",
		EffectiveStart: vigil.Date(start.Format(time.DateOnly)), EffectiveEnd: vigil.Date(end.Format(time.DateOnly)),
		Controls: controls, DeclaredSize: int64(len(b))}, bytes.NewReader(b))
	if err != nil {
		return err
	}
	return s.Store.AddPolicySeal(ctx, store.PolicySeal{PolicyID: p.ID, Number: v.Number, Review: review, EvidenceID: ev.ID})
}

// existingControls keeps the controls the organization has: a library
// control it never adopted cannot carry evidence.
func (s *Service) existingControls(ctx context.Context, ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		if _, err := s.Store.Control(ctx, id); err == nil {
			out = append(out, id)
		} else if vigil.ErrorCode(err) != vigil.ENOTFOUND {
			return nil, err
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Name is the signal source's name.
func (s *Service) Name() string { return "policy" }

// Version changes with every policy change (the activity log's head) and
// every day (review states change with the clock).
func (s *Service) Version(ctx context.Context) (string, error) {
	head, err := s.Store.StateVersion(ctx)
	if err != nil {
		return "", err
	}
	return s.now().UTC().Format(time.DateOnly) + "/" + strconv.FormatInt(head, 10), nil
}

// Signals reports the policy set's health (vigil.PolicySetSignals).
func (s *Service) Signals(ctx context.Context) (map[string][]vigil.Signal, error) {
	ps, err := s.Store.Policies(ctx)
	if err != nil {
		return nil, err
	}
	seals, err := s.Store.PolicySeals(ctx)
	if err != nil {
		return nil, err
	}
	return map[string][]vigil.Signal{vigil.PolicySetControl: vigil.PolicySetSignals(ps, sealedSet(seals), s.now())}, nil
}

// List returns every policy, retired ones included, by key.
func (s *Service) List(ctx context.Context) ([]vigil.Policy, error) { return s.Store.Policies(ctx) }

// Get returns one policy with its published and newest versions.
func (s *Service) Get(ctx context.Context, id int64) (*vigil.Policy, error) {
	return s.Store.Policy(ctx, id)
}

// GetVersion returns one version of a policy, with its approvals.
func (s *Service) GetVersion(ctx context.Context, id int64, number int) (*vigil.PolicyVersion, error) {
	if _, err := s.Store.Policy(ctx, id); err != nil {
		return nil, err
	}
	return s.Store.PolicyVersion(ctx, id, number)
}

// ReviewState is p's review state now, with its due date.
func (s *Service) ReviewState(p *vigil.Policy) (vigil.PolicyReviewState, time.Time) {
	return p.ReviewStateAt(s.now()), p.ReviewDue()
}

// Templates lists the library's templates this organization is offered:
// those whose Trust Services Category is in scope (the privacy policy only
// when Privacy is).
func (s *Service) Templates(ctx context.Context) ([]Template, error) {
	lib, err := Library()
	if err != nil {
		return nil, err
	}
	sc, err := s.Store.Scope(ctx)
	if err != nil {
		return nil, err
	}
	out := lib[:0]
	for _, t := range lib {
		if sc.InScope(vigil.Category(t.Category)) {
			out = append(out, t)
		}
	}
	return out, nil
}

// Adopt makes a policy from a library template: its first draft is the
// template with the organization's name, the owner, the approvers, the
// review cycle and the systems in scope filled in; its controls are those
// of the template the organization has, its criteria the template's.
func (s *Service) Adopt(ctx context.Context, templateID string, p *vigil.Policy) error {
	ts, err := s.Templates(ctx)
	if err != nil {
		return err
	}
	var t *Template
	for i := range ts {
		if ts[i].ID == templateID {
			t = &ts[i]
		}
	}
	if t == nil {
		return vigil.FieldError("template", "no template %q in the library for this scope (see the policy templates)", truncateText(templateID, 60))
	}
	org, err := s.Store.Organization(ctx)
	if err != nil {
		return err
	}
	name := func(id int64) (string, error) {
		u, err := s.Store.User(ctx, id)
		if vigil.ErrorCode(err) == vigil.ENOTFOUND {
			return "", vigil.FieldError("approvers", "user %d does not exist", id)
		}
		if err != nil {
			return "", err
		}
		if u.Name != "" {
			return u.Name, nil
		}
		return u.Email, nil
	}
	owner, err := name(p.OwnerID)
	if err != nil {
		return vigil.FieldError("owner_id", "the owner: %s", vigil.ErrorMessage(err))
	}
	var approvers []string
	for _, id := range p.Approvers {
		n, err := name(id)
		if err != nil {
			return err
		}
		approvers = append(approvers, n)
	}
	systems, err := s.Store.ListSystems(ctx, 0, 1000)
	if err != nil {
		return err
	}
	var sys []string
	for _, x := range systems {
		sys = append(sys, x.Name)
	}
	months := p.ReviewMonths
	if months == 0 {
		months = vigil.DefaultReviewMonths
	}
	cycle := fmt.Sprintf("every %d months", months)
	if months == 12 {
		cycle = "annual (every 12 months)"
	}
	vars := Vars{Organization: org.Name, Owner: owner, Approver: strings.Join(approvers, ", "), ReviewCycle: cycle,
		EffectiveDate: "the date of publication recorded in Vigil", Systems: "all production systems"}
	if len(sys) > 0 {
		vars.Systems = strings.Join(sys, ", ")
	}
	if vars.Approver == "" {
		vars.Approver = owner // Validate refuses a policy without approvers, with a clearer message
	}
	body, err := t.Fill(vars)
	if err != nil {
		return err
	}
	if p.Title == "" {
		p.Title = t.Title
	}
	p.TemplateID, p.Criteria = t.ID, t.Criteria
	if p.Controls == nil {
		if p.Controls, err = s.existingControls(ctx, t.Controls); err != nil {
			return err
		}
	}
	return s.Create(ctx, p, body)
}

func truncateText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// Settings are the changes UpdateSettings makes; nil fields stay.
type Settings struct {
	Title        *string
	OwnerID      *int64
	Approvers    *[]int64
	Quorum       *int
	ReviewMonths *int
	Controls     *[]string
}

// UpdateSettings changes a policy's title, owner, approvers, quorum,
// review cycle or controls (admins only). A new approver list applies to
// approvals still to come, and at publication the quorum is counted again
// among the approvers of the moment.
func (s *Service) UpdateSettings(ctx context.Context, id int64, c Settings) (*vigil.Policy, error) {
	return s.Store.ChangePolicy(ctx, id, "policy.update", func(p *vigil.Policy, _ time.Time) error {
		if !vigil.ActorFrom(ctx).Role.Can(vigil.PermManage) {
			return vigil.Errorf(vigil.EFORBIDDEN, "only an admin or owner changes a policy's settings")
		}
		if p.RetiredAt != nil {
			return vigil.Errorf(vigil.ECONFLICT, "policy %s is retired", p.Key)
		}
		if c.Title != nil {
			p.Title = *c.Title
		}
		if c.OwnerID != nil {
			p.OwnerID = *c.OwnerID
		}
		if c.Approvers != nil {
			p.Approvers = *c.Approvers
		}
		if c.Quorum != nil {
			p.Quorum = *c.Quorum
			if p.Quorum == 0 {
				return vigil.FieldError("quorum", "quorum must be at least 1")
			}
		}
		if c.ReviewMonths != nil {
			p.ReviewMonths = *c.ReviewMonths
			if p.ReviewMonths == 0 {
				return vigil.FieldError("review_months", "review cycle must be 1 to %d months", vigil.MaxReviewMonths)
			}
		}
		if c.Controls != nil {
			ok, err := s.existingControls(ctx, *c.Controls)
			if err != nil {
				return err
			}
			if len(ok) != len(*c.Controls) {
				return vigil.FieldError("controls", "every control must be one of the organization's")
			}
			p.Controls = ok
		}
		return nil
	})
}

// Diff compares two versions of a policy word by word.
func (s *Service) Diff(ctx context.Context, id int64, from, to int) ([]Change, error) {
	a, err := s.GetVersion(ctx, id, from)
	if err != nil {
		return nil, err
	}
	b, err := s.GetVersion(ctx, id, to)
	if err != nil {
		return nil, err
	}
	return WordDiff(a.Body, b.Body), nil
}
