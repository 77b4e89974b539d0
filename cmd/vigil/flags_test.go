package main

import (
	"io"
	"strings"
	"testing"
)

// TestFlagsAfterArguments: flags may follow the positional arguments, and
// "--" makes everything after it positional.
func TestFlagsAfterArguments(t *testing.T) {
	env := &cliEnv{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	for _, c := range []struct {
		args   []string
		digest string
		pos    string
	}{
		{[]string{"1", "--digest", "abc"}, "abc", "1"},
		{[]string{"--digest", "abc", "1"}, "abc", "1"},
		{[]string{"1", "2", "--digest=abc", "3"}, "abc", "1 2 3"},
		{[]string{"1", "--", "--digest", "abc"}, "", "1 --digest abc"},
		{[]string{"-", "--digest", "x"}, "x", "-"},
		{[]string{"1", "--digest", "--", "2"}, "--", "1 2"},
		{[]string{"--digest", "--", "1", "--digest", "y"}, "y", "1"},
		{[]string{"--json", "--", "--digest"}, "", "--digest"},
	} {
		fs := newFlags(env, "t", "t")
		d := fs.String("digest", "", "")
		fs.Bool("json", false, "")
		if err := fs.parse(c.args); err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if *d != c.digest || strings.Join(fs.Args(), " ") != c.pos {
			t.Errorf("%v: digest %q, args %q; want %q, %q", c.args, *d, fs.Args(), c.digest, c.pos)
		}
	}
	fs := newFlags(env, "t", "t")
	fs.String("digest", "", "")
	if err := fs.parse([]string{"1", "--nope"}); err != errUsage {
		t.Fatalf("an unknown flag after an argument: %v", err)
	}
}

// TestEnvDefaultNotShown: a flag still takes its value from VIGIL_<NAME>,
// but its usage shows the built-in default and names the variable; a
// secret's value, and a URL's password, never appear.
func TestEnvDefaultNotShown(t *testing.T) {
	vars := map[string]string{"VIGIL_SERVER": "https://vigil.example", "VIGIL_TOKEN": "vgl_fromTheEnvironment", "VIGIL_DATABASE_URL": "postgres://v:hunter2hunter2@db/v"}
	var out strings.Builder
	env := &cliEnv{stdout: &out, stderr: &out, getenv: func(k string) string { return vars[k] }}
	fs := newFlags(env, "t", "t")
	server, token := fs.apiFlags()
	_, dbURL := fs.dbFlags()
	if err := fs.parse(nil); err != nil {
		t.Fatal(err)
	}
	if *server != "https://vigil.example" || *token != "vgl_fromTheEnvironment" || *dbURL != vars["VIGIL_DATABASE_URL"] {
		t.Fatalf("values from the environment: %q %q %q", *server, *token, *dbURL)
	}
	if fl := fs.Lookup("token"); fl.DefValue != "" {
		t.Errorf("--token's DefValue is %q: flag.PrintDefaults would show it", fl.DefValue)
	}
	fs.printUsage(env.stdout)
	u := out.String()
	for _, want := range []string{`(default "http://127.0.0.1:8080"; env VIGIL_SERVER = "https://vigil.example")`, "env VIGIL_TOKEN (set)", `env VIGIL_DATABASE_URL = "postgres://v:xxxxx@db/v"`} {
		if !strings.Contains(u, want) {
			t.Errorf("usage lacks %q:\n%s", want, u)
		}
	}
	if strings.Contains(u, "fromTheEnvironment") || strings.Contains(u, "hunter2") {
		t.Errorf("usage shows a secret:\n%s", u)
	}
}
