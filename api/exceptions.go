package api

// ExceptionRequest is an exception as asked for.
type ExceptionRequest struct {
	Check         string `json:"check"`
	Kind          string `json:"kind"`  // risk_accepted or not_applicable
	Scope         string `json:"scope"` // host, label or all
	AgentID       int64  `json:"agent_id,omitempty"`
	Label         string `json:"label,omitempty"` // key=value
	Justification string `json:"justification"`
	// RFC 3339, or a date: the exception then lasts through that day (UTC).
	ExpiresAt string `json:"expires_at"`
}

// RevokeExceptionRequest ends an exception early, with a reason.
type RevokeExceptionRequest struct {
	Reason string `json:"reason"`
}

// LabelsRequest replaces a host's labels.
type LabelsRequest struct {
	Labels map[string]string `json:"labels"` // key => value; {} removes them all
}
