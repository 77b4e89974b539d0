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
	// subs are its own subcommands ("requests add"), for vigil help and
	// "vigil requests -h"; def is the one run when none is named.
	subs []subcommand
	def  string
	api  bool // talks to a server: takes --server, --token and --json
}

// subcommand is one verb of a command, as its help lists it.
type subcommand struct{ name, synopsis, summary string }

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
		{name: "serve", summary: "run the Vigil server", run: runServe},
		{name: "migrate", summary: "apply database migrations and exit", run: runMigrate},
		{name: "admin", summary: "administer a local installation through its database (no server needed)", run: runAdmin, subs: []subcommand{
			{"create-user", "--email E --name N [--role R] [--password-stdin]", "add a user"},
			{"create-token", "--email E [--role R]", "print a new API token for a user"},
			{"reset-password", "--email E [--password-stdin]", "print a one-time password link, or set a password"},
			{"setup-token", "", "print a new first-run setup token"},
			{"verify-activity", "", "check the activity log's hash chain (read-only)"},
			{"rotate-key", "[--drop-old]", "put a new master key in front and reseal (serve stopped)"},
			{"create-enrolment", "[--name NAME] [--ttl 24h]", "print a one-time agent enrolment token"},
		}},
		{name: "setup", summary: "complete first-run setup with the token printed by serve", run: runSetup},
		{name: "controls", summary: "list, show, adopt, add, set or delete controls", run: runControls, def: "list", api: true, subs: []subcommand{
			{"list", "[filters]", "the organization's controls"},
			{"show", "ID", "one control: health, signals, crosswalk"},
			{"adopt", "--all | --domain AC,HR | ID ...", "adopt controls from the library"},
			{"add", "--id ID --title T --criteria C,...", "add a control of your own"},
			{"set", "ID [ID ...] [--status S] [--owner ID|EMAIL|none] ...", "change a control, or several at once (all or none)"},
			{"delete", "ID", "delete a control"},
		}},
		{name: "readiness", summary: "show readiness per category and criterion, with gaps", run: runReadiness, api: true},
		{name: "scope", summary: "show or set the categories in scope and the audit target", run: runScope, def: "show", api: true, subs: []subcommand{
			{"show", "", "the categories in scope and the audit target"},
			{"set", "--categories C,... [--type1 ... | --type2 ...]", "set them"},
		}},
		{name: "systems", summary: "list or add in-scope systems", run: runSystems, def: "list", api: true, subs: []subcommand{
			{"list", "", "the in-scope systems"},
			{"add", "--name N --kind K --classification C --environment E", "add one"},
		}},
		{name: "users", summary: "list or add users", run: runUsers, def: "list", api: true, subs: []subcommand{
			{"list", "", "the users"},
			{"add", "--email E --name N --role R", "add one"},
		}},
		{name: "tokens", summary: "list, create or revoke API tokens", run: runTokens, def: "list", api: true, subs: []subcommand{
			{"list", "[--all]", "your API tokens (--all: everyone's)"},
			{"create", "--name N [--role R]", "make one; its secret is printed once"},
			{"revoke", "ID", "revoke one"},
		}},
		{name: "soa", summary: "export the statement of applicability (CSV or JSON)", run: runSOA, api: true},
		{name: "activity", summary: "list or verify the activity log", run: runActivity, def: "list", api: true, subs: []subcommand{
			{"list", "[--action A] [--limit N] [--cursor C]", "the latest entries, a page at a time"},
			{"verify", "", "check the log's hash chain on the server"},
		}},
		{name: "catalog", summary: "show criteria, a criterion's crosswalk, or the control library", run: runCatalog, def: "criteria", api: true, subs: []subcommand{
			{"criteria", "[--category C]", "the Trust Services Criteria"},
			{"criterion", "ID [--framework F]", "one criterion and its crosswalk"},
			{"library", "[--domain D]", "the control library"},
		}},
		{name: "evidence", summary: "add, attest, list, get, review or export evidence", run: runEvidence, def: "list", api: true, subs: []subcommand{
			{"list", "[--control ID]", "the evidence items"},
			{"add", "FILE --control ID --effective DATE", "upload a file"},
			{"attest", "--control ID --effective DATE --statement TEXT", "record an attestation"},
			{"get", "ID -o FILE", "download an item's bytes"},
			{"review", "ID --accept | --reject REASON", "review an item"},
			{"export", "-o bundle.zip", "export a bundle anyone can verify offline"},
		}},
		{name: "requests", summary: "list, add, update or delete evidence requests", run: runRequests, def: "list", api: true, subs: []subcommand{
			{"list", "[--control ID]", "the evidence requests and their state"},
			{"add", "--control ID --title T --frequency F --start DATE", "add one"},
			{"update", "ID [--title T] [--grace-days N] [--assignee ID|owner]", "change one"},
			{"delete", "ID", "delete one"},
		}},
		{name: "verify", summary: "verify an evidence bundle offline, or the live store (--store)", run: runVerify},
		{name: "scan", summary: "scan this host (or a root directory) against the Linux hardening baseline, no server needed", run: runScan},
		{name: "checks", summary: "list, show or test the checks (built-in and your own)", run: runChecks, subs: []subcommand{
			{"list", "[--checks DIR]", "the checks"},
			{"show", "ID [--checks DIR]", "one check: why, fix, controls"},
			{"test", "[--checks DIR]", "run the checks' inline test cases"},
		}},
		{name: "integrations", summary: "connect systems (a git repository...) whose controls Vigil tests: list, add, show, test, run, delete", run: runIntegrations, def: "list", api: true, subs: []subcommand{
			{"list", "", "the connected systems"},
			{"add", "--kind K --name N --config JSON [--interval 24h] [--secret-stdin]", "connect one"},
			{"show", "ID", "one, with its results (not applicable with reasons)"},
			{"test", "ID", "check that it connects"},
			{"run", "ID", "run its checks now"},
			{"delete", "ID", "disconnect it"},
		}},
		{name: "exceptions", summary: "server-side exceptions to checks: list, request, approve (another admin), revoke", run: runExceptions, def: "list", api: true, subs: []subcommand{
			{"list", "[--state S] [--check C] [--host ID]", "the exceptions"},
			{"request", "--check C --kind K (--host ID | --label k=v | --all) --justification T --expires DATE", "request one"},
			{"approve", "ID", "approve one (another admin or owner than who asked)"},
			{"revoke", "ID [--reason TEXT]", "end one"},
		}},
		{name: "policies", summary: "the policy set: list, templates, show, adopt, edit, new-version, submit, approve, reject, publish, review", run: runPolicies, def: "list", api: true, subs: []subcommand{
			{"list", "", "the policies with their review state"},
			{"templates", "", "the library's templates for the categories in scope"},
			{"show", "ID [--text]", "one policy, or its newest text"},
			{"adopt", "TEMPLATE --owner U --approver U ... [--quorum N]", "make a draft from a template"},
			{"edit", "ID --file F|- [--summary S]", "replace the draft's text"},
			{"new-version", "ID --file F|- [--summary S]", "start the next version"},
			{"submit", "ID", "send the draft for approval"},
			{"approve", "ID [--comment C]", "approve the version in review"},
			{"reject", "ID --reason R", "send it back to draft"},
			{"publish", "ID [--effective DATE] [--not-material]", "put the approved version in force"},
			{"review", "ID --comment C", "record a review that changes nothing"},
			{"acknowledge", "ID", "acknowledge the version in force"},
			{"roster", "ID", "who has and has not acknowledged it, and when each was reminded"},
			{"remind", "ID", "mail a reminder now to those who have not acknowledged it"},
			{"upload", "FILE --owner U --approver U ...", "a draft from an existing document (md, txt, html, pdf, docx)"},
		}},
		{name: "people", summary: "the personnel register: list, show, import (a dry run unless --yes), offboarding, role-changes, review-role-change", run: runPeople, def: "list", api: true, subs: []subcommand{
			{"list", "", "the register"},
			{"show", "ID", "one person with their accounts and acknowledgements"},
			{"import", "FILE|- [--yes]", "preview a CSV import; --yes applies it"},
			{"offboarding", "", "leavers' accounts and whether they were removed in time"},
			{"role-changes", "[PERSON]", "changes of title or department and the access review of each (HR-08)"},
			{"review-role-change", "PERSON CHANGE --comment C", "record that the person's access was checked after a role change"},
		}},
		{name: "tasks", summary: "your own tasks: policies to acknowledge, training due", run: runTasks, api: true},
		{name: "training", summary: "training: list, show, mine, add-builtin, assign, record", run: runTraining, def: "list", api: true, subs: []subcommand{
			{"list", "", "the courses"},
			{"show", "ID", "a course, its assignments and roster (yours only, unless you manage or audit)"},
			{"mine", "", "your training and where you stand"},
			{"add-builtin", "[--pass-mark N] [--recurrence-months N] [--due-days N]", "add the built-in security awareness course"},
			{"assign", "ID (--all | --role R | --department D)", "assign a course"},
			{"record", "ID --user U --date D [--score N] [--certificate F]", "record a completion done elsewhere"},
		}},
		{name: "incidents", summary: "the incident register: list, open, show, event, update, notify, review, close", run: runIncidents, def: "list", api: true, subs: []subcommand{
			{"list", "[--status S] [--severity SEV] [--q TEXT]", "the register, newest first"},
			{"open", "--title T --severity SEV [--dedup-key K] ...", "declare an incident (idempotent on --dedup-key)"},
			{"show", "ID", "an incident with its timeline, notifications and review"},
			{"event", "ID --text T [--at TIME]", "append a timeline entry"},
			{"update", "ID [--status S] [--root-cause T]", "move the status forward, write the root cause"},
			{"notify", "ID (--audience A [--due-hours N] | --sent N)", "a notification owed, or one sent"},
			{"review", "ID --summary S [--action T --owner U --due D]", "record the post-incident review"},
			{"close", "ID", "close a resolved incident; its record is sealed"},
		}},
		{name: "notifications", summary: "notification channels and their delivery log: channels, add, test, remove, log", run: runNotifications, def: "channels", api: true, subs: []subcommand{
			{"channels", "", "the channels"},
			{"add", "--name N --kind slack|teams|webhook|email --target T", "add a channel (a webhook's signing key is printed once)"},
			{"test", "ID", "queue a test message"},
			{"remove", "ID", "delete a channel"},
			{"log", "[--channel ID] [--state S]", "the delivery log, newest first"},
		}},
		{name: "exercises", summary: "tabletop, disaster recovery and restore exercises: list, record", run: runExercises, def: "list", api: true, subs: []subcommand{
			{"list", "", "the exercises, latest first"},
			{"record", "--kind K --scenario S --date D ... [--file F]", "record an exercise with its evidence"},
		}},
		{name: "risks", summary: "the risk register and the annual risk assessment: list, library, add, show, score, accept, approve, assess, assessments, sign, import", run: runRisks, def: "list", api: true, subs: []subcommand{
			{"list", "[--category C] [--treatment T] [--q TEXT]", "the register"},
			{"library", "", "Vigil's library of common risks, with suggested controls"},
			{"add", "--title T --likelihood N --impact N | --library ID,ID [--owner U]", "add a risk, or start from library risks"},
			{"show", "ID", "one risk"},
			{"score", "ID [--likelihood N] [--residual-likelihood N] ... [--controls IDS]", "score, treat and link a risk"},
			{"accept", "ID --approver U --expires D [--note N]", "accept a risk, pending its approver"},
			{"approve", "ID", "approve an acceptance that names you"},
			{"assess", "--method M --participant P ... [--months N]", "record the annual risk assessment"},
			{"assessments", "", "the assessments"},
			{"sign", "ASSESSMENT", "sign an assessment off: sealed into the evidence ledger"},
			{"import", "FILE|- [--yes]", "import a risk register (CSV): a dry run naming each bad row, then --yes"},
		}},
		{name: "vendors", summary: "vendors: list, add, show, document, review-document, map-cuec, questionnaire send, review, subprocessors, import", run: runVendors, def: "list", api: true, subs: []subcommand{
			{"list", "", "the inventory with review and document expiry states"},
			{"add", "NAME [--tier T] [--owner U] [--data C,C] [--status S]", "add a vendor"},
			{"show", "ID", "a vendor, its documents, CUECs and questionnaire rounds"},
			{"document", "ID --kind K --file F [--period-end D] [--cuec TEXT]", "add a due-diligence document, sealed as evidence"},
			{"review-document", "DOC --conclusion C", "record the review of a document"},
			{"map-cuec", "CUEC CONTROL[,CONTROL]", "map a complementary user entity control to controls"},
			{"questionnaire", "send ID --contact EMAIL [--template T]", "make a single-use questionnaire link (shown once)"},
			{"review", "QUESTIONNAIRE --conclusion C", "record the review of an answered questionnaire"},
			{"subprocessors", "", "the subprocessor list derived from the inventory"},
			{"import", "FILE.csv [--confirm]", "preview a vendor list (bad rows by line), then import it"},
		}},
		{name: "hosts", summary: "monitored hosts: list, show, enrol (a one-time token), label, approve-tailoring, revoke", run: runHosts, def: "list", api: true, subs: []subcommand{
			{"list", "", "the monitored hosts"},
			{"show", "ID", "one host's failures and tailoring"},
			{"enrol", "NAME [--label k=v]", "make a one-time enrolment token"},
			{"label", "ID [key=value ...]", "replace a host's labels"},
			{"approve-tailoring", "ID --digest D", "approve the checks a host turns off"},
			{"revoke", "ID", "refuse the host's reports from now on"},
		}},
		{name: "agent", summary: "enrol this host with a server, then scan on a schedule and report changes", run: runAgent, subs: []subcommand{
			{"enrol", "--server URL --ca-fingerprint SHA256", "enrol with a one-time token (VIGIL_ENROL_TOKEN)"},
			{"run", "[--interval 15m] [--once]", "scan on a schedule and report changes"},
			{"status", "", "the agent's state and undelivered reports"},
			{"rebaseline", "", "accept the host as it is now for drift"},
		}},
		{name: "version", summary: "print the version", run: runVersion},
		{name: "help", summary: "help on a command: vigil help COMMAND [SUBCOMMAND]"},
	}
}

func runVersion(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "version", "version")
	if err := fs.parse(args); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "vigil %s\n", version)
	return nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes a command line and returns the exit code: 0 success (and
// help that was asked for, printed on standard output), 1 a failure, 2 a
// usage error (its message on standard error).
func run(ctx context.Context, env *cliEnv, args []string) int {
	if len(args) == 0 {
		usage(env.stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(env.stdout)
		return 0
	case "--version", "-version":
		args = []string{"version"}
	case "help":
		if len(args) == 1 || args[1] == "help" {
			usage(env.stdout)
			return 0
		}
		if findCommand(args[1]) == nil {
			fmt.Fprintf(env.stderr, "vigil help: unknown command %q\n\n", args[1])
			usage(env.stderr)
			return 2
		}
		// "vigil help requests add" is "vigil requests add -h".
		args = append(append([]string{}, args[1:]...), "-h")
	}
	c := findCommand(args[0])
	if c == nil || c.run == nil {
		fmt.Fprintf(env.stderr, "vigil: unknown command %q\n\n", args[0])
		usage(env.stderr)
		return 2
	}
	rest := args[1:]
	if len(c.subs) > 0 && len(rest) > 0 && isHelp(rest[0]) {
		commandUsage(env, env.stdout, c)
		return 0
	}
	// Help asked for right after the command or its subcommand: whatever
	// the command prints is the help, so it goes to standard output and
	// the exit is 0, even where a command prints its usage itself before
	// parsing flags ("controls set -h").
	asked := len(rest) > 0 && isHelp(rest[0]) ||
		len(rest) > 1 && isHelp(rest[1]) && c.sub(rest[0]) != nil
	if asked {
		env = &cliEnv{stdin: env.stdin, stdout: env.stdout, stderr: env.stdout, getenv: env.getenv}
	}
	err := c.run(ctx, env, rest)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		if asked {
			return 0
		}
		return 2
	}
	// Name the subcommand too: "vigil admin verify-activity: ...".
	name := c.name
	if len(rest) > 0 && c.sub(rest[0]) != nil {
		name += " " + rest[0]
	}
	var ec *exitCode
	if errors.As(err, &ec) {
		fmt.Fprintln(env.stderr, "vigil "+name+": "+ec.msg)
		return ec.code
	}
	fmt.Fprintln(env.stderr, "vigil "+name+": "+describe(err))
	return 1
}

func findCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return &c
		}
	}
	return nil
}

func (c *command) sub(name string) *subcommand {
	for i := range c.subs {
		if c.subs[i].name == name {
			return &c.subs[i]
		}
	}
	return nil
}

// commandUsage lists a command's subcommands and, for API commands, the
// flags they all take, with the environment variables they read (the
// token only as set or not set).
func commandUsage(env *cliEnv, w io.Writer, c *command) {
	fmt.Fprintf(w, "Usage: vigil %s <subcommand> [flags]\n\n%s.\n\nSubcommands:\n", c.name, strings.ToUpper(c.summary[:1])+c.summary[1:])
	for _, s := range c.subs {
		syn := s.name
		if s.synopsis != "" {
			syn += " " + s.synopsis
		}
		def := ""
		if s.name == c.def {
			def = " (the default)"
		}
		fmt.Fprintf(w, "  %s\n      %s%s\n", syn, s.summary, def)
	}
	if c.api {
		fs := newFlags(env, c.name, "")
		server, _ := fs.apiFlags()
		fmt.Fprintf(w, "\nEvery subcommand takes:\n  --server URL   (env VIGIL_SERVER; now %q)\n  --token TOKEN  (env VIGIL_TOKEN%s)\n  --json         print JSON: lists as {\"items\": [...], \"next\": CURSOR}, next only when more pages\n",
			maskValue(*server), fs.envState("VIGIL_TOKEN", true))
	}
	fmt.Fprintf(w, "\nRun 'vigil %s <subcommand> -h' (or 'vigil help %s <subcommand>') for its flags.\n", c.name, c.name)
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
	fmt.Fprintln(w, "Usage: vigil <command> [subcommand] [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'vigil help <command>' or 'vigil <command> -h' for its subcommands and flags; 'vigil --version' for the version.\nMany flags can also be set in the environment (each command's help names the variable, e.g. VIGIL_DATA_DIR); secrets such as VIGIL_TOKEN are never shown.")
}
