package vigil

import (
	"context"
	"slices"
	"time"
)

// SignalStatus is what one source says about a control.
type SignalStatus string

// The signal statuses, from best to worst. Unknown is never treated as OK:
// a check that could not run, or evidence that cannot be found, is a gap.
const (
	SignalOK      SignalStatus = "ok"
	SignalWarn    SignalStatus = "warn"    // still fine, but needs attention soon
	SignalUnknown SignalStatus = "unknown" // the source could not tell
	SignalFail    SignalStatus = "fail"
	// SignalNeutral says nothing yet either way: evidence for a period that
	// is not due, or evidence submitted and waiting for its review. It
	// neither harms a control nor shows it operating.
	SignalNeutral SignalStatus = "neutral"
)

func (s SignalStatus) rank() int {
	switch s {
	case SignalOK, SignalNeutral:
		return 0
	case SignalWarn:
		return 1
	case SignalUnknown:
		return 2
	}
	return 3 // fail, and anything unrecognised
}

// Signal is one statement about a control's health, from one source:
// the implementation status, the owner, later automated tests, evidence
// freshness and policy approval. Readiness is computed from signals only, so
// new sources add signals without changing the calculation.
type Signal struct {
	ControlID string       `json:"-"`
	Source    string       `json:"source"` // status, owner, test, evidence, policy ...
	Status    SignalStatus `json:"status"`
	Reason    string       `json:"reason"`
	At        time.Time    `json:"at,omitzero"`
	// Operating is set when the signal shows the control operating: an
	// accepted evidence item for a period, a passing automated test, a
	// record. A status or an owner never shows that, and a control whose
	// signals are all fine but none of them operating is "not shown".
	Operating bool `json:"operating,omitempty"`
}

// HealthState summarises a control's signals.
type HealthState string

// The health states. A control is healthy only when every signal is OK or
// warn; one unknown makes it unknown, one failure makes it failing.
const (
	HealthHealthy HealthState = "healthy"
	HealthAtRisk  HealthState = "at_risk" // healthy, with warnings
	HealthUnknown HealthState = "unknown"
	HealthFailing HealthState = "failing"
	HealthNA      HealthState = "not_applicable"
)

// Health is a control's computed health with the signals behind it.
type Health struct {
	State   HealthState `json:"state"`
	Signals []Signal    `json:"signals"`
}

// Passing reports whether the control counts as operating.
func (h Health) Passing() bool { return h.State == HealthHealthy || h.State == HealthAtRisk }

// NotShownReason is the reason given when nothing shows a control
// operating, although nothing says it is broken either.
const NotShownReason = "not shown: no accepted evidence, passing automated test or record shows this control operating yet"

// ComputeHealth derives health from signals. No signals at all is unknown:
// silence is not evidence of operation. Nor is a status and an owner: a
// control is healthy only when at least one signal shows it operating
// (evidence accepted for a period, a passing test, a record); otherwise
// it is "not shown", which is unknown.
func ComputeHealth(signals []Signal) Health {
	if len(signals) == 0 {
		return Health{State: HealthUnknown, Signals: []Signal{{Source: "health", Status: SignalUnknown, Reason: "no source reports on this control"}}}
	}
	worst, operating := 0, false
	for _, s := range signals {
		worst = max(worst, s.Status.rank())
		operating = operating || (s.Operating && (s.Status == SignalOK || s.Status == SignalWarn))
	}
	st := [...]HealthState{HealthHealthy, HealthAtRisk, HealthUnknown, HealthFailing}[worst]
	if (st == HealthHealthy || st == HealthAtRisk) && !operating {
		ctl := signals[0].ControlID
		signals = append(slices.Clip(signals), Signal{ControlID: ctl, Source: "health", Status: SignalUnknown, Reason: NotShownReason})
		st = HealthUnknown
	}
	return Health{State: st, Signals: signals}
}

// NotShown reports whether a health is unknown only because nothing shows
// the control operating yet.
func (h Health) NotShown() bool {
	if h.State != HealthUnknown {
		return false
	}
	for _, s := range h.Signals {
		if s.Status == SignalUnknown && s.Reason != NotShownReason || s.Status == SignalFail {
			return false
		}
	}
	return true
}

// ControlSignals returns the signals a control gives about itself: its
// implementation status and whether someone owns it.
func ControlSignals(c *Control) []Signal {
	var out []Signal
	switch c.Status {
	case StatusImplemented:
		out = append(out, Signal{ControlID: c.ID, Source: "status", Status: SignalOK, Reason: "implemented", At: c.UpdatedAt})
	case StatusInProgress:
		out = append(out, Signal{ControlID: c.ID, Source: "status", Status: SignalFail, Reason: "implementation in progress", At: c.UpdatedAt})
	default:
		out = append(out, Signal{ControlID: c.ID, Source: "status", Status: SignalFail, Reason: "implementation not started", At: c.UpdatedAt})
	}
	// An owner who can no longer act (disabled, or moved to a role that
	// cannot edit controls) is no owner at all.
	switch {
	case c.OwnerID == 0:
		out = append(out, Signal{ControlID: c.ID, Source: "owner", Status: SignalFail, Reason: "no owner assigned"})
	case c.OwnerDisabled:
		out = append(out, Signal{ControlID: c.ID, Source: "owner", Status: SignalFail, Reason: "owner " + c.OwnerName + " is disabled; assign someone else"})
	case c.OwnerRole != "" && !c.OwnerRole.Can(PermEditOwnControl):
		out = append(out, Signal{ControlID: c.ID, Source: "owner", Status: SignalFail, Reason: "owner " + c.OwnerName + " has the " + string(c.OwnerRole) + " role, which cannot operate controls; assign someone else"})
	default:
		out = append(out, Signal{ControlID: c.ID, Source: "owner", Status: SignalOK, Reason: "owned by " + c.OwnerName})
	}
	return out
}

// SignalSource is a capability that reports on controls: automated tests,
// evidence freshness, policy approval. Readiness asks every registered source.
type SignalSource interface {
	// Name identifies the source in reasons.
	Name() string
	// Signals returns the source's current signals, keyed by control ID.
	Signals(ctx context.Context) (map[string][]Signal, error)
	// Version returns a value that changes whenever Signals would return
	// something different (including through the passing of time), so that
	// readiness can be cached between changes.
	Version(ctx context.Context) (string, error)
}
