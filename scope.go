package vigil

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Category is one of the five Trust Services Categories.
type Category string

// The Trust Services Categories. Security (the common criteria) is always in
// scope; the other four are chosen by the organization.
const (
	CategorySecurity            Category = "security"
	CategoryAvailability        Category = "availability"
	CategoryConfidentiality     Category = "confidentiality"
	CategoryProcessingIntegrity Category = "processing_integrity"
	CategoryPrivacy             Category = "privacy"
)

// Categories lists the categories in the order reports show them.
var Categories = []Category{CategorySecurity, CategoryAvailability, CategoryConfidentiality, CategoryProcessingIntegrity, CategoryPrivacy}

// CategoryTitle returns the category's display name.
func CategoryTitle(c Category) string {
	switch c {
	case CategorySecurity:
		return "Security"
	case CategoryAvailability:
		return "Availability"
	case CategoryConfidentiality:
		return "Confidentiality"
	case CategoryProcessingIntegrity:
		return "Processing Integrity"
	case CategoryPrivacy:
		return "Privacy"
	}
	return string(c)
}

// ParseCategory accepts a category key or its display name, in any case.
func ParseCategory(s string) (Category, bool) {
	k := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), " ", "_")
	if slices.Contains(Categories, Category(k)) {
		return Category(k), true
	}
	return "", false
}

// Organization is the profile of the service organization being audited.
// A Vigil installation holds one organization.
type Organization struct {
	Name        string    `json:"name"`
	LegalName   string    `json:"legal_name"`
	Website     string    `json:"website"`
	Description string    `json:"description"` // the system description's opening line
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Validate checks the profile.
func (o *Organization) Validate() error {
	o.Name = strings.TrimSpace(o.Name)
	switch {
	case o.Name == "":
		return FieldError("name", "organization name is required")
	case len(o.Name) > 200:
		return FieldError("name", "organization name is longer than 200 characters")
	case len(o.LegalName) > 200:
		return FieldError("legal_name", "legal name is longer than 200 characters")
	case len(o.Website) > 500:
		return FieldError("website", "website is longer than 500 characters")
	case len(o.Description) > 10000:
		return FieldError("description", "description is longer than 10000 characters")
	}
	if o.Website != "" && !strings.HasPrefix(o.Website, "https://") && !strings.HasPrefix(o.Website, "http://") {
		return FieldError("website", "website must start with https:// or http://")
	}
	return nil
}

// AuditType is the kind of SOC 2 report the organization is preparing for.
type AuditType string

// The report types.
const (
	AuditTypeNone AuditType = ""      // not chosen yet
	AuditType1    AuditType = "type1" // design, as of one date
	AuditType2    AuditType = "type2" // operating effectiveness over a window
)

// Date is a calendar day, written YYYY-MM-DD in JSON and in the database.
type Date string

// ParseDate validates s as YYYY-MM-DD.
func ParseDate(field, s string) (Date, error) {
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return "", FieldError(field, "%s must be a date written YYYY-MM-DD, got %q", field, s)
	}
	return Date(s), nil
}

// Time returns the start of the day in UTC.
func (d Date) Time() time.Time { t, _ := time.Parse(time.DateOnly, string(d)); return t }

// Scope is what the audit covers: categories and the audit target.
type Scope struct {
	Categories  []Category `json:"categories"`
	AuditType   AuditType  `json:"audit_type"`
	AsOf        Date       `json:"as_of,omitempty"`        // Type I
	WindowStart Date       `json:"window_start,omitempty"` // Type II
	WindowEnd   Date       `json:"window_end,omitempty"`   // Type II
	UpdatedAt   time.Time  `json:"updated_at"`
}

// InScope reports whether category c is in scope.
func (s *Scope) InScope(c Category) bool { return slices.Contains(s.Categories, c) }

// Validate normalizes and checks the scope: Security is always added; the
// audit target must be complete and, for Type II, 3 to 12 months long.
func (s *Scope) Validate() error {
	seen := map[Category]bool{CategorySecurity: true}
	for _, c := range s.Categories {
		if !slices.Contains(Categories, c) {
			return FieldError("categories", "unknown category %q (want security, availability, confidentiality, processing_integrity or privacy)", c)
		}
		seen[c] = true
	}
	s.Categories = s.Categories[:0:0]
	for _, c := range Categories {
		if seen[c] {
			s.Categories = append(s.Categories, c)
		}
	}
	for _, f := range []struct {
		name string
		v    Date
	}{{"as_of", s.AsOf}, {"window_start", s.WindowStart}, {"window_end", s.WindowEnd}} {
		if f.v != "" {
			if _, err := ParseDate(f.name, string(f.v)); err != nil {
				return err
			}
		}
	}
	switch s.AuditType {
	case AuditTypeNone:
		if s.AsOf != "" || s.WindowStart != "" || s.WindowEnd != "" {
			return FieldError("audit_type", "audit_type is required when audit dates are given")
		}
	case AuditType1:
		if s.AsOf == "" {
			return FieldError("as_of", "a Type I audit needs an as_of date")
		}
		if s.WindowStart != "" || s.WindowEnd != "" {
			return FieldError("window_start", "a Type I audit has an as_of date, not a window")
		}
	case AuditType2:
		if s.WindowStart == "" {
			return FieldError("window_start", "a Type II audit needs window_start")
		}
		if s.WindowEnd == "" {
			return FieldError("window_end", "a Type II audit needs window_end")
		}
		if s.AsOf != "" {
			return FieldError("as_of", "a Type II audit has a window, not an as_of date")
		}
		start, end := s.WindowStart.Time(), s.WindowEnd.Time()
		if !end.After(start) {
			return FieldError("window_end", "window_end must be after window_start")
		}
		// Auditors accept windows of 3 to 12 months; anything else is a typo.
		if end.Before(start.AddDate(0, 3, -1)) || end.After(start.AddDate(1, 0, 0)) {
			return FieldError("window_end", "a Type II window must last 3 to 12 months, got %s to %s", s.WindowStart, s.WindowEnd)
		}
	default:
		return FieldError("audit_type", "unknown audit_type %q (want type1 or type2)", s.AuditType)
	}
	return nil
}

// TargetString describes the audit target in a phrase.
func (s *Scope) TargetString() string {
	switch s.AuditType {
	case AuditType1:
		return fmt.Sprintf("Type I as of %s", s.AsOf)
	case AuditType2:
		return fmt.Sprintf("Type II, %s to %s", s.WindowStart, s.WindowEnd)
	}
	return "not set"
}
