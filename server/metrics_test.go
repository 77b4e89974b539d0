package server_test

import (
	"bufio"
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/readiness"
	"github.com/vigil-soc/vigil/server"
)

// countingSource is a signal source that counts how often readiness asks
// it for signals; its version never changes.
type countingSource struct{ calls atomic.Int64 }

func (c *countingSource) Name() string { return "counting" }
func (c *countingSource) Signals(context.Context) (map[string][]vigil.Signal, error) {
	c.calls.Add(1)
	return nil, nil
}
func (c *countingSource) Version(context.Context) (string, error) { return "1", nil }

var gauges = map[string]bool{"vigil_readiness_percent": true, "vigil_readiness_progress_percent": true, "vigil_controls": true,
	"vigil_controls_not_shown": true, "vigil_controls_without_owner": true, "vigil_failing_checks": true, "vigil_failing_check_results": true,
	"vigil_agents_stale": true, "vigil_integration_runs_failed": true, "vigil_integration_last_run_failed": true, "vigil_metrics_source_up": true}

// scrape reads /metrics into series (name with labels) => value, checking
// that every series follows a HELP and a TYPE line of its family.
func (e *env) scrape() (map[string]float64, string) {
	e.t.Helper()
	status, b := e.raw("", "GET", "/metrics", nil, nil)
	if status != 200 {
		e.t.Fatalf("/metrics: %d %s", status, b)
	}
	out := map[string]float64{}
	help, typ := map[string]bool{}, map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		line := sc.Text()
		if f, ok := strings.CutPrefix(line, "# HELP "); ok {
			name, _, _ := strings.Cut(f, " ")
			help[name] = true
			continue
		}
		if f, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, t, _ := strings.Cut(f, " ")
			typ[name] = t
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			e.t.Fatalf("malformed line %q", line)
		}
		series := line[:i]
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			e.t.Fatalf("value of %q: %v", line, err)
		}
		family, _, _ := strings.Cut(series, "{")
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(family, "_bucket"), "_sum"), "_count")
		if !help[family] && !help[base] || typ[family] == "" && typ[base] == "" {
			e.t.Fatalf("series %s has no HELP and TYPE lines", series)
		}
		if gauges[family] && typ[family] != "gauge" {
			e.t.Fatalf("%s is a %q, want a gauge", family, typ[family])
		}
		out[series] = v
	}
	return out, string(b)
}

// TestMetricsGauges plants a failing high-severity check, a stale host and
// a failed integration run, and reads them back from /metrics next to the
// readiness figures, which come from the readiness cache.
func TestMetricsGauges(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) { metricsGauges(t, engine) })
	}
}

func metricsGauges(t *testing.T, engine string) {
	counter := &countingSource{}
	e := newEnv(t, engine, func(c *server.Config) { c.Sources = append(c.Sources, counter) })
	e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"AC-09", "AC-11", "VU-04", "GV-05"}}, 200, nil)
	e.do("admin", "PATCH", "/api/v1/controls/GV-05", map[string]any{"status": "not_applicable", "justification": "no vendors"}, 200, nil)

	// Nothing planted yet: zeros, present so alerts see "none".
	m, _ := e.scrape()
	for _, s := range []string{`vigil_failing_checks{severity="high"}`, `vigil_agents_stale{kind="host"}`} {
		if v, ok := m[s]; !ok || v != 0 {
			t.Fatalf("%s before anything: %v %v", s, v, ok)
		}
	}

	// web-1 reports PermitRootLogin yes (high) now; web-2 reported two
	// hours ago on a five-minute interval, so it is stale.
	e.enrolAgent("web-1")
	e.enrolAgent("web-2")
	now := time.Now().UTC().Truncate(time.Second)
	e.report("web-1", agentReport{Seq: 1, ScannedAt: now, Full: true, Results: []vigil.CheckResult{
		{CheckID: checkRootLogin, Resource: "/etc/ssh/sshd_config", Verdict: "fail", Reason: "PermitRootLogin yes"},
		{CheckID: checkEmptyPass, Resource: "root", Verdict: "pass"},
	}}, 202)
	e.report("web-2", agentReport{Seq: 1, ScannedAt: now.Add(-2 * time.Hour), Full: true, Results: []vigil.CheckResult{
		{CheckID: checkEmptyPass, Resource: "root", Verdict: "fail", Reason: "root has an empty password"},
	}}, 202)
	// An integration whose run fails: its repository is not one.
	var x vigil.Integration
	e.do("admin", "POST", "/api/v1/integrations", map[string]any{"kind": "git", "name": "secret-project", "config": map[string]any{"repo": t.TempDir()}, "interval_seconds": 3600}, 201, &x)
	status, _ := e.raw("admin", "POST", "/api/v1/integrations/1/run", nil, nil)
	e.do("viewer", "GET", "/api/v1/integrations/1", nil, 200, &x)
	if x.LastStatus != "error" {
		t.Fatalf("the planted integration run did not fail (%d): %+v", status, x)
	}

	var rep readiness.Report
	e.do("viewer", "GET", "/api/v1/readiness", nil, 200, &rep)
	calls := counter.calls.Load()
	m, text := e.scrape()
	m2, _ := e.scrape()
	if n := counter.calls.Load(); n != calls {
		t.Fatalf("scraping recomputed readiness %d time(s) with nothing changed", n-calls)
	}
	want := map[string]float64{
		"vigil_readiness_percent":                              rep.Overall.Percent,
		"vigil_readiness_progress_percent":                     rep.Progress.Percent,
		`vigil_controls{health="healthy"}`:                     float64(rep.Controls.Healthy),
		`vigil_controls{health="failing"}`:                     float64(rep.Controls.Failing),
		`vigil_controls{health="unknown"}`:                     float64(rep.Controls.Unknown),
		`vigil_controls{health="not_applicable"}`:              1,
		`vigil_controls{health="at_risk"}`:                     float64(rep.Controls.AtRisk),
		"vigil_controls_without_owner":                         float64(rep.Controls.WithoutOwner),
		`vigil_failing_checks{severity="high"}`:                1, // web-1's root login
		`vigil_failing_checks{severity="critical"}`:            0,
		`vigil_agents_stale{kind="host"}`:                      1, // web-2
		`vigil_integration_runs_failed{kind="git"}`:            1,
		`vigil_integration_last_run_failed{id="1",kind="git"}`: 1,
		`vigil_metrics_source_up{source="readiness"}`:          1,
		`vigil_metrics_source_up{source="checks"}`:             1,
		`vigil_metrics_source_up{source="store"}`:              1,
	}
	if rep.Controls.Failing == 0 {
		t.Fatalf("the failing check failed no control: %+v", rep.Controls)
	}
	for s, v := range want {
		if got, ok := m[s]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", s, got, ok, v)
		}
		if m2[s] != m[s] {
			t.Errorf("%s changed between scrapes", s)
		}
	}
	// web-2's failure is of a stale host: unknown, not failing.
	if sev := m[`vigil_failing_checks{severity="critical"}`] + m[`vigil_failing_checks{severity="medium"}`]; sev != 0 {
		t.Errorf("a stale host's failure counted as failing: %v", sev)
	}
	// /metrics may be public: no names of people, hosts or
	// integrations, and nothing of an integration's error.
	for _, leak := range []string{"Olive", "owner@acme.test", "web-1", "web-2", "acme.test", "secret-project", "PermitRootLogin", x.LastError} {
		if leak != "" && strings.Contains(text, leak) {
			t.Errorf("/metrics shows %q", leak)
		}
	}

	// A change shows at the next scrape: the integration is disabled,
	// and no longer counted.
	e.do("admin", "PUT", "/api/v1/integrations/1", map[string]any{"kind": "git", "name": "secret-project", "config": map[string]any{"repo": t.TempDir()}, "interval_seconds": 3600, "enabled": false}, 200, nil)
	m, _ = e.scrape()
	if v, ok := m[`vigil_integration_runs_failed{kind="git"}`]; ok && v != 0 {
		t.Errorf("a disabled integration's failed run is still counted: %v", v)
	}
}
