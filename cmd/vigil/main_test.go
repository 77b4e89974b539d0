package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-soc/vigil/auth"
	"github.com/vigil-soc/vigil/client"
	"github.com/vigil-soc/vigil/internal/pgtest"
)

var fastHash = auth.Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32}

// cli runs a vigil command line in-process with the given environment and
// standard input, returning the exit code, stdout and stderr.
func cli(t *testing.T, vars map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	code := run(context.Background(), env, args)
	return code, out.String(), errb.String()
}

func startMain(t *testing.T, m *Main) (*Main, string) {
	t.Helper()
	var console bytes.Buffer
	m.Addr, m.Console, m.PasswordParams = "127.0.0.1:0", &console, fastHash
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	tok := regexp.MustCompile(`vgs_[A-Za-z0-9_-]{43}`).FindString(console.String())
	if tok == "" {
		t.Fatalf("no setup token on the console: %q", console.String())
	}
	if !strings.Contains(console.String(), m.URL+"/setup?token="+tok) {
		t.Fatalf("console has no setup link: %q", console.String())
	}
	return m, tok
}

// TestCLIWalk is the user journey through the CLI, on both engines:
// set up, scope, adopt, assign owners, read readiness and export the SoA.
func TestCLIWalk(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			m := &Main{DataDir: t.TempDir()}
			if engine == "postgres" {
				pg, err := pgtest.Start()
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(pg.Stop)
				if m.DatabaseURL, err = pg.NewDatabase(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			m, setupTok := startMain(t, m)
			vars := map[string]string{"VIGIL_SERVER": m.URL}
			code, out, errs := cli(t, vars, "correct horse battery\n", "setup", "--token", setupTok, "--org", "Acme", "--email", "me@acme.test", "--name", "Me")
			if code != 0 {
				t.Fatalf("setup: %d %s %s", code, out, errs)
			}
			vars["VIGIL_TOKEN"] = strings.TrimSpace(out)

			steps := []struct {
				args []string
				want string
			}{
				{[]string{"scope", "set", "--categories", "availability,confidentiality", "--type2", "--window-start", "2026-01-01", "--window-end", "2026-12-31"}, "Type II, 2026-01-01 to 2026-12-31"},
				{[]string{"scope"}, "Security, Availability, Confidentiality"},
				{[]string{"controls", "adopt", "--domain", "AC,HR"}, "adopted 20 control(s)"},
				{[]string{"controls", "adopt", "--all"}, "adopted 88 control(s), skipped 20"},
				{[]string{"users", "add", "--email", "eng@acme.test", "--name", "Eng", "--role", "member"}, "added user 2 eng@acme.test (member)"},
				{[]string{"controls", "set", "GV-05", "--owner", "2", "--status", "implemented"}, "GV-05: status implemented, owner Eng, health unknown"}, // not shown: nothing shows it operating yet
				{[]string{"controls", "list", "--owner", "2"}, "GV-05  implemented  unknown  Eng"},
				{[]string{"controls", "show", "GV-05"}, "owner:     Eng"},
				{[]string{"readiness"}, "SOC 2 readiness (strict): 0.0% (0 of 38)"},
				{[]string{"readiness", "--gaps"}, "not shown: no accepted evidence"},
				{[]string{"readiness", "--gaps"}, "no owner assigned"},
				{[]string{"readiness", "--framework", "iso27001"}, "related (derived)"},
				{[]string{"systems", "add", "--name", "api", "--kind", "service", "--classification", "confidential", "--environment", "production", "--owner", "2"}, "added system 1 api"},
				{[]string{"systems"}, "api   service"},
				{[]string{"soa"}, "GV-05,"},
				{[]string{"catalog", "criterion", "CC6.1", "--framework", "iso27001"}, "related (derived)"},
				{[]string{"activity", "verify"}, "activity log intact"},
				{[]string{"activity", "--action", "control.update"}, "control.update"},
				{[]string{"tokens"}, "setup"},
			}
			for _, s := range steps {
				code, out, errs := cli(t, vars, "", s.args...)
				if code != 0 || !strings.Contains(out, s.want) {
					t.Fatalf("vigil %s: exit %d, want output containing %q\nstdout:\n%s\nstderr:\n%s", strings.Join(s.args, " "), code, s.want, out, errs)
				}
			}
			// The same readiness through the API and the CLI's --json.
			_, out, _ = cli(t, vars, "", "readiness", "--json")
			if !strings.Contains(out, `"percent": 0`) || !strings.Contains(out, `"not_shown": 1`) {
				t.Fatalf("readiness --json: %s", out)
			}
			// Client mistakes: a clear message and exit 1, never a crash.
			for _, bad := range []struct {
				args []string
				want string
			}{
				{[]string{"controls", "set", "AC-01", "--status", "implemented"}, "cannot be marked implemented without an owner"},
				{[]string{"controls", "set", "AC-01", "--status", "not_applicable"}, "needs a justification"},
				{[]string{"controls", "show", "ZZ-1"}, "control ZZ-1 not found"},
				{[]string{"scope", "set", "--categories", "marketing"}, `unknown category "marketing"`},
				{[]string{"readiness", "--framework", "cobit"}, "framework cobit not found"},
			} {
				code, _, errs := cli(t, vars, "", bad.args...)
				if code != 1 || !strings.Contains(errs, bad.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
					t.Fatalf("vigil %s: exit %d, stderr %q; want exit 1 and one line containing %q", strings.Join(bad.args, " "), code, errs, bad.want)
				}
			}
			code, _, errs = cli(t, map[string]string{"VIGIL_SERVER": m.URL, "VIGIL_TOKEN": "vgl_wrong"}, "", "readiness")
			if code != 1 || !strings.Contains(errs, "API token is not valid") {
				t.Fatalf("bad token: %d %q", code, errs)
			}
		})
	}
}

func TestStartupErrors(t *testing.T) {
	ctx := context.Background()
	oneLine := func(t *testing.T, err error, want string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "goroutine") {
			t.Fatalf("start-up error %v; want one line containing %q", err, want)
		}
	}
	t.Run("newer_schema", func(t *testing.T) {
		dir := t.TempDir()
		m, _ := startMain(t, &Main{DataDir: dir})
		m.Close()
		code, _, _ := cli(t, nil, "", "migrate", "--data-dir", dir)
		if code != 0 {
			t.Fatal("migrate failed")
		}
		st, err := openStore(ctx, dir, "")
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		code, out, errs := cli(t, nil, "", "admin", "verify-activity", "--data-dir", dir)
		if code != 0 || !strings.Contains(out, "activity log intact") {
			t.Fatalf("verify-activity: %d %s %s", code, out, errs)
		}
		// Pretend a newer vigil migrated this database.
		bumpSchema(t, dir)
		err = (&Main{Addr: "127.0.0.1:0", DataDir: dir}).Open(ctx)
		oneLine(t, err, "newer than this vigil binary supports")
	})
	t.Run("corrupt_file", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "vigil.db"), bytes.Repeat([]byte("garbage!"), 1000), 0o600)
		oneLine(t, (&Main{Addr: "127.0.0.1:0", DataDir: dir}).Open(ctx), "corrupt or not a SQLite file")
	})
	t.Run("data_dir_in_use", func(t *testing.T) {
		dir := t.TempDir()
		startMain(t, &Main{DataDir: dir})
		oneLine(t, (&Main{Addr: "127.0.0.1:0", DataDir: dir}).Open(ctx), "in use by another vigil serve")
	})
	t.Run("unreachable_postgres", func(t *testing.T) {
		oneLine(t, (&Main{Addr: "127.0.0.1:0", DatabaseURL: "postgres://vigil:pw@127.0.0.1:1/vigil?connect_timeout=2"}).Open(ctx), "cannot reach PostgreSQL 127.0.0.1:1/vigil")
	})
	t.Run("address_in_use", func(t *testing.T) {
		m, _ := startMain(t, &Main{DataDir: t.TempDir()})
		err := (&Main{Addr: strings.TrimPrefix(m.URL, "http://"), DataDir: t.TempDir()}).Open(ctx)
		oneLine(t, err, "cannot listen on")
	})
	t.Run("bad_durations", func(t *testing.T) {
		for _, args := range [][]string{{"--run-retention-days", "-1"}, {"--run-retention-days", "30d"}, {"--retention-days", "x"}, {"--checkpoint-interval", "0"}, {"--scan-local", "10s"}} {
			code, _, errs := cli(t, nil, "", append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, args...)...)
			if code == 0 || !strings.Contains(errs, args[0]) || strings.Count(errs, "\n") != 1 {
				t.Errorf("serve %v: exit %d, stderr %q", args, code, errs)
			}
		}
	})
	t.Run("cli_prints_one_line", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "vigil.db"), bytes.Repeat([]byte("garbage!"), 1000), 0o600)
		code, out, errs := cli(t, nil, "", "serve", "--addr", "127.0.0.1:0", "--data-dir", dir)
		if code != 1 || out != "" || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "vigil serve: SQLite database") {
			t.Fatalf("serve on a corrupt file: exit %d, stderr %q", code, errs)
		}
	})
}

func TestFlagsFromEnvironment(t *testing.T) {
	code, _, errs := cli(t, map[string]string{"VIGIL_LOG_FORMAT": "xml"}, "", "serve")
	if code != 1 || !strings.Contains(errs, `unknown log format "xml"`) {
		t.Fatalf("VIGIL_LOG_FORMAT=xml: %d %q", code, errs)
	}
	code, _, errs = cli(t, nil, "", "serve", "--no-such-flag")
	if code != 2 || !strings.Contains(errs, "flag provided but not defined") {
		t.Fatalf("bad flag: %d %q", code, errs)
	}
	code, out, _ := cli(t, nil, "", "version")
	if code != 0 || !strings.HasPrefix(out, "vigil ") {
		t.Fatalf("version: %d %q", code, out)
	}
}

// BenchmarkServeStart measures vigil serve on a new SQLite data directory,
// from nothing to /readyz answering 200 (target: under 1 s).
func BenchmarkServeStart(b *testing.B) {
	for b.Loop() {
		dir := b.TempDir()
		m := &Main{Addr: "127.0.0.1:0", DataDir: dir, Console: &bytes.Buffer{}}
		if err := m.Open(context.Background()); err != nil {
			b.Fatal(err)
		}
		resp, err := http.Get(m.URL + "/readyz")
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("readyz: %v %v", resp, err)
		}
		resp.Body.Close()
		m.Close()
	}
}

func TestAdminCommands(t *testing.T) {
	dir := t.TempDir()
	m, _ := startMain(t, &Main{DataDir: dir})
	db := map[string]string{"VIGIL_DATA_DIR": dir}
	code, _, errs := cli(t, db, "a long enough password\n", "admin", "create-user", "--email", "Admin@Acme.test", "--name", "Ada", "--role", "admin", "--password-stdin")
	if code != 0 {
		t.Fatalf("create-user: %s", errs)
	}
	code, _, errs = cli(t, db, "", "admin", "create-user", "--email", "admin@acme.test", "--name", "Ada")
	if code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("duplicate create-user: %d %q", code, errs)
	}
	code, out, errs := cli(t, db, "", "admin", "create-token", "--email", "admin@acme.test", "--role", "owner")
	if code != 1 || !strings.Contains(errs, "cannot hold") {
		t.Fatalf("over-strong token: %d %q %q", code, out, errs)
	}
	code, out, _ = cli(t, db, "", "admin", "create-token", "--email", "admin@acme.test", "--role", "viewer")
	if code != 0 || !strings.HasPrefix(out, "vgl_") {
		t.Fatalf("create-token: %d %q", code, out)
	}
	api := map[string]string{"VIGIL_SERVER": m.URL, "VIGIL_TOKEN": strings.TrimSpace(out)}
	if code, out, errs := cli(t, api, "", "catalog", "library", "--domain", "AC"); code != 0 || !strings.Contains(out, "AC-12") {
		t.Fatalf("catalog library with the new token: %d %s %s", code, out, errs)
	}
	code, out, _ = cli(t, db, "", "admin", "reset-password", "--email", "admin@acme.test", "--base-url", m.URL)
	if code != 0 || !strings.HasPrefix(out, m.URL+"/reset?token=vgr_") {
		t.Fatalf("reset-password link: %d %q", code, out)
	}
	code, _, errs = cli(t, db, "short\n", "admin", "reset-password", "--email", "admin@acme.test", "--password-stdin")
	if code != 1 || !strings.Contains(errs, "at least 12") {
		t.Fatalf("short reset password: %d %q", code, errs)
	}
	if code, _, errs := cli(t, db, "another long password\n", "admin", "reset-password", "--email", "admin@acme.test", "--password-stdin"); code != 0 {
		t.Fatalf("reset-password: %s", errs)
	}
	if code, out, _ := cli(t, db, "", "admin", "verify-activity"); code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("verify-activity: %s", out)
	}
	// Editing a row behind Vigil's back is named.
	execSQL(t, dir, "UPDATE activity SET actor_name = 'mallory' WHERE seq = 2")
	code, _, errs = cli(t, db, "", "admin", "verify-activity")
	if code != 1 || !strings.Contains(errs, "broken at entry 2") || !strings.Contains(errs, "edited") {
		t.Fatalf("verify-activity after tampering: %d %q", code, errs)
	}
}

func TestSetupPage(t *testing.T) {
	m, tok := startMain(t, &Main{DataDir: t.TempDir()})
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(path string) (int, string, http.Header) {
		resp, err := c.Get(m.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	status, page, hdr := get("/setup?token=" + tok)
	if status != 200 || !strings.Contains(page, `value="`+tok+`"`) || !strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("setup page: %d %s", status, page)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)[1]
	post := func(form url.Values) (int, string, string) {
		form.Set("csrf", csrf)
		resp, err := c.PostForm(m.URL+"/setup", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Request.URL.Path
	}
	xss := `<script>alert(1)</script>`
	status, page, _ = post(url.Values{"token": {tok}, "org": {xss}, "name": {"Me"}, "email": {"me@acme.test"}, "password": {"short"}})
	if status != 400 || !strings.Contains(page, "at least 12 characters") || strings.Contains(page, xss) || !strings.Contains(page, "&lt;script&gt;") {
		t.Fatalf("short password: %d; want the message, and the typed org kept and escaped:\n%s", status, page)
	}
	status, page, _ = post(url.Values{"token": {tok}, "org": {""}, "name": {"Me"}, "email": {"me@acme.test"}, "password": {"correct horse battery"}})
	if status != 400 || !strings.Contains(page, "organization name is required") {
		t.Fatalf("empty organization: %d %s", status, page)
	}
	status, page, _ = post(url.Values{"token": {"vgs_wrong"}, "org": {"Acme"}, "name": {"Me"}, "email": {"me@acme.test"}, "password": {"correct horse battery"}})
	if status != 401 || !strings.Contains(page, "setup token is not valid") {
		t.Fatalf("wrong token: %d %s", status, page)
	}
	// Success signs the owner in and sends them to set up MFA at once.
	status, page, where := post(url.Values{"token": {tok}, "org": {xss}, "name": {"Me"}, "email": {"me@acme.test"}, "password": {"correct horse battery"}})
	if status != 200 || where != "/account/mfa" || !strings.Contains(page, "Set up two-step verification") || strings.Contains(page, xss) {
		t.Fatalf("setup: %d at %s: %s", status, where, page)
	}
	status, page, _ = post(url.Values{"token": {tok}, "org": {"Again"}, "name": {"X"}, "email": {"x@acme.test"}, "password": {"correct horse battery"}})
	if status != 409 || !strings.Contains(page, "already been set up") {
		t.Fatalf("second setup: %d %s", status, page)
	}
}

func TestEvidenceCLI(t *testing.T) {
	dir := t.TempDir()
	m, setupTok := startMain(t, &Main{DataDir: dir})
	vars := map[string]string{"VIGIL_SERVER": m.URL, "VIGIL_DATA_DIR": dir}
	code, out, errs := cli(t, vars, "correct horse battery\n", "setup", "--token", setupTok, "--org", "Acme", "--email", "me@acme.test", "--name", "Me")
	if code != 0 {
		t.Fatalf("setup: %s", errs)
	}
	vars["VIGIL_TOKEN"] = strings.TrimSpace(out)
	file := filepath.Join(t.TempDir(), "access-review.csv")
	os.WriteFile(file, []byte("user,decision\nalice,keep\nbob,remove\n"), 0o600)
	bundle := filepath.Join(t.TempDir(), "bundle.zip")
	got := filepath.Join(t.TempDir(), "got.csv")
	type step struct {
		args []string
		want string
	}
	steps := []step{
		// Adoption makes the library's request (quarterly, from today).
		{[]string{"controls", "adopt", "AC-07"}, "made 1 evidence request(s)"},
		{[]string{"requests", "add", "--control", "AC-07", "--title", "quarterly access review", "--frequency", "quarterly", "--start", "2026-01-01", "--grace-days", "14"}, "request 2"},
		{[]string{"requests"}, "missing"},
		{[]string{"requests", "update", "1", "--grace-days", "21"}, "request 1: Signed review records with removals for AC-07, assigned to"},
		// The missing periods are a gap in readiness, with the reason.
		{[]string{"readiness", "--gaps"}, "quarterly access review\" missing for 2026-01-01"},
		{[]string{"readiness"}, "progress:"},
		{[]string{"evidence", "add", file, "--request", "2", "--effective", "2026-03-31"}, "evidence 1: access-review.csv, 36 bytes"},
		{[]string{"evidence", "attest", "--control", "AC-07", "--effective", "2026-06-30", "--statement", "Q2 review done in the IdP console"}, "attestation 2"},
		{[]string{"evidence", "list", "--control", "AC-07"}, "access-review.csv"},
	}
	after := []step{
		{[]string{"evidence", "get", "1", "-o", got}, ""},
		{[]string{"evidence", "export", "-o", bundle}, "wrote"},
		{[]string{"verify", bundle, "--trust-bundle-key"}, "CONSISTENT with the bundle's own key"},
		{[]string{"verify", "--store"}, "OK: the log"},
	}
	run := func(steps []step) {
		t.Helper()
		for _, s := range steps {
			code, out, errs := cli(t, vars, "", s.args...)
			if code != 0 || !strings.Contains(out, s.want) {
				t.Fatalf("vigil %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(s.args, " "), code, out, errs)
			}
		}
	}
	run(steps)
	// The submitter cannot accept her own evidence; another admin can.
	if code, _, errs := cli(t, vars, "", "evidence", "review", "1", "--accept"); code == 0 || !strings.Contains(errs, "another reviewer") {
		t.Fatalf("self-review: exit %d, %s", code, errs)
	}
	db := map[string]string{"VIGIL_DATA_DIR": dir}
	if code, _, errs := cli(t, db, "", "admin", "create-user", "--email", "rev@acme.test", "--name", "Rev", "--role", "admin"); code != 0 {
		t.Fatalf("create-user: %s", errs)
	}
	code, out, errs = cli(t, db, "", "admin", "create-token", "--email", "rev@acme.test", "--role", "admin")
	if code != 0 {
		t.Fatalf("create-token: %s", errs)
	}
	own := vars["VIGIL_TOKEN"]
	vars["VIGIL_TOKEN"] = strings.TrimSpace(out)
	run([]step{{[]string{"evidence", "review", "1", "--accept"}, "evidence 1 accepted"}})
	vars["VIGIL_TOKEN"] = own
	run(after)
	// Against the published key (from the API), the bundle checks out.
	var lk struct {
		VerifierKey string `json:"verifier_key"`
	}
	if err := client.New(m.URL, vars["VIGIL_TOKEN"]).Get(context.Background(), "/api/v1/ledger", nil, &lk); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := cli(t, vars, "", "verify", bundle, "--key", lk.VerifierKey); code != 0 || !strings.Contains(out, "OK: every record") {
		t.Fatalf("verify with the published key: %d %s %s", code, out, errs)
	}
	if code, _, errs := cli(t, vars, "", "verify", bundle); code != 1 || !strings.Contains(errs, "--key") {
		t.Fatalf("verify without a key: %d %s", code, errs)
	}
	if b, _ := os.ReadFile(got); string(b) != "user,decision\nalice,keep\nbob,remove\n" {
		t.Fatalf("downloaded %q", b)
	}
	// Tampering with the store is named by verify --store.
	execSQL(t, dir, "UPDATE evidence SET effective_start = '2026-04-01' WHERE id = 1")
	code, out, _ = cli(t, vars, "", "verify", "--store")
	if code != 1 || !strings.Contains(out, "FAIL evidence 1 (entry 0)") {
		t.Fatalf("verify --store after tampering: %d\n%s", code, out)
	}
	// A bundle with one changed byte fails, naming the entry.
	raw, _ := os.ReadFile(bundle)
	bad := bytes.Replace(raw, []byte("alice,keep"), []byte("alice,kept"), 1)
	if bytes.Equal(bad, raw) {
		t.Fatal("test could not alter the bundle")
	}
	os.WriteFile(bundle, bad, 0o600)
	code, out, errs = cli(t, vars, "", "verify", bundle, "--trust-bundle-key")
	if code != 1 || !strings.Contains(out+errs, "FAIL entry 0: blob") {
		t.Fatalf("verify of an altered bundle: %d\n%s\n%s", code, out, errs)
	}
	// Bad input to the CLI: a missing file, an unknown control.
	if code, _, errs := cli(t, vars, "", "evidence", "add", "/nonexistent", "--control", "AC-07", "--effective", "2026-01-01"); code != 1 || !strings.Contains(errs, "no such file") {
		t.Fatalf("missing file: %d %s", code, errs)
	}
	if code, _, errs := cli(t, vars, "", "evidence", "add", file, "--control", "ZZ-1", "--effective", "2026-01-01"); code != 1 || !strings.Contains(errs, "ZZ-1 does not exist") {
		t.Fatalf("unknown control: %d %s", code, errs)
	}
}

func TestRotateKey(t *testing.T) {
	dir := t.TempDir()
	m, setupTok := startMain(t, &Main{DataDir: dir})
	vars := map[string]string{"VIGIL_SERVER": m.URL, "VIGIL_DATA_DIR": dir}
	_, out, _ := cli(t, vars, "correct horse battery\n", "setup", "--token", setupTok, "--org", "Acme", "--email", "me@acme.test", "--name", "Me")
	vars["VIGIL_TOKEN"] = strings.TrimSpace(out)
	cli(t, vars, "", "controls", "adopt", "AC-01")
	file := filepath.Join(t.TempDir(), "big.txt")
	os.WriteFile(file, bytes.Repeat([]byte("evidence line\n"), 10000), 0o600)
	if code, _, errs := cli(t, vars, "", "evidence", "add", file, "--control", "AC-01", "--effective", "2026-10-01"); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := cli(t, vars, "", "admin", "rotate-key"); code != 1 || !strings.Contains(errs, "stop vigil serve first") {
		t.Fatalf("rotation with the server running: %d %s", code, errs)
	}
	m.Close()
	code, out, errs := cli(t, vars, "", "admin", "rotate-key", "--drop-old")
	if code != 0 || !strings.Contains(out, "resealed 1 blob key(s)") {
		t.Fatalf("rotate-key: %d %s %s", code, out, errs)
	}
	if code, out, _ := cli(t, vars, "", "verify", "--store"); code != 0 {
		t.Fatalf("verify after rotation (old key dropped): %s", out)
	}
}
