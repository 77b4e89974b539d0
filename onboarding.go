package vigil

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Onboarding is computed, never ticked: each item of a new starter's
// checklist is complete only when a record shows it (a background check
// with its report, a passing training completion, acknowledgements, an
// identity system's MFA state, a signed agreement). Where nothing can
// tell (no identity system connected, no course), the item is unknown,
// which is never complete.

// OnboardingKind names a checklist item.
type OnboardingKind string

// The checklist items.
const (
	OnboardBackground      OnboardingKind = "background_check"
	OnboardTraining        OnboardingKind = "security_training"
	OnboardAcks            OnboardingKind = "policy_acknowledgements"
	OnboardMFA             OnboardingKind = "mfa"
	OnboardConfidentiality OnboardingKind = "confidentiality_agreement"
)

// OnboardingKinds are the items in checklist order, with their due days
// after the start date.
var OnboardingKinds = []struct {
	Kind OnboardingKind
	Days int
}{
	{OnboardBackground, DefaultBackgroundDays},
	{OnboardConfidentiality, DefaultConfidentialDays},
	{OnboardMFA, DefaultMFADays},
	{OnboardTraining, DefaultTrainingDays},
	{OnboardAcks, DefaultOnboardAckDays},
}

// OnboardingState is where an item stands.
type OnboardingState string

// The item states. Late is complete, after its due date (an exception
// for the audit); unknown is that nothing can tell.
const (
	OnboardComplete OnboardingState = "complete"
	OnboardLate     OnboardingState = "late"
	OnboardDue      OnboardingState = "due"
	OnboardOverdue  OnboardingState = "overdue"
	OnboardUnknown  OnboardingState = "unknown"
)

// OnboardingItem is one item of one person's checklist.
type OnboardingItem struct {
	PersonID int64           `json:"person_id"`
	Email    string          `json:"email"`
	Kind     OnboardingKind  `json:"kind"`
	Due      Date            `json:"due"` // complete on or before this day
	State    OnboardingState `json:"state"`
	// DoneAt is when the record that completes it was made (the
	// background check's date, the completion, the last acknowledgement).
	DoneAt time.Time `json:"done_at,omitzero"`
	// Record names what completes it ("background check 3 (evidence 12)").
	Record string `json:"record,omitempty"`
	Reason string `json:"reason"`
}

// OnboardingChecklist is one new starter's checklist.
type OnboardingChecklist struct {
	Person Person           `json:"person"`
	Items  []OnboardingItem `json:"items"`
}

// Done reports whether every item is complete (on time or late).
func (c *OnboardingChecklist) Done() bool {
	for _, it := range c.Items {
		if it.State != OnboardComplete && it.State != OnboardLate {
			return false
		}
	}
	return true
}

// MFAAccount is one account of the person in an identity system that
// reports MFA enrolment.
type MFAAccount struct {
	System string `json:"system"`
	// Account is nil when the system lists no account matched to the
	// person.
	Account *Account `json:"account,omitempty"`
}

// OnboardingFacts is what one person's checklist is judged from.
type OnboardingFacts struct {
	Checks     []BackgroundCheck
	Agreements []ConfidentialityAgreement
	// AwarenessCourses counts the security awareness courses (HR-02); 0:
	// nothing can show the training.
	AwarenessCourses int
	// HasUser is whether the person has a Vigil user (completions are
	// kept per user, matched by email).
	HasUser bool
	// Completions are the user's passing completions of awareness courses.
	Completions []Completion
	// Policies are the policies in force at the person's start, and Acks
	// their acknowledgements of any version.
	Policies []AckRequirement
	Acks     []PolicyAck
	// IdentitySystems are the connected identity systems that report MFA
	// (names), and MFA the person's account in each.
	IdentitySystems []string
	MFA             []MFAAccount
}

// endOfDay is when a due date has passed: the start of the next day.
func endOfDay(d Date) time.Time { return d.Time().AddDate(0, 0, 1) }

// judge sets an item's state from when (if ever) its record was made.
func (it *OnboardingItem) judge(done time.Time, now time.Time) {
	it.DoneAt = done
	switch {
	case !done.IsZero() && done.Before(endOfDay(it.Due)):
		it.State = OnboardComplete
	case !done.IsZero():
		it.State = OnboardLate
	case now.Before(endOfDay(it.Due)):
		it.State = OnboardDue
	default:
		it.State = OnboardOverdue
	}
}

// Onboard computes a person's checklist at now. The person must have a
// start date.
func Onboard(p *Person, f *OnboardingFacts, now time.Time) OnboardingChecklist {
	c := OnboardingChecklist{Person: *p}
	start := p.Start.Time()
	for _, k := range OnboardingKinds {
		it := OnboardingItem{PersonID: p.ID, Email: p.Email, Kind: k.Kind, Due: Date(start.AddDate(0, 0, k.Days).Format(time.DateOnly))}
		switch k.Kind {
		case OnboardBackground:
			onboardBackground(&it, f, now)
		case OnboardConfidentiality:
			onboardAgreement(&it, f, now)
		case OnboardMFA:
			onboardMFA(&it, f, now)
		case OnboardTraining:
			onboardTraining(&it, f, now)
		case OnboardAcks:
			onboardAcks(&it, f, now)
		}
		c.Items = append(c.Items, it)
	}
	return c
}

func onboardBackground(it *OnboardingItem, f *OnboardingFacts, now time.Time) {
	// The earliest check counts: one done before the start shows the
	// control operated, whatever was recorded later.
	var first *BackgroundCheck
	for i := range f.Checks {
		if b := &f.Checks[i]; first == nil || b.CompletedOn < first.CompletedOn {
			first = b
		}
	}
	if first == nil {
		it.judge(time.Time{}, now)
		it.Reason = "no background check recorded; due by the start date " + string(it.Due)
		return
	}
	it.judge(first.CompletedOn.Time(), now)
	it.Record = fmt.Sprintf("background check %d by %s, %s (evidence %d)", first.ID, first.Provider, first.Result, first.EvidenceID)
	it.Reason = "completed " + string(first.CompletedOn)
	if it.State == OnboardLate {
		it.Reason += ", after the start date " + string(it.Due)
	}
}

func onboardAgreement(it *OnboardingItem, f *OnboardingFacts, now time.Time) {
	var first *ConfidentialityAgreement
	for i := range f.Agreements {
		if a := &f.Agreements[i]; first == nil || a.SignedAt.Before(first.SignedAt) {
			first = a
		}
	}
	if first == nil {
		it.judge(time.Time{}, now)
		it.Reason = "no signed confidentiality agreement; due by the start date " + string(it.Due)
		return
	}
	it.judge(first.SignedAt, now)
	it.Record = fmt.Sprintf("%s signed (%s)", first.Document, first.Method)
	if first.EvidenceID != 0 {
		it.Record += fmt.Sprintf(", evidence %d", first.EvidenceID)
	}
	it.Reason = "signed " + first.SignedAt.UTC().Format(time.DateOnly)
}

func onboardMFA(it *OnboardingItem, f *OnboardingFacts, now time.Time) {
	if len(f.IdentitySystems) == 0 {
		it.State, it.Reason = OnboardUnknown, "no connected identity system reports MFA enrolment (Okta, Google Workspace)"
		return
	}
	var missing, unread, unmatched, enrolled []string
	var seen time.Time
	for _, sys := range f.IdentitySystems {
		var a *Account
		for i := range f.MFA {
			if f.MFA[i].System == sys && f.MFA[i].Account != nil {
				a = f.MFA[i].Account
			}
		}
		switch {
		case a == nil:
			unmatched = append(unmatched, sys)
		case a.MFA == nil:
			unread = append(unread, sys)
		case !*a.MFA:
			missing = append(missing, sys)
		default:
			enrolled = append(enrolled, sys)
			if a.SeenAt.After(seen) {
				seen = a.SeenAt
			}
		}
	}
	switch {
	case len(missing) > 0:
		// Not enrolled as of the latest collection.
		it.judge(time.Time{}, now)
		it.Reason = "no MFA enrolled in " + strings.Join(missing, ", ")
	case len(unread) > 0:
		it.State, it.Reason = OnboardUnknown, "MFA enrolment could not be read in "+strings.Join(unread, ", ")
	case len(unmatched) > 0:
		it.State, it.Reason = OnboardUnknown, "no account matched to the person in "+strings.Join(unmatched, ", ")+": match it on the accounts page"
	default:
		// Collections show that a person is enrolled, not since when:
		// enrolment seen is complete, dated by the latest collection.
		it.State, it.DoneAt = OnboardComplete, seen
		it.Record = "MFA enrolled in " + strings.Join(enrolled, ", ")
		it.Reason = "as collected " + seen.UTC().Format(time.DateOnly)
	}
}

func onboardTraining(it *OnboardingItem, f *OnboardingFacts, now time.Time) {
	switch {
	case f.AwarenessCourses == 0:
		it.State, it.Reason = OnboardUnknown, "no security awareness course: add one on the training page"
		return
	case !f.HasUser:
		it.judge(time.Time{}, now)
		it.Reason = "no Vigil user with the person's email: training completions are kept per user"
		return
	}
	var first *Completion
	for i := range f.Completions {
		if x := &f.Completions[i]; x.Passed && (first == nil || x.CompletedAt.Before(first.CompletedAt)) {
			first = x
		}
	}
	if first == nil {
		it.judge(time.Time{}, now)
		it.Reason = "no passing completion of a security awareness course"
		return
	}
	it.judge(first.CompletedAt, now)
	it.Record = fmt.Sprintf("completion %d (%s", first.ID, first.Source)
	if first.Score > 0 {
		it.Record += fmt.Sprintf(", %d%%", first.Score)
	}
	it.Record += ")"
	it.Reason = "completed " + first.CompletedAt.UTC().Format(time.DateOnly)
}

func onboardAcks(it *OnboardingItem, f *OnboardingFacts, now time.Time) {
	if len(f.Policies) == 0 {
		it.State, it.Reason = OnboardUnknown, "no policy was in force at the start date: nothing to acknowledge yet"
		return
	}
	// Each policy's first acknowledgement by the person, of any version:
	// the item is done when the last of them is.
	var done time.Time
	var pending []string
	for _, r := range f.Policies {
		var first time.Time
		for _, a := range f.Acks {
			if a.PolicyID == r.PolicyID && (first.IsZero() || a.At.Before(first)) {
				first = a.At
			}
		}
		if first.IsZero() {
			pending = append(pending, r.Key)
			continue
		}
		if first.After(done) {
			done = first
		}
	}
	if len(pending) > 0 {
		it.judge(time.Time{}, now)
		it.Reason = fmt.Sprintf("%d of %d policies not acknowledged: %s", len(pending), len(f.Policies), nameList(pending))
		return
	}
	it.judge(done, now)
	it.Record = fmt.Sprintf("%d policies acknowledged", len(f.Policies))
	it.Reason = "last acknowledged " + done.UTC().Format(time.DateOnly)
}

// OnboardingFrom is the start of the period onboarding is judged over:
// the Type II window's start when one is set and begun, otherwise
// lookback before now.
func OnboardingFrom(sc *Scope, now time.Time, lookback time.Duration) time.Time {
	if sc != nil && sc.WindowStart != "" && sc.WindowStart.Time().Before(now) {
		return sc.WindowStart.Time()
	}
	return now.Add(-lookback)
}

// Starters are the in-scope people whose start date is on or after from
// (those yet to start included: their checklist is under way).
func Starters(people []Person, from time.Time) []Person {
	var out []Person
	for _, p := range people {
		if p.InScope && p.Start != "" && !p.Start.Time().Before(from.Truncate(24*time.Hour)) {
			out = append(out, p)
		}
	}
	return out
}

func hrSig(ctl string, st SignalStatus, reason string) Signal {
	return Signal{ControlID: ctl, Source: "hr", Status: st, Reason: reason}
}

// BackgroundSignals says whether everyone who started since from had a
// background check completed on or before their start date: missing
// after the start fails, named; completed late warns (an exception); a
// start still to come is neutral. No register is unknown; nobody started
// is neutral (the control has not had to operate).
func BackgroundSignals(lists []OnboardingChecklist, people int, from, now time.Time) []Signal {
	ctl := BackgroundCheckControl
	if people == 0 {
		return []Signal{hrSig(ctl, SignalUnknown, "no personnel register: import people to know who started and when")}
	}
	var missing, late, waiting []string
	ok := 0
	for _, c := range lists {
		if !c.Person.Start.Time().Before(endOfDay(Date(now.UTC().Format(time.DateOnly)))) {
			waiting = append(waiting, c.Person.Email)
			continue
		}
		for _, it := range c.Items {
			if it.Kind != OnboardBackground {
				continue
			}
			switch it.State {
			case OnboardComplete:
				ok++
			case OnboardLate:
				late = append(late, c.Person.Email+" ("+it.Reason+")")
			case OnboardOverdue, OnboardDue:
				missing = append(missing, c.Person.Email)
			}
		}
	}
	var out []Signal
	since := from.UTC().Format(time.DateOnly)
	if len(missing) > 0 {
		out = append(out, hrSig(ctl, SignalFail, fmt.Sprintf("%d people who started since %s have no background check on record: %s", len(missing), since, nameList(missing))))
	}
	if len(late) > 0 {
		s := hrSig(ctl, SignalWarn, fmt.Sprintf("%d background checks completed after the start date: %s", len(late), nameList(late)))
		s.Operating = true
		out = append(out, s)
	}
	if ok > 0 {
		s := hrSig(ctl, SignalOK, fmt.Sprintf("%d people who started since %s had a background check completed on or before their start date", ok, since))
		s.Operating = true
		out = append(out, s)
	}
	if len(out) == 0 {
		reason := "nobody in scope has started since " + since + ": background checks have not had to operate"
		if len(waiting) > 0 {
			reason = fmt.Sprintf("%d people start soon; nobody in scope has started since %s", len(waiting), since)
		}
		out = append(out, hrSig(ctl, SignalNeutral, reason))
	}
	return out
}

// ConfidentialitySignals says whether everyone in scope and working here
// has signed a confidentiality agreement (agreements(personID)), due by
// their start date (at once for a person with none known). designated
// says whether any way to sign exists: an agreement policy designated,
// or any signed document recorded; without one it is unknown.
func ConfidentialitySignals(people []Person, agreements func(int64) []ConfidentialityAgreement, designated bool, now time.Time) []Signal {
	ctl := ConfidentialityControl
	scope := InScopeAt(people, now)
	switch {
	case len(people) == 0:
		return []Signal{hrSig(ctl, SignalUnknown, "no personnel register: import people to know who must sign")}
	case len(scope) == 0:
		return []Signal{hrSig(ctl, SignalUnknown, "nobody in the personnel register is in scope and working here")}
	case !designated:
		return []Signal{hrSig(ctl, SignalUnknown, "no confidentiality agreement is designated and no signed agreement is recorded")}
	}
	var missing, due []string
	signed := 0
	for _, p := range scope {
		switch {
		case len(agreements(p.ID)) > 0:
			signed++
		case p.Start != "" && now.Before(endOfDay(p.Start)):
			// Their first day: due by its end.
			due = append(due, p.Email)
		default:
			missing = append(missing, p.Email)
		}
	}
	switch {
	case len(missing) > 0:
		return []Signal{hrSig(ctl, SignalFail, fmt.Sprintf("%d of %d people in scope have not signed the confidentiality agreement: %s", len(missing), len(scope), nameList(missing)))}
	case signed == 0:
		return []Signal{hrSig(ctl, SignalNeutral, fmt.Sprintf("%d people start today and have yet to sign the confidentiality agreement", len(due)))}
	}
	s := hrSig(ctl, SignalOK, fmt.Sprintf("all %d people in scope have signed a confidentiality agreement", signed))
	if len(due) > 0 {
		s.Reason = fmt.Sprintf("%d of %d people in scope have signed a confidentiality agreement; %d start today: %s", signed, len(scope), len(due), nameList(due))
	}
	s.Operating = true
	return []Signal{s}
}

// OnboardingSignals says whether every starter's checklist was completed
// on time: an overdue item fails, named; an unknown item is unknown
// (never complete); a late item warns; items still due are neutral.
func OnboardingSignals(lists []OnboardingChecklist, people int, from time.Time, now time.Time) []Signal {
	ctl := OnboardingControl
	if people == 0 {
		return []Signal{hrSig(ctl, SignalUnknown, "no personnel register: import people to know who started and when")}
	}
	since := from.UTC().Format(time.DateOnly)
	if len(lists) == 0 {
		return []Signal{hrSig(ctl, SignalNeutral, "nobody in scope has started since "+since+": onboarding has not had to operate")}
	}
	group := map[OnboardingState][]string{}
	complete := 0
	for _, c := range lists {
		worst := OnboardComplete
		var what []string
		for _, it := range c.Items {
			if it.State != OnboardComplete {
				what = append(what, string(it.Kind)+" "+string(it.State))
			}
			if onboardRank(it.State) > onboardRank(worst) {
				worst = it.State
			}
		}
		if worst == OnboardComplete {
			complete++
			continue
		}
		group[worst] = append(group[worst], c.Person.Email+" ("+strings.Join(what, ", ")+")")
	}
	var out []Signal
	add := func(st SignalStatus, state OnboardingState, format string) {
		if xs := group[state]; len(xs) > 0 {
			out = append(out, hrSig(ctl, st, fmt.Sprintf(format, len(xs), nameList(xs))))
		}
	}
	add(SignalFail, OnboardOverdue, "%d onboarding checklists have overdue items: %s")
	add(SignalUnknown, OnboardUnknown, "%d onboarding checklists have items nothing can show: %s")
	add(SignalWarn, OnboardLate, "%d onboarding checklists were completed late: %s")
	add(SignalNeutral, OnboardDue, "%d onboarding checklists are under way: %s")
	if complete > 0 {
		s := hrSig(ctl, SignalOK, fmt.Sprintf("%d of %d people who started since %s completed onboarding on time", complete, len(lists), since))
		s.Operating = true
		out = append(out, s)
	}
	return out
}

// onboardRank orders states for a checklist's worst item.
func onboardRank(s OnboardingState) int {
	return slices.Index([]OnboardingState{OnboardComplete, OnboardDue, OnboardLate, OnboardUnknown, OnboardOverdue}, s)
}

// PerformanceSignals says whether each person in scope employed longer
// than a review cycle has a review completed in the last cycle
// (reviews(personID)): missing fails, named. No register is unknown;
// nobody employed that long is neutral.
func PerformanceSignals(people []Person, reviews func(int64) []PerformanceReview, now time.Time) []Signal {
	ctl := PerformanceControl
	if len(people) == 0 {
		return []Signal{hrSig(ctl, SignalUnknown, "no personnel register: import people to know who is due a review")}
	}
	cycle := now.AddDate(0, -PerformanceCycleMonths, 0)
	var missing []string
	done, due := 0, 0
	for _, p := range InScopeAt(people, now) {
		// Someone with no start date known has been here for as long as
		// the register can tell: they are due.
		if p.Start != "" && p.Start.Time().After(cycle) {
			continue
		}
		due++
		ok := false
		for _, r := range reviews(p.ID) {
			ok = ok || !r.CompletedOn.Time().Before(cycle.Truncate(24*time.Hour))
		}
		if ok {
			done++
		} else {
			missing = append(missing, p.Email)
		}
	}
	switch {
	case due == 0:
		return []Signal{hrSig(ctl, SignalNeutral, "nobody in scope has been here for a full review cycle")}
	case len(missing) > 0:
		return []Signal{hrSig(ctl, SignalFail, fmt.Sprintf("%d of %d people in scope have no performance review in the last %d months: %s", len(missing), due, PerformanceCycleMonths, nameList(missing)))}
	}
	s := hrSig(ctl, SignalOK, fmt.Sprintf("all %d people in scope due a review had one in the last %d months", done, PerformanceCycleMonths))
	s.Operating = true
	return []Signal{s}
}
