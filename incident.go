package vigil

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Severity is how bad an incident is, SEV1 the worst.
type Severity string

// The severities.
const (
	SEV1 Severity = "SEV1"
	SEV2 Severity = "SEV2"
	SEV3 Severity = "SEV3"
	SEV4 Severity = "SEV4"
)

// Severities lists the severities, worst first.
var Severities = []Severity{SEV1, SEV2, SEV3, SEV4}

// SeverityDefinitions are the written definitions people choose a
// severity by; the pages and the API documentation show them.
var SeverityDefinitions = map[Severity]string{
	SEV1: "critical: customer data exposed or lost, or the service down for most customers; all hands, executives informed",
	SEV2: "major: a security control breached or a significant part of the service degraded for many customers; on-call and leads engaged",
	SEV3: "minor: limited impact on few customers or internal systems, no data exposed; handled in working hours",
	SEV4: "low: a near miss or suspicious event with no impact found; logged and reviewed",
}

// ParseSeverity validates s (any case) as a severity.
func ParseSeverity(field, s string) (Severity, error) {
	v := Severity(strings.ToUpper(strings.TrimSpace(s)))
	if !slices.Contains(Severities, v) {
		return "", FieldError(field, "unknown severity %q (want SEV1, SEV2, SEV3 or SEV4)", clipText(s, 20))
	}
	return v, nil
}

// NeedsReview reports whether an incident of this severity may be closed
// only after a completed post-incident review.
func (s Severity) NeedsReview() bool { return s == SEV1 || s == SEV2 }

// IncidentStatus is where an incident is in its life.
type IncidentStatus string

// The statuses, in order. An incident moves forward only.
const (
	IncidentDeclared      IncidentStatus = "declared"
	IncidentInvestigating IncidentStatus = "investigating"
	IncidentContained     IncidentStatus = "contained"
	IncidentResolved      IncidentStatus = "resolved"
	IncidentClosed        IncidentStatus = "closed"
)

// IncidentStatuses lists the statuses in order.
var IncidentStatuses = []IncidentStatus{IncidentDeclared, IncidentInvestigating, IncidentContained, IncidentResolved, IncidentClosed}

func (s IncidentStatus) rank() int { return slices.Index(IncidentStatuses, s) }

// Valid reports whether s is a known status.
func (s IncidentStatus) Valid() bool { return s.rank() >= 0 }

// Open reports whether the incident is not yet resolved.
func (s IncidentStatus) Open() bool { return s.rank() >= 0 && s.rank() < IncidentResolved.rank() }

// The library controls incidents and exercises show operating.
const (
	IncidentLogControl      = "IR-02" // incidents logged with severity, timeline and root cause
	IncidentExerciseControl = "IR-03" // incident response exercise (tabletop)
	NotificationControl     = "IR-04" // customers and authorities notified per commitments
	PostIncidentControl     = "IR-05" // post-incident reviews drive improvements
	RestoreTestControl      = "BC-02" // backups restored in a test
	DRExerciseControl       = "BC-04" // disaster recovery or failover exercise
)

// Limits and defaults of incidents.
const (
	MaxIncidentTitleLen = 200
	MaxIncidentTextLen  = 8000
	// DefaultReviewDays is how long after resolution a post-incident
	// review may stay missing before IR-05 fails.
	DefaultReviewDays = 14
	// DefaultNotifyHours is the usual deadline of a notification owed to
	// a regulator or a customer, counted from declaration.
	DefaultNotifyHours = 72
	MaxNotifyHours     = 24 * 90
	MaxDedupKeyLen     = 200
)

// Incident is one security incident in the register.
type Incident struct {
	ID       int64          `json:"id"`
	Key      string         `json:"key"` // INC-001
	Title    string         `json:"title"`
	Summary  string         `json:"summary,omitempty"`
	Severity Severity       `json:"severity"`
	Status   IncidentStatus `json:"status"`
	// DetectedAt is when the problem was first noticed; DeclaredAt when it
	// was declared an incident (notification deadlines count from it).
	DetectedAt time.Time `json:"detected_at"`
	DeclaredAt time.Time `json:"declared_at"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	ClosedAt   time.Time `json:"closed_at,omitzero"`
	// Systems are the organization's systems (scope) affected, by ID.
	Systems   []int64 `json:"systems"`
	Customers string  `json:"customers,omitempty"` // which customers are affected
	Data      string  `json:"data,omitempty"`      // which data is affected
	RootCause string  `json:"root_cause,omitempty"`
	// DedupKey is the caller's key (an alert's ID): opening again with a
	// key an open incident has returns that incident.
	DedupKey  string `json:"dedup_key,omitempty"`
	Source    string `json:"source,omitempty"` // who or what opened it: a person, or a tool's name
	CreatedBy int64  `json:"created_by,omitempty"`
	// EvidenceID is the closed incident's record sealed into the ledger.
	EvidenceID    int64                  `json:"evidence_id,omitempty"`
	Events        []IncidentEvent        `json:"events"`
	Notifications []IncidentNotification `json:"notifications"`
	Review        *IncidentReview        `json:"review,omitempty"`
	Actions       []ReviewAction         `json:"actions"`
}

// IncidentEvent is one timeline entry; entries are only ever appended.
type IncidentEvent struct {
	ID         int64     `json:"id"`
	IncidentID int64     `json:"incident_id"`
	At         time.Time `json:"at"`
	AuthorID   int64     `json:"author_id,omitempty"`
	Author     string    `json:"author"`
	Text       string    `json:"text"`
	// Generated marks entries Vigil writes itself (declaration, status
	// changes, notifications sent, review, closure); only the others
	// show a timeline kept.
	Generated bool `json:"generated,omitempty"`
}

// IncidentNotification is a notification owed (to a regulator, customers,
// a partner) with its deadline and, once sent, when.
type IncidentNotification struct {
	ID         int64     `json:"id"`
	IncidentID int64     `json:"incident_id"`
	Audience   string    `json:"audience"` // regulator, customers, ...
	DueAt      time.Time `json:"due_at"`
	SentAt     time.Time `json:"sent_at,omitzero"`
	Note       string    `json:"note,omitempty"`
}

// IncidentReview is the post-incident review.
type IncidentReview struct {
	CompletedAt time.Time `json:"completed_at"`
	Summary     string    `json:"summary"`
	ReviewerID  int64     `json:"reviewer_id,omitempty"`
}

// ReviewAction is a follow-up action of a post-incident review, with an
// owner and a due date. (A later issue folds these into one task model.)
type ReviewAction struct {
	ID         int64     `json:"id"`
	IncidentID int64     `json:"incident_id"`
	Title      string    `json:"title"`
	OwnerID    int64     `json:"owner_id"`
	OwnerName  string    `json:"owner_name,omitempty"`
	Due        Date      `json:"due"`
	DoneAt     time.Time `json:"done_at,omitzero"`
}

func checkText(field, v string, max int, oneLine bool) error {
	if len(v) > max || !utf8.ValidString(v) || strings.ContainsRune(v, 0) || oneLine && strings.ContainsAny(v, "\r\n") {
		if oneLine {
			return FieldError(field, "%s must be one line of at most %d characters", strings.ReplaceAll(field, "_", " "), max)
		}
		return FieldError(field, "%s must be text of at most %d characters", strings.ReplaceAll(field, "_", " "), max)
	}
	return nil
}

// Validate normalizes and checks a new incident. A declaration time left
// zero is now; a detection time left zero is the declaration's.
func (x *Incident) Validate(now time.Time) error {
	if err := x.validateFields(); err != nil {
		return err
	}
	if x.DeclaredAt.IsZero() {
		x.DeclaredAt = now
	}
	if x.DetectedAt.IsZero() {
		x.DetectedAt = x.DeclaredAt
	}
	switch {
	case x.DeclaredAt.After(now.Add(5 * time.Minute)):
		return FieldError("declared_at", "declaration time %s is in the future", x.DeclaredAt.UTC().Format(time.RFC3339))
	case x.DeclaredAt.Before(x.DetectedAt):
		return FieldError("declared_at", "declaration (%s) cannot be before detection (%s)", x.DeclaredAt.UTC().Format(time.RFC3339), x.DetectedAt.UTC().Format(time.RFC3339))
	}
	if x.Status == "" {
		x.Status = IncidentDeclared
	}
	if x.Status != IncidentDeclared && x.Status != IncidentInvestigating {
		return FieldError("status", "a new incident is declared or investigating, not %q", clipText(string(x.Status), 20))
	}
	return nil
}

// validateFields normalizes and checks what a patch may change too.
func (x *Incident) validateFields() error {
	x.Title, x.Summary = strings.TrimSpace(x.Title), strings.TrimSpace(x.Summary)
	x.Customers, x.Data = strings.TrimSpace(x.Customers), strings.TrimSpace(x.Data)
	x.RootCause, x.DedupKey = strings.TrimSpace(x.RootCause), strings.TrimSpace(x.DedupKey)
	if x.Title == "" {
		return FieldError("title", "title is required")
	}
	if err := checkText("title", x.Title, MaxIncidentTitleLen, true); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"summary", x.Summary}, {"customers", x.Customers}, {"data", x.Data}, {"root_cause", x.RootCause}} {
		if err := checkText(f.name, f.v, MaxIncidentTextLen, false); err != nil {
			return err
		}
	}
	if err := checkText("dedup_key", x.DedupKey, MaxDedupKeyLen, true); err != nil {
		return err
	}
	var err error
	if x.Severity, err = ParseSeverity("severity", string(x.Severity)); err != nil {
		return err
	}
	slices.Sort(x.Systems)
	x.Systems = slices.Compact(x.Systems)
	return nil
}

// IncidentPatch changes an incident: its status (forward only), severity,
// root cause and what it affects. Nil fields stay.
type IncidentPatch struct {
	Title     *string         `json:"title,omitempty"`
	Summary   *string         `json:"summary,omitempty"`
	Severity  *Severity       `json:"severity,omitempty"`
	Status    *IncidentStatus `json:"status,omitempty"` // investigating, contained or resolved; closing is its own step
	RootCause *string         `json:"root_cause,omitempty"`
	Customers *string         `json:"customers,omitempty"`
	Data      *string         `json:"data,omitempty"`
	Systems   *[]int64        `json:"systems,omitempty"`
}

// Apply changes x as the patch says, at now, and checks the result:
// status moves forward only, a closed incident changes no more, and an
// incident is resolved only with its root cause written.
func (p IncidentPatch) Apply(x *Incident, now time.Time) error {
	if x.Status == IncidentClosed {
		return Errorf(ECONFLICT, "%s is closed: its record is sealed", x.Key)
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&x.Title, p.Title)
	set(&x.Summary, p.Summary)
	set(&x.RootCause, p.RootCause)
	set(&x.Customers, p.Customers)
	set(&x.Data, p.Data)
	if p.Severity != nil {
		x.Severity = *p.Severity
	}
	if p.Systems != nil {
		x.Systems = slices.Clone(*p.Systems)
	}
	status := x.Status
	if p.Status != nil {
		switch s := *p.Status; {
		case s == IncidentClosed:
			return FieldError("status", "close an incident with its close step: it checks the review and seals the record")
		case s.rank() < 0:
			return FieldError("status", "unknown status %q (want investigating, contained or resolved)", clipText(string(s), 20))
		case s.rank() < x.Status.rank():
			return FieldError("status", "%s is %s: status moves forward only, not back to %s", x.Key, x.Status, s)
		}
		status = *p.Status
	}
	if err := x.validateFields(); err != nil {
		return err
	}
	if status == IncidentResolved && x.Status != IncidentResolved {
		x.ResolvedAt = now
	}
	x.Status = status
	if x.Status == IncidentResolved && x.RootCause == "" {
		return FieldError("root_cause", "write the root cause before resolving %s", x.Key)
	}
	return nil
}

// Validate checks a timeline entry of x.
func (e *IncidentEvent) Validate(x *Incident, now time.Time) error {
	e.Text = strings.TrimSpace(e.Text)
	if e.Text == "" {
		return FieldError("text", "say what happened")
	}
	if err := checkText("text", e.Text, MaxIncidentTextLen, false); err != nil {
		return err
	}
	if e.At.IsZero() {
		e.At = now
	}
	switch {
	case e.At.After(now.Add(5 * time.Minute)):
		return FieldError("at", "time %s is in the future", e.At.UTC().Format(time.RFC3339))
	case e.At.Before(x.DetectedAt.Add(-30 * 24 * time.Hour)):
		// Events before detection are allowed (what led up to it), but
		// not so far back that the time is surely a typo.
		return FieldError("at", "time %s is more than 30 days before the incident was detected", e.At.UTC().Format(time.RFC3339))
	}
	if x.Status == IncidentClosed {
		return Errorf(ECONFLICT, "%s is closed: its timeline is sealed", x.Key)
	}
	return nil
}

// Validate checks a notification owed for x. A deadline left zero is
// DefaultNotifyHours after declaration.
func (n *IncidentNotification) Validate(x *Incident) error {
	n.Audience, n.Note = strings.TrimSpace(n.Audience), strings.TrimSpace(n.Note)
	if n.Audience == "" {
		return FieldError("audience", "say whom the notification is owed to (regulator, customers, ...)")
	}
	if err := checkText("audience", n.Audience, 200, true); err != nil {
		return err
	}
	if err := checkText("note", n.Note, 2000, false); err != nil {
		return err
	}
	if n.DueAt.IsZero() {
		n.DueAt = x.DeclaredAt.Add(DefaultNotifyHours * time.Hour)
	}
	if n.DueAt.Before(x.DeclaredAt) {
		return FieldError("due_at", "the deadline cannot be before the incident was declared")
	}
	// A deadline far out would hide any lateness: commitments run in
	// hours or days (72 hours is common), never beyond MaxNotifyHours.
	if n.DueAt.After(x.DeclaredAt.Add(MaxNotifyHours * time.Hour)) {
		return FieldError("due_at", "the deadline is more than %d days after the incident was declared", MaxNotifyHours/24)
	}
	if x.Status == IncidentClosed {
		return Errorf(ECONFLICT, "%s is closed", x.Key)
	}
	return nil
}

// CheckSent checks that a notification of x may be marked sent at t.
func (n *IncidentNotification) CheckSent(x *Incident, t, now time.Time) error {
	switch {
	case !n.SentAt.IsZero():
		return Errorf(ECONFLICT, "the notification to %s was already sent at %s", n.Audience, n.SentAt.UTC().Format(time.RFC3339))
	case t.IsZero():
		return FieldError("sent_at", "say when the notification was sent")
	case t.Before(x.DetectedAt):
		return FieldError("sent_at", "sent at %s, before the incident was detected (%s)", t.UTC().Format(time.RFC3339), x.DetectedAt.UTC().Format(time.RFC3339))
	case t.After(now.Add(5 * time.Minute)):
		return FieldError("sent_at", "sent at %s is in the future", t.UTC().Format(time.RFC3339))
	}
	return nil
}

// Validate checks a review action; due is YYYY-MM-DD.
func (a *ReviewAction) Validate() error {
	a.Title = strings.TrimSpace(a.Title)
	if a.Title == "" {
		return FieldError("actions", "each action needs a title")
	}
	if err := checkText("actions", a.Title, 300, true); err != nil {
		return err
	}
	if a.OwnerID <= 0 {
		return FieldError("actions", "action %q needs an owner", clipText(a.Title, 60))
	}
	if _, err := time.Parse(time.DateOnly, string(a.Due)); err != nil {
		return FieldError("actions", "action %q needs a due date, YYYY-MM-DD, got %q", clipText(a.Title, 60), clipText(string(a.Due), 20))
	}
	return nil
}

// Validate checks the post-incident review of x: after the incident
// is resolved, once.
func (r *IncidentReview) Validate(x *Incident, now time.Time) error {
	r.Summary = strings.TrimSpace(r.Summary)
	if r.Summary == "" {
		return FieldError("summary", "summarise the review: what happened, why, what changes")
	}
	if err := checkText("summary", r.Summary, MaxIncidentTextLen, false); err != nil {
		return err
	}
	if r.CompletedAt.IsZero() {
		r.CompletedAt = now
	}
	switch {
	case x.Status != IncidentResolved:
		return Errorf(ECONFLICT, "%s is %s: review it once it is resolved", x.Key, x.Status)
	case x.Review != nil:
		return Errorf(ECONFLICT, "%s already has its review", x.Key)
	case r.CompletedAt.After(now.Add(5 * time.Minute)):
		return FieldError("completed_at", "review date is in the future")
	case r.CompletedAt.Before(x.DetectedAt):
		return FieldError("completed_at", "the review cannot be before the incident was detected")
	}
	return nil
}

// MayClose says whether x may be closed: resolved, with its root cause,
// and for SEV1 and SEV2 with a completed post-incident review.
func (x *Incident) MayClose() error {
	switch {
	case x.Status == IncidentClosed:
		return Errorf(ECONFLICT, "%s is already closed", x.Key)
	case x.Status != IncidentResolved:
		return FieldError("status", "%s is %s: resolve it (with its root cause) before closing", x.Key, x.Status)
	case x.RootCause == "":
		return FieldError("root_cause", "%s has no root cause written", x.Key)
	case x.Severity.NeedsReview() && x.Review == nil:
		return FieldError("review", "%s is %s: it closes only after its post-incident review is completed", x.Key, x.Severity)
	}
	return nil
}

// IncidentFilter narrows the register's list.
type IncidentFilter struct {
	Status   IncidentStatus // "" any; "open": not yet resolved
	Severity Severity
	Query    string // in key and title
	Limit    int
}

// IncidentRules are the organization's settings for the incident and
// exercise signals.
type IncidentRules struct {
	// ReviewDays: a resolved incident without a completed review after
	// this many days fails IR-05.
	ReviewDays int `json:"review_days"`
	// Cadence in months of each exercise kind.
	TabletopMonths int `json:"tabletop_months"`
	DRMonths       int `json:"dr_months"`
	RestoreMonths  int `json:"restore_months"`
}

// DefaultIncidentRules are the library's: reviews within 14 days, a
// tabletop and a DR exercise yearly, a restore test quarterly (BC-02's
// catalog frequency).
var DefaultIncidentRules = IncidentRules{ReviewDays: DefaultReviewDays, TabletopMonths: 12, DRMonths: 12, RestoreMonths: 3}

// Validate checks the settings.
func (r *IncidentRules) Validate() error {
	if r.ReviewDays < 1 || r.ReviewDays > 365 {
		return FieldError("review_days", "review days must be 1 to 365, got %d", r.ReviewDays)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"tabletop_months", r.TabletopMonths}, {"dr_months", r.DRMonths}, {"restore_months", r.RestoreMonths}} {
		if f.v < 1 || f.v > 36 {
			return FieldError(f.name, "%s must be 1 to 36 months, got %d", strings.ReplaceAll(f.name, "_", " "), f.v)
		}
	}
	return nil
}

// ExerciseKind is what an exercise tested.
type ExerciseKind string

// The exercise kinds.
const (
	ExerciseTabletop ExerciseKind = "tabletop" // incident response tabletop (IR-03)
	ExerciseDR       ExerciseKind = "dr"       // disaster recovery or failover (BC-04)
	ExerciseRestore  ExerciseKind = "restore"  // backup restore test (BC-02)
)

// ExerciseKinds lists the kinds.
var ExerciseKinds = []ExerciseKind{ExerciseTabletop, ExerciseDR, ExerciseRestore}

// Control is the library control the kind shows operating.
func (k ExerciseKind) Control() string {
	return map[ExerciseKind]string{ExerciseTabletop: IncidentExerciseControl, ExerciseDR: DRExerciseControl, ExerciseRestore: RestoreTestControl}[k]
}

// Months is the kind's cadence under rules.
func (k ExerciseKind) Months(r IncidentRules) int {
	return map[ExerciseKind]int{ExerciseTabletop: r.TabletopMonths, ExerciseDR: r.DRMonths, ExerciseRestore: r.RestoreMonths}[k]
}

// ExerciseOutcome is whether the exercise met its goal.
type ExerciseOutcome string

// The outcomes. Only a pass shows the control operating: a restore that
// failed is a finding, not evidence that backups restore.
const (
	OutcomePassed  ExerciseOutcome = "passed"
	OutcomePartial ExerciseOutcome = "partial"
	OutcomeFailed  ExerciseOutcome = "failed"
)

// Exercise is a tabletop, a DR exercise or a restore test, with its
// evidence in the ledger.
type Exercise struct {
	ID           int64           `json:"id"`
	Key          string          `json:"key"` // EX-001
	Kind         ExerciseKind    `json:"kind"`
	Scenario     string          `json:"scenario"`
	Date         Date            `json:"date"`
	Participants string          `json:"participants"`
	Tested       string          `json:"tested"`
	Results      string          `json:"results"`
	Outcome      ExerciseOutcome `json:"outcome"`
	Findings     string          `json:"findings,omitempty"`
	Actions      string          `json:"actions,omitempty"`
	EvidenceIDs  []int64         `json:"evidence_ids"`
	CreatedAt    time.Time       `json:"created_at"`
	CreatedBy    int64           `json:"created_by,omitempty"`
}

// Validate normalizes and checks an exercise.
func (e *Exercise) Validate(now time.Time) error {
	for _, p := range []*string{&e.Scenario, &e.Participants, &e.Tested, &e.Results, &e.Findings, &e.Actions} {
		*p = strings.TrimSpace(*p)
	}
	if !slices.Contains(ExerciseKinds, e.Kind) {
		return FieldError("kind", "kind must be tabletop, dr or restore, got %q", clipText(string(e.Kind), 20))
	}
	for _, f := range []struct{ name, v string }{{"scenario", e.Scenario}, {"participants", e.Participants}, {"tested", e.Tested}, {"results", e.Results}} {
		if f.v == "" {
			return FieldError(f.name, "%s is required", f.name)
		}
	}
	for _, f := range []struct{ name, v string }{{"scenario", e.Scenario}, {"participants", e.Participants}, {"tested", e.Tested}, {"results", e.Results}, {"findings", e.Findings}, {"actions", e.Actions}} {
		if err := checkText(f.name, f.v, MaxIncidentTextLen, false); err != nil {
			return err
		}
	}
	d, err := time.Parse(time.DateOnly, string(e.Date))
	if err != nil {
		return FieldError("date", "date must be YYYY-MM-DD, got %q", clipText(string(e.Date), 20))
	}
	if d.After(now) {
		return FieldError("date", "date %s is in the future", e.Date)
	}
	switch e.Outcome {
	case OutcomePassed, OutcomePartial, OutcomeFailed:
	default:
		return FieldError("outcome", "outcome must be passed, partial or failed, got %q", clipText(string(e.Outcome), 20))
	}
	slices.Sort(e.EvidenceIDs)
	e.EvidenceIDs = slices.Compact(e.EvidenceIDs)
	return nil
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// IncidentSignals says what the register shows about IR-02, IR-04 and
// IR-05 at now.
//
// No incident at all is neutral for each, with a reason saying so: a
// quiet period is not a failure of incident handling, but neither does it
// show the handling operating, and a neutral signal does neither (the
// control stays "not shown" unless evidence shows it). Unknown would make
// every organization without incidents look broken, which would teach
// people to ignore it.
func IncidentSignals(xs []Incident, rules IncidentRules, now time.Time) map[string][]Signal {
	out := map[string][]Signal{}
	xs = inWindow(xs, now)
	if len(xs) == 0 {
		for _, c := range []string{IncidentLogControl, NotificationControl, PostIncidentControl} {
			out[c] = []Signal{{ControlID: c, Source: "incidents", Status: SignalNeutral, At: now,
				Reason: fmt.Sprintf("no incident is recorded in the register for the last %d months: nothing to show either way (a quiet period is not evidence that incidents are handled)", IncidentWindowMonths)}}
		}
		return out
	}
	out[IncidentLogControl] = []Signal{incidentLogSignal(xs, now)}
	out[NotificationControl] = []Signal{notificationSignal(xs, now)}
	out[PostIncidentControl] = []Signal{reviewSignal(xs, rules, now)}
	return out
}

func hasTimeline(x *Incident) bool {
	for _, e := range x.Events {
		if !e.Generated {
			return true
		}
	}
	return false
}

// IncidentWindowMonths is how far back incidents speak for IR-02, IR-04 and
// IR-05: an incident handled well years ago does not show the process
// operating now.
const IncidentWindowMonths = 12

// inWindow keeps the incidents declared in the window, and any not yet
// closed whenever declared.
func inWindow(xs []Incident, now time.Time) []Incident {
	since := now.AddDate(0, -IncidentWindowMonths, 0)
	var out []Incident
	for _, x := range xs {
		if x.Status != IncidentClosed || !x.DeclaredAt.Before(since) {
			out = append(out, x)
		}
	}
	return out
}

// incidentLogSignal: every incident has a severity, and once resolved a
// timeline of its own (beyond the entries Vigil writes) and a root cause.
func incidentLogSignal(xs []Incident, now time.Time) Signal {
	sig := Signal{ControlID: IncidentLogControl, Source: "incidents", At: now}
	var bad []string
	for i := range xs {
		x := &xs[i]
		switch {
		case !slices.Contains(Severities, x.Severity):
			bad = append(bad, x.Key+" has no valid severity")
		case !x.Status.Open() && !hasTimeline(x):
			bad = append(bad, x.Key+" is "+string(x.Status)+" without a timeline (no entry beyond those Vigil writes)")
		case !x.Status.Open() && strings.TrimSpace(x.RootCause) == "":
			bad = append(bad, x.Key+" is "+string(x.Status)+" without a root cause")
		}
	}
	if len(bad) > 0 {
		sig.Status, sig.Reason = SignalFail, fmt.Sprintf("%d of %d incidents incomplete: %s", len(bad), len(xs), namedList(bad))
		return sig
	}
	// Only an incident with people's own timeline shows the logging
	// operating: a fresh declaration with nothing written yet shows
	// nothing either way.
	written := 0
	for i := range xs {
		if hasTimeline(&xs[i]) {
			written++
		}
	}
	if written == 0 {
		sig.Status, sig.Reason = SignalNeutral, fmt.Sprintf("%d open incidents, none with a timeline entry of its own yet", len(xs))
		return sig
	}
	sig.Status, sig.Operating = SignalOK, true
	sig.Reason = fmt.Sprintf("%d incidents logged with a severity, root cause once resolved; %d with a timeline of their own", len(xs), written)
	return sig
}

// notificationSignal: a notification owed and not sent past its deadline
// fails, and so does one sent late. No notification owed at all is
// neutral: nothing shows the commitments kept or broken.
func notificationSignal(xs []Incident, now time.Time) Signal {
	sig := Signal{ControlID: NotificationControl, Source: "incidents", At: now}
	var late, soon []string
	owed, sent := 0, 0
	for i := range xs {
		for _, n := range xs[i].Notifications {
			owed++
			switch {
			case n.SentAt.IsZero() && !now.Before(n.DueAt):
				late = append(late, fmt.Sprintf("%s to %s not sent, due %s", xs[i].Key, n.Audience, n.DueAt.UTC().Format("2006-01-02 15:04")))
			case !n.SentAt.IsZero() && n.SentAt.After(n.DueAt):
				late = append(late, fmt.Sprintf("%s to %s sent late (%s, due %s)", xs[i].Key, n.Audience, n.SentAt.UTC().Format("2006-01-02 15:04"), n.DueAt.UTC().Format("2006-01-02 15:04")))
			case n.SentAt.IsZero():
				soon = append(soon, fmt.Sprintf("%s to %s due %s", xs[i].Key, n.Audience, n.DueAt.UTC().Format("2006-01-02 15:04")))
			default:
				sent++
			}
		}
	}
	switch {
	case len(late) > 0:
		sig.Status, sig.Reason = SignalFail, fmt.Sprintf("%d of %d notifications past their deadline: %s", len(late), owed, namedList(late))
	case owed == 0:
		sig.Status, sig.Reason = SignalNeutral, fmt.Sprintf("%d incidents recorded, none owed a notification: nothing shows notifications made", len(xs))
	case sent == 0:
		sig.Status, sig.Reason = SignalWarn, fmt.Sprintf("%d notifications owed, none sent yet (before the deadline): %s", owed, namedList(soon))
	case len(soon) > 0:
		sig.Status, sig.Operating = SignalWarn, true
		sig.Reason = fmt.Sprintf("%d of %d notifications sent on time; still owed: %s", sent, owed, namedList(soon))
	default:
		sig.Status, sig.Operating = SignalOK, true
		sig.Reason = fmt.Sprintf("%d of %d notifications sent by their deadline", sent, owed)
	}
	return sig
}

// reviewSignal: a resolved incident without a review after ReviewDays
// fails, as does a review action past its due date and not done. Only a
// completed review shows the control operating.
func reviewSignal(xs []Incident, rules IncidentRules, now time.Time) Signal {
	sig := Signal{ControlID: PostIncidentControl, Source: "incidents", At: now}
	if rules.ReviewDays <= 0 {
		rules.ReviewDays = DefaultReviewDays
	}
	var bad, pending []string
	reviewed := 0
	today := day(now)
	for i := range xs {
		x := &xs[i]
		if x.Review != nil {
			reviewed++
		} else if !x.Status.Open() {
			since := x.ResolvedAt
			if since.IsZero() {
				since = x.DeclaredAt
			}
			if deadline := since.AddDate(0, 0, rules.ReviewDays); !now.Before(deadline) {
				bad = append(bad, fmt.Sprintf("%s has no review %d days after resolution", x.Key, rules.ReviewDays))
			} else {
				pending = append(pending, x.Key)
			}
		}
		for _, a := range x.Actions {
			if a.DoneAt.IsZero() && string(a.Due) < today {
				bad = append(bad, fmt.Sprintf("%s action %q past due (%s)", x.Key, clipText(a.Title, 60), a.Due))
			}
		}
	}
	switch {
	case len(bad) > 0:
		sig.Status, sig.Reason = SignalFail, namedList(bad)
	case reviewed == 0 && len(pending) == 0:
		sig.Status, sig.Reason = SignalNeutral, fmt.Sprintf("%d incidents recorded, none resolved yet: no review is due", len(xs))
	case reviewed == 0:
		sig.Status, sig.Reason = SignalNeutral, "reviews not yet due: "+namedList(pending)
	default:
		sig.Status, sig.Operating = SignalOK, true
		sig.Reason = fmt.Sprintf("%d post-incident reviews completed, no action past due", reviewed)
		if len(pending) > 0 {
			sig.Status = SignalWarn
			sig.Reason += "; review due soon: " + namedList(pending)
		}
	}
	return sig
}

// ExerciseSignals says what the exercises show about IR-03, BC-04 and
// BC-02 at now: for each kind, the latest passed exercise with evidence
// within the kind's cadence shows the control operating. None at all is
// failing (the control asks for one each period); one recorded without
// evidence, or that did not pass, does not count.
func ExerciseSignals(es []Exercise, rules IncidentRules, now time.Time) map[string][]Signal {
	out := map[string][]Signal{}
	for _, k := range ExerciseKinds {
		ctl, months := k.Control(), k.Months(rules)
		if months <= 0 {
			months = k.Months(DefaultIncidentRules)
		}
		sig := Signal{ControlID: ctl, Source: "exercises", At: now}
		since := now.AddDate(0, -months, 0).UTC().Format(time.DateOnly)
		var last, lastAny *Exercise
		for i := range es {
			e := &es[i]
			if e.Kind != k {
				continue
			}
			if lastAny == nil || e.Date > lastAny.Date {
				lastAny = e
			}
			if e.Outcome == OutcomePassed && len(e.EvidenceIDs) > 0 && (last == nil || e.Date > last.Date) {
				last = e
			}
		}
		name := map[ExerciseKind]string{ExerciseTabletop: "tabletop exercise", ExerciseDR: "disaster recovery exercise", ExerciseRestore: "backup restore test"}[k]
		switch {
		case lastAny != nil && lastAny.Outcome != OutcomePassed && (last == nil || lastAny.Date > last.Date):
			// The newest says it did not work: an older pass no longer
			// shows it operating, until a later exercise passes.
			sig.Status, sig.Reason = SignalFail, fmt.Sprintf("the latest %s, %s on %s, had outcome %s: a later one must pass", name, lastAny.Key, lastAny.Date, lastAny.Outcome)
		case last != nil && string(last.Date) >= since:
			due := last.Date.Time().AddDate(0, months, 0)
			sig.Status, sig.Operating = SignalOK, true
			sig.Reason = fmt.Sprintf("%s %s passed on %s, with evidence; next due by %s (every %d months)", last.Key, name, last.Date, day(due), months)
			if now.AddDate(0, 0, 30).After(due) {
				sig.Status = SignalWarn
			}
		case lastAny == nil:
			sig.Status, sig.Reason = SignalFail, fmt.Sprintf("no %s recorded: one is due every %d months", name, months)
		case last == nil:
			sig.Status, sig.Reason = SignalFail, fmt.Sprintf("no %s with a pass and evidence: the latest, %s on %s, %s", name, lastAny.Key, lastAny.Date, exerciseWhyNot(lastAny))
		default:
			sig.Status, sig.Reason = SignalFail, fmt.Sprintf("the last passed %s with evidence, %s, was on %s: one is due every %d months", name, last.Key, last.Date, months)
		}
		out[ctl] = []Signal{sig}
	}
	return out
}

func exerciseWhyNot(e *Exercise) string {
	if e.Outcome != OutcomePassed {
		return "had outcome " + string(e.Outcome)
	}
	return "has no evidence attached"
}
