package vigil

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// RequestFrequency is how often a control needs fresh evidence.
type RequestFrequency string

// The request frequencies.
const (
	RequestOnce      RequestFrequency = "once"
	RequestWeekly    RequestFrequency = "weekly"
	RequestMonthly   RequestFrequency = "monthly"
	RequestQuarterly RequestFrequency = "quarterly"
	RequestAnnual    RequestFrequency = "annual"
	RequestEvent     RequestFrequency = "event" // on each event: no schedule
)

// RequestFrequencies lists them.
var RequestFrequencies = []RequestFrequency{RequestOnce, RequestWeekly, RequestMonthly, RequestQuarterly, RequestAnnual, RequestEvent}

// EvidenceRequest says what evidence a control needs and how often.
type EvidenceRequest struct {
	ID          int64            `json:"id"`
	ControlID   string           `json:"control_id"`
	Title       string           `json:"title"`
	Description string           `json:"description"`
	Frequency   RequestFrequency `json:"frequency"`
	Start       Date             `json:"start"`      // first period starts here
	GraceDays   int              `json:"grace_days"` // due this many days after a period ends
	CreatedAt   time.Time        `json:"created_at"`
}

// Validate checks a request.
func (r *EvidenceRequest) Validate() error {
	r.Title = strings.TrimSpace(r.Title)
	switch {
	case r.Title == "":
		return FieldError("title", "title is required")
	case len(r.Title) > 300:
		return FieldError("title", "title is longer than 300 characters")
	case len(r.Description) > 5000:
		return FieldError("description", "description is longer than 5000 characters")
	case !slices.Contains(RequestFrequencies, r.Frequency):
		return FieldError("frequency", "unknown frequency %q (want once, weekly, monthly, quarterly, annual or event)", r.Frequency)
	case r.GraceDays < 0 || r.GraceDays > 366:
		return FieldError("grace_days", "grace_days must be from 0 to 366")
	}
	if _, err := ParseDate("start", string(r.Start)); err != nil {
		return err
	}
	return nil
}

// Period states.
const (
	PeriodFresh   = "fresh"    // evidence is there
	PeriodOpen    = "open"     // not yet due
	PeriodDueSoon = "due_soon" // due within DueSoonDays
	PeriodOverdue = "overdue"  // the latest due period has no evidence
	PeriodMissing = "missing"  // an earlier period has none
)

// DueSoonDays is how close a due date must be to count as due soon.
const DueSoonDays = 7

// Period is one span a request needs evidence for.
type Period struct {
	Start  Date    `json:"start"`
	End    Date    `json:"end"` // inclusive
	Due    Date    `json:"due"`
	Status string  `json:"status"`
	Items  []int64 `json:"items,omitempty"`
}

// periodBounds returns the period containing day t (UTC midnight).
func (r *EvidenceRequest) periodAt(t time.Time) (start, next time.Time) {
	s := r.Start.Time()
	switch r.Frequency {
	case RequestWeekly:
		n := int(t.Sub(s).Hours() / 24 / 7)
		start = s.AddDate(0, 0, 7*n)
		return start, start.AddDate(0, 0, 7)
	case RequestMonthly:
		start = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0)
	case RequestQuarterly:
		start = time.Date(t.Year(), time.Month((int(t.Month())-1)/3*3+1), 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 3, 0)
	case RequestAnnual:
		start = time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(1, 0, 0)
	}
	return s, time.Time{} // once, event: one open-ended period
}

// ItemSpan is an evidence item as a request sees it.
type ItemSpan struct {
	ID             int64
	EffectiveStart Date
	EffectiveEnd   Date
}

// Periods lays out the request's periods from its start to now, each with
// its status. An item fulfils every period its effective span overlaps.
func (r *EvidenceRequest) Periods(items []ItemSpan, now time.Time) []Period {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	var out []Period
	day := func(t time.Time) Date { return Date(t.Format(time.DateOnly)) }
	if r.Frequency == RequestOnce || r.Frequency == RequestEvent {
		p := Period{Start: r.Start, End: "", Due: day(r.Start.Time().AddDate(0, 0, r.GraceDays))}
		for _, it := range items {
			if it.EffectiveEnd >= r.Start {
				p.Items = append(p.Items, it.ID)
			}
		}
		out = append(out, p)
	} else {
		first, _ := r.periodAt(r.Start.Time())
		for s := first; !s.After(today); {
			_, next := r.periodAt(s)
			end := next.AddDate(0, 0, -1)
			p := Period{Start: day(s), End: day(end), Due: day(end.AddDate(0, 0, r.GraceDays))}
			for _, it := range items {
				if it.EffectiveStart <= p.End && it.EffectiveEnd >= p.Start {
					p.Items = append(p.Items, it.ID)
				}
			}
			out = append(out, p)
			s = next
		}
	}
	latestDue := -1
	for i := range out {
		if out[i].Due.Time().Before(today) {
			latestDue = i
		}
	}
	for i := range out {
		p := &out[i]
		due := p.Due.Time()
		switch {
		case len(p.Items) > 0:
			p.Status = PeriodFresh
		case r.Frequency == RequestEvent:
			p.Status = PeriodOpen
		case !due.Before(today) && due.Sub(today) <= DueSoonDays*24*time.Hour:
			p.Status = PeriodDueSoon
		case !due.Before(today):
			p.Status = PeriodOpen
		case i == latestDue:
			p.Status = PeriodOverdue
		default:
			p.Status = PeriodMissing
		}
	}
	return out
}

// RequestSignal turns a request's periods into one health signal for its
// control: the worst period speaks.
func (r *EvidenceRequest) RequestSignal(periods []Period) Signal {
	sig := Signal{ControlID: r.ControlID, Source: "evidence", Status: SignalOK, Reason: fmt.Sprintf("evidence %q is fresh", r.Title)}
	var missing, overdue, soon []string
	for _, p := range periods {
		label := string(p.Start)
		if p.End != "" && p.End != p.Start {
			label += " to " + string(p.End)
		}
		switch p.Status {
		case PeriodMissing:
			missing = append(missing, label)
		case PeriodOverdue:
			overdue = append(overdue, fmt.Sprintf("%s (due %s)", label, p.Due))
		case PeriodDueSoon:
			soon = append(soon, fmt.Sprintf("%s (due %s)", label, p.Due))
		}
	}
	switch {
	case len(missing) > 0:
		sig.Status, sig.Reason = SignalFail, fmt.Sprintf("evidence %q missing for %s", r.Title, strings.Join(missing, ", "))
		if len(overdue) > 0 {
			sig.Reason += "; overdue for " + strings.Join(overdue, ", ")
		}
	case len(overdue) > 0:
		sig.Status, sig.Reason = SignalFail, fmt.Sprintf("evidence %q overdue for %s", r.Title, strings.Join(overdue, ", "))
	case len(soon) > 0:
		sig.Status, sig.Reason = SignalWarn, fmt.Sprintf("evidence %q due soon for %s", r.Title, strings.Join(soon, ", "))
	case r.Frequency == RequestEvent && len(periods) > 0 && len(periods[0].Items) == 0:
		sig.Status, sig.Reason = SignalWarn, fmt.Sprintf("no evidence %q recorded yet", r.Title)
	}
	return sig
}
