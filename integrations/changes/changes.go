// Package changes holds what the git and GitHub kinds share to judge a
// branch's change history: the window a population is taken over, the
// coverage of the records of pushes, and rewrites as failing resources.
package changes

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigil-soc/vigil/gitchange"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// Window is the window a population is taken over: Since <= committer
// date < Until, exact UTC timestamps, and where the bounds came from.
type Window struct {
	Since, Until time.Time
	Source       string
}

// HistorySource is one record of the branch's updates read in a run: from
// when it is complete (the zero time: from the branch's creation), or why
// it could not be read.
type HistorySource struct {
	Name string
	From time.Time
	Err  string
}

// PruneJudged copies the judged pushes still in the window.
func PruneJudged(m map[string]time.Time, win Window) map[string]time.Time {
	out := map[string]time.Time{}
	for k, at := range m {
		if !at.Before(win.Since) {
			out[k] = at
		}
	}
	return out
}

// Coverage joins the records read in a run: the earliest time from which
// one of them is complete, joined with what earlier runs established when
// this run's records reach back to the previous run. It returns the parts
// of the window no record covers, as unknown resources, and the coverage
// to remember.
func Coverage(sources []HistorySource, knownFrom, checked *time.Time, now time.Time, win Window, hint string) ([]any, *time.Time, *time.Time) {
	var runFrom *time.Time
	var why []string
	for _, s := range sources {
		if s.Err != "" {
			why = append(why, s.Name+": "+s.Err)
			continue
		}
		if runFrom == nil || s.From.Before(*runFrom) {
			f := s.From
			runFrom = &f
		}
	}
	if runFrom != nil {
		if knownFrom != nil && checked != nil && !runFrom.After(*checked) && knownFrom.Before(*runFrom) {
			runFrom = knownFrom
		}
		n := now.UTC()
		knownFrom, checked = runFrom, &n
	}
	switch {
	case runFrom == nil:
		from := win.Since
		if checked != nil && checked.After(from) {
			from = *checked
		}
		return []any{map[string]any{"id": "pushes since " + from.Format(time.RFC3339),
			"error": "whether history was rewritten since " + from.Format(time.RFC3339) + " is unknown: " + strings.Join(why, "; ")}}, knownFrom, checked
	case runFrom.After(win.Since):
		msg := fmt.Sprintf("the records of pushes start at %s, after the window's start (%s): whether history was rewritten before is unknown (if the branch was first created then, start this integration's window there with window_start; a branch deleted and created again also starts a new record)", runFrom.Format(time.RFC3339), win.Since.Format(time.RFC3339))
		if len(why) > 0 {
			msg += " (" + strings.Join(why, "; ") + ")"
		}
		if hint != "" {
			msg += "; " + hint
		}
		return []any{map[string]any{"id": "pushes before " + runFrom.Format(time.RFC3339), "error": msg}}, knownFrom, checked
	}
	return nil, knownFrom, checked
}

// RewriteItem is a rewrite as a failing resource, saying who, when, from
// which record, and what was dropped.
func RewriteItem(rw gitchange.Rewrite) map[string]any {
	who := rw.Who
	if rw.Email != "" {
		who += " <" + rw.Email + ">"
	}
	why := fmt.Sprintf("history rewritten at %s by %s (%s): %s replaced by %s", rw.At.UTC().Format(time.RFC3339), who, rw.Source, Short12(rw.From), Short12(rw.To))
	switch {
	case rw.DroppedKnown && rw.DroppedCount == 0:
		why += "; no commit dropped"
	case rw.DroppedKnown:
		var ids []string
		for _, d := range rw.Dropped {
			ids = append(ids, Short12(d))
		}
		more := ""
		if rw.DroppedCount > len(ids) {
			more = fmt.Sprintf(" and %d more", rw.DroppedCount-len(ids))
		}
		why += fmt.Sprintf("; dropped %d commit(s): %s%s", rw.DroppedCount, strings.Join(ids, ", "), more)
	default:
		why += "; the dropped commits are unknown"
	}
	if rw.Note != "" {
		why += " (" + rw.Note + ")"
	}
	return map[string]any{"id": Short12(rw.From) + " -> " + Short12(rw.To), "ok": false, "why": why, "at": rw.At.UTC().Format(time.RFC3339),
		"who": who, "source": rw.Source, "from": rw.From, "to": rw.To, "dropped": kind.ToAny(rw.Dropped), "dropped_count": rw.DroppedCount}
}

// Short12 is a commit ID cut to 12 characters.
func Short12(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
