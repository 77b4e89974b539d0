package server_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/vigil-soc/vigil/auth"
	"github.com/vigil-soc/vigil/internal/memtest"
	"github.com/vigil-soc/vigil/server"
)

// postFrom submits a form as a fresh browser at the given address (the
// server trusts its proxy's X-Forwarded-For): it loads the page for its
// CSRF token first, as a browser would.
func postFrom(t *testing.T, e *env, ip, page, path string, form url.Values) (int, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	req, _ := http.NewRequest("GET", e.http.URL+page, nil)
	req.Header.Set("X-Forwarded-For", ip)
	resp, err := c.Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range hiddenRe.FindAllStringSubmatch(string(b), -1) {
		if !form.Has(m[1]) {
			form.Set(m[1], m[2])
		}
	}
	req, _ = http.NewRequest("POST", e.http.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", ip)
	resp, err = c.Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ = io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metric reads one figure from /metrics.
func metric(t *testing.T, e *env, name string) int64 {
	t.Helper()
	resp, err := http.Get(e.http.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + name + ` (\d+)$`).FindStringSubmatch(string(b))
	if m == nil {
		t.Fatalf("metric %s not exposed", name)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

func burst(n int, fn func(i int) (int, string)) (statuses []int, bodies []string) {
	statuses, bodies = make([]int, n), make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			statuses[i], bodies[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return statuses, bodies
}

func count(xs []int, v int) int {
	n := 0
	for _, x := range xs {
		if x == v {
			n++
		}
	}
	return n
}

// Concurrent guesses cannot get more password checks than the limits
// allow: each attempt is recorded before its hash, in the database.
func TestSignInBurstsHoldLimits(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine, func(c *server.Config) { c.TrustProxy = true })
			email := setPassword(t, e, "viewer", "viewer password 1")
			wrong := func(ip, who string) func(int) (int, string) {
				return func(int) (int, string) {
					return postFrom(t, e, ip, "/login", "/login", url.Values{"email": {who}, "password": {"wrong guess"}})
				}
			}
			// 25 guesses at once against one account from one address:
			// exactly five passwords are checked, the rest refused.
			before := metric(t, e, "vigil_password_hashes_total")
			st, _ := burst(25, wrong("203.0.113.7", email))
			checked := metric(t, e, "vigil_password_hashes_total") - before
			if checked != 5 || count(st, 401)+count(st, 429) != 25 || count(st, 429) < 20 {
				t.Fatalf("25 concurrent guesses: %d passwords checked (want 5), statuses %v", checked, st)
			}
			// The lock holds only for the address that failed: the owner
			// of the account signs in from elsewhere.
			if status, body := postFrom(t, e, "198.51.100.9", "/login", "/login", url.Values{"email": {email}, "password": {"viewer password 1"}}); status != 200 || strings.Contains(body, "locked") {
				t.Fatalf("right password from another address: %d", status)
			}
			if status, body := postFrom(t, e, "203.0.113.7", "/login", "/login", url.Values{"email": {email}, "password": {"viewer password 1"}}); status != 429 || !strings.Contains(body, "locked here until") {
				t.Fatalf("right password from the locked address: %d", status)
			}
			// 60 requests at once from one address, each for another
			// account: at most 20 checks, the rest 429.
			before = metric(t, e, "vigil_password_hashes_total")
			st, _ = burst(60, func(i int) (int, string) {
				return postFrom(t, e, "192.0.2.50", "/login", "/login", url.Values{"email": {"user" + strconv.Itoa(i) + "@acme.test"}, "password": {"wrong guess"}})
			})
			checked = metric(t, e, "vigil_password_hashes_total") - before
			if checked > 20 || count(st, 429) < 40 {
				t.Fatalf("60 concurrent requests from one address: %d checked (want at most 20), %d refused", checked, count(st, 429))
			}
		})
	}
}

// An unknown account answers exactly as a known one, lock included, so the
// lock tells nobody which addresses have accounts.
func TestLockoutIsNoOracle(t *testing.T) {
	e := newEnv(t, "sqlite", func(c *server.Config) { c.TrustProxy = true })
	known := setPassword(t, e, "viewer", "viewer password 1")
	answers := func(ip, email string) []string {
		var out []string
		for i := 0; i < 7; i++ {
			status, body := postFrom(t, e, ip, "/login", "/login", url.Values{"email": {email}, "password": {"wrong guess"}})
			msg := regexp.MustCompile(`(?s)<p class="alert"[^>]*>(.*?)</p>`).FindStringSubmatch(body)
			if msg == nil {
				t.Fatalf("no message for %s: %d", email, status)
			}
			// Times (Try again after HH:MM) may differ by a minute.
			out = append(out, strconv.Itoa(status)+" "+regexp.MustCompile(`\d\d:\d\d`).ReplaceAllString(msg[1], "hh:mm"))
		}
		return out
	}
	a, b := answers("203.0.113.1", known), answers("203.0.113.2", "nobody@acme.test")
	if strings.Join(a, "|") != strings.Join(b, "|") {
		t.Fatalf("a known and an unknown account answer differently:\n%q\n%q", a, b)
	}
	if !strings.Contains(a[4], "locked") || !strings.HasPrefix(a[5], "429") {
		t.Fatalf("no lock after five failures: %q", a)
	}
}

// A reset link is checked before the new password is hashed, and tries
// are limited per address.
func TestResetChecksLinkFirst(t *testing.T) {
	e := newEnv(t, "sqlite", func(c *server.Config) { c.TrustProxy = true })
	before := metric(t, e, "vigil_password_hashes_total")
	for i := 0; i < 20; i++ {
		status, body := postFrom(t, e, "203.0.113.9", "/reset?token=vgr_bogus", "/reset", url.Values{"token": {"vgr_bogus" + strconv.Itoa(i)}, "password": {"a long enough new password"}, "password2": {"a long enough new password"}})
		if status != 401 || !strings.Contains(body, "not valid") && !strings.Contains(body, "expired") {
			t.Fatalf("bogus reset link %d: %d", i, status)
		}
	}
	if n := metric(t, e, "vigil_password_hashes_total") - before; n != 0 {
		t.Fatalf("%d passwords hashed for bogus reset links, want 0", n)
	}
	if status, _ := postFrom(t, e, "203.0.113.9", "/reset?token=vgr_bogus", "/reset", url.Values{"token": {"vgr_x"}, "password": {"a long enough new password"}, "password2": {"a long enough new password"}}); status != 429 {
		t.Fatalf("21st bogus reset from one address: %d, want 429", status)
	}
	// A real link from another address still works.
	link, err := server.NewResetLink(adminCtx(e), e.store, e.http.URL, e.users["viewer"])
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	if status, _ := postFrom(t, e, "198.51.100.1", u.RequestURI(), "/reset", url.Values{"token": {u.Query().Get("token")}, "password": {"a long enough new password"}, "password2": {"a long enough new password"}}); status != 200 {
		t.Fatalf("a real reset link: %d", status)
	}
}

// With real argon2id parameters (46 MiB a hash), a burst of sign-ins from
// many addresses never runs more hashes at once than the memory budget
// allows, and the heap stays bounded.
func TestSignInMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes for real")
	}
	const slots = 3
	e := newEnv(t, "sqlite", func(c *server.Config) {
		c.TrustProxy = true
		c.PasswordParams = auth.DefaultParams
		c.HashMemory = slots * int64(auth.DefaultParams.Memory) * 1024
	})
	var st []int
	peak, base := memtest.PeakHeap(func() {
		st, _ = burst(40, func(i int) (int, string) {
			return postFrom(t, e, "198.18.0."+strconv.Itoa(i+1), "/login", "/login", url.Values{"email": {"user" + strconv.Itoa(i) + "@acme.test"}, "password": {"wrong guess"}})
		})
	})
	if got := metric(t, e, "vigil_password_hashes_peak"); got > slots || got == 0 {
		t.Fatalf("%d hashes ran at once, want at most %d", got, slots)
	}
	if n := count(st, 401) + count(st, 429); n != 40 {
		t.Fatalf("statuses %v", st)
	}
	t.Logf("40 concurrent sign-ins with 46 MiB hashes, %d slots: peak heap in use %d MiB over %d MiB before; %d checked, %d refused as busy",
		slots, peak>>20, base>>20, count(st, 401), count(st, 429))
	// What the slots hold, once more for a collection under way, and room
	// for the requests themselves: not forty hashes' worth (1.8 GiB).
	budget := uint64(slots) * uint64(auth.DefaultParams.Memory) * 1024
	if limit := base + 2*budget + 64<<20; peak > limit {
		t.Fatalf("peak heap %d MiB, want under %d MiB", peak>>20, limit>>20)
	}
}
