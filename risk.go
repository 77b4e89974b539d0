package vigil

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The library controls the risk register shows operating.
const (
	RiskAssessmentControl = "RA-01" // a yearly, signed risk assessment
	FraudRiskControl      = "RA-02" // fraud scenarios in that assessment
	RiskRegisterControl   = "RA-03" // owners and treatment tracked
)

// RiskControls are the controls the risk module reports on. RA-04
// (change-triggered review) is not among them: nothing Vigil records yet
// ties a change to a risk review, and a signal without records would be a
// guess.
var RiskControls = []string{RiskAssessmentControl, FraudRiskControl, RiskRegisterControl}

// Limits and defaults of the risk register.
const (
	DefaultAssessmentMonths = 12
	MaxAssessmentMonths     = 24
	MaxRiskTitleLen         = 200
	MaxRiskTextLen          = 4000
	// MaxAcceptanceMonths bounds an acceptance: accepting a risk for ever
	// is not a decision anyone reviews.
	MaxAcceptanceMonths = 36
	// AssessmentDueSoonDays is how long before it is due the next
	// assessment shows as a warning.
	AssessmentDueSoonDays = 30
)

// RiskLevel is one step of a likelihood or impact scale, with the words
// that say when it applies, so that two people score the same risk alike.
type RiskLevel struct {
	Value      int    `json:"value"`
	Name       string `json:"name"`
	Definition string `json:"definition"`
}

// RiskScale is the scale risks are scored on.
type RiskScale struct {
	Likelihood []RiskLevel `json:"likelihood"`
	Impact     []RiskLevel `json:"impact"`
}

// DefaultRiskScale is the 5 × 5 scale, with a written definition of each level.
var DefaultRiskScale = RiskScale{
	Likelihood: []RiskLevel{
		{1, "Rare", "not expected in the next 5 years; would need an unusual combination of events"},
		{2, "Unlikely", "could happen once in 2 to 5 years"},
		{3, "Possible", "about once in 1 to 2 years"},
		{4, "Likely", "several times a year"},
		{5, "Almost certain", "monthly or more often, or already happening"},
	},
	Impact: []RiskLevel{
		{1, "Negligible", "no customer notices; under $10k; fixed within a day"},
		{2, "Minor", "a few customers affected briefly; $10k to $100k; no data exposed"},
		{3, "Moderate", "many customers affected or limited internal data exposed; $100k to $1M; a commitment missed"},
		{4, "Major", "customer data exposed or a multi-day outage; $1M to $5M; regulators or customers must be told"},
		{5, "Severe", "widespread customer data exposure or the business at stake; over $5M"},
	},
}

// Max is the highest likelihood and impact values of the scale.
func (s RiskScale) Max() (likelihood, impact int) { return len(s.Likelihood), len(s.Impact) }

// Band names a score's band on the scale: low, medium, high or critical,
// by the share of the highest score it reaches.
func (s RiskScale) Band(score int) string {
	l, i := s.Max()
	switch top := l * i; {
	case score <= 0:
		return "unscored"
	case score*100 >= top*60: // 15 and over on 5 × 5
		return "critical"
	case score*100 >= top*40: // 10 to 14
		return "high"
	case score*100 >= top*20: // 5 to 9
		return "medium"
	}
	return "low"
}

// RiskCategory groups risks; fraud risks answer RA-02.
type RiskCategory string

// The risk categories.
const (
	RiskSecurity     RiskCategory = "security"
	RiskAvailability RiskCategory = "availability"
	RiskPrivacy      RiskCategory = "privacy"
	RiskFraud        RiskCategory = "fraud"
	RiskChange       RiskCategory = "change"
	RiskVendor       RiskCategory = "vendor"
	RiskPeople       RiskCategory = "people"
	RiskCompliance   RiskCategory = "compliance"
	RiskOperational  RiskCategory = "operational"
)

// RiskCategories lists every category, in the order pages show them.
var RiskCategories = []RiskCategory{RiskSecurity, RiskAvailability, RiskPrivacy, RiskFraud, RiskChange, RiskVendor, RiskPeople, RiskCompliance, RiskOperational}

// RiskTreatment is how a risk is dealt with.
type RiskTreatment string

// The treatments. An accepted risk needs an approver other than its
// owner and an expiry.
const (
	TreatMitigate RiskTreatment = "mitigate"
	TreatAccept   RiskTreatment = "accept"
	TreatTransfer RiskTreatment = "transfer"
	TreatAvoid    RiskTreatment = "avoid"
)

// RiskTreatments lists every treatment.
var RiskTreatments = []RiskTreatment{TreatMitigate, TreatAccept, TreatTransfer, TreatAvoid}

// Risk is one entry of the risk register.
type Risk struct {
	ID            int64        `json:"id"`
	Key           string       `json:"key"` // RISK-001
	LibraryID     string       `json:"library_id,omitempty"`
	Title         string       `json:"title"`
	Description   string       `json:"description,omitempty"`
	Category      RiskCategory `json:"category"`
	Asset         string       `json:"asset,omitempty"` // the asset or system at risk
	Threat        string       `json:"threat,omitempty"`
	Vulnerability string       `json:"vulnerability,omitempty"`
	OwnerID       int64        `json:"owner_id,omitempty"`
	OwnerName     string       `json:"owner_name,omitempty"`
	// OwnerDisabled is set when the owner can no longer sign in: no owner.
	OwnerDisabled bool `json:"owner_disabled,omitempty"`
	// Likelihood and Impact are the inherent scores, before controls.
	Likelihood int `json:"likelihood"`
	Impact     int `json:"impact"`
	// ResidualLikelihood and ResidualImpact are the scores with the
	// linked controls operating; 0 until someone scores them.
	ResidualLikelihood int           `json:"residual_likelihood,omitempty"`
	ResidualImpact     int           `json:"residual_impact,omitempty"`
	Treatment          RiskTreatment `json:"treatment,omitempty"`
	TreatmentPlan      string        `json:"treatment_plan,omitempty"`
	ReviewDate         Date          `json:"review_date,omitempty"`
	Controls           []string      `json:"controls"`
	// The acceptance, when the treatment is accept: who must approve it,
	// until when it holds, and when it was approved (nil: pending).
	ApproverID        int64      `json:"approver_id,omitempty"`
	ApproverName      string     `json:"approver_name,omitempty"`
	AcceptanceExpires Date       `json:"acceptance_expires,omitempty"`
	AcceptanceNote    string     `json:"acceptance_note,omitempty"`
	AcceptedAt        *time.Time `json:"accepted_at,omitempty"`
	// Quant is the owner's optional quantitative estimate.
	Quant     *LossEstimate `json:"quant,omitempty"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// InherentScore is likelihood × impact before controls.
func (r *Risk) InherentScore() int { return r.Likelihood * r.Impact }

// ResidualScore is likelihood × impact with the controls; 0 unscored.
func (r *Risk) ResidualScore() int { return r.ResidualLikelihood * r.ResidualImpact }

func oneLine(field, label, v string, n int, required bool) error {
	switch {
	case required && v == "":
		return FieldError(field, "%s is required", label)
	case len(v) > n || !utf8.ValidString(v) || strings.ContainsAny(v, "\x00\r\n"):
		return FieldError(field, "%s must be one line of at most %d characters", label, n)
	}
	return nil
}

func longText(field, label, v string) error {
	if len(v) > MaxRiskTextLen || !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return FieldError(field, "%s must be text of at most %d characters", label, MaxRiskTextLen)
	}
	return nil
}

// Validate normalizes and checks a risk against the scale. An accepted
// risk's acceptance is checked by ValidateAcceptance, which needs the clock.
func (r *Risk) Validate(s RiskScale) error {
	for _, p := range []*string{&r.Title, &r.Description, &r.Asset, &r.Threat, &r.Vulnerability, &r.TreatmentPlan} {
		*p = strings.TrimSpace(*p)
	}
	if err := oneLine("title", "title", r.Title, MaxRiskTitleLen, true); err != nil {
		return err
	}
	if err := oneLine("asset", "asset or system", r.Asset, MaxRiskTitleLen, false); err != nil {
		return err
	}
	for _, f := range []struct{ field, label, v string }{{"description", "description", r.Description}, {"threat", "threat", r.Threat},
		{"vulnerability", "vulnerability", r.Vulnerability}, {"treatment_plan", "treatment plan", r.TreatmentPlan}} {
		if err := longText(f.field, f.label, f.v); err != nil {
			return err
		}
	}
	if r.Category == "" {
		r.Category = RiskSecurity
	}
	if !slices.Contains(RiskCategories, r.Category) {
		return FieldError("category", "category must be one of %s, got %q", joinCats(), clipText(string(r.Category), 40))
	}
	ml, mi := s.Max()
	if r.Likelihood < 1 || r.Likelihood > ml {
		return FieldError("likelihood", "likelihood must be 1 to %d on the scale, got %d", ml, r.Likelihood)
	}
	if r.Impact < 1 || r.Impact > mi {
		return FieldError("impact", "impact must be 1 to %d on the scale, got %d", mi, r.Impact)
	}
	switch {
	case r.ResidualLikelihood == 0 && r.ResidualImpact == 0:
	case r.ResidualLikelihood < 1 || r.ResidualLikelihood > ml:
		return FieldError("residual_likelihood", "residual likelihood must be 1 to %d on the scale, got %d", ml, r.ResidualLikelihood)
	case r.ResidualImpact < 1 || r.ResidualImpact > mi:
		return FieldError("residual_impact", "residual impact must be 1 to %d on the scale, got %d", mi, r.ResidualImpact)
	case r.ResidualLikelihood > r.Likelihood:
		// Controls lower a risk; a residual above the inherent score is a
		// scoring mistake, not a treatment.
		return FieldError("residual_likelihood", "residual likelihood %d is above the inherent likelihood %d", r.ResidualLikelihood, r.Likelihood)
	case r.ResidualImpact > r.Impact:
		return FieldError("residual_impact", "residual impact %d is above the inherent impact %d", r.ResidualImpact, r.Impact)
	}
	if r.Treatment != "" && !slices.Contains(RiskTreatments, r.Treatment) {
		return FieldError("treatment", "treatment must be mitigate, accept, transfer or avoid, got %q", clipText(string(r.Treatment), 40))
	}
	if r.ReviewDate != "" {
		if _, err := ParseDate("review_date", string(r.ReviewDate)); err != nil {
			return err
		}
	}
	if r.Treatment != TreatAccept {
		r.ApproverID, r.AcceptanceExpires, r.AcceptanceNote, r.AcceptedAt = 0, "", "", nil
	}
	if r.Quant != nil {
		if err := r.Quant.Validate(); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	ctls := r.Controls[:0:0]
	for _, c := range r.Controls {
		c = CanonicalControlID(strings.TrimSpace(c))
		if c == "" || seen[c] {
			continue
		}
		seen[c] = true
		ctls = append(ctls, c)
	}
	r.Controls = ctls
	return nil
}

func joinCats() string {
	s := make([]string, len(RiskCategories))
	for i, c := range RiskCategories {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

// ValidateAcceptance checks an acceptance about to be requested at now:
// an approver other than the owner, and an expiry after today and within
// MaxAcceptanceMonths.
func (r *Risk) ValidateAcceptance(now time.Time) error {
	r.AcceptanceNote = strings.TrimSpace(r.AcceptanceNote)
	switch {
	case r.OwnerID == 0:
		return FieldError("owner_id", "give the risk an owner before accepting it: the owner answers for the acceptance")
	case r.ApproverID == 0:
		return FieldError("approver_id", "an acceptance names who approves it")
	case r.ApproverID == r.OwnerID:
		return FieldError("approver_id", "the approver must be someone other than the risk's owner")
	case r.AcceptanceExpires == "":
		return FieldError("acceptance_expires", "an acceptance has an expiry date")
	}
	exp, err := ParseDate("acceptance_expires", string(r.AcceptanceExpires))
	if err != nil {
		return err
	}
	today := now.UTC().Format(time.DateOnly)
	if string(exp) <= today {
		return FieldError("acceptance_expires", "expiry %s is not after today (%s)", exp, today)
	}
	if exp.Time().After(now.AddDate(0, MaxAcceptanceMonths, 0)) {
		return FieldError("acceptance_expires", "an acceptance lasts at most %d months; review it again rather than accept it for longer", MaxAcceptanceMonths)
	}
	if err := longText("acceptance_note", "note", r.AcceptanceNote); err != nil {
		return err
	}
	return nil
}

// AcceptanceState is where a risk's acceptance stands.
type AcceptanceState string

// The acceptance states.
const (
	AcceptanceNone     AcceptanceState = ""
	AcceptancePending  AcceptanceState = "pending"
	AcceptanceApproved AcceptanceState = "approved"
	AcceptanceExpired  AcceptanceState = "expired"
)

// AcceptanceAt is the acceptance's state at t: it expires at the start
// of its expiry day.
func (r *Risk) AcceptanceAt(t time.Time) AcceptanceState {
	switch {
	case r.Treatment != TreatAccept:
		return AcceptanceNone
	case r.AcceptanceExpires != "" && string(r.AcceptanceExpires) <= t.UTC().Format(time.DateOnly):
		return AcceptanceExpired
	case r.AcceptedAt == nil:
		return AcceptancePending
	}
	return AcceptanceApproved
}

// MayApproveAcceptance says whether the actor may approve the risk's
// pending acceptance: only the approver it names, who is never the owner.
func (a Actor) MayApproveAcceptance(r *Risk, now time.Time) error {
	switch st := r.AcceptanceAt(now); {
	case st == AcceptanceNone:
		return Errorf(ECONFLICT, "%s is not being accepted", r.Key)
	case st == AcceptanceApproved:
		return Errorf(ECONFLICT, "the acceptance of %s is already approved", r.Key)
	case st == AcceptanceExpired:
		return Errorf(ECONFLICT, "the acceptance of %s expired on %s: request a new one", r.Key, r.AcceptanceExpires)
	case a.UserID != 0 && a.UserID == r.OwnerID:
		return Errorf(EFORBIDDEN, "the owner of %s cannot approve its own acceptance", r.Key)
	case a.UserID == 0 || a.UserID != r.ApproverID:
		return Errorf(EFORBIDDEN, "only %s, the approver the acceptance names, may approve it", nameOr(r.ApproverName, "the named approver"))
	}
	return nil
}

func nameOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// RiskFilter selects risks for the register and the heat map's cells.
type RiskFilter struct {
	Category  RiskCategory
	Treatment RiskTreatment // "none": untreated
	OwnerID   int64
	// Likelihood and Impact select one heat map cell (0: any), of the
	// residual scores when Residual is set, else of the inherent ones.
	Likelihood, Impact int
	Residual           bool
	Query              string
}

// Match reports whether r passes the filter.
func (f *RiskFilter) Match(r *Risk) bool {
	l, i := r.Likelihood, r.Impact
	if f.Residual {
		l, i = r.ResidualLikelihood, r.ResidualImpact
	}
	switch {
	case f.Category != "" && r.Category != f.Category,
		f.Treatment == "none" && r.Treatment != "",
		f.Treatment != "" && f.Treatment != "none" && r.Treatment != f.Treatment,
		f.OwnerID != 0 && r.OwnerID != f.OwnerID,
		f.Likelihood != 0 && l != f.Likelihood,
		f.Impact != 0 && i != f.Impact:
		return false
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		q = strings.ToLower(q)
		return strings.Contains(strings.ToLower(r.Key), q) || strings.Contains(strings.ToLower(r.Title), q) ||
			strings.Contains(strings.ToLower(r.Description), q) || strings.Contains(strings.ToLower(r.Asset), q)
	}
	return true
}

// HeatMap counts risks per cell of the scale: Counts[l-1][i-1] holds the
// risks of likelihood l and impact i. Unscored residuals are counted apart.
type HeatMap struct {
	Residual bool      `json:"residual"`
	Scale    RiskScale `json:"scale"`
	Counts   [][]int   `json:"counts"`
	Unscored int       `json:"unscored"`
	Total    int       `json:"total"`
}

// NewHeatMap counts the risks' inherent (or residual) scores on the scale.
func NewHeatMap(risks []Risk, s RiskScale, residual bool) HeatMap {
	ml, mi := s.Max()
	h := HeatMap{Residual: residual, Scale: s, Counts: make([][]int, ml), Total: len(risks)}
	for i := range h.Counts {
		h.Counts[i] = make([]int, mi)
	}
	for k := range risks {
		l, i := risks[k].Likelihood, risks[k].Impact
		if residual {
			l, i = risks[k].ResidualLikelihood, risks[k].ResidualImpact
		}
		if l < 1 || l > ml || i < 1 || i > mi {
			h.Unscored++
			continue
		}
		h.Counts[l-1][i-1]++
	}
	return h
}

// RiskProblems lists what is wrong with an open risk at now, for RA-03:
// no owner (or one who cannot sign in), no treatment, no review date or
// one passed, an acceptance pending or expired. Empty: nothing.
func RiskProblems(r *Risk, now time.Time) []string {
	var out []string
	today := now.UTC().Format(time.DateOnly)
	switch {
	case r.OwnerID == 0:
		out = append(out, "no owner")
	case r.OwnerDisabled:
		out = append(out, "owner "+r.OwnerName+" is disabled")
	}
	if r.Treatment == "" {
		out = append(out, "no treatment")
	}
	switch {
	case r.ReviewDate == "":
		out = append(out, "no review date")
	case string(r.ReviewDate) < today:
		out = append(out, "review was due "+string(r.ReviewDate))
	case string(r.ReviewDate) > now.UTC().AddDate(0, MaxAssessmentMonths, 0).Format(time.DateOnly):
		// A date years out would pass for ever: a risk is looked at again
		// at least as often as the register is assessed.
		out = append(out, fmt.Sprintf("review date %s is more than %d months away", r.ReviewDate, MaxAssessmentMonths))
	}
	switch r.AcceptanceAt(now) {
	case AcceptanceExpired:
		out = append(out, "acceptance expired "+string(r.AcceptanceExpires))
	case AcceptancePending:
		// Not yet approved, the acceptance is a wish, not a treatment.
		out = append(out, "acceptance awaits approval")
	}
	return out
}

// LibraryRisk is a risk from Vigil's library, ready to start a register.
type LibraryRisk struct {
	ID            string       `json:"id"` // LR-01
	Title         string       `json:"title"`
	Category      RiskCategory `json:"category"`
	Description   string       `json:"description"`
	Threat        string       `json:"threat"`
	Vulnerability string       `json:"vulnerability"`
	Likelihood    int          `json:"likelihood"`
	Impact        int          `json:"impact"`
	Controls      []string     `json:"controls"` // library control ids
}

// RiskSnapshot is one risk as an assessment recorded it.
type RiskSnapshot struct {
	Key                string        `json:"key"`
	Title              string        `json:"title"`
	Category           RiskCategory  `json:"category"`
	Owner              string        `json:"owner,omitempty"`
	Likelihood         int           `json:"likelihood"`
	Impact             int           `json:"impact"`
	ResidualLikelihood int           `json:"residual_likelihood,omitempty"`
	ResidualImpact     int           `json:"residual_impact,omitempty"`
	Treatment          RiskTreatment `json:"treatment,omitempty"`
	Acceptance         string        `json:"acceptance,omitempty"`
	Controls           []string      `json:"controls,omitempty"`
}

// Snapshot records r as it stands at t.
func (r *Risk) Snapshot(t time.Time) RiskSnapshot {
	return RiskSnapshot{Key: r.Key, Title: r.Title, Category: r.Category, Owner: r.OwnerName, Likelihood: r.Likelihood, Impact: r.Impact,
		ResidualLikelihood: r.ResidualLikelihood, ResidualImpact: r.ResidualImpact, Treatment: r.Treatment,
		Acceptance: string(r.AcceptanceAt(t)), Controls: r.Controls}
}

// RiskAssessment is the annual risk assessment: the register as it stood
// on a day, who took part, how, and the sign-off that seals it into the
// evidence ledger.
type RiskAssessment struct {
	ID           int64          `json:"id"`
	Key          string         `json:"key"` // RA-2026-1
	PerformedOn  Date           `json:"performed_on"`
	Method       string         `json:"method"`
	Participants []string       `json:"participants"`
	Months       int            `json:"months"` // until the next is due
	NextDue      Date           `json:"next_due"`
	Register     []RiskSnapshot `json:"register"`
	CreatedBy    int64          `json:"created_by,omitempty"`
	CreatedAt    time.Time      `json:"created_at"`
	SignedBy     int64          `json:"signed_by,omitempty"`
	SignedByName string         `json:"signed_by_name,omitempty"`
	SignedAt     *time.Time     `json:"signed_at,omitempty"`
	EvidenceID   int64          `json:"evidence_id,omitempty"`
}

// Validate normalizes and checks an assessment about to be run at now.
func (a *RiskAssessment) Validate(now time.Time) error {
	a.Method = strings.TrimSpace(a.Method)
	var ps []string
	for _, p := range a.Participants {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	a.Participants = ps
	if a.Months == 0 {
		a.Months = DefaultAssessmentMonths
	}
	switch {
	case a.Method == "":
		return FieldError("method", "say how the assessment was done (e.g. workshop with the owners, scored on the 5 × 5 scale)")
	case len(a.Method) > MaxRiskTextLen || !utf8.ValidString(a.Method) || strings.ContainsRune(a.Method, 0):
		return FieldError("method", "method must be text of at most %d characters", MaxRiskTextLen)
	case len(a.Participants) == 0:
		return FieldError("participants", "name who took part")
	case len(a.Participants) > 50:
		return FieldError("participants", "at most 50 participants")
	case a.Months < 1 || a.Months > MaxAssessmentMonths:
		return FieldError("months", "the next assessment is due in 1 to %d months, got %d", MaxAssessmentMonths, a.Months)
	}
	for _, p := range a.Participants {
		if err := oneLine("participants", "a participant", p, 200, true); err != nil {
			return err
		}
	}
	if a.PerformedOn == "" {
		a.PerformedOn = Date(now.UTC().Format(time.DateOnly))
	}
	d, err := ParseDate("performed_on", string(a.PerformedOn))
	if err != nil {
		return err
	}
	if d.Time().After(now) {
		return FieldError("performed_on", "the assessment date %s is in the future", d)
	}
	if d.Time().Before(now.AddDate(0, -a.Months, 0)) {
		return FieldError("performed_on", "the assessment date %s is older than its %d-month cycle: it would be overdue already", d, a.Months)
	}
	a.NextDue = Date(d.Time().AddDate(0, a.Months, 0).Format(time.DateOnly))
	return nil
}

// CurrentAssessment is the latest signed and sealed assessment that is
// not overdue at now, or nil.
func CurrentAssessment(as []RiskAssessment, now time.Time) *RiskAssessment {
	var cur *RiskAssessment
	for i := range as {
		a := &as[i]
		if a.SignedAt == nil || a.EvidenceID == 0 {
			continue
		}
		if cur == nil || a.PerformedOn > cur.PerformedOn || a.PerformedOn == cur.PerformedOn && a.ID > cur.ID {
			cur = a
		}
	}
	if cur == nil || string(cur.NextDue) <= now.UTC().Format(time.DateOnly) {
		return nil
	}
	return cur
}

// RiskSignals says what the register and the assessments show about
// RA-01, RA-02 and RA-03 at now. Nothing recorded is unknown, never a
// pass: an empty register, no signed assessment, an assessment not sealed.
func RiskSignals(risks []Risk, as []RiskAssessment, now time.Time) map[string][]Signal {
	out := map[string][]Signal{}
	add := func(ctl string, st SignalStatus, operating bool, reason string) {
		out[ctl] = append(out[ctl], Signal{ControlID: ctl, Source: "risks", Status: st, Operating: operating, Reason: reason, At: now})
	}
	// RA-01: a signed, sealed assessment not past its due date.
	var last *RiskAssessment
	unsealed := 0
	for i := range as {
		a := &as[i]
		if a.SignedAt != nil && a.EvidenceID == 0 {
			unsealed++
		}
		if a.SignedAt != nil && a.EvidenceID != 0 && (last == nil || a.PerformedOn > last.PerformedOn || a.PerformedOn == last.PerformedOn && a.ID > last.ID) {
			last = a
		}
	}
	cur := CurrentAssessment(as, now)
	switch {
	case last == nil && unsealed > 0:
		add(RiskAssessmentControl, SignalUnknown, false, "a signed risk assessment is not sealed into the evidence ledger yet")
	case last == nil:
		add(RiskAssessmentControl, SignalUnknown, false, "no signed risk assessment is recorded in Vigil")
	case cur == nil:
		add(RiskAssessmentControl, SignalFail, false, fmt.Sprintf("the last risk assessment, %s of %s, was due again on %s", last.Key, last.PerformedOn, last.NextDue))
	case string(cur.NextDue) <= now.AddDate(0, 0, AssessmentDueSoonDays).UTC().Format(time.DateOnly):
		add(RiskAssessmentControl, SignalWarn, true, fmt.Sprintf("%s of %s, signed by %s; the next is due %s", cur.Key, cur.PerformedOn, cur.SignedByName, cur.NextDue))
	default:
		add(RiskAssessmentControl, SignalOK, true, fmt.Sprintf("%s of %s, signed by %s; the next is due %s", cur.Key, cur.PerformedOn, cur.SignedByName, cur.NextDue))
	}

	// RA-02: fraud risks, scored, in the current assessment.
	switch {
	case cur == nil:
		add(FraudRiskControl, SignalUnknown, false, "no current risk assessment, so no fraud risk is shown assessed")
	default:
		var fraud []string
		for _, r := range cur.Register {
			if r.Category == RiskFraud && r.Likelihood > 0 && r.Impact > 0 {
				fraud = append(fraud, r.Key)
			}
		}
		if len(fraud) == 0 {
			add(FraudRiskControl, SignalFail, false, fmt.Sprintf("%s assessed no fraud risk: add fraud and misuse scenarios to the register and assess them", cur.Key))
		} else {
			add(FraudRiskControl, SignalOK, true, fmt.Sprintf("%s assessed %d fraud risk%s: %s", cur.Key, len(fraud), plural(len(fraud)), namedList(fraud)))
		}
	}

	// RA-03: every open risk owned, treated, reviewed on time, no
	// acceptance pending or expired.
	if len(risks) == 0 {
		add(RiskRegisterControl, SignalUnknown, false, "the risk register is empty")
		return out
	}
	var bad []string
	for i := range risks {
		if ps := RiskProblems(&risks[i], now); len(ps) > 0 {
			bad = append(bad, risks[i].Key+" ("+strings.Join(ps, ", ")+")")
		}
	}
	if len(bad) > 0 {
		add(RiskRegisterControl, SignalFail, false, fmt.Sprintf("%d of %d risks need attention: %s", len(bad), len(risks), namedList(bad)))
	} else {
		add(RiskRegisterControl, SignalOK, true, fmt.Sprintf("%d risk%s, each owned, treated and reviewed on time", len(risks), plural(len(risks))))
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// AssessmentTrend summarizes one assessment's register, to compare
// assessments with each other.
type AssessmentTrend struct {
	Key           string         `json:"key"`
	PerformedOn   Date           `json:"performed_on"`
	Risks         int            `json:"risks"`
	InherentBands map[string]int `json:"inherent_bands"`
	ResidualBands map[string]int `json:"residual_bands"`
	MeanInherent  float64        `json:"mean_inherent"`
	MeanResidual  float64        `json:"mean_residual"` // of the scored residuals
}

// Trend summarizes each signed assessment, oldest first.
func Trend(as []RiskAssessment, s RiskScale) []AssessmentTrend {
	var out []AssessmentTrend
	for _, a := range as {
		if a.SignedAt == nil {
			continue
		}
		t := AssessmentTrend{Key: a.Key, PerformedOn: a.PerformedOn, Risks: len(a.Register), InherentBands: map[string]int{}, ResidualBands: map[string]int{}}
		var in, res, nres int
		for _, r := range a.Register {
			in += r.Likelihood * r.Impact
			t.InherentBands[s.Band(r.Likelihood*r.Impact)]++
			t.ResidualBands[s.Band(r.ResidualLikelihood*r.ResidualImpact)]++
			if sc := r.ResidualLikelihood * r.ResidualImpact; sc > 0 {
				res += sc
				nres++
			}
		}
		if len(a.Register) > 0 {
			t.MeanInherent = float64(in) / float64(len(a.Register))
		}
		if nres > 0 {
			t.MeanResidual = float64(res) / float64(nres)
		}
		out = append(out, t)
	}
	slices.SortStableFunc(out, func(x, y AssessmentTrend) int { return strings.Compare(string(x.PerformedOn), string(y.PerformedOn)) })
	return out
}

// RiskPatch changes some of a risk's fields; nil leaves a field alone.
type RiskPatch struct {
	Title              *string        `json:"title,omitempty"`
	Description        *string        `json:"description,omitempty"`
	Category           *RiskCategory  `json:"category,omitempty"`
	Asset              *string        `json:"asset,omitempty"`
	Threat             *string        `json:"threat,omitempty"`
	Vulnerability      *string        `json:"vulnerability,omitempty"`
	OwnerID            *int64         `json:"owner_id,omitempty"`
	Likelihood         *int           `json:"likelihood,omitempty"`
	Impact             *int           `json:"impact,omitempty"`
	ResidualLikelihood *int           `json:"residual_likelihood,omitempty"`
	ResidualImpact     *int           `json:"residual_impact,omitempty"`
	Treatment          *RiskTreatment `json:"treatment,omitempty"`
	TreatmentPlan      *string        `json:"treatment_plan,omitempty"`
	ReviewDate         *Date          `json:"review_date,omitempty"`
	Controls           *[]string      `json:"controls,omitempty"`
	// Quant sets the quantitative estimate; a frequency of 0 removes it.
	Quant *LossEstimate `json:"quant,omitempty"`
}

// Apply changes r as the patch says and validates the result at now. A
// risk becomes accepted only through RequestAcceptance (which names the
// approver and expiry); a new review date cannot be in the past; a new
// owner cannot be the acceptance's approver.
func (p *RiskPatch) Apply(r *Risk, now time.Time) error {
	scores := [4]int{r.Likelihood, r.Impact, r.ResidualLikelihood, r.ResidualImpact}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&r.Title, p.Title)
	set(&r.Description, p.Description)
	set(&r.Asset, p.Asset)
	set(&r.Threat, p.Threat)
	set(&r.Vulnerability, p.Vulnerability)
	set(&r.TreatmentPlan, p.TreatmentPlan)
	for _, f := range []struct {
		dst *int
		v   *int
	}{{&r.Likelihood, p.Likelihood}, {&r.Impact, p.Impact}, {&r.ResidualLikelihood, p.ResidualLikelihood}, {&r.ResidualImpact, p.ResidualImpact}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	if p.Category != nil {
		r.Category = *p.Category
	}
	if p.OwnerID != nil {
		r.OwnerID = *p.OwnerID
		if r.Treatment == TreatAccept && r.OwnerID != 0 && r.OwnerID == r.ApproverID {
			return FieldError("owner_id", "the new owner is the approver of the risk's acceptance: the approver must be someone else")
		}
	}
	if p.Treatment != nil && *p.Treatment != r.Treatment {
		if *p.Treatment == TreatAccept {
			return FieldError("treatment", "a risk is accepted through an acceptance request, which names its approver and expiry")
		}
		r.Treatment = *p.Treatment
	}
	if p.ReviewDate != nil && *p.ReviewDate != r.ReviewDate {
		d := *p.ReviewDate
		if d != "" {
			if _, err := ParseDate("review_date", string(d)); err != nil {
				return err
			}
			if today := now.UTC().Format(time.DateOnly); string(d) < today {
				return FieldError("review_date", "review date %s is before today (%s)", d, today)
			}
			if last := now.UTC().AddDate(0, MaxAssessmentMonths, 0).Format(time.DateOnly); string(d) > last {
				return FieldError("review_date", "review date %s is more than %d months away (at the latest %s)", d, MaxAssessmentMonths, last)
			}
		}
		r.ReviewDate = d
	}
	if p.Controls != nil {
		r.Controls = append([]string{}, *p.Controls...)
	}
	// An approval was given for the risk as it was scored: rescored, the
	// acceptance goes back to its approver.
	if r.AcceptedAt != nil && scores != [4]int{r.Likelihood, r.Impact, r.ResidualLikelihood, r.ResidualImpact} {
		r.AcceptedAt = nil
	}
	if p.Quant != nil {
		q := *p.Quant
		r.Quant = &q
		if q == (LossEstimate{}) {
			r.Quant = nil
		}
	}
	return r.Validate(DefaultRiskScale)
}

// RequestAcceptance makes accept the risk's treatment, pending approval
// by approver until expires.
func (r *Risk) RequestAcceptance(approver int64, expires Date, note string, now time.Time) error {
	r.Treatment, r.ApproverID, r.AcceptanceExpires, r.AcceptanceNote, r.AcceptedAt = TreatAccept, approver, expires, note, nil
	if err := r.ValidateAcceptance(now); err != nil {
		return err
	}
	return r.Validate(DefaultRiskScale)
}

// ApproveAcceptance records the actor's approval of the pending acceptance.
func (a Actor) ApproveAcceptance(r *Risk, now time.Time) error {
	if err := a.MayApproveAcceptance(r, now); err != nil {
		return err
	}
	t := now.UTC()
	r.AcceptedAt = &t
	return nil
}

// MaxRiskCSV bounds a register import's file.
const MaxRiskCSV = 512 << 10

// RiskImport is the preview of a register import, or what it did: every
// bad row with its line and column (nothing is imported while any is
// bad), and the risks the file holds.
type RiskImport struct {
	SHA256   string         `json:"sha256"` // the file's: confirming names it
	Rows     []RiskSnapshot `json:"rows"`
	Errors   []RowError     `json:"errors"`
	Imported bool           `json:"imported"`
	Keys     []string       `json:"keys,omitempty"` // the register keys given, once imported
}
