package server_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
)

// TestControlHistory: a control's timeline across hosts, from the checks
// mapped to it, with time no report covers as unknown.
func TestControlHistory(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"AC-11"}}, 200, nil)
	e.enrolAgent("web-1")
	now := time.Now().UTC().Truncate(time.Second)
	// Failing for an hour (reports every 5 minutes), then fixed for an hour.
	for i := 0; i <= 24; i++ {
		v := "fail"
		if i >= 12 {
			v = "pass"
		}
		e.report("web-1", agentReport{Seq: int64(i + 1), ScannedAt: now.Add(time.Duration(i-24) * 5 * time.Minute), Full: true,
			Results: []vigil.CheckResult{{CheckID: checkRootLogin, Resource: "sshd", Verdict: v, Reason: "PermitRootLogin is yes"}}}, 202)
	}
	var h struct {
		Checks    []string                        `json:"checks"`
		Intervals []vigil.Interval                `json:"intervals"`
		Share     map[vigil.IntervalState]float64 `json:"share"`
		Hosts     []struct{ Name string }         `json:"hosts"`
	}
	from := now.Add(-3 * time.Hour).Format(time.RFC3339)
	e.do("viewer", "GET", fmt.Sprintf("/api/v1/controls/AC-11/history?from=%s&to=%s", from, now.Format(time.RFC3339)), nil, 200, &h)
	if len(h.Hosts) != 1 || h.Hosts[0].Name != "web-1" {
		t.Fatalf("hosts %+v", h.Hosts)
	}
	found := false
	for _, c := range h.Checks {
		found = found || c == checkRootLogin
	}
	if !found {
		t.Fatalf("checks %v lack %s", h.Checks, checkRootLogin)
	}
	// Three hours: the first hour before any report is unknown, then one
	// hour failing, then one passing.
	f, p, u := h.Share[vigil.StateFailing], h.Share[vigil.StatePassing], h.Share[vigil.StateUnknown]
	if f < 0.3 || f > 0.36 || p < 0.3 || p > 0.36 || u < 0.3 || u > 0.36 {
		t.Fatalf("share %v, want about a third each", h.Share)
	}
	if h.Intervals[0].State != vigil.StateUnknown || h.Intervals[len(h.Intervals)-1].State != vigil.StatePassing {
		t.Fatalf("intervals %+v", h.Intervals)
	}
	// The control's page shows the record over the last 90 days: mostly
	// unknown (before the host reported), with the failing and passing hours.
	ss := e.sessions()
	v := ss["viewer"]
	code, body, _ := e.page(&v, "GET", "/controls/AC-11", nil)
	if code != 200 || !strings.Contains(body, "the last 90 days") || !strings.Contains(body, `class="tl-failing"`) ||
		!strings.Contains(body, `class="tl-passing"`) || !strings.Contains(body, `href="/hosts/1">web-1`) {
		t.Fatalf("control page %d lacks the automated test record:\n%s", code, body)
	}
	e.do("viewer", "GET", "/api/v1/controls/AC-11/history?from=2026-13-01", nil, 400, nil)
	e.do("viewer", "GET", "/api/v1/controls/NOPE-1/history", nil, 404, nil)
}

// TestHostTailoringPage: the host page marks checks a host turns off
// without approval and lets an admin approve exactly what it shows; a
// viewer sees no button.
func TestHostTailoringPage(t *testing.T) {
	e := newEnv(t, "sqlite")
	id, _ := e.enrolAgent("db-1")
	e.report("db-1", agentReport{Seq: 1, ScannedAt: time.Now().UTC().Add(-time.Minute), Full: true, Results: []vigil.CheckResult{},
		Disabled: map[string]string{checkRootLogin: "break-glass access, reviewed monthly"}}, 202)
	ss := e.sessions()
	viewer, admin := ss["viewer"], ss["admin"]
	path := fmt.Sprintf("/hosts/%d", id)
	code, body, _ := e.page(&viewer, "GET", path, nil)
	if code != 200 || !strings.Contains(body, "not approved") || !strings.Contains(body, "break-glass access") || strings.Contains(body, "tailoring/approve") {
		t.Fatalf("viewer's host page %d:\n%s", code, body)
	}
	code, body, _ = e.page(&admin, "GET", path, nil)
	i := strings.Index(body, `name="digest" value="`)
	if code != 200 || i < 0 {
		t.Fatalf("admin's host page %d has no approval form:\n%s", code, body)
	}
	digest := body[i+len(`name="digest" value="`):]
	digest = digest[:strings.IndexByte(digest, '"')]
	// A stale digest approves nothing.
	if code, _, _ := e.page(&admin, "POST", path+"/tailoring/approve", url.Values{"digest": {"0000000000000000"}}); code != 303 {
		t.Fatalf("stale approval: %d", code)
	}
	if _, body, _ := e.page(&admin, "GET", path, nil); !strings.Contains(body, "not approved") {
		t.Fatal("a stale digest approved the tailoring")
	}
	if code, _, _ := e.page(&admin, "POST", path+"/tailoring/approve", url.Values{"digest": {digest}}); code != 303 {
		t.Fatalf("approval: %d", code)
	}
	if _, body, _ := e.page(&admin, "GET", path, nil); strings.Contains(body, "not approved") || strings.Contains(body, "tailoring/approve") {
		t.Fatalf("after approval:\n%s", body)
	}
}
