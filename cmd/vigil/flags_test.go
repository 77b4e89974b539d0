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
