package vigil

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// PolicyState is where one version of a policy is in its life.
type PolicyState string

// The states of a policy version, in the order a version passes through
// them. A version is edited only as a draft; once submitted its text is
// fixed, so what the approvers read is what is published and what people
// acknowledge. Publishing a version retires the one it replaces.
const (
	PolicyDraft     PolicyState = "draft"
	PolicyInReview  PolicyState = "in_review"
	PolicyApproved  PolicyState = "approved"
	PolicyPublished PolicyState = "published"
	PolicyRetired   PolicyState = "retired"
)

// PolicyReviewState is whether a policy's periodic review is on time.
type PolicyReviewState string

// The review states. A policy never published has no review to be on time
// with ("unpublished"): for the policy set's health that is unknown, not
// current.
const (
	ReviewUnpublished PolicyReviewState = "unpublished"
	ReviewCurrent     PolicyReviewState = "current"
	ReviewDueSoon     PolicyReviewState = "due_soon"
	ReviewOverdue     PolicyReviewState = "overdue"
	ReviewRetired     PolicyReviewState = "retired"
)

// Limits on policies.
const (
	MaxPolicyTitleLen   = 200
	MaxPolicyBodyLen    = 512 << 10 // a 20-page policy is about 60 KiB of Markdown
	MaxPolicyApprovers  = 20
	MaxChangeSummaryLen = 2000
	DefaultReviewMonths = 12
	MaxReviewMonths     = 36
	// ReviewDueSoonDays is how long before its due date a review shows as
	// due soon.
	ReviewDueSoonDays = 30
)

// Policy is one document of the policy set: its owner, who approves it and
// how many of them must, its review cycle, and its versions' history.
type Policy struct {
	ID           int64    `json:"id"`
	Key          string   `json:"key"` // POL-001, for people and auditors
	Title        string   `json:"title"`
	TemplateID   string   `json:"template,omitempty"` // the library template it was adopted from
	OwnerID      int64    `json:"owner_id"`
	OwnerName    string   `json:"owner_name,omitempty"`
	Approvers    []int64  `json:"approvers"`
	Quorum       int      `json:"quorum"`
	ReviewMonths int      `json:"review_months"`
	Controls     []string `json:"controls"` // the organization's controls it supports
	// Criteria are the TSC criteria it supports (from its template).
	Criteria  []string   `json:"criteria"`
	CreatedAt time.Time  `json:"created_at"`
	RetiredAt *time.Time `json:"retired_at,omitempty"`
	// ReviewRound numbers the next "no changes" review of the published
	// text (Reapprove's review).
	ReviewRound int `json:"review_round"`

	// LastReviewedAt is when the published text was last approved, by
	// publication or by a review that changed nothing.
	LastReviewedAt *time.Time `json:"last_reviewed_at,omitempty"`
	// Published is the version in force, if any; Latest the newest.
	Published *PolicyVersion `json:"published,omitempty"`
	Latest    *PolicyVersion `json:"latest,omitempty"`
}

// PolicyVersion is one text of a policy and its passage through review.
type PolicyVersion struct {
	PolicyID int64       `json:"policy_id"`
	Number   int         `json:"number"`
	State    PolicyState `json:"state"`
	Body     string      `json:"body"`
	// SHA256 is of Body's bytes: acknowledgements and the ledger name it,
	// so that what a person accepted can be shown to be this text.
	SHA256        string `json:"sha256"`
	ChangeSummary string `json:"change_summary,omitempty"`
	// Material versions must be acknowledged again by everyone in scope;
	// the publisher decides (a typo fix need not be).
	Material bool `json:"material"`
	// Editors are everyone who wrote any of this text: none of them may
	// approve it.
	Editors     []int64          `json:"editors"`
	CreatedBy   int64            `json:"created_by"`
	CreatedAt   time.Time        `json:"created_at"`
	SubmittedAt *time.Time       `json:"submitted_at,omitempty"`
	ApprovedAt  *time.Time       `json:"approved_at,omitempty"`
	PublishedAt *time.Time       `json:"published_at,omitempty"`
	Effective   string           `json:"effective_date,omitempty"` // YYYY-MM-DD
	RetiredAt   *time.Time       `json:"retired_at,omitempty"`
	Approvals   []PolicyApproval `json:"approvals"`
}

// PolicyApproval is one approver's approval of a version, at publication
// or at a review that changed nothing.
type PolicyApproval struct {
	UserID  int64     `json:"user_id"`
	Name    string    `json:"name,omitempty"`
	At      time.Time `json:"at"`
	Comment string    `json:"comment,omitempty"`
	// Review is 0 for the approval that let the version be published, and
	// the review's number for a later "no changes" re-approval.
	Review int `json:"review,omitempty"`
}

// PolicyBodySHA256 is the hash acknowledgements and the ledger name.
func PolicyBodySHA256(body string) string {
	s := sha256.Sum256([]byte(body))
	return hex.EncodeToString(s[:])
}

// Validate checks a policy's settings: its title, owner, approvers and
// quorum, and review cycle. isApprover tells whether a user may approve
// policies at all (exists, active, and a role that writes).
func (p *Policy) Validate(isApprover func(int64) bool) error {
	p.Title = strings.TrimSpace(p.Title)
	switch {
	case p.Title == "":
		return FieldError("title", "title is required")
	case len(p.Title) > MaxPolicyTitleLen || !utf8.ValidString(p.Title) || strings.ContainsAny(p.Title, "\x00\r\n"):
		return FieldError("title", "title must be one line of at most %d characters", MaxPolicyTitleLen)
	case p.OwnerID <= 0:
		return FieldError("owner_id", "a policy has an owner")
	}
	if p.ReviewMonths == 0 {
		p.ReviewMonths = DefaultReviewMonths
	}
	if p.ReviewMonths < 1 || p.ReviewMonths > MaxReviewMonths {
		return FieldError("review_months", "review cycle must be 1 to %d months, got %d", MaxReviewMonths, p.ReviewMonths)
	}
	if len(p.Approvers) == 0 {
		return FieldError("approvers", "name at least one approver")
	}
	if len(p.Approvers) > MaxPolicyApprovers {
		return FieldError("approvers", "at most %d approvers", MaxPolicyApprovers)
	}
	seen := map[int64]bool{}
	for _, a := range p.Approvers {
		if seen[a] {
			return FieldError("approvers", "user %d is named twice", a)
		}
		seen[a] = true
		if !isApprover(a) {
			return FieldError("approvers", "user %d cannot approve policies (unknown, disabled, or a role that writes nothing)", a)
		}
	}
	if p.Quorum == 0 {
		p.Quorum = 1
	}
	if p.Quorum < 1 || p.Quorum > len(p.Approvers) {
		return FieldError("quorum", "quorum must be 1 to %d (the number of approvers), got %d", len(p.Approvers), p.Quorum)
	}
	return nil
}

// ReviewDue is when the policy's next review is due: its review cycle after
// the published text was last approved. Zero when never published.
func (p *Policy) ReviewDue() time.Time {
	if p.LastReviewedAt == nil {
		return time.Time{}
	}
	months := p.ReviewMonths
	if months <= 0 {
		months = DefaultReviewMonths
	}
	return p.LastReviewedAt.AddDate(0, months, 0)
}

// ReviewStateAt is the policy's review state at time t.
func (p *Policy) ReviewStateAt(t time.Time) PolicyReviewState {
	switch {
	case p.RetiredAt != nil:
		return ReviewRetired
	case p.Published == nil || p.LastReviewedAt == nil:
		return ReviewUnpublished
	}
	due := p.ReviewDue()
	switch {
	case !t.Before(due):
		return ReviewOverdue
	case !t.Before(due.AddDate(0, 0, -ReviewDueSoonDays)):
		return ReviewDueSoon
	}
	return ReviewCurrent
}

// IsApprover reports whether user is one of the policy's approvers.
func (p *Policy) IsApprover(user int64) bool { return slices.Contains(p.Approvers, user) }

// MayEditPolicy: the policy's owner, or anyone who manages the program.
func (a Actor) MayEditPolicy(p *Policy) bool {
	return a.Role.Can(PermManage) || a.Role.Can(PermEditOwnControl) && a.UserID != 0 && a.UserID == p.OwnerID
}

// ValidateBody checks a version's text.
func ValidateBody(body string) error {
	switch {
	case strings.TrimSpace(body) == "":
		return FieldError("body", "the policy text is empty")
	case len(body) > MaxPolicyBodyLen:
		return FieldError("body", "the policy text is %d KiB; at most %d KiB", len(body)>>10, MaxPolicyBodyLen>>10)
	case !utf8.ValidString(body) || strings.ContainsRune(body, 0):
		return FieldError("body", "the policy text must be UTF-8 text")
	}
	return nil
}

// Edit replaces a draft's text, recording the editor.
func (v *PolicyVersion) Edit(editor int64, body, summary string) error {
	if v.State != PolicyDraft {
		return Errorf(ECONFLICT, "version %d is %s: only a draft is edited (start a new version)", v.Number, v.State)
	}
	if err := ValidateBody(body); err != nil {
		return err
	}
	if len(summary) > MaxChangeSummaryLen || !utf8.ValidString(summary) {
		return FieldError("change_summary", "change summary must be text of at most %d characters", MaxChangeSummaryLen)
	}
	v.Body, v.SHA256, v.ChangeSummary = body, PolicyBodySHA256(body), strings.TrimSpace(summary)
	if editor != 0 && !slices.Contains(v.Editors, editor) {
		v.Editors = append(v.Editors, editor)
	}
	return nil
}

// Submit sends a draft to its approvers; its text is fixed from now.
func (v *PolicyVersion) Submit(p *Policy, now time.Time) error {
	switch {
	case p.RetiredAt != nil:
		return Errorf(ECONFLICT, "policy %s is retired", p.Key)
	case v.State != PolicyDraft:
		return Errorf(ECONFLICT, "version %d is %s, not a draft", v.Number, v.State)
	}
	if err := ValidateBody(v.Body); err != nil {
		return err
	}
	// Someone must be left to approve: an approver who wrote the text
	// cannot, and a quorum the others cannot reach would leave the
	// version in review for ever.
	if n := p.eligibleApprovers(v); n < p.Quorum {
		return Errorf(ECONFLICT, "%d of the approvers did not edit this version, and the quorum is %d: name other approvers or lower the quorum", n, p.Quorum)
	}
	v.State, v.SubmittedAt, v.Approvals = PolicyInReview, &now, nil
	return nil
}

func (p *Policy) eligibleApprovers(v *PolicyVersion) int {
	n := 0
	for _, a := range p.Approvers {
		if !slices.Contains(v.Editors, a) {
			n++
		}
	}
	return n
}

// MayApprove is whether actor may approve version v of p now: a named
// approver, who wrote none of it and has not approved it already.
func (v *PolicyVersion) MayApprove(p *Policy, actor Actor) error {
	switch {
	case v.State != PolicyInReview:
		return Errorf(ECONFLICT, "version %d is %s: only a version in review is approved", v.Number, v.State)
	case !p.IsApprover(actor.UserID):
		return Errorf(EFORBIDDEN, "%s is not an approver of %s", actor.Name, p.Key)
	case slices.Contains(v.Editors, actor.UserID):
		return Errorf(EFORBIDDEN, "%s edited this version and cannot approve it", actor.Name)
	}
	for _, a := range v.Approvals {
		if a.UserID == actor.UserID && a.Review == 0 {
			return Errorf(ECONFLICT, "%s has already approved version %d", actor.Name, v.Number)
		}
	}
	return nil
}

// Approve records actor's approval; at the quorum the version is approved.
func (v *PolicyVersion) Approve(p *Policy, actor Actor, comment string, now time.Time) error {
	if err := v.MayApprove(p, actor); err != nil {
		return err
	}
	if len(comment) > MaxChangeSummaryLen || !utf8.ValidString(comment) {
		return FieldError("comment", "comment must be text of at most %d characters", MaxChangeSummaryLen)
	}
	v.Approvals = append(v.Approvals, PolicyApproval{UserID: actor.UserID, Name: actor.Name, At: now, Comment: strings.TrimSpace(comment)})
	if p.countApprovals(v, 0) >= p.Quorum {
		v.State, v.ApprovedAt = PolicyApproved, &now
	}
	return nil
}

// countApprovals counts the approvals of one round from users who are
// approvers now: one removed from the list since no longer counts.
func (p *Policy) countApprovals(v *PolicyVersion, review int) int {
	n := 0
	for _, a := range v.Approvals {
		if a.Review == review && p.IsApprover(a.UserID) && !slices.Contains(v.Editors, a.UserID) {
			n++
		}
	}
	return n
}

// Reject returns a version in review to draft, dropping its approvals: a
// changed text must be approved afresh.
func (v *PolicyVersion) Reject(p *Policy, actor Actor, reason string) error {
	switch {
	case v.State != PolicyInReview && v.State != PolicyApproved:
		return Errorf(ECONFLICT, "version %d is %s: only a version in review or approved is sent back", v.Number, v.State)
	case !p.IsApprover(actor.UserID) && !actor.MayEditPolicy(p):
		return Errorf(EFORBIDDEN, "%s may not send %s back", actor.Name, p.Key)
	case len(strings.Fields(reason)) < 2 || len(reason) > MaxChangeSummaryLen:
		return FieldError("reason", "say why the version goes back (a few words, at most %d characters)", MaxChangeSummaryLen)
	}
	v.State, v.SubmittedAt, v.ApprovedAt, v.Approvals = PolicyDraft, nil, nil, nil
	return nil
}

// Publish puts an approved version in force from its effective date,
// retiring the version it replaces.
func (v *PolicyVersion) Publish(p *Policy, effective string, material bool, now time.Time) error {
	switch {
	case p.RetiredAt != nil:
		return Errorf(ECONFLICT, "policy %s is retired", p.Key)
	case v.State != PolicyApproved:
		return Errorf(ECONFLICT, "version %d is %s: only an approved version is published", v.Number, v.State)
	case p.countApprovals(v, 0) < p.Quorum:
		// The approvers may have changed since: the quorum is judged now.
		return Errorf(ECONFLICT, "version %d has %d valid approvals; the quorum is now %d", v.Number, p.countApprovals(v, 0), p.Quorum)
	}
	if effective == "" {
		effective = now.UTC().Format(time.DateOnly)
	}
	if _, err := time.Parse(time.DateOnly, effective); err != nil {
		return FieldError("effective_date", "effective date must be YYYY-MM-DD, got %q", clipText(effective, 40))
	}
	if p.Published == nil {
		material = true // the first version is always acknowledged
	}
	if p.Published != nil {
		p.Published.State, p.Published.RetiredAt = PolicyRetired, &now
	}
	v.State, v.PublishedAt, v.Effective, v.Material = PolicyPublished, &now, effective, material
	p.Published, p.LastReviewedAt = v, v.ApprovedAt
	return nil
}

// Reapprove records a review that changed nothing: an approver confirms
// the published text still holds. Approvals count toward the round in
// progress (ReviewRound); at the quorum the policy counts as reviewed now
// and the next round begins.
func (p *Policy) Reapprove(actor Actor, comment string, now time.Time) (done bool, err error) {
	v := p.Published
	if p.ReviewRound < 1 {
		p.ReviewRound = 1
	}
	review := p.ReviewRound
	switch {
	case p.RetiredAt != nil:
		return false, Errorf(ECONFLICT, "policy %s is retired", p.Key)
	case v == nil:
		return false, Errorf(ECONFLICT, "policy %s has no published version to review", p.Key)
	case !p.IsApprover(actor.UserID):
		return false, Errorf(EFORBIDDEN, "%s is not an approver of %s", actor.Name, p.Key)
	case len(strings.Fields(comment)) < 2 || len(comment) > MaxChangeSummaryLen:
		// "No changes" must still say what was looked at.
		return false, FieldError("comment", "say what the review covered (a few words, at most %d characters)", MaxChangeSummaryLen)
	}
	for _, a := range v.Approvals {
		if a.UserID == actor.UserID && a.Review == review {
			return false, Errorf(ECONFLICT, "%s has already approved this review", actor.Name)
		}
	}
	v.Approvals = append(v.Approvals, PolicyApproval{UserID: actor.UserID, Name: actor.Name, At: now, Comment: strings.TrimSpace(comment), Review: review})
	if p.countApprovals(v, review) >= p.Quorum {
		p.LastReviewedAt = &now
		p.ReviewRound++
		return true, nil
	}
	return false, nil
}

// Retire takes the policy out of the set; its published version is
// retired with it. History stays.
func (p *Policy) Retire(now time.Time) error {
	if p.RetiredAt != nil {
		return Errorf(ECONFLICT, "policy %s is already retired", p.Key)
	}
	p.RetiredAt = &now
	if p.Published != nil {
		p.Published.State, p.Published.RetiredAt = PolicyRetired, &now
	}
	return nil
}

// PolicySetControl is the library control the policy set shows operating:
// a policy set approved by management and reviewed on its cycle.
const PolicySetControl = "GV-01"

// PolicySetSignals says what the policies show about the policy set
// (PolicySetControl), one signal per policy in force. Only a published
// version, sealed into the evidence ledger and within its review cycle,
// shows the set operating; a policy never published or not yet sealed is
// unknown, an overdue review fails, and no policy at all is unknown:
// silence is not a policy set. sealed tells whether a policy's version
// (review 0) or a review round of it has its ledger item.
func PolicySetSignals(ps []Policy, sealed func(policyID int64, number, review int) bool, now time.Time) []Signal {
	var out []Signal
	for i := range ps {
		p := &ps[i]
		if p.RetiredAt != nil {
			continue
		}
		sig := Signal{ControlID: PolicySetControl, Source: "policy"}
		name := p.Key + " " + p.Title
		switch st := p.ReviewStateAt(now); {
		case st == ReviewUnpublished:
			sig.Status, sig.Reason = SignalUnknown, name+" has no published version yet"
		case !sealed(p.ID, p.Published.Number, 0):
			sig.Status, sig.Reason = SignalUnknown, fmt.Sprintf("%s version %d is published but not yet sealed into the evidence ledger", name, p.Published.Number)
		case p.ReviewRound > 1 && !sealed(p.ID, p.Published.Number, p.ReviewRound-1) && p.LastReviewedAt != nil && p.Published.ApprovedAt != nil && p.LastReviewedAt.After(*p.Published.ApprovedAt):
			sig.Status, sig.Reason = SignalUnknown, fmt.Sprintf("%s: its last review is not yet sealed into the evidence ledger", name)
		case st == ReviewOverdue:
			sig.Status, sig.Reason, sig.At = SignalFail, fmt.Sprintf("%s: review overdue since %s", name, p.ReviewDue().Format(time.DateOnly)), *p.LastReviewedAt
		default:
			sig.Status, sig.Operating, sig.At = SignalOK, true, *p.LastReviewedAt
			if st == ReviewDueSoon {
				sig.Status = SignalWarn
			}
			sig.Reason = fmt.Sprintf("%s version %d approved by %s, last reviewed %s; next review due %s", name, p.Published.Number,
				approverNames(p.Published), p.LastReviewedAt.Format(time.DateOnly), p.ReviewDue().Format(time.DateOnly))
		}
		out = append(out, sig)
	}
	if len(out) == 0 {
		out = append(out, Signal{ControlID: PolicySetControl, Source: "policy", Status: SignalUnknown,
			Reason: "no policy is kept in Vigil: adopt or upload the policy set"})
	}
	return out
}

func approverNames(v *PolicyVersion) string {
	var names []string
	for _, a := range v.Approvals {
		if a.Review == 0 {
			names = append(names, a.Name)
		}
	}
	if len(names) == 0 {
		return "nobody recorded"
	}
	return strings.Join(names, ", ")
}
