package vigil

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// PolicyAck is one person's acknowledgement of one published version: who,
// when, and the SHA-256 of the exact text they were shown.
type PolicyAck struct {
	PolicyID int64     `json:"policy_id"`
	Number   int       `json:"version"`
	Email    string    `json:"email"`
	UserID   int64     `json:"user_id"`
	At       time.Time `json:"at"`
	SHA256   string    `json:"sha256"`
}

// AckRequirement is what a policy in force asks of everyone in scope: to
// have acknowledged at least version Number, published at Since. It is
// the newest published version marked material (a version the publisher
// did not mark material does not ask again), or the first publication.
type AckRequirement struct {
	PolicyID int64     `json:"policy_id"`
	Key      string    `json:"key"`
	Title    string    `json:"title"`
	Number   int       `json:"version"`   // the oldest version that satisfies it
	Current  int       `json:"current"`   // the version in force, the one to show
	SHA256   string    `json:"sha256"`    // of the version in force
	Since    time.Time `json:"published"` // when Number was published
}

// AckState is one person's standing with one policy.
type AckState string

// The acknowledgement states.
const (
	AckDone    AckState = "acknowledged"
	AckDue     AckState = "due"
	AckOverdue AckState = "overdue"
)

// AckStatus is one person's standing with one policy: the latest version
// they acknowledged (0: none) and the due date of the one required.
type AckStatus struct {
	PolicyID int64     `json:"policy_id"`
	Email    string    `json:"email"`
	State    AckState  `json:"state"`
	Acked    int       `json:"acknowledged_version,omitempty"`
	AckedAt  time.Time `json:"acknowledged_at,omitzero"`
	Due      time.Time `json:"due"`
}

// AckDueAt is when a person must have acknowledged a requirement: DefaultAckDays
// after its publication or after they started, whichever is later.
func AckDueAt(r *AckRequirement, p *Person) time.Time {
	from := r.Since
	if p.Start != "" && p.Start.Time().After(from) {
		from = p.Start.Time()
	}
	return from.AddDate(0, 0, DefaultAckDays)
}

// AckStatusOf judges one person against one requirement. latest is the
// newest acknowledgement they made of this policy, or nil.
func AckStatusOf(r *AckRequirement, p *Person, latest *PolicyAck, now time.Time) AckStatus {
	s := AckStatus{PolicyID: r.PolicyID, Email: p.Email, Due: AckDueAt(r, p)}
	if latest != nil {
		s.Acked, s.AckedAt = latest.Number, latest.At
	}
	switch {
	case latest != nil && latest.Number >= r.Number:
		s.State = AckDone
	case now.After(s.Due):
		s.State = AckOverdue
	default:
		s.State = AckDue
	}
	return s
}

// InScopeAt lists the people who must acknowledge policies at t: in scope
// and working here.
func InScopeAt(people []Person, t time.Time) []Person {
	var out []Person
	for _, p := range people {
		if p.InScope && p.Active(t) {
			out = append(out, p)
		}
	}
	return out
}

// AckControl is the library control acknowledgements show operating.
const AckControl = "GV-02"

// AckSignals says, per policy in force, whether everyone in scope has
// acknowledged it. latest(policy, email) is a person's newest
// acknowledgement. Nobody in scope, or no published policy, is unknown.
func AckSignals(reqs []AckRequirement, people []Person, latest func(int64, string) *PolicyAck, now time.Time) []Signal {
	sig := func(st SignalStatus, reason string) Signal {
		return Signal{ControlID: AckControl, Source: "acknowledgements", Status: st, Reason: reason}
	}
	scope := InScopeAt(people, now)
	switch {
	case len(people) == 0:
		return []Signal{sig(SignalUnknown, "no personnel register: import people to know who must acknowledge the policies")}
	case len(scope) == 0:
		return []Signal{sig(SignalUnknown, "nobody in the personnel register is in scope and working here")}
	case len(reqs) == 0:
		return []Signal{sig(SignalUnknown, "no policy is published: nothing has been acknowledged")}
	}
	var out []Signal
	for i := range reqs {
		r := &reqs[i]
		var overdue, due []string
		done := 0
		for j := range scope {
			switch st := AckStatusOf(r, &scope[j], latest(r.PolicyID, scope[j].Email), now); st.State {
			case AckDone:
				done++
			case AckDue:
				due = append(due, scope[j].Email)
			case AckOverdue:
				overdue = append(overdue, scope[j].Email)
			}
		}
		name := r.Key + " " + r.Title
		s := sig(SignalOK, fmt.Sprintf("%s version %d: acknowledged by all %d people in scope", name, r.Number, len(scope)))
		switch {
		case len(overdue) > 0:
			s.Status, s.Reason = SignalFail, fmt.Sprintf("%s version %d: %d of %d people in scope have not acknowledged it in %d days: %s",
				name, r.Number, len(overdue), len(scope), DefaultAckDays, nameList(overdue))
		case len(due) > 0 && done == 0:
			// Nobody has acknowledged yet: nothing shows it operating.
			s.Status, s.Reason = SignalNeutral, fmt.Sprintf("%s version %d: awaiting acknowledgement by %d people", name, r.Number, len(due))
		case len(due) > 0:
			s.Status, s.Operating = SignalOK, true
			s.Reason = fmt.Sprintf("%s version %d: acknowledged by %d of %d people in scope; %d not yet due", name, r.Number, done, len(scope), len(due))
		default:
			s.Operating = true
		}
		s.At = r.Since
		out = append(out, s)
	}
	return out
}

// nameList names the first few of a list and counts the rest.
func nameList(xs []string) string {
	slices.Sort(xs)
	const show = 5
	if len(xs) <= show {
		return strings.Join(xs, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(xs[:show], ", "), len(xs)-show)
}

// CheckAck checks that what a person acknowledges is the version in force,
// as they were shown it: a version replaced since they opened the page, or
// a text whose hash differs, is refused rather than recorded against
// words they did not see.
func CheckAck(r *AckRequirement, version int, sha string) error {
	if version != r.Current {
		return Errorf(ECONFLICT, "%s: version %d is no longer the one in force (version %d is); read it again before acknowledging", r.Key, version, r.Current)
	}
	if !strings.EqualFold(sha, r.SHA256) {
		return FieldError("sha256", "%s version %d: the text you were shown (SHA-256 %.12s…) is not the published text", r.Key, version, sha)
	}
	return nil
}
