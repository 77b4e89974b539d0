package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigil-soc/vigil"
)

// TestWriteIntegration: the CLI's view of an integration shows the
// interval as a duration, counts that are those of the lines listed, and
// not-applicable results with their reasons.
func TestWriteIntegration(t *testing.T) {
	var b bytes.Buffer
	x := vigil.Integration{Name: "api", Kind: "git", Interval: 86400, Config: []byte(`{"repo": "/srv/git/api.git"}`)}
	writeIntegration(&b, x, []vigil.CheckResult{
		{CheckID: "git.changes.reviewed", Resource: "abc", Verdict: "fail", Reason: "direct push"},
		{CheckID: "git.changes.signed", Resource: "main", Verdict: "not_applicable", Reason: "no changes in the window"},
		{CheckID: "git.history.no_force_push", Resource: "main", Verdict: "pass"},
	})
	out := b.String()
	for _, want := range []string{"api (git), every 24h", "Repository: /srv/git/api.git", "3 results: 1 fail, 0 error, 1 not applicable, 1 pass",
		"Failing (1)", "direct push", "Not applicable (1)", "no changes in the window"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Could not be judged") {
		t.Errorf("an empty group is listed:\n%s", out)
	}
}

// TestShowIntegration: the command reads the integration and its agent's
// current results from the API and prints them as writeIntegration does.
func TestShowIntegration(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/integrations/1":
			io.WriteString(w, `{"id": 1, "kind": "tls", "name": "web", "config": {"endpoints": ["www.acme.test:443"]}, "interval_seconds": 1800, "agent_id": 7}`)
		case "/api/v1/agents/7":
			io.WriteString(w, `{"id": 7, "results": [{"check": "tls.hsts", "resource": "www.acme.test:443", "verdict": "not_applicable", "reason": "HSTS is checked for https:// URLs only"}]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	var b bytes.Buffer
	c := newAPICommand(&cliEnv{stdin: strings.NewReader(""), stdout: &b, stderr: io.Discard, getenv: func(string) string { return "" }}, "integrations show", "integrations show ID")
	*c.server, *c.token = srv.URL, "vgl_test"
	if err := showIntegration(context.Background(), c, "1"); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.Contains(out, "web (tls), every 30m") || !strings.Contains(out, "1 not applicable") || !strings.Contains(out, "HSTS is checked for https:// URLs only") {
		t.Fatalf("output:\n%s", out)
	}
}
