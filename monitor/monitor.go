// Package monitor is the server side of continuous monitoring: agents
// enrol with a one-time token and report check results, which become
// transitions and current state; readiness gets control-health signals
// from them; and history answers, for any window, when each check,
// resource and control was passing, failing or unknown.
package monitor

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/check"
	"github.com/vigil-soc/vigil/store"
)

// Service is the monitoring service.
type Service struct {
	Store  *store.Store
	Checks *check.Registry
	Now    func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Credentials are random and long, so a SHA-256 of them is a safe lookup
// key (no salt or slow hash needed, unlike passwords).
func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func newSecret(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// CreateEnrolment makes a one-time token valid for ttl.
func (s *Service) CreateEnrolment(ctx context.Context, name string, ttl time.Duration) (*vigil.Enrolment, error) {
	return s.createEnrolment(ctx, name, nil, ttl)
}

func (s *Service) createEnrolment(ctx context.Context, name string, labels map[string]string, ttl time.Duration) (*vigil.Enrolment, error) {
	if ttl <= 0 || ttl > 30*24*time.Hour {
		return nil, &vigil.Error{Code: vigil.EINVALID, Field: "ttl_hours", Message: "an enrolment token lives between 1 hour and 30 days"}
	}
	if len(name) > 200 || strings.ContainsAny(name, "\x00\n\r") {
		return nil, &vigil.Error{Code: vigil.EINVALID, Field: "name", Message: "the name must be one line of at most 200 characters"}
	}
	tok := newSecret("vge_")
	exp := s.now().UTC().Add(ttl).Truncate(time.Second)
	id, err := s.Store.CreateLabelledEnrolment(ctx, name, labels, hashSecret(tok), exp)
	if err != nil {
		return nil, err
	}
	return &vigil.Enrolment{ID: id, Token: tok, Name: name, Expires: exp, Labels: labels}, nil
}

// Enrol spends a token and returns the new agent with its credential,
// shown this once.
func (s *Service) Enrol(ctx context.Context, token string, info vigil.HostInfo) (*vigil.Agent, string, error) {
	if err := info.Validate(); err != nil {
		return nil, "", err
	}
	if !strings.HasPrefix(token, "vge_") {
		return nil, "", vigil.Errorf(vigil.EUNAUTHORIZED, "the enrolment token is not valid")
	}
	secret := newSecret("vga_")
	a := &vigil.Agent{Hostname: info.Hostname, OS: info.OS, Kernel: info.Kernel, Version: info.Version, Interval: info.Interval}
	if err := s.Store.Enrol(ctx, hashSecret(token), a, hashSecret(secret)); err != nil {
		return nil, "", err
	}
	return a, secret, nil
}

// Authenticate finds the agent behind a credential; revoked agents are
// refused.
func (s *Service) Authenticate(ctx context.Context, credential string) (*vigil.Agent, error) {
	if !strings.HasPrefix(credential, "vga_") {
		return nil, vigil.Errorf(vigil.EUNAUTHORIZED, "an agent credential (vga_...) is required")
	}
	a, err := s.Store.AgentBySecret(ctx, hashSecret(credential))
	if err != nil {
		return nil, err
	}
	if a.RevokedAt != nil {
		return nil, vigil.Errorf(vigil.EFORBIDDEN, "this agent was revoked at %s; enrol it again", a.RevokedAt.Format(time.RFC3339))
	}
	return a, nil
}

// Ingest validates and stores an agent's report.
func (s *Service) Ingest(ctx context.Context, a *vigil.Agent, r *vigil.AgentReport) error {
	if err := r.Validate(); err != nil {
		return err
	}
	return s.Store.IngestReport(ctx, a.ID, r)
}

// Name is the signal source's name.
func (s *Service) Name() string { return "monitoring" }

// Version changes when results change, and every minute (agents go stale
// with time). Exceptions are written to the activity log, whose head is
// part of the store's version; one that runs out changes nothing in the
// database, so the count of expired ones is part of it too: an expired
// exception fails again at once, not at the next minute.
func (s *Service) Version(ctx context.Context) (string, error) {
	now := s.now()
	v, err := s.Store.MonitorVersion(ctx)
	if err != nil {
		return "", err
	}
	n, err := s.Store.ExpiredExceptions(ctx, now)
	return v + "." + strconv.FormatInt(n, 10) + "@" + now.UTC().Format("2006-01-02T15:04"), err
}

// Signals: for each control that checks map to, one signal saying whether
// its checks pass on every reporting host; failing resources are the
// reasons. A host that stopped reporting makes its results unknown.
func (s *Service) Signals(ctx context.Context) (map[string][]vigil.Signal, error) {
	agents, err := s.Store.Agents(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	live := map[int64]*vigil.Agent{}
	now := s.now()
	for i := range agents {
		if agents[i].RevokedAt == nil {
			live[agents[i].ID] = &agents[i]
		}
	}
	if len(live) == 0 {
		return map[string][]vigil.Signal{}, nil
	}
	results, err := s.Store.CurrentResults(ctx, 0, "")
	if err != nil {
		return nil, err
	}
	controlsOf := map[string][]string{}
	for _, c := range s.Checks.Checks() {
		controlsOf[c.ID] = c.Controls
	}
	type agg struct {
		pass                                int
		fails, errors, unapproved, accepted []string
		stale                               map[string]bool
		at                                  time.Time
	}
	excepted, err := s.ActiveExceptions(ctx)
	if err != nil {
		return nil, err
	}
	per := map[string]*agg{}
	// A check a host turns off without the server's approval leaves the
	// controls it tests unknown: a host cannot hide a failure by
	// tailoring it away.
	off, err := s.Store.UnapprovedTailoring(ctx)
	if err != nil {
		return nil, err
	}
	for id, checks := range off {
		a := live[id]
		if a == nil {
			continue
		}
		for check, why := range checks {
			for _, ctl := range controlsOf[check] {
				g := per[ctl]
				if g == nil {
					g = &agg{stale: map[string]bool{}}
					per[ctl] = g
				}
				g.unapproved = append(g.unapproved, fmt.Sprintf("%s on %s (%q)", check, a.Name, why))
				if a.LastSeen != nil && a.LastSeen.After(g.at) {
					g.at = *a.LastSeen
				}
			}
		}
	}
	for _, r := range results {
		a := live[r.AgentID]
		if a == nil {
			continue
		}
		for _, ctl := range controlsOf[r.CheckID] {
			g := per[ctl]
			if g == nil {
				g = &agg{stale: map[string]bool{}}
				per[ctl] = g
			}
			if r.Since.After(g.at) {
				g.at = r.Since
			}
			if a.Stale(now) {
				g.stale[a.Name] = true
				continue
			}
			switch r.Verdict {
			case "pass":
				g.pass++
			case "fail":
				// Only a failure is ever excepted, and only on a host that
				// reports on schedule (stale ones were handled above).
				switch x := excepted.Cover(r.CheckID, a); {
				case x == nil:
					g.fails = append(g.fails, fmt.Sprintf("%s on %s: %s (%s)", r.CheckID, a.Name, r.Resource, r.Reason))
				case x.Kind == vigil.ExceptionRiskAccepted:
					g.accepted = append(g.accepted, fmt.Sprintf("%s on %s: %s under %s", r.CheckID, a.Name, r.Resource, x.Describe()))
				}
				// Not applicable: the resource is not counted.
			case "error":
				g.errors = append(g.errors, fmt.Sprintf("%s on %s could not be judged: %s", r.CheckID, a.Name, r.Reason))
			}
		}
	}
	out := map[string][]vigil.Signal{}
	for ctl, g := range per {
		sig := vigil.Signal{ControlID: ctl, Source: "test", At: g.at}
		switch {
		case len(g.fails) > 0:
			sig.Status, sig.Reason = vigil.SignalFail, summarize(len(g.fails), "failing", g.fails)
		case len(g.errors) > 0:
			sig.Status, sig.Reason = vigil.SignalUnknown, summarize(len(g.errors), "unjudged", g.errors)
		case len(g.unapproved) > 0:
			sort.Strings(g.unapproved)
			sig.Status, sig.Reason = vigil.SignalUnknown, "turned off by a host's tailoring without approval: "+strings.Join(g.unapproved[:min(3, len(g.unapproved))], "; ")
			if n := len(g.unapproved); n > 3 {
				sig.Reason += fmt.Sprintf(" and %d more", n-3)
			}
		case len(g.stale) > 0:
			names := make([]string, 0, len(g.stale))
			for n := range g.stale {
				names = append(names, n)
			}
			sort.Strings(names)
			sig.Status, sig.Reason = vigil.SignalUnknown, "hosts stopped reporting: "+strings.Join(names, ", ")
		case len(g.accepted) > 0:
			// Accepted risk is not a pass: the control warns, naming the
			// exception and when it runs out. Only the results that pass
			// show the control operating.
			sig.Status, sig.Reason = vigil.SignalWarn, summarize(len(g.accepted), "failing with the risk accepted", g.accepted)
			sig.Operating = g.pass > 0
		case g.pass > 0:
			// Passing tests are what shows a continuous control operating.
			sig.Status, sig.Reason, sig.Operating = vigil.SignalOK, fmt.Sprintf("%d automated test results pass", g.pass), true
		default:
			continue // only not-applicable results: no statement
		}
		if len(g.accepted) > 0 && sig.Status != vigil.SignalWarn {
			// The excepted failures are named beside a worse state too:
			// the reader sees the whole picture, not only what is left.
			sig.Reason += "; also " + summarize(len(g.accepted), "failing with the risk accepted", g.accepted)
		}
		out[ctl] = append(out[ctl], sig)
	}
	return out, nil
}

func summarize(n int, what string, items []string) string {
	sort.Strings(items)
	if len(items) > 3 {
		return fmt.Sprintf("%d %s results, e.g. %s", n, what, strings.Join(items[:3], "; "))
	}
	return fmt.Sprintf("%d %s: %s", n, what, strings.Join(items, "; "))
}

// History is an agent's history in [from, to): per check and resource the
// intervals passing, failing, unknown (including any time the host did not
// report on schedule), and the time each failure took to fix.
func (s *Service) History(ctx context.Context, agentID int64, checkID string, from, to time.Time) ([]vigil.CheckHistory, error) {
	if !from.Before(to) {
		return nil, &vigil.Error{Code: vigil.EINVALID, Field: "from", Message: "from must be before to"}
	}
	a, err := s.Store.Agent(ctx, agentID)
	if err != nil {
		return nil, err
	}
	ts, err := s.Store.Transitions(ctx, agentID, checkID, to)
	if err != nil {
		return nil, err
	}
	cov, err := s.Store.Coverage(ctx, agentID)
	if err != nil {
		return nil, err
	}
	byKey := map[[2]string][]vigil.Transition{}
	var keys [][2]string
	for _, t := range ts {
		k := [2]string{t.CheckID, t.Resource}
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], t)
	}
	var out []vigil.CheckHistory
	var cur *vigil.CheckHistory
	var parts [][]vigil.Interval
	flush := func() {
		if cur != nil {
			cur.Intervals = vigil.Combine(from, to, parts...)
			cur.Share = vigil.Share(cur.Intervals)
			out = append(out, *cur)
		}
	}
	for _, k := range keys {
		if cur == nil || cur.CheckID != k[0] {
			flush()
			cur, parts = &vigil.CheckHistory{CheckID: k[0]}, nil
		}
		ivs := vigil.ResultIntervals(byKey[k], cov, a.Grace(), from, to)
		rh := vigil.ResultHistory{CheckID: k[0], Resource: k[1], Intervals: ivs}
		// The fixes in the window: those of all transitions up to `to`
		// less those already made before `from`.
		kts := byKey[k]
		before := vigil.FixTimes(kts[:sort.Search(len(kts), func(i int) bool { return !kts[i].At.Before(from) })])
		for _, d := range vigil.FixTimes(kts)[len(before):] {
			rh.FixTimes = append(rh.FixTimes, d.Hours())
		}
		cur.Resources = append(cur.Resources, rh)
		parts = append(parts, ivs)
	}
	flush()
	return out, nil
}

// ControlHistory answers, for a window, when the control's automated tests
// were passing, failing or unknown on the hosts that run them. A control
// no check maps to has no automated history (an empty timeline is
// unknown, never passing).
func (s *Service) ControlHistory(ctx context.Context, controlID string, from, to time.Time) (*vigil.ControlHistory, error) {
	if !from.Before(to) {
		return nil, &vigil.Error{Code: vigil.EINVALID, Field: "from", Message: "from must be before to"}
	}
	out := &vigil.ControlHistory{ControlID: controlID, Checks: []string{}, Hosts: []vigil.HostShare{}}
	mapped := map[string]bool{}
	for _, c := range s.Checks.Checks() {
		for _, id := range c.Controls {
			if id == controlID {
				mapped[c.ID] = true
				out.Checks = append(out.Checks, c.ID)
			}
		}
	}
	agents, err := s.Store.Agents(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	// Two queries for the whole fleet: the mapped checks' transitions and
	// every host's coverage.
	ts, err := s.Store.TransitionsForChecks(ctx, out.Checks, to)
	if err != nil {
		return nil, err
	}
	cov, err := s.Store.AllCoverage(ctx)
	if err != nil {
		return nil, err
	}
	byAgent := map[int64][]vigil.Transition{}
	for _, t := range ts {
		byAgent[t.AgentID] = append(byAgent[t.AgentID], t)
	}
	var parts [][]vigil.Interval
	for _, a := range agents {
		mine := byAgent[a.ID]
		if len(mine) == 0 {
			continue
		}
		// Per resource (the transitions come grouped by check and resource).
		var res [][]vigil.Interval
		for i := 0; i < len(mine); {
			j := i
			for j < len(mine) && mine[j].CheckID == mine[i].CheckID && mine[j].Resource == mine[i].Resource {
				j++
			}
			res = append(res, vigil.ResultIntervals(mine[i:j], cov[a.ID], a.Grace(), from, to))
			i = j
		}
		ivs := vigil.Combine(from, to, res...)
		sh := vigil.Share(ivs)
		out.Hosts = append(out.Hosts, vigil.HostShare{AgentID: a.ID, Name: a.Name, Share: sh,
			Passing: 100 * sh[vigil.StatePassing], Failing: 100 * sh[vigil.StateFailing], Unknown: 100 * sh[vigil.StateUnknown]})
		parts = append(parts, ivs)
	}
	out.Intervals = vigil.Combine(from, to, parts...)
	out.Share = vigil.Share(out.Intervals)
	return out, nil
}

// ClipReason shortens a reason to vigil.MaxReasonLen bytes on a character
// boundary.
func ClipReason(s string) string {
	if len(s) <= vigil.MaxReasonLen {
		return s
	}
	i := vigil.MaxReasonLen - 3
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

// MergeResults keeps one result per (check, resource): a check that gives
// one resource two verdicts is judged by the worse, so a failure is never
// hidden behind a pass.
func MergeResults(rs []vigil.CheckResult) []vigil.CheckResult {
	rank := map[string]int{"pass": 0, "not_applicable": 1, "skip": 1, "error": 2, "fail": 3}
	idx := map[[2]string]int{}
	out := rs[:0:0]
	for _, r := range rs {
		k := [2]string{r.CheckID, r.Resource}
		if i, ok := idx[k]; ok {
			if rank[r.Verdict] > rank[out[i].Verdict] {
				out[i] = r
			}
			continue
		}
		idx[k] = len(out)
		out = append(out, r)
	}
	return out
}
