package api

import (
	"time"

	"github.com/vigil-soc/vigil"
)

// IncidentRequest declares an incident. Tools opening incidents on an
// alert give a dedup_key: while the incident it opened is not closed,
// the same key returns that incident (200) rather than opening another
// (201). Times are RFC 3339; declared_at defaults to now, detected_at to
// declared_at.
type IncidentRequest struct {
	Title      string         `json:"title"`
	Summary    string         `json:"summary,omitempty"`
	Severity   vigil.Severity `json:"severity"` // SEV1 to SEV4
	DetectedAt time.Time      `json:"detected_at,omitzero"`
	DeclaredAt time.Time      `json:"declared_at,omitzero"`
	Systems    []int64        `json:"systems,omitempty"` // the organization's systems, by ID
	Customers  string         `json:"customers,omitempty"`
	Data       string         `json:"data,omitempty"`
	DedupKey   string         `json:"dedup_key,omitempty"`
	Source     string         `json:"source,omitempty"` // the tool or alert that opened it
}

// IncidentOpened is an incident as opened, or as found by its dedup key.
type IncidentOpened struct {
	vigil.Incident
	// Created is false when the dedup key found an incident already open.
	Created bool `json:"created"`
}

// IncidentEventRequest appends a timeline entry (at defaults to now).
type IncidentEventRequest struct {
	Text string    `json:"text"`
	At   time.Time `json:"at,omitzero"`
}

// NotificationRequest records a notification owed: due_at, or due_hours
// after declaration (default 72).
type NotificationRequest struct {
	Audience string    `json:"audience"`
	DueAt    time.Time `json:"due_at,omitzero"`
	DueHours int       `json:"due_hours,omitempty"`
	Note     string    `json:"note,omitempty"`
}

// NotificationSentRequest records when a notification was sent (default
// now).
type NotificationSentRequest struct {
	SentAt time.Time `json:"sent_at,omitzero"`
}

// ActionRequest is one action of a post-incident review.
type ActionRequest struct {
	Title   string `json:"title"`
	OwnerID int64  `json:"owner_id"`
	Due     string `json:"due"` // YYYY-MM-DD
}

// IncidentReviewRequest records the post-incident review with its
// actions.
type IncidentReviewRequest struct {
	Summary     string          `json:"summary"`
	CompletedAt time.Time       `json:"completed_at,omitzero"`
	Actions     []ActionRequest `json:"actions,omitempty"`
}

// ExerciseRequest records an exercise; its evidence (evidence_ids) is
// uploaded first, linked to the kind's control (tabletop: IR-03, dr:
// BC-04, restore: BC-02).
type ExerciseRequest struct {
	Kind         vigil.ExerciseKind    `json:"kind"`
	Scenario     string                `json:"scenario"`
	Date         string                `json:"date"` // YYYY-MM-DD
	Participants string                `json:"participants"`
	Tested       string                `json:"tested"`
	Results      string                `json:"results"`
	Outcome      vigil.ExerciseOutcome `json:"outcome"`
	Findings     string                `json:"findings,omitempty"`
	Actions      string                `json:"actions,omitempty"`
	EvidenceIDs  []int64               `json:"evidence_ids,omitempty"`
}
