package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigil-soc/vigil/auth"
)

// enrolTOTP completes the authenticator enrolment page the walker is on
// and returns the secret.
func (w *walker) enrolTOTP() string {
	w.t.Helper()
	secret := w.text(`[data-testid=totp-secret]`)
	code, _ := auth.TOTPCode(secret, time.Now())
	w.fill("#code", code)
	w.submit("confirm TOTP", `form[action="/account/mfa"] button[type=submit]`)
	if n := w.count("#recovery-codes li"); n != 10 {
		w.t.Fatalf("%d recovery codes shown at %s", n, w.location())
	}
	w.submit("continue", `a.button`)
	return secret
}

// shotOf saves a screenshot of one element.
func (w *walker) shotOf(name, sel string) {
	w.t.Helper()
	buf := get(w, "screenshot "+name, chromedp.Screenshot(chromedp.CSS(sel)))
	if err := os.WriteFile(filepath.Join(w.shots, name+".png"), buf, 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// TestBrowserExceptions walks the exceptions flow: a host enrolled with a
// label reports a failing check; its owner asks for an exception from the
// host page; it waits for approval (the requester cannot approve it);
// another admin approves it; the host, the fleet and the control show the
// failure as excepted, naming the exception.
func TestBrowserExceptions(t *testing.T) {
	w, setupLink := startBrowser(t)
	w.setupOwner(setupLink)
	w.open("/controls")
	w.submit("adopt all", `button[name=all]`)

	// A host enrolled with a label, reporting a scan of a scratch root in
	// which root may log in over SSH.
	w.enrolScanned("web-1", "env=dev")
	const check = "linux.sshd.permit-root-login"
	w.open("/hosts/1")
	if got := w.text(`[data-testid=labels]`); got != "env=dev" {
		t.Fatalf("host labels %q, want env=dev", got)
	}
	row := `#failing tr:has(code)`
	if w.count(row) == 0 || !strings.Contains(w.text("#failing"), check) {
		t.Fatalf("the host does not fail %s: %s", check, w.text("main"))
	}
	w.shot("30-exceptions-host-failing")

	// Ask for an exception from the failing check's row: the form comes
	// filled with the check and the host.
	w.submit("ask for an exception", `#failing a[href^="/exceptions?check=`+check+`&"]`)
	if v := get(w, "check field", chromedp.Value(chromedp.CSS("#x-check"))); v != check {
		t.Fatalf("the request form's check is %q", v)
	}
	if v := get(w, "host field", chromedp.Value(chromedp.CSS("#x-host"))); v != "1" {
		t.Fatalf("the request form's host is %q", v)
	}
	// Too short a justification is refused beside its field, input kept.
	w.fill("#x-why", "fine")
	w.fill("#x-expires", time.Now().AddDate(0, 3, 0).Format(time.DateOnly))
	w.submit("request", `form[action="/exceptions"][method=post] button[type=submit]`)
	if !strings.Contains(w.text(".field-error"), "justification") || get(w, "kept", chromedp.Value(chromedp.CSS("#x-expires"))) == "" {
		t.Fatalf("a short justification: %s", w.text("main"))
	}
	w.shot("31-exceptions-form-error")
	w.fill("#x-why", "Root logins stay on until the break-glass account is in place; access is through the VPN only.")
	w.submit("request", `form[action="/exceptions"][method=post] button[type=submit]`)
	if !strings.Contains(w.text(".flash"), "Requested exception #1") || w.count(`#ex-1[data-state=pending]`) != 1 {
		t.Fatalf("after the request: %s", w.text("main"))
	}
	// The requester has no approve button on their own request.
	if w.count(`form[action="/exceptions/1/approve"]`) != 0 {
		t.Fatal("the requester is offered to approve their own exception")
	}
	w.shot("32-exceptions-pending")
	w.open("/hosts/1")
	if w.count(`#failing tr.excepted`) != 0 {
		t.Fatal("a pending exception already excepts the failure")
	}

	// A second admin, invited by link, with an authenticator of her own.
	w.accept(w.invite("ada@acme.test", "Ada Admin", "admin"), "ada@acme.test", "ada's long password")
	if loc := w.location(); !strings.HasPrefix(loc, "/account/mfa") {
		t.Fatalf("an admin's first sign-in at %s, want the authenticator enrolment", loc)
	}
	w.enrolTOTP()

	// She approves it.
	w.open("/exceptions?state=pending")
	w.submit("approve", `form[action="/exceptions/1/approve"] button[type=submit]`)
	if !strings.Contains(w.text(".flash"), "Approved exception #1") || w.count(`#ex-1[data-state=active]`) != 1 {
		t.Fatalf("after approval: %s", w.text("main"))
	}
	if !strings.Contains(w.text("#ex-1"), "approved by Ada Admin") {
		t.Fatalf("the approval is not named: %s", w.text("#ex-1"))
	}
	w.shot("33-exceptions-approved")

	// The host shows the failure as excepted, naming the exception.
	w.open("/hosts/1")
	exc := w.text(`#failing tr.excepted[data-exception="1"]`)
	if !strings.Contains(exc, "excepted: risk accepted") || !strings.Contains(exc, "approved by Ada Admin") {
		t.Fatalf("the host page after approval: %s", w.text("#failing"))
	}
	if !strings.Contains(w.text("#host-exceptions"), "active") {
		t.Fatalf("the host's exceptions: %s", w.text("#host-exceptions"))
	}
	w.shot("34-exceptions-host-excepted")
	// The host page is long (every failing check): the excepted row and
	// the host's exceptions are also shot alone.
	w.shotOf("34b-exceptions-host-row", `#failing tr.excepted`)
	w.shotOf("34c-exceptions-host-list", `#host-exceptions`)
	// The control the check tests warns, naming the exception.
	w.open("/controls/AC-11")
	if main := w.text("main"); !strings.Contains(main, "risk accepted") || !strings.Contains(main, "exception #1") {
		t.Fatalf("the control page does not name the exception: %s", main)
	}
	w.shot("35-exceptions-control")
	w.open("/fleet")
	w.shot("36-exceptions-fleet")

	// Script injection: every text field of the request form, refused and
	// shown back; then a justification that passes validation, stored and
	// shown on the list and the host page as text.
	w.open("/exceptions")
	w.fill("#x-expires", time.Now().AddDate(0, 1, 0).Format(time.DateOnly)) // required: the browser would not send the form
	w.fillForm(`form[action="/exceptions"][method=post]`)
	w.noInjection("exception request form")
	w.open("/exceptions")
	w.fill("#x-check", check)
	w.fill("#x-scope", "all")
	w.fill("#x-why", "Because "+xss+" stands in for it.")
	w.fill("#x-expires", time.Now().AddDate(0, 1, 0).Format(time.DateOnly))
	w.submit("request", `form[action="/exceptions"][method=post] button[type=submit]`)
	if w.count(`#ex-2[data-state=pending]`) != 1 {
		t.Fatalf("the second request: %s", w.text("main"))
	}
	w.noInjection("/exceptions")
	w.open("/hosts/1")
	w.noInjection("/hosts/1")
	if w.dialogs.Load() != 0 {
		t.Fatalf("%d JavaScript dialogs opened during the walk", w.dialogs.Load())
	}
}
