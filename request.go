package vigil

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
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
	// AssigneeID names who must supply the evidence; 0 means whoever owns
	// the control at the time. Assignee is filled on read either way.
	AssigneeID int64     `json:"assignee_id,omitempty"`
	Assignee   string    `json:"assignee,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// Validate checks a request.
func (r *EvidenceRequest) Validate() error {
	r.Title = strings.TrimSpace(r.Title)
	r.ControlID = CanonicalControlID(r.ControlID)
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

// Period states. A period is fresh only when accepted evidence covers
// it: evidence still waiting for its review proves nothing yet, and a
// period that is not due with nothing submitted is simply awaited.
const (
	PeriodFresh          = "fresh"             // accepted evidence covers it
	PeriodAwaitingReview = "awaiting_review"   // evidence submitted, none accepted yet
	PeriodAwaiting       = "awaiting_evidence" // not yet due, nothing submitted
	PeriodDueSoon        = "due_soon"          // due within DueSoonDays, nothing submitted
	PeriodOverdue        = "overdue"           // the latest due period has no evidence
	PeriodMissing        = "missing"           // an earlier period has none
)

// DueSoonDays is how close a due date must be to count as due soon.
const DueSoonDays = 7

// Period is one span a request needs evidence for.
type Period struct {
	Start    Date    `json:"start"`
	End      Date    `json:"end"` // inclusive
	Due      Date    `json:"due"`
	Status   string  `json:"status"`
	Items    []int64 `json:"items,omitempty"`    // every unrejected item covering it
	Accepted []int64 `json:"accepted,omitempty"` // the accepted ones among them
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

// ItemSpan is an evidence item as a request sees it. Rejected and purged
// items are not given; Review says whether the item is accepted yet.
type ItemSpan struct {
	ID             int64
	EffectiveStart Date
	EffectiveEnd   Date
	Collected      Date   // the day it was submitted
	Review         string // pending or accepted
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
				p.add(it)
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
					p.add(it)
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
		case len(p.Accepted) > 0:
			p.Status = PeriodFresh
		case len(p.Items) > 0:
			p.Status = PeriodAwaitingReview
		case r.Frequency == RequestEvent:
			p.Status = PeriodAwaiting
		case !due.Before(today) && due.Sub(today) <= DueSoonDays*24*time.Hour:
			p.Status = PeriodDueSoon
		case !due.Before(today):
			p.Status = PeriodAwaiting
		case i == latestDue:
			p.Status = PeriodOverdue
		default:
			p.Status = PeriodMissing
		}
	}
	return out
}

func (p *Period) add(it ItemSpan) {
	// Evidence cannot speak for a period that had not begun when it was
	// submitted, whatever effective end it claims: a year's worth of
	// future quarters must not be answered in advance.
	if it.Collected != "" && it.Collected < p.Start {
		return
	}
	p.Items = append(p.Items, it.ID)
	if it.Review == ReviewAccepted {
		p.Accepted = append(p.Accepted, it.ID)
	}
}

// Label names the period for people: its first day, or its span.
func (p Period) Label() string {
	if p.End != "" && p.End != p.Start {
		return string(p.Start) + " to " + string(p.End)
	}
	return string(p.Start)
}

// RequestSignal turns a request's periods into one health signal for its
// control: the worst period speaks. Only accepted evidence shows the
// control operating; a request whose periods are all awaited (not yet due,
// or submitted and waiting for review before the due date) is neutral: it
// says nothing of the control either way. Submitted evidence still not
// reviewed after its due date leaves the period unknown.
func (r *EvidenceRequest) RequestSignal(periods []Period, now time.Time) Signal {
	today := Date(now.UTC().Format(time.DateOnly))
	sig := Signal{ControlID: r.ControlID, Source: "evidence"}
	var missing, overdue, soon, unreviewed, reviewing, awaiting []string
	lastFresh := ""
	for _, p := range periods {
		label := p.Label()
		switch p.Status {
		case PeriodFresh:
			lastFresh = label
		case PeriodMissing:
			missing = append(missing, label)
		case PeriodOverdue:
			overdue = append(overdue, fmt.Sprintf("%s (due %s)", label, p.Due))
		case PeriodDueSoon:
			soon = append(soon, fmt.Sprintf("%s (due %s)", label, p.Due))
		case PeriodAwaitingReview:
			if r.Frequency != RequestEvent && p.Due < today {
				unreviewed = append(unreviewed, fmt.Sprintf("%s (due %s)", label, p.Due))
			} else {
				reviewing = append(reviewing, label)
			}
		default:
			awaiting = append(awaiting, fmt.Sprintf("%s (due %s)", label, p.Due))
		}
	}
	fresh := lastFresh != ""
	switch {
	case len(missing) > 0:
		sig.Status, sig.Reason = SignalFail, fmt.Sprintf("evidence %q missing for %s", r.Title, strings.Join(missing, ", "))
		if len(overdue) > 0 {
			sig.Reason += "; overdue for " + strings.Join(overdue, ", ")
		}
	case len(overdue) > 0:
		sig.Status, sig.Reason = SignalFail, fmt.Sprintf("evidence %q overdue for %s", r.Title, strings.Join(overdue, ", "))
	case len(unreviewed) > 0:
		sig.Status, sig.Reason = SignalUnknown, fmt.Sprintf("evidence %q submitted but not yet accepted for %s: a reviewer must accept or reject it", r.Title, strings.Join(unreviewed, ", "))
	case len(soon) > 0:
		sig.Status, sig.Reason, sig.Operating = SignalWarn, fmt.Sprintf("evidence %q due soon for %s", r.Title, strings.Join(soon, ", ")), fresh
	case fresh:
		sig.Status, sig.Reason, sig.Operating = SignalOK, fmt.Sprintf("evidence %q accepted for %s", r.Title, lastFresh), true
		if len(reviewing) > 0 {
			sig.Reason += "; awaiting review for " + strings.Join(reviewing, ", ")
		} else if len(awaiting) > 0 {
			sig.Reason += "; awaiting evidence for " + strings.Join(awaiting, ", ")
		}
	case len(reviewing) > 0:
		sig.Status, sig.Reason = SignalNeutral, fmt.Sprintf("evidence %q submitted for %s, awaiting review", r.Title, strings.Join(reviewing, ", "))
	case r.Frequency == RequestEvent:
		sig.Status, sig.Reason = SignalNeutral, fmt.Sprintf("awaiting evidence %q: none recorded yet", r.Title)
	default:
		sig.Status, sig.Reason = SignalNeutral, fmt.Sprintf("awaiting evidence %q for %s", r.Title, strings.Join(awaiting, ", "))
	}
	return sig
}

// libraryGrace is how many days after a period ends its evidence is due,
// for requests made from the control library: enough to gather a period's
// records, short enough that a gap is seen within the next period.
var libraryGrace = map[Frequency]int{FreqWeekly: 2, FreqMonthly: 5, FreqQuarterly: 14, FreqAnnual: 30, FreqEvent: 0}

// LibraryRequest is the evidence request a control adopted from the
// library starts with: the library's expected evidence on the control's
// frequency, from the day of adoption, assigned to whoever owns the
// control. Controls that operate continuously or daily get none: a
// person cannot upload proof every day, so an automated test or an
// integration shows them operating instead (ok is false).
func LibraryRequest(c *Control, today Date) (r EvidenceRequest, ok bool) {
	grace, ok := libraryGrace[c.Frequency]
	if !ok || strings.TrimSpace(c.Evidence) == "" {
		return EvidenceRequest{}, false
	}
	title := strings.TrimSpace(c.Evidence)
	if rs := []rune(title); len(rs) > 0 {
		title = strings.ToUpper(string(rs[0])) + string(rs[1:])
	}
	if len(title) > 300 {
		title = truncateRunes(title, 297) + "..."
	}
	r = EvidenceRequest{
		ControlID: c.ID, Title: title, Frequency: RequestFrequency(c.Frequency), Start: today, GraceDays: grace,
		Description: fmt.Sprintf("The evidence the control library expects for %s (%s). Made when the control was adopted; change it or retire it to fit how the control really operates.", c.ID, c.Frequency),
	}
	return r, true
}

// ShownByTests reports whether a control's frequency means it is shown
// operating by automated tests or integrations rather than by requests.
func (c *Control) ShownByTests() bool {
	return c.Frequency == FreqContinuous || c.Frequency == FreqDaily
}

// truncateRunes cuts s to at most n bytes on a character boundary.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
