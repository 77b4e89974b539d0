package server_test

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var resetLinkRe = regexp.MustCompile(`id="reset-link">([^<]+)<`)

// TestInvitationLink: without SMTP, the one-time link an admin makes for
// someone who never had a password is an invitation: its page names the
// organization, who invited them and their role, and lets them choose
// their password; accepting is logged as such. A link for someone who
// has a password stays "Choose a new password".
func TestInvitationLink(t *testing.T) {
	e := newEnv(t, "sqlite")
	s := e.sessions()["admin"]
	status, _, hdr := e.page(&s, "POST", "/users", url.Values{"email": {"nina@acme.test"}, "name": {"Nina New"}, "role": {"member"}})
	if status != 303 {
		t.Fatalf("add user: %d", status)
	}
	userPath := hdr.Get("Location")
	_, body, _ := e.page(&s, "POST", userPath+"/reset-link", url.Values{})
	m := resetLinkRe.FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, "invitation link") {
		t.Fatalf("no invitation link on the user's page:\n%s", body)
	}
	link := html.UnescapeString(m[1])

	b := e.browser()
	status, page := b.get(link)
	if status != 200 {
		t.Fatalf("invitation page: %d", status)
	}
	for _, want := range []string{"<title>Accept the invitation", "<h1>Accept the invitation</h1>", "<strong>The admin (admin@acme.test)</strong> invited you",
		"join <strong>Acme</strong>", "as <strong>member</strong>", "nina@acme.test", "Accept and set my password"} {
		if !strings.Contains(page, want) {
			t.Errorf("the invitation page lacks %q", want)
		}
	}
	if strings.Contains(page, "Choose a new password") {
		t.Error("an invitation is titled as a password reset")
	}
	// A refused password keeps the invitation around the error.
	tok, _ := url.QueryUnescape(strings.SplitN(link, "token=", 2)[1])
	status, page, _ = b.post("/reset", url.Values{"token": {tok}, "password": {"short"}, "password2": {"short"}})
	if status != 400 || !strings.Contains(page, "Accept the invitation") || !strings.Contains(page, `class="field-error"`) {
		t.Fatalf("short password on an invitation: %d", status)
	}
	status, page, where := b.post("/reset", url.Values{"token": {tok}, "password": {"nina's own password"}, "password2": {"nina's own password"}})
	if status != 200 || where != "/login" || !strings.Contains(page, "Welcome") {
		t.Fatalf("accepting: %d at %s", status, where)
	}
	if !activityHas(t, e, "auth.invitation_accepted") || !activityHas(t, e, "auth.invitation_created") {
		t.Fatal("the invitation is not in the activity log")
	}
	if _, _, where := b.login("nina@acme.test", "nina's own password"); where != "/" {
		t.Fatalf("sign-in after accepting ended at %s", where)
	}

	// Someone with a password gets a reset, worded as one (owners only).
	setPassword(t, e, "viewer", "viewer password 1")
	o := e.sessions()["owner"]
	_, body, _ = e.page(&o, "POST", fmt.Sprintf("/users/%d/reset-link", e.users["viewer"]), url.Values{})
	m = resetLinkRe.FindStringSubmatch(body)
	if m == nil || strings.Contains(body, "invitation link") {
		t.Fatal("a reset link for someone with a password is called an invitation")
	}
	_, page = e.browser().get(html.UnescapeString(m[1]))
	if !strings.Contains(page, "<h1>Choose a new password</h1>") || strings.Contains(page, "invit") {
		t.Fatalf("reset page:\n%s", page)
	}
}
