package vigil

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"
)

// Integration is a connected system whose controls Vigil tests on a
// schedule: its checks' results are kept like a host's, under AgentID.
type Integration struct {
	ID   int64  `json:"id"`
	Kind string `json:"kind"` // git, tls, ...
	Name string `json:"name"`
	// Config is the kind's settings, without secrets (JSON object).
	Config json.RawMessage `json:"config"`
	// HasSecret says a credential is stored (sealed); it is never returned.
	HasSecret  bool       `json:"has_secret"`
	Interval   int        `json:"interval_seconds"`
	Enabled    bool       `json:"enabled"`
	AgentID    int64      `json:"agent_id,omitempty"`
	LastRun    *time.Time `json:"last_run,omitempty"`
	LastStatus string     `json:"last_status,omitempty"` // ok, error
	LastError  string     `json:"last_error,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Validate checks the fields every kind shares.
func (x *Integration) Validate() error {
	switch {
	case strings.TrimSpace(x.Name) == "" || len(x.Name) > 200 || !utf8.ValidString(x.Name) || strings.ContainsAny(x.Name, "\x00\r\n"):
		return FieldError("name", "the name must be one line of 1 to 200 characters")
	case x.Interval < 60 || x.Interval > 7*86400:
		return FieldError("interval_seconds", "the interval must be between 60 seconds and 7 days")
	case len(x.Config) == 0 || x.Config[0] != '{':
		return FieldError("config", "config must be a JSON object")
	}
	return nil
}
