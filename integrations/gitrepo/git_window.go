package gitrepo

import (
	"fmt"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/changes"
)

// defaultWindowDays is the window when neither the settings nor the audit
// scope give one.
const defaultWindowDays = 90

// parseBound reads a window bound: a date (a whole UTC day: the start of
// it, or for an end the start of the next day, so that the day is in) or
// an RFC 3339 timestamp (taken exactly; an end is excluded).
func parseBound(field, s string, end bool) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d.UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, vigil.FieldError("config."+field, "%s must be a date (YYYY-MM-DD, the whole day) or an RFC 3339 timestamp, got %q", field, s)
}

// checkWindowSettings validates the window settings on their own.
func checkWindowSettings(c *gitConfig) error {
	switch {
	case c.WindowDays < 0 || c.WindowDays > 400:
		return vigil.FieldError("config.window_days", "window_days must be 1 to 400")
	case c.WindowDays > 0 && (c.WindowStart != "" || c.WindowEnd != ""):
		return vigil.FieldError("config.window_days", "give window_days or window_start and window_end, not both")
	case (c.WindowStart == "") != (c.WindowEnd == ""):
		if c.WindowStart == "" {
			return vigil.FieldError("config.window_start", "window_end needs window_start too (a fixed window has both bounds)")
		}
		return vigil.FieldError("config.window_end", "window_start needs window_end too (a fixed window has both bounds)")
	case c.WindowStart == "":
		return nil
	}
	start, err := parseBound("window_start", c.WindowStart, false)
	if err != nil {
		return err
	}
	end, err := parseBound("window_end", c.WindowEnd, true)
	if err != nil {
		return err
	}
	if !end.After(start) {
		return vigil.FieldError("config.window_end", "window_end (%s) must be after window_start (%s)", c.WindowEnd, c.WindowStart)
	}
	return nil
}

// resolveWindow picks the window: the settings' fixed window, else their
// window_days, else the audit scope's Type II window, else the last
// defaultWindowDays days. Rolling windows are whole UTC days ending with
// today, so that the bounds stay the same all day and say exactly what was
// applied.
func resolveWindow(c *gitConfig, sc *vigil.Scope, now time.Time) (changes.Window, error) {
	if err := checkWindowSettings(c); err != nil {
		return changes.Window{}, err
	}
	if c.WindowStart != "" {
		start, _ := parseBound("window_start", c.WindowStart, false)
		end, _ := parseBound("window_end", c.WindowEnd, true)
		return changes.Window{Since: start, Until: end, Source: fmt.Sprintf("the integration's settings (window_start %s, window_end %s)", c.WindowStart, c.WindowEnd)}, nil
	}
	today := now.UTC().Truncate(24 * time.Hour)
	if c.WindowDays > 0 {
		return changes.Window{Since: today.AddDate(0, 0, -c.WindowDays), Until: today.AddDate(0, 0, 1),
			Source: fmt.Sprintf("the integration's settings: the last %d whole days (window_days) and today", c.WindowDays)}, nil
	}
	if sc != nil && sc.AuditType == vigil.AuditType2 && sc.WindowStart != "" && sc.WindowEnd != "" {
		start, end := sc.WindowStart.Time(), sc.WindowEnd.Time().AddDate(0, 0, 1)
		if end.After(start) {
			return changes.Window{Since: start.UTC(), Until: end.UTC(), Source: fmt.Sprintf("the audit window (Type II, %s to %s, both days included)", sc.WindowStart, sc.WindowEnd)}, nil
		}
	}
	why := "no audit window is set"
	if sc != nil && sc.AuditType == vigil.AuditType1 {
		why = "the audit is Type I (as of " + string(sc.AsOf) + "), which has no window"
	}
	return changes.Window{Since: today.AddDate(0, 0, -defaultWindowDays), Until: today.AddDate(0, 0, 1),
		Source: fmt.Sprintf("the default: %s, so the last %d whole days and today (set window_days, or window_start and window_end)", why, defaultWindowDays)}, nil
}
