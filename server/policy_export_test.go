package server_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vigil-soc/vigil/policy"
)

// get fetches path with who's token, returning status, headers and body.
func (e *env) get(who, path string) (int, http.Header, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.http.URL+path, nil)
	if tok := e.tokens[who]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// Exports through the API and the pages: a viewer downloads a version as
// PDF and HTML and the set as PDF and zip, each as an attachment that
// never renders in Vigil's origin; without a token, nothing; an unknown
// format is refused naming the field; the pages link to the exports.
func TestPolicyExport(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"GV-01"}, "owner_id": e.users["member"]}, 200, nil)
	e.do("admin", "POST", "/api/v1/policies/adopt", map[string]any{"template": "backup", "owner_id": e.users["member"], "approvers": []int64{e.users["owner"]}}, 201, nil)
	e.do("admin", "POST", "/api/v1/policies/adopt", map[string]any{"template": "access-control", "owner_id": e.users["member"], "approvers": []int64{e.users["owner"]}}, 201, nil)
	e.do("member", "POST", "/api/v1/policies/1/submit", nil, 200, nil)
	e.do("owner", "POST", "/api/v1/policies/1/approve", map[string]any{"comment": "fine"}, 200, nil)
	e.do("member", "POST", "/api/v1/policies/1/publish", map[string]any{"effective_date": "2027-01-01"}, 200, nil)

	for _, c := range []struct{ path, ctype, name, start string }{
		{"/api/v1/policies/1/versions/1/export?format=pdf", "application/pdf", "POL-001-v1.pdf", "%PDF-"},
		{"/api/v1/policies/1/versions/1/export", "application/pdf", "POL-001-v1.pdf", "%PDF-"},
		{"/api/v1/policies/2/versions/1/export?format=html", "text/html; charset=utf-8", "POL-002-v1.html", "<!doctype html>"},
		{"/api/v1/policies/export?format=pdf", "application/pdf", "vigil-policies.pdf", "%PDF-"},
		{"/api/v1/policies/export?format=zip", "application/zip", "vigil-policies.zip", "PK"},
	} {
		status, h, b := e.get("viewer", c.path)
		if status != 200 || h.Get("Content-Type") != c.ctype || h.Get("Content-Disposition") != "attachment; filename*=UTF-8''"+c.name ||
			!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") || !bytes.HasPrefix(b, []byte(c.start)) {
			t.Errorf("%s: %d %v %.80q", c.path, status, h, b)
		}
		if status, _, _ := e.get("", c.path); status != 401 {
			t.Errorf("%s without a token: %d", c.path, status)
		}
	}
	// The draft's HTML says it is one; the organization heads both.
	_, _, b := e.get("auditor", "/api/v1/policies/2/versions/1/export?format=html")
	if !strings.Contains(string(b), "DRAFT – not approved") || !strings.Contains(string(b), `<p class="org">Acme</p>`) {
		t.Errorf("draft HTML: %.800s", b)
	}
	// The zip: the published policy in, the draft listed as left out.
	_, _, b = e.get("viewer", "/api/v1/policies/export?format=zip")
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var m policy.Manifest
	for _, f := range zr.File {
		if f.Name == "manifest.json" {
			rc, _ := f.Open()
			if err := json.NewDecoder(rc).Decode(&m); err != nil {
				t.Fatal(err)
			}
			rc.Close()
		}
	}
	if len(m.Policies) != 1 || m.Policies[0].Key != "POL-001" || len(m.Excluded) != 1 || m.Excluded[0].Key != "POL-002" || m.Organization != "Acme" {
		t.Errorf("manifest %+v", m)
	}
	for _, c := range []struct{ path, field string }{
		{"/api/v1/policies/1/versions/1/export?format=docx", "format"},
		{"/api/v1/policies/export?format=html", "format"},
		{"/api/v1/policies/1/versions/x/export", "number"},
	} {
		status, _, b := e.get("viewer", c.path)
		if _, _, field := apiError(t, b); status != 400 || field != c.field {
			t.Errorf("%s: %d %s, want 400 naming %s", c.path, status, b, c.field)
		}
	}
	if status, _, _ := e.get("viewer", "/api/v1/policies/1/versions/9/export"); status != 404 {
		t.Errorf("a version that does not exist: %d", status)
	}

	// Pages: the links, and the downloads with a session.
	sess := e.sessions()["viewer"]
	for path, want := range map[string][]string{
		"/policies":                     {`href="/policies/export?format=pdf"`, `href="/policies/export?format=zip"`},
		"/policies/1":                   {`href="/policies/1/versions/1/export?format=pdf"`, `href="/policies/1/versions/1/export?format=html"`},
		"/policies/2/versions/1":        {`href="/policies/2/versions/1/export?format=pdf"`, `href="/policies/2/versions/1/export?format=html"`, "marked as not in force"},
		"/policies/1/versions/1":        {`href="/policies/1/versions/1/export?format=pdf"`},
		"/policies/1/versions/1/export": {"%PDF-"},
		"/policies/export?format=zip":   {"PK"},
	} {
		status, body, h := e.page(&sess, "GET", path, nil)
		if status != 200 {
			t.Errorf("%s: %d", path, status)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q", path, w)
			}
		}
		if strings.HasSuffix(path, "export") || strings.Contains(path, "export?") {
			if !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
				t.Errorf("%s is not an attachment", path)
			}
		}
	}
	if status, body, _ := e.page(&sess, "GET", "/policies/export?format=docx", nil); status != 400 || !strings.Contains(body, "format must be pdf or zip") {
		t.Errorf("page with an unknown format: %d", status)
	}
	if status, _, h := e.page(nil, "GET", "/policies/export", nil); status != 303 || !strings.HasPrefix(h.Get("Location"), "/login") {
		t.Errorf("page export without a session: %d %v", status, h)
	}
}
