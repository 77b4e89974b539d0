package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
)

// enrolAgent enrols one agent through a fresh enrolment token.
func enrolAgent(t *testing.T, s *Store, host string, interval int) *vigil.Agent {
	t.Helper()
	if _, err := s.CreateEnrolment(adminCtx, "", "tok-"+host, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	a := &vigil.Agent{Hostname: host, OS: "debian 12", Kernel: "6.1", Version: "1.0", Interval: interval}
	if err := s.Enrol(context.Background(), "tok-"+host, a, "secret-"+host); err != nil {
		t.Fatal(err)
	}
	return a
}

// monitorCounts are the rows a report can write, to show that a refused
// report wrote nothing.
type monitorCounts struct {
	current, transitions, runs, coverage, inputs int
	lastSeq                                      int64
	lastSeen                                     string
}

func countMonitor(t *testing.T, s *Store, agentID int64) monitorCounts {
	t.Helper()
	ctx := context.Background()
	var c monitorCounts
	for _, x := range []struct {
		table string
		n     *int
	}{
		{"check_current", &c.current}, {"check_transitions", &c.transitions}, {"check_runs", &c.runs}, {"agent_coverage", &c.coverage},
	} {
		if err := s.queryRow(ctx, "SELECT COUNT(*) FROM "+x.table+" WHERE agent_id = ?", agentID).Scan(x.n); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.queryRow(ctx, "SELECT COUNT(*) FROM monitor_inputs").Scan(&c.inputs); err != nil {
		t.Fatal(err)
	}
	a, err := s.Agent(ctx, agentID)
	if err != nil {
		t.Fatal(err)
	}
	c.lastSeq = a.LastSeq
	if a.LastSeen != nil {
		c.lastSeen = a.LastSeen.Format(time.RFC3339Nano)
	}
	return c
}

func res(check, resource, verdict, reason string) vigil.CheckResult {
	return vigil.CheckResult{CheckID: check, Resource: resource, Verdict: verdict, Reason: reason}
}

// testReport is a report with the agent it comes from, as the monitor
// hands them to the store.
type testReport struct {
	agentID int64
	*vigil.AgentReport
}

func report(a *vigil.Agent, seq int64, at time.Time, full bool, results ...vigil.CheckResult) *testReport {
	return &testReport{a.ID, &vigil.AgentReport{Seq: seq, ScannedAt: at, Duration: 1500,
		Host: vigil.HostInfo{Hostname: a.Hostname, OS: "debian 12", Kernel: "6.1", Version: "1.0", Interval: a.Interval}, Full: full, Results: results}}
}

func ingestReport(s *Store, ctx context.Context, r *testReport) error {
	return s.IngestReport(ctx, r.agentID, r.AgentReport)
}

func wantCounts(t *testing.T, s *Store, id int64, pass, fail, errs, na int) {
	t.Helper()
	a, err := s.Agent(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if a.Pass != pass || a.Fail != fail || a.Error != errs || a.NotApplicable != na {
		t.Fatalf("agent counts pass %d fail %d error %d n/a %d, want %d %d %d %d", a.Pass, a.Fail, a.Error, a.NotApplicable, pass, fail, errs, na)
	}
}

func transitionsOf(t *testing.T, s *Store, id int64, check string) []string {
	t.Helper()
	ts, err := s.Transitions(context.Background(), id, check, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, x := range ts {
		out = append(out, x.CheckID+"/"+x.Resource+"="+x.Verdict)
	}
	return out
}

func TestEnrolment(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		agents := func() int {
			var n int
			if err := s.queryRow(ctx, "SELECT COUNT(*) FROM agents").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		id, err := s.CreateEnrolment(adminCtx, "web-1", "hash-good", time.Now().Add(time.Hour))
		if err != nil || id == 0 {
			t.Fatalf("create enrolment: %d, %v", id, err)
		}
		// An unknown token.
		err = s.Enrol(ctx, "hash-unknown", &vigil.Agent{Hostname: "h", Interval: 900}, "s0")
		wantCode(t, err, vigil.EUNAUTHORIZED)
		if n := agents(); n != 0 {
			t.Fatalf("unknown token created %d agents", n)
		}
		// The good one, once.
		a := &vigil.Agent{Hostname: "web-1.example", OS: "debian 12", Interval: 300}
		if err := s.Enrol(ctx, "hash-good", a, "s1"); err != nil {
			t.Fatal(err)
		}
		if a.ID == 0 || a.Name != "web-1" || a.Enrolled.IsZero() {
			t.Fatalf("enrolled agent %+v: want an ID, the enrolment's name and a date", a)
		}
		got, err := s.AgentBySecret(ctx, "s1")
		if err != nil || got.ID != a.ID || got.Hostname != "web-1.example" || got.Interval != 300 || got.LastSeen != nil || got.RevokedAt != nil {
			t.Fatalf("agent by secret: %+v, %v", got, err)
		}
		_, err = s.AgentBySecret(ctx, "s-unknown")
		wantCode(t, err, vigil.EUNAUTHORIZED)
		// Single use.
		err = s.Enrol(ctx, "hash-good", &vigil.Agent{Hostname: "web-2", Interval: 900}, "s2")
		wantCode(t, err, vigil.EUNAUTHORIZED)
		if !strings.Contains(vigil.ErrorMessage(err), "already used") {
			t.Fatalf("reused token: %v", err)
		}
		if n := agents(); n != 1 {
			t.Fatalf("reused token: %d agents, want 1", n)
		}
		_, err = s.AgentBySecret(ctx, "s2")
		wantCode(t, err, vigil.EUNAUTHORIZED)
		// Expired.
		if _, err := s.CreateEnrolment(adminCtx, "", "hash-expired", time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		err = s.Enrol(ctx, "hash-expired", &vigil.Agent{Hostname: "web-3", Interval: 900}, "s3")
		wantCode(t, err, vigil.EUNAUTHORIZED)
		if !strings.Contains(vigil.ErrorMessage(err), "expired") {
			t.Fatalf("expired token: %v", err)
		}
		if n := agents(); n != 1 {
			t.Fatalf("expired token: %d agents, want 1", n)
		}
		// Without a name on the token the agent is named after its host.
		if _, err := s.CreateEnrolment(adminCtx, "", "hash-noname", time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		// A failure after the token was read (a credential that exists
		// already) spends nothing: the token still works afterwards.
		err = s.Enrol(ctx, "hash-noname", &vigil.Agent{Hostname: "db-1", Interval: 900}, "s1")
		if err == nil {
			t.Fatalf("enrolment with a duplicate credential hash succeeded")
		}
		if n := agents(); n != 1 {
			t.Fatalf("failed enrolment left %d agents, want 1", n)
		}
		b := &vigil.Agent{Hostname: "db-1", Interval: 900}
		if err := s.Enrol(ctx, "hash-noname", b, "s4"); err != nil {
			t.Fatalf("token after a failed enrolment: %v", err)
		}
		if b.Name != "db-1" {
			t.Fatalf("agent name %q, want the hostname", b.Name)
		}
		list, err := s.Agents(ctx, 0, 0)
		if err != nil || len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
			t.Fatalf("agents %+v, %v", list, err)
		}
		if list, _ := s.Agents(ctx, a.ID, 1); len(list) != 1 || list[0].ID != b.ID {
			t.Fatalf("agents after cursor: %+v", list)
		}
		_, err = s.Agent(ctx, 9999)
		wantCode(t, err, vigil.ENOTFOUND)
	})
}

func TestIngestReport(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := enrolAgent(t, s, "web-1", 900)
		base := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
		step := func(i int) time.Time { return base.Add(time.Duration(i) * 15 * time.Minute) }

		// First report: full, everything is a transition.
		r1 := report(a, 1, step(0), true,
			res("linux.a", "/etc/a", "pass", ""), res("linux.a", "/etc/b", "fail", "mode 0666"),
			res("linux.b", "host", "error", "collector failed"), res("linux.c", "host", "not_applicable", ""))
		r1.InputSHA256, r1.Input = "abc123", "H4sIAAAAAAAA"
		if err := ingestReport(s, ctx, r1); err != nil {
			t.Fatal(err)
		}
		c := countMonitor(t, s, a.ID)
		if c.current != 4 || c.transitions != 4 || c.runs != 1 || c.coverage != 1 || c.lastSeq != 1 || c.inputs != 1 {
			t.Fatalf("after the first report: %+v", c)
		}
		wantCounts(t, s, a.ID, 1, 1, 1, 1)
		got, _ := s.Agent(ctx, a.ID)
		if got.LastSeen == nil || !got.LastSeen.Equal(step(0)) {
			t.Fatalf("last seen %v, want %v (the scan time)", got.LastSeen, step(0))
		}
		if in, err := s.MonitorInput(ctx, "abc123"); err != nil || in != "H4sIAAAAAAAA" {
			t.Fatalf("stored input %q, %v", in, err)
		}
		_, err := s.MonitorInput(ctx, "nope")
		wantCode(t, err, vigil.ENOTFOUND)
		if seq, err := s.AgentSeq(ctx, a.ID); err != nil || seq != 1 {
			t.Fatalf("agent seq %d, %v", seq, err)
		}
		v1, err := s.MonitorVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}

		// Incremental: only the change is a transition.
		if err := ingestReport(s, ctx, report(a, 2, step(1), false, res("linux.a", "/etc/b", "pass", ""))); err != nil {
			t.Fatal(err)
		}
		c = countMonitor(t, s, a.ID)
		if c.current != 4 || c.transitions != 5 || c.runs != 2 {
			t.Fatalf("after one change: %+v", c)
		}
		wantCounts(t, s, a.ID, 2, 0, 1, 1)

		// A repeat of the current state is no transition, but is a run.
		v2, _ := s.MonitorVersion(ctx)
		if v2 == v1 {
			t.Fatalf("monitor version unchanged (%s) after a transition", v2)
		}
		if err := ingestReport(s, ctx, report(a, 3, step(2), false, res("linux.a", "/etc/a", "pass", ""), res("linux.a", "/etc/b", "pass", ""))); err != nil {
			t.Fatal(err)
		}
		c = countMonitor(t, s, a.ID)
		if c.current != 4 || c.transitions != 5 || c.runs != 3 || c.lastSeq != 3 {
			t.Fatalf("after a repeat: %+v", c)
		}
		wantCounts(t, s, a.ID, 2, 0, 1, 1)
		if v3, _ := s.MonitorVersion(ctx); v3 != v2 {
			t.Fatalf("monitor version changed %s -> %s without a transition", v2, v3)
		}
		// A full report repeating everything is no transition either.
		if err := ingestReport(s, ctx, report(a, 4, step(3), true,
			res("linux.a", "/etc/a", "pass", ""), res("linux.a", "/etc/b", "pass", ""),
			res("linux.b", "host", "error", "collector failed"), res("linux.c", "host", "not_applicable", ""))); err != nil {
			t.Fatal(err)
		}
		if c = countMonitor(t, s, a.ID); c.transitions != 5 || c.current != 4 {
			t.Fatalf("after a full repeat: %+v", c)
		}
		// A new reason with the same verdict is a change.
		if err := ingestReport(s, ctx, report(a, 5, step(4), false, res("linux.b", "host", "error", "timeout"))); err != nil {
			t.Fatal(err)
		}
		if c = countMonitor(t, s, a.ID); c.transitions != 6 {
			t.Fatalf("after a new reason: %+v", c)
		}
		// A full report drops what it does not name, as a transition with
		// an empty verdict.
		if err := ingestReport(s, ctx, report(a, 6, step(5), true,
			res("linux.a", "/etc/a", "pass", ""), res("linux.a", "/etc/b", "pass", ""), res("linux.b", "host", "error", "timeout"))); err != nil {
			t.Fatal(err)
		}
		c = countMonitor(t, s, a.ID)
		if c.current != 3 || c.transitions != 7 {
			t.Fatalf("after a full report without linux.c: %+v", c)
		}
		wantCounts(t, s, a.ID, 2, 0, 1, 0)
		if got := transitionsOf(t, s, a.ID, "linux.c"); strings.Join(got, " ") != "linux.c/host=not_applicable linux.c/host=" {
			t.Fatalf("linux.c transitions %v, want its result then its removal", got)
		}
		// An incremental report removes what it names in removed; naming
		// something that does not exist does nothing.
		r7 := report(a, 7, step(6), false, res("linux.d", "host", "fail", "new check"))
		r7.Removed = []vigil.CheckResult{{CheckID: "linux.a", Resource: "/etc/b"}, {CheckID: "linux.zz", Resource: "nothing"}}
		if err := ingestReport(s, ctx, r7); err != nil {
			t.Fatal(err)
		}
		c = countMonitor(t, s, a.ID)
		if c.current != 3 || c.transitions != 9 {
			t.Fatalf("after removing /etc/b and adding linux.d: %+v", c)
		}
		wantCounts(t, s, a.ID, 1, 1, 1, 0)
		if got := strings.Join(transitionsOf(t, s, a.ID, "linux.a"), " "); got != "linux.a//etc/a=pass linux.a//etc/b=fail linux.a//etc/b=pass linux.a//etc/b=" {
			t.Fatalf("linux.a transitions: %s", got)
		}
		if got := transitionsOf(t, s, a.ID, "linux.zz"); len(got) != 0 {
			t.Fatalf("a removal of nothing made transitions %v", got)
		}
		cur, err := s.CurrentResults(ctx, a.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, x := range cur {
			keys = append(keys, x.CheckID+"/"+x.Resource+"="+x.Verdict+":"+x.Reason)
			if x.AgentName != "web-1" || x.AgentID != a.ID {
				t.Fatalf("current result %+v: want the agent's name", x)
			}
		}
		if got := strings.Join(keys, " "); got != "linux.a//etc/a=pass: linux.b/host=error:timeout linux.d/host=fail:new check" {
			t.Fatalf("current results %s", got)
		}
		if !cur[1].Since.Equal(step(4)) || !cur[0].Since.Equal(step(0)) {
			t.Fatalf("since: %v %v, want the time of the change", cur[0].Since, cur[1].Since)
		}
		// Transitions up to a time leave out later ones.
		ts, err := s.Transitions(ctx, a.ID, "linux.a", step(1))
		if err != nil || len(ts) != 2 {
			t.Fatalf("transitions before step 1: %+v, %v", ts, err)
		}
		// Runs: newest first, with counts and changes.
		runs, err := s.Runs(ctx, a.ID, 100)
		if err != nil || len(runs) != 7 {
			t.Fatalf("runs %d, %v", len(runs), err)
		}
		if r := runs[0]; r.Seq != 7 || r.Changes != 2 || r.Pass != 1 || r.Fail != 1 || r.Error != 1 || r.NA != 0 || r.DurationMS != 1500 || !r.ScannedAt.Equal(step(6)) || r.Status != "ok" {
			t.Fatalf("last run %+v", r)
		}
		if r := runs[4]; r.Seq != 3 || r.Changes != 0 || r.Pass != 2 || r.NA != 1 {
			t.Fatalf("run 3 (a repeat) %+v", r)
		}
		if r := runs[6]; r.Seq != 1 || r.Changes != 4 || r.Input != "abc123" {
			t.Fatalf("first run %+v", r)
		}
		if runs, _ := s.Runs(ctx, a.ID, 2); len(runs) != 2 || runs[0].Seq != 7 {
			t.Fatalf("runs limited to 2: %+v", runs)
		}
	})
}

func TestIngestRefusals(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := enrolAgent(t, s, "web-1", 900)
		base := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
		for i := int64(1); i <= 3; i++ {
			if err := ingestReport(s, ctx, report(a, i, base.Add(time.Duration(i)*time.Minute), i == 1, res("linux.a", "r", []string{"", "pass", "fail", "pass"}[i], ""))); err != nil {
				t.Fatal(err)
			}
		}
		before := countMonitor(t, s, a.ID)
		if before.transitions != 3 || before.lastSeq != 3 {
			t.Fatalf("set-up: %+v", before)
		}
		later := base.Add(10 * time.Minute)
		refused := func(name string, r *testReport, code, field string) {
			t.Helper()
			err := ingestReport(s, ctx, r)
			wantCode(t, err, code)
			if field != "" && vigil.ErrorField(err) != field {
				t.Fatalf("%s: field %q (%v), want %q", name, vigil.ErrorField(err), err, field)
			}
			if after := countMonitor(t, s, a.ID); after != before {
				t.Fatalf("%s: refused report wrote something: %+v -> %+v", name, before, after)
			}
		}
		withInput := func(r *testReport) *testReport { r.InputSHA256, r.Input = "feed", "H4sI"; return r }
		refused("replay", withInput(report(a, 3, later, false, res("linux.a", "r", "fail", "x"))), vigil.ECONFLICT, "seq")
		refused("older seq", report(a, 1, later, true, res("linux.a", "r", "fail", "x")), vigil.ECONFLICT, "seq")
		refused("out of order", withInput(report(a, 5, later, false, res("linux.a", "r", "fail", "x"))), vigil.ECONFLICT, "seq")
		refused("future", withInput(report(a, 4, time.Now().Add(time.Hour), false, res("linux.a", "r", "fail", "x"))), vigil.EINVALID, "scanned_at")
		refused("older than the last", report(a, 4, base, false, res("linux.a", "r", "fail", "x")), vigil.EINVALID, "scanned_at")
		refused("unknown agent", &testReport{9999, &vigil.AgentReport{Seq: 1, ScannedAt: later}}, vigil.EUNAUTHORIZED, "")
		// A little clock skew is fine.
		if err := ingestReport(s, ctx, report(a, 4, time.Now().Add(time.Minute), false)); err != nil {
			t.Fatalf("a report a minute ahead: %v", err)
		}
		before = countMonitor(t, s, a.ID)
		// Revoked: refused, nothing stored; results leave the fleet.
		if err := s.RevokeAgent(adminCtx, a.ID); err != nil {
			t.Fatal(err)
		}
		before = countMonitor(t, s, a.ID)
		refused("revoked", withInput(report(a, 5, time.Now(), false, res("linux.a", "r", "fail", "x"))), vigil.EFORBIDDEN, "")
		wantCode(t, s.RevokeAgent(adminCtx, a.ID), vigil.ECONFLICT)
		wantCode(t, s.RevokeAgent(adminCtx, 9999), vigil.ENOTFOUND)
		got, _ := s.Agent(ctx, a.ID)
		if got.RevokedAt == nil {
			t.Fatalf("revoked agent without revoked_at")
		}
		// A revoked agent still authenticates as itself at the store (the
		// service refuses it); its results no longer count.
		if got, err := s.AgentBySecret(ctx, "secret-web-1"); err != nil || got.RevokedAt == nil {
			t.Fatalf("revoked agent by secret: %+v, %v", got, err)
		}
		if cur, _ := s.CurrentResults(ctx, 0, ""); len(cur) != 0 {
			t.Fatalf("revoked agent's results still current: %+v", cur)
		}
		if fl, _ := s.FleetByCheck(ctx, time.Now()); len(fl) != 0 {
			t.Fatalf("revoked agent still in the fleet: %+v", fl)
		}
	})
}

func TestIngestCoverage(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := enrolAgent(t, s, "web-1", 900) // grace 31 min
		base := time.Now().UTC().Add(-5 * time.Hour).Truncate(time.Second)
		m := func(n int) time.Time { return base.Add(time.Duration(n) * time.Minute) }
		seq := int64(0)
		send := func(at time.Time, interval int) {
			t.Helper()
			seq++
			r := report(a, seq, at, seq == 1, res("linux.a", "r", "pass", ""))
			r.Host.Interval = interval
			if err := ingestReport(s, ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		wantCov := func(want string) {
			t.Helper()
			cs, err := s.Coverage(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, c := range cs {
				parts = append(parts, fmt.Sprintf("%d-%d", int(c.Start.Sub(base).Minutes()), int(c.End.Sub(base).Minutes())))
			}
			if got := strings.Join(parts, " "); got != want {
				t.Fatalf("coverage %s, want %s", got, want)
			}
		}
		send(m(0), 900)
		wantCov("0-0")
		send(m(15), 900)
		send(m(46), 900) // 31 minutes: exactly the grace
		wantCov("0-46")
		send(m(78), 900) // 32 minutes: a gap
		wantCov("0-46 78-78")
		send(m(90), 900)
		wantCov("0-46 78-90")
		// A shorter interval shortens the grace: 5 minutes is a gap at 60 s.
		send(m(95), 60)
		wantCov("0-46 78-90 95-95")
		send(m(97), 60)
		wantCov("0-46 78-90 95-97")
		// A report without an interval keeps the agent's.
		send(m(105), 0)
		wantCov("0-46 78-90 95-97 105-105")
		if got, _ := s.Agent(ctx, a.ID); got.Interval != 60 {
			t.Fatalf("interval %d after a report without one, want 60", got.Interval)
		}
		// Same scan time twice: still one stretch.
		send(m(105), 60)
		wantCov("0-46 78-90 95-97 105-105")
		// Another agent's coverage is its own.
		b := enrolAgent(t, s, "web-2", 900)
		if err := ingestReport(s, ctx, report(b, 1, m(100), true)); err != nil {
			t.Fatal(err)
		}
		if cs, _ := s.Coverage(ctx, b.ID); len(cs) != 1 || !cs[0].Start.Equal(m(100)) {
			t.Fatalf("second agent's coverage %+v", cs)
		}
		wantCov("0-46 78-90 95-97 105-105")
	})
}

func TestFleetByCheck(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		at := time.Now().UTC().Add(-time.Hour)
		h1, h2, h3 := enrolAgent(t, s, "h1", 900), enrolAgent(t, s, "h2", 900), enrolAgent(t, s, "h3", 900)
		for _, x := range []struct {
			a  *vigil.Agent
			rs []vigil.CheckResult
		}{
			// linux.a: h1 fails on one of three resources, h2 passes on
			// both, h3 errs on one and passes the other.
			{h1, []vigil.CheckResult{res("linux.a", "r1", "pass", ""), res("linux.a", "r2", "fail", "x"), res("linux.a", "r3", "pass", ""), res("linux.b", "host", "not_applicable", "")}},
			{h2, []vigil.CheckResult{res("linux.a", "r1", "pass", ""), res("linux.a", "r2", "pass", ""), res("linux.b", "host", "skip", "")}},
			{h3, []vigil.CheckResult{res("linux.a", "r1", "error", "y"), res("linux.a", "r2", "pass", ""), res("linux.b", "host", "fail", "z"), res("linux.b", "other", "error", "")}},
		} {
			if err := ingestReport(s, ctx, report(x.a, 1, at, true, x.rs...)); err != nil {
				t.Fatal(err)
			}
		}
		fleet := func() string {
			t.Helper()
			fl, err := s.FleetByCheck(ctx, at.Add(2*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, f := range fl {
				parts = append(parts, fmt.Sprintf("%s p%d f%d e%d o%d", f.CheckID, f.Pass, f.Fail, f.Error, f.Other))
			}
			return strings.Join(parts, "; ")
		}
		// An hour later without reports (interval 15 minutes), every host
		// is stale: counted as such, never by its last verdict.
		if fl, err := s.FleetByCheck(ctx, at.Add(time.Hour)); err != nil || len(fl) != 2 || fl[0].Stale != 3 || fl[0].Pass+fl[0].Fail+fl[0].Error != 0 {
			t.Fatalf("fleet with stale hosts: %+v %v", fl, err)
		}
		if got := fleet(); got != "linux.a p1 f1 e1 o0; linux.b p0 f1 e0 o2" {
			t.Fatalf("fleet %s", got)
		}
		wantCounts(t, s, h1.ID, 2, 1, 0, 1)
		wantCounts(t, s, h3.ID, 1, 1, 2, 0)
		// h1 fixes its failure.
		if err := ingestReport(s, ctx, report(h1, 2, at.Add(time.Minute), false, res("linux.a", "r2", "pass", ""))); err != nil {
			t.Fatal(err)
		}
		if got := fleet(); got != "linux.a p2 f0 e1 o0; linux.b p0 f1 e0 o2" {
			t.Fatalf("fleet after a fix: %s", got)
		}
		if err := s.RevokeAgent(adminCtx, h3.ID); err != nil {
			t.Fatal(err)
		}
		if got := fleet(); got != "linux.a p2 f0 e0 o0; linux.b p0 f0 e0 o2" {
			t.Fatalf("fleet without the revoked host: %s", got)
		}
		cur, err := s.CurrentResults(ctx, 0, "linux.a")
		if err != nil {
			t.Fatal(err)
		}
		hosts := map[string]int{}
		for _, x := range cur {
			hosts[x.AgentName]++
		}
		if len(hosts) != 2 || hosts["h1"] != 3 || hosts["h2"] != 2 {
			t.Fatalf("current linux.a results by host %v", hosts)
		}
	})
}

func TestClaimLease(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		claim := func(name, holder string, ttl time.Duration, want bool) {
			t.Helper()
			got, err := s.ClaimLease(ctx, name, holder, ttl)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("%s claims %s: %v, want %v", holder, name, got, want)
			}
		}
		claim("digest", "a", time.Hour, true)
		claim("digest", "b", time.Hour, false)
		claim("digest", "a", time.Hour, true) // renewal
		claim("digest", "b", time.Hour, false)
		claim("other", "b", time.Hour, true) // leases are per name
		// Expired (set in the past through SQL): the other holder takes it,
		// and the first no longer can.
		if _, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE scheduler_leases SET expires_at = ? WHERE name = ?"), s.d.ts(time.Now().Add(-time.Second)), "digest"); err != nil {
			t.Fatal(err)
		}
		claim("digest", "b", time.Hour, true)
		claim("digest", "a", time.Hour, false)
		// A short lease expires on its own.
		claim("short", "a", 100*time.Millisecond, true)
		claim("short", "b", 100*time.Millisecond, false)
		time.Sleep(150 * time.Millisecond)
		claim("short", "b", time.Hour, true)
		claim("short", "a", time.Hour, false)
		// Last run: none yet; only the holder records it.
		if last, err := s.LeaseLastRun(ctx, "digest"); err != nil || !last.IsZero() {
			t.Fatalf("last run before any: %v, %v", last, err)
		}
		if last, err := s.LeaseLastRun(ctx, "never-claimed"); err != nil || !last.IsZero() {
			t.Fatalf("last run of an unknown lease: %v, %v", last, err)
		}
		if err := s.MarkLeaseRun(ctx, "digest", "a"); vigil.ErrorCode(err) != vigil.ECONFLICT {
			t.Fatalf("a non-holder marked a run: %v", err)
		}
		if last, _ := s.LeaseLastRun(ctx, "digest"); !last.IsZero() {
			t.Fatalf("a non-holder recorded a run: %v", last)
		}
		if err := s.MarkLeaseRun(ctx, "digest", "b"); err != nil {
			t.Fatal(err)
		}
		if last, _ := s.LeaseLastRun(ctx, "digest"); time.Since(last) > time.Minute || time.Since(last) < 0 {
			t.Fatalf("last run %v, want now", last)
		}
		// Many replicas at once: exactly one wins.
		var wg sync.WaitGroup
		var mu sync.Mutex
		var winners []string
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(h string) {
				defer wg.Done()
				ok, err := s.ClaimLease(ctx, "race", h, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					mu.Lock()
					winners = append(winners, h)
					mu.Unlock()
				}
			}(fmt.Sprintf("replica-%d", i))
		}
		wg.Wait()
		sort.Strings(winners)
		if len(winners) != 1 {
			t.Fatalf("winners of a contended lease: %v, want exactly one", winners)
		}
	})
}

func TestIngestConcurrentReplays(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := enrolAgent(t, s, "web-1", 900)
		at := time.Now().UTC().Add(-time.Minute)
		// The same report (a retry racing the original) sent eight times at
		// once: one is stored, the others are replays.
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs[i] = ingestReport(s, ctx, report(a, 1, at, true, res("linux.a", "r", "fail", "x")))
			}(i)
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch vigil.ErrorCode(err) {
			case "":
				ok++
			case vigil.ECONFLICT:
			default:
				t.Fatalf("concurrent report: %v", err)
			}
		}
		c := countMonitor(t, s, a.ID)
		if ok != 1 || c.runs != 1 || c.transitions != 1 || c.current != 1 || c.coverage != 1 || c.lastSeq != 1 {
			t.Fatalf("%d accepted, stored %+v; want exactly one", ok, c)
		}
	})
}

func TestIngestLargeReports(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := enrolAgent(t, s, "web-1", 900)
		at := time.Now().UTC().Add(-time.Hour)
		var all []vigil.CheckResult
		for i := 0; i < 2500; i++ {
			all = append(all, res("linux.files.perm", fmt.Sprintf("/srv/file-%04d", i), []string{"pass", "fail"}[i%2], ""))
		}
		start := time.Now()
		if err := ingestReport(s, ctx, report(a, 1, at, true, all...)); err != nil {
			t.Fatal(err)
		}
		wantCounts(t, s, a.ID, 1250, 1250, 0, 0)
		// A full report naming a fifth of them removes the rest.
		if err := ingestReport(s, ctx, report(a, 2, at.Add(time.Minute), true, all[:500]...)); err != nil {
			t.Fatal(err)
		}
		c := countMonitor(t, s, a.ID)
		if c.current != 500 || c.transitions != 2500+2000 {
			t.Fatalf("after dropping 2000: %+v", c)
		}
		wantCounts(t, s, a.ID, 250, 250, 0, 0)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("two large reports took %v", d)
		}
	})
}

// TestCompactRuns: only heartbeats (runs that changed nothing) are
// deleted past the retention; transitions and coverage are untouched.
func TestCompactRuns(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := enrolAgent(t, s, "db-1", 900)
		base := time.Now().UTC().Add(-10 * time.Hour).Truncate(time.Second)
		at := base
		seq := int64(0)
		ingest := func(gap time.Duration, input, status string, results ...vigil.CheckResult) {
			t.Helper()
			seq++
			at = at.Add(gap)
			r := report(a, seq, at, false, results...)
			r.InputSHA256 = input
			if status == "partial" {
				r.Failed = []string{"linux.sshd"} // a collector failed
			}
			if err := ingestReport(s, ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		q := 15 * time.Minute
		ingest(0, "aaa", "ok", res("linux.a", "host", "pass", ""))  // 1 first: kept
		ingest(q, "aaa", "ok")                                      // 2 heartbeat
		ingest(q, "aaa", "ok", res("linux.a", "host", "fail", "x")) // 3 a change: kept
		ingest(q, "bbb", "ok")                                      // 4 a new input: kept
		ingest(q, "bbb", "ok")                                      // 5 heartbeat
		ingest(3*time.Hour, "bbb", "ok")                            // 6 after a gap: kept
		ingest(q, "bbb", "partial")                                 // 7 partial: kept
		ingest(q, "bbb", "ok")                                      // 8 heartbeat
		ingest(q, "", "ok")                                         // 9 no input named: kept
		trBefore, _ := s.Transitions(ctx, a.ID, "", time.Now())
		covBefore, _ := s.Coverage(ctx, a.ID)
		// Nothing is old enough yet.
		if n, err := s.CompactRuns(ctx, base.Add(-time.Hour)); err != nil || n != 0 {
			t.Fatalf("compacted %d, %v before any run", n, err)
		}
		n, err := s.CompactRuns(ctx, time.Now().Add(time.Hour))
		if err != nil || n != 3 {
			t.Fatalf("compacted %d runs, %v; want the 3 heartbeats", n, err)
		}
		runs, _ := s.Runs(ctx, a.ID, 100)
		var seqs []int64
		for _, r := range runs {
			seqs = append(seqs, r.Seq)
		}
		if fmt.Sprint(seqs) != "[9 7 6 4 3 1]" {
			t.Fatalf("runs left %v", seqs)
		}
		trAfter, _ := s.Transitions(ctx, a.ID, "", time.Now())
		covAfter, _ := s.Coverage(ctx, a.ID)
		if fmt.Sprint(trBefore) != fmt.Sprint(trAfter) || fmt.Sprint(covBefore) != fmt.Sprint(covAfter) || len(covAfter) != 2 {
			t.Fatalf("history changed: %v / %v, coverage %v / %v", trBefore, trAfter, covBefore, covAfter)
		}
	})
}
