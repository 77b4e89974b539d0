package api

import "github.com/vigil-soc/vigil"

// ScopeRequest is the scope as clients send it: categories as strings, so
// that display names (Processing Integrity) are accepted too.
type ScopeRequest struct {
	Categories  []string        `json:"categories"`
	AuditType   vigil.AuditType `json:"audit_type"`
	AsOf        vigil.Date      `json:"as_of"`
	WindowStart vigil.Date      `json:"window_start"`
	WindowEnd   vigil.Date      `json:"window_end"`
}

// SystemRequest adds a system to the scope.
type SystemRequest struct {
	Name           string `json:"name"`
	Kind           string `json:"kind"`
	OwnerID        int64  `json:"owner_id"`
	Classification string `json:"classification"`
	Environment    string `json:"environment"`
	Description    string `json:"description"`
}
