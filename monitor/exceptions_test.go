package monitor_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/monitor"
	"github.com/vigil-soc/vigil/store"
)

// people makes the owner, an admin and a member, and returns a context
// acting as each (exceptions name real users: requester and approver).
func people(t *testing.T, st *store.Store) (owner, admin, member context.Context) {
	t.Helper()
	ctx := context.Background()
	if err := st.CreateSetupToken(ctx, "h", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	o, err := st.Setup(ctx, &store.SetupInput{SetupSecretHash: "h", Organization: vigil.Organization{Name: "Acme"},
		Owner: vigil.User{Email: "owner@example.com", Name: "Olive Owner"}, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	owner = vigil.WithActor(ctx, vigil.Actor{UserID: o.ID, Name: o.Email, Role: vigil.RoleOwner})
	as := func(r vigil.Role) context.Context {
		u := &vigil.User{Email: string(r) + "@example.com", Name: "The " + string(r), Role: r}
		if err := st.CreateUser(owner, u, ""); err != nil {
			t.Fatal(err)
		}
		return vigil.WithActor(ctx, vigil.Actor{UserID: u.ID, Name: u.Email, Role: r})
	}
	return owner, as(vigil.RoleAdmin), as(vigil.RoleMember)
}

func enrolLabelled(t *testing.T, svc *monitor.Service, ctx context.Context, host string, labels map[string]string) *vigil.Agent {
	t.Helper()
	e, err := svc.CreateLabelledEnrolment(ctx, host, labels, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := svc.Enrol(context.Background(), e.Token, vigil.HostInfo{Hostname: host + ".example", OS: "debian 12", Interval: 900})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Labels) != len(labels) {
		t.Fatalf("%s enrolled with labels %v, want %v", host, a.Labels, labels)
	}
	return a
}

func TestExceptionValidation(t *testing.T) {
	engines(t, func(t *testing.T, svc *monitor.Service, clk *clock) {
		_, _, member := people(t, svc.Store)
		now := clk.Now()
		good := func() *vigil.CheckException {
			return &vigil.CheckException{CheckID: sshRoot, Kind: vigil.ExceptionRiskAccepted, Scope: vigil.ScopeAll,
				Justification: "Root logins are only possible from the bastion.", Expires: now.Add(24 * time.Hour)}
		}
		for _, c := range []struct {
			field string
			edit  func(e *vigil.CheckException)
		}{
			{"justification", func(e *vigil.CheckException) { e.Justification = "" }},
			{"justification", func(e *vigil.CheckException) { e.Justification = "because" }},
			{"expires_at", func(e *vigil.CheckException) { e.Expires = now.Add(-time.Minute) }},
			{"expires_at", func(e *vigil.CheckException) { e.Expires = time.Time{} }},
			{"expires_at", func(e *vigil.CheckException) { e.Expires = now.AddDate(1, 1, 0) }},
			{"check", func(e *vigil.CheckException) { e.CheckID = "linux.no-such-check" }},
			{"check", func(e *vigil.CheckException) { e.CheckID = "" }},
			{"kind", func(e *vigil.CheckException) { e.Kind = "waived" }},
			{"scope", func(e *vigil.CheckException) { e.Scope = "" }},
			{"agent_id", func(e *vigil.CheckException) { e.Scope = vigil.ScopeHost }},
			{"label", func(e *vigil.CheckException) { e.Scope, e.Label = vigil.ScopeLabel, "Env=Prod" }},
			{"label", func(e *vigil.CheckException) { e.Scope, e.Label = vigil.ScopeLabel, "env" }},
		} {
			e := good()
			c.edit(e)
			err := svc.RequestException(member, e)
			if vigil.ErrorField(err) != c.field || vigil.ErrorCode(err) != vigil.EINVALID {
				t.Errorf("%+v: error %v (field %q), want field %s", e, err, vigil.ErrorField(err), c.field)
			}
		}
		if err := svc.RequestException(member, good()); err != nil {
			t.Fatalf("a good request: %v", err)
		}
		// Labels on hosts are checked the same way.
		if _, err := svc.SetLabels(member, 1, map[string]string{"Env": "prod"}); vigil.ErrorField(err) != "labels" {
			t.Fatalf("an uppercase label key: %v", err)
		}
		if _, err := svc.CreateLabelledEnrolment(member, "x", map[string]string{"env": "prod env"}, time.Hour); vigil.ErrorField(err) != "labels" {
			t.Fatalf("a label value with a space: %v", err)
		}
	})
}

// TestExceptionSignals: the rule in the readiness signal and the fleet
// view. Unapproved changes nothing; a label exception covers only its
// label; risk accepted warns and names the exception; not applicable is
// not counted; errors are never excepted; an expired exception fails
// again by the service's clock, and the version notices; history stays.
func TestExceptionSignals(t *testing.T) {
	engines(t, func(t *testing.T, svc *monitor.Service, clk *clock) {
		ctx := context.Background()
		owner, admin, member := people(t, svc.Store)
		dev := enrolLabelled(t, svc, owner, "dev-1", map[string]string{"env": "dev"})
		prod := enrolLabelled(t, svc, owner, "prod-1", map[string]string{"env": "prod"})
		now := clk.Now()
		seq := map[int64]int64{}
		send := func(a *vigil.Agent, rs ...vigil.CheckResult) {
			t.Helper()
			seq[a.ID]++
			r := &vigil.AgentReport{Seq: seq[a.ID], ScannedAt: clk.Now().Add(-time.Minute), Host: vigil.HostInfo{Hostname: a.Hostname, Interval: 900}, Full: true, Results: rs}
			if err := svc.Ingest(ctx, a, r); err != nil {
				t.Fatal(err)
			}
		}
		fail := vigil.CheckResult{CheckID: sshRoot, Resource: "/etc/ssh/sshd_config", Verdict: "fail", Reason: "PermitRootLogin yes"}
		send(dev, fail)
		send(prod, fail, vigil.CheckResult{CheckID: emptyPass, Resource: "root", Verdict: "pass"})
		ac11 := func() vigil.Signal { t.Helper(); return signalsOf(t, svc)["AC-11"] }
		if s := ac11(); s.Status != vigil.SignalFail || !strings.Contains(s.Reason, "dev-1") || !strings.Contains(s.Reason, "prod-1") {
			t.Fatalf("AC-11 before any exception: %+v", s)
		}

		// Requested for env=dev, not yet approved: nothing changes.
		devX := &vigil.CheckException{CheckID: sshRoot, Kind: vigil.ExceptionRiskAccepted, Scope: vigil.ScopeLabel, Label: "env=dev",
			Justification: "Development hosts are reachable only through the VPN.", Expires: now.Add(10 * time.Minute)}
		if err := svc.RequestException(member, devX); err != nil {
			t.Fatal(err)
		}
		if s := ac11(); s.Status != vigil.SignalFail || !strings.Contains(s.Reason, "dev-1") {
			t.Fatalf("AC-11 with an unapproved exception: %+v", s)
		}
		if f := fleetOf(t, svc)[sshRoot]; f.Fail != 2 || f.Excepted != 0 {
			t.Fatalf("fleet with an unapproved exception: %+v", f)
		}
		if _, err := svc.ApproveException(admin, devX.ID); err != nil {
			t.Fatal(err)
		}
		// Approved: env=dev is excepted, env=prod still fails, and the
		// failure on prod still fails the control; the excepted one is
		// named apart, with its exception.
		s := ac11()
		failing, also, _ := strings.Cut(s.Reason, "; also ")
		if s.Status != vigil.SignalFail || strings.Contains(failing, "dev-1") || !strings.Contains(failing, "prod-1") ||
			!strings.Contains(also, "dev-1") || !strings.Contains(also, "exception #"+strconv.FormatInt(devX.ID, 10)) {
			t.Fatalf("AC-11 with env=dev excepted: %+v", s)
		}
		// prod-1: not applicable there, approved by the owner.
		prodX := &vigil.CheckException{CheckID: sshRoot, Kind: vigil.ExceptionNotApplicable, Scope: vigil.ScopeHost, AgentID: prod.ID,
			Justification: "This host has no SSH daemon; the package is a leftover being removed.", Expires: now.Add(30 * 24 * time.Hour)}
		if err := svc.RequestException(admin, prodX); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ApproveException(admin, prodX.ID); vigil.ErrorField(err) != "approver" {
			t.Fatalf("the requester approved their own exception: %v", err)
		}
		if _, err := svc.ApproveException(owner, prodX.ID); err != nil {
			t.Fatal(err)
		}
		// Risk accepted is a warning naming the exception, approver and
		// expiry, never a silent OK; not applicable is not counted.
		s = ac11()
		want := []string{"risk accepted", "dev-1", "exception #" + strconv.FormatInt(devX.ID, 10), "The admin", now.Add(10 * time.Minute).UTC().Format("2006-01-02 15:04")}
		if s.Status != vigil.SignalWarn || strings.Contains(s.Reason, "prod-1") {
			t.Fatalf("AC-11 with both excepted: %+v", s)
		}
		for _, w := range want {
			if !strings.Contains(s.Reason, w) {
				t.Fatalf("AC-11 reason %q does not name %q", s.Reason, w)
			}
		}
		if f := fleetOf(t, svc)[sshRoot]; f.Fail != 0 || f.Excepted != 2 {
			t.Fatalf("fleet with both excepted: %+v", f)
		}
		// Controls of the passing check are untouched.
		if s := signalsOf(t, svc)["AC-04"]; s.Status != vigil.SignalOK {
			t.Fatalf("AC-04: %+v", s)
		}

		// An error is never excepted into anything better.
		send(dev, fail, vigil.CheckResult{CheckID: sshRoot, Resource: "/etc/ssh/sshd_config.d", Verdict: "error", Reason: "permission denied"})
		if s := ac11(); s.Status != vigil.SignalUnknown {
			t.Fatalf("AC-11 with an error on an excepted check: %+v", s)
		}
		if f := fleetOf(t, svc)[sshRoot]; f.Fail != 0 || f.Error != 1 || f.Excepted != 1 {
			t.Fatalf("fleet with an error on an excepted check: %+v", f)
		}
		send(dev, fail)

		// The filter by host takes labels in: prod-1 is covered by its own
		// exception, not by env=dev's.
		xs, err := svc.Exceptions(ctx, monitor.ExceptionFilter{AgentID: prod.ID})
		if err != nil || len(xs) != 1 || xs[0].ID != prodX.ID || xs[0].State != vigil.ExceptionActive {
			t.Fatalf("exceptions covering prod-1: %+v %v", xs, err)
		}

		// Past the env=dev expiry (by the service's clock; the hosts still
		// report on schedule): it fails again, and the version says so.
		before, err := svc.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		clk.Add(11 * time.Minute)
		after, err := svc.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Split(before, "@")[0] == strings.Split(after, "@")[0] {
			t.Fatalf("the version ignores an exception's expiry: %s then %s", before, after)
		}
		if s := ac11(); s.Status != vigil.SignalFail || !strings.Contains(s.Reason, "dev-1") || strings.Contains(s.Reason, "prod-1") {
			t.Fatalf("AC-11 after the env=dev exception expired: %+v", s)
		}
		if x, _ := svc.Exception(ctx, devX.ID); x.State != vigil.ExceptionExpired {
			t.Fatalf("state after expiry: %s", x.State)
		}
		if f := fleetOf(t, svc)[sshRoot]; f.Fail != 1 || f.Excepted != 1 {
			t.Fatalf("fleet after expiry: %+v", f)
		}
		// Revoked: prod-1 counts again.
		if _, err := svc.RevokeException(owner, prodX.ID, "the daemon is back"); err != nil {
			t.Fatal(err)
		}
		if s := ac11(); s.Status != vigil.SignalFail || !strings.Contains(s.Reason, "prod-1") {
			t.Fatalf("AC-11 after the prod exception was revoked: %+v", s)
		}
		// History is not rewritten: dev-1 was failing all along.
		h, err := svc.History(ctx, dev.ID, sshRoot, now.Add(-time.Minute), clk.Now())
		if err != nil || len(h) != 1 || h[0].Share[vigil.StateFailing] < 0.9 {
			t.Fatalf("history of dev-1: %+v %v", h, err)
		}
	})
}

func fleetOf(t *testing.T, svc *monitor.Service) map[string]vigil.FleetCount {
	t.Helper()
	fc, err := svc.Fleet(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]vigil.FleetCount{}
	for _, f := range fc {
		out[f.CheckID] = f
	}
	return out
}

// TestLabelExceptionNotWidenedByRequester: a label exception approved by a
// second person does not reach a host its requester labels afterwards;
// labels set by someone else, or before the approval, count. (The label
// was matched live, so the requester alone could widen an approval.)
func TestLabelExceptionNotWidenedByRequester(t *testing.T) {
	engines(t, func(t *testing.T, svc *monitor.Service, clk *clock) {
		ctx := context.Background()
		owner, admin, _ := people(t, svc.Store)
		dev := enrolLabelled(t, svc, owner, "dev-1", map[string]string{"env": "dev"})
		prod := enrolLabelled(t, svc, owner, "prod-1", map[string]string{"env": "prod"})
		for _, a := range []*vigil.Agent{dev, prod} {
			r := &vigil.AgentReport{Seq: 1, ScannedAt: clk.Now().Add(-time.Minute), Host: vigil.HostInfo{Hostname: a.Hostname, Interval: 900}, Full: true,
				Results: []vigil.CheckResult{{CheckID: sshRoot, Resource: "/etc/ssh/sshd_config", Verdict: "fail", Reason: "PermitRootLogin yes"}}}
			if err := svc.Ingest(ctx, a, r); err != nil {
				t.Fatal(err)
			}
		}
		x := &vigil.CheckException{CheckID: sshRoot, Kind: vigil.ExceptionRiskAccepted, Scope: vigil.ScopeLabel, Label: "env=dev",
			Justification: "Development hosts are reachable only through the VPN.", Expires: clk.Now().Add(24 * time.Hour)}
		if err := svc.RequestException(admin, x); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ApproveException(owner, x.ID); err != nil {
			t.Fatal(err)
		}
		if f := fleetOf(t, svc)[sshRoot]; f.Fail != 1 || f.Excepted != 1 {
			t.Fatalf("env=dev excepted, labelled at enrolment before the approval: %+v", f)
		}
		// The requester relabels production as dev: not covered.
		if _, err := svc.SetLabels(admin, prod.ID, map[string]string{"env": "dev"}); err != nil {
			t.Fatal(err)
		}
		if f := fleetOf(t, svc)[sshRoot]; f.Fail != 1 || f.Excepted != 1 {
			t.Fatalf("prod-1 relabelled dev by the exception's requester: %+v, want still failing", f)
		}
		if s := signalsOf(t, svc)["AC-11"]; s.Status != vigil.SignalFail || !strings.Contains(s.Reason, "prod-1") {
			t.Fatalf("AC-11 after the requester's relabelling: %+v", s)
		}
		// The approver (someone other than the requester) labels it: it is
		// covered, as any host labelled by a second person is.
		if _, err := svc.SetLabels(owner, prod.ID, map[string]string{"env": "dev"}); err != nil {
			t.Fatal(err)
		}
		if f := fleetOf(t, svc)[sshRoot]; f.Fail != 0 || f.Excepted != 2 {
			t.Fatalf("prod-1 labelled dev by another person: %+v", f)
		}
	})
}
