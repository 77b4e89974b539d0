package vigil

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// ExceptionKind is why a failing check is excused.
type ExceptionKind string

// The exception kinds. Risk accepted keeps the failure visible (the control
// warns, naming the exception and its expiry); not applicable takes the
// resource out of the count, as if the check did not apply there.
const (
	ExceptionRiskAccepted  ExceptionKind = "risk_accepted"
	ExceptionNotApplicable ExceptionKind = "not_applicable"
)

// ExceptionScope is which hosts an exception covers.
type ExceptionScope string

// The scopes: one host, every host carrying a label, or every host.
const (
	ScopeHost  ExceptionScope = "host"
	ScopeLabel ExceptionScope = "label"
	ScopeAll   ExceptionScope = "all"
)

// ExceptionState is where an exception is in its life.
type ExceptionState string

// The states. Only an active exception changes anything: one waiting for
// approval, expired or revoked leaves results as they are.
const (
	ExceptionPending ExceptionState = "pending"
	ExceptionActive  ExceptionState = "active"
	ExceptionExpired ExceptionState = "expired"
	ExceptionRevoked ExceptionState = "revoked"
)

// Limits on an exception.
const (
	MaxExceptionDays        = 366 // an exception is reviewed at least yearly
	MinJustificationLen     = 20
	MaxJustificationLen     = 2000
	MaxLabels               = 16
	maxLabelPartLen         = 63
	exceptionJustifyMessage = "justification must say why in at least a sentence (%d to %d characters)"
)

// CheckException is a server-side exception to a check: a failing result
// it covers is shown as excepted, not as a plain failure. It takes effect
// only once a second person (not the requester) with the manage permission
// approves it, and only until it expires; history is never rewritten.
type CheckException struct {
	ID            int64          `json:"id"`
	CheckID       string         `json:"check"`
	Kind          ExceptionKind  `json:"kind"`
	Scope         ExceptionScope `json:"scope"`
	AgentID       int64          `json:"agent_id,omitempty"` // scope host
	AgentName     string         `json:"agent_name,omitempty"`
	Label         string         `json:"label,omitempty"` // scope label: key=value
	Justification string         `json:"justification"`
	Expires       time.Time      `json:"expires_at"`

	RequestedBy     int64      `json:"requested_by"`
	RequestedByName string     `json:"requested_by_name"`
	RequestedAt     time.Time  `json:"requested_at"`
	ApprovedBy      int64      `json:"approved_by,omitempty"`
	ApprovedByName  string     `json:"approved_by_name,omitempty"`
	ApprovedAt      *time.Time `json:"approved_at,omitempty"`
	RevokedBy       int64      `json:"revoked_by,omitempty"`
	RevokedByName   string     `json:"revoked_by_name,omitempty"`
	RevokedAt       *time.Time `json:"revoked_at,omitempty"`
	RevokeReason    string     `json:"revoke_reason,omitempty"`

	// State is computed at read time (it changes with the clock).
	State ExceptionState `json:"state"`
}

var checkIDPattern = regexp.MustCompile(`^[a-z0-9]+(?:[.-][a-z0-9]+)+$`)

// Validate checks a new exception request at time now. checkExists tells
// whether a check ID is known: an exception to a check that does not exist
// would hide nothing and mislead the reader.
func (e *CheckException) Validate(now time.Time, checkExists func(string) bool) error {
	e.CheckID = strings.TrimSpace(e.CheckID)
	e.Justification = strings.TrimSpace(e.Justification)
	e.Label = strings.TrimSpace(e.Label)
	switch {
	case e.CheckID == "":
		return FieldError("check", "check is required")
	case !checkIDPattern.MatchString(e.CheckID) || len(e.CheckID) > 200 || !checkExists(e.CheckID):
		return FieldError("check", "unknown check %q: see vigil checks list", clipText(e.CheckID, 60))
	case e.Kind != ExceptionRiskAccepted && e.Kind != ExceptionNotApplicable:
		return FieldError("kind", "kind must be risk_accepted or not_applicable, got %q", clipText(string(e.Kind), 40))
	}
	switch e.Scope {
	case ScopeHost:
		if e.AgentID <= 0 {
			return FieldError("agent_id", "a host exception names the host (agent_id)")
		}
		if e.Label != "" {
			return FieldError("label", "a host exception takes no label")
		}
	case ScopeLabel:
		if e.AgentID != 0 {
			return FieldError("agent_id", "a label exception takes no agent_id")
		}
		k, v, err := ParseLabel("label", e.Label)
		if err != nil {
			return err
		}
		e.Label = k + "=" + v
	case ScopeAll:
		if e.AgentID != 0 || e.Label != "" {
			return FieldError("scope", "an exception for all hosts takes no agent_id or label")
		}
	default:
		return FieldError("scope", "scope must be host, label or all, got %q", clipText(string(e.Scope), 40))
	}
	if n := utf8.RuneCountInString(e.Justification); n < MinJustificationLen || len(e.Justification) > MaxJustificationLen ||
		!utf8.ValidString(e.Justification) || strings.ContainsRune(e.Justification, 0) || len(strings.Fields(e.Justification)) < 3 {
		return FieldError("justification", exceptionJustifyMessage, MinJustificationLen, MaxJustificationLen)
	}
	switch {
	case e.Expires.IsZero():
		return FieldError("expires_at", "expires_at is required: an exception is never open-ended")
	case !e.Expires.After(now):
		return FieldError("expires_at", "expires_at %s is in the past", e.Expires.UTC().Format(time.RFC3339))
	case e.Expires.After(now.AddDate(0, 0, MaxExceptionDays)):
		return FieldError("expires_at", "an exception lasts at most %d days (until %s)", MaxExceptionDays, now.AddDate(0, 0, MaxExceptionDays).UTC().Format(time.DateOnly))
	}
	return nil
}

// StateAt is the exception's state at time t.
func (e *CheckException) StateAt(t time.Time) ExceptionState {
	switch {
	case e.RevokedAt != nil:
		return ExceptionRevoked
	case !e.Expires.After(t):
		return ExceptionExpired
	case e.ApprovedAt == nil:
		return ExceptionPending
	}
	return ExceptionActive
}

// Covers reports whether the exception's scope takes in a host with the
// given ID and labels (its state is not considered).
// CoversAgent reports whether the exception applies to a host. A label
// exception does not cover a host whose labels its own requester set after
// the approval: otherwise one person could widen what a second approved
// by relabelling hosts (separation of duties). Labels set before the
// approval, or by someone else, count.
func (e *CheckException) CoversAgent(a *Agent) bool {
	if !e.Covers(a.ID, a.Labels) {
		return false
	}
	if e.Scope == ScopeLabel && a.LabelsSetAt != nil && (e.ApprovedAt == nil || a.LabelsSetAt.After(*e.ApprovedAt)) && (a.LabelsSetBy == 0 || a.LabelsSetBy == e.RequestedBy) {
		return false
	}
	return true
}

// Covers reports whether the exception's scope matches a host's ID and
// labels (CoversAgent adds who set the labels).
func (e *CheckException) Covers(agentID int64, labels map[string]string) bool {
	switch e.Scope {
	case ScopeAll:
		return true
	case ScopeHost:
		return e.AgentID == agentID
	case ScopeLabel:
		k, v, ok := strings.Cut(e.Label, "=")
		if !ok {
			return false
		}
		got, has := labels[k]
		return has && got == v
	}
	return false
}

// ScopeText names the hosts an exception covers, for people.
func (e *CheckException) ScopeText() string {
	switch e.Scope {
	case ScopeHost:
		if e.AgentName != "" {
			return "host " + e.AgentName
		}
		return fmt.Sprintf("host #%d", e.AgentID)
	case ScopeLabel:
		return "hosts labelled " + e.Label
	}
	return "all hosts"
}

// Describe names an exception in a reason: its number, kind, approver
// and expiry.
func (e *CheckException) Describe() string {
	kind := "risk accepted"
	if e.Kind == ExceptionNotApplicable {
		kind = "not applicable"
	}
	s := fmt.Sprintf("exception #%d (%s", e.ID, kind)
	if e.ApprovedByName != "" {
		s += ", approved by " + e.ApprovedByName
	}
	return s + ", until " + e.Expires.UTC().Format("2006-01-02 15:04 UTC") + ")"
}

// labelPart is a label key or value: lowercase letters, digits, '.', '_'
// and '-', starting and ending with a letter or digit.
var labelPart = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$`)

// ParseLabel splits and checks one "key=value" label.
func ParseLabel(field, s string) (key, value string, err error) {
	k, v, ok := strings.Cut(strings.TrimSpace(s), "=")
	if !ok {
		return "", "", FieldError(field, "label %q must be key=value, e.g. env=prod", clipText(s, 60))
	}
	for _, p := range []string{k, v} {
		if len(p) > maxLabelPartLen || !labelPart.MatchString(p) {
			return "", "", FieldError(field, "label %q: key and value are 1 to %d lowercase letters, digits, '.', '_' or '-', starting and ending with a letter or digit", clipText(s, 60), maxLabelPartLen)
		}
	}
	return k, v, nil
}

// ValidateLabels checks a host's labels (key => value).
func ValidateLabels(field string, labels map[string]string) error {
	if len(labels) > MaxLabels {
		return FieldError(field, "a host has at most %d labels", MaxLabels)
	}
	for k, v := range labels {
		if _, _, err := ParseLabel(field, k+"="+v); err != nil {
			return err
		}
	}
	return nil
}

// ParseLabels reads labels written as "key=value" items separated by
// commas or spaces (a form field, a command line), refusing a key given
// twice with different values.
func ParseLabels(field, s string) (map[string]string, error) {
	out := map[string]string{}
	for _, item := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' }) {
		k, v, err := ParseLabel(field, item)
		if err != nil {
			return nil, err
		}
		if old, ok := out[k]; ok && old != v {
			return nil, FieldError(field, "label %s is given twice (%s and %s)", k, old, v)
		}
		out[k] = v
	}
	return out, ValidateLabels(field, out)
}

// LabelList is labels as sorted "key=value" strings.
func LabelList(labels map[string]string) []string {
	out := make([]string, 0, len(labels))
	for k, v := range labels {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// MayApproveExceptions checks that the actor may approve exceptions at all:
// an admin or owner, and a person (the system approves nothing).
func (a Actor) MayApproveExceptions() error {
	if !a.Role.Can(PermManage) || a.UserID == 0 {
		return Errorf(EFORBIDDEN, "only an admin or owner approves an exception")
	}
	return nil
}

// MayApprove checks that a may approve e at now: e is pending (not revoked,
// approved or expired), and a did not request it (separation of duties).
func (e *CheckException) MayApprove(a Actor, now time.Time) error {
	switch e.StateAt(now) {
	case ExceptionRevoked:
		return Errorf(ECONFLICT, "exception #%d was revoked by %s; request a new one", e.ID, e.RevokedByName)
	case ExceptionActive:
		return Errorf(ECONFLICT, "exception #%d is already approved (by %s)", e.ID, e.ApprovedByName)
	case ExceptionExpired:
		return Errorf(ECONFLICT, "exception #%d expired at %s before it was approved; request a new one", e.ID, e.Expires.UTC().Format(time.RFC3339))
	}
	if e.RequestedBy == a.UserID {
		return &Error{Code: EFORBIDDEN, Field: "approver", Message: "you requested this exception: another admin or owner must approve it (separation of duties)"}
	}
	return nil
}
