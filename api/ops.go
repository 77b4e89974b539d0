package api

// Ready is the readiness probe's answer.
type Ready struct {
	Status        string `json:"status"` // ready or not_ready
	Reason        string `json:"reason,omitempty"`
	Database      string `json:"database"`
	SchemaVersion int    `json:"schema_version"`
}
