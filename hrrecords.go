package vigil

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// HR records: the background checks, performance reviews and signed
// confidentiality agreements that show HR-01, HR-04 and HR-05 operating.
// Each is a record, never a tick: a background check names its report
// (or the vendor's attestation) in the evidence ledger, a review is
// attested by someone other than the person reviewed, an agreement is
// an acknowledgement made by the person or a signed document sealed as
// evidence. Records are only ever added: a correction is a newer record.

// The library controls the HR records show operating.
const (
	BackgroundCheckControl  = "HR-01"
	PerformanceControl      = "HR-04"
	ConfidentialityControl  = "HR-05"
	OnboardingControl       = "HR-06"
	MaxHRNote               = 2000
	MaxProviderLen          = 200
	PerformanceCycleMonths  = 12
	DefaultBackgroundDays   = 0 // due on the start date: completed on or before it
	DefaultTrainingDays     = 30
	DefaultOnboardAckDays   = 30
	DefaultMFADays          = 7
	DefaultConfidentialDays = 0
)

// BackgroundResult is what a background check found.
type BackgroundResult string

// The results background-check vendors report: "clear" (nothing found),
// "consider" (something found, for HR to adjudicate), "adjudicated" (HR
// reviewed a finding and cleared the hire). A check with any result was
// done; whether to hire is HR's decision, not the control's.
const (
	BackgroundClear       BackgroundResult = "clear"
	BackgroundConsider    BackgroundResult = "consider"
	BackgroundAdjudicated BackgroundResult = "adjudicated"
)

// BackgroundCheck is one completed background check.
type BackgroundCheck struct {
	ID          int64            `json:"id"`
	PersonID    int64            `json:"person_id"`
	CompletedOn Date             `json:"completed_on"`
	Provider    string           `json:"provider"`
	Result      BackgroundResult `json:"result"`
	// EvidenceID is the report, or the vendor's attestation, in the
	// ledger: a check without it is a claim, not a record.
	EvidenceID int64     `json:"evidence_id"`
	Note       string    `json:"note,omitempty"`
	RecordedBy int64     `json:"recorded_by,omitempty"`
	At         time.Time `json:"recorded_at"`
}

// Validate checks a background check before it is recorded.
func (b *BackgroundCheck) Validate(now time.Time) error {
	b.Provider = strings.TrimSpace(b.Provider)
	b.Note = strings.TrimSpace(b.Note)
	if b.PersonID <= 0 {
		return FieldError("person_id", "name the person checked")
	}
	if err := checkPastDate("completed_on", b.CompletedOn, now); err != nil {
		return err
	}
	switch {
	case b.Provider == "":
		return FieldError("provider", "name who ran the check (a vendor, or HR)")
	case len(b.Provider) > MaxProviderLen || !utf8.ValidString(b.Provider) || strings.ContainsAny(b.Provider, "\x00\r\n"):
		return FieldError("provider", "provider must be one line of at most %d characters", MaxProviderLen)
	case b.Result != BackgroundClear && b.Result != BackgroundConsider && b.Result != BackgroundAdjudicated:
		return FieldError("result", "result must be clear, consider or adjudicated, got %q", clipText(string(b.Result), 40))
	case b.EvidenceID <= 0:
		return FieldError("file", "a background check is recorded with its report or the vendor's attestation as evidence")
	}
	return checkNote(b.Note)
}

// PerformanceReview is an attestation that a person's performance
// evaluation for a period was done: by their manager or HR, never by the
// person themself.
type PerformanceReview struct {
	ID          int64     `json:"id"`
	PersonID    int64     `json:"person_id"`
	Period      string    `json:"period"` // the review cycle, e.g. 2026 or 2026-H1
	CompletedOn Date      `json:"completed_on"`
	EvidenceID  int64     `json:"evidence_id,omitempty"` // optional: the review form or HRIS export
	Note        string    `json:"note,omitempty"`
	AttestedBy  int64     `json:"attested_by"`
	Attester    string    `json:"attester,omitempty"` // their email
	At          time.Time `json:"recorded_at"`
}

// Validate checks a review attestation before it is recorded.
func (r *PerformanceReview) Validate(now time.Time) error {
	r.Period = strings.TrimSpace(r.Period)
	r.Note = strings.TrimSpace(r.Note)
	if r.PersonID <= 0 {
		return FieldError("person_id", "name the person reviewed")
	}
	if err := checkPastDate("completed_on", r.CompletedOn, now); err != nil {
		return err
	}
	if r.Period == "" {
		r.Period = string(r.CompletedOn)[:4]
	}
	if len(r.Period) > 40 || !utf8.ValidString(r.Period) || strings.ContainsAny(r.Period, "\x00\r\n") {
		return FieldError("period", "period must be one line of at most 40 characters (e.g. 2026)")
	}
	if r.EvidenceID < 0 {
		return FieldError("evidence_id", "evidence_id must be an evidence item or 0")
	}
	return checkNote(r.Note)
}

// MayAttestReview says whether the actor (whose email is email) may
// attest p's performance review: HR (who manages the program) or p's
// manager as the register names them, and in either case not p. The
// review is a check on the person; their own word is not one.
func (a Actor) MayAttestReview(p *Person, email string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	switch {
	case a.UserID == 0:
		return Errorf(EFORBIDDEN, "a performance review is attested by a person, signed in")
	case email != "" && (email == p.Email || containsFold(p.Aliases, email)):
		return Errorf(EFORBIDDEN, "%s cannot attest their own performance review: their manager or HR does", p.Email)
	case a.Role.Can(PermManage):
		return nil
	case email != "" && email == p.ManagerEmail:
		return nil
	}
	return Errorf(EFORBIDDEN, "only %s's manager or HR (an admin or owner) attests their performance review", p.Email)
}

func containsFold(xs []string, s string) bool {
	for _, x := range xs {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// AgreementMethod says how a confidentiality agreement was signed.
type AgreementMethod string

// The signing methods: acknowledged in Vigil by the person (the
// agreement is a published policy, acknowledged like any other), or a
// signed document (paper or another e-signature service) sealed as
// evidence by HR.
const (
	AgreementESign  AgreementMethod = "esign"
	AgreementUpload AgreementMethod = "upload"
)

// ConfidentialityAgreement is one person's signed agreement.
type ConfidentialityAgreement struct {
	ID       int64           `json:"id,omitempty"`
	PersonID int64           `json:"person_id"`
	Email    string          `json:"email,omitempty"`
	SignedAt time.Time       `json:"signed_at"`
	Method   AgreementMethod `json:"method"`
	// Document names what was signed: the policy key and version for an
	// e-signature, the document's title or version for an upload.
	Document string `json:"document"`
	// SHA256 is of the text the person was shown (esign) or of the signed
	// file (upload, the evidence item's hash).
	SHA256     string    `json:"sha256,omitempty"`
	EvidenceID int64     `json:"evidence_id,omitempty"`
	RecordedBy int64     `json:"recorded_by,omitempty"`
	At         time.Time `json:"recorded_at,omitzero"`
}

// Validate checks an uploaded agreement before it is recorded (an
// e-signature is an acknowledgement, checked as one).
func (c *ConfidentialityAgreement) Validate(now time.Time) error {
	c.Document = strings.TrimSpace(c.Document)
	switch {
	case c.PersonID <= 0:
		return FieldError("person_id", "name the person who signed")
	case c.Method != AgreementUpload:
		return FieldError("method", "only a signed document is recorded here; people sign in Vigil by acknowledging the agreement")
	case c.SignedAt.IsZero():
		return FieldError("signed_on", "say when the agreement was signed")
	case c.SignedAt.After(now.Add(24 * time.Hour)):
		return FieldError("signed_on", "signing date %s is in the future", c.SignedAt.UTC().Format(time.DateOnly))
	case c.Document == "":
		return FieldError("document", "name the document signed (title and version)")
	case len(c.Document) > MaxProviderLen || !utf8.ValidString(c.Document) || strings.ContainsAny(c.Document, "\x00\r\n"):
		return FieldError("document", "document must be one line of at most %d characters", MaxProviderLen)
	case c.EvidenceID <= 0:
		return FieldError("file", "a signed agreement is recorded with the signed document as evidence")
	}
	return nil
}

func checkPastDate(field string, d Date, now time.Time) error {
	if d == "" {
		return FieldError(field, "%s is required (YYYY-MM-DD)", field)
	}
	if _, err := ParseDate(field, string(d)); err != nil {
		return err
	}
	if d.Time().After(now) {
		return FieldError(field, "%s %s is in the future", field, d)
	}
	return nil
}

func checkNote(n string) error {
	if len(n) > MaxHRNote || !utf8.ValidString(n) || strings.ContainsRune(n, 0) {
		return FieldError("note", "note must be text of at most %d characters", MaxHRNote)
	}
	return nil
}

// PersonHR is one person's HR records and, for a starter in the period,
// their onboarding checklist.
type PersonHR struct {
	Person             Person                     `json:"person"`
	Onboarding         *OnboardingChecklist       `json:"onboarding,omitempty"`
	BackgroundChecks   []BackgroundCheck          `json:"background_checks"`
	PerformanceReviews []PerformanceReview        `json:"performance_reviews"`
	Agreements         []ConfidentialityAgreement `json:"confidentiality_agreements"`
}

// OnboardingLog is every starter's checklist in the period since From.
type OnboardingLog struct {
	From  time.Time             `json:"from"`
	Lists []OnboardingChecklist `json:"checklists"`
	// ConfidentialityPolicy is the policy people sign as their agreement
	// (0: none designated).
	ConfidentialityPolicy int64 `json:"confidentiality_policy_id,omitempty"`
}

// MaySeeHR reports whether the actor (email) may see p's HR records:
// whoever reads the register, and the person themself.
func (a Actor) MaySeeHR(p *Person, email string) bool {
	if a.Role.Can(PermReadPeople) {
		return true
	}
	// The person themself, signed in under their email or an alias.
	email = strings.ToLower(strings.TrimSpace(email))
	return email != "" && (email == p.Email || slices.Contains(p.Aliases, email))
}
