package api

import "github.com/vigil-soc/vigil"

// ConfidentialityPolicy designates the published policy people sign in
// Vigil as their confidentiality agreement (0: none).
type ConfidentialityPolicy struct {
	PolicyID int64 `json:"policy_id"`
}

// PerformanceReviewRequest attests that a person's performance review
// for a period was done.
type PerformanceReviewRequest struct {
	Period      string     `json:"period,omitempty"` // default: the year completed
	CompletedOn vigil.Date `json:"completed_on"`
	EvidenceID  int64      `json:"evidence_id,omitempty"`
	Note        string     `json:"note,omitempty"`
}
