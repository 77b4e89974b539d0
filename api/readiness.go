package api

import (
	"time"

	"github.com/vigil-soc/vigil"
)

// SOARow is one control in the statement of applicability.
type SOARow struct {
	ControlID     string              `json:"control_id"`
	Title         string              `json:"title"`
	Domain        string              `json:"domain"`
	Applicable    bool                `json:"applicable"`
	Justification string              `json:"justification,omitempty"`
	Status        vigil.ControlStatus `json:"status"`
	Health        vigil.HealthState   `json:"health"`
	Owner         string              `json:"owner"`
	Frequency     vigil.Frequency     `json:"frequency"`
	Evidence      string              `json:"expected_evidence"`
	Criteria      []string            `json:"tsc_criteria"`
	// Related requirements in other frameworks, derived through the
	// crosswalk: related, never equivalent.
	RelatedDerived map[string][]string `json:"related_derived"`
}

// SOADocument is the statement of applicability.
type SOADocument struct {
	Organization   string      `json:"organization"`
	GeneratedAt    time.Time   `json:"generated_at"`
	CatalogVersion string      `json:"catalog_version"`
	Scope          vigil.Scope `json:"scope"`
	MinSupport     int         `json:"min_support"`
	Note           string      `json:"note"`
	Controls       []SOARow    `json:"controls"`
}
