package vigil

import (
	"sort"
	"time"
)

// Agent is a host enrolled to run checks and report their results.
type Agent struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"` // host, or integration
	Name      string     `json:"name"`
	Hostname  string     `json:"hostname"`
	OS        string     `json:"os"`
	Kernel    string     `json:"kernel"`
	Version   string     `json:"agent_version"`
	Interval  int        `json:"interval_seconds"` // how often it promised to report
	Enrolled  time.Time  `json:"enrolled_at"`
	LastSeen  *time.Time `json:"last_seen,omitempty"`
	LastSeq   int64      `json:"last_seq"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// Labels group hosts (env=prod) for server-side exceptions; set from
	// the host page, the API or the enrolment token.
	Labels map[string]string `json:"labels"`
	// LabelsSetBy and LabelsSetAt say who last set the labels (the user,
	// or for labels from an enrolment token, whoever made the token) and
	// when; nil when they were never set.
	LabelsSetBy int64      `json:"labels_set_by,omitempty"`
	LabelsSetAt *time.Time `json:"labels_set_at,omitempty"`
	// Current results on the host, by verdict.
	Pass          int `json:"pass"`
	Fail          int `json:"fail"`
	Error         int `json:"error"`
	NotApplicable int `json:"not_applicable"`
}

// Stale reports whether the agent missed its reports: silent for more than
// two intervals (and a minute of slack), its results are unknown, not pass.
func (a *Agent) Stale(now time.Time) bool {
	if a.LastSeen == nil {
		return true
	}
	return now.Sub(*a.LastSeen) > a.Grace()
}

// Grace is how long a report vouches for the host's state.
func (a *Agent) Grace() time.Duration {
	iv := time.Duration(a.Interval) * time.Second
	if iv <= 0 {
		iv = 15 * time.Minute
	}
	return 2*iv + time.Minute
}

// Compliance is the share of judged results that pass, in percent; -1
// when nothing was judged.
func (a *Agent) Compliance() int {
	n := a.Pass + a.Fail + a.Error
	if n == 0 {
		return -1
	}
	return a.Pass * 100 / n
}

// CheckResult is one (check, resource) verdict as an agent reports it.
type CheckResult struct {
	CheckID  string `json:"check"`
	Resource string `json:"resource"`
	Verdict  string `json:"verdict"`
	Reason   string `json:"reason,omitempty"`
}

// Transition is a change of a (check, resource) result on one host: the
// history is kept as transitions, not a copy of every run.
type Transition struct {
	AgentID  int64     `json:"agent_id"`
	CheckID  string    `json:"check"`
	Resource string    `json:"resource"`
	Verdict  string    `json:"verdict"` // pass, fail, error, not_applicable, skip, or "" when the resource went away
	Reason   string    `json:"reason,omitempty"`
	At       time.Time `json:"at"`
}

// Coverage is a stretch of time in which an agent reported on schedule.
type Coverage struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"` // the last report in the stretch; it vouches until End + grace
}

// IntervalState is the state of a result, check or control in an interval.
type IntervalState string

// The interval states. Unknown covers errors and any time no report came.
const (
	StatePassing       IntervalState = "passing"
	StateFailing       IntervalState = "failing"
	StateUnknown       IntervalState = "unknown"
	StateNotApplicable IntervalState = "not_applicable"
	StateAbsent        IntervalState = "absent" // the resource did not exist
)

// Interval is a stretch of time in one state.
type Interval struct {
	Start  time.Time     `json:"start"`
	End    time.Time     `json:"end"`
	State  IntervalState `json:"state"`
	Reason string        `json:"reason,omitempty"`
}

func verdictState(v string) IntervalState {
	switch v {
	case "pass":
		return StatePassing
	case "fail":
		return StateFailing
	case "not_applicable", "skip":
		return StateNotApplicable
	case "":
		return StateAbsent
	}
	return StateUnknown
}

// ResultIntervals turns one result's transitions (oldest first) into the
// intervals of [from, to): the state set by the latest transition, except
// where no report vouches for the host (outside coverage + grace), which is
// unknown. Before the first transition the state is unknown too.
func ResultIntervals(ts []Transition, cov []Coverage, grace time.Duration, from, to time.Time) []Interval {
	// The covered stretches, clipped to the window.
	type span struct{ s, e time.Time }
	var covered []span
	for _, c := range cov {
		s, e := c.Start, c.End.Add(grace)
		if e.After(from) && s.Before(to) {
			covered = append(covered, span{maxTime(s, from), minTime(e, to)})
		}
	}
	sort.Slice(covered, func(i, j int) bool { return covered[i].s.Before(covered[j].s) })
	stateAt := func(t time.Time) (IntervalState, string) {
		i := sort.Search(len(ts), func(i int) bool { return ts[i].At.After(t) })
		if i == 0 {
			return StateUnknown, "no result yet"
		}
		return verdictState(ts[i-1].Verdict), ts[i-1].Reason
	}
	// Boundaries: window edges, coverage edges, transitions.
	cuts := []time.Time{from, to}
	for _, c := range covered {
		cuts = append(cuts, c.s, c.e)
	}
	for _, t := range ts {
		if t.At.After(from) && t.At.Before(to) {
			cuts = append(cuts, t.At)
		}
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i].Before(cuts[j]) })
	var out []Interval
	for i := 0; i+1 < len(cuts); i++ {
		s, e := cuts[i], cuts[i+1]
		if !s.Before(e) || s.Before(from) || e.After(to) {
			continue
		}
		st, why := StateUnknown, "no report from the host in this time"
		for _, c := range covered {
			if !s.Before(c.s) && !e.After(c.e) {
				st, why = stateAt(s)
				break
			}
		}
		if n := len(out); n > 0 && out[n-1].State == st && out[n-1].Reason == why && out[n-1].End.Equal(s) {
			out[n-1].End = e
			continue
		}
		out = append(out, Interval{Start: s, End: e, State: st, Reason: why})
	}
	return out
}

// Combine merges the intervals of several results into one timeline, as a
// check across resources or a control across checks is judged: failing if
// any fails, else unknown if any is unknown, else passing if any passes,
// else not applicable. Absent results do not count.
func Combine(from, to time.Time, parts ...[]Interval) []Interval {
	cuts := []time.Time{from, to}
	for _, p := range parts {
		for _, iv := range p {
			cuts = append(cuts, iv.Start, iv.End)
		}
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i].Before(cuts[j]) })
	rank := map[IntervalState]int{StateAbsent: 0, StateNotApplicable: 1, StatePassing: 2, StateUnknown: 3, StateFailing: 4}
	idx := make([]int, len(parts))
	var out []Interval
	for i := 0; i+1 < len(cuts); i++ {
		s, e := cuts[i], cuts[i+1]
		if !s.Before(e) || s.Before(from) || e.After(to) {
			continue
		}
		st, why := StateAbsent, ""
		for j, p := range parts {
			for idx[j] < len(p) && !p[idx[j]].End.After(s) {
				idx[j]++
			}
			if idx[j] < len(p) && !p[idx[j]].Start.After(s) {
				if iv := p[idx[j]]; rank[iv.State] > rank[st] {
					st, why = iv.State, iv.Reason
				}
			}
		}
		if len(parts) == 0 || st == StateAbsent {
			st, why = StateUnknown, "nothing reports on this"
		}
		if n := len(out); n > 0 && out[n-1].State == st && out[n-1].End.Equal(s) {
			out[n-1].End = e
			continue
		}
		out = append(out, Interval{Start: s, End: e, State: st, Reason: why})
	}
	return out
}

// Share is the fraction of [from, to) spent in each state.
func Share(ivs []Interval) map[IntervalState]float64 {
	out := map[IntervalState]float64{}
	var total float64
	for _, iv := range ivs {
		d := iv.End.Sub(iv.Start).Seconds()
		out[iv.State] += d
		total += d
	}
	if total > 0 {
		for k := range out {
			out[k] /= total
		}
	}
	return out
}

// FixTimes lists how long each failure lasted until the result passed
// again (transitions oldest first); open failures are not included.
func FixTimes(ts []Transition) []time.Duration {
	var out []time.Duration
	var failedAt *time.Time
	for i := range ts {
		switch ts[i].Verdict {
		case "fail":
			if failedAt == nil {
				failedAt = &ts[i].At
			}
		case "pass":
			if failedAt != nil {
				out = append(out, ts[i].At.Sub(*failedAt))
				failedAt = nil
			}
		}
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// CurrentResult is a current result with its host.
type CurrentResult struct {
	AgentID   int64  `json:"agent_id"`
	AgentName string `json:"agent"`
	CheckResult
	Since time.Time `json:"since"`
}

// CheckRun is one recorded run (an agent's report).
type CheckRun struct {
	ID         int64     `json:"id"`
	AgentID    int64     `json:"agent_id"`
	Seq        int64     `json:"seq"`
	ScannedAt  time.Time `json:"scanned_at"`
	ReceivedAt time.Time `json:"received_at"`
	DurationMS int64     `json:"duration_ms"`
	Status     string    `json:"status"`
	Changes    int       `json:"changes"`
	Pass       int       `json:"pass"`
	Fail       int       `json:"fail"`
	Error      int       `json:"error"`
	NA         int       `json:"not_applicable"`
	Input      string    `json:"input_sha256,omitempty"`
}

// Enrolment is a new one-time enrolment token; the token is shown once.
type Enrolment struct {
	ID      int64             `json:"id"`
	Token   string            `json:"token"`
	Name    string            `json:"name,omitempty"`
	Expires time.Time         `json:"expires_at"`
	Labels  map[string]string `json:"labels,omitempty"` // the host starts with these
}

// HostInfo is what an agent says about its host.
type HostInfo struct {
	Hostname string `json:"hostname"`
	OS       string `json:"os"`
	Kernel   string `json:"kernel"`
	Version  string `json:"agent_version"`
	Interval int    `json:"interval_seconds"`
}

// AgentReport is an agent's report on the wire.
type AgentReport struct {
	Seq       int64         `json:"seq"`
	ScannedAt time.Time     `json:"scanned_at"`
	Duration  int64         `json:"duration_ms"`
	Host      HostInfo      `json:"host"`
	Full      bool          `json:"full"`
	Results   []CheckResult `json:"results"`
	Removed   []CheckResult `json:"removed,omitempty"`
	// InputSHA256 names the normalized collector input of this scan; Input
	// (base64 of its gzip) comes only when it changed since the last one.
	InputSHA256 string   `json:"input_sha256,omitempty"`
	Input       string   `json:"input,omitempty"`
	Failed      []string `json:"failed_collectors,omitempty"`
	// Disabled is the host's tailoring: check => justification. Changes
	// are written to the activity log.
	Disabled map[string]string `json:"disabled,omitempty"`
}

// ResultHistory is one resource's timeline in a window.
type ResultHistory struct {
	CheckID   string     `json:"check"`
	Resource  string     `json:"resource"`
	Intervals []Interval `json:"intervals"`
	FixTimes  []float64  `json:"fix_times_hours,omitempty"`
}

// CheckHistory is a check's timeline on one host in a window.
type CheckHistory struct {
	CheckID   string                    `json:"check"`
	Intervals []Interval                `json:"intervals"`
	Share     map[IntervalState]float64 `json:"share"`
	Resources []ResultHistory           `json:"resources"`
}

// ControlHistory is a control's timeline in a window, across every host
// and every check mapped to it.
type ControlHistory struct {
	ControlID string                    `json:"control"`
	Checks    []string                  `json:"checks"`
	Intervals []Interval                `json:"intervals"`
	Share     map[IntervalState]float64 `json:"share"`
	Hosts     []HostShare               `json:"hosts"`
}

// HostShare is one host's part in a control's history.
type HostShare struct {
	AgentID int64                     `json:"agent_id"`
	Name    string                    `json:"name"`
	Share   map[IntervalState]float64 `json:"share"`
	// The share of time passing, failing and unknown, in percent.
	Passing float64 `json:"passing_percent"`
	Failing float64 `json:"failing_percent"`
	Unknown float64 `json:"unknown_percent"`
}

// ScanSummary counts results.
type ScanSummary struct {
	Checks        int `json:"checks"`
	Resources     int `json:"resources"`
	Pass          int `json:"pass"`
	Fail          int `json:"fail"`
	Error         int `json:"error"`
	Skip          int `json:"skip"`
	NotApplicable int `json:"not_applicable"`
	// ChecksFailing and ChecksUnjudged count checks, not resources: a
	// check with any error result could not be judged on this host.
	ChecksFailing  int `json:"checks_failing"`
	ChecksUnjudged int `json:"checks_unjudged"`
	Disabled       int `json:"disabled"`
}

// FleetCount is how many hosts give a check each verdict. A host that
// stopped reporting counts as stale (unknown), never by its last verdict.
type FleetCount struct {
	CheckID string `json:"check"`
	Pass    int    `json:"pass"`
	Fail    int    `json:"fail"`
	Error   int    `json:"error"`
	Stale   int    `json:"stale"`
	Other   int    `json:"not_applicable"`
	// Excepted counts the hosts whose failure an exception covers, apart
	// from (and not as) failing.
	Excepted int `json:"excepted"`
}
