package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/vigil-soc/vigil/check"
)

// metrics keeps request counts and latency histograms per route, written in
// the Prometheus text format. A handful of series does not justify the
// client library and its dependencies.
type metrics struct {
	mu       sync.Mutex
	requests map[reqKey]uint64
	hist     map[string]*histogram
	started  time.Time
}

type reqKey struct {
	route string
	code  int
}

var buckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

type histogram struct {
	counts []uint64 // per bucket, then +Inf
	sum    float64
	n      uint64
}

func newMetrics() *metrics {
	return &metrics{requests: map[reqKey]uint64{}, hist: map[string]*histogram{}, started: time.Now()}
}

func (m *metrics) observe(route string, code int, d time.Duration) {
	if code == 0 {
		code = http.StatusOK
	}
	sec := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[reqKey{route, code}]++
	h := m.hist[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(buckets)+1)}
		m.hist[route] = h
	}
	i := sort.SearchFloat64s(buckets, sec)
	h.counts[i]++
	h.sum += sec
	h.n++
}

func (m *metrics) write(w io.Writer, version string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintf(w, "# HELP vigil_build_info Build information.\n# TYPE vigil_build_info gauge\nvigil_build_info{version=%q,go=%q} 1\n", version, runtime.Version())
	fmt.Fprintf(w, "# HELP vigil_uptime_seconds Seconds since the server started.\n# TYPE vigil_uptime_seconds gauge\nvigil_uptime_seconds %.0f\n", time.Since(m.started).Seconds())
	fmt.Fprintf(w, "# HELP go_goroutines Number of goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines %d\n", runtime.NumGoroutine())
	keys := make([]reqKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].route != keys[j].route {
			return keys[i].route < keys[j].route
		}
		return keys[i].code < keys[j].code
	})
	fmt.Fprint(w, "# HELP vigil_http_requests_total HTTP requests by route and status.\n# TYPE vigil_http_requests_total counter\n")
	for _, k := range keys {
		fmt.Fprintf(w, "vigil_http_requests_total{route=%q,code=\"%d\"} %d\n", k.route, k.code, m.requests[k])
	}
	routes := make([]string, 0, len(m.hist))
	for r := range m.hist {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	fmt.Fprint(w, "# HELP vigil_http_request_duration_seconds HTTP request latency by route.\n# TYPE vigil_http_request_duration_seconds histogram\n")
	for _, r := range routes {
		h := m.hist[r]
		var cum uint64
		for i, b := range buckets {
			cum += h.counts[i]
			fmt.Fprintf(w, "vigil_http_request_duration_seconds_bucket{route=%q,le=%q} %d\n", r, strconv.FormatFloat(b, 'g', -1, 64), cum)
		}
		fmt.Fprintf(w, "vigil_http_request_duration_seconds_bucket{route=%q,le=\"+Inf\"} %d\n", r, h.n)
		fmt.Fprintf(w, "vigil_http_request_duration_seconds_sum{route=%q} %g\n", r, h.sum)
		fmt.Fprintf(w, "vigil_http_request_duration_seconds_count{route=%q} %d\n", r, h.n)
	}
}

// writeGauges writes the program's state as gauges for dashboards and
// alerts: readiness and control health from the cached readiness report (a
// scrape recomputes only what a change made stale, as any reader would),
// failing checks by severity, stale agents and integrations whose last run
// failed, from small aggregate queries. Labels carry no person's or host's
// name and no secret: /metrics may be public.
func (s *Server) writeGauges(ctx context.Context, w io.Writer) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	gauge := func(name, help string) { fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name) }
	// A part that cannot be read is left out and says so here, so that an
	// alert on its gauges can tell "none" from "unknown".
	up := map[string]bool{}

	rep, err := s.Readiness(ctx)
	up["readiness"] = err == nil
	if err != nil {
		s.log.Warn("metrics: readiness", "err", err)
	} else {
		gauge("vigil_readiness_percent", "SOC 2 readiness: share of in-scope criteria that are ready (the strict figure).")
		fmt.Fprintf(w, "vigil_readiness_percent %g\n", rep.Overall.Percent)
		gauge("vigil_readiness_progress_percent", "Progress: share of applicable controls covering in-scope criteria that are healthy.")
		fmt.Fprintf(w, "vigil_readiness_progress_percent %g\n", rep.Progress.Percent)
		gauge("vigil_controls", "Controls by computed health.")
		c := rep.Controls
		for _, h := range []struct {
			state string
			n     int
		}{{"healthy", c.Healthy}, {"at_risk", c.AtRisk}, {"failing", c.Failing}, {"unknown", c.Unknown}, {"not_applicable", c.NotApplicable}} {
			fmt.Fprintf(w, "vigil_controls{health=%q} %d\n", h.state, h.n)
		}
		gauge("vigil_controls_not_shown", "Controls with nothing showing them operating yet (part of the unknown).")
		fmt.Fprintf(w, "vigil_controls_not_shown %d\n", c.NotShown)
		gauge("vigil_controls_without_owner", "Applicable controls without an owner.")
		fmt.Fprintf(w, "vigil_controls_without_owner %d\n", c.WithoutOwner)
	}

	if s.monitor != nil {
		fleet, err := s.monitor.Fleet(ctx)
		up["checks"] = err == nil
		if err != nil {
			s.log.Warn("metrics: fleet", "err", err)
		} else {
			sev := map[string]string{}
			if s.monitor.Checks != nil {
				for _, c := range s.monitor.Checks.Checks() {
					sev[c.ID] = c.Severity
				}
			}
			checks, hosts := map[string]int{}, map[string]int{}
			for _, f := range fleet {
				// Through the monitor, so failures an approved exception
				// covers are not counted: they would page someone forever.
				if f.Fail > 0 {
					checks[sev[f.CheckID]]++
					hosts[sev[f.CheckID]] += f.Fail
				}
			}
			gauge("vigil_failing_checks", "Checks failing on at least one reporting host or integration, by severity (excepted failures not counted).")
			for _, v := range check.Severities {
				fmt.Fprintf(w, "vigil_failing_checks{severity=%q} %d\n", v, checks[v])
			}
			gauge("vigil_failing_check_results", "Hosts or integrations failing a check, summed over checks, by severity.")
			for _, v := range check.Severities {
				fmt.Fprintf(w, "vigil_failing_check_results{severity=%q} %d\n", v, hosts[v])
			}
		}
	}

	ops, err := s.store.OpsCounts(ctx, s.now())
	up["store"] = err == nil
	if err != nil {
		s.log.Warn("metrics: counts", "err", err)
	} else {
		gauge("vigil_agents_stale", "Agents whose results are unknown because they stopped reporting (or never did), by kind; revoked agents and disabled integrations left out.")
		for _, kind := range []string{"host", "integration"} {
			fmt.Fprintf(w, "vigil_agents_stale{kind=%q} %d\n", kind, ops.StaleAgents[kind])
		}
		failed := map[string]int{}
		for _, x := range ops.Integrations {
			failed[x.Kind] += 0 // every configured kind has a series, 0 or not
			if x.Failed {
				failed[x.Kind]++
			}
		}
		kinds := make([]string, 0, len(failed))
		for k := range failed {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		gauge("vigil_integration_runs_failed", "Enabled integrations whose last run ended in an error, by kind.")
		for _, k := range kinds {
			fmt.Fprintf(w, "vigil_integration_runs_failed{kind=%q} %d\n", k, failed[k])
		}
		gauge("vigil_integration_last_run_failed", "1 when an enabled integration's last run ended in an error, by integration id and kind.")
		for _, x := range ops.Integrations {
			v := 0
			if x.Failed {
				v = 1
			}
			fmt.Fprintf(w, "vigil_integration_last_run_failed{id=\"%d\",kind=%q} %d\n", x.ID, x.Kind, v)
		}
	}

	gauge("vigil_metrics_source_up", "1 when the part of the state behind a group of gauges could be read for this scrape.")
	parts := make([]string, 0, len(up))
	for k := range up {
		parts = append(parts, k)
	}
	sort.Strings(parts)
	for _, k := range parts {
		v := 0
		if up[k] {
			v = 1
		}
		fmt.Fprintf(w, "vigil_metrics_source_up{source=%q} %d\n", k, v)
	}
}
