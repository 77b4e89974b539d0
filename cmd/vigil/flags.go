package main

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
)

// flagSet is a FlagSet whose usage says, for each flag, the environment
// variable it reads and never shows a secret's value. Flags made with str
// default to VIGIL_<NAME> from the environment, so that they can be set
// either way.
type flagSet struct {
	*flag.FlagSet
	env   *cliEnv
	usage string // the synopsis after "vigil "

	envOf   map[string]string // flag name -> the variable it reads
	builtin map[string]string // flag name -> its default without the environment
	secrets map[string]bool   // flags whose value is a secret: never shown
	envOnly []envVar          // variables read directly, no flag (secrets)
	parsing bool              // inside Parse: the flag package's own usage call is ours to make
}

// envVar is a variable a command reads without a flag: secrets, which flags
// would leave in ps output and shell history.
type envVar struct{ name, usage string }

func newFlags(env *cliEnv, name, usage string) *flagSet {
	fs := flag.NewFlagSet("vigil "+name, flag.ContinueOnError)
	f := &flagSet{FlagSet: fs, env: env, usage: usage, envOf: map[string]string{}, builtin: map[string]string{}, secrets: map[string]bool{}}
	// Flag errors ("flag provided but not defined") go to standard error;
	// the usage after them too. -h prints the usage on standard output
	// (see parse): asked-for help is output, not an error.
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		if f.parsing {
			return // parse prints it, on the stream the outcome calls for
		}
		f.printUsage(env.stderr)
	}
	f.envOnly = envOnlyVars[name]
	return f
}

// envOnlyVars are the secrets each command reads from the environment only,
// listed in its usage as set or not set.
var envOnlyVars = map[string][]envVar{
	"serve": {
		{"VIGIL_SECRET_KEY", "master keys sealing secrets at rest (base64, comma-separated); default: secret.key in the data directory"},
		{"VIGIL_LEDGER_KEY", "the evidence ledger's signing key; default: ledger.key in the data directory"},
		{"VIGIL_SMTP_PASSWORD", "the SMTP password"},
		{"VIGIL_METRICS_TOKEN", "a bearer token /metrics requires (or --metrics-token-file)"},
	},
	"verify": {
		{"VIGIL_SECRET_KEY", "with --store: the master keys, when the server takes them from the environment"},
		{"VIGIL_LEDGER_KEY", "with --store: the ledger key, when the server takes it from the environment"},
	},
	"admin rotate-key": {{"VIGIL_SECRET_KEY", "refused when set: rotate keys given in the environment by changing the variable"}},
	"agent enrol":      {{"VIGIL_ENROL_TOKEN", "the one-time enrolment token (vge_...)"}},
}

func envName(flagName string) string {
	return "VIGIL_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// str defines a string flag that defaults to VIGIL_<NAME> when that is set.
// The usage shows def, the built-in default, never the environment's value
// (which may be a secret).
func (f *flagSet) str(name, def, usage string) *string {
	f.envOf[name] = envName(name)
	f.builtin[name] = def
	v := def
	if e := f.env.getenv(envName(name)); e != "" {
		v = e
	}
	p := f.String(name, v, usage)
	f.Lookup(name).DefValue = def
	return p
}

// secret marks a flag whose value is a secret: its usage says only whether
// it is set.
func (f *flagSet) secret(name string) { f.secrets[name] = true }

// isHelp reports whether an argument asks for help.
func isHelp(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

// parse parses args, mapping flag errors to errUsage (the flag package has
// already printed them, and parse the usage after them) and returning
// flag.ErrHelp, with the usage printed on standard output, for -h.
// Flags may come after the positional arguments too ("hosts
// approve-tailoring 1 --digest D"); "--" ends the flags.
func (f *flagSet) parse(args []string) error {
	var pos []string
	for {
		f.parsing = true
		err := f.Parse(args)
		f.parsing = false
		if err != nil {
			if err == flag.ErrHelp {
				f.printUsage(f.env.stdout)
				return err
			}
			f.printUsage(f.env.stderr)
			return errUsage
		}
		rest := f.Args()
		if len(rest) == 0 {
			break
		}
		if f.endedByDashes(args, rest) {
			pos = append(pos, rest...) // after "--": all positional
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	// Leave the positionals as the set's arguments.
	return f.Parse(append([]string{"--"}, pos...))
}

// endedByDashes reports whether parsing args stopped at a "--" that ends
// the flags, rather than at a positional argument or after a "--" that
// was a flag's value ("--title -- x").
func (f *flagSet) endedByDashes(args, rest []string) bool {
	i := len(args) - len(rest) - 1 // the argument just before rest
	if i < 0 || args[i] != "--" {
		return false
	}
	if i == 0 {
		return true
	}
	prev := args[i-1]
	if !strings.HasPrefix(prev, "-") || prev == "--" || strings.Contains(prev, "=") {
		return true
	}
	fl := f.Lookup(strings.TrimLeft(prev, "-"))
	if fl == nil {
		return true
	}
	b, ok := fl.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag() // a boolean flag takes no value: the "--" ends the flags
}

// printUsage writes the synopsis and every flag: its default, the
// environment variable it reads and, for a secret, only whether it is set.
// It replaces flag.PrintDefaults, which printed a default taken from the
// environment, VIGIL_TOKEN's value included.
func (f *flagSet) printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: vigil %s\n", f.usage)
	var names []string
	f.VisitAll(func(fl *flag.Flag) { names = append(names, fl.Name) })
	if len(names) > 0 {
		fmt.Fprintln(w, "\nFlags:")
	}
	sort.Strings(names)
	for _, name := range names {
		fl := f.Lookup(name)
		arg, usage := flag.UnquoteUsage(fl)
		line := "  --" + name
		if len(name) == 1 {
			line = "  -" + name
		}
		if arg != "" {
			line += " " + arg
		}
		fmt.Fprintln(w, line)
		var notes []string
		def := fl.DefValue
		if b, ok := f.builtin[name]; ok {
			def = b
		}
		if !f.secrets[name] && def != "" && !isZeroDefault(fl, def) {
			if arg == "string" {
				notes = append(notes, fmt.Sprintf("default %q", maskValue(def)))
			} else {
				notes = append(notes, "default "+def)
			}
		}
		if ev := f.envOf[name]; ev != "" {
			notes = append(notes, "env "+ev+f.envState(ev, f.secrets[name]))
		}
		text := usage
		if len(notes) > 0 {
			text += " (" + strings.Join(notes, "; ") + ")"
		}
		fmt.Fprintf(w, "      %s\n", text)
	}
	if len(f.envOnly) > 0 {
		fmt.Fprintln(w, "\nEnvironment (secrets are read only from it, never from flags):")
		for _, v := range f.envOnly {
			fmt.Fprintf(w, "  %s%s\n      %s\n", v.name, f.envState(v.name, true), v.usage)
		}
	}
}

// envState describes an environment variable for a usage message, after
// its name: a secret only as set or not set, any other value when set,
// with passwords in URLs masked.
func (f *flagSet) envState(name string, secret bool) string {
	v := f.env.getenv(name)
	switch {
	case secret && v == "":
		return " (not set)"
	case secret:
		return " (set)"
	case v == "":
		return ""
	}
	return fmt.Sprintf(" = %q", maskValue(v))
}

// isZeroDefault reports whether def is the zero value of the flag's type
// (false, 0, ""), which the usage leaves out as the flag package does.
func isZeroDefault(fl *flag.Flag, def string) bool {
	if b, ok := fl.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return def == "false"
	}
	return def == "" || def == "0"
}

// maskValue hides the password of a URL (postgres://user:PASSWORD@host,
// or ?password= in its query) so that a usage message never shows one.
func maskValue(v string) string {
	if !strings.Contains(v, "://") {
		return v
	}
	u, err := url.Parse(v)
	if err != nil {
		return "(a URL that does not parse, not shown)"
	}
	q := u.Query()
	masked := false
	for k := range q {
		if lk := strings.ToLower(k); strings.Contains(lk, "password") || strings.Contains(lk, "secret") || strings.Contains(lk, "token") {
			q.Set(k, "xxxxx")
			masked = true
		}
	}
	if masked {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// apiFlags adds --server and --token.
func (f *flagSet) apiFlags() (server, token *string) {
	server = f.str("server", "http://127.0.0.1:8080", "Vigil server URL")
	token = f.str("token", "", "API token (vgl_...); prefer VIGIL_TOKEN so it stays out of shell history")
	f.secret("token")
	return server, token
}

// dbFlags adds --data-dir and --database-url. The URL's password is masked
// in the usage (maskValue).
func (f *flagSet) dbFlags() (dataDir, dbURL *string) {
	return f.str("data-dir", "./vigil-data", "data directory (SQLite database, keys)"),
		f.str("database-url", "", "PostgreSQL URL (postgres://...); SQLite in the data directory when empty")
}
