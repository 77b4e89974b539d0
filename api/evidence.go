package api

import "github.com/vigil-soc/vigil"

// AttestRequest records an attestation or a link as evidence.
type AttestRequest struct {
	Title          string     `json:"title"`
	Statement      string     `json:"statement"`
	URL            string     `json:"url"`
	Controls       []string   `json:"controls"`
	Requests       []int64    `json:"requests"`
	EffectiveStart vigil.Date `json:"effective_start"`
	EffectiveEnd   vigil.Date `json:"effective_end"`
}

// ReviewRequest accepts or rejects an evidence item.
type ReviewRequest struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
}

// LedgerKey is the ledger's verifier key, origin and size.
type LedgerKey struct {
	VerifierKey string `json:"verifier_key"`
	Origin      string `json:"origin"`
	Size        uint64 `json:"size"`
}

// ConsistencyResponse proves that a later tree extends an earlier one.
type ConsistencyResponse struct {
	From   uint64   `json:"from"`
	To     uint64   `json:"to"`
	Hashes []string `json:"hashes"`
}

// RequestView is an evidence request with its periods and the signal it gives.
type RequestView struct {
	vigil.EvidenceRequest
	Periods []vigil.Period `json:"periods"`
	Signal  vigil.Signal   `json:"signal"`
}

// NewRequest asks for evidence for a control on a schedule.
type NewRequest struct {
	ControlID   string                 `json:"control_id"`
	Title       string                 `json:"title"`
	Description string                 `json:"description"`
	Frequency   vigil.RequestFrequency `json:"frequency"`
	Start       vigil.Date             `json:"start"`
	GraceDays   int                    `json:"grace_days"`
	AssigneeID  int64                  `json:"assignee_id"` // 0: the control's owner
}
