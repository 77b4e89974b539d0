package vigil

import (
	"slices"
	"strings"
	"time"
)

// System is an in-scope system in the inventory: something the audit covers.
type System struct {
	ID             int64     `json:"id"`
	Name           string    `json:"name"`
	Kind           string    `json:"kind"`
	OwnerID        int64     `json:"owner_id,omitempty"`
	OwnerName      string    `json:"owner_name,omitempty"`
	Classification string    `json:"classification"`
	Environment    string    `json:"environment"`
	Description    string    `json:"description"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// SystemKinds, DataClassifications and Environments are the accepted values.
var (
	SystemKinds         = []string{"application", "service", "database", "server", "cloud_account", "network", "saas", "endpoint", "repository", "identity_provider", "other"}
	DataClassifications = []string{"public", "internal", "confidential", "restricted"}
	Environments        = []string{"production", "staging", "development", "corporate"}
)

// Validate normalizes and checks a system.
func (s *System) Validate() error {
	s.Name = strings.TrimSpace(s.Name)
	switch {
	case s.Name == "":
		return FieldError("name", "name is required")
	case len(s.Name) > 200:
		return FieldError("name", "name is longer than 200 characters")
	case len(s.Description) > 10000:
		return FieldError("description", "description is longer than 10000 characters")
	case s.OwnerID < 0:
		return FieldError("owner_id", "owner_id must be a user id")
	}
	if s.Kind == "" {
		s.Kind = "other"
	}
	if !slices.Contains(SystemKinds, s.Kind) {
		return FieldError("kind", "unknown kind %q (want one of %s)", s.Kind, strings.Join(SystemKinds, ", "))
	}
	if !slices.Contains(DataClassifications, s.Classification) {
		return FieldError("classification", "unknown classification %q (want one of %s)", s.Classification, strings.Join(DataClassifications, ", "))
	}
	if !slices.Contains(Environments, s.Environment) {
		return FieldError("environment", "unknown environment %q (want one of %s)", s.Environment, strings.Join(Environments, ", "))
	}
	return nil
}

// SystemPatch changes some of a system's fields; nil fields stay.
type SystemPatch struct {
	Name           *string `json:"name"`
	Kind           *string `json:"kind"`
	OwnerID        *int64  `json:"owner_id"`
	Classification *string `json:"classification"`
	Environment    *string `json:"environment"`
	Description    *string `json:"description"`
}

// Apply returns x changed by the patch.
func (p SystemPatch) Apply(x *System) System {
	after := *x
	set(&after.Name, p.Name)
	set(&after.Kind, p.Kind)
	set(&after.OwnerID, p.OwnerID)
	set(&after.Classification, p.Classification)
	set(&after.Environment, p.Environment)
	set(&after.Description, p.Description)
	return after
}
