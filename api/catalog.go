package api

import "github.com/vigil-soc/vigil/catalog"

// FrameworkInfo describes one framework of the catalog.
type FrameworkInfo struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Version      string `json:"version"`
	Publisher    string `json:"publisher"`
	Provenance   string `json:"provenance"`
	Requirements int    `json:"requirements"`
	Mappings     int    `json:"mappings"` // crosswalk rows from TSC
}

// CatalogSummary is the catalog's version, frameworks and library domains.
type CatalogSummary struct {
	Version    string           `json:"version"`
	Criteria   int              `json:"criteria"`
	Provenance string           `json:"provenance"`
	Frameworks []FrameworkInfo  `json:"frameworks"`
	Domains    []catalog.Domain `json:"domains"`
	Library    int              `json:"library_controls"`
	Crosswalk  string           `json:"crosswalk_note"`
}

// CriterionView is a Trust Services Criterion with its category's title.
type CriterionView struct {
	catalog.Criterion
	CategoryTitle string `json:"category_title"`
}

// MappingView is one crosswalk row from a criterion, labelled for people.
type MappingView struct {
	catalog.Mapping
	Label            string `json:"label"`
	RequirementTitle string `json:"requirement_title"`
}

// CriterionDetail is a criterion with the library controls that meet it and its crosswalk.
type CriterionDetail struct {
	CriterionView
	Controls  []string      `json:"library_controls"`
	Crosswalk []MappingView `json:"crosswalk"`
}

// FrameworkView is a framework with its requirements.
type FrameworkView struct {
	ID           string                `json:"id"`
	Name         string                `json:"name"`
	Version      string                `json:"version"`
	Publisher    string                `json:"publisher"`
	Provenance   string                `json:"provenance"`
	Requirements []catalog.Requirement `json:"requirements"`
}

// LibraryView is a library control ready to adopt.
type LibraryView struct {
	catalog.LibraryControl
	DomainTitle string `json:"domain_title"`
}
