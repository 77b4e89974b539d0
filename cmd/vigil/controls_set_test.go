package main

import (
	"strings"
	"testing"
)

// TestControlsSetMany: `vigil controls set` with several ids changes all of
// them or none, and --owner takes an email.
func TestControlsSetMany(t *testing.T) {
	m, setupTok := startMain(t, &Main{DataDir: t.TempDir()})
	vars := map[string]string{"VIGIL_SERVER": m.URL}
	code, out, errs := cli(t, vars, "correct horse battery\n", "setup", "--token", setupTok, "--org", "Acme", "--email", "me@acme.test", "--name", "Me")
	if code != 0 {
		t.Fatalf("setup: %d %s %s", code, out, errs)
	}
	vars["VIGIL_TOKEN"] = strings.TrimSpace(out)
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return cli(t, vars, "", args...)
	}
	ok := func(want string, args ...string) string {
		t.Helper()
		code, out, errs := run(args...)
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("vigil %s: exit %d, want %q\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out, errs)
		}
		return out
	}
	refused := func(want string, args ...string) {
		t.Helper()
		code, _, errs := run(args...)
		if code != 1 || !strings.Contains(errs, want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Fatalf("vigil %s: exit %d, stderr %q; want exit 1 and one line containing %q", strings.Join(args, " "), code, errs, want)
		}
	}
	ok("adopted 12 control(s)", "controls", "adopt", "--domain", "AC")
	ok("added user 2 eng@acme.test", "users", "add", "--email", "eng@acme.test", "--name", "Eng", "--role", "member")

	// Both change (the first alone did before), flags before or after.
	out = ok("updated 2 control(s)", "controls", "set", "AC-01", "AC-02", "--status", "in_progress")
	if !strings.Contains(out, "AC-01: status in_progress") || !strings.Contains(out, "AC-02: status in_progress") {
		t.Fatalf("set two:\n%s", out)
	}
	ok("updated 3 control(s)", "controls", "set", "--owner", "ENG@acme.test", "AC-01", "AC-02", "AC-03", "--frequency", "monthly")
	for _, id := range []string{"AC-01", "AC-02", "AC-03"} {
		out := ok("owner:     Eng", "controls", "show", id)
		if !strings.Contains(out, "frequency: monthly") {
			t.Fatalf("%s:\n%s", id, out)
		}
	}
	ok("AC-04: status not_started, owner Eng", "controls", "set", "AC-04", "--owner", "eng@acme.test")

	// All or none: AC-05 has no owner, so AC-01 is not implemented either.
	refused("AC-05", "controls", "set", "AC-01", "AC-05", "--status", "implemented")
	ok("status:    in_progress", "controls", "show", "AC-01")
	ok("AC-04: status implemented", "controls", "set", "AC-04", "--status", "implemented")
	ok("updated 2 control(s); 1 already had these values", "controls", "set", "AC-01", "AC-04", "AC-02", "--status", "implemented")
	ok("status:    implemented", "controls", "show", "AC-02")

	// Clear errors, nothing sent.
	refused("no user has the email nobody@acme.test", "controls", "set", "AC-01", "AC-02", "--owner", "nobody@acme.test")
	refused("--owner takes a user id, an email or none", "controls", "set", "AC-01", "--owner", "eng")
	refused("--title changes one control at a time", "controls", "set", "AC-01", "AC-02", "--title", "Same title")
	refused("nothing to change", "controls", "set", "AC-01", "AC-02")
	// --json and --server among the flags used to crash the command.
	ok(`"status": "in_progress"`, "controls", "set", "AC-06", "--status", "in_progress", "--json", "--server", m.URL)
	ok(`"updated"`, "controls", "set", "AC-06", "AC-07", "--status", "in_progress", "--json")
}
