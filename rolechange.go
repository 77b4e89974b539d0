package vigil

import (
	"fmt"
	"strings"
	"time"
)

// Personnel register sources and role changes (HR-08). An HR system or a
// directory keeps the register like a CSV import does; when a person's
// title or department changes, their access must be looked at again.

// RoleChangeControl is the library control role changes show operating.
const RoleChangeControl = "HR-08"

// Limits on role changes.
const (
	RoleChangeReviewDays = 30 // an access check is due within this many days
	MaxReviewComment     = 2000
)

// RoleChange is a change of a person's title or department, as a source
// (an HR system, a directory, a CSV import) reported it, and the review
// of their access that followed.
type RoleChange struct {
	ID            int64      `json:"id"`
	PersonID      int64      `json:"person_id"`
	Email         string     `json:"email"`
	Name          string     `json:"name"`
	OldTitle      string     `json:"old_title"`
	NewTitle      string     `json:"new_title"`
	OldDepartment string     `json:"old_department"`
	NewDepartment string     `json:"new_department"`
	DetectedAt    time.Time  `json:"detected_at"`
	Source        string     `json:"source"`
	ReviewedAt    *time.Time `json:"reviewed_at,omitempty"`
	ReviewedBy    string     `json:"reviewed_by,omitempty"`
	Comment       string     `json:"comment,omitempty"`
}

// Due is when the access check must have been recorded.
func (c *RoleChange) Due() time.Time { return c.DetectedAt.AddDate(0, 0, RoleChangeReviewDays) }

// Describe says what changed, e.g. `title "Engineer" → "Manager"`.
func (c *RoleChange) Describe() string {
	var parts []string
	if c.OldTitle != c.NewTitle {
		parts = append(parts, fmt.Sprintf("title %q → %q", c.OldTitle, c.NewTitle))
	}
	if c.OldDepartment != c.NewDepartment {
		parts = append(parts, fmt.Sprintf("department %q → %q", c.OldDepartment, c.NewDepartment))
	}
	return strings.Join(parts, ", ")
}

// RoleChangeOf is the role change from old to next, or nil. A field that
// was empty before is being learned, not changed (a source filling in a
// CSV row's title): only a known title or department that differs is a
// change of role.
func RoleChangeOf(old, next *Person, source string, at time.Time) *RoleChange {
	title := old.Title != "" && old.Title != next.Title
	dept := old.Department != "" && old.Department != next.Department
	if !title && !dept {
		return nil
	}
	c := &RoleChange{PersonID: old.ID, Email: old.Email, Name: next.Name, OldTitle: old.Title, NewTitle: old.Title,
		OldDepartment: old.Department, NewDepartment: old.Department, DetectedAt: at, Source: source}
	if title {
		c.NewTitle = next.Title
	}
	if dept {
		c.NewDepartment = next.Department
	}
	return c
}

// RoleChangeSignals judges HR-08 from the role changes: one not reviewed
// RoleChangeReviewDays after it was detected fails, naming the person;
// one still within its time is pending (neutral); one reviewed late is
// an exception (warn); those reviewed in time show the control
// operating. Changes detected before from count only while unreviewed.
// With no source that could detect a change (sources 0: no HR system or
// directory syncing people, no CSV import) it is unknown; with no change
// since from it is neutral.
func RoleChangeSignals(changes []RoleChange, sources int, from, now time.Time) []Signal {
	sig := func(st SignalStatus, reason string) Signal {
		return Signal{ControlID: RoleChangeControl, Source: "people", Status: st, Reason: reason}
	}
	if sources == 0 {
		return []Signal{sig(SignalUnknown, "no HR system or directory keeps the personnel register and no CSV import was applied: role changes cannot be detected")}
	}
	var out []Signal
	inTime, seen := 0, 0
	for i := range changes {
		c := &changes[i]
		if c.DetectedAt.Before(from) && c.ReviewedAt != nil {
			continue
		}
		seen++
		who := fmt.Sprintf("%s (%s): %s, detected %s by %s", c.Email, c.Name, c.Describe(), c.DetectedAt.UTC().Format(time.DateOnly), c.Source)
		s := sig(SignalOK, who)
		s.At = c.DetectedAt
		switch {
		case c.ReviewedAt != nil && !c.ReviewedAt.After(c.Due()):
			inTime++
			continue
		case c.ReviewedAt != nil:
			s.Status = SignalWarn
			s.Reason = fmt.Sprintf("%s; access reviewed %s, %d days after (due within %d)", who, c.ReviewedAt.UTC().Format(time.DateOnly),
				int(c.ReviewedAt.Sub(c.DetectedAt).Hours()/24), RoleChangeReviewDays)
		case now.After(c.Due()):
			s.Status = SignalFail
			s.Reason = fmt.Sprintf("%s; no access review recorded, due %s", who, c.Due().UTC().Format(time.DateOnly))
		default:
			s.Status = SignalNeutral
			s.Reason = fmt.Sprintf("%s; access review due by %s", who, c.Due().UTC().Format(time.DateOnly))
		}
		out = append(out, s)
	}
	if inTime > 0 {
		s := sig(SignalOK, fmt.Sprintf("%d of %d role changes since %s followed by an access review within %d days", inTime, seen, from.Format(time.DateOnly), RoleChangeReviewDays))
		s.Operating = true
		out = append(out, s)
	}
	if seen == 0 {
		out = append(out, sig(SignalNeutral, "no role change has happened since "+from.Format(time.DateOnly)+": the control has not had to operate"))
	}
	return out
}

// SkippedPerson is someone a source listed who could not be taken into
// the register: Ref names them as the source does (an employee ID, a
// place in the listing), Field is the field at fault.
type SkippedPerson struct {
	Ref     string `json:"ref"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// PeopleSync is what one sync of a source's people did.
type PeopleSync struct {
	Source      string `json:"source"`
	Listed      int    `json:"listed"`
	Created     int    `json:"created"`
	Updated     int    `json:"updated"`
	Unchanged   int    `json:"unchanged"`
	RoleChanges int    `json:"role_changes"`
	// Baseline counts, on a source's first sync, the people whose title
	// or department it gave differently from the register: taken as the
	// starting point, not as role changes.
	Baseline int             `json:"baseline_differences,omitempty"`
	Skipped  []SkippedPerson `json:"skipped,omitempty"`
	// Unlisted are people this source created, with no end date, that it
	// no longer lists: nothing is recorded for them (dropping off a list
	// is not a termination), but someone should look.
	Unlisted []string `json:"unlisted,omitempty"`
}

// Message is what the run's status says of the sync: what was skipped
// and who is no longer listed; "" when there is nothing to look at.
func (x *PeopleSync) Message() string {
	const most = 5
	list := func(xs []string) string {
		if len(xs) > most {
			return strings.Join(xs[:most], "; ") + fmt.Sprintf("; and %d more", len(xs)-most)
		}
		return strings.Join(xs, "; ")
	}
	var parts []string
	if len(x.Skipped) > 0 {
		var rs []string
		for _, e := range x.Skipped {
			r := e.Ref
			if e.Field != "" {
				r += " " + e.Field
			}
			rs = append(rs, r+": "+e.Message)
		}
		parts = append(parts, fmt.Sprintf("%d people skipped: %s", len(x.Skipped), list(rs)))
	}
	if x.Baseline > 0 {
		parts = append(parts, fmt.Sprintf("first sync: %d people's title or department differed from the register and were taken as the starting point, not as role changes", x.Baseline))
	}
	if len(x.Unlisted) > 0 {
		parts = append(parts, fmt.Sprintf("%d people no longer listed, with no end date (kept as they are): %s", len(x.Unlisted), list(x.Unlisted)))
	}
	return strings.Join(parts, "; ")
}

// MayReview refuses the person whose role changed: nobody reviews their
// own access.
func (c *RoleChange) MayReview(a Actor) error {
	if strings.EqualFold(strings.TrimSpace(a.Name), c.Email) {
		return Errorf(EFORBIDDEN, "%s cannot review the access of their own role change; another admin or owner does", c.Email)
	}
	return nil
}
