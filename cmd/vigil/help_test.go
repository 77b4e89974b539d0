package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// secretEnv sets every secret the CLI reads to a value a test can look
// for: none may ever appear in help or usage output.
var secretEnv = map[string]string{
	"VIGIL_TOKEN":         "vgl_secretTokenValue123",
	"VIGIL_DATABASE_URL":  "postgres://vigil:pgSecretPassword@db.example/vigil?sslpassword=sslSecretValue",
	"VIGIL_SECRET_KEY":    "c2VjcmV0S2V5VmFsdWVzZWNyZXRLZXlWYWx1ZTEyMzQ=",
	"VIGIL_LEDGER_KEY":    "PRIVATE+KEY+ledgerSecretValue",
	"VIGIL_SMTP_PASSWORD": "smtpSecretValue",
	"VIGIL_ENROL_TOKEN":   "vge_enrolSecretValue",
	"VIGIL_METRICS_TOKEN": "metricsSecretValue",
}

func assertNoSecret(t *testing.T, what, out string) {
	t.Helper()
	for _, s := range []string{"secretTokenValue", "pgSecretPassword", "sslSecretValue", "c2VjcmV0S2V5", "ledgerSecretValue", "smtpSecretValue", "enrolSecretValue", "metricsSecretValue"} {
		if strings.Contains(out, s) {
			t.Errorf("%s shows a secret (%s):\n%s", what, s, out)
		}
	}
}

// TestHelpEverywhere: -h, --help and "vigil help" work on every command and
// subcommand: the usage on standard output, nothing on standard error, exit
// 0, and no secret from the environment in it (the usage once printed
// VIGIL_TOKEN's value as --token's default).
func TestHelpEverywhere(t *testing.T) {
	var cases [][]string
	for _, c := range commands() {
		if c.name == "help" {
			continue
		}
		cases = append(cases, []string{c.name, "-h"}, []string{c.name, "--help"}, []string{"help", c.name})
		for _, s := range c.subs {
			cases = append(cases, []string{c.name, s.name, "-h"}, []string{c.name, s.name, "--help"}, []string{"help", c.name, s.name})
		}
	}
	for _, args := range cases {
		code, out, errs := cli(t, secretEnv, "", args...)
		what := "vigil " + strings.Join(args, " ")
		words := args[:len(args)-1] // less the -h
		if args[0] == "help" {
			words = args[1:]
		}
		if code != 0 || errs != "" || !strings.HasPrefix(out, "Usage: vigil "+strings.Join(words, " ")) {
			t.Errorf("%s: exit %d, stderr %q; want exit 0 and the usage on stdout, got:\n%s", what, code, errs, out)
		}
		assertNoSecret(t, what, out)
		// An API command's usage names the token's variable, as set.
		if strings.Contains(out, "--token") && len(words) > 1 && words[0] != "setup" && !strings.Contains(out, "VIGIL_TOKEN (set)") {
			t.Errorf("%s: the usage does not say VIGIL_TOKEN is set:\n%s", what, out)
		}
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}} {
		code, out, errs := cli(t, secretEnv, "", args...)
		if code != 0 || errs != "" || !strings.Contains(out, "Commands:") || !strings.Contains(out, "requests") {
			t.Errorf("vigil %s: exit %d, stderr %q, stdout:\n%s", args[0], code, errs, out)
		}
	}
	// Flags reading a secret say where it comes from and that it is set,
	// never its value; a database URL's password is masked.
	_, out, _ := cli(t, secretEnv, "", "requests", "list", "-h")
	if !strings.Contains(out, "env VIGIL_TOKEN (set)") || !strings.Contains(out, "(default \"http://127.0.0.1:8080\"; env VIGIL_SERVER)") {
		t.Errorf("requests list -h does not name the variables:\n%s", out)
	}
	_, out, _ = cli(t, secretEnv, "", "admin", "verify-activity", "-h")
	if !strings.Contains(out, "VIGIL_DATABASE_URL = \"postgres://vigil:xxxxx@db.example/vigil?sslpassword=xxxxx\"") {
		t.Errorf("admin verify-activity -h does not show the URL masked:\n%s", out)
	}
	_, out, _ = cli(t, secretEnv, "", "serve", "-h")
	for _, v := range []string{"VIGIL_SECRET_KEY (set)", "VIGIL_LEDGER_KEY (set)", "VIGIL_SMTP_PASSWORD (set)", "env VIGIL_ADDR)", "VIGIL_METRICS_TOKEN (set)"} {
		if !strings.Contains(out, v) {
			t.Errorf("serve -h lacks %q:\n%s", v, out)
		}
	}
	_, out, _ = cli(t, nil, "", "requests", "add", "-h")
	if !strings.Contains(out, "VIGIL_TOKEN (not set)") || !strings.Contains(out, "--grace-days int") || !strings.Contains(out, "default 14") {
		t.Errorf("requests add -h:\n%s", out)
	}
}

// TestUsageErrors: a usage error exits 2 with its message and the usage on
// standard error, and nothing on standard output; --version works.
func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "Usage: vigil <command>"},
		{[]string{"nosuch"}, `unknown command "nosuch"`},
		{[]string{"help", "nosuch"}, `unknown command "nosuch"`},
		{[]string{"requests", "nosuch", "-h"}, "Usage: vigil requests list | add"},
		{[]string{"requests", "add", "--nope"}, "flag provided but not defined: -nope"},
		{[]string{"requests", "nosuch"}, "Usage: vigil requests"},
		{[]string{"catalog", "criterion"}, "Usage: vigil catalog criterion ID"},
		{[]string{"admin"}, "Usage: vigil admin"},
		{[]string{"serve", "--no-such-flag"}, "Usage: vigil serve"},
	} {
		code, out, errs := cli(t, secretEnv, "", c.args...)
		if code != 2 || out != "" || !strings.Contains(errs, c.want) {
			t.Errorf("vigil %s: exit %d, stdout %q, stderr %q; want exit 2 and %q on stderr only", strings.Join(c.args, " "), code, out, errs, c.want)
		}
		assertNoSecret(t, "vigil "+strings.Join(c.args, " "), errs)
	}
	// A flag error prints the usage after the message, with the flags.
	_, _, errs := cli(t, secretEnv, "", "requests", "add", "--nope")
	if !strings.Contains(errs, "Usage: vigil requests add") || !strings.Contains(errs, "--grace-days") {
		t.Errorf("flag error without the usage: %q", errs)
	}
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}, {"help", "version"}} {
		code, out, errs := cli(t, nil, "", args...)
		want := "vigil " + version + "\n"
		if args[0] == "help" {
			want = "Usage: vigil version\n"
		}
		if code != 0 || out != want || errs != "" {
			t.Errorf("vigil %s: exit %d, stdout %q, stderr %q", strings.Join(args, " "), code, out, errs)
		}
	}
}

func TestMaskValue(t *testing.T) {
	for in, want := range map[string]string{
		"./vigil-data":                               "./vigil-data",
		"postgres://vigil:pw@db:5432/vigil":          "postgres://vigil:xxxxx@db:5432/vigil",
		"postgres://vigil@db/vigil?password=pw":      "postgres://vigil@db/vigil?password=xxxxx",
		"postgresql://db/vigil?sslmode=require":      "postgresql://db/vigil?sslmode=require",
		"https://user:tok@proxy.example/":            "https://user:xxxxx@proxy.example/",
		"postgres://vigil:p%zz@db/vigil":             "(a URL that does not parse, not shown)",
		"http://127.0.0.1:8080":                      "http://127.0.0.1:8080",
		"https://s3.example/?X-Amz-Security-Token=t": "https://s3.example/?X-Amz-Security-Token=xxxxx",
	} {
		if got := maskValue(in); got != want {
			t.Errorf("maskValue(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestListJSONEnvelope: every list command's --json is one shape,
// {"items": [...]} with "next" only when more pages remain, the items as
// the server sends them; lists longer than a server page come whole (the
// library's 108 controls were cut at 100). Single objects stay objects.
func TestListJSONEnvelope(t *testing.T) {
	dir := t.TempDir()
	m, setupTok := startMain(t, &Main{DataDir: dir})
	vars := map[string]string{"VIGIL_SERVER": m.URL, "VIGIL_DATA_DIR": dir}
	code, out, errs := cli(t, vars, "correct horse battery\n", "setup", "--token", setupTok, "--org", "Acme", "--email", "me@acme.test", "--name", "Me")
	if code != 0 {
		t.Fatalf("setup: %s", errs)
	}
	vars["VIGIL_TOKEN"] = strings.TrimSpace(out)
	for _, args := range [][]string{
		{"controls", "adopt", "AC-07"},
		{"systems", "add", "--name", "api", "--kind", "service", "--classification", "confidential", "--environment", "production"},
		{"evidence", "attest", "--control", "AC-07", "--effective", "2026-06-30", "--statement", "done"},
	} {
		if code, _, errs := cli(t, vars, "", args...); code != 0 {
			t.Fatalf("vigil %s: %s", strings.Join(args, " "), errs)
		}
	}
	envelope := func(args ...string) (items []map[string]any, next string) {
		t.Helper()
		code, out, errs := cli(t, vars, "", append(args, "--json")...)
		if code != 0 {
			t.Fatalf("vigil %s --json: exit %d: %s", strings.Join(args, " "), code, errs)
		}
		var env map[string]json.RawMessage
		if err := json.Unmarshal([]byte(out), &env); err != nil {
			t.Fatalf("vigil %s --json: not an object: %v\n%s", strings.Join(args, " "), err, out)
		}
		var keys []string
		for k := range env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if k := strings.Join(keys, ","); k != "items" && k != "items,next" {
			t.Fatalf("vigil %s --json: keys %s, want items (and next)", strings.Join(args, " "), k)
		}
		if string(env["items"]) == "null" || json.Unmarshal(env["items"], &items) != nil {
			t.Fatalf("vigil %s --json: items %s is not a list", strings.Join(args, " "), env["items"])
		}
		if env["next"] != nil {
			json.Unmarshal(env["next"], &next)
		}
		return items, next
	}
	for _, c := range []struct {
		args  []string
		min   int
		field string // a field the server sends
	}{
		{[]string{"controls", "list"}, 1, "health"},
		{[]string{"controls"}, 1, "health"},
		{[]string{"systems", "list"}, 1, "kind"},
		{[]string{"users", "list"}, 1, "email"},
		{[]string{"tokens", "list"}, 1, "prefix"},
		{[]string{"activity", "list"}, 3, "action"},
		{[]string{"catalog", "criteria"}, 61, "category_title"},
		{[]string{"catalog", "library"}, 108, "frequency"},
		{[]string{"evidence", "list"}, 1, "source"},
		{[]string{"requests", "list"}, 1, "signal"},
		{[]string{"requests"}, 1, "signal"},
		{[]string{"exceptions", "list"}, 0, ""},
		{[]string{"hosts", "list"}, 0, ""},
		{[]string{"integrations", "list"}, 0, ""},
	} {
		items, next := envelope(c.args...)
		if len(items) < c.min || (c.args[0] != "activity" && next != "") {
			t.Errorf("vigil %s --json: %d items, next %q; want at least %d, all of them", strings.Join(c.args, " "), len(items), next, c.min)
		}
		if len(items) > 0 && c.field != "" && items[0][c.field] == nil {
			t.Errorf("vigil %s --json: the items lack %q: %v", strings.Join(c.args, " "), c.field, items[0])
		}
	}
	// A page of the activity log says where the next begins, and --cursor
	// goes on from there.
	first, next := envelope("activity", "list", "--limit", "2")
	if len(first) != 2 || next == "" {
		t.Fatalf("activity --limit 2: %d items, next %q", len(first), next)
	}
	second, _ := envelope("activity", "list", "--limit", "2", "--cursor", next)
	if len(second) == 0 || second[0]["seq"] == first[0]["seq"] || second[0]["seq"] == first[1]["seq"] {
		t.Fatalf("activity --cursor: %v after %v", second, first)
	}
	// Single objects stay objects.
	_, out, _ = cli(t, vars, "", "controls", "show", "AC-07", "--json")
	if !strings.Contains(out, `"id": "AC-07"`) || strings.Contains(out, `"items"`) {
		t.Errorf("controls show --json: %s", out)
	}
	_, out, _ = cli(t, vars, "", "soa", "--json")
	if !strings.HasPrefix(out, "{") || !strings.Contains(out, `"controls"`) {
		t.Errorf("soa --json: %.200s", out)
	}
}

// TestRequestsAddDefaultGrace: a request made with the CLI gets the web
// form's grace by default (it got 0, so a period was overdue the day after
// it ended); a token, the Tokens page's expiry.
func TestRequestsAddDefaultGrace(t *testing.T) {
	m, setupTok := startMain(t, &Main{DataDir: t.TempDir()})
	vars := map[string]string{"VIGIL_SERVER": m.URL}
	_, out, _ := cli(t, vars, "correct horse battery\n", "setup", "--token", setupTok, "--org", "Acme", "--email", "me@acme.test", "--name", "Me")
	vars["VIGIL_TOKEN"] = strings.TrimSpace(out)
	cli(t, vars, "", "controls", "adopt", "AC-07")
	code, out, errs := cli(t, vars, "", "requests", "add", "--control", "AC-07", "--title", "review", "--frequency", "quarterly", "--start", "2026-01-01", "--json")
	var r struct {
		GraceDays int `json:"grace_days"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r.GraceDays != 14 {
		t.Fatalf("requests add without --grace-days: exit %d, %s %s; want grace_days 14", code, out, errs)
	}
	code, out, _ = cli(t, vars, "", "requests", "add", "--control", "AC-07", "--title", "none", "--frequency", "quarterly", "--start", "2026-01-01", "--grace-days", "0", "--json")
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r.GraceDays != 0 {
		t.Fatalf("requests add --grace-days 0: %s", out)
	}
	// A token made with the CLI expires as one made on the Tokens page
	// does (it never expired).
	code, out, errs = cli(t, vars, "", "tokens", "create", "--name", "ci", "--json")
	var tk struct {
		ExpiresAt *time.Time `json:"expires_at"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &tk) != nil || tk.ExpiresAt == nil || time.Until(*tk.ExpiresAt) < 89*24*time.Hour || time.Until(*tk.ExpiresAt) > 91*24*time.Hour {
		t.Fatalf("tokens create without --expires-in-days: exit %d, %s %s; want it to expire in 90 days", code, out, errs)
	}
}

// listDir names every file under dir with its size and modification time,
// but for the SQLite files: store.Open's connection, the last to close,
// checkpoints the write-ahead log into vigil.db and removes it, which
// changes their bytes but not the database (a read-only open, which
// store.Open has no option for, would not).
func listDir(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && p != dir && !strings.HasPrefix(fi.Name(), "vigil.db") {
			rel, _ := filepath.Rel(dir, p)
			fmt.Fprintf(&b, "%s %d %s\n", rel, fi.Size(), fi.ModTime())
		}
		return nil
	})
	return b.String()
}

// TestReadOnlyCommandsCreateNothing: verify --store and the admin commands
// refuse a data directory without a database, naming what is missing, and
// make nothing (they made vigil.db, secret.key, ledger.key and blobs/ in
// it, or the directory itself); on a real one, verify --store and
// verify-activity change nothing.
func TestReadOnlyCommandsCreateNothing(t *testing.T) {
	empty := t.TempDir()
	missing := filepath.Join(t.TempDir(), "nope")
	for _, args := range [][]string{
		{"verify", "--store", "--data-dir", empty},
		{"verify", "--store", "--data-dir", missing},
		{"admin", "verify-activity", "--data-dir", empty},
		{"admin", "verify-activity", "--data-dir", missing},
		{"admin", "create-token", "--email", "a@b.test", "--data-dir", missing},
		{"admin", "setup-token", "--data-dir", empty},
		{"admin", "rotate-key", "--data-dir", empty},
		{"admin", "rotate-key", "--data-dir", missing},
	} {
		code, out, errs := cli(t, nil, "", args...)
		if code != 1 || out != "" || !(strings.Contains(errs, "vigil.db does not exist") || strings.Contains(errs, missing+" does not exist") || strings.Contains(errs, `"`+missing+`" does not exist`)) {
			t.Errorf("vigil %s: exit %d, stderr %q; want exit 1 naming the missing database or directory", strings.Join(args, " "), code, errs)
		}
	}
	if es, _ := os.ReadDir(empty); len(es) != 0 {
		t.Errorf("the empty data directory now holds %d file(s)", len(es))
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("the missing data directory was created")
	}
	// An empty vigil.db (schema 0) is refused as it is, not initialised.
	os.WriteFile(filepath.Join(empty, "vigil.db"), nil, 0o600)
	code, _, errs := cli(t, nil, "", "verify", "--store", "--data-dir", empty)
	if code != 1 || !strings.Contains(errs, "schema version 0") {
		t.Errorf("verify --store on an empty file: %d %q", code, errs)
	}
	code, _, errs = cli(t, nil, "", "admin", "verify-activity", "--data-dir", empty)
	if code != 1 || !strings.Contains(errs, "schema version 0") {
		t.Errorf("verify-activity on an empty file: %d %q", code, errs)
	}
	if fi, _ := os.Stat(filepath.Join(empty, "vigil.db")); fi == nil || fi.Size() != 0 {
		t.Error("the empty vigil.db was written to")
	}
	if es, _ := os.ReadDir(empty); len(es) != 1 {
		t.Errorf("the data directory now holds %d files", len(es))
	}

	// A real installation, server stopped: nothing changes.
	dir := t.TempDir()
	m, _ := startMain(t, &Main{DataDir: dir})
	m.Close()
	before := listDir(t, dir)
	for _, args := range [][]string{{"verify", "--store", "--data-dir", dir}, {"admin", "verify-activity", "--data-dir", dir}} {
		if code, out, errs := cli(t, nil, "", args...); code != 0 {
			t.Fatalf("vigil %s: %d %s %s", strings.Join(args, " "), code, out, errs)
		}
	}
	if after := listDir(t, dir); after != before {
		t.Errorf("the data directory changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// Without its keys the store is not verified against keys made up on
	// the spot (verify --store wrote new ones).
	os.Rename(filepath.Join(dir, "ledger.key"), filepath.Join(dir, "ledger.key.bak"))
	code, _, errs = cli(t, nil, "", "verify", "--store", "--data-dir", dir)
	if code != 1 || !strings.Contains(errs, "no ledger.key in data directory") {
		t.Errorf("verify --store without ledger.key: %d %q", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "ledger.key")); err == nil {
		t.Error("verify --store made a ledger key")
	}
}

// TestEveryVariableInHelp: each variable a command reads directly (a
// secret, never a flag) is in some command's help, as set or not set, so
// that a new one cannot be added unseen.
func TestEveryVariableInHelp(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	re := regexp.MustCompile(`getenv\("(VIGIL_[A-Z0-9_]+)"\)`)
	listed := map[string]bool{}
	for _, vs := range envOnlyVars {
		for _, v := range vs {
			listed[v.name] = true
		}
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			n++
			if !listed[m[1]] {
				t.Errorf("%s reads %s, which no command's help lists (envOnlyVars in flags.go)", f, m[1])
			}
		}
	}
	if n == 0 {
		t.Fatal("found no variables: the pattern is wrong")
	}
}
