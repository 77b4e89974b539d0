package main

import (
	"flag"
	"fmt"
	"strings"
)

// flagSet builds a FlagSet whose flags default to VIGIL_<NAME> from the
// environment, so that every flag can be set either way.
type flagSet struct {
	*flag.FlagSet
	env *cliEnv
}

func newFlags(env *cliEnv, name, usage string) *flagSet {
	fs := flag.NewFlagSet("vigil "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: vigil %s\n\nFlags (each also read from VIGIL_<NAME>):\n", usage)
		fs.PrintDefaults()
	}
	return &flagSet{FlagSet: fs, env: env}
}

func envName(flagName string) string {
	return "VIGIL_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (f *flagSet) str(name, def, usage string) *string {
	if v := f.env.getenv(envName(name)); v != "" {
		def = v
	}
	return f.String(name, def, usage)
}

// parse parses args, mapping flag errors to errUsage (the flag package has
// already printed them).
// Flags may come after the positional arguments too ("hosts
// approve-tailoring 1 --digest D"); "--" ends the flags.
func (f *flagSet) parse(args []string) error {
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return err
			}
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

// apiFlags adds --server and --token.
func (f *flagSet) apiFlags() (server, token *string) {
	return f.str("server", "http://127.0.0.1:8080", "Vigil server URL"),
		f.str("token", "", "API token (vgl_...); prefer VIGIL_TOKEN so it stays out of shell history")
}

// dbFlags adds --data-dir and --database-url.
func (f *flagSet) dbFlags() (dataDir, dbURL *string) {
	return f.str("data-dir", "./vigil-data", "data directory (SQLite database, keys)"),
		f.str("database-url", "", "PostgreSQL URL (postgres://...); SQLite in the data directory when empty")
}
