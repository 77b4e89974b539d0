package server_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/monitor"
	"github.com/vigil-soc/vigil/server"
)

// gitRepo makes a local repository with one commit.
func gitRepo(t *testing.T) string {
	t.Helper()
	repo := t.TempDir()
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"commit", "-q", "--allow-empty", "-m", "first"}} {
		cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@x", "GIT_COMMITTER_NAME=A", "GIT_COMMITTER_EMAIL=a@x")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git: %v %s", err, out)
		}
	}
	return repo
}

// TestIntegrationForm: the Integrations page has a form per kind with
// named fields, help and examples (no raw JSON but as an advanced
// fallback); a bad value is refused beside its field with the input kept;
// intervals are durations; a connected system has its own page, not a
// host's.
func TestIntegrationForm(t *testing.T) {
	var mon *monitor.Service
	e := newEnv(t, "sqlite", func(c *server.Config) { mon = c.Monitor })
	s := e.sessions()["admin"]
	_, body, _ := e.page(&s, "GET", "/integrations", nil)
	for _, want := range []string{`name="config.repo"`, `name="config.org"`, `name="config.url"`, `name="config.endpoints"`, `name="every"`,
		"Example: <code>https://github.com/acme/api.git</code>", "settings as JSON (advanced)"} {
		if !strings.Contains(body, want) {
			t.Errorf("the integrations page lacks %s", want)
		}
	}
	if strings.Contains(body, "Settings (JSON, no secrets)") || strings.Contains(body, "Run every (seconds)") {
		t.Error("the form still asks for raw JSON or seconds")
	}

	// A relative path is refused beside the repository field, the input
	// kept and the git form open; the credential is never echoed.
	status, body, _ := e.page(&s, "POST", "/integrations", url.Values{"kind": {"git"}, "name": {"api"}, "config.repo": {"srv/api.git"},
		"config.branch": {"main"}, "every": {"24h"}, "secret": {"tok_never_echoed"}})
	if status != 422 || !regexp.MustCompile(`(?s)name="config.repo"[^>]*value="srv/api.git"[^>]*aria-invalid="true".*?class="field-error">a local repository is given by its absolute path`).MatchString(body) ||
		!strings.Contains(body, `id="kind-git" open`) || strings.Contains(body, "tok_never_echoed") {
		t.Fatalf("relative repo: %d\n%s", status, body)
	}
	// A number that is not one, and an interval that is not a duration.
	status, body, _ = e.page(&s, "POST", "/integrations", url.Values{"kind": {"postgres"}, "name": {"db"}, "config.host": {"db"}, "config.user": {"v"}, "config.port": {"five"}})
	if status != 422 || !regexp.MustCompile(`(?s)name="config.port"[^>]*value="five".*?class="field-error">Port is a whole number`).MatchString(body) {
		t.Fatalf("bad port: %d", status)
	}
	status, body, _ = e.page(&s, "POST", "/integrations", url.Values{"kind": {"git"}, "name": {"api"}, "config.repo": {"/srv/api.git"}, "every": {"daily"}})
	if status != 422 || !regexp.MustCompile(`(?s)name="every"[^>]*value="daily".*?class="field-error">&#34;daily&#34; is not a duration`).MatchString(body) {
		t.Fatalf("bad interval: %d", status)
	}

	// The JSON fallback: a refusal lands beside its one box.
	status, body, _ = e.page(&s, "POST", "/integrations", url.Values{"kind": {"git"}, "name": {"api"}, "config": {`{"repo": "relative/path"}`}, "every": {"1h"}})
	if status != 422 || !regexp.MustCompile(`(?s)id="i-config"[^>]*aria-invalid="true"[^>]*>\{&#34;repo&#34;: &#34;relative/path&#34;\}</textarea>\s*<p class="field-error">a local repository`).MatchString(body) {
		t.Fatalf("JSON fallback: %d\n%s", status, body)
	}

	repo := gitRepo(t)
	status, _, hdr := e.page(&s, "POST", "/integrations", url.Values{"kind": {"git"}, "name": {"api"}, "config.repo": {repo}, "config.branch": {"main"},
		"config.window_days": {"30"}, "every": {"24h"}})
	if status != 303 || hdr.Get("Location") != "/integrations/1" {
		t.Fatalf("connect: %d to %q", status, hdr.Get("Location"))
	}
	var x vigil.Integration
	e.do("viewer", "GET", "/api/v1/integrations/1", nil, 200, &x)
	if x.Interval != 86400 || string(x.Config) != fmt.Sprintf(`{"branch":"main","repo":%q,"window_days":30}`, repo) {
		t.Fatalf("stored: %d %s", x.Interval, x.Config)
	}
	// The API takes durations too.
	e.do("admin", "PUT", "/api/v1/integrations/1", map[string]any{"kind": "git", "name": "api", "config": x.Config, "every": "12h"}, 200, &x)
	if x.Interval != 43200 {
		t.Fatalf("every 12h: %d", x.Interval)
	}
	e.do("admin", "POST", "/api/v1/integrations/1/run", nil, 200, nil)

	// A not-applicable result with its reason, as a kind would report it.
	a, err := e.store.Agent(context.Background(), x.AgentID)
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := e.store.CurrentResults(context.Background(), x.AgentID, "")
	rep := &vigil.AgentReport{Seq: a.LastSeq + 1, ScannedAt: time.Now().UTC(), Full: true, Host: vigil.HostInfo{Hostname: "api", OS: "git", Version: "server", Interval: 43200}}
	for _, r := range cur {
		rep.Results = append(rep.Results, r.CheckResult)
	}
	rep.Results = append(rep.Results, vigil.CheckResult{CheckID: "git.changes.signed", Resource: "release", Verdict: "not_applicable", Reason: "the branch release has no changes in the window"})
	if err := mon.Ingest(context.Background(), a, rep); err != nil {
		t.Fatal(err)
	}

	// The list counts what the integration's page lists.
	_, list, _ := e.page(&s, "GET", "/integrations", nil)
	row := regexp.MustCompile(`(?s)<a href="/integrations/1">api</a>.*?<td>Git repository</td><td>12h</td>.*?</td>\s*<td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>`).FindStringSubmatch(list)
	if row == nil {
		t.Fatalf("no row for the integration with its kind and interval:\n%s", list)
	}
	status, page, _ := e.page(&s, "GET", "/integrations/1", nil)
	if status != 200 {
		t.Fatalf("integration page: %d", status)
	}
	for i, sec := range []string{"Failing", "Could not be judged", "Not applicable", "Passing"} {
		m := regexp.MustCompile(`(?s)<h2 id="[a-z]+">` + sec + ` \((\d+)\)</h2>(.*?)(<h2|$)`).FindStringSubmatch(page)
		if m == nil || m[1] != row[i+1] {
			t.Errorf("%s: the list says %s, the page %v", sec, row[i+1], m)
			continue
		}
		if rows := strings.Count(m[2], "<tr><td>"); fmt.Sprint(rows) != m[1] {
			t.Errorf("%s: counted %s, listed %d", sec, m[1], rows)
		}
	}
	for _, want := range []string{"Git repository (git)", "Runs every</dt><dd>12h", "<dt>Repository</dt><dd><code>" + repo, "<dt>Window (days)</dt><dd><code>30",
		"the branch release has no changes in the window", "Test the connection", "Run now", "Last runs"} {
		if !strings.Contains(page, want) {
			t.Errorf("the integration's page lacks %q", want)
		}
	}
	if strings.Contains(page, "Kernel") || strings.Contains(page, "Revoke") {
		t.Error("the integration is shown as a host")
	}
	// Its agent record is not a host: the host URL leads to the integration.
	if status, _, hdr := e.page(&s, "GET", fmt.Sprintf("/hosts/%d", x.AgentID), nil); status != 303 || hdr.Get("Location") != "/integrations/1" {
		t.Fatalf("host page of an integration: %d to %q", status, hdr.Get("Location"))
	}
	if _, hosts, _ := e.page(&s, "GET", "/hosts", nil); strings.Contains(hosts, fmt.Sprintf(`/hosts/%d"`, x.AgentID)) {
		t.Fatal("the hosts list shows the integration")
	}
	// Run from the page: back to the integration's page.
	if status, _, hdr := e.page(&s, "POST", "/integrations/1/run", url.Values{}); status != 303 || hdr.Get("Location") != "/integrations/1" {
		t.Fatalf("run: %d to %q", status, hdr.Get("Location"))
	}
}
