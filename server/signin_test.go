package server_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/auth"
	"github.com/vigil-soc/vigil/internal/oidctest"
	"github.com/vigil-soc/vigil/internal/smtptest"
	"github.com/vigil-soc/vigil/server"
)

// browser is a cookie-keeping client that fills forms the way a person's
// browser would, CSRF token included.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	last string // last page's body
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, base: e.http.URL, c: &http.Client{Jar: jar}}
}

var (
	csrfRe   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	hiddenRe = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)
)

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.abs(path))
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	b.last = string(body)
	return resp.StatusCode, b.last
}

func (b *browser) abs(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return b.base + path
}

// post submits a form with the CSRF token of the last page seen, following
// redirects; it returns the final status, body and URL path.
func (b *browser) post(path string, form url.Values) (int, string, string) {
	b.t.Helper()
	// Like a browser, send the page's hidden fields (CSRF token, next)
	// unless the test set them.
	for _, m := range hiddenRe.FindAllStringSubmatch(b.last, -1) {
		if !form.Has(m[1]) {
			form.Set(m[1], html.UnescapeString(m[2]))
		}
	}
	req, _ := http.NewRequest("POST", b.abs(path), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	b.last = string(body)
	return resp.StatusCode, b.last, resp.Request.URL.RequestURI()
}

func (b *browser) login(email, password string) (int, string, string) {
	b.get("/login")
	return b.post("/login", url.Values{"email": {email}, "password": {password}})
}

// clock is a settable time for the server.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func setPassword(t *testing.T, e *env, role, pw string) string {
	hash, _ := auth.HashPassword(pw, fastHash)
	if err := e.store.SetPassword(adminCtx(e), e.users[role], hash); err != nil {
		t.Fatal(err)
	}
	return role + "@acme.test"
}

func adminCtx(e *env) context.Context {
	return vigil.WithActor(context.Background(), vigil.Actor{UserID: e.users["owner"], Name: "owner@acme.test", Role: vigil.RoleOwner})
}

func activityHas(t *testing.T, e *env, action string) bool {
	t.Helper()
	items, err := e.store.ListActivity(context.Background(), vigil.ActivityFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return len(items) > 0
}

func TestPasswordSignInAndLockout(t *testing.T) {
	e := newEnv(t, "sqlite")
	email := setPassword(t, e, "viewer", "viewer password 1")
	b := e.browser()
	// A lost session goes to sign-in and then back to the page.
	b.get("/controls?status=implemented")
	if !strings.Contains(b.last, `name="next" value="/controls?status=implemented"`) {
		t.Fatalf("sign-in page does not carry the page asked for")
	}
	status, _, where := b.post("/login", url.Values{"email": {email}, "password": {"viewer password 1"}})
	if status != 200 || where != "/controls?status=implemented" {
		t.Fatalf("sign-in: %d at %s", status, where)
	}
	if !activityHas(t, e, "auth.login") {
		t.Fatal("no auth.login in the activity log")
	}
	// Wrong password: one message for both kinds of mistake, the input kept.
	b2 := e.browser()
	status, body, _ := b2.login(email, "wrong")
	_, body2, _ := b2.login("nobody@acme.test", "wrong")
	if status != 401 || !strings.Contains(body, "The email or password is not right.") || !strings.Contains(body2, "The email or password is not right.") || !strings.Contains(body, `value="`+email+`"`) {
		t.Fatalf("wrong password: %d", status)
	}
	// Four more failures lock the account; even the right password is refused.
	for i := 0; i < 4; i++ {
		status, body, _ = b2.login(email, "wrong")
	}
	if status != 429 || !strings.Contains(body, "locked") {
		t.Fatalf("fifth failure: %d, want the lockout", status)
	}
	status, body, _ = b2.login(email, "viewer password 1")
	if status != 429 || !strings.Contains(body, "locked") {
		t.Fatalf("right password while locked: %d", status)
	}
	if !activityHas(t, e, "auth.lockout") || !activityHas(t, e, "auth.login_failed") {
		t.Fatal("lockout and failures are not in the activity log")
	}
}

func TestAddressRateLimit(t *testing.T) {
	e := newEnv(t, "sqlite")
	b := e.browser()
	var status int
	for i := 0; i < 21; i++ {
		status, _, _ = b.login(fmt.Sprintf("u%d@acme.test", i), "wrong")
	}
	if status != 429 {
		t.Fatalf("21st failure from one address: %d, want 429", status)
	}
	if !activityHas(t, e, "auth.rate_limited") {
		t.Fatal("rate limiting is not in the activity log")
	}
}

func TestMFA(t *testing.T) {
	clk := &clock{now: time.Now()}
	e := newEnv(t, "sqlite", func(c *server.Config) { c.Now = clk.Now })
	email := setPassword(t, e, "admin", "admin password 1")
	b := e.browser()
	// Admins must enrol before anything else.
	status, body, where := b.login(email, "admin password 1")
	if !strings.HasPrefix(where, "/account/mfa") || !strings.Contains(body, "requires two-step verification") {
		t.Fatalf("admin without MFA: %d at %s", status, where)
	}
	b.get("/controls")
	if !strings.Contains(b.last, "Set up two-step verification") {
		t.Fatal("an admin who has not enrolled reached another page")
	}
	secret := regexp.MustCompile(`data-testid="totp-secret">([A-Z2-7]+)<`).FindStringSubmatch(b.last)[1]
	status, body, _ = b.post("/account/mfa", url.Values{"code": {"000000"}})
	if status != 400 || !strings.Contains(body, "That code is not right") {
		t.Fatalf("wrong enrolment code: %d", status)
	}
	code, _ := auth.TOTPCode(secret, clk.Now())
	status, body, _ = b.post("/account/mfa", url.Values{"code": {code}})
	codes := regexp.MustCompile(`<li>([2-9A-Z]{5}-[2-9A-Z]{5})</li>`).FindAllStringSubmatch(body, -1)
	if status != 200 || len(codes) != 10 {
		t.Fatalf("enrolment: %d, %d recovery codes", status, len(codes))
	}
	b.get("/")
	b.post("/logout", url.Values{})
	// Sign in again: password, then code; the same code twice is refused.
	status, _, where = b.login(email, "admin password 1")
	if !strings.HasPrefix(where, "/login/mfa") {
		t.Fatalf("password step: %d at %s", status, where)
	}
	status, _, _ = b.post("/login/mfa", url.Values{"code": {code}})
	if status != 401 {
		t.Fatalf("replayed code: %d, want 401", status)
	}
	clk.Add(30 * time.Second)
	code2, _ := auth.TOTPCode(secret, clk.Now())
	status, _, where = b.post("/login/mfa", url.Values{"code": {code2}})
	if status != 200 || where != "/" {
		t.Fatalf("code step: %d at %s", status, where)
	}
	// A recovery code works once.
	b.post("/logout", url.Values{})
	b.login(email, "admin password 1")
	status, body, where = b.post("/login/mfa", url.Values{"code": {strings.ToLower(codes[0][1])}})
	if status != 200 || where != "/" || !strings.Contains(body, "9 left") {
		t.Fatalf("recovery code: %d at %s", status, where)
	}
	b.post("/logout", url.Values{})
	b.login(email, "admin password 1")
	if status, _, _ = b.post("/login/mfa", url.Values{"code": {codes[0][1]}}); status != 401 {
		t.Fatalf("used recovery code: %d, want 401", status)
	}
	for _, a := range []string{"auth.mfa_enrolled", "auth.login_mfa_totp", "auth.login_mfa_recovery_code", "auth.logout"} {
		if !activityHas(t, e, a) {
			t.Errorf("%s is not in the activity log", a)
		}
	}
	// The stored secret is sealed, not the base32 key.
	cred, _ := e.store.CredentialsByID(context.Background(), e.users["admin"])
	if cred.TOTPSecret == secret || !strings.HasPrefix(cred.TOTPSecret, "v2:") {
		t.Fatalf("TOTP secret stored as %q", cred.TOTPSecret)
	}
}

func TestSessionTimeouts(t *testing.T) {
	clk := &clock{now: time.Now()}
	e := newEnv(t, "sqlite", func(c *server.Config) { c.Now = clk.Now })
	email := setPassword(t, e, "viewer", "viewer password 1")
	b := e.browser()
	b.login(email, "viewer password 1")
	for i := 0; i < 30; i++ { // active every 25 minutes for 12.5 hours
		clk.Add(25 * time.Minute)
		b.get("/")
		if strings.Contains(b.last, `action="/login"`) {
			if i < 28 {
				t.Fatalf("session ended after %d minutes of activity", (i+1)*25)
			}
			break
		}
	}
	if !strings.Contains(b.last, `action="/login"`) {
		t.Fatal("session outlived the absolute timeout")
	}
	b.login(email, "viewer password 1")
	clk.Add(31 * time.Minute)
	b.get("/")
	if !strings.Contains(b.last, `action="/login"`) {
		t.Fatal("session outlived the idle timeout")
	}
	// Sign out everywhere ends other browsers' sessions too.
	b.login(email, "viewer password 1")
	other := e.browser()
	other.login(email, "viewer password 1")
	b.get("/account")
	b.post("/account/logout-everywhere", url.Values{})
	other.get("/")
	if !strings.Contains(other.last, `action="/login"`) {
		t.Fatal("sign out everywhere left another session alive")
	}
}

func TestPasswordResetByMail(t *testing.T) {
	mail := smtptest.Start(t)
	e := newEnv(t, "sqlite", func(c *server.Config) {
		c.SMTP = server.SMTPConfig{Addr: mail.Addr, From: "vigil@acme.test"}
		c.BaseURL = "https://vigil.acme.test"
	})
	email := setPassword(t, e, "member", "member password 1")
	old := e.browser()
	old.login(email, "member password 1")
	b := e.browser()
	b.get("/forgot")
	_, body, _ := b.post("/forgot", url.Values{"email": {email}})
	_, body2, _ := b.post("/forgot", url.Values{"email": {"nobody@acme.test"}, "csrf": {csrfRe.FindStringSubmatch(body)[1]}})
	if !strings.Contains(body, "If that address has an account") || !strings.Contains(body2, "If that address has an account") {
		t.Fatal("forgot-password answers differ for known and unknown addresses")
	}
	// Mail goes out in the background.
	got := mail.Wait(1, 2*time.Second)
	if len(got) != 1 || !strings.Contains(got[0].Data, "To: "+email) {
		t.Fatalf("mail sent: %d %+v", len(got), got)
	}
	msgs := []string{got[0].Data}
	// The link is built from the configured base URL, never from the Host
	// header a client sends.
	link := regexp.MustCompile(`https://vigil\.acme\.test/reset\?token=\S+`).FindString(msgs[0])
	if link == "" {
		t.Fatalf("no link to the configured base URL in %q", msgs[0])
	}
	link = strings.Replace(link, "https://vigil.acme.test", e.http.URL, 1)
	b.get(link)
	status, body, _ := b.post("/reset", url.Values{"token": {strings.SplitN(link, "token=", 2)[1]}, "password": {"short"}, "password2": {"short"}})
	if status != 400 || !strings.Contains(body, "at least 12") {
		t.Fatalf("short new password: %d", status)
	}
	tok, _ := url.QueryUnescape(strings.SplitN(link, "token=", 2)[1])
	status, _, where := b.post("/reset", url.Values{"token": {tok}, "password": {"a new password 2"}, "password2": {"a new password 2"}})
	if status != 200 || where != "/login" {
		t.Fatalf("reset: %d at %s", status, where)
	}
	if _, _, where = b.login(email, "a new password 2"); where != "/" {
		t.Fatalf("sign-in with the new password ended at %s", where)
	}
	old.get("/")
	if !strings.Contains(old.last, `action="/login"`) {
		t.Fatal("a session from before the reset survived it")
	}
	b2 := e.browser()
	b2.get("/reset?token=" + url.QueryEscape(tok))
	if !strings.Contains(b2.last, "already been used") {
		t.Fatal("a used reset link still works")
	}
}

func TestOIDC(t *testing.T) {
	op := oidctest.Start("vigil-client", "client-secret")
	t.Cleanup(op.Close)
	e := newEnv(t, "sqlite")
	email := setPassword(t, e, "owner", "owner password 1")
	_ = email
	// Configure through the settings page, as an owner would (admins may
	// not: the provider decides who can sign in as whom).
	if st, _, _ := e.page(ptr(e.sessions()["admin"]), "POST", "/settings/auth", url.Values{"oidc_enabled": {"1"}}); st != 403 {
		t.Fatalf("admin changing SSO settings: %d, want 403", st)
	}
	adm := e.sessions()["owner"]
	status, body, _ := e.page(&adm, "POST", "/settings/auth", url.Values{"oidc_enabled": {"1"}, "oidc_issuer": {op.URL}, "oidc_client_id": {"vigil-client"},
		"oidc_client_secret": {"client-secret"}, "oidc_default_role": {"auditor"}, "oidc_domains": {"acme.test"}, "oidc_trust_mfa": {"1"}})
	if status != 303 {
		t.Fatalf("saving SSO settings: %d %.500s", status, body)
	}
	a, _ := e.store.AuthSettings(context.Background())
	if strings.Contains(a.OIDCClientSecret, "client-secret") || !a.OIDCEnabled {
		t.Fatalf("settings stored %+v", a)
	}
	tr := true
	op.Set(func(p *oidctest.Provider) { p.EmailVerified = &tr })
	// A first sign-in creates the user with the default role.
	b := e.browser()
	status, body, where := func() (int, string, string) { s, bd := b.get("/login/sso?next=/criteria"); return s, bd, "" }()
	_ = where
	if status != 200 || !strings.Contains(body, "Criteria") {
		t.Fatalf("SSO sign-in: %d %.300s", status, body)
	}
	if op.Seen.Get("nonce") == "" || op.Seen.Get("state") == "" || op.Seen.Get("code_challenge_method") != "S256" {
		t.Fatalf("authorization request lacks nonce, state or PKCE: %v", op.Seen)
	}
	var users struct{ Items []vigil.User }
	e.do("admin", "GET", "/api/v1/users", nil, 200, &users)
	found := false
	for _, u := range users.Items {
		found = found || (u.Email == "sso.user@acme.test" && u.Role == vigil.RoleAuditor)
	}
	if !found {
		t.Fatalf("no JIT auditor account: %+v", users.Items)
	}
	f := false
	for _, tc := range []struct {
		name string
		set  func(p *oidctest.Provider)
		want string
	}{
		{"wrong nonce", func(p *oidctest.Provider) { p.WrongNonce = true }, "nonce"},
		{"wrong key", func(p *oidctest.Provider) { p.WrongKey = true }, "ID token is not valid"},
		{"wrong audience", func(p *oidctest.Provider) { p.WrongAud = true }, "ID token is not valid"},
		{"expired token", func(p *oidctest.Provider) { p.Expired = true }, "ID token is not valid"},
		{"unverified email", func(p *oidctest.Provider) { p.EmailVerified = &f }, "is verified"},
		{"no email_verified claim", func(p *oidctest.Provider) { p.EmailVerified = nil }, "is verified"},
		{"other domain", func(p *oidctest.Provider) { p.Email = "eve@evil.test" }, "not in an allowed domain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op.Set(func(p *oidctest.Provider) {
				p.WrongNonce, p.WrongKey, p.WrongAud, p.Expired, p.EmailVerified, p.Email = false, false, false, false, &tr, "sso.user@acme.test"
				tc.set(p)
			})
			b := e.browser()
			status, body := b.get("/login/sso")
			if status != 401 || !strings.Contains(body, tc.want) {
				t.Fatalf("%s: %d, want 401 naming %q; %.400s", tc.name, status, tc.want, body)
			}
			b.get("/")
			if !strings.Contains(b.last, `action="/login"`) {
				t.Fatal("a refused SSO sign-in left a session")
			}
		})
	}
	// The account is now bound to its provider identity: the same email
	// under another subject is refused.
	op.Set(func(p *oidctest.Provider) {
		p.WrongNonce, p.Email, p.Subject = false, "sso.user@acme.test", "someone-else"
	})
	if status, body := e.browser().get("/login/sso"); status != 401 || !strings.Contains(body, "bound to another identity") {
		t.Fatalf("same email, other subject: %d %s", status, body[strings.Index(body, "<main"):])
	}
	op.Set(func(p *oidctest.Provider) { p.Subject = "" })
	// An owner signing in by SSO still answers Vigil's own second factor.
	op.Set(func(p *oidctest.Provider) { p.Email = "owner@acme.test" })
	if _, body := e.browser().get("/login/sso"); !strings.Contains(body, "Two-step verification") && !strings.Contains(body, "Set up two-step verification") {
		t.Fatalf("owner by SSO skipped MFA: %.300s", body)
	}
	op.Set(func(p *oidctest.Provider) { p.Email = "sso.user@acme.test" })
	// A state is good once.
	b3 := e.browser()
	b3.get("/login/sso")
	status, _ = b3.get("/auth/oidc/callback?state=" + url.QueryEscape(op.Seen.Get("state")) + "&code=whatever")
	if status != 401 {
		t.Fatalf("replayed state: %d, want 401", status)
	}
}

func ptr[T any](v T) *T { return &v }

func TestSignInHardening(t *testing.T) {
	e := newEnv(t, "sqlite")
	email := setPassword(t, e, "viewer", "viewer password 1")
	// next can only lead back into Vigil.
	for _, next := range []string{"//evil.example", "/%09/evil.example", "/\\evil.example", "https://evil.example/", "/a/../%5Cevil.example", "/\tevil"} {
		b := e.browser()
		b.get("/login?next=" + url.QueryEscape(next))
		_, _, where := b.post("/login", url.Values{"email": {email}, "password": {"viewer password 1"}})
		if where != "/" {
			t.Errorf("next=%q led to %q, want /", next, where)
		}
	}
	// Wrong codes add up across password sign-ins and lock the account,
	// and the lock ends every session waiting at the code step.
	adminEmail := setPassword(t, e, "admin", "admin password 1")
	b := e.browser()
	b.login(adminEmail, "admin password 1") // enrol state
	b.get("/account/mfa")
	secret := regexp.MustCompile(`data-testid="totp-secret">([A-Z2-7]+)<`).FindStringSubmatch(b.last)[1]
	code, _ := auth.TOTPCode(secret, time.Now())
	b.post("/account/mfa", url.Values{"code": {code}})
	b.post("/logout", url.Values{})
	waiting := e.browser()
	waiting.login(adminEmail, "admin password 1")
	var status int
	for i := 0; i < 5; i++ {
		b.login(adminEmail, "admin password 1")
		status, _, _ = b.post("/login/mfa", url.Values{"code": {"000000"}})
	}
	if status != 429 {
		t.Fatalf("five wrong codes across sign-ins: %d, want the lockout", status)
	}
	waiting.get("/login/mfa")
	if !strings.Contains(waiting.last, `action="/login"`) {
		t.Fatal("another session at the code step survived the lockout")
	}
	// MFA that becomes required while signed in is asked for at once.
	memberEmail := setPassword(t, e, "member", "member password 1")
	m := e.browser()
	m.login(memberEmail, "member password 1")
	e.do("owner", "PATCH", fmt.Sprintf("/api/v1/users/%d", e.users["member"]), map[string]any{"role": "admin"}, 200, nil)
	m.get("/controls")
	if !strings.Contains(m.last, "Set up two-step verification") {
		t.Fatal("a member promoted to admin kept working without MFA")
	}
}

func TestOIDCCallbackBoundToBrowser(t *testing.T) {
	op := oidctest.Start("vigil-client", "client-secret")
	t.Cleanup(op.Close)
	tr := true
	op.Set(func(p *oidctest.Provider) { p.EmailVerified = &tr })
	e := newEnv(t, "sqlite")
	own := e.sessions()["owner"]
	if st, _, _ := e.page(&own, "POST", "/settings/auth", url.Values{"oidc_enabled": {"1"}, "oidc_issuer": {op.URL}, "oidc_client_id": {"vigil-client"},
		"oidc_client_secret": {"client-secret"}, "oidc_default_role": {"viewer"}}); st != 303 {
		t.Fatalf("settings: %d", st)
	}
	// The attacker starts a sign-in and stops before the callback.
	attacker := e.browser()
	attacker.c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if strings.Contains(req.URL.Path, "/auth/oidc/callback") {
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp, err := attacker.c.Get(e.http.URL + "/login/sso")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	callback := resp.Header.Get("Location")
	if !strings.Contains(callback, "/auth/oidc/callback?code=") {
		t.Fatalf("no callback: %q", callback)
	}
	// The victim opens it: refused, no session.
	victim := e.browser()
	status, body := victim.get(callback)
	if status != 401 || !strings.Contains(body, "not started in this browser") {
		t.Fatalf("callback in another browser: %d", status)
	}
}
