package vigil

import (
	"fmt"
	"strings"
	"time"
)

// ReminderKind names what a reminder is about.
type ReminderKind string

// The reminder kinds.
const (
	// ReminderAcks is one person's digest of the policies they have yet
	// to acknowledge.
	ReminderAcks ReminderKind = "policy_acks"
)

// ReminderState is where the sending of one reminder stands.
type ReminderState string

// The reminder states. A reminder is claimed (sending) before its mail
// goes out, so two senders never both send it; one left sending by a
// crash counts as not sent.
const (
	ReminderSending ReminderState = "sending"
	ReminderSent    ReminderState = "sent"
	ReminderFailed  ReminderState = "failed"
)

// Reminder is one mail sent, or tried, to one person.
type Reminder struct {
	ID    int64         `json:"id"`
	Kind  ReminderKind  `json:"kind"`
	Email string        `json:"email"`
	At    time.Time     `json:"at"`
	State ReminderState `json:"state"`
	Error string        `json:"error,omitempty"`
	// Items names what it reminded of (policy keys with their versions).
	Items []string `json:"items"`
	By    int64    `json:"by,omitempty"` // the user who asked; 0: the schedule
}

// LastReminders is what the sender needs of a person's reminders: the
// newest of any state (the next claims to follow it) and the newest sent.
type LastReminders struct {
	Newest *Reminder
	Sent   *Reminder
}

// Reminder cadence. A person with acknowledgements pending hears from
// Vigil at most once every DefaultReminderEvery on its own schedule; a
// manager asking by hand reaches people reminded more than
// ManualReminderGap ago, so repeated clicks do not flood anyone.
const (
	DefaultReminderEvery = 7 * 24 * time.Hour
	ManualReminderGap    = 24 * time.Hour
	// ReminderInFlight is how long a claimed reminder may take to send
	// (well over the mail client's timeout) before it counts as cut short.
	ReminderInFlight = 10 * time.Minute
)

// AckReminder is one person's digest: every policy they have still to
// acknowledge.
type AckReminder struct {
	Email    string      `json:"email"`
	Name     string      `json:"name"`
	Policies []PolicyDue `json:"policies"`
	// After is the person's newest reminder (0: none), which this one
	// follows.
	After int64 `json:"-"`
}

// Items names the digest's policies, for the reminder's record.
func (r *AckReminder) Items() []string {
	out := make([]string, len(r.Policies))
	for i, p := range r.Policies {
		out[i] = fmt.Sprintf("%s v%d", p.Key, p.Current)
	}
	return out
}

// AckRemindersDue lists who is to be reminded now: everyone in scope with
// a policy to acknowledge (when policyID is not 0, only those with that
// policy pending), whose last sent reminder is older than gap and who is
// not being reminded by another sender right now. A failed or interrupted
// reminder does not count as sent, so the next run tries again.
// latest(policy, email) is a person's newest acknowledgement.
func AckRemindersDue(reqs []AckRequirement, people []Person, latest func(int64, string) *PolicyAck, last map[string]LastReminders, policyID int64, gap time.Duration, now time.Time) []AckReminder {
	var out []AckReminder
	for _, p := range InScopeAt(people, now) {
		l := last[p.Email]
		if l.Sent != nil && now.Sub(l.Sent.At) < gap {
			continue
		}
		// Another sender is sending it now (its claim is what we read);
		// one claimed longer ago than a send can take was cut short and
		// counts as not sent.
		if l.Newest != nil && l.Newest.State == ReminderSending && now.Sub(l.Newest.At) < ReminderInFlight {
			continue
		}
		r := AckReminder{Email: p.Email, Name: p.Name}
		wanted := policyID == 0
		for i := range reqs {
			st := AckStatusOf(&reqs[i], &p, latest(reqs[i].PolicyID, p.Email), now)
			if st.State == AckDone {
				continue
			}
			r.Policies = append(r.Policies, PolicyDue{AckRequirement: reqs[i], State: st.State, Due: st.Due, Acked: st.Acked})
			if reqs[i].PolicyID == policyID {
				wanted = true
			}
		}
		if len(r.Policies) == 0 || !wanted {
			continue
		}
		if l.Newest != nil {
			r.After = l.Newest.ID
		}
		out = append(out, r)
	}
	return out
}

// ReminderRun is what one round of reminders did.
type ReminderRun struct {
	Sent    int      `json:"sent"`
	Failed  int      `json:"failed"`
	Skipped int      `json:"skipped"` // claimed by another sender meanwhile
	Errors  []string `json:"errors,omitempty"`
}

// Summary says in a sentence what the round did.
func (r *ReminderRun) Summary() string {
	if r.Sent == 0 && r.Failed == 0 {
		return "Nobody to remind: nobody has it pending, or everyone who has was reminded in the last day."
	}
	msg := fmt.Sprintf("Sent %d %s.", r.Sent, Plural(r.Sent, "reminder", "reminders"))
	if r.Failed > 0 {
		msg += fmt.Sprintf(" %d could not be sent: %s", r.Failed, strings.Join(r.Errors, "; "))
	}
	return msg
}

// Plural picks the word for n things.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
