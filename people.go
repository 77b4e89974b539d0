package vigil

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
)

// EmploymentType is how a person works for the organization.
type EmploymentType string

// The employment types.
const (
	Employee   EmploymentType = "employee"
	Contractor EmploymentType = "contractor"
)

// Limits on the personnel register.
const (
	MaxPeople       = 100_000
	MaxPersonField  = 200
	MaxPersonAlias  = 10
	MaxPeopleCSV    = 32 << 20
	DefaultAckDays  = 30
	PrivilegedHours = 24
	OtherHours      = 72
)

// Person is someone who works for the organization, from the register.
// Email is the key: it is how a person is matched to their Vigil user and
// to their accounts in connected systems.
type Person struct {
	ID           int64          `json:"id"`
	Email        string         `json:"email"`
	Name         string         `json:"name"`
	Title        string         `json:"title,omitempty"`
	Department   string         `json:"department,omitempty"`
	ManagerEmail string         `json:"manager_email,omitempty"`
	Location     string         `json:"location,omitempty"`
	Type         EmploymentType `json:"employment_type"`
	Start        Date           `json:"start_date,omitempty"`
	End          Date           `json:"end_date,omitempty"`
	InScope      bool           `json:"in_scope"`
	// Aliases are other emails or user names the person's accounts use.
	Aliases   []string  `json:"aliases"`
	Source    string    `json:"source"` // csv, manual
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate normalizes and checks a person. field prefixes the names of
// fields at fault (a CSV import names the column).
func (p *Person) Validate() error {
	p.Email = strings.ToLower(strings.TrimSpace(p.Email))
	p.Name = strings.TrimSpace(p.Name)
	p.ManagerEmail = strings.ToLower(strings.TrimSpace(p.ManagerEmail))
	if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email || len(p.Email) > 254 {
		return FieldError("email", "%q is not a valid email address", p.Email)
	}
	if p.Name == "" {
		return FieldError("name", "name is required")
	}
	for f, v := range map[string]*string{"name": &p.Name, "title": &p.Title, "department": &p.Department, "location": &p.Location} {
		*v = strings.TrimSpace(*v)
		if len(*v) > MaxPersonField {
			return FieldError(f, "%s is longer than %d characters", f, MaxPersonField)
		}
	}
	if p.ManagerEmail != "" {
		if a, err := mail.ParseAddress(p.ManagerEmail); err != nil || a.Address != p.ManagerEmail {
			return FieldError("manager_email", "%q is not a valid email address", p.ManagerEmail)
		}
		if p.ManagerEmail == p.Email {
			return FieldError("manager_email", "%s cannot be their own manager", p.Email)
		}
	}
	switch p.Type {
	case "":
		p.Type = Employee
	case Employee, Contractor:
	default:
		return FieldError("employment_type", "unknown employment type %q (want employee or contractor)", p.Type)
	}
	for f, d := range map[string]Date{"start_date": p.Start, "end_date": p.End} {
		if d != "" {
			if _, err := ParseDate(f, string(d)); err != nil {
				return err
			}
		}
	}
	if p.Start != "" && p.End != "" && p.End < p.Start {
		return FieldError("end_date", "end date %s is before start date %s", p.End, p.Start)
	}
	if len(p.Aliases) > MaxPersonAlias {
		return FieldError("aliases", "at most %d aliases", MaxPersonAlias)
	}
	for i, a := range p.Aliases {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == "" || len(a) > 254 || strings.ContainsAny(a, " \t\r\n,;") {
			return FieldError("aliases", "alias %q is not an email or user name", p.Aliases[i])
		}
		p.Aliases[i] = a
	}
	slices.Sort(p.Aliases)
	p.Aliases = slices.Compact(p.Aliases)
	if p.Aliases == nil {
		p.Aliases = []string{}
	}
	return nil
}

// Departure is when a person left: the start of the day after their end
// date (the end date is their last working day), or zero while they stay.
func (p *Person) Departure() time.Time {
	if p.End == "" {
		return time.Time{}
	}
	return p.End.Time().AddDate(0, 0, 1)
}

// Active reports whether the person works here at t: started (or no start
// known) and not yet departed.
func (p *Person) Active(t time.Time) bool {
	if p.Start != "" && t.Before(p.Start.Time()) {
		return false
	}
	return p.End == "" || t.Before(p.Departure())
}

// Same reports whether two records hold the same facts (an import that
// changes nothing writes nothing).
func (p *Person) Same(o *Person) bool {
	return p.Email == o.Email && p.Name == o.Name && p.Title == o.Title && p.Department == o.Department &&
		p.ManagerEmail == o.ManagerEmail && p.Location == o.Location && p.Type == o.Type && p.Start == o.Start &&
		p.End == o.End && p.InScope == o.InScope && slices.Equal(p.Aliases, o.Aliases)
}

// AccountState is what a connected system says of an account.
type AccountState string

// The account states. Unknown is an account whose state the system did
// not let Vigil read: it is never taken as disabled.
const (
	AccountActive   AccountState = "active"
	AccountDisabled AccountState = "disabled"
	AccountUnknown  AccountState = "unknown"
)

// Account is an account in a connected system, as its latest collection
// listed it (or last listed it: Present is false once it is gone).
type Account struct {
	IntegrationID int64        `json:"integration_id"`
	System        string       `json:"system"` // the integration's name
	Kind          string       `json:"kind"`
	ExternalID    string       `json:"external_id"` // DN, login, primary email
	Username      string       `json:"username,omitempty"`
	Email         string       `json:"email,omitempty"`
	State         AccountState `json:"state"`
	StateReason   string       `json:"state_reason,omitempty"`
	Privileged    bool         `json:"privileged"`
	// MFA is whether the system reports a second factor enrolled (nil:
	// it does not say, or could not read it).
	MFA *bool `json:"mfa,omitempty"`
	// Present is whether the latest collection listed the account; a
	// removed account stays known, with when it was first seen gone.
	Present bool `json:"present"`
	// LastActiveSeen is the latest collection that saw it active;
	// InactiveSince the first collection that saw it disabled or gone
	// since then. Between the two, it was disabled at a time unknown.
	LastActiveSeen *time.Time `json:"last_active_seen,omitempty"`
	InactiveSince  *time.Time `json:"inactive_since,omitempty"`
	SeenAt         time.Time  `json:"seen_at"`
	// PersonID is the person it is matched to (0: none), and how.
	PersonID  int64  `json:"person_id,omitempty"`
	MatchedBy string `json:"matched_by,omitempty"` // email, alias, username, manual
}

// AccountKey names an account across collections.
type AccountKey struct {
	IntegrationID int64  `json:"integration_id"`
	ExternalID    string `json:"external_id"`
}

// AccountLink is a manual match of an account to a person (PersonID 0:
// the account is no one's, e.g. a service account, and is not matched).
type AccountLink struct {
	AccountKey
	PersonID int64     `json:"person_id"`
	By       string    `json:"by,omitempty"`
	At       time.Time `json:"at"`
}

// MatchAccounts sets each account's PersonID and MatchedBy: a manual link
// first, then the account's email or user name equal to a person's email
// or alias, then its user name equal to the part of a person's email
// before the @. A name that fits two people matches neither (it is left
// for a manual link), since a wrong match would clear someone's leaver.
func MatchAccounts(people []Person, accounts []Account, links []AccountLink) {
	manual := map[AccountKey]int64{}
	for _, l := range links {
		manual[l.AccountKey] = l.PersonID
	}
	exact := map[string][]int64{} // emails and aliases
	local := map[string][]int64{} // email local parts
	for i := range people {
		p := &people[i]
		exact[p.Email] = append(exact[p.Email], p.ID)
		for _, a := range p.Aliases {
			if !slices.Contains(exact[a], p.ID) {
				exact[a] = append(exact[a], p.ID)
			}
		}
		if at := strings.IndexByte(p.Email, '@'); at > 0 {
			local[p.Email[:at]] = append(local[p.Email[:at]], p.ID)
		}
	}
	one := func(ids []int64) int64 {
		if len(ids) == 1 {
			return ids[0]
		}
		return 0
	}
	for i := range accounts {
		a := &accounts[i]
		a.PersonID, a.MatchedBy = 0, ""
		if id, ok := manual[AccountKey{a.IntegrationID, a.ExternalID}]; ok {
			if id != 0 {
				a.PersonID, a.MatchedBy = id, "manual"
			}
			continue
		}
		email, user := strings.ToLower(a.Email), strings.ToLower(a.Username)
		if email == "" && strings.Contains(a.ExternalID, "@") {
			email = strings.ToLower(a.ExternalID)
		}
		switch {
		case email != "" && one(exact[email]) != 0:
			a.PersonID, a.MatchedBy = one(exact[email]), "email"
		case user != "" && one(exact[user]) != 0:
			a.PersonID, a.MatchedBy = one(exact[user]), "alias"
		case user != "" && one(local[user]) != 0:
			a.PersonID, a.MatchedBy = one(local[user]), "username"
		}
	}
}

// OffboardingStatus is where the removal of one leaver's account stands.
type OffboardingStatus string

// The offboarding statuses. Only "removed" and "removed_before" show the
// control operating; "late" and "overdue" are exceptions; "unverified"
// is unknown: no collection since the departure has shown the account.
const (
	OffboardRemovedBefore OffboardingStatus = "removed_before" // disabled before the person left
	OffboardRemoved       OffboardingStatus = "removed"        // within the deadline
	OffboardPending       OffboardingStatus = "pending"        // active, deadline not passed
	OffboardUnverified    OffboardingStatus = "unverified"     // no collection since departure, or state unreadable
	OffboardLate          OffboardingStatus = "late"           // removed after the deadline
	OffboardUnclear       OffboardingStatus = "unclear"        // removed between two collections around the deadline
	OffboardOverdue       OffboardingStatus = "overdue"        // still active after the deadline
)

// OffboardingItem is one account of one leaver and whether it was taken
// away in time.
type OffboardingItem struct {
	PersonID   int64             `json:"person_id"`
	Email      string            `json:"email"`
	Name       string            `json:"name"`
	Departure  time.Time         `json:"departure"`
	Deadline   time.Time         `json:"deadline"`
	Account    Account           `json:"account"`
	Status     OffboardingStatus `json:"status"`
	Reason     string            `json:"reason"`
	DelayHours float64           `json:"delay_hours,omitempty"` // late or overdue: past the departure
}

// Exception reports whether the item is an exception for the audit.
func (o *OffboardingItem) Exception() bool {
	return o.Status == OffboardLate || o.Status == OffboardOverdue || o.Status == OffboardUnclear
}

// Offboard judges one leaver's account. collected is the time of the
// integration's latest successful collection. Removal is proven only by a
// collection after the departure that no longer shows the account active;
// when it was removed is bounded by the last collection that saw it
// active and the first that did not, so "on time" needs the first within
// the deadline and "late" the last after it.
func Offboard(p *Person, a *Account, collected, now time.Time) OffboardingItem {
	dep := p.Departure()
	hours := OtherHours
	if a.Privileged {
		hours = PrivilegedHours
	}
	it := OffboardingItem{PersonID: p.ID, Email: p.Email, Name: p.Name, Departure: dep, Deadline: dep.Add(time.Duration(hours) * time.Hour), Account: *a}
	where := fmt.Sprintf("%s account %s in %s", privWord(a.Privileged), a.ExternalID, a.System)
	since := func(t time.Time) float64 { return float64(int(t.Sub(dep).Hours()*10)) / 10 }
	gone := !a.Present || a.State == AccountDisabled
	switch {
	case a.State == AccountUnknown && a.Present:
		it.Status, it.Reason = OffboardUnverified, fmt.Sprintf("%s: its state cannot be read (%s)", where, a.StateReason)
	case gone && a.InactiveSince != nil && !a.InactiveSince.After(dep):
		it.Status, it.Reason = OffboardRemovedBefore, fmt.Sprintf("%s was already disabled or removed when %s left", where, p.Email)
	case gone && a.InactiveSince != nil && !a.InactiveSince.After(it.Deadline):
		it.Status, it.Reason = OffboardRemoved, fmt.Sprintf("%s disabled or removed by %s, within %d hours of the departure", where, a.InactiveSince.UTC().Format(time.RFC3339), hours)
	case gone && a.InactiveSince != nil && a.LastActiveSeen != nil && a.LastActiveSeen.After(it.Deadline):
		it.Status, it.DelayHours = OffboardLate, since(*a.InactiveSince)
		it.Reason = fmt.Sprintf("%s was still active at %s, past its %d-hour deadline; first seen disabled or removed %s (%.1f hours after %s left)",
			where, a.LastActiveSeen.UTC().Format(time.RFC3339), hours, a.InactiveSince.UTC().Format(time.RFC3339), it.DelayHours, p.Email)
	case gone && a.InactiveSince != nil:
		it.Status, it.DelayHours = OffboardUnclear, since(*a.InactiveSince)
		before := "no earlier collection listed it"
		if a.LastActiveSeen != nil {
			before = "the last collection that saw it active ran " + a.LastActiveSeen.UTC().Format(time.RFC3339)
		}
		it.Reason = fmt.Sprintf("%s was first seen disabled or removed %s, after its %d-hour deadline, and %s: it cannot be shown removed on time", where, a.InactiveSince.UTC().Format(time.RFC3339), hours, before)
	case gone:
		// Disabled or gone with no record of when: the account list before
		// any tracking. Its removal is not shown by a dated collection.
		it.Status, it.Reason = OffboardUnverified, where+" is disabled, but no collection dates its removal"
	case collected.Before(dep):
		it.Status, it.Reason = OffboardUnverified, fmt.Sprintf("%s: no collection of %s since %s left (last %s)", where, a.System, p.Email, collected.UTC().Format(time.RFC3339))
		if now.After(it.Deadline) {
			it.Reason += "; the deadline has passed"
		}
	case !collected.After(it.Deadline):
		it.Status, it.Reason = OffboardPending, fmt.Sprintf("%s is still active; due by %s", where, it.Deadline.UTC().Format(time.RFC3339))
	default:
		it.Status, it.DelayHours = OffboardOverdue, since(collected)
		it.Reason = fmt.Sprintf("%s is still active %.1f hours after %s left (deadline %d hours), as collected %s", where, it.DelayHours, p.Email, hours, collected.UTC().Format(time.RFC3339))
	}
	return it
}

func privWord(p bool) string {
	if p {
		return "privileged"
	}
	return "the"
}

// OffboardingControl is the library control offboarding shows operating.
const OffboardingControl = "HR-07"

// OffboardingSignals turns the items of leavers since from into signals
// for HR-07. With no source of accounts, or no register, it is unknown:
// nothing says who left or what they held. With no leaver since from, it
// is neutral: the control has not had to operate. A leaver with no
// account matched (unmatched) warns: they may hold accounts under other
// names, which a person has to look for.
func OffboardingSignals(items []OffboardingItem, unmatched []Person, people, sources int, from time.Time) []Signal {
	sig := func(st SignalStatus, reason string) Signal {
		return Signal{ControlID: OffboardingControl, Source: "people", Status: st, Reason: reason}
	}
	switch {
	case people == 0:
		return []Signal{sig(SignalUnknown, "no personnel register: import people to show who left and when")}
	case sources == 0:
		return []Signal{sig(SignalUnknown, "no connected system lists accounts (LDAP, Okta, Google Workspace): removal of leavers' access cannot be verified")}
	}
	var out []Signal
	leavers, removed := map[int64]bool{}, 0
	for _, it := range items {
		if it.Departure.Before(from) {
			continue
		}
		leavers[it.PersonID] = true
		s := sig(SignalOK, it.Reason)
		s.At = it.Departure
		switch it.Status {
		case OffboardRemoved, OffboardRemovedBefore:
			removed++
			continue
		case OffboardPending:
			s.Status = SignalWarn
		case OffboardUnverified:
			s.Status = SignalUnknown
		case OffboardLate, OffboardUnclear:
			s.Status = SignalWarn
		case OffboardOverdue:
			s.Status = SignalFail
		}
		out = append(out, s)
	}
	for i := range unmatched {
		p := &unmatched[i]
		if p.Departure().Before(from) {
			continue
		}
		leavers[p.ID] = true
		s := sig(SignalWarn, fmt.Sprintf("%s left on %s and no account in a connected system is matched to them: check for accounts under another name and link them", p.Email, p.End))
		s.At = p.Departure()
		out = append(out, s)
	}
	if removed > 0 {
		s := sig(SignalOK, fmt.Sprintf("%d accounts of %d leavers since %s removed within their deadline, verified by collection", removed, len(leavers), from.Format(time.DateOnly)))
		s.Operating = true
		out = append(out, s)
	}
	if len(leavers) == 0 {
		s := sig(SignalNeutral, "nobody has left since "+from.Format(time.DateOnly)+": offboarding has not had to operate")
		out = append(out, s)
	}
	return out
}
