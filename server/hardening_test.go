package server_test

import (
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/evidence"
	"github.com/vigil-soc/vigil/server"
)

// JSON bodies: a key twice, a key in the wrong case and bidirectional
// overrides are refused with the field named (encoding/json took the last
// duplicate, matched keys without regard to case and stored overrides).
func TestStrictJSON(t *testing.T) {
	e := newEnv(t, "sqlite")
	viewer := e.users["viewer"]
	for _, c := range []struct{ method, path, body, field, says string }{
		{"PATCH", "/api/v1/users/" + itoa(viewer), `{"role":"viewer","role":"owner"}`, "role", "twice"},
		{"PATCH", "/api/v1/users/" + itoa(viewer), `{"Role":"admin"}`, "Role", "case-sensitive"},
		{"POST", "/api/v1/systems", `{"name":"payments\u202Etxt.exe","kind":"service","classification":"internal"}`, "name", "U+202E"},
		{"POST", "/api/v1/systems", "{\"name\":\"payments\u2066x\u2069\",\"kind\":\"service\"}", "name", "U+2066"},
		{"PUT", "/api/v1/scope", `{"categories":["security"],"categories":[]}`, "categories", "twice"},
	} {
		status, b := e.raw("owner", c.method, c.path, strings.NewReader(c.body), nil)
		code, msg, field := apiError(t, b)
		if status != 400 || code != "invalid" || field != c.field || !strings.Contains(msg, c.says) {
			t.Errorf("%s %s %s: %d %s", c.method, c.path, c.body, status, b)
		}
	}
	// The viewer is still a viewer: nothing was applied.
	var u struct{ Role string }
	e.do("owner", "GET", "/api/v1/users/"+itoa(viewer), nil, 200, &u)
	if u.Role != "viewer" {
		t.Fatalf("viewer's role is now %s", u.Role)
	}
	// Right-to-left text itself (Hebrew, with its marks) is fine.
	e.do("owner", "POST", "/api/v1/systems", map[string]any{"name": "מערכת\u200f תשלומים", "kind": "service", "classification": "internal", "environment": "production"}, 201, nil)
	// Forms and queries too.
	ss := e.sessions()
	admin := ss["admin"]
	if status, _, _ := e.page(&admin, "POST", "/controls/new", url.Values{"id": {"CUST-1"}, "title": {"invoice\u202efdp.exe"}, "criteria": {"CC6.1"}}); status != 400 {
		t.Fatalf("a control title with an override through the page: %d", status)
	}
	if status, _ := e.raw("viewer", "GET", "/api/v1/controls?q=%E2%80%AE", nil, nil); status != 400 {
		t.Fatalf("an override in a query: %d", status)
	}
}

// Control IDs are matched whatever their case, in every route alike.
func TestControlIDsAnyCase(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"AC-07"}}, 200, nil)
	var c struct{ ID string }
	e.do("viewer", "GET", "/api/v1/controls/ac-07", nil, 200, &c)
	if c.ID != "AC-07" {
		t.Fatalf("lower-case lookup gave %q", c.ID)
	}
	e.do("admin", "PATCH", "/api/v1/controls/Ac-07", map[string]any{"title": "Access reviews"}, 200, nil)
	var reqs struct{ Items []any }
	e.do("viewer", "GET", "/api/v1/requests?control=ac-07", nil, 200, &reqs)
	if len(reqs.Items) != 1 {
		t.Fatalf("requests of ac-07: %d, want the library's one", len(reqs.Items))
	}
	e.do("admin", "POST", "/api/v1/requests", map[string]any{"control_id": "ac-07", "title": "extra", "frequency": "annual", "start": "2026-01-01"}, 201, nil)
	ss := e.sessions()
	viewer := ss["viewer"]
	if status, _, _ := e.page(&viewer, "GET", "/controls/ac-07", nil); status != 200 {
		t.Fatalf("control page in lower case: %d", status)
	}
}

// A form refused because the role may not do it is 403, not 400.
func TestForbiddenFormIs403(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"AC-07"}}, 200, nil)
	ss := e.sessions()
	member := ss["member"]
	status, body, _ := e.page(&member, "POST", "/controls/AC-07", url.Values{"title": {"mine now"}, "status": {"in_progress"}})
	if status != 403 || !strings.Contains(body, "own") {
		t.Fatalf("member editing a control she does not own: %d", status)
	}
}

// /static/ is no directory listing, and its files carry a CSP.
func TestStaticHardened(t *testing.T) {
	e := newEnv(t, "sqlite")
	resp, err := http.Get(e.http.URL + "/static/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("/static/: %d, want 404", resp.StatusCode)
	}
	resp, err = http.Get(e.http.URL + "/static/app.css")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("/static/app.css: %d, CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
}

// /readyz is not ready while evidence cannot be written.
func TestReadyzProbesBlobStore(t *testing.T) {
	var ev *evidence.Service
	e := newEnv(t, "sqlite", func(c *server.Config) { ev = c.Evidence })
	if err := os.RemoveAll(ev.Staging); err != nil {
		t.Fatal(err)
	}
	var body struct{ Status, Reason string }
	e.do("", "GET", "/readyz", nil, 503, &body)
	if body.Status != "not_ready" || !strings.Contains(body.Reason, "evidence storage") {
		t.Fatalf("readyz with no staging directory: %+v", body)
	}
	e2 := newEnv(t, "sqlite")
	e2.do("", "GET", "/readyz", nil, 200, &body)
}

// /metrics can require a token.
func TestMetricsToken(t *testing.T) {
	const tok = "metrics-token-0123456789"
	e := newEnv(t, "sqlite", func(c *server.Config) { c.MetricsToken = tok })
	status, _ := e.raw("", "GET", "/metrics", nil, nil)
	if status != 401 {
		t.Fatalf("/metrics without the token: %d", status)
	}
	status, _ = e.raw("", "GET", "/metrics", nil, map[string]string{"Authorization": "Bearer wrong-token-0123456789"})
	if status != 401 {
		t.Fatalf("/metrics with a wrong token: %d", status)
	}
	status, b := e.raw("", "GET", "/metrics", nil, map[string]string{"Authorization": "Bearer " + tok})
	if status != 200 || !strings.Contains(string(b), "vigil_build_info") {
		t.Fatalf("/metrics with the token: %d", status)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// The Tokens page's expiry starts where the CLI's does.
func TestTokenPageDefaultDays(t *testing.T) {
	e := newEnv(t, "sqlite")
	ss := e.sessions()
	viewer := ss["viewer"]
	status, body, _ := e.page(&viewer, "GET", "/tokens", nil)
	if status != 200 || !strings.Contains(body, `name="expires_in_days" type="number" min="0" max="3650" value="`+strconv.Itoa(vigil.DefaultTokenDays)+`"`) {
		t.Fatalf("tokens page: %d, expiry default not %d", status, vigil.DefaultTokenDays)
	}
}

// An agent reports what its host holds as it is: a world-writable file
// named with an override character is a finding, not a refused report
// (refusing it let anyone who can create a file stop a host reporting).
func TestAgentReportsOverridesAsFound(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.enrolAgent("web-1")
	name := "/tmp/invoice\u202efdp.sh"
	e.report("web-1", agentReport{Seq: 1, ScannedAt: time.Now().UTC().Add(-time.Minute), Full: true, Results: []vigil.CheckResult{
		{CheckID: "linux.walk.world-writable", Resource: name, Verdict: "fail", Reason: "world-writable"},
	}}, 202)
}
