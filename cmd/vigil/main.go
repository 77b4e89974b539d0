// Command vigil is the one Vigil binary: the server, its administration
// commands and a command-line client of its API.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/vigil-soc/vigil"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *cliEnv, args []string) error
}

// cliEnv is the process environment a command runs in, passed explicitly so
// that tests can run commands in-process.
type cliEnv struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

func commands() []command {
	return []command{
		{"serve", "run the Vigil server", runServe},
		{"migrate", "apply database migrations and exit", runMigrate},
		{"admin", "administer a local installation (create-user, create-token, reset-password, setup-token, verify-activity)", runAdmin},
		{"setup", "complete first-run setup with the token printed by serve", runSetup},
		{"controls", "list, show, adopt, add, set or delete controls", runControls},
		{"readiness", "show readiness per category and criterion, with gaps", runReadiness},
		{"scope", "show or set the categories in scope and the audit target", runScope},
		{"systems", "list or add in-scope systems", runSystems},
		{"users", "list or add users", runUsers},
		{"tokens", "list, create or revoke API tokens", runTokens},
		{"soa", "export the statement of applicability (CSV or JSON)", runSOA},
		{"activity", "list or verify the activity log", runActivity},
		{"catalog", "show criteria, a criterion's crosswalk, or the control library", runCatalog},
		{"evidence", "add, attest, list, get, review or export evidence", runEvidence},
		{"requests", "list, add or delete evidence requests", runRequests},
		{"verify", "verify an evidence bundle offline, or the live store (--store)", runVerify},
		{"scan", "scan this host (or a root directory) against the Linux hardening baseline, no server needed", runScan},
		{"checks", "list, show or test the checks (built-in and your own)", runChecks},
		{"integrations", "connect systems (a git repository...) whose controls Vigil tests: list, add, test, run, delete", runIntegrations},
		{"exceptions", "server-side exceptions to checks: list, request, approve (another admin), revoke", runExceptions},
		{"hosts", "monitored hosts: list, show, enrol (a one-time token), label, approve-tailoring, revoke", runHosts},
		{"agent", "enrol this host with a server, then scan on a schedule and report changes", runAgent},
		{"version", "print the version", func(_ context.Context, env *cliEnv, _ []string) error {
			fmt.Fprintf(env.stdout, "vigil %s\n", version)
			return nil
		}},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes a command line and returns the exit code: 0 success, 1 a
// failure, 2 a usage error.
func run(ctx context.Context, env *cliEnv, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, env, args[1:])
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				return 2
			}
			var ec *exitCode
			if errors.As(err, &ec) {
				fmt.Fprintln(env.stderr, "vigil "+c.name+": "+ec.msg)
				return ec.code
			}
			fmt.Fprintln(env.stderr, "vigil "+c.name+": "+describe(err))
			return 1
		}
	}
	fmt.Fprintf(env.stderr, "vigil: unknown command %q\n\n", args[0])
	usage(env.stderr)
	return 2
}

// errUsage marks an error already explained by a usage message.
var errUsage = errors.New("usage")

// describe renders an error for a person: the message, the field at fault,
// and for internal errors the cause.
func describe(err error) string {
	var e *vigil.Error
	if errors.As(err, &e) {
		msg := e.Message
		if e.Field != "" && !strings.Contains(msg, e.Field) {
			msg += " (field " + e.Field + ")"
		}
		if e.Err != nil && (e.Code == vigil.EINTERNAL || e.Code == vigil.EUNAVAILABLE) {
			msg += ": " + e.Err.Error()
		}
		return msg
	}
	return err.Error()
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: vigil <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'vigil <command> -h' for a command's flags. Every flag can also be set as VIGIL_<FLAG>, e.g. VIGIL_DATA_DIR.")
}
