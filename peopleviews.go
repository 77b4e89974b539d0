package vigil

import "time"

// The personnel module's answers: pure data, shared by the service, the
// API, the pages and the CLI.

// RowError is what is wrong with one row of an import (Line 1 is the
// header) or, with Line 0, with the whole file.
type RowError struct {
	Line    int    `json:"line"`
	Column  string `json:"column,omitempty"`
	Email   string `json:"email,omitempty"`
	Message string `json:"message"`
}

// ImportCounts is what an import did, or would do.
type ImportCounts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// ImportPreview is a dry run of an import: what it would do, or every bad
// row. A file with no bad row is staged as ID, to be confirmed with its
// hash; nothing is imported until then.
type ImportPreview struct {
	ID        int64          `json:"id,omitempty"`
	SHA256    string         `json:"sha256"`
	Rows      int            `json:"rows"`
	Errors    []RowError     `json:"errors"`
	Counts    ImportCounts   `json:"counts"`
	Changes   []ImportChange `json:"changes"`
	Leavers   []string       `json:"leavers,omitempty"`   // rows whose end date is new or changed
	NotInFile int            `json:"not_in_file"`         // people the file does not name (left as they are)
	Truncated bool           `json:"truncated,omitempty"` // Changes and Leavers list only the first ones
}

// ImportChange is one row's effect, for the preview.
type ImportChange struct {
	Line   int      `json:"line"`
	Email  string   `json:"email"`
	Action string   `json:"action"`           // create, update
	Fields []string `json:"fields,omitempty"` // for updates: the fields that change
}

// OffboardingLog is each leaver's accounts and whether they were removed
// in time, and leavers with no account matched (which needs a person to
// look: an account under another name, or none).
type OffboardingLog struct {
	Items     []OffboardingItem `json:"items"`
	Unmatched []Person          `json:"unmatched_leavers"`
	Sources   int               `json:"sources"` // integrations listing accounts
}

// PersonDetail is one person's record, every account matched to them,
// their acknowledgements and their offboarding.
type PersonDetail struct {
	Person      Person            `json:"person"`
	Accounts    []Account         `json:"accounts"`
	Acks        []AckLine         `json:"acknowledgements"`
	Offboarding []OffboardingItem `json:"offboarding"`
}

// AckLine is one policy's acknowledgement standing for a person.
type AckLine struct {
	AckStatus
	Key   string `json:"key"`
	Title string `json:"title"`
}

// AckRoster is one policy's acknowledgement standing for everyone in scope.
type AckRoster struct {
	Requirement AckRequirement  `json:"requirement"`
	People      []AckRosterLine `json:"people"`
	Done        int             `json:"acknowledged"`
	Due         int             `json:"due"`
	Overdue     int             `json:"overdue"`
}

// AckRosterLine is one person on a roster.
type AckRosterLine struct {
	AckStatus
	PersonID int64  `json:"person_id"`
	Name     string `json:"name"`
	// RemindedAt is when the person was last sent a reminder to
	// acknowledge; ReminderError is why the newest one failed, if it did.
	RemindedAt    time.Time `json:"reminded_at,omitzero"`
	ReminderError string    `json:"reminder_error,omitempty"`
}

// AckOverview is every policy in force with its acknowledgement counts.
type AckOverview struct {
	InScope  int               `json:"in_scope"`
	Policies []AckPolicyCounts `json:"policies"`
	At       time.Time         `json:"at"`
}

// AckPolicyCounts is one policy's counts.
type AckPolicyCounts struct {
	AckRequirement
	Done    int `json:"acknowledged"`
	Due     int `json:"due"`
	Overdue int `json:"overdue"`
}

// MyTasks is what one person has to do.
type MyTasks struct {
	Email    string      `json:"email"`
	InScope  bool        `json:"in_scope"` // whether the register has them in scope
	Policies []PolicyDue `json:"policies"` // policies to acknowledge
	// Training is the courses assigned and not complete, soonest first.
	Training []TrainingStatus `json:"training"`
	// Onboarding is what of a new starter's checklist is still open.
	Onboarding []OnboardingItem `json:"onboarding"`
}

// PolicyDue is a policy waiting for a person's acknowledgement.
type PolicyDue struct {
	AckRequirement
	State AckState  `json:"state"`
	Due   time.Time `json:"due"`
	Acked int       `json:"acknowledged_version,omitempty"`
}

// PersonPatch changes some of a person's fields by hand; nil fields stay.
// An end date is how a leaver is recorded when no HR source says so.
type PersonPatch struct {
	Name         *string         `json:"name,omitempty"`
	Title        *string         `json:"title,omitempty"`
	Department   *string         `json:"department,omitempty"`
	ManagerEmail *string         `json:"manager_email,omitempty"`
	Location     *string         `json:"location,omitempty"`
	Type         *EmploymentType `json:"employment_type,omitempty"`
	Start        *Date           `json:"start_date,omitempty"`
	End          *Date           `json:"end_date,omitempty"`
	InScope      *bool           `json:"in_scope,omitempty"`
	Aliases      *[]string       `json:"aliases,omitempty"`
}

// Apply changes p by the patch.
func (x *PersonPatch) Apply(p *Person) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&p.Name, x.Name)
	set(&p.Title, x.Title)
	set(&p.Department, x.Department)
	set(&p.ManagerEmail, x.ManagerEmail)
	set(&p.Location, x.Location)
	if x.Type != nil {
		p.Type = *x.Type
	}
	if x.Start != nil {
		p.Start = *x.Start
	}
	if x.End != nil {
		p.End = *x.End
	}
	if x.InScope != nil {
		p.InScope = *x.InScope
	}
	if x.Aliases != nil {
		p.Aliases = append([]string(nil), (*x.Aliases)...)
	}
}
