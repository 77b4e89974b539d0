package server_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// flashOf is the message a redirecting form left for the next page.
func flashOf(h http.Header) string {
	for _, c := range h.Values("Set-Cookie") {
		if name, v, ok := strings.Cut(c, "="); ok && strings.Contains(name, "flash") {
			v, _, _ = strings.Cut(v, ";")
			msg, _ := url.QueryUnescape(v)
			return msg
		}
	}
	return ""
}

// The HR forms on a person's page: a background check streamed with its
// report (refused with a forged token before the file is read), the
// checklist showing it, a review the person attests of themself refused,
// and the onboarding page.
func TestHRPages(t *testing.T) {
	e := newEnv(t, "sqlite")
	day := func(d int) string { return time.Now().UTC().AddDate(0, 0, d).Format(time.DateOnly) }
	e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"HR-01", "HR-05"}, "owner_id": e.users["member"]}, 200, nil)
	var p struct{ ID int64 }
	e.do("admin", "POST", "/api/v1/people", map[string]any{"email": "admin@acme.test", "name": "Ada Admin", "start_date": day(-3), "in_scope": true}, 201, &p)
	ss := e.sessions()
	admin := ss["admin"]
	page := fmt.Sprintf("/people/%d", p.ID)
	status, body, _ := e.page(&admin, "GET", page, nil)
	if status != 200 || !strings.Contains(body, `id="onboarding"`) || !strings.Contains(body, `<tr data-state="overdue"><td>background check</td>`) {
		t.Fatalf("person page before the check: %d %s", status, body)
	}
	form := func(s session, path string, fields [][2]string) (int, http.Header) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for _, kv := range fields {
			mw.WriteField(kv[0], kv[1])
		}
		fw, _ := mw.CreateFormFile("file", "signed.pdf")
		fw.Write([]byte("%PDF-1.4 the document"))
		mw.Close()
		req, _ := http.NewRequest("POST", e.http.URL+path, &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.AddCookie(&http.Cookie{Name: "vigil_session", Value: s.cookie})
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, resp.Header
	}
	upload := func(s session, token string) (int, http.Header) {
		return form(s, page+"/background-check", [][2]string{{"csrf", token}, {"completed_on", day(-4)}, {"provider", "Checkr"}, {"result", "clear"}})
	}
	if status, _ := upload(admin, "forged"); status != 403 {
		t.Fatalf("a forged token: %d", status)
	}
	if status, _ := upload(ss["member"], ss["member"].csrf); status != 403 {
		t.Fatalf("a member recording a check: %d", status)
	}
	status, h := upload(admin, admin.csrf)
	if status != 303 || !strings.Contains(flashOf(h), "Recorded the background check") {
		t.Fatalf("the upload: %d %q", status, flashOf(h))
	}
	_, body, _ = e.page(&admin, "GET", page, nil)
	if !strings.Contains(body, `<tr data-state="complete"><td>background check</td>`) || !strings.Contains(body, "Checkr, clear") {
		t.Fatalf("the checklist after the check: %s", body)
	}
	status, _, h = e.page(&admin, "POST", page+"/performance-review", url.Values{"completed_on": {day(-1)}})
	if status != 303 || !strings.Contains(flashOf(h), "own performance review") {
		t.Fatalf("attesting one's own review: %d %q", status, flashOf(h))
	}
	if status, body, _ := e.page(&admin, "GET", "/onboarding", nil); status != 200 || !strings.Contains(body, "Ada Admin") || !strings.Contains(body, `data-state="unknown"`) {
		t.Fatalf("onboarding page: %d %s", status, body)
	}
	// A paper agreement, with the signed document; and the designation
	// of the agreement people sign in Vigil, refused for a missing policy.
	status, h = form(admin, page+"/agreement", [][2]string{{"csrf", admin.csrf}, {"signed_on", day(-3)}, {"document", "NDA v1"}})
	if status != 303 || !strings.Contains(flashOf(h), "Recorded the agreement") {
		t.Fatalf("a paper agreement: %d %q", status, flashOf(h))
	}
	_, body, _ = e.page(&admin, "GET", page, nil)
	if !strings.Contains(body, `<tr data-state="complete"><td>confidentiality agreement</td>`) || !strings.Contains(body, "NDA v1 (upload)") {
		t.Fatalf("the checklist after the agreement: %s", body)
	}
	status, _, h = e.page(&admin, "POST", "/onboarding/confidentiality-policy", url.Values{"policy_id": {"42"}})
	if status != 303 || !strings.Contains(flashOf(h), "Not saved") {
		t.Fatalf("designating a missing policy: %d %q", status, flashOf(h))
	}
	auditor := ss["auditor"]
	if _, body, _ := e.page(&auditor, "GET", page, nil); strings.Contains(body, "/background-check") {
		t.Fatal("an auditor is offered the background check form")
	}
}
