package vigil

import (
	"regexp"
	"slices"
	"strings"
	"time"
)

// ControlStatus is a control's implementation status, set by people.
type ControlStatus string

// The implementation statuses.
const (
	StatusNotStarted    ControlStatus = "not_started"
	StatusInProgress    ControlStatus = "in_progress"
	StatusImplemented   ControlStatus = "implemented"
	StatusNotApplicable ControlStatus = "not_applicable" // needs a justification
)

// ControlStatuses lists the statuses in workflow order.
var ControlStatuses = []ControlStatus{StatusNotStarted, StatusInProgress, StatusImplemented, StatusNotApplicable}

// Frequency is how often a control operates (and so how often evidence of it
// is due, and how large an auditor's sample will be).
type Frequency string

// The frequencies used by the control library.
const (
	FreqContinuous Frequency = "continuous"
	FreqDaily      Frequency = "daily"
	FreqWeekly     Frequency = "weekly"
	FreqMonthly    Frequency = "monthly"
	FreqQuarterly  Frequency = "quarterly"
	FreqAnnual     Frequency = "annual"
	FreqEvent      Frequency = "event" // on an event, e.g. each hire or each change
)

// Frequencies lists every frequency.
var Frequencies = []Frequency{FreqContinuous, FreqDaily, FreqWeekly, FreqMonthly, FreqQuarterly, FreqAnnual, FreqEvent}

// Control is one of the organization's controls: a measure that meets one or
// more criteria.
type Control struct {
	ID            string        `json:"id"`
	Title         string        `json:"title"`
	Description   string        `json:"description"`
	Domain        string        `json:"domain"` // two-letter domain code, e.g. AC
	OwnerID       int64         `json:"owner_id,omitempty"`
	OwnerName     string        `json:"owner_name,omitempty"` // filled on read
	OwnerDisabled bool          `json:"-"`                    // filled on read
	OwnerRole     Role          `json:"-"`                    // filled on read
	Frequency     Frequency     `json:"frequency"`
	Evidence      string        `json:"evidence"` // the evidence expected
	Status        ControlStatus `json:"status"`
	Justification string        `json:"justification,omitempty"` // why it is not applicable
	Criteria      []string      `json:"criteria"`                // TSC criterion IDs
	Custom        bool          `json:"custom"`                  // not from the library
	Automatable   bool          `json:"automatable"`
	HowAutomated  string        `json:"how_automated,omitempty"`
	CreatedAt     time.Time     `json:"created_at"`
	UpdatedAt     time.Time     `json:"updated_at"`
}

// ControlIDPattern is the shape of control IDs: a domain of letters, a dash,
// and a number or name (AC-01, CUST-7, HR-ONBOARD).
var ControlIDPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,9}-[A-Z0-9][A-Z0-9_.-]{0,29}$`)

// CanonicalControlID is how a control ID typed anywhere (a path, a query,
// a form, a CLI argument) is matched: IDs are upper-case, so "ac-01" names
// AC-01 in every route alike.
func CanonicalControlID(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// DomainOf returns the domain part of a control ID.
func DomainOf(id string) string { d, _, _ := strings.Cut(id, "-"); return d }

// Validate checks a control. knownCriterion tells whether a criterion ID
// exists in the catalog.
func (c *Control) Validate(knownCriterion func(string) bool) error {
	c.ID = strings.TrimSpace(c.ID)
	c.Title = strings.TrimSpace(c.Title)
	if !ControlIDPattern.MatchString(c.ID) {
		return FieldError("id", "control id %q must look like AC-01: upper-case letters, a dash, then letters or digits", c.ID)
	}
	if c.Domain == "" {
		c.Domain = DomainOf(c.ID)
	}
	switch {
	case c.Title == "":
		return FieldError("title", "title is required")
	case len(c.Title) > 300:
		return FieldError("title", "title is longer than 300 characters")
	case len(c.Description) > 20000:
		return FieldError("description", "description is longer than 20000 characters")
	case len(c.Evidence) > 5000:
		return FieldError("evidence", "evidence is longer than 5000 characters")
	case c.OwnerID < 0:
		return FieldError("owner_id", "owner_id must be a user id")
	}
	if c.Frequency == "" {
		c.Frequency = FreqAnnual
	}
	if !slices.Contains(Frequencies, c.Frequency) {
		return FieldError("frequency", "unknown frequency %q (want continuous, daily, weekly, monthly, quarterly, annual or event)", c.Frequency)
	}
	if c.Status == "" {
		c.Status = StatusNotStarted
	}
	if !slices.Contains(ControlStatuses, c.Status) {
		return FieldError("status", "unknown status %q (want not_started, in_progress, implemented or not_applicable)", c.Status)
	}
	c.Justification = strings.TrimSpace(c.Justification)
	if c.Status == StatusNotApplicable && c.Justification == "" {
		return FieldError("justification", "a control marked not applicable needs a justification")
	}
	if c.Status != StatusNotApplicable && c.Justification != "" {
		return FieldError("justification", "only a control marked not applicable takes a justification")
	}
	if len(c.Justification) > 5000 {
		return FieldError("justification", "justification is longer than 5000 characters")
	}
	seen := map[string]bool{}
	out := c.Criteria[:0:0]
	for _, id := range c.Criteria {
		id = strings.ToUpper(strings.TrimSpace(id))
		if !knownCriterion(id) {
			return FieldError("criteria", "unknown criterion %q", id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	slices.Sort(out)
	c.Criteria = out
	return nil
}

// CheckTransition enforces the rules for moving a control from one status to
// another, beyond what Validate checks on the result. A control cannot be
// declared implemented without an owner: an auditor's first question about
// any control is who operates it.
func CheckTransition(before, after *Control) error {
	if after.Status == StatusImplemented && before.Status != StatusImplemented && after.OwnerID == 0 {
		return FieldError("status", "control %s cannot be marked implemented without an owner; assign an owner first", after.ID)
	}
	return nil
}

// AdoptResult says which controls an adoption added and which it skipped
// because they were already adopted.
type AdoptResult struct {
	Adopted []string `json:"adopted"`
	Skipped []string `json:"skipped"`
	// Requests counts the evidence requests made for the adopted controls
	// from the library's expected evidence and frequency.
	Requests int `json:"requests"`
}
