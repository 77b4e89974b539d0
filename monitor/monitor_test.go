package monitor_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/checks"
	"github.com/vigil-soc/vigil/internal/pgtest"
	"github.com/vigil-soc/vigil/monitor"
	"github.com/vigil-soc/vigil/store"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	os.Exit(code)
}

// clock is a settable time for the service.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.now = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// The built-in checks these tests report on, and the controls they map to
// (checks/linux/*.yaml).
const (
	sshRoot    = "linux.sshd.permit-root-login"  // AC-11, AC-09, VU-04
	emptyPass  = "linux.accounts.empty-password" // AC-04, AC-01
	customOnly = "custom.not-in-registry"
)

// engines runs fn with a monitoring service on SQLite and on PostgreSQL.
// The store refuses reports dated in the future by the real clock, so the
// fake clock starts at the real time.
func engines(t *testing.T, fn func(t *testing.T, svc *monitor.Service, clk *clock)) {
	reg, err := checks.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			cfg := store.Config{DataDir: t.TempDir()}
			if engine == "postgres" {
				cfg = store.Config{DatabaseURL: pgtest.Database(t)}
			}
			st, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if _, err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			clk := &clock{now: time.Now().UTC().Truncate(time.Second)}
			fn(t, &monitor.Service{Store: st, Checks: reg, Now: clk.Now}, clk)
		})
	}
}

var adminCtx = vigil.WithActor(context.Background(), vigil.Actor{UserID: 1, Name: "admin@example.com", Role: vigil.RoleAdmin})

// enrol makes a token and spends it for a host.
func enrol(t *testing.T, svc *monitor.Service, host string) (*vigil.Agent, string) {
	t.Helper()
	e, err := svc.CreateEnrolment(adminCtx, host, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	a, cred, err := svc.Enrol(context.Background(), e.Token, vigil.HostInfo{Hostname: host + ".example", OS: "debian 12", Kernel: "6.1", Version: "1.0", Interval: 900})
	if err != nil {
		t.Fatal(err)
	}
	return a, cred
}

func gz(t *testing.T, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func validReport(t *testing.T) *vigil.AgentReport {
	raw := gz(t, `{"sshd":{"permitrootlogin":"no"}}`)
	return &vigil.AgentReport{
		Seq: 1, ScannedAt: time.Now().UTC(), Duration: 1200,
		Host: vigil.HostInfo{Hostname: "web-1", OS: "debian 12", Kernel: "6.1", Version: "1.0", Interval: 900},
		Full: true,
		Results: []vigil.CheckResult{
			{CheckID: sshRoot, Resource: "/etc/ssh/sshd_config", Verdict: "pass"},
			{CheckID: emptyPass, Resource: "root", Verdict: "fail", Reason: "root has an empty password"},
		},
		Removed:     []vigil.CheckResult{{CheckID: "linux.files.sudoers", Resource: "/etc/sudoers"}},
		InputSHA256: sum(raw), Input: base64.StdEncoding.EncodeToString(raw),
	}
}

func TestValidate(t *testing.T) {
	if err := validReport(t).Validate(); err != nil {
		t.Fatalf("valid report refused: %v", err)
	}
	many := make([]vigil.CheckResult, vigil.MaxReportResults+1)
	for i := range many {
		many[i] = vigil.CheckResult{CheckID: "linux.x", Resource: fmt.Sprint(i), Verdict: "pass"}
	}
	notGzip := []byte("plain text, not gzip")
	truncated := gz(t, strings.Repeat("collector output ", 1000))
	truncated = truncated[:len(truncated)/2]
	bigInput := strings.Repeat("A", vigil.MaxReportInput+4)
	cases := []struct {
		name  string
		edit  func(r *vigil.AgentReport)
		code  string
		field string
	}{
		{"seq_zero", func(r *vigil.AgentReport) { r.Seq = 0 }, vigil.EINVALID, "seq"},
		{"seq_negative", func(r *vigil.AgentReport) { r.Seq = -4 }, vigil.EINVALID, "seq"},
		{"no_scan_time", func(r *vigil.AgentReport) { r.ScannedAt = time.Time{} }, vigil.EINVALID, "scanned_at"},
		{"no_hostname", func(r *vigil.AgentReport) { r.Host.Hostname = "" }, vigil.EINVALID, "hostname"},
		{"hostname_two_lines", func(r *vigil.AgentReport) { r.Host.Hostname = "web\nevil" }, vigil.EINVALID, "hostname"},
		{"os_too_long", func(r *vigil.AgentReport) { r.Host.OS = strings.Repeat("x", 256) }, vigil.EINVALID, "os"},
		{"kernel_nul", func(r *vigil.AgentReport) { r.Host.Kernel = "6.1\x00" }, vigil.EINVALID, "kernel"},
		{"version_bad_utf8", func(r *vigil.AgentReport) { r.Host.Version = "1.0\xff" }, vigil.EINVALID, "agent_version"},
		{"interval_too_short", func(r *vigil.AgentReport) { r.Host.Interval = 59 }, vigil.EINVALID, "interval_seconds"},
		{"interval_too_long", func(r *vigil.AgentReport) { r.Host.Interval = 86401 }, vigil.EINVALID, "interval_seconds"},
		{"check_id_uppercase", func(r *vigil.AgentReport) { r.Results[1].CheckID = "Linux.SSH" }, vigil.EINVALID, "results[1].check"},
		{"check_id_one_part", func(r *vigil.AgentReport) { r.Results[0].CheckID = "sshd" }, vigil.EINVALID, "results[0].check"},
		{"check_id_empty", func(r *vigil.AgentReport) { r.Results[0].CheckID = "" }, vigil.EINVALID, "results[0].check"},
		{"check_id_injection", func(r *vigil.AgentReport) { r.Results[0].CheckID = "linux.x'; DROP TABLE agents;--" }, vigil.EINVALID, "results[0].check"},
		{"check_id_too_long", func(r *vigil.AgentReport) { r.Results[0].CheckID = "linux." + strings.Repeat("a", 200) }, vigil.EINVALID, "results[0].check"},
		{"bad_verdict", func(r *vigil.AgentReport) { r.Results[1].Verdict = "ok" }, vigil.EINVALID, "results[1].verdict"},
		{"empty_verdict", func(r *vigil.AgentReport) { r.Results[0].Verdict = "" }, vigil.EINVALID, "results[0].verdict"},
		{"empty_resource", func(r *vigil.AgentReport) { r.Results[0].Resource = "" }, vigil.EINVALID, "results[0].resource"},
		{"resource_too_long", func(r *vigil.AgentReport) { r.Results[0].Resource = strings.Repeat("r", 1025) }, vigil.EINVALID, "results[0].resource"},
		{"resource_nul", func(r *vigil.AgentReport) { r.Results[1].Resource = "root\x00" }, vigil.EINVALID, "results[1].resource"},
		{"resource_bad_utf8", func(r *vigil.AgentReport) { r.Results[1].Resource = "r\xc3" }, vigil.EINVALID, "results[1].resource"},
		{"reason_nul", func(r *vigil.AgentReport) { r.Results[1].Reason = "empty\x00password" }, vigil.EINVALID, "results[1].reason"},
		{"reason_oversize", func(r *vigil.AgentReport) { r.Results[1].Reason = strings.Repeat("x", vigil.MaxReasonLen+1) }, vigil.EINVALID, "results[1].reason"},
		{"duplicate_result", func(r *vigil.AgentReport) { r.Results = append(r.Results, r.Results[0]) }, vigil.EINVALID, "results[2]"},
		{"duplicate_across_removed", func(r *vigil.AgentReport) {
			r.Removed = append(r.Removed, vigil.CheckResult{CheckID: sshRoot, Resource: "/etc/ssh/sshd_config"})
		}, vigil.EINVALID, "results[3]"},
		{"removed_bad_check", func(r *vigil.AgentReport) { r.Removed[0].CheckID = "BAD" }, vigil.EINVALID, "results[2].check"},
		{"removed_empty_resource", func(r *vigil.AgentReport) { r.Removed[0].Resource = "" }, vigil.EINVALID, "results[2].resource"},
		{"too_many_results", func(r *vigil.AgentReport) { r.Results, r.Removed = many, nil }, vigil.ETOOLARGE, "results"},
		{"too_many_with_removed", func(r *vigil.AgentReport) { r.Results = many[:vigil.MaxReportResults] }, vigil.ETOOLARGE, "results"},
		{"input_hash_mismatch", func(r *vigil.AgentReport) { r.InputSHA256 = sum([]byte("something else")) }, vigil.EINVALID, "input_sha256"},
		{"input_without_hash", func(r *vigil.AgentReport) { r.InputSHA256 = "" }, vigil.EINVALID, "input_sha256"},
		// The hash alone (the input too large to send, or unchanged) is
		// stored with every run: it must be a hash, not a payload.
		{"hash_alone_not_hex", func(r *vigil.AgentReport) { r.Input, r.InputSHA256 = "", strings.Repeat("z", 64) }, vigil.EINVALID, "input_sha256"},
		{"hash_alone_huge", func(r *vigil.AgentReport) { r.Input, r.InputSHA256 = "", strings.Repeat("ab", 1<<20) }, vigil.EINVALID, "input_sha256"},
		{"hash_alone_short", func(r *vigil.AgentReport) { r.Input, r.InputSHA256 = "", "abc123" }, vigil.EINVALID, "input_sha256"},
		{"input_not_base64", func(r *vigil.AgentReport) { r.Input = "!!not base64!!" }, vigil.EINVALID, "input"},
		{"input_not_gzip", func(r *vigil.AgentReport) {
			r.Input, r.InputSHA256 = base64.StdEncoding.EncodeToString(notGzip), sum(notGzip)
		}, vigil.EINVALID, "input"},
		{"input_truncated_gzip", func(r *vigil.AgentReport) {
			r.Input, r.InputSHA256 = base64.StdEncoding.EncodeToString(truncated), sum(truncated)
		}, vigil.EINVALID, "input"},
		{"input_oversize", func(r *vigil.AgentReport) { r.Input = bigInput }, vigil.ETOOLARGE, "input"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := validReport(t)
			tc.edit(r)
			err := r.Validate()
			if vigil.ErrorCode(err) != tc.code || vigil.ErrorField(err) != tc.field {
				t.Fatalf("Validate() = %v (code %q field %q), want code %q field %q", err, vigil.ErrorCode(err), vigil.ErrorField(err), tc.code, tc.field)
			}
			if vigil.ErrorMessage(err) == "" {
				t.Fatalf("no message")
			}
		})
	}
	// At the limits is fine.
	for name, edit := range map[string]func(r *vigil.AgentReport){
		"reason_at_limit":   func(r *vigil.AgentReport) { r.Results[1].Reason = strings.Repeat("x", vigil.MaxReasonLen) },
		"resource_at_limit": func(r *vigil.AgentReport) { r.Results[1].Resource = strings.Repeat("é", 512) },
		"max_results":       func(r *vigil.AgentReport) { r.Results, r.Removed = many[:vigil.MaxReportResults], nil },
		"no_input":          func(r *vigil.AgentReport) { r.Input = "" },
		"no_input_no_hash":  func(r *vigil.AgentReport) { r.Input, r.InputSHA256 = "", "" },
		"no_results":        func(r *vigil.AgentReport) { r.Results, r.Removed = nil, nil },
		"every_verdict": func(r *vigil.AgentReport) {
			r.Results = nil
			for i, v := range []string{"pass", "fail", "error", "skip", "not_applicable"} {
				r.Results = append(r.Results, vigil.CheckResult{CheckID: "linux.x-" + fmt.Sprint(i), Resource: "host", Verdict: v})
			}
		},
		"same_resource_other_check": func(r *vigil.AgentReport) {
			r.Results = append(r.Results, vigil.CheckResult{CheckID: "linux.other", Resource: "/etc/ssh/sshd_config", Verdict: "pass"})
		},
	} {
		r := validReport(t)
		edit(r)
		if err := r.Validate(); err != nil {
			t.Errorf("%s: refused: %v", name, err)
		}
	}
}

func TestEnrolAndAuthenticate(t *testing.T) {
	engines(t, func(t *testing.T, svc *monitor.Service, clk *clock) {
		ctx := context.Background()
		for _, ttl := range []time.Duration{0, -time.Hour, 31 * 24 * time.Hour} {
			_, err := svc.CreateEnrolment(adminCtx, "x", ttl)
			if vigil.ErrorField(err) != "ttl_hours" {
				t.Errorf("ttl %v: %v, want a ttl_hours error", ttl, err)
			}
		}
		if _, err := svc.CreateEnrolment(adminCtx, "two\nlines", time.Hour); vigil.ErrorField(err) != "name" {
			t.Errorf("name with a newline: %v", err)
		}
		e, err := svc.CreateEnrolment(adminCtx, "web-1", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(e.Token, "vge_") || len(e.Token) < 40 || !e.Expires.Equal(clk.Now().Add(time.Hour)) {
			t.Fatalf("enrolment %+v", e)
		}
		info := vigil.HostInfo{Hostname: "web-1.example", OS: "debian 12", Interval: 300}
		// Host info is checked before the token is spent.
		bad := info
		bad.Interval = 10
		if _, _, err := svc.Enrol(ctx, e.Token, bad); vigil.ErrorField(err) != "interval_seconds" {
			t.Fatalf("bad interval: %v", err)
		}
		if _, _, err := svc.Enrol(ctx, "not-a-token", info); vigil.ErrorCode(err) != vigil.EUNAUTHORIZED {
			t.Fatalf("malformed token: %v", err)
		}
		if _, _, err := svc.Enrol(ctx, "vge_guessed", info); vigil.ErrorCode(err) != vigil.EUNAUTHORIZED {
			t.Fatalf("unknown token: %v", err)
		}
		a, cred, err := svc.Enrol(ctx, e.Token, info)
		if err != nil {
			t.Fatal(err)
		}
		if a.Name != "web-1" || a.Hostname != "web-1.example" || a.Interval != 300 || !strings.HasPrefix(cred, "vga_") {
			t.Fatalf("agent %+v credential %q", a, cred)
		}
		if _, _, err := svc.Enrol(ctx, e.Token, info); vigil.ErrorCode(err) != vigil.EUNAUTHORIZED {
			t.Fatalf("token used twice: %v", err)
		}
		got, err := svc.Authenticate(ctx, cred)
		if err != nil || got.ID != a.ID {
			t.Fatalf("authenticate: %+v, %v", got, err)
		}
		for _, c := range []string{"", "vga_wrong", e.Token, "vgt_" + cred[4:], cred + "x"} {
			if _, err := svc.Authenticate(ctx, c); vigil.ErrorCode(err) != vigil.EUNAUTHORIZED {
				t.Errorf("credential %q: %v, want unauthorized", c, err)
			}
		}
		if err := svc.Store.RevokeAgent(adminCtx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Authenticate(ctx, cred); vigil.ErrorCode(err) != vigil.EFORBIDDEN {
			t.Fatalf("revoked agent: %v, want forbidden", err)
		}
	})
}

func TestIngest(t *testing.T) {
	engines(t, func(t *testing.T, svc *monitor.Service, clk *clock) {
		ctx := context.Background()
		a, _ := enrol(t, svc, "web-1")
		r := validReport(t)
		r.ScannedAt = clk.Now().Add(-time.Minute)
		r.Failed = []string{"packages"}
		if err := svc.Ingest(ctx, a, r); err != nil {
			t.Fatal(err)
		}
		runs, err := svc.Store.Runs(ctx, a.ID, 10)
		if err != nil || len(runs) != 1 || runs[0].Status != "partial" || runs[0].DurationMS != 1200 || runs[0].Input != r.InputSHA256 {
			t.Fatalf("runs %+v, %v", runs, err)
		}
		if in, err := svc.Store.MonitorInput(ctx, r.InputSHA256); err != nil || in != r.Input {
			t.Fatalf("stored input: %v", err)
		}
		// An invalid report is refused before the store sees it.
		bad := validReport(t)
		bad.Seq, bad.ScannedAt = 2, clk.Now()
		bad.Results[0].Verdict = "maybe"
		if err := svc.Ingest(ctx, a, bad); vigil.ErrorField(err) != "results[0].verdict" {
			t.Fatalf("invalid report: %v", err)
		}
		if seq, _ := svc.Store.AgentSeq(ctx, a.ID); seq != 1 {
			t.Fatalf("seq after an invalid report: %d, want 1", seq)
		}
		got, _ := svc.Store.Agent(ctx, a.ID)
		if got.Hostname != "web-1" || got.Pass != 1 || got.Fail != 1 {
			t.Fatalf("agent after a report: %+v", got)
		}
	})
}

// signal reports one control's signals as "status: reason".
func signalsOf(t *testing.T, svc *monitor.Service) map[string]vigil.Signal {
	t.Helper()
	m, err := svc.Signals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]vigil.Signal{}
	for ctl, sigs := range m {
		if len(sigs) != 1 {
			t.Fatalf("%s: %d signals, want one", ctl, len(sigs))
		}
		if sigs[0].ControlID != ctl || sigs[0].Source != "test" {
			t.Fatalf("%s: signal %+v", ctl, sigs[0])
		}
		out[ctl] = sigs[0]
	}
	return out
}

func keysOf(m map[string]vigil.Signal) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

func TestSignals(t *testing.T) {
	engines(t, func(t *testing.T, svc *monitor.Service, clk *clock) {
		ctx := context.Background()
		if m := signalsOf(t, svc); len(m) != 0 {
			t.Fatalf("signals without agents: %v", m)
		}
		now := clk.Now()
		send := func(a *vigil.Agent, seq int64, at time.Time, full bool, rs ...vigil.CheckResult) {
			t.Helper()
			r := &vigil.AgentReport{Seq: seq, ScannedAt: at, Host: vigil.HostInfo{Hostname: a.Hostname, Interval: 900}, Full: full, Results: rs}
			if err := svc.Ingest(ctx, a, r); err != nil {
				t.Fatal(err)
			}
		}
		h1, _ := enrol(t, svc, "h1")
		send(h1, 1, now.Add(-2*time.Minute), true,
			vigil.CheckResult{CheckID: sshRoot, Resource: "/etc/ssh/sshd_config", Verdict: "pass"},
			vigil.CheckResult{CheckID: emptyPass, Resource: "root", Verdict: "pass"},
			vigil.CheckResult{CheckID: customOnly, Resource: "x", Verdict: "fail", Reason: "not mapped anywhere"})
		m := signalsOf(t, svc)
		// Only the mapped controls of checks in the registry.
		if got := keysOf(m); got != "AC-01,AC-04,AC-09,AC-11,VU-04" {
			t.Fatalf("controls with signals: %s", got)
		}
		for ctl, s := range m {
			if s.Status != vigil.SignalOK {
				t.Fatalf("%s: %+v, want ok", ctl, s)
			}
		}
		if s := m["AC-11"]; !strings.Contains(s.Reason, "1 automated test") || !s.At.Equal(now.Add(-2*time.Minute)) {
			t.Fatalf("AC-11 %+v", s)
		}
		// A failing host fails the control, naming host and resource.
		h2, _ := enrol(t, svc, "h2")
		send(h2, 1, now.Add(-time.Minute), true,
			vigil.CheckResult{CheckID: sshRoot, Resource: "/etc/ssh/sshd_config.d/50-cloud.conf", Verdict: "fail", Reason: "PermitRootLogin yes"},
			vigil.CheckResult{CheckID: emptyPass, Resource: "root", Verdict: "not_applicable"})
		m = signalsOf(t, svc)
		for _, ctl := range []string{"AC-11", "AC-09", "VU-04"} {
			s := m[ctl]
			if s.Status != vigil.SignalFail {
				t.Fatalf("%s with a failing host: %+v", ctl, s)
			}
			for _, want := range []string{"/etc/ssh/sshd_config.d/50-cloud.conf", "h2", "PermitRootLogin yes", sshRoot} {
				if !strings.Contains(s.Reason, want) {
					t.Fatalf("%s reason %q does not name %q", ctl, s.Reason, want)
				}
			}
			if !s.At.Equal(now.Add(-time.Minute)) {
				t.Fatalf("%s at %v, want the latest change", ctl, s.At)
			}
		}
		if m["AC-04"].Status != vigil.SignalOK {
			t.Fatalf("AC-04 (h1 passes, h2 not applicable): %+v", m["AC-04"])
		}
		// An error makes a control unknown, never ok; a failure still wins.
		h3, _ := enrol(t, svc, "h3")
		send(h3, 1, now, true,
			vigil.CheckResult{CheckID: emptyPass, Resource: "/etc/shadow", Verdict: "error", Reason: "cannot read /etc/shadow"},
			vigil.CheckResult{CheckID: sshRoot, Resource: "/etc/ssh/sshd_config", Verdict: "error", Reason: "sshd -T failed"})
		m = signalsOf(t, svc)
		if s := m["AC-04"]; s.Status != vigil.SignalUnknown || !strings.Contains(s.Reason, "cannot read /etc/shadow") || !strings.Contains(s.Reason, "h3") {
			t.Fatalf("AC-04 with an error: %+v", s)
		}
		if s := m["AC-11"]; s.Status != vigil.SignalFail {
			t.Fatalf("AC-11 with a failure and an error: %+v", s)
		}
		// Revoked hosts are ignored: without h2 and h3, all ok again.
		for _, a := range []*vigil.Agent{h2, h3} {
			if err := svc.Store.RevokeAgent(adminCtx, a.ID); err != nil {
				t.Fatal(err)
			}
		}
		m = signalsOf(t, svc)
		for ctl, s := range m {
			if s.Status != vigil.SignalOK {
				t.Fatalf("%s after revoking the failing hosts: %+v", ctl, s)
			}
		}
		// A host that stopped reporting: its results are unknown, never ok.
		clk.Add(40 * time.Minute) // grace is 31 minutes at 900 s
		m = signalsOf(t, svc)
		if got := keysOf(m); got != "AC-01,AC-04,AC-09,AC-11,VU-04" {
			t.Fatalf("controls of a stale host: %s", got)
		}
		for ctl, s := range m {
			if s.Status != vigil.SignalUnknown || !strings.Contains(s.Reason, "h1") || !strings.Contains(s.Reason, "stopped reporting") {
				t.Fatalf("%s with a stale host: %+v, want unknown naming h1", ctl, s)
			}
		}
		// A fresh host passing does not hide a stale one. h4 reports now
		// (the store takes no future reports); at now+30m h1 (seen at
		// now-2m) is stale and h4 is not.
		h4, _ := enrol(t, svc, "h4")
		send(h4, 1, time.Now().UTC(), true, vigil.CheckResult{CheckID: sshRoot, Resource: "/etc/ssh/sshd_config", Verdict: "pass"})
		clk.Set(now.Add(30 * time.Minute))
		m = signalsOf(t, svc)
		if s := m["AC-11"]; s.Status != vigil.SignalUnknown {
			t.Fatalf("AC-11 with one fresh passing host and one stale: %+v", s)
		}
		// A fresh host's failure is a failure whatever the stale say.
		send(h4, 2, time.Now().UTC(), false, vigil.CheckResult{CheckID: sshRoot, Resource: "/etc/ssh/sshd_config", Verdict: "fail", Reason: "PermitRootLogin yes"})
		if s := signalsOf(t, svc)["AC-11"]; s.Status != vigil.SignalFail {
			t.Fatalf("AC-11 with a fresh failing host: %+v", s)
		}
		// Once that host is silent too, its failure is no longer current
		// knowledge: unknown, naming both silent hosts.
		clk.Set(now.Add(2 * time.Hour))
		if s := signalsOf(t, svc)["AC-11"]; s.Status != vigil.SignalUnknown || !strings.Contains(s.Reason, "h1, h4") {
			t.Fatalf("AC-11 with every host silent: %+v", s)
		}
		clk.Set(now.Add(30 * time.Minute))
		// Only not-applicable results: no statement at all.
		if err := svc.Store.RevokeAgent(adminCtx, h1.ID); err != nil {
			t.Fatal(err)
		}
		send(h4, 3, time.Now().UTC(), true, vigil.CheckResult{CheckID: sshRoot, Resource: "/etc/ssh/sshd_config", Verdict: "not_applicable"})
		if m := signalsOf(t, svc); len(m) != 0 {
			t.Fatalf("signals from not-applicable results only: %v", m)
		}
	})
}

func TestVersion(t *testing.T) {
	engines(t, func(t *testing.T, svc *monitor.Service, clk *clock) {
		ctx := context.Background()
		v1, err := svc.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := svc.Version(ctx); v != v1 {
			t.Fatalf("version changed without a change: %s %s", v1, v)
		}
		a, _ := enrol(t, svc, "h1")
		v2, _ := svc.Version(ctx)
		if v2 == v1 {
			t.Fatalf("version unchanged after an enrolment")
		}
		r := validReport(t)
		if err := svc.Ingest(ctx, a, r); err != nil {
			t.Fatal(err)
		}
		v3, _ := svc.Version(ctx)
		if v3 == v2 {
			t.Fatalf("version unchanged after new results")
		}
		clk.Add(time.Minute)
		if v4, _ := svc.Version(ctx); v4 == v3 {
			t.Fatalf("version unchanged a minute later (staleness changes with time)")
		}
		v5, _ := svc.Version(ctx)
		if err := svc.Store.RevokeAgent(adminCtx, a.ID); err != nil {
			t.Fatal(err)
		}
		if v6, _ := svc.Version(ctx); v6 == v5 {
			t.Fatalf("version unchanged after a revocation")
		}
	})
}

func TestHistory(t *testing.T) {
	engines(t, func(t *testing.T, svc *monitor.Service, clk *clock) {
		ctx := context.Background()
		// Reports in the past (the store refuses future ones); the clock
		// stands after them.
		base := clk.Now().Add(-6 * time.Hour)
		m := func(n int) time.Time { return base.Add(time.Duration(n) * time.Minute) }
		a, _ := enrol(t, svc, "web-1") // interval 900 s: grace 31 min
		seq := int64(0)
		send := func(at time.Time, full bool, removed []vigil.CheckResult, rs ...vigil.CheckResult) {
			t.Helper()
			seq++
			r := &vigil.AgentReport{Seq: seq, ScannedAt: at, Host: vigil.HostInfo{Hostname: "web-1", Interval: 900}, Full: full, Results: rs, Removed: removed}
			if err := svc.Ingest(ctx, a, r); err != nil {
				t.Fatal(err)
			}
		}
		r := func(check, resource, verdict string) vigil.CheckResult {
			return vigil.CheckResult{CheckID: check, Resource: resource, Verdict: verdict, Reason: map[string]string{"fail": "bad " + resource}[verdict]}
		}
		send(m(0), true, nil, r(sshRoot, "a", "pass"), r(sshRoot, "b", "pass"), r(emptyPass, "root", "fail"))
		send(m(15), false, nil, r(sshRoot, "b", "fail"))
		send(m(30), false, nil)
		// No report from 30 to 120: unknown from 61 (30 + grace).
		send(m(120), true, nil, r(sshRoot, "a", "pass"), r(sshRoot, "b", "pass")) // removes emptyPass/root
		send(m(135), false, nil)
		clk.Set(m(200))

		from, to := m(-60), m(180)
		h, err := svc.History(ctx, a.ID, "", from, to)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 2 || h[0].CheckID != emptyPass || h[1].CheckID != sshRoot {
			t.Fatalf("history checks: %+v", h)
		}
		show := func(ivs []vigil.Interval) string {
			var p []string
			for _, iv := range ivs {
				p = append(p, fmt.Sprintf("%d-%d:%s", int(iv.Start.Sub(base).Minutes()), int(iv.End.Sub(base).Minutes()), iv.State))
			}
			return strings.Join(p, " ")
		}
		ssh := h[1]
		if len(ssh.Resources) != 2 || ssh.Resources[0].Resource != "a" || ssh.Resources[1].Resource != "b" {
			t.Fatalf("ssh resources %+v", ssh.Resources)
		}
		for _, c := range []struct{ got, want string }{
			{show(ssh.Resources[0].Intervals), "-60-0:unknown 0-61:passing 61-120:unknown 120-166:passing 166-180:unknown"},
			{show(ssh.Resources[1].Intervals), "-60-0:unknown 0-15:passing 15-61:failing 61-120:unknown 120-166:passing 166-180:unknown"},
			{show(ssh.Intervals), "-60-0:unknown 0-15:passing 15-61:failing 61-120:unknown 120-166:passing 166-180:unknown"},
			{show(h[0].Resources[0].Intervals), "-60-0:unknown 0-61:failing 61-120:unknown 120-166:absent 166-180:unknown"},
			{show(h[0].Intervals), "-60-0:unknown 0-61:failing 61-180:unknown"},
		} {
			if c.got != c.want {
				t.Errorf("intervals\n got %s\nwant %s", c.got, c.want)
			}
		}
		// Failing reasons reach the intervals.
		if iv := ssh.Intervals[2]; iv.State != vigil.StateFailing || iv.Reason != "bad b" {
			t.Errorf("failing interval %+v, want the failure's reason", iv)
		}
		// The gap in reports is unknown, never passing, in the share.
		share := ssh.Share
		total := 240.0
		for st, want := range map[vigil.IntervalState]float64{vigil.StatePassing: (15 + 46) / total, vigil.StateFailing: 46 / total, vigil.StateUnknown: (60 + 59 + 14) / total} {
			if math.Abs(share[st]-want) > 1e-9 {
				t.Errorf("share of %s: %v, want %v", st, share[st], want)
			}
		}
		// Time to fix: b failed at 15 and passed at 120.
		if ft := ssh.Resources[1].FixTimes; len(ft) != 1 || math.Abs(ft[0]-105.0/60) > 1e-9 {
			t.Errorf("fix times of b: %v, want [1.75]", ft)
		}
		if ft := ssh.Resources[0].FixTimes; len(ft) != 0 {
			t.Errorf("fix times of a (never failed): %v", ft)
		}
		if ft := h[0].Resources[0].FixTimes; len(ft) != 0 {
			t.Errorf("fix times of a removed failure: %v, want none", ft)
		}
		// Fix times belong to the window the fix falls in: a failure fixed
		// before the window is not one of its fixes; one that began before
		// and was fixed inside counts whole; one fixed after is not yet.
		fixes := func(from, to time.Time) []float64 {
			t.Helper()
			h, err := svc.History(ctx, a.ID, sshRoot, from, to)
			if err != nil {
				t.Fatal(err)
			}
			return h[0].Resources[1].FixTimes
		}
		if ft := fixes(m(130), m(180)); len(ft) != 0 {
			t.Errorf("fix times in a window after the fix: %v, want none", ft)
		}
		if ft := fixes(m(100), m(180)); len(ft) != 1 || math.Abs(ft[0]-1.75) > 1e-9 {
			t.Errorf("fix times in a window holding the fix: %v, want [1.75]", ft)
		}
		if ft := fixes(m(-60), m(100)); len(ft) != 0 {
			t.Errorf("fix times in a window before the fix: %v, want none", ft)
		}
		// One check only.
		h, err = svc.History(ctx, a.ID, sshRoot, from, to)
		if err != nil || len(h) != 1 || h[0].CheckID != sshRoot || len(h[0].Resources) != 2 {
			t.Fatalf("history of one check: %+v, %v", h, err)
		}
		// A window inside one state; one before anything.
		h, _ = svc.History(ctx, a.ID, sshRoot, m(20), m(40))
		if got := show(h[0].Intervals); got != "20-40:failing" {
			t.Errorf("window inside a failure: %s", got)
		}
		h, _ = svc.History(ctx, a.ID, "", m(-300), m(-200))
		if len(h) != 0 {
			t.Errorf("window before any report: %+v, want nothing", h)
		}
		h, _ = svc.History(ctx, a.ID, "linux.nothing.here", from, to)
		if len(h) != 0 {
			t.Errorf("history of a check never reported: %+v", h)
		}
		// Bad windows and agents.
		if _, err := svc.History(ctx, a.ID, "", to, from); vigil.ErrorField(err) != "from" {
			t.Errorf("backwards window: %v", err)
		}
		if _, err := svc.History(ctx, a.ID, "", from, from); vigil.ErrorField(err) != "from" {
			t.Errorf("empty window: %v", err)
		}
		if _, err := svc.History(ctx, 9999, "", from, to); vigil.ErrorCode(err) != vigil.ENOTFOUND {
			t.Errorf("unknown agent: %v", err)
		}
	})
}
