package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/server"
)

// Built-in checks and the controls they map to (checks/linux/*.yaml).
const (
	checkRootLogin = "linux.sshd.permit-root-login"  // AC-11, AC-09, VU-04
	checkEmptyPass = "linux.accounts.empty-password" // AC-04, AC-01
)

type agentReport struct {
	Seq       int64               `json:"seq"`
	ScannedAt time.Time           `json:"scanned_at"`
	Duration  int64               `json:"duration_ms"`
	Host      map[string]any      `json:"host"`
	Full      bool                `json:"full"`
	Results   []vigil.CheckResult `json:"results"`
	Removed   []vigil.CheckResult `json:"removed,omitempty"`
	Disabled  map[string]string   `json:"disabled,omitempty"`
}

func hostInfo(name string) map[string]any {
	return map[string]any{"hostname": name, "os": "debian 12", "kernel": "6.1.0-18-amd64", "agent_version": "1.0.0", "interval_seconds": 300}
}

// enrolAgent makes an enrolment token as admin and enrols a host with it;
// the agent's credential is kept in e.tokens under the host's name.
func (e *env) enrolAgent(host string) (id int64, token string) {
	e.t.Helper()
	var en struct {
		ID      int64     `json:"id"`
		Token   string    `json:"token"`
		Name    string    `json:"name"`
		Expires time.Time `json:"expires_at"`
	}
	e.do("admin", "POST", "/api/v1/agents/enrolments", map[string]any{"name": host, "ttl_hours": 2}, 201, &en)
	if !strings.HasPrefix(en.Token, "vge_") || en.Name != host || time.Until(en.Expires) < 110*time.Minute || time.Until(en.Expires) > 2*time.Hour {
		e.t.Fatalf("enrolment %+v", en)
	}
	var out struct {
		AgentID    int64  `json:"agent_id"`
		Name       string `json:"name"`
		Credential string `json:"credential"`
	}
	e.do("", "POST", "/api/v1/agent/enrol", map[string]any{"token": en.Token, "host": hostInfo(host + ".acme.test")}, 201, &out)
	if out.AgentID == 0 || out.Name != host || !strings.HasPrefix(out.Credential, "vga_") {
		e.t.Fatalf("enrol answer %+v", out)
	}
	e.tokens[host] = out.Credential
	return out.AgentID, en.Token
}

func (e *env) report(agent string, r agentReport, want int) []byte {
	e.t.Helper()
	if r.Host == nil {
		r.Host = hostInfo(agent + ".acme.test")
	}
	return e.do(agent, "POST", "/api/v1/agent/reports", r, want, nil)
}

// stored counts what reports wrote, to show a refused one wrote nothing.
func (e *env) stored(id int64) string {
	e.t.Helper()
	ctx := context.Background()
	runs, err := e.store.Runs(ctx, id, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	ts, err := e.store.Transitions(ctx, id, "", time.Now().Add(time.Hour))
	if err != nil {
		e.t.Fatal(err)
	}
	cur, err := e.store.CurrentResults(ctx, id, "")
	if err != nil {
		e.t.Fatal(err)
	}
	seq, err := e.store.AgentSeq(ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return fmt.Sprintf("runs=%d transitions=%d current=%d seq=%d", len(runs), len(ts), len(cur), seq)
}

type agentRow struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Hostname   string     `json:"hostname"`
	OS         string     `json:"os"`
	Kernel     string     `json:"kernel"`
	Version    string     `json:"agent_version"`
	Interval   int        `json:"interval_seconds"`
	LastSeen   *time.Time `json:"last_seen"`
	LastSeq    int64      `json:"last_seq"`
	RevokedAt  *time.Time `json:"revoked_at"`
	Pass       int        `json:"pass"`
	Fail       int        `json:"fail"`
	Error      int        `json:"error"`
	NA         int        `json:"not_applicable"`
	Stale      bool       `json:"stale"`
	Compliance int        `json:"compliance_percent"`
}

func TestMonitoringFlow(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		// Only managers make enrolment tokens.
		for _, who := range []string{"member", "auditor", "viewer"} {
			e.do(who, "POST", "/api/v1/agents/enrolments", map[string]any{"name": "x"}, 403, nil)
		}
		status, b := e.raw("admin", "POST", "/api/v1/agents/enrolments", strings.NewReader(`{"ttl_hours": 1000}`), nil)
		if _, _, field := apiError(t, b); status != 400 || field != "ttl_hours" {
			t.Fatalf("a 1000-hour token: %d %s", status, b)
		}
		id, token := e.enrolAgent("web-1")
		// The token is spent.
		status, b = e.raw("", "POST", "/api/v1/agent/enrol", strings.NewReader(`{"token":"`+token+`","host":{"hostname":"evil","interval_seconds":300}}`), nil)
		if code, _, _ := apiError(t, b); status != 401 || code != "unauthorized" {
			t.Fatalf("a used enrolment token: %d %s", status, b)
		}
		status, _ = e.raw("", "POST", "/api/v1/agent/enrol", strings.NewReader(`{"token":"vge_made-up","host":{"hostname":"evil","interval_seconds":300}}`), nil)
		if status != 401 {
			t.Fatalf("a made-up enrolment token: %d", status)
		}
		var agents struct{ Items []agentRow }
		e.do("viewer", "GET", "/api/v1/agents", nil, 200, &agents)
		if len(agents.Items) != 1 || agents.Items[0].ID != id || agents.Items[0].LastSeen != nil || !agents.Items[0].Stale || agents.Items[0].Compliance != -1 {
			t.Fatalf("agents before a report: %+v", agents.Items)
		}

		// The agent's state before any report.
		var st struct {
			AgentID int64 `json:"agent_id"`
			Seq     int64 `json:"seq"`
		}
		e.do("web-1", "GET", "/api/v1/agent/state", nil, 200, &st)
		if st.AgentID != id || st.Seq != 0 {
			t.Fatalf("state before a report: %+v", st)
		}
		first := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second) // interval 300 s: grace 11 min
		var acc struct {
			AgentID int64 `json:"agent_id"`
			Seq     int64 `json:"seq"`
		}
		b = e.report("web-1", agentReport{Seq: 1, ScannedAt: first, Duration: 850, Full: true, Results: []vigil.CheckResult{
			{CheckID: checkRootLogin, Resource: "/etc/ssh/sshd_config", Verdict: "pass"},
			{CheckID: checkEmptyPass, Resource: "root", Verdict: "pass"},
			{CheckID: checkEmptyPass, Resource: "deploy", Verdict: "fail", Reason: "deploy has an empty password"},
			{CheckID: "linux.files.sudoers", Resource: "/etc/sudoers", Verdict: "error", Reason: "cannot read"},
		}}, 202)
		if err := json.Unmarshal(b, &acc); err != nil || acc.AgentID != id || acc.Seq != 1 {
			t.Fatalf("report accepted: %s", b)
		}
		e.do("web-1", "GET", "/api/v1/agent/state", nil, 200, &st)
		if st.Seq != 1 {
			t.Fatalf("state after a report: %+v", st)
		}
		second := first.Add(5 * time.Minute)
		e.report("web-1", agentReport{Seq: 2, ScannedAt: second, Results: []vigil.CheckResult{
			{CheckID: checkRootLogin, Resource: "/etc/ssh/sshd_config", Verdict: "fail", Reason: "PermitRootLogin yes"},
		}}, 202)

		// The host with its counts.
		agents.Items = nil
		e.do("viewer", "GET", "/api/v1/agents", nil, 200, &agents)
		a := agents.Items[0]
		if a.Name != "web-1" || a.Hostname != "web-1.acme.test" || a.OS != "debian 12" || a.Kernel != "6.1.0-18-amd64" || a.Version != "1.0.0" ||
			a.Interval != 300 || a.LastSeq != 2 || a.LastSeen == nil || !a.LastSeen.Equal(second) || a.Stale ||
			a.Pass != 1 || a.Fail != 2 || a.Error != 1 || a.NA != 0 || a.Compliance != 25 {
			t.Fatalf("agent after two reports: %+v", a)
		}
		var detail struct {
			agentRow
			Results []vigil.CurrentResult `json:"results"`
		}
		e.do("auditor", "GET", fmt.Sprintf("/api/v1/agents/%d", id), nil, 200, &detail)
		if len(detail.Results) != 4 || detail.ID != id {
			t.Fatalf("agent detail: %+v", detail)
		}
		e.do("viewer", "GET", "/api/v1/agents/99999", nil, 404, nil)
		e.do("viewer", "GET", "/api/v1/agents/abc", nil, 400, nil)

		// The fleet: per check, hosts by their worst resource.
		var fleet []struct {
			Check    string   `json:"check"`
			Title    string   `json:"title"`
			Severity string   `json:"severity"`
			Controls []string `json:"controls"`
			Pass     int      `json:"pass"`
			Fail     int      `json:"fail"`
			Error    int      `json:"error"`
		}
		e.do("viewer", "GET", "/api/v1/fleet", nil, 200, &fleet)
		byCheck := map[string]int{}
		for i, f := range fleet {
			byCheck[f.Check] = i
		}
		if len(fleet) != 3 {
			t.Fatalf("fleet %+v", fleet)
		}
		if f := fleet[byCheck[checkEmptyPass]]; f.Fail != 1 || f.Pass != 0 || f.Title == "" || strings.Join(f.Controls, ",") != "AC-04,AC-01" {
			t.Fatalf("fleet row for %s: %+v", checkEmptyPass, f)
		}
		if f := fleet[byCheck[checkRootLogin]]; f.Fail != 1 || f.Severity != "high" {
			t.Fatalf("fleet row for %s: %+v", checkRootLogin, f)
		}

		// History over a window around the two reports.
		q := url.Values{"check": {checkRootLogin}, "from": {first.Add(-10 * time.Minute).Format(time.RFC3339)}, "to": {second.Add(5 * time.Minute).Format(time.RFC3339)}}
		var hist []struct {
			Check     string           `json:"check"`
			Intervals []vigil.Interval `json:"intervals"`
			Resources []struct {
				Resource  string           `json:"resource"`
				Intervals []vigil.Interval `json:"intervals"`
			} `json:"resources"`
		}
		e.do("auditor", "GET", fmt.Sprintf("/api/v1/agents/%d/history?%s", id, q.Encode()), nil, 200, &hist)
		if len(hist) != 1 || hist[0].Check != checkRootLogin || len(hist[0].Resources) != 1 {
			t.Fatalf("history %+v", hist)
		}
		var states []string
		for _, iv := range hist[0].Intervals {
			states = append(states, string(iv.State))
		}
		if strings.Join(states, " ") != "unknown passing failing" || !hist[0].Intervals[1].Start.Equal(first) || !hist[0].Intervals[2].Start.Equal(second) {
			t.Fatalf("history intervals %+v", hist[0].Intervals)
		}
		hist = nil
		e.do("auditor", "GET", fmt.Sprintf("/api/v1/agents/%d/history", id), nil, 200, &hist)
		if len(hist) != 3 {
			t.Fatalf("default window history: %d checks, want 3", len(hist))
		}
		e.do("viewer", "GET", fmt.Sprintf("/api/v1/agents/%d/history?check=linux.nothing", id), nil, 200, &hist)
		for _, bad := range []string{"from=yesterday", "from=2026-01-02&to=2026-01-01", "from=2020-01-01&to=2026-01-01"} {
			status, b := e.raw("viewer", "GET", fmt.Sprintf("/api/v1/agents/%d/history?%s", id, bad), nil, nil)
			if _, _, field := apiError(t, b); status != 400 || field != "from" {
				t.Errorf("history with %s: %d %s", bad, status, b)
			}
		}
		var runs []vigil.CheckRun
		e.do("viewer", "GET", fmt.Sprintf("/api/v1/agents/%d/runs", id), nil, 200, &runs)
		if len(runs) != 2 || runs[0].Seq != 2 || runs[1].DurationMS != 850 || runs[1].Changes != 4 {
			t.Fatalf("runs %+v", runs)
		}
		e.do("viewer", "GET", "/api/v1/agents/99999/runs", nil, 404, nil)

		// Refused reports store nothing.
		before := e.stored(id)
		now := time.Now().UTC()
		refuse := func(name, who, body string, status int, code, field string) {
			t.Helper()
			got, b := e.raw(who, "POST", "/api/v1/agent/reports", strings.NewReader(body), map[string]string{"Content-Type": "application/json"})
			if got != status {
				t.Fatalf("%s: status %d, want %d; %s", name, got, status, b)
			}
			if c, _, f := apiError(t, b); c != code || f != field {
				t.Fatalf("%s: code %q field %q, want %q %q; %s", name, c, f, code, field, b)
			}
			if after := e.stored(id); after != before {
				t.Fatalf("%s: stored %s -> %s", name, before, after)
			}
		}
		js := func(r agentReport) string {
			if r.Host == nil {
				r.Host = hostInfo("web-1.acme.test")
			}
			b, _ := json.Marshal(r)
			return string(b)
		}
		ok := agentReport{Seq: 3, ScannedAt: now, Results: []vigil.CheckResult{{CheckID: checkRootLogin, Resource: "/etc/ssh/sshd_config", Verdict: "pass"}}}
		refuse("malformed JSON", "web-1", `{"seq": 3, "results": [`, 400, "invalid", "")
		refuse("unknown field", "web-1", `{"seq": 3, "verdicts": []}`, 400, "invalid", "verdicts")
		badVerdict := ok
		badVerdict.Results = []vigil.CheckResult{{CheckID: checkRootLogin, Resource: "/etc/ssh/sshd_config", Verdict: "maybe"}}
		refuse("bad verdict", "web-1", js(badVerdict), 400, "invalid", "results[0].verdict")
		refuse("junk input hash", "web-1", strings.Replace(js(ok), `"full"`, `"input_sha256":"`+strings.Repeat("ab", 4096)+`","full"`, 1), 400, "invalid", "input_sha256")
		refuse("oversized body", "web-1", `{"pad":"`+strings.Repeat("x", server.MaxReportBytes)+`"}`, 413, "too_large", "")
		replay := ok
		replay.Seq = 2
		refuse("replay", "web-1", js(replay), 409, "conflict", "seq")
		outOfOrder := ok
		outOfOrder.Seq = 5
		refuse("out of order", "web-1", js(outOfOrder), 409, "conflict", "seq")
		future := ok
		future.ScannedAt = now.Add(time.Hour)
		refuse("dated in the future", "web-1", js(future), 400, "invalid", "scanned_at")
		// User tokens do not open agent routes, nor agent credentials user routes.
		for _, who := range []string{"", "owner", "admin", "viewer"} {
			refuse("as "+who, who, js(ok), 401, "unauthorized", "")
		}
		e.tokens["bogus"] = "vga_not-a-real-credential"
		refuse("unknown credential", "bogus", js(ok), 401, "unauthorized", "")
		for _, path := range []string{"/api/v1/agents", "/api/v1/fleet", fmt.Sprintf("/api/v1/agents/%d/history", id)} {
			if status, _ := e.raw("web-1", "GET", path, nil, nil); status != 401 {
				t.Errorf("agent credential on %s: %d, want 401", path, status)
			}
		}
		status, _ = e.raw("web-1", "DELETE", fmt.Sprintf("/api/v1/agents/%d", id), nil, nil)
		if status != 401 {
			t.Fatalf("an agent revoking itself: %d, want 401", status)
		}
		// The next report in order is accepted.
		e.report("web-1", ok, 202)
		before = e.stored(id)

		// Revoked: the next report is refused and nothing is stored.
		e.do("viewer", "DELETE", fmt.Sprintf("/api/v1/agents/%d", id), nil, 403, nil)
		e.do("admin", "DELETE", fmt.Sprintf("/api/v1/agents/%d", id), nil, 204, nil)
		e.do("admin", "DELETE", fmt.Sprintf("/api/v1/agents/%d", id), nil, 409, nil)
		e.do("admin", "DELETE", "/api/v1/agents/99999", nil, 404, nil)
		before = e.stored(id) // the revoked host's results are no longer current
		if before != "runs=3 transitions=6 current=0 seq=3" {
			t.Fatalf("after revocation: %s", before)
		}
		next := ok
		next.Seq = 4
		refuse("revoked", "web-1", js(next), 403, "forbidden", "")
		if status, _ := e.raw("web-1", "GET", "/api/v1/agent/state", nil, nil); status != 403 {
			t.Fatalf("revoked agent's state: %d, want 403", status)
		}
		agents.Items = nil
		e.do("viewer", "GET", "/api/v1/agents", nil, 200, &agents)
		if a := agents.Items[0]; a.RevokedAt == nil || a.Stale {
			t.Fatalf("revoked agent listed as %+v", a)
		}
		fleet = nil
		e.do("viewer", "GET", "/api/v1/fleet", nil, 200, &fleet)
		if len(fleet) != 0 {
			t.Fatalf("fleet with only a revoked host: %+v", fleet)
		}
		if !activityHas(t, e, "agent.revoke") || !activityHas(t, e, "agent.enrol") || !activityHas(t, e, "agent.enrolment.create") {
			t.Fatalf("monitoring actions missing from the activity log")
		}
	})
}

func TestAgentListPages(t *testing.T) {
	e := newEnv(t, "sqlite")
	for i := 0; i < 3; i++ {
		e.enrolAgent(fmt.Sprintf("h%d", i))
	}
	var p struct {
		Items      []agentRow
		NextCursor string `json:"next_cursor"`
	}
	e.do("viewer", "GET", "/api/v1/agents?limit=2", nil, 200, &p)
	if len(p.Items) != 2 || p.NextCursor == "" {
		t.Fatalf("first page %+v", p)
	}
	cursor := p.NextCursor
	p.Items, p.NextCursor = nil, ""
	e.do("viewer", "GET", "/api/v1/agents?limit=2&cursor="+url.QueryEscape(cursor), nil, 200, &p)
	if len(p.Items) != 1 || p.Items[0].Name != "h2" || p.NextCursor != "" {
		t.Fatalf("second page %+v", p)
	}
}

func TestAgentEnrolRateLimited(t *testing.T) {
	e := newEnv(t, "sqlite")
	var last int
	for i := 0; i < 30; i++ {
		last, _ = e.raw("", "POST", "/api/v1/agent/enrol", strings.NewReader(`{"token":"vge_guess`+fmt.Sprint(i)+`","host":{"hostname":"h","interval_seconds":300}}`), nil)
		if last == 429 {
			break
		}
		if last != 401 {
			t.Fatalf("guess %d: %d, want 401", i, last)
		}
	}
	if last != 429 {
		t.Fatalf("30 wrong enrolment tokens from one address: last %d, want 429", last)
	}
}

func TestMonitorUnconfigured(t *testing.T) {
	e := newEnv(t, "sqlite", func(c *server.Config) { c.Monitor = nil })
	for _, r := range []struct{ who, method, path, body string }{
		{"viewer", "GET", "/api/v1/agents", ""},
		{"viewer", "GET", "/api/v1/fleet", ""},
		{"admin", "POST", "/api/v1/agents/enrolments", "{}"},
		{"", "POST", "/api/v1/agent/enrol", "{}"},
		{"", "POST", "/api/v1/agent/reports", "{}"},
	} {
		status, b := e.raw(r.who, r.method, r.path, strings.NewReader(r.body), nil)
		if code, _, _ := apiError(t, b); status != 503 || code != "unavailable" {
			t.Errorf("%s %s without monitoring: %d %s", r.method, r.path, status, b)
		}
	}
}

// TestMonitoringReadiness: a failing check result makes the controls the
// check maps to fail their test signal in readiness.
func TestMonitoringReadiness(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) { monitoringReadiness(t, engine) })
	}
}

func monitoringReadiness(t *testing.T, engine string) {
	{
		// The monitoring service is also a signal source here.
		e := newEnv(t, engine, func(c *server.Config) { c.Sources = []vigil.SignalSource{c.Monitor} })
		member := e.users["member"]
		// AC-11 (CC6.1, CC7.2) is one of the controls linux.sshd.permit-root-login maps to.
		e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"AC-11"}, "owner_id": member}, 200, nil)
		e.do("admin", "PATCH", "/api/v1/controls/AC-11", map[string]any{"status": "implemented"}, 200, nil)
		// Implemented and owned, but no host has reported: not shown.
		if ok, gaps := ready(t, e, "CC6.1"); ok || len(gaps) != 1 || gaps[0] != "health: "+vigil.NotShownReason {
			t.Fatalf("CC6.1 before any host reports: ready %v gaps %v", ok, gaps)
		}
		webID, _ := e.enrolAgent("web-1")
		at := time.Now().UTC().Add(-time.Minute)
		e.report("web-1", agentReport{Seq: 1, ScannedAt: at, Full: true, Results: []vigil.CheckResult{
			{CheckID: checkRootLogin, Resource: "/etc/ssh/sshd_config", Verdict: "pass"},
		}}, 202)
		if ok, gaps := ready(t, e, "CC6.1"); !ok {
			t.Fatalf("CC6.1 with a passing check: gaps %v", gaps)
		}
		var c struct{ Health vigil.Health }
		e.do("viewer", "GET", "/api/v1/controls/AC-11", nil, 200, &c)
		if !hasSignal(c.Health.Signals, "test", vigil.SignalOK, "") {
			t.Fatalf("AC-11 health with a passing check: %+v", c.Health)
		}
		e.report("web-1", agentReport{Seq: 2, ScannedAt: at.Add(30 * time.Second), Results: []vigil.CheckResult{
			{CheckID: checkRootLogin, Resource: "/etc/ssh/sshd_config.d/50-cloud-init.conf", Verdict: "fail", Reason: "PermitRootLogin yes"},
		}}, 202)
		for _, crit := range []string{"CC6.1", "CC7.2"} {
			ok, gaps := ready(t, e, crit)
			if ok || len(gaps) != 1 || !strings.HasPrefix(gaps[0], "test: ") || !strings.Contains(gaps[0], "/etc/ssh/sshd_config.d/50-cloud-init.conf") || !strings.Contains(gaps[0], "web-1") {
				t.Fatalf("%s with a failing check: ready %v gaps %v", crit, ok, gaps)
			}
		}
		c.Health = vigil.Health{}
		e.do("viewer", "GET", "/api/v1/controls/AC-11", nil, 200, &c)
		if c.Health.State != vigil.HealthFailing || !hasSignal(c.Health.Signals, "test", vigil.SignalFail, "PermitRootLogin yes") {
			t.Fatalf("AC-11 health with a failing check: %+v", c.Health)
		}
		// Fixed: ready again.
		e.report("web-1", agentReport{Seq: 3, ScannedAt: at.Add(45 * time.Second), Full: true, Results: []vigil.CheckResult{
			{CheckID: checkRootLogin, Resource: "/etc/ssh/sshd_config", Verdict: "pass"},
		}}, 202)
		if ok, gaps := ready(t, e, "CC6.1"); !ok {
			t.Fatalf("CC6.1 after the fix: gaps %v", gaps)
		}
		// The host turns the check off in its own tailoring: until the
		// server approves, the control is unknown, never passing.
		why := "root logins are managed by the bastion's own policy"
		e.report("web-1", agentReport{Seq: 4, ScannedAt: at.Add(46 * time.Second), Full: true, Results: []vigil.CheckResult{},
			Disabled: map[string]string{checkRootLogin: why}}, 202)
		ok, gaps := ready(t, e, "CC6.1")
		if ok || len(gaps) != 1 || !strings.Contains(gaps[0], "without approval") || !strings.Contains(gaps[0], checkRootLogin) || !strings.Contains(gaps[0], "web-1") {
			t.Fatalf("CC6.1 with the check turned off, unapproved: ready %v gaps %v", ok, gaps)
		}
		var detail struct {
			Tailoring struct {
				Disabled, Unapproved map[string]string
				Digest               string
			}
		}
		e.do("viewer", "GET", fmt.Sprintf("/api/v1/agents/%d", webID), nil, 200, &detail)
		if detail.Tailoring.Unapproved[checkRootLogin] != why || len(detail.Tailoring.Digest) != 64 {
			t.Fatalf("tailoring as shown: %+v", detail.Tailoring)
		}
		approve := fmt.Sprintf("/api/v1/agents/%d/tailoring/approve", webID)
		e.do("member", "POST", approve, map[string]any{"digest": detail.Tailoring.Digest}, 403, nil)
		e.do("admin", "POST", approve, map[string]any{}, 400, nil)
		e.do("admin", "POST", approve, map[string]any{"digest": "0000000000000000"}, 409, nil)
		e.do("admin", "POST", approve, map[string]any{"digest": detail.Tailoring.Digest[:16]}, 409, nil) // a prefix is not the digest
		e.do("admin", "POST", approve, map[string]any{"digest": detail.Tailoring.Digest}, 200, nil)
		// Approved, the tailoring is no gap; but with its only check off,
		// nothing shows AC-11 operating any more: not shown.
		if ok, gaps := ready(t, e, "CC6.1"); ok || len(gaps) != 1 || gaps[0] != "health: "+vigil.NotShownReason {
			t.Fatalf("CC6.1 after the tailoring was approved: ready %v gaps %v", ok, gaps)
		}
		// A changed justification needs approving again.
		e.report("web-1", agentReport{Seq: 5, ScannedAt: at.Add(47 * time.Second), Full: true, Results: []vigil.CheckResult{},
			Disabled: map[string]string{checkRootLogin: "not needed"}}, 202)
		if ok, gaps := ready(t, e, "CC6.1"); ok || !strings.Contains(strings.Join(gaps, " "), "not needed") {
			t.Fatalf("CC6.1 after the justification changed: ready %v gaps %v", ok, gaps)
		}
		e.do("admin", "POST", approve, map[string]any{"digest": detail.Tailoring.Digest}, 409, nil) // what was shown is no longer what is there
		e.report("web-1", agentReport{Seq: 6, ScannedAt: at.Add(48 * time.Second), Full: true, Results: []vigil.CheckResult{
			{CheckID: checkRootLogin, Resource: "/etc/ssh/sshd_config", Verdict: "pass"},
		}}, 202)
		if ok, gaps := ready(t, e, "CC6.1"); !ok {
			t.Fatalf("CC6.1 with the check back on: gaps %v", gaps)
		}
		// Each tailoring and each approval is in the activity log.
		var acts struct{ Items []vigil.Activity }
		e.do("auditor", "GET", "/api/v1/activity?entity_type=agent&action=agent.", nil, 200, &acts)
		n := map[string]int{}
		for _, a := range acts.Items {
			n[a.Action]++
		}
		if n["agent.tailoring"] != 3 || n["agent.tailoring_approved"] != 1 {
			t.Fatalf("activity: %v", n)
		}
		// A control the check does not map to gets no test signal, even while the check fails.
		e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"AC-08"}, "owner_id": member}, 200, nil)
		e.report("web-1", agentReport{Seq: 7, ScannedAt: at.Add(50 * time.Second), Results: []vigil.CheckResult{
			{CheckID: checkRootLogin, Resource: "/etc/ssh/sshd_config", Verdict: "fail", Reason: "PermitRootLogin yes"},
		}}, 202)
		c.Health = vigil.Health{}
		e.do("viewer", "GET", "/api/v1/controls/AC-08", nil, 200, &c)
		if hasSignal(c.Health.Signals, "test", "", "") {
			t.Fatalf("AC-08 got a test signal from a check not mapped to it: %+v", c.Health)
		}
	}
}

func hasSignal(sigs []vigil.Signal, source string, status vigil.SignalStatus, reason string) bool {
	for _, s := range sigs {
		if s.Source == source && (status == "" || s.Status == status) && strings.Contains(s.Reason, reason) {
			return true
		}
	}
	return false
}

func TestAgentEnrolBadHost(t *testing.T) {
	e := newEnv(t, "sqlite")
	var en struct{ Token string }
	e.do("admin", "POST", "/api/v1/agents/enrolments", map[string]any{}, 201, &en)
	for _, tc := range []struct {
		host  map[string]any
		field string
	}{
		{map[string]any{"hostname": "h", "interval_seconds": 10}, "interval_seconds"},
		{map[string]any{"hostname": "", "interval_seconds": 300}, "hostname"},
		{map[string]any{"hostname": "h\nx", "interval_seconds": 300}, "hostname"},
	} {
		status, b := e.raw("", "POST", "/api/v1/agent/enrol", strings.NewReader(mustJSON(map[string]any{"token": en.Token, "host": tc.host})), nil)
		if _, _, field := apiError(t, b); status != 400 || field != tc.field {
			t.Fatalf("enrol with host %v: %d %s", tc.host, status, b)
		}
	}
	// Refused host details did not spend the token; the agent is named
	// after its host when the token has no name.
	var out struct {
		Name       string `json:"name"`
		Credential string `json:"credential"`
	}
	e.do("", "POST", "/api/v1/agent/enrol", map[string]any{"token": en.Token, "host": hostInfo("db-1.acme.test")}, 201, &out)
	if out.Name != "db-1.acme.test" {
		t.Fatalf("agent name %q, want the hostname", out.Name)
	}
	// A report's host details are checked too.
	e.tokens["db"] = out.Credential
	r := agentReport{Seq: 1, ScannedAt: time.Now().UTC(), Host: map[string]any{"hostname": "db-1", "interval_seconds": 5}}
	status, b := e.raw("db", "POST", "/api/v1/agent/reports", strings.NewReader(mustJSON(r)), nil)
	if _, _, field := apiError(t, b); status != 400 || field != "interval_seconds" {
		t.Fatalf("report with a 5 s interval: %d %s", status, b)
	}
	// A scan time with a zone offset is the same instant.
	local := time.Now().Add(-time.Minute).Truncate(time.Second).In(time.FixedZone("CEST", 2*3600))
	r = agentReport{Seq: 1, ScannedAt: local, Host: hostInfo("db-1")}
	e.do("db", "POST", "/api/v1/agent/reports", r, 202, nil)
	var agents struct{ Items []agentRow }
	e.do("viewer", "GET", "/api/v1/agents", nil, 200, &agents)
	if ls := agents.Items[0].LastSeen; ls == nil || !ls.Equal(local) {
		t.Fatalf("last seen %v, want %v", ls, local)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
