package api

import "encoding/json"

// IntegrationRequest connects a system, or changes a connection.
type IntegrationRequest struct {
	Kind     string          `json:"kind"`
	Name     string          `json:"name"`
	Config   json.RawMessage `json:"config"`
	Interval int             `json:"interval_seconds"`
	// Every is the interval as a duration ("24h", "30m", "7d"), which
	// people read better than seconds; it wins over interval_seconds.
	Every   string  `json:"every,omitempty"`
	Enabled *bool   `json:"enabled"`
	Secret  *string `json:"secret"`
}

// TestResult says whether a connection could be made with the given settings.
type TestResult struct {
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}
