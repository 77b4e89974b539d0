package people

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/evidence"
)

// HR records and onboarding: background checks (HR-01), performance
// review attestations (HR-04), confidentiality agreements (HR-05) and each
// starter's onboarding checklist (HR-06), judged from records only.

// identityKinds are the kinds of connected system whose accounts say
// whether MFA is enrolled (integrations/idp sets vigil.Account.MFA).
var identityKinds = []string{"okta", "google"}

// FileMeta describes an uploaded file that is sealed as evidence.
type FileMeta struct {
	Filename  string
	MediaType string
	Size      int64 // -1: unknown
}

func mayManage(ctx context.Context, what string) error {
	if !vigil.ActorFrom(ctx).Role.Can(vigil.PermManage) {
		return vigil.Errorf(vigil.EFORBIDDEN, "only an admin or owner %s", what)
	}
	return nil
}

// seal seals a record's file into the ledger against ctl
// (evidence.Service.SealFile), restricted: HR files are personal data.
func (s *Service) seal(ctx context.Context, ctl, title string, day vigil.Date, f FileMeta, r io.Reader) (*vigil.Evidence, error) {
	return s.Evidence.SealFile(ctx, ctl, evidence.Meta{Restricted: true, Title: title, Filename: f.Filename, MediaType: f.MediaType,
		EffectiveStart: day, EffectiveEnd: day, DeclaredSize: f.Size}, r)
}

// RecordBackgroundCheck records a completed background check with its
// report (or the vendor's attestation), which is sealed into the ledger
// against HR-01 first. Nothing is sealed for a check that would be
// refused.
func (s *Service) RecordBackgroundCheck(ctx context.Context, b *vigil.BackgroundCheck, f FileMeta, r io.Reader) error {
	if err := mayManage(ctx, "records a background check"); err != nil {
		return err
	}
	p, err := s.Store.Person(ctx, b.PersonID)
	if err != nil {
		return err
	}
	if r == nil || f.Filename == "" {
		return vigil.FieldError("file", "a background check is recorded with its report or the vendor's attestation as evidence")
	}
	probe := *b
	probe.EvidenceID = 1
	if err := probe.Validate(s.now()); err != nil {
		return err
	}
	*b = probe
	// The ledger's titles are listed to every role: the result stays in
	// the register, readable only by those who read people.
	ev, err := s.seal(ctx, vigil.BackgroundCheckControl, fmt.Sprintf("Background check of %s, completed %s", p.Email, b.CompletedOn), b.CompletedOn, f, r)
	if err != nil {
		return err
	}
	b.EvidenceID, b.RecordedBy = ev.ID, vigil.ActorFrom(ctx).UserID
	return s.Store.AddBackgroundCheck(ctx, b)
}

// RecordAgreement records a confidentiality agreement signed outside
// Vigil, with the signed document sealed against HR-05.
func (s *Service) RecordAgreement(ctx context.Context, c *vigil.ConfidentialityAgreement, f FileMeta, r io.Reader) error {
	if err := mayManage(ctx, "records a signed agreement"); err != nil {
		return err
	}
	p, err := s.Store.Person(ctx, c.PersonID)
	if err != nil {
		return err
	}
	if r == nil || f.Filename == "" {
		return vigil.FieldError("file", "a signed agreement is recorded with the signed document as evidence")
	}
	c.Method = vigil.AgreementUpload
	probe := *c
	probe.EvidenceID = 1
	if err := probe.Validate(s.now()); err != nil {
		return err
	}
	*c = probe
	day := vigil.Date(c.SignedAt.UTC().Format(time.DateOnly))
	ev, err := s.seal(ctx, vigil.ConfidentialityControl, fmt.Sprintf("Confidentiality agreement %s signed by %s on %s", c.Document, p.Email, day), day, f, r)
	if err != nil {
		return err
	}
	c.EvidenceID, c.SHA256, c.RecordedBy = ev.ID, ev.SHA256, vigil.ActorFrom(ctx).UserID
	return s.Store.AddConfidentialityAgreement(ctx, c)
}

// RecordPerformanceReview records the actor's attestation that a
// person's review was done: the person's manager or HR, never the person.
func (s *Service) RecordPerformanceReview(ctx context.Context, r *vigil.PerformanceReview) error {
	a := vigil.ActorFrom(ctx)
	if a.UserID == 0 {
		return vigil.Errorf(vigil.EFORBIDDEN, "a performance review is attested by a person, signed in")
	}
	u, err := s.Store.User(ctx, a.UserID)
	if err != nil {
		return err
	}
	if err := r.Validate(s.now()); err != nil {
		return err
	}
	if r.EvidenceID != 0 {
		if _, err := s.Store.Evidence(ctx, r.EvidenceID); vigil.ErrorCode(err) == vigil.ENOTFOUND {
			return vigil.FieldError("evidence_id", "evidence item %d does not exist", r.EvidenceID)
		} else if err != nil {
			return err
		}
	}
	r.AttestedBy, r.Attester = a.UserID, u.Email
	return s.Store.AddPerformanceReview(ctx, r, func(p *vigil.Person) error { return a.MayAttestReview(p, u.Email) })
}

// SetConfidentialityPolicy designates the published policy people sign
// in Vigil as their confidentiality agreement (0: none).
func (s *Service) SetConfidentialityPolicy(ctx context.Context, policyID int64) error {
	if err := mayManage(ctx, "designates the confidentiality agreement"); err != nil {
		return err
	}
	return s.Store.SetConfidentialityPolicy(ctx, policyID)
}

// SignConfidentiality signs the designated agreement for the signed-in
// person: an acknowledgement of the policy's version in force, naming the
// SHA-256 of the text they were shown, exactly as any policy is
// acknowledged.
func (s *Service) SignConfidentiality(ctx context.Context, version int, sha string) (*vigil.PolicyAck, error) {
	id, err := s.Store.ConfidentialityPolicy(ctx)
	if err != nil {
		return nil, err
	}
	if id == 0 {
		return nil, vigil.Errorf(vigil.ECONFLICT, "no confidentiality agreement is designated: an admin names the policy people sign")
	}
	return s.Acknowledge(ctx, id, version, sha)
}

// hrState is what HR views and signals are computed from, read once.
type hrState struct {
	*state
	now        time.Time
	from       time.Time
	checks     map[int64][]vigil.BackgroundCheck
	reviews    map[int64][]vigil.PerformanceReview
	agreements map[int64][]vigil.ConfidentialityAgreement
	designated int64
	uploads    int
	reqs       []vigil.AckRequirement
	acks       map[string][]vigil.PolicyAck // by email
	awareness  int
	users      map[string]int64                    // user ID by email
	done       map[int64][]vigil.Completion        // passing awareness completions by user
	systems    []string                            // identity systems reporting MFA
	sysOf      map[int64]string                    // their names by integration ID
	mfa        map[int64]map[string]*vigil.Account // person → system → account
}

func (s *Service) loadHR(ctx context.Context) (*hrState, error) {
	st, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	h := &hrState{state: st, now: s.now(), checks: map[int64][]vigil.BackgroundCheck{}, reviews: map[int64][]vigil.PerformanceReview{},
		agreements: map[int64][]vigil.ConfidentialityAgreement{}, acks: map[string][]vigil.PolicyAck{}, users: map[string]int64{},
		done: map[int64][]vigil.Completion{}, sysOf: map[int64]string{}, mfa: map[int64]map[string]*vigil.Account{}}
	sc, err := s.Store.Scope(ctx)
	if err != nil && vigil.ErrorCode(err) != vigil.ENOTFOUND {
		return nil, err
	}
	h.from = vigil.OnboardingFrom(sc, h.now, s.lookback())
	bs, err := s.Store.BackgroundChecks(ctx, 0)
	if err != nil {
		return nil, err
	}
	for _, b := range bs {
		h.checks[b.PersonID] = append(h.checks[b.PersonID], b)
	}
	rs, err := s.Store.PerformanceReviews(ctx, 0)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		h.reviews[r.PersonID] = append(h.reviews[r.PersonID], r)
	}
	cs, err := s.Store.ConfidentialityAgreements(ctx, 0)
	if err != nil {
		return nil, err
	}
	h.uploads = len(cs)
	for _, c := range cs {
		h.agreements[c.PersonID] = append(h.agreements[c.PersonID], c)
	}
	if h.reqs, err = s.Store.AckRequirements(ctx); err != nil {
		return nil, err
	}
	byEmail := make(map[string]int64, len(st.people))
	for _, p := range st.people {
		byEmail[p.Email] = p.ID
	}
	if h.designated, err = s.Store.ConfidentialityPolicy(ctx); err != nil {
		return nil, err
	}
	for _, r := range h.reqs {
		acks, err := s.Store.PolicyAcks(ctx, r.PolicyID)
		if err != nil {
			return nil, err
		}
		for _, a := range acks {
			h.acks[a.Email] = append(h.acks[a.Email], a)
			// An acknowledgement of the designated agreement is a
			// signature, made in Vigil by the person.
			if r.PolicyID == h.designated && byEmail[a.Email] != 0 {
				id := byEmail[a.Email]
				h.agreements[id] = append(h.agreements[id], vigil.ConfidentialityAgreement{PersonID: id, Email: a.Email, SignedAt: a.At,
					Method: vigil.AgreementESign, Document: fmt.Sprintf("%s %s version %d", r.Key, r.Title, a.Number), SHA256: a.SHA256})
			}
		}
	}
	courses, err := s.Store.Courses(ctx)
	if err != nil {
		return nil, err
	}
	aware := map[int64]bool{}
	for _, c := range courses {
		if c.Kind == vigil.CourseAwareness && c.RetiredAt == nil {
			aware[c.ID] = true
			h.awareness++
		}
	}
	users, err := s.Store.ListUsers(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		h.users[u.Email] = u.ID
	}
	// Completions are kept per user; the register's email names the user.
	xs, err := s.Store.Completions(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	for _, x := range xs {
		if aware[x.CourseID] && x.Passed {
			h.done[x.UserID] = append(h.done[x.UserID], x)
		}
	}
	ints, err := s.Store.Integrations(ctx)
	if err != nil {
		return nil, err
	}
	for _, x := range ints {
		// Only a system whose accounts were collected can say anything.
		if _, ok := st.collections[x.ID]; ok && slices.Contains(identityKinds, x.Kind) {
			h.sysOf[x.ID] = x.Name
			h.systems = append(h.systems, x.Name)
		}
	}
	for i := range st.accounts {
		a := &st.accounts[i]
		if sys, ok := h.sysOf[a.IntegrationID]; ok && a.PersonID != 0 && a.Present {
			if h.mfa[a.PersonID] == nil {
				h.mfa[a.PersonID] = map[string]*vigil.Account{}
			}
			h.mfa[a.PersonID][sys] = a
		}
	}
	return h, nil
}

// facts gathers one person's onboarding facts.
func (h *hrState) facts(p *vigil.Person) *vigil.OnboardingFacts {
	f := &vigil.OnboardingFacts{Checks: h.checks[p.ID], Agreements: h.agreements[p.ID], AwarenessCourses: h.awareness,
		Acks: h.acks[p.Email], IdentitySystems: h.systems}
	if uid, ok := h.users[p.Email]; ok {
		f.HasUser, f.Completions = true, h.done[uid]
	}
	// The policies in force at the start: their required version was
	// published by then. Later ones are acknowledged in the ordinary
	// cycle (GV-02), not as part of onboarding.
	end := p.Start.Time().AddDate(0, 0, 1)
	for _, r := range h.reqs {
		if r.Since.Before(end) {
			f.Policies = append(f.Policies, r)
		}
	}
	for _, sys := range h.systems {
		f.MFA = append(f.MFA, vigil.MFAAccount{System: sys, Account: h.mfa[p.ID][sys]})
	}
	return f
}

func (h *hrState) checklists() []vigil.OnboardingChecklist {
	out := []vigil.OnboardingChecklist{}
	for _, p := range vigil.Starters(h.people, h.from) {
		out = append(out, vigil.Onboard(&p, h.facts(&p), h.now))
	}
	return out
}

// actorEmail is the signed-in user's email ("" for a token-less system).
func (s *Service) actorEmail(ctx context.Context) (string, error) {
	a := vigil.ActorFrom(ctx)
	if a.UserID == 0 {
		return "", nil
	}
	u, err := s.Store.User(ctx, a.UserID)
	if err != nil {
		return "", err
	}
	return u.Email, nil
}

// HR is one person's HR records and onboarding checklist: for whoever
// reads the register, and for the person themself.
func (s *Service) HR(ctx context.Context, personID int64) (*vigil.PersonHR, error) {
	email, err := s.actorEmail(ctx)
	if err != nil {
		return nil, err
	}
	h, err := s.loadHR(ctx)
	if err != nil {
		return nil, err
	}
	p := h.byID[personID]
	if p == nil {
		return nil, vigil.NotFound("person", strconv.FormatInt(personID, 10))
	}
	if !vigil.ActorFrom(ctx).MaySeeHR(p, email) {
		return nil, vigil.Errorf(vigil.EFORBIDDEN, "you may see only your own HR records and onboarding")
	}
	out := &vigil.PersonHR{Person: *p, BackgroundChecks: orEmpty(h.checks[p.ID]), PerformanceReviews: orEmpty(h.reviews[p.ID]),
		Agreements: orEmpty(h.agreements[p.ID])}
	if p.InScope && p.Start != "" && !p.Start.Time().Before(h.from.Truncate(24*time.Hour)) {
		c := vigil.Onboard(p, h.facts(p), h.now)
		out.Onboarding = &c
	}
	return out, nil
}

func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// Onboarding is every starter's checklist in the period (people with
// read_people only).
func (s *Service) Onboarding(ctx context.Context) (*vigil.OnboardingLog, error) {
	if !vigil.ActorFrom(ctx).Role.Can(vigil.PermReadPeople) {
		return nil, vigil.Errorf(vigil.EFORBIDDEN, "only roles that read the register see everyone's onboarding")
	}
	h, err := s.loadHR(ctx)
	if err != nil {
		return nil, err
	}
	return &vigil.OnboardingLog{From: h.from, Lists: h.checklists(), ConfidentialityPolicy: h.designated}, nil
}

// OnboardingDue is what a person still has to do on their checklist
// (due, overdue or unknown items), soonest first: for "My tasks". Empty
// for someone not starting in the period.
func (s *Service) OnboardingDue(ctx context.Context, personID int64) ([]vigil.OnboardingItem, error) {
	d, err := s.HR(ctx, personID)
	if err != nil {
		return nil, err
	}
	out := []vigil.OnboardingItem{}
	if d.Onboarding == nil {
		return out, nil
	}
	for _, it := range d.Onboarding.Items {
		if it.State != vigil.OnboardComplete && it.State != vigil.OnboardLate {
			out = append(out, it)
		}
	}
	slices.SortStableFunc(out, func(a, b vigil.OnboardingItem) int { return cmpStr(string(a.Due), string(b.Due)) })
	return out, nil
}

// HRSource is the HR records' signal source: HR-01, HR-04, HR-05 and
// HR-06. It is separate from the Service's own source (HR-07, GV-02) so
// that each can be cached and fail on its own.
type HRSource struct{ People *Service }

// Name is the signal source's name.
func (h HRSource) Name() string { return "hr" }

// Version changes with every recorded change, every collection of
// accounts, and every day (due dates pass with the clock).
func (h HRSource) Version(ctx context.Context) (string, error) { return h.People.Version(ctx) }

// Signals reports HR-01, HR-04, HR-05 and HR-06.
func (h HRSource) Signals(ctx context.Context) (map[string][]vigil.Signal, error) {
	st, err := h.People.loadHR(ctx)
	if err != nil {
		return nil, err
	}
	lists := st.checklists()
	n := len(st.people)
	return map[string][]vigil.Signal{
		vigil.BackgroundCheckControl: vigil.BackgroundSignals(lists, n, st.from, st.now),
		vigil.OnboardingControl:      vigil.OnboardingSignals(lists, n, st.from, st.now),
		vigil.ConfidentialityControl: vigil.ConfidentialitySignals(st.people, func(id int64) []vigil.ConfidentialityAgreement { return st.agreements[id] },
			st.designated != 0 || st.uploads > 0, st.now),
		vigil.PerformanceControl: vigil.PerformanceSignals(st.people, func(id int64) []vigil.PerformanceReview { return st.reviews[id] }, st.now),
	}, nil
}
