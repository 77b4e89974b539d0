package vigil

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The library controls the vendor module shows operating.
const (
	VendorInventoryControl   = "VM-01" // inventory with data access and criticality
	VendorDiligenceControl   = "VM-02" // due diligence before onboarding
	VendorReassessControl    = "VM-03" // critical vendors reassessed, reports current
	VendorContractControl    = "VM-04" // contracts or DPAs with security terms
	VendorExpiryWarnDays     = 60      // documents flagged this long before they expire
	MaxVendorNameLen         = 200
	MaxVendorTextLen         = 2000
	MaxVendorCSV             = 1 << 20
	MaxVendorCSVRows         = 5000
	QuestionnaireLinkDays    = 14 // default life of a questionnaire link
	MaxQuestionnaireLinkDays = 60
	MaxAttachments           = 3
	MaxAttachmentBytes       = 2 << 20
	MaxAnswerCommentLen      = 2000
)

// DataCategory is a kind of data an organization shares with a vendor,
// from a small fixed classification: Vigil keeps no classification of
// its own elsewhere, so this is it.
type DataCategory string

// The data categories. None is an answer ("we share no data"), not a
// missing one: a vendor with no category recorded is a gap in VM-01.
const (
	DataNone         DataCategory = "none"
	DataPublic       DataCategory = "public"
	DataInternal     DataCategory = "internal"
	DataConfidential DataCategory = "confidential"
	DataRestricted   DataCategory = "restricted"
	DataCustomer     DataCategory = "customer_data"
	DataPersonal     DataCategory = "personal_data"
)

// DataCategories lists every category, least sensitive first.
var DataCategories = []DataCategory{DataNone, DataPublic, DataInternal, DataConfidential, DataRestricted, DataCustomer, DataPersonal}

// Sensitive reports whether sharing c needs contract terms (VM-04):
// confidential, restricted, customer or personal data.
func (c DataCategory) Sensitive() bool {
	return c == DataConfidential || c == DataRestricted || c == DataCustomer || c == DataPersonal
}

// VendorTier is a vendor's criticality.
type VendorTier string

// The tiers. "" is a vendor not assessed yet (a gap in VM-01).
const (
	TierCritical VendorTier = "critical"
	TierHigh     VendorTier = "high"
	TierMedium   VendorTier = "medium"
	TierLow      VendorTier = "low"
)

// VendorTiers lists the tiers, most critical first.
var VendorTiers = []VendorTier{TierCritical, TierHigh, TierMedium, TierLow}

// TierCriteria are the written criteria for choosing a tier, shown where
// a tier is chosen.
var TierCriteria = map[VendorTier]string{
	TierCritical: "an outage or breach at the vendor stops the service customers rely on, or exposes customer or personal data at scale (hosting, identity, payment, the production database)",
	TierHigh:     "the vendor holds confidential, customer or personal data, or has access to production, but the service survives its outage",
	TierMedium:   "the vendor holds internal data only, with no production access; replaceable within weeks",
	TierLow:      "no data beyond public or business-contact data, no access to systems; replaceable at will",
}

// ReviewMonths is how often a tier is reassessed (0: no periodic review).
func (t VendorTier) ReviewMonths() int {
	switch t {
	case TierCritical:
		return 12
	case TierHigh:
		return 24
	case TierMedium:
		return 36
	}
	return 0
}

// VendorStatus is where a vendor stands in its relationship.
type VendorStatus string

// The statuses: onboarding (due diligence under way), active, offboarded.
const (
	VendorOnboarding VendorStatus = "onboarding"
	VendorActive     VendorStatus = "active"
	VendorOffboarded VendorStatus = "offboarded"
)

// Vendor is one third party in the inventory.
type Vendor struct {
	ID         int64          `json:"id"`
	Key        string         `json:"key"` // VND-001
	Name       string         `json:"name"`
	Service    string         `json:"service"` // what it provides
	Purpose    string         `json:"purpose,omitempty"`
	OwnerID    int64          `json:"owner_id,omitempty"`
	OwnerName  string         `json:"owner_name,omitempty"`
	DataShared []DataCategory `json:"data_shared"`
	Tier       VendorTier     `json:"tier,omitempty"`
	// Subservice marks a subservice organization in the audit's sense:
	// one whose controls the organization's report carves out or includes.
	Subservice bool `json:"subservice"`
	// Subprocessor marks a vendor that processes customer personal data:
	// it is listed on the subprocessor list.
	Subprocessor  bool         `json:"subprocessor"`
	Location      string       `json:"location,omitempty"`
	ContractStart Date         `json:"contract_start,omitempty"`
	ContractEnd   Date         `json:"contract_end,omitempty"`
	Status        VendorStatus `json:"status"`
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`
}

// Validate normalizes and checks a vendor. Owner, tier and data shared
// may be missing (an imported list often lacks them): VM-01 names the
// gap rather than the inventory refusing the vendor.
func (v *Vendor) Validate() error {
	v.Name, v.Service = strings.TrimSpace(v.Name), strings.TrimSpace(v.Service)
	v.Purpose, v.Location = strings.TrimSpace(v.Purpose), strings.TrimSpace(v.Location)
	if err := oneLine("name", "name", v.Name, MaxVendorNameLen, true); err != nil {
		return err
	}
	if err := oneLine("service", "service", v.Service, MaxVendorNameLen, false); err != nil {
		return err
	}
	if err := oneLine("location", "location", v.Location, 100, false); err != nil {
		return err
	}
	if len(v.Purpose) > MaxVendorTextLen || !utf8.ValidString(v.Purpose) || strings.ContainsRune(v.Purpose, 0) {
		return FieldError("purpose", "purpose must be text of at most %d characters", MaxVendorTextLen)
	}
	if v.Tier != "" && !slices.Contains(VendorTiers, v.Tier) {
		return FieldError("tier", "tier must be critical, high, medium or low, got %q", clipText(string(v.Tier), 40))
	}
	seen := map[DataCategory]bool{}
	var data []DataCategory
	for _, c := range v.DataShared {
		c = DataCategory(strings.TrimSpace(strings.ToLower(string(c))))
		if !slices.Contains(DataCategories, c) {
			return FieldError("data_shared", "unknown data category %q (want none, public, internal, confidential, restricted, customer_data or personal_data)", clipText(string(c), 40))
		}
		if !seen[c] {
			seen[c] = true
			data = append(data, c)
		}
	}
	if seen[DataNone] && len(data) > 1 {
		return FieldError("data_shared", "data shared is either none or a list of categories, not both")
	}
	slices.SortFunc(data, func(a, b DataCategory) int { return slices.Index(DataCategories, a) - slices.Index(DataCategories, b) })
	v.DataShared = data
	switch v.Status {
	case "":
		v.Status = VendorOnboarding
	case VendorOnboarding, VendorActive, VendorOffboarded:
	default:
		return FieldError("status", "status must be onboarding, active or offboarded, got %q", clipText(string(v.Status), 40))
	}
	for _, d := range []struct {
		f string
		v Date
	}{{"contract_start", v.ContractStart}, {"contract_end", v.ContractEnd}} {
		if d.v != "" {
			if _, err := ParseDate(d.f, string(d.v)); err != nil {
				return err
			}
		}
	}
	if v.ContractStart != "" && v.ContractEnd != "" && v.ContractEnd < v.ContractStart {
		return FieldError("contract_end", "the contract ends (%s) before it starts (%s)", v.ContractEnd, v.ContractStart)
	}
	return nil
}

// SharesSensitive reports whether the vendor receives data that needs
// contract terms.
func (v *Vendor) SharesSensitive() bool {
	return slices.ContainsFunc(v.DataShared, DataCategory.Sensitive)
}

// InventoryGaps are what VM-01 needs of the vendor and lacks.
func (v *Vendor) InventoryGaps() []string {
	var out []string
	if v.OwnerID == 0 {
		out = append(out, "no owner")
	}
	if v.Tier == "" {
		out = append(out, "no tier")
	}
	if len(v.DataShared) == 0 {
		out = append(out, "no data shared recorded")
	}
	return out
}

// DocKind is the kind of a due-diligence document.
type DocKind string

// The document kinds.
const (
	DocSOC2         DocKind = "soc2_report"
	DocISO27001     DocKind = "iso27001"
	DocBridgeLetter DocKind = "bridge_letter"
	DocDPA          DocKind = "dpa"
	DocBAA          DocKind = "baa"
	DocContract     DocKind = "contract"
)

// DocKinds lists the document kinds.
var DocKinds = []DocKind{DocSOC2, DocISO27001, DocBridgeLetter, DocDPA, DocBAA, DocContract}

// Assurance reports whether a document of kind k is an assurance report
// (a SOC 2 report, an ISO 27001 certificate, a bridge letter), kept for
// VM-03; the others are contract terms, kept for VM-04.
func (k DocKind) Assurance() bool { return k == DocSOC2 || k == DocISO27001 || k == DocBridgeLetter }

// Control is the control a document of kind k is evidence for.
func (k DocKind) Control() string {
	if k.Assurance() {
		return VendorReassessControl
	}
	return VendorContractControl
}

// Conclusion is a reviewer's conclusion on a document or questionnaire.
type Conclusion string

// The conclusions. Only the first two count toward due diligence.
const (
	ConclusionAcceptable   Conclusion = "acceptable"
	ConclusionConditions   Conclusion = "acceptable_with_conditions"
	ConclusionUnacceptable Conclusion = "unacceptable"
)

// Accepts reports whether c accepts the vendor.
func (c Conclusion) Accepts() bool { return c == ConclusionAcceptable || c == ConclusionConditions }

// ParseConclusion checks a conclusion.
func ParseConclusion(s string) (Conclusion, error) {
	c := Conclusion(strings.TrimSpace(s))
	if c != ConclusionAcceptable && c != ConclusionConditions && c != ConclusionUnacceptable {
		return "", FieldError("conclusion", "conclusion must be acceptable, acceptable_with_conditions or unacceptable, got %q", clipText(s, 40))
	}
	return c, nil
}

// CUEC is one complementary user entity control a vendor's report asks
// of its customers, with the organization's controls that satisfy it.
// One mapped to no control is a gap (VM-03).
type CUEC struct {
	ID         int64    `json:"id"`
	DocumentID int64    `json:"document_id"`
	Text       string   `json:"text"`
	Controls   []string `json:"controls"`
}

// VendorDocument is one due-diligence document, its bytes in the ledger.
type VendorDocument struct {
	ID         int64   `json:"id"`
	VendorID   int64   `json:"vendor_id"`
	Kind       DocKind `json:"kind"`
	Title      string  `json:"title"`
	EvidenceID int64   `json:"evidence_id"`
	// PeriodStart and PeriodEnd are a SOC 2 report's period (a type 1
	// report: both its date).
	PeriodStart Date `json:"period_start,omitempty"`
	PeriodEnd   Date `json:"period_end,omitempty"`
	// Expires is a certificate's or bridge letter's expiry, or a
	// contract's end; a SOC 2 report expires twelve months after its
	// period ends.
	Expires        Date       `json:"expires,omitempty"`
	ReportType     string     `json:"report_type,omitempty"` // type1, type2
	Opinion        string     `json:"opinion,omitempty"`     // unqualified, qualified, adverse, disclaimer
	Exceptions     string     `json:"exceptions,omitempty"`
	SubserviceOrgs []string   `json:"subservice_orgs,omitempty"`
	CUECs          []CUEC     `json:"cuecs,omitempty"`
	Conclusion     Conclusion `json:"conclusion,omitempty"`
	ReviewNote     string     `json:"review_note,omitempty"`
	ReviewerID     int64      `json:"reviewer_id,omitempty"`
	ReviewerName   string     `json:"reviewer_name,omitempty"`
	ReviewedAt     *time.Time `json:"reviewed_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
}

// Validate normalizes and checks a document's details.
func (d *VendorDocument) Validate() error {
	d.Title = strings.TrimSpace(d.Title)
	if !slices.Contains(DocKinds, d.Kind) {
		return FieldError("kind", "kind must be soc2_report, iso27001, bridge_letter, dpa, baa or contract, got %q", clipText(string(d.Kind), 40))
	}
	if err := oneLine("title", "title", d.Title, 300, false); err != nil {
		return err
	}
	for _, x := range []struct {
		f string
		v Date
	}{{"period_start", d.PeriodStart}, {"period_end", d.PeriodEnd}, {"expires", d.Expires}} {
		if x.v != "" {
			if _, err := ParseDate(x.f, string(x.v)); err != nil {
				return err
			}
		}
	}
	switch d.Kind {
	case DocSOC2:
		if d.PeriodEnd == "" {
			return FieldError("period_end", "a SOC 2 report needs the end of its period (or its date, for a type 1)")
		}
		if d.PeriodStart != "" && d.PeriodStart > d.PeriodEnd {
			return FieldError("period_start", "the period starts after it ends")
		}
		if d.ReportType != "type1" && d.ReportType != "type2" {
			return FieldError("report_type", "report type must be type1 or type2, got %q", clipText(d.ReportType, 20))
		}
		if !slices.Contains([]string{"unqualified", "qualified", "adverse", "disclaimer"}, d.Opinion) {
			return FieldError("opinion", "opinion must be unqualified, qualified, adverse or disclaimer, got %q", clipText(d.Opinion, 20))
		}
	case DocISO27001, DocBridgeLetter:
		if d.Expires == "" {
			return FieldError("expires", "a %s needs its expiry date", strings.ReplaceAll(string(d.Kind), "_", " "))
		}
	}
	if len(d.Exceptions) > MaxVendorTextLen || !utf8.ValidString(d.Exceptions) {
		return FieldError("exceptions", "exceptions must be text of at most %d characters", MaxVendorTextLen)
	}
	var orgs []string
	for _, o := range d.SubserviceOrgs {
		if o = strings.TrimSpace(o); o != "" {
			if err := oneLine("subservice_orgs", "subservice orgs", o, MaxVendorNameLen, false); err != nil {
				return err
			}
			orgs = append(orgs, o)
		}
	}
	d.SubserviceOrgs = orgs
	for i := range d.CUECs {
		d.CUECs[i].Text = strings.TrimSpace(d.CUECs[i].Text)
		if d.CUECs[i].Text == "" || len(d.CUECs[i].Text) > MaxVendorTextLen || !utf8.ValidString(d.CUECs[i].Text) {
			return FieldError("cuecs", "complementary user entity control %d must be text of 1 to %d characters", i+1, MaxVendorTextLen)
		}
	}
	return nil
}

// Bounds on a document's dates, from what the documents are: an ISO
// 27001 certificate runs three years, a bridge letter covers months.
const (
	maxISOYears         = 3
	maxBridgeLetterDays = 366
)

// CheckDates refuses dates a real document cannot have at now: a SOC 2
// period ending in the future (the report is written after it), or an
// expiry further out than the kind allows. A mistyped year would
// otherwise keep the vendor current for a decade.
func (d *VendorDocument) CheckDates(now time.Time) error {
	today := now.UTC().Format(time.DateOnly)
	switch {
	case d.PeriodEnd != "" && string(d.PeriodEnd) > today:
		return FieldError("period_end", "the period ends on %s, in the future: a report covers a period already over", d.PeriodEnd)
	case d.Kind == DocISO27001 && d.Expires != "" && string(d.Expires) > now.UTC().AddDate(maxISOYears, 0, 0).Format(time.DateOnly):
		return FieldError("expires", "an ISO 27001 certificate runs %d years: %s is further out", maxISOYears, d.Expires)
	case d.Kind == DocBridgeLetter && d.Expires != "" && string(d.Expires) > now.UTC().AddDate(0, 0, maxBridgeLetterDays).Format(time.DateOnly):
		return FieldError("expires", "a bridge letter covers months, not beyond a year: %s is further out", d.Expires)
	}
	return nil
}

// ValidUntil is the last day the document counts (zero: no end).
func (d *VendorDocument) ValidUntil() time.Time {
	switch {
	case d.Kind == DocSOC2 && d.PeriodEnd != "":
		return d.PeriodEnd.Time().AddDate(1, 0, 0)
	case d.Expires != "":
		return d.Expires.Time()
	}
	return time.Time{}
}

// ExpiryState is where a document stands against its expiry.
type ExpiryState string

// The expiry states.
const (
	ExpiryNone     ExpiryState = "no_expiry"
	ExpiryCurrent  ExpiryState = "current"
	ExpiryExpiring ExpiryState = "expiring" // within VendorExpiryWarnDays
	ExpiryExpired  ExpiryState = "expired"
)

// ExpiryAt is the document's expiry state on the day of now.
func (d *VendorDocument) ExpiryAt(now time.Time) ExpiryState {
	until := d.ValidUntil()
	if until.IsZero() {
		return ExpiryNone
	}
	today := now.UTC().Truncate(24 * time.Hour)
	switch {
	case until.Before(today):
		return ExpiryExpired
	case until.Before(today.AddDate(0, 0, VendorExpiryWarnDays)):
		return ExpiryExpiring
	}
	return ExpiryCurrent
}

// UnmappedCUECs are the document's CUECs no control satisfies.
func (d *VendorDocument) UnmappedCUECs() []CUEC {
	var out []CUEC
	for _, c := range d.CUECs {
		if len(c.Controls) == 0 {
			out = append(out, c)
		}
	}
	return out
}

// VendorQuestion is one question of a questionnaire, with the answer that
// scores.
type VendorQuestion struct {
	ID       string `json:"id"`
	Section  string `json:"section"`
	Text     string `json:"text"`
	Expected string `json:"expected"` // yes or no
}

// Answer is a vendor's answer to one question.
type Answer struct {
	QuestionID string `json:"question_id"`
	Value      string `json:"value"` // yes, no or na
	Comment    string `json:"comment,omitempty"`
}

// ScoreAnswers checks answers against the questions (every question
// answered yes, no or na, comments bounded) and scores them: the percent
// of questions answered as expected. "na" never scores, so a vendor
// cannot raise its score by declining to answer.
func ScoreAnswers(qs []VendorQuestion, answers []Answer) (int, []Answer, error) {
	by := map[string]Answer{}
	for _, a := range answers {
		by[a.QuestionID] = a
	}
	out := make([]Answer, 0, len(qs))
	match := 0
	for _, q := range qs {
		a, ok := by[q.ID]
		a.Value, a.Comment = strings.TrimSpace(strings.ToLower(a.Value)), strings.TrimSpace(a.Comment)
		if !ok || (a.Value != "yes" && a.Value != "no" && a.Value != "na") {
			return 0, nil, FieldError("q-"+q.ID, "question %s needs an answer: yes, no or not applicable", q.ID)
		}
		if len(a.Comment) > MaxAnswerCommentLen || !utf8.ValidString(a.Comment) {
			return 0, nil, FieldError("c-"+q.ID, "the comment on question %s must be text of at most %d characters", q.ID, MaxAnswerCommentLen)
		}
		a.QuestionID = q.ID
		if a.Value == q.Expected {
			match++
		}
		out = append(out, a)
	}
	if len(qs) == 0 {
		return 0, nil, FieldError("template", "the questionnaire has no questions")
	}
	return match * 100 / len(qs), out, nil
}

// Attachment is a file a vendor sent with its answers, sealed as
// evidence.
type Attachment struct {
	EvidenceID int64  `json:"evidence_id"`
	Filename   string `json:"filename"`
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256"`
}

// QuestionnaireState is where a questionnaire round stands.
type QuestionnaireState string

// The round states.
const (
	QuestionnaireSent     QuestionnaireState = "sent"
	QuestionnaireExpired  QuestionnaireState = "expired"
	QuestionnaireAnswered QuestionnaireState = "answered"
	QuestionnaireReviewed QuestionnaireState = "reviewed"
)

// Questionnaire is one round of a questionnaire sent to a vendor's
// contact by link. A follow-up is a new round in the same thread.
type Questionnaire struct {
	ID           int64        `json:"id"`
	VendorID     int64        `json:"vendor_id"`
	VendorName   string       `json:"vendor_name,omitempty"`
	ThreadID     int64        `json:"thread_id"` // the first round's ID
	Round        int          `json:"round"`
	Template     string       `json:"template"`
	Contact      string       `json:"contact"`
	Message      string       `json:"message,omitempty"` // shown to the vendor: the follow-up's questions
	ExpiresAt    time.Time    `json:"expires_at"`
	CreatedAt    time.Time    `json:"created_at"`
	SubmittedAt  *time.Time   `json:"submitted_at,omitempty"`
	Answers      []Answer     `json:"answers,omitempty"`
	Attachments  []Attachment `json:"attachments,omitempty"`
	Score        int          `json:"score"`
	EvidenceID   int64        `json:"evidence_id,omitempty"`
	Conclusion   Conclusion   `json:"conclusion,omitempty"`
	ReviewNote   string       `json:"review_note,omitempty"`
	ReviewerID   int64        `json:"reviewer_id,omitempty"`
	ReviewerName string       `json:"reviewer_name,omitempty"`
	ReviewedAt   *time.Time   `json:"reviewed_at,omitempty"`
	// State is StateAt the time it was read.
	State QuestionnaireState `json:"state,omitempty"`
}

// StateAt is the round's state at now.
func (q *Questionnaire) StateAt(now time.Time) QuestionnaireState {
	switch {
	case q.ReviewedAt != nil:
		return QuestionnaireReviewed
	case q.SubmittedAt != nil:
		return QuestionnaireAnswered
	case !now.Before(q.ExpiresAt):
		return QuestionnaireExpired
	}
	return QuestionnaireSent
}

// CheckContact validates a vendor contact's email address.
func CheckContact(s string) (string, error) {
	s = strings.TrimSpace(s)
	at := strings.LastIndexByte(s, '@')
	if at < 1 || at == len(s)-1 || len(s) > 254 || strings.ContainsAny(s, " \t\r\n\x00<>\"'") {
		return "", FieldError("contact", "contact must be an email address, got %q", clipText(s, 60))
	}
	return s, nil
}

// VendorReview is where a vendor stands against its review cadence.
type VendorReview struct {
	State      string    `json:"state"` // not_required, never, current, due, overdue
	LastReview time.Time `json:"last_review,omitzero"`
	Due        time.Time `json:"due,omitzero"`
}

// LastAcceptedReview is the latest review, of an assurance document or a
// questionnaire, that accepted the vendor.
func LastAcceptedReview(docs []VendorDocument, qs []Questionnaire) time.Time {
	var last time.Time
	for _, d := range docs {
		// A contract's review checks its terms, not the vendor's
		// security: only assurance documents reassess the vendor.
		if d.Kind.Assurance() && d.ReviewedAt != nil && d.Conclusion.Accepts() && d.ReviewedAt.After(last) {
			last = *d.ReviewedAt
		}
	}
	for _, q := range qs {
		if q.ReviewedAt != nil && q.Conclusion.Accepts() && q.ReviewedAt.After(last) {
			last = *q.ReviewedAt
		}
	}
	return last
}

// ReviewAt is where v stands against its tier's cadence at now: due
// within VendorExpiryWarnDays of the date, overdue after it.
func (v *Vendor) ReviewAt(docs []VendorDocument, qs []Questionnaire, now time.Time) VendorReview {
	months := v.Tier.ReviewMonths()
	last := LastAcceptedReview(docs, qs)
	r := VendorReview{LastReview: last}
	switch {
	case months == 0 || v.Status == VendorOffboarded:
		r.State = "not_required"
	case last.IsZero():
		r.State = "never"
	default:
		r.Due = last.AddDate(0, months, 0)
		// By day, as the signals are recomputed: the day after the due
		// day it is overdue, all of that day.
		today, due := now.UTC().Format(time.DateOnly), r.Due.UTC().Format(time.DateOnly)
		switch {
		case today > due:
			r.State = "overdue"
		case today > r.Due.AddDate(0, 0, -VendorExpiryWarnDays).UTC().Format(time.DateOnly):
			r.State = "due"
		default:
			r.State = "current"
		}
	}
	return r
}

// latestOfKind is, per kind, the document whose validity runs latest:
// a newer report supersedes an older one, which then no longer fails.
func latestOfKind(docs []VendorDocument) map[DocKind]*VendorDocument {
	out := map[DocKind]*VendorDocument{}
	for i := range docs {
		d := &docs[i]
		if d.ReviewedAt != nil && !d.Conclusion.Accepts() {
			continue
		}
		if cur, ok := out[d.Kind]; !ok || d.ValidUntil().After(cur.ValidUntil()) || d.ValidUntil().Equal(cur.ValidUntil()) && d.ID > cur.ID {
			out[d.Kind] = d
		}
	}
	return out
}

// VendorRecords is what the vendor signals judge: every vendor with its
// documents and questionnaire rounds.
type VendorRecords struct {
	Vendors        []Vendor
	Documents      map[int64][]VendorDocument
	Questionnaires map[int64][]Questionnaire
	// Apps are the third-party apps connected systems listed: those
	// matching no vendor warn on VM-01 as untracked vendors.
	Apps []DiscoveredApp
}

func vendorNames(vs []*Vendor) string {
	var names []string
	for i, v := range vs {
		if i == 5 {
			names = append(names, fmt.Sprintf("and %d more", len(vs)-5))
			break
		}
		names = append(names, v.Name)
	}
	return strings.Join(names, ", ")
}

// VendorSignals judges VM-01 to VM-04 from the records at now. No vendor,
// or none a control speaks about, is unknown, never a pass.
func VendorSignals(r VendorRecords, now time.Time) map[string][]Signal {
	sig := func(ctl string, st SignalStatus, op bool, format string, args ...any) Signal {
		return Signal{ControlID: ctl, Source: "vendors", Status: st, Reason: fmt.Sprintf(format, args...), At: now, Operating: op}
	}
	out := map[string][]Signal{}
	var current []*Vendor // not offboarded
	for i := range r.Vendors {
		if r.Vendors[i].Status != VendorOffboarded {
			current = append(current, &r.Vendors[i])
		}
	}
	if len(current) == 0 {
		for _, c := range []string{VendorInventoryControl, VendorDiligenceControl, VendorReassessControl, VendorContractControl} {
			out[c] = []Signal{sig(c, SignalUnknown, false, "the vendor inventory is empty: no vendor is recorded")}
		}
		if u := untrackedSignal(r, sig); u != nil {
			out[VendorInventoryControl] = append(out[VendorInventoryControl], *u)
		}
		return out
	}

	// VM-01: every vendor with owner, tier and data shared.
	var incomplete []string
	for _, v := range current {
		if g := v.InventoryGaps(); len(g) > 0 {
			incomplete = append(incomplete, v.Name+" ("+strings.Join(g, ", ")+")")
		}
	}
	if len(incomplete) > 0 {
		more := ""
		if len(incomplete) > 5 {
			more = fmt.Sprintf(" and %d more", len(incomplete)-5)
			incomplete = incomplete[:5]
		}
		out[VendorInventoryControl] = []Signal{sig(VendorInventoryControl, SignalFail, false, "inventory incomplete: %s%s", strings.Join(incomplete, "; "), more)}
	} else {
		out[VendorInventoryControl] = []Signal{sig(VendorInventoryControl, SignalOK, true, "%d vendors in the inventory, each with an owner, a tier and the data shared", len(current))}
	}
	// Apps the connected systems show that nobody has reviewed: the
	// inventory may be complete for what it lists, but not list them.
	if u := untrackedSignal(r, sig); u != nil {
		out[VendorInventoryControl] = append(out[VendorInventoryControl], *u)
	}

	// VM-02: every active vendor onboarded after an accepted review of a
	// questionnaire or an assurance report.
	var active, notDiligent []*Vendor
	for _, v := range current {
		if v.Status != VendorActive {
			continue
		}
		active = append(active, v)
		ok := false
		for _, q := range r.Questionnaires[v.ID] {
			ok = ok || q.ReviewedAt != nil && q.Conclusion.Accepts()
		}
		for _, d := range r.Documents[v.ID] {
			ok = ok || d.Kind.Assurance() && d.ReviewedAt != nil && d.Conclusion.Accepts()
		}
		if !ok {
			notDiligent = append(notDiligent, v)
		}
	}
	switch {
	case len(active) == 0:
		out[VendorDiligenceControl] = []Signal{sig(VendorDiligenceControl, SignalUnknown, false, "no active vendor: nothing shows due diligence before onboarding")}
	case len(notDiligent) > 0:
		out[VendorDiligenceControl] = []Signal{sig(VendorDiligenceControl, SignalFail, false, "active without an accepted questionnaire or report review: %s", vendorNames(notDiligent))}
	default:
		out[VendorDiligenceControl] = []Signal{sig(VendorDiligenceControl, SignalOK, true, "%d active vendors, each with an accepted questionnaire or report review", len(active))}
	}

	out[VendorReassessControl] = reassessSignals(r, current, now, sig)
	out[VendorContractControl] = contractSignals(r, current, now, sig)
	return out
}

type sigFunc func(ctl string, st SignalStatus, op bool, format string, args ...any) Signal

// reassessSignals judges VM-03: critical and high vendors reviewed within
// their cadence, with a current assurance report, no expired document,
// and every CUEC of their reports mapped to a control.
func reassessSignals(r VendorRecords, current []*Vendor, now time.Time, sig sigFunc) []Signal {
	const c = VendorReassessControl
	var out []Signal
	var untiered []*Vendor
	judged, good := 0, 0
	for _, v := range current {
		if v.Tier == "" {
			untiered = append(untiered, v)
			continue
		}
		if v.Tier != TierCritical && v.Tier != TierHigh {
			continue
		}
		judged++
		docs, qs := r.Documents[v.ID], r.Questionnaires[v.ID]
		var fails, warns []string
		rev := v.ReviewAt(docs, qs, now)
		switch rev.State {
		case "never":
			fails = append(fails, "never reviewed")
		case "overdue":
			fails = append(fails, "review overdue since "+rev.Due.UTC().Format(time.DateOnly))
		case "due":
			warns = append(warns, "review due by "+rev.Due.UTC().Format(time.DateOnly))
		}
		latest := latestOfKind(docs)
		report := false
		for _, k := range []DocKind{DocSOC2, DocISO27001, DocBridgeLetter} {
			d := latest[k]
			if d == nil {
				continue
			}
			switch d.ExpiryAt(now) {
			case ExpiryExpired:
				if k != DocBridgeLetter {
					fails = append(fails, fmt.Sprintf("%s %q expired on %s", k, d.Title, d.ValidUntil().Format(time.DateOnly)))
				}
				continue
			case ExpiryExpiring:
				warns = append(warns, fmt.Sprintf("%s %q expires on %s", k, d.Title, d.ValidUntil().Format(time.DateOnly)))
			}
			if d.ReviewedAt == nil {
				warns = append(warns, fmt.Sprintf("%s %q awaits review", k, d.Title))
				continue
			}
			if k != DocBridgeLetter {
				report = true
			}
			if n := len(d.UnmappedCUECs()); n > 0 {
				fails = append(fails, fmt.Sprintf("%d complementary user entity control(s) of %q mapped to no control", n, d.Title))
			}
		}
		if !report {
			fails = append(fails, "no current, reviewed SOC 2 report or ISO 27001 certificate")
		}
		switch {
		case len(fails) > 0:
			out = append(out, sig(c, SignalFail, false, "%s (%s): %s", v.Name, v.Tier, strings.Join(append(fails, warns...), "; ")))
		case len(warns) > 0:
			good++
			out = append(out, sig(c, SignalWarn, true, "%s (%s): %s", v.Name, v.Tier, strings.Join(warns, "; ")))
		default:
			good++
		}
	}
	if len(untiered) > 0 {
		out = append(out, sig(c, SignalUnknown, false, "no tier recorded, so whether reassessment is due cannot be told: %s", vendorNames(untiered)))
	}
	if judged == 0 && len(untiered) == 0 {
		return []Signal{sig(c, SignalUnknown, false, "no critical or high vendor: nothing shows reassessment operating")}
	}
	if good > 0 && len(out) == 0 {
		out = append(out, sig(c, SignalOK, true, "%d critical and high vendors reviewed within their cadence, with current reports and every complementary control mapped", good))
	}
	return out
}

// contractSignals judges VM-04: a contract, DPA or BAA on file, not
// expired and reviewed as acceptable, for every vendor given confidential
// or personal data. A document nobody has reviewed shows a file exists,
// not that it holds the security and privacy terms: it is unknown until
// reviewed.
func contractSignals(r VendorRecords, current []*Vendor, now time.Time, sig sigFunc) []Signal {
	const c = VendorContractControl
	var missing, unknown, unreviewed, ended []*Vendor
	judged := 0
	var warns []string
	for _, v := range current {
		if len(v.DataShared) == 0 {
			unknown = append(unknown, v)
			continue
		}
		if !v.SharesSensitive() {
			continue
		}
		judged++
		// The inventory's own contract end outranks any document: terms
		// that ended protect nothing, whatever file is on record.
		if v.ContractEnd != "" && string(v.ContractEnd) < now.UTC().Format(time.DateOnly) {
			ended = append(ended, v)
			continue
		}
		ok, waiting := false, false
		for _, d := range r.Documents[v.ID] {
			if d.Kind.Assurance() || d.ExpiryAt(now) == ExpiryExpired {
				continue
			}
			if d.ReviewedAt == nil {
				waiting = true
				continue
			}
			if !d.Conclusion.Accepts() {
				continue
			}
			if d.ExpiryAt(now) == ExpiryExpiring {
				warns = append(warns, fmt.Sprintf("%s: %s ends on %s", v.Name, d.Kind, d.ValidUntil().Format(time.DateOnly)))
			}
			ok = true
		}
		switch {
		case ok:
		case waiting:
			unreviewed = append(unreviewed, v)
		default:
			missing = append(missing, v)
		}
	}
	var out []Signal
	if len(missing) > 0 {
		out = append(out, sig(c, SignalFail, false, "confidential or personal data shared without a current contract, DPA or BAA on file: %s", vendorNames(missing)))
	}
	if len(ended) > 0 {
		out = append(out, sig(c, SignalFail, false, "confidential or personal data shared after the contract ended (contract end in the inventory): %s", vendorNames(ended)))
	}
	if len(unknown) > 0 {
		out = append(out, sig(c, SignalUnknown, false, "data shared not recorded, so whether contract terms are needed cannot be told: %s", vendorNames(unknown)))
	}
	if len(unreviewed) > 0 {
		out = append(out, sig(c, SignalUnknown, false, "contract, DPA or BAA on file but not yet reviewed for its security and privacy terms: %s", vendorNames(unreviewed)))
	}
	if judged == 0 && len(unknown) == 0 {
		return []Signal{sig(c, SignalUnknown, false, "no vendor receives confidential or personal data: nothing shows contract terms in place")}
	}
	if len(out) == 0 {
		st := SignalOK
		reason := fmt.Sprintf("%d vendors given confidential or personal data, each with a current contract, DPA or BAA on file and reviewed as acceptable", judged)
		if len(warns) > 0 {
			st, reason = SignalWarn, reason+"; "+strings.Join(warns, "; ")
		}
		out = append(out, sig(c, st, true, "%s", reason))
	}
	return out
}

// Subprocessor is one line of the subprocessor list.
type Subprocessor struct {
	Name     string `json:"name"`
	Service  string `json:"service,omitempty"`
	Purpose  string `json:"purpose"`
	Location string `json:"location"`
}

// Subprocessors derives the subprocessor list from the inventory: vendors
// flagged as subprocessors, not offboarded, by name.
func Subprocessors(vs []Vendor) []Subprocessor {
	out := []Subprocessor{}
	for _, v := range vs {
		if v.Subprocessor && v.Status != VendorOffboarded {
			out = append(out, Subprocessor{Name: v.Name, Service: v.Service, Purpose: v.Purpose, Location: v.Location})
		}
	}
	slices.SortFunc(out, func(a, b Subprocessor) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out
}
