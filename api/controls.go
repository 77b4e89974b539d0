package api

import "github.com/vigil-soc/vigil"

// ControlView is a control with its computed health.
type ControlView struct {
	vigil.Control
	Health vigil.Health `json:"health"`
}

// Related is another framework's requirement related (derived) to a control
// through the criteria it meets.
type Related struct {
	Framework     string   `json:"framework"`
	RequirementID string   `json:"requirement_id"`
	Title         string   `json:"title"`
	Via           []string `json:"via"` // the control's criteria that relate to it
	Sources       []string `json:"sources"`
	Confidence    string   `json:"confidence"`
	Label         string   `json:"label"`
}

// ControlDetail is a control with the requirements of other frameworks derived through its criteria.
type ControlDetail struct {
	ControlView
	Related []Related `json:"related"`
}

// ControlRequest adds a custom control (POST /api/v1/controls).
type ControlRequest struct {
	ID            string              `json:"id"`
	Title         string              `json:"title"`
	Description   string              `json:"description"`
	OwnerID       int64               `json:"owner_id"`
	Frequency     vigil.Frequency     `json:"frequency"`
	Evidence      string              `json:"evidence"`
	Status        vigil.ControlStatus `json:"status"`
	Justification string              `json:"justification"`
	Criteria      []string            `json:"criteria"`
}

// AdoptRequest names the library controls to adopt: all, by domain or by id.
type AdoptRequest struct {
	All     bool     `json:"all"`
	Domains []string `json:"domains"`
	IDs     []string `json:"ids"`
	OwnerID int64    `json:"owner_id"` // optional owner for every adopted control
}

// BulkSet is what a bulk change may set: the fields that make sense for
// many controls at once (an owner, a status, a frequency), and the
// justification a not-applicable status needs.
type BulkSet struct {
	OwnerID       *int64               `json:"owner_id"` // 0 clears the owner
	Status        *vigil.ControlStatus `json:"status"`
	Frequency     *vigil.Frequency     `json:"frequency"`
	Justification *string              `json:"justification"`
}

// BulkRequest sets the same fields on several controls at once.
type BulkRequest struct {
	IDs []string `json:"ids"`
	Set BulkSet  `json:"set"`
}

// BulkResponse is the outcome of a bulk change.
type BulkResponse struct {
	Items []ControlView `json:"items"` // every control named, as it now is
	// Updated and Unchanged split the ids: controls that already had the
	// values were not written, nor logged.
	Updated   []string `json:"updated"`
	Unchanged []string `json:"unchanged"`
}
