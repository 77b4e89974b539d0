package api

import (
	"github.com/vigil-soc/vigil"
)

// EnrolmentRequest asks for a one-time enrolment token for a host.
type EnrolmentRequest struct {
	Name     string            `json:"name"`
	TTLHours int               `json:"ttl_hours"`
	Labels   map[string]string `json:"labels,omitempty"` // the host starts with these
}

// AgentView is a host with its staleness and share of passing checks.
type AgentView struct {
	vigil.Agent
	Stale      bool `json:"stale"`
	Compliance int  `json:"compliance_percent"` // -1: nothing judged
}

// AgentDetail is a host with its current results and tailoring.
type AgentDetail struct {
	AgentView
	Results   []vigil.CurrentResult `json:"results"`
	Tailoring TailoringView         `json:"tailoring"`
}

// TailoringView is what a host turns off: every check with its
// justification, those not approved yet, and the digest to approve.
type TailoringView struct {
	Disabled   map[string]string `json:"disabled"`
	Unapproved map[string]string `json:"unapproved"`
	Digest     string            `json:"digest"`
}

// ApproveTailoring approves a host's tailoring as shown.
type ApproveTailoring struct {
	Digest string `json:"digest"` // the tailoring's digest as shown (GET /api/v1/agents/{id})
}

// ApprovedTailoring is the tailoring now approved.
type ApprovedTailoring struct {
	Approved map[string]string `json:"approved"`
}

// EnrolRequest is an agent spending its enrolment token.
type EnrolRequest struct {
	Token string         `json:"token"`
	Host  vigil.HostInfo `json:"host"`
}

// EnrolResponse gives an enrolled agent its credential, shown once.
type EnrolResponse struct {
	AgentID    int64  `json:"agent_id"`
	Name       string `json:"name"`
	Credential string `json:"credential"`
}

// ReportAccepted acknowledges an agent's report.
type ReportAccepted struct {
	AgentID int64 `json:"agent_id"`
	Seq     int64 `json:"seq"`
}

// FleetRow is one check across the fleet, with its title, severity and controls.
type FleetRow struct {
	vigil.FleetCount
	Title    string   `json:"title"`
	Severity string   `json:"severity"`
	Controls []string `json:"controls"`
}
