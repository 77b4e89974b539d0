// Package scan runs checks against collectors and reports the results:
// the engine behind `vigil scan` (local, no server) and the agent.
package scan

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/check"
	"github.com/vigil-soc/vigil/collect"
	"github.com/vigil-soc/vigil/collect/host"
	"github.com/vigil-soc/vigil/drift"
	"github.com/vigil-soc/vigil/fim"
)

// Tailoring is an organization's changes to the built-in checks: checks
// turned off (each with a justification, which the report carries) and
// parameters changed.
type Tailoring struct {
	Disable map[string]string         `yaml:"disable" json:"disable,omitempty"`
	Params  map[string]map[string]any `yaml:"params" json:"params,omitempty"`
}

// ParseTailoring reads a tailoring file and checks it against the loaded
// checks: unknown checks or parameters and missing justifications are
// errors naming the file and the entry, so a typo never turns a check off
// silently.
func ParseTailoring(file string, data []byte, reg *check.Registry) (*Tailoring, error) {
	var t Tailoring
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&t); err != nil && err.Error() != "EOF" {
		return nil, fmt.Errorf("%s: %v", file, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	known := map[string]*check.Check{}
	for _, c := range reg.Checks() {
		known[c.ID] = c
	}
	for id, why := range t.Disable {
		if known[id] == nil {
			return nil, fmt.Errorf("%s: disable: there is no check %q", file, id)
		}
		if len(strings.TrimSpace(why)) < 10 {
			return nil, fmt.Errorf("%s: disable: %s needs a justification (a sentence saying why it does not apply or how the risk is handled)", file, id)
		}
	}
	for id, ps := range t.Params {
		c := known[id]
		if c == nil {
			return nil, fmt.Errorf("%s: params: there is no check %q", file, id)
		}
		for k := range ps {
			if _, ok := c.Params[k]; !ok {
				names := make([]string, 0, len(c.Params))
				for n := range c.Params {
					names = append(names, n)
				}
				sort.Strings(names)
				return nil, fmt.Errorf("%s: params: check %s has no parameter %q (it has: %s)", file, id, k, strings.Join(names, ", "))
			}
		}
	}
	return &t, nil
}

// LoadTailoring reads a tailoring file from disk.
func LoadTailoring(path string, reg *check.Registry) (*Tailoring, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseTailoring(path, data, reg)
}

// Finding is one resource's verdict with its check's description.
type Finding struct {
	check.Result
	Title       string   `json:"title"`
	Severity    string   `json:"severity"`
	Remediation string   `json:"remediation,omitempty"`
	Controls    []string `json:"controls,omitempty"`
	Criteria    []string `json:"criteria,omitempty"`
	File        string   `json:"-"`
}

// Report is one scan.
type Report struct {
	Host       map[string]any            `json:"host"`
	Started    time.Time                 `json:"started"`
	Duration   time.Duration             `json:"duration_ns"`
	Collectors []*collect.Run            `json:"collectors"`
	Findings   []Finding                 `json:"findings"`
	Disabled   map[string]string         `json:"disabled,omitempty"`
	Summary    vigil.ScanSummary         `json:"summary"`
	Inputs     map[string]map[string]any `json:"-"` // normalized collector input, for baselines and evidence
	// Drift since the baseline, when the scan compared with one.
	Baseline *time.Time    `json:"baseline,omitempty"`
	Drift    []drift.Event `json:"drift,omitempty"`
	FIM      *fim.Stats    `json:"fim,omitempty"`
	// Snapshot is this scan's state, when Drift was set: a new baseline.
	Snapshot *drift.Snapshot `json:"-"`
}

// Options configure a scan.
type Options struct {
	Checks     *check.Registry
	Collectors *collect.Registry
	Tailoring  *Tailoring
	// Only limits the scan to checks whose IDs start with one of these.
	Only []string
	// Progress, when set, is told as each collector finishes.
	Progress func(done, total int)
	Host     map[string]any
	// AllCollectors runs every collector, not only those the selected
	// checks read (a baseline records them all).
	AllCollectors bool
	// Select, when set, runs only the checks it accepts (an agent runs
	// each check when its interval is due).
	Select func(*check.Check) bool
	// Drift, when set, also records the host's state (every collector's
	// input and the watched files' hashes) and compares it with a baseline;
	// the changes become the input of the host.drift checks.
	Drift *DriftOptions
	// Runs are collector runs made beforehand (see RunCollectors); the
	// collectors they cover are not run again.
	Runs map[string]*collect.Run
}

// Run collects what the selected checks need and runs them.
func Run(ctx context.Context, o Options) *Report {
	rep := &Report{Started: time.Now(), Host: o.Host, Inputs: map[string]map[string]any{}}
	tail := o.Tailoring
	if tail == nil {
		tail = &Tailoring{}
	}
	var checks []*check.Check
	need := map[string]bool{}
	for _, c := range o.Checks.Checks() {
		if len(o.Only) > 0 && !slices.ContainsFunc(o.Only, func(p string) bool { return strings.HasPrefix(c.ID, p) }) {
			continue
		}
		if o.Select != nil && !o.Select(c) {
			continue
		}
		if why, off := tail.Disable[c.ID]; off {
			if rep.Disabled == nil {
				rep.Disabled = map[string]string{}
			}
			rep.Disabled[c.ID] = why
			continue
		}
		checks = append(checks, c)
		need[c.Collector] = true
	}
	if o.AllCollectors {
		for _, n := range o.Collectors.Names() {
			need[n] = true
		}
	}
	if o.Drift != nil {
		// A snapshot reads every collector but the file-system walk, which
		// it does not record (file integrity hashes its own paths), so
		// checks with an interval keep their pace.
		for _, n := range o.Collectors.Names() {
			if n != "host.walk" {
				need[n] = true
			}
		}
	}
	names := make([]string, 0, len(need))
	for n := range need {
		names = append(names, n)
	}
	sort.Strings(names)
	var missing []string
	for _, n := range names {
		if o.Runs[n] == nil {
			missing = append(missing, n)
		}
	}
	runs := RunCollectors(ctx, o.Collectors, missing, o.Progress)
	for n, r := range o.Runs {
		runs[n] = r
		// The scan began when its first collector did, even one run
		// beforehand (a full scan starts them while compiling checks):
		// started and duration cover the whole scan.
		if !r.Started.IsZero() && r.Started.Before(rep.Started) {
			rep.Started = r.Started
		}
	}
	for _, n := range names {
		if runs[n].Err == "" {
			rep.Inputs[n] = runs[n].Input
		}
	}
	for _, n := range names {
		rep.Collectors = append(rep.Collectors, runs[n])
	}
	if o.Drift != nil {
		runs["host.drift"] = o.Drift.run(rep)
		rep.Inputs["host.drift"] = runs["host.drift"].Input
		for i, c := range rep.Collectors {
			if c.Collector == "host.drift" {
				rep.Collectors[i] = runs["host.drift"]
			}
		}
	}
	for _, c := range checks {
		run := runs[c.Collector]
		var results []check.Result
		if run.Err != "" {
			results = []check.Result{{CheckID: c.ID, Resource: "*", Verdict: check.Error, Reason: "collector " + c.Collector + " failed: " + run.Err}}
		} else {
			results = c.Run(run.Input, tail.Params[c.ID])
		}
		for _, r := range results {
			rep.Findings = append(rep.Findings, Finding{Result: r, Title: c.Title, Severity: c.Severity,
				Remediation: c.Remediation, Controls: c.Controls, Criteria: c.Criteria, File: c.File})
		}
	}
	rep.Summary = summarize(rep.Findings)
	rep.Summary.Disabled = len(rep.Disabled)
	rep.Duration = time.Since(rep.Started)
	return rep
}

// RunCollectors runs the named collectors in parallel, telling progress
// (when set) as each one finishes.
func RunCollectors(ctx context.Context, reg *collect.Registry, names []string, progress func(int, int)) map[string]*collect.Run {
	if len(names) == 0 {
		return map[string]*collect.Run{}
	}
	if progress == nil {
		return reg.RunAll(ctx, names, runtime.NumCPU()*2)
	}
	// One at a time through RunAll per name would lose the parallelism;
	// run them all and report as each one lands.
	out := map[string]*collect.Run{}
	type done struct {
		name string
		run  *collect.Run
	}
	ch := make(chan done, len(names))
	sem := make(chan struct{}, runtime.NumCPU()*2)
	for _, n := range names {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ch <- done{n, reg.RunAll(ctx, []string{n}, 1)[n]}
		}()
	}
	for i := range names {
		d := <-ch
		out[d.name] = d.run
		progress(i+1, len(names))
	}
	return out
}

func summarize(fs []Finding) vigil.ScanSummary {
	var s vigil.ScanSummary
	checks := map[string]bool{}
	failing := map[string]bool{}
	unjudged := map[string]bool{}
	for _, f := range fs {
		checks[f.CheckID] = true
		s.Resources++
		switch f.Verdict {
		case check.Pass:
			s.Pass++
		case check.Fail:
			s.Fail++
			failing[f.CheckID] = true
		case check.Error:
			s.Error++
			unjudged[f.CheckID] = true
		case check.Skip:
			s.Skip++
		case check.NotApplicable:
			s.NotApplicable++
		}
	}
	s.Checks, s.ChecksFailing, s.ChecksUnjudged = len(checks), len(failing), len(unjudged)
	return s
}

// SeverityRank orders severities; unknown ones rank highest so that a
// typo in a custom check never hides it from --fail-on.
func SeverityRank(s string) int {
	if i := slices.Index(check.Severities, s); i >= 0 {
		return i
	}
	return len(check.Severities)
}

// FailsAt reports whether any check of at least severity min failed.
func (r *Report) FailsAt(min string) bool {
	for _, f := range r.Findings {
		if f.Verdict == check.Fail && SeverityRank(f.Severity) >= SeverityRank(min) {
			return true
		}
	}
	return false
}

// DriftOptions configure the drift step of a scan.
type DriftOptions struct {
	// Baseline to compare with; nil records a first one (rep.Snapshot).
	Baseline *drift.Snapshot
	Host     *host.Host
	// Paths watched by file integrity when recording a baseline (a
	// comparison watches the baseline's own).
	Paths []string
	// Full re-hashes every watched file; otherwise only those whose stat
	// changed since the baseline.
	Full bool
	// Err is why the baseline could not be read: the drift checks say so
	// (an unreadable baseline must not look like "no drift").
	Err string
}

// run takes the snapshot and compares it: the host.drift collector's run.
func (d *DriftOptions) run(rep *Report) *collect.Run {
	run := &collect.Run{Collector: "host.drift", Started: time.Now()}
	fo := fim.Options{Paths: d.Paths}
	if d.Baseline != nil && d.Baseline.Files != nil {
		fo.Paths = d.Baseline.Files.Paths
		if !d.Full {
			fo.Previous = d.Baseline.Files
		}
	}
	inputs := make(map[string]map[string]any, len(rep.Inputs))
	for k, v := range rep.Inputs {
		if k != "host.drift" {
			inputs[k] = v
		}
	}
	files, st, ferr := fim.Build(d.Host, fo)
	rep.FIM = &st
	rep.Snapshot = drift.Take(d.Host.Info(), inputs, files)
	rep.Snapshot.FilesErr = ferr
	in := map[string]any{"configured": d.Baseline != nil || d.Err != "", "events": []any{}}
	if d.Err != "" {
		in["error"] = d.Err
	}
	if ferr != nil {
		in["fim_error"] = ferr.Error()
	} else if st.Incomplete {
		in["fim_error"] = "the file integrity walk stopped at its limit; file changes are incomplete"
	} else if len(st.Unreachable) > 0 {
		in["fim_error"] = fmt.Sprintf("%d watched directories could not be read (e.g. %s)", len(st.Unreachable), st.Unreachable[0])
	}
	// A collector that failed (or could not read its source) leaves its
	// aspects out of the snapshot, and a comparison skips aspects it does
	// not have: an aspect the baseline has and this scan lacks is unknown,
	// which must not pass as "no drift".
	if d.Baseline != nil {
		var missing []string
		for aspect := range d.Baseline.State {
			if _, ok := rep.Snapshot.State[aspect]; !ok {
				missing = append(missing, aspect)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			var failed []string
			for _, c := range rep.Collectors {
				if c.Err != "" {
					failed = append(failed, c.Collector+": "+c.Err)
				}
			}
			msg := "drift cannot be judged: this scan could not read " + strings.Join(missing, ", ") + ", which the baseline has"
			if len(failed) > 0 {
				msg += " (" + strings.Join(failed, "; ") + ")"
			}
			in["error"] = msg
		}
	}
	if d.Baseline != nil {
		taken := d.Baseline.Taken
		rep.Baseline = &taken
		var derr error
		rep.Drift, derr = drift.Diff(d.Baseline, rep.Snapshot)
		if derr != nil {
			in["fim_error"] = "file changes cannot be judged: " + derr.Error()
		}
		in["baseline_taken"] = taken.Format(time.RFC3339)
		events := make([]any, 0, len(rep.Drift))
		for _, e := range rep.Drift {
			events = append(events, map[string]any{"id": e.Aspect + ":" + e.Key, "aspect": e.Aspect, "key": e.Key, "change": e.Change,
				"from": e.From, "to": e.To, "first_seen": e.FirstSeen.UTC().Format(time.RFC3339)})
		}
		in["events"] = events
	}
	in["host"] = d.Host.Info()
	run.Input, run.Duration = in, time.Since(run.Started)
	return run
}

// UnjudgedAt counts the checks of at least severity min that could not be
// judged (an error on any resource).
func (r *Report) UnjudgedAt(min string) int {
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if f.Verdict == check.Error && SeverityRank(f.Severity) >= SeverityRank(min) {
			seen[f.CheckID] = true
		}
	}
	return len(seen)
}

// HostCheck selects the checks a host scan runs: those reading host
// collectors (integrations' checks run on the server).
func HostCheck(c *check.Check) bool { return strings.HasPrefix(c.Collector, "host.") }
