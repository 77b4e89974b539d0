package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/agent"
	"github.com/vigil-soc/vigil/checks"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/vigil-soc/vigil/auth"
)

// The browser walk drives Debian's Chromium through the whole first day of
// a Vigil installation, as the issue describes, saves a screenshot of every
// main page, and checks every text field for script injection.

const chromium = "/usr/bin/chromium"

func artifactsDir(t *testing.T) string {
	dir := os.Getenv("VIGIL_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts")
	}
	dir = filepath.Join(dir, "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

type walker struct {
	t       *testing.T
	ctx     context.Context
	base    string
	shots   string
	dialogs atomic.Int64
}

func newWalker(t *testing.T, base string) *walker {
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s not found: install Debian's chromium package (make test does)", chromium)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("no-default-browser-check", true),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	w := &walker{t: t, ctx: ctx, base: base, shots: artifactsDir(t)}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// Any alert, confirm or prompt is counted (an injected script would
	// open one) and dismissed so that the walk goes on.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			w.dialogs.Add(1)
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return w
}

func (w *walker) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		w.t.Fatalf("%s (at %s): %v", what, w.location(), err)
	}
}

func get[T any](w *walker, what string, a chromedp.Action[T]) T {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		w.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// submit clicks a submit button or link and waits for the page it leads to.
func (w *walker) submit(what, sel string) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		w.t.Fatalf("%s (at %s): %v", what, w.location(), err)
	}
}

func (w *walker) open(path string) {
	w.t.Helper()
	url := path
	if strings.HasPrefix(path, "/") {
		url = w.base + path
	}
	w.do("open "+path, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body")))
}

func (w *walker) location() string {
	ctx, cancel := context.WithTimeout(w.ctx, 10*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	return strings.TrimPrefix(loc, w.base)
}

func (w *walker) text(sel string) string {
	w.t.Helper()
	return strings.TrimSpace(get(w, "read "+sel, chromedp.Text(chromedp.CSS(sel))))
}

func (w *walker) count(sel string) int {
	w.t.Helper()
	return get(w, "count "+sel, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
}

func (w *walker) shot(name string) {
	w.t.Helper()
	buf := get(w, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(w.shots, name+".png"), buf, 0o644); err != nil {
		w.t.Fatal(err)
	}
}

func (w *walker) fill(sel, value string) {
	w.t.Helper()
	w.do("fill "+sel, chromedp.SetValue(chromedp.CSS(sel), value))
}

func (w *walker) click(sel string) {
	w.t.Helper()
	w.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

func (w *walker) signIn(email, password string) {
	w.open("/login")
	w.fill("#email", email)
	w.fill("#password", password)
	w.submit("sign in", `form[action="/login"] button[type=submit]`)
}

func (w *walker) signOut() {
	w.submit("sign out", `form[action="/logout"] button[type=submit]`)
	if !strings.HasPrefix(w.location(), "/login") {
		w.t.Fatalf("after sign-out at %s", w.location())
	}
}

// setupOwner completes first-run setup as Olive Owner of Acme Cloud and
// enrols her authenticator, as every walk starts.
func (w *walker) setupOwner(setupLink string) {
	w.t.Helper()
	w.open(setupLink)
	w.fill("#org", "Acme Cloud")
	w.fill("#name", "Olive Owner")
	w.fill("#email", "olive@acme.test")
	w.fill("#password", "olive's long password")
	w.submit("create owner", `form[action="/setup"] button[type=submit]`)
	w.enrolTOTP()
}

// invite adds a user from the Users page and returns the one-time link
// an administrator hands over when there is no mail.
func (w *walker) invite(email, name, role string) string {
	w.t.Helper()
	w.open("/users")
	w.fill("#email", email)
	w.fill("#name", name)
	w.fill("#role", role)
	w.submit("add "+role, `form[action="/users"] button[type=submit]`)
	w.submit(role+" link", `form[action$="/reset-link"] button[type=submit]`)
	return w.text("#reset-link")
}

// accept signs out, opens an invitation link, chooses the password and
// signs in with it.
func (w *walker) accept(link, email, password string) {
	w.t.Helper()
	w.signOut()
	// The link names the server's public address, which need not be the
	// one the browser reaches it at here.
	if i := strings.Index(link, "/reset?"); i > 0 {
		link = link[i:]
	}
	w.open(link)
	w.fill("#password", password)
	w.fill("#password2", password)
	w.submit("set password", `form[action="/reset"] button[type=submit]`)
	w.signIn(email, password)
}

// enrolScanned enrols an agent through the Hosts page (with labels, when
// given) and lets it deliver one scan of a scratch root.
func (w *walker) enrolScanned(name, labels string) {
	w.t.Helper()
	t := w.t
	w.open("/hosts")
	w.fill("input[name=name]", name)
	if labels != "" {
		w.fill("input[name=labels]", labels)
	}
	w.submit("enrol", "form[action='/hosts/enrol'] button[type=submit]")
	cmd := w.text("pre.command code")
	tok := regexp.MustCompile(`vge_[A-Za-z0-9_-]+`).FindString(cmd)
	if tok == "" || !strings.Contains(cmd, "vigil agent enrol --server "+w.base) {
		t.Fatalf("enrolment command %q", cmd)
	}
	agentDir := t.TempDir()
	if _, err := agent.Enrol(context.Background(), agentDir, w.base, tok, "", "", vigil.HostInfo{Hostname: name, OS: "Debian", Interval: 900}); err != nil {
		t.Fatal(err)
	}
	reg, err := checks.Load()
	if err != nil {
		t.Fatal(err)
	}
	ag := &agent.Agent{Dir: agentDir, Root: scanRoot(t), Interval: 15 * time.Minute, Checks: reg, Version: "test"}
	if err := ag.Open(); err != nil {
		t.Fatal(err)
	}
	if _, err := ag.ScanOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, err := ag.Deliver(context.Background()); err != nil || n != 1 {
		t.Fatalf("agent delivered %d: %v", n, err)
	}
}

// startBrowser starts a fresh server and a browser on it, and returns the
// printed setup link.
func startBrowser(t *testing.T) (*walker, string) {
	return startBrowserWith(t, nil)
}

// startBrowserWith is startBrowser with the server configured further
// (mail, a public base URL). The browser talks to the listener itself,
// whatever base URL the server puts in its links.
func startBrowserWith(t *testing.T, configure func(*Main)) (*walker, string) {
	var console bytes.Buffer
	m := &Main{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Console: &console, PasswordParams: fastHash}
	if configure != nil {
		configure(m)
	}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	u := "http://" + m.ln.Addr().String()
	link := regexp.MustCompile(`\S+(/setup\?token=\S+)`).FindStringSubmatch(console.String())
	if link == nil {
		t.Fatalf("no setup link on the console: %s", console.String())
	}
	return newWalker(t, u), u + link[1]
}

func TestBrowserWalk(t *testing.T) {
	w, setupLink := startBrowser(t)

	// 1. The setup link from the console; create the organization and owner.
	w.open(setupLink)
	w.shot("01-setup")
	w.fill("#org", "Acme Cloud")
	w.fill("#name", "Olive Owner")
	w.fill("#email", "olive@acme.test")
	w.fill("#password", "olive's long password")
	w.submit("create owner", `form[action="/setup"] button[type=submit]`)

	// 2. Owners must enrol TOTP before anything else.
	if loc := w.location(); loc != "/account/mfa" {
		t.Fatalf("after setup at %s, want MFA enrolment", loc)
	}
	w.shot("02-mfa-enrol")
	if !get(w, "QR code", chromedp.Evaluate[bool](`(() => { const i = document.querySelector('img[alt^="QR code"]'); return !!i && i.src.startsWith('data:image/png') && i.naturalWidth > 0; })()`)) {
		t.Fatal("no rendered QR code on the enrolment page")
	}
	secret := w.text(`[data-testid=totp-secret]`)
	code, _ := auth.TOTPCode(secret, time.Now())
	w.fill("#code", code)
	w.submit("confirm TOTP", `form[action="/account/mfa"] button[type=submit]`)
	if n := w.count("#recovery-codes li"); n != 10 {
		w.shot("debug")
		t.Fatalf("%d recovery codes shown, want 10; at %s: %s", n, w.location(), w.text("main"))
	}
	w.shot("03-recovery-codes")
	w.submit("continue", `a.button`)
	w.shot("04-dashboard-empty")
	before := w.text(`[data-testid=overall]`)

	// 3. Sign out; sign in with password and code.
	w.signOut()
	w.shot("05-login")
	w.signIn("olive@acme.test", "olive's long password")
	if loc := w.location(); !strings.HasPrefix(loc, "/login/mfa") {
		t.Fatalf("after password at %s, want the code step", loc)
	}
	w.shot("06-login-code")
	next, _ := auth.TOTPCode(secret, time.Now().Add(30*time.Second)) // a later step than the enrolment code
	w.fill("#code", next)
	w.submit("code", `form[action="/login/mfa"] button[type=submit]`)
	if loc := w.location(); loc != "/" {
		t.Fatalf("after the code at %s", loc)
	}

	// 4. Scope: Security and Availability, Type II window.
	w.open("/scope")
	w.click(`input[name=categories][value=availability]`)
	w.click(`input[name=audit_type][value=type2]`)
	w.fill("#window_start", "2026-01-01")
	w.fill("#window_end", "2026-02-01")
	w.submit("save short window", `form[action="/scope"] button[type=submit]`)
	if !strings.Contains(w.text(".field-error"), "3 to 12 months") || w.count(`input[name=categories][value=availability]:checked`) != 1 {
		t.Fatal("a too-short window was not refused next to its field with the input kept")
	}
	w.fill("#window_end", "2026-09-30")
	w.submit("save scope", `form[action="/scope"] button[type=submit]`)
	w.fill("#sys-name", "payments-api")
	w.fill("#sys-kind", "service")
	w.fill("#sys-class", "confidential")
	w.fill("#sys-env", "production")
	w.submit("add system", `form[action="/systems"] button[type=submit]`)
	w.shot("07-scope")

	// 5. Adopt the library.
	w.open("/controls")
	w.submit("adopt all", `button[name=all]`)
	if !strings.Contains(w.text(".flash"), "Adopted 108") {
		t.Fatal("library not adopted")
	}
	w.shot("08-controls")

	// 6. Assign an owner and implement GV-05: a status and an owner show
	// nothing operating, so the control is "not shown" and readiness stays.
	w.open("/controls/GV-05")
	w.fill("#owner_id", "1")
	w.fill("#status", "implemented")
	w.submit("save control", `form[action="/controls/GV-05"] button[type=submit]`)
	if w.count("#not-shown") != 1 || !strings.Contains(w.text("#evidence table"), "awaiting evidence") {
		w.shot("debug")
		t.Fatalf("implemented GV-05 without evidence is not shown as 'not shown' with its request awaited: %s", w.text("main"))
	}
	w.shot("09a-control-not-shown")
	w.open("/")
	if got := w.text(`[data-testid=overall]`); before != "0%" || got != "0%" {
		t.Fatalf("dashboard readiness %q then %q after implementing GV-05 without evidence, want 0%% both", before, got)
	}
	// Evidence: two files at once for the library's request, then an
	// attestation. The owner submitted them, so she cannot accept them.
	w.open("/controls/GV-05")
	tmp := t.TempDir()
	f1, f2 := filepath.Join(tmp, "board-minutes-q3.txt"), filepath.Join(tmp, "risk-review.csv")
	os.WriteFile(f1, []byte("Board reviewed the security program on 2026-09-30."), 0o600)
	os.WriteFile(f2, []byte("risk,owner\nvendor,olive\n"), 0o600)
	w.fill("#ev-request", get(w, "request id", chromedp.Evaluate[string](`document.querySelector('#ev-request option:nth-child(2)').value`)))
	w.do("choose files", chromedp.SetUploadFiles(chromedp.CSS("#ev-files"), []string{f1, f2}))
	w.submit("upload", `form[action="/controls/GV-05/evidence"] button[type=submit]`)
	if !strings.Contains(w.text(".flash"), "Added 2 file(s)") || w.count(`#evidence a[href$="/download"]`) != 2 {
		t.Fatalf("upload through the page: %s", w.text("main"))
	}
	w.fill("#at-statement", "The board charter was re-approved this quarter.")
	w.submit("attest", `form[action="/controls/GV-05/attest"] button[type=submit]`)
	if n := w.count(`form[action$="/review"]`); n != 0 || !strings.Contains(w.text("#evidence-items"), "another reviewer must accept or reject it") {
		w.shot("debug")
		t.Fatalf("the submitter is offered %d review forms for her own evidence: %q", n, w.text("#evidence-items"))
	}
	if !strings.Contains(w.text("#evidence table"), "awaiting review") || w.count("#not-shown") != 1 {
		t.Fatalf("submitted evidence is not 'awaiting review', or the control is shown: %s", w.text("main"))
	}
	w.shot("09-control")
	w.open("/evidence")
	w.shot("09b-evidence")
	w.open("/")
	if got := w.text(`[data-testid=overall]`); got != "0%" {
		t.Fatalf("dashboard readiness %q with evidence awaiting review, want 0%%", got)
	}

	// 6a. A second person, an admin invited by link, reviews and accepts
	// it: only then is GV-05 shown operating and readiness moves.
	w.accept(w.invite("adam@acme.test", "Adam Admin", "admin"), "adam@acme.test", "adam's long password")
	if loc := w.location(); !strings.HasPrefix(loc, "/account/mfa") {
		t.Fatalf("admin sign-in at %s, want MFA enrolment", loc)
	}
	w.enrolTOTP()
	w.open("/controls/GV-05")
	for i := 0; i < 3; i++ {
		w.submit("accept", `form[action$="/review"] input[value=accepted] + button`)
	}
	if n := w.count(`form[action$="/review"]`); n != 0 {
		t.Fatalf("%d review forms left after accepting every item", n)
	}
	if w.count("#not-shown") != 0 || w.count("h2 .h-healthy") != 1 {
		w.shot("debug")
		t.Fatalf("GV-05 with accepted evidence is not healthy: %s", w.text("main"))
	}
	w.shot("09c-control-healthy")
	w.open("/")
	after := w.text(`[data-testid=overall]`)
	if after == "0%" || w.text(`[data-testid=progress]`) == "0%" {
		t.Fatalf("dashboard readiness %q, progress %q after GV-05's evidence was accepted, want more than 0%%", after, w.text(`[data-testid=progress]`))
	}
	if w.count(".chart svg polyline") != 1 {
		t.Fatal("no readiness trend line on the dashboard")
	}
	w.shot("10-dashboard")
	for _, p := range []struct{ path, name string }{
		{"/criteria", "11-criteria"}, {"/criteria/CC6.1", "12-criterion"}, {"/settings", "13-settings"},
		{"/users", "14-users"}, {"/tokens", "15-tokens"}, {"/activity", "16-activity"}, {"/account", "17-account"},
		{"/controls?health=failing&domain=AC", "18-controls-filtered"},
	} {
		w.open(p.path)
		w.shot(p.name)
	}
	// 6b. Hosts: make an enrolment token on the page, enrol an agent with
	// it, let it report a scan of a scratch root, and find the host, its
	// failures and the fleet view.
	w.enrolScanned("web-1", "")
	w.open("/hosts")
	if !strings.Contains(w.text("table"), "web-1") {
		t.Fatalf("the enrolled host is not listed: %s", w.text("table"))
	}
	w.shot("22-hosts")
	w.open("/hosts/1")
	if !strings.Contains(w.text("main"), "linux.sshd.permit-root-login") {
		t.Fatal("the host page does not list the failing SSH check")
	}
	w.shot("23-host")
	w.open("/fleet")
	w.shot("24-fleet")
	w.open("/integrations")
	w.fill("#i-kind", "git")
	w.fill("#i-name", "api")
	w.fill("#i-config", `{"repo": "relative/path"}`)
	w.submit("connect", "form[action='/integrations'] button[type=submit]")
	if !strings.Contains(w.text("main"), "absolute path") {
		t.Fatalf("a bad repository setting is not explained: %s", w.text("main"))
	}
	w.shot("25-integrations")

	w.do("phone", chromedp.EmulateViewport(390, 844))
	w.open("/")
	w.shot("19-dashboard-phone")
	w.do("laptop", chromedp.EmulateViewport(1280, 900))

	// 7. An auditor, invited with a one-time link, can look but not edit.
	w.accept(w.invite("audrey@cpa.test", "Audrey Auditor", "auditor"), "audrey@cpa.test", "audrey's long password")
	if loc := w.location(); loc != "/" {
		t.Fatalf("auditor sign-in at %s", loc)
	}
	for _, p := range []string{"/", "/controls", "/controls/GV-05", "/scope", "/systems/1", "/criteria/CC6.1", "/activity"} {
		w.open(p)
		// No form that changes anything: only sign-out and read filters.
		if n := w.count(`form[method=post]:not([action="/logout"])`); n != 0 {
			t.Errorf("auditor sees %d editing form(s) on %s", n, p)
		}
	}
	w.open("/controls/GV-05")
	if !strings.Contains(w.text(".banner"), "Read-only") {
		t.Error("no read-only notice for the auditor")
	}
	w.shot("20-auditor-control")
	w.open("/settings")
	if !strings.Contains(w.text("h1"), "Forbidden") {
		t.Error("auditor reached the settings page")
	}
	if w.dialogs.Load() != 0 {
		t.Fatalf("%d JavaScript dialogs opened during the walk", w.dialogs.Load())
	}
}

// xss is typed into every text field: markup that would run script, set
// the title or raise a dialog if any page rendered it as HTML.
const xss = `x"><script>document.title='xss'</script><img src=x onerror="document.title='xss'"><b>bold</b>`

// noInjection checks the current page: nothing from the payload became
// markup.
func (w *walker) noInjection(where string) {
	w.t.Helper()
	title := get(w, "title", chromedp.Evaluate[string](`document.title`))
	inline := w.count(`script:not([src])`)
	handlers := w.count(`[onerror], [onload], main b`)
	if title == "xss" || inline != 0 || handlers != 0 || w.dialogs.Load() != 0 {
		w.shot("xss-failure")
		w.t.Fatalf("%s: injected markup took effect (title %q, %d inline scripts, %d injected elements, %d dialogs)", where, title, inline, handlers, w.dialogs.Load())
	}
}

// fillForm types the payload into every text field of a form and submits it.
func (w *walker) fillForm(form string) {
	w.t.Helper()
	js := fmt.Sprintf(`(() => { const f = document.querySelector(%q); if (!f) return 0; let n = 0;
		for (const el of f.querySelectorAll('input[type=text], input[type=email], input[type=url], input[type=search], input:not([type]), textarea')) { el.value = %q; n++; }
		return n; })()`, form, xss)
	if n := get(w, "fill "+form, chromedp.Evaluate[int](js)); n == 0 {
		w.t.Fatalf("form %s has no text field", form)
	}
	w.submit("submit "+form, form+` button[type=submit]`)
}

func TestBrowserXSS(t *testing.T) {
	w, setupLink := startBrowser(t)
	// The setup form's own fields first.
	w.open(setupLink)
	w.fillForm(`form[action="/setup"]`)
	w.noInjection("setup form")
	w.open(setupLink)
	w.fill("#org", xss)
	w.fill("#name", xss)
	w.fill("#email", "olive@acme.test")
	w.fill("#password", "olive's long password")
	w.submit("create owner", `form[action="/setup"] button[type=submit]`)
	secret := w.text(`[data-testid=totp-secret]`)
	code, _ := auth.TOTPCode(secret, time.Now())
	w.fill("#code", code)
	w.submit("confirm TOTP", `form[action="/account/mfa"] button[type=submit]`)
	w.open("/controls")
	w.submit("adopt all", `button[name=all]`)

	for _, f := range []struct{ page, form string }{
		{"/settings", `form[action="/settings/organization"]`},
		{"/settings", `form[action="/settings/auth"]`},
		{"/controls/new", `form[action="/controls/new"]`},
		{"/controls/GV-05", `form[action="/controls/GV-05"]`},
		{"/scope", `form[action="/systems"]`},
		{"/users", `form[action="/users"]`},
		{"/tokens", `form[action="/tokens"]`},
		{"/controls", `form[action="/controls"]`},
		{"/activity", `form[action="/activity"]`},
	} {
		w.open(f.page)
		w.fillForm(f.form)
		w.noInjection(f.page + " " + f.form)
	}
	// Values that pass validation are stored; the pages that show them must
	// show them as text.
	w.open("/controls/GV-05")
	w.fill("#title", xss)
	w.fill("#description", xss)
	w.fill("#evidence", xss)
	w.submit("save control", `form[action="/controls/GV-05"] button[type=submit]`)
	w.open("/scope")
	w.fill("#sys-name", xss)
	w.fill("#sys-desc", xss)
	w.fill("#sys-kind", "service")
	w.fill("#sys-class", "internal")
	w.fill("#sys-env", "production")
	w.submit("add system", `form[action="/systems"] button[type=submit]`)
	w.open("/users")
	w.fill("#email", "eve@acme.test")
	w.fill("#name", xss)
	w.submit("add user", `form[action="/users"] button[type=submit]`)
	w.open("/tokens")
	w.fill("#tname", xss)
	w.submit("add token", `form[action="/tokens"] button[type=submit]`)
	for _, p := range []string{"/", "/controls", "/controls/GV-05", "/criteria/CC1.2", "/scope", "/systems/1", "/users", "/users/2", "/tokens", "/activity", "/settings", "/account"} {
		w.open(p)
		w.noInjection(p)
	}
	w.open("/controls/GV-05")
	if !strings.Contains(w.text("h1"), "<script>") {
		t.Fatal("the stored title is not shown as text")
	}
	// Public pages too.
	w.signOut()
	w.fillForm(`form[action="/login"]`)
	w.noInjection("login")
	w.open("/forgot")
	w.noInjection("forgot")
}
