package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/agent"
	"github.com/vigil-soc/vigil/checks"
	"github.com/vigil-soc/vigil/collect/host"
	"github.com/vigil-soc/vigil/fim"
	"github.com/vigil-soc/vigil/scan"
)

const defaultAgentDir = "/var/lib/vigil-agent"

func runAgent(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 || (args[0] != "enrol" && args[0] != "run" && args[0] != "status" && args[0] != "rebaseline") {
		fmt.Fprintln(env.stderr, "Usage: vigil agent enrol|run|status|rebaseline [flags]\n\n  enrol       enrol this host with a one-time token from the server (Hosts page or POST /api/v1/agents/enrolments)\n  run         scan on a schedule and report changes to the server\n  status      show the agent's state and undelivered reports\n  rebaseline  accept the host as it is now: the next scan records a new baseline for drift")
		return errUsage
	}
	fs := newFlags(env, "agent "+args[0], "agent "+args[0]+" [flags]")
	dir := fs.str("state-dir", defaultAgentDir, "the agent's state and spool directory")
	switch args[0] {
	case "enrol":
		server := fs.str("server", "", "the Vigil server's URL (https://...)")
		fingerprint := fs.str("ca-fingerprint", "", "SHA-256 fingerprint (hex) of the server's certificate or its CA, as the server shows it")
		caFile := fs.str("ca-file", "", "PEM file of the CA that signed the server's certificate (instead of --ca-fingerprint)")
		interval := fs.str("interval", "15m", "how often this agent will report")
		if err := fs.parse(args[1:]); err != nil {
			return err
		}
		// The token comes from the environment, not a flag: flags show in
		// ps output and shell history.
		token := env.getenv("VIGIL_ENROL_TOKEN")
		if *server == "" || token == "" {
			fmt.Fprintln(env.stderr, "vigil agent enrol: --server and the VIGIL_ENROL_TOKEN environment variable are required")
			return errUsage
		}
		if strings.HasPrefix(*server, "https://") && *fingerprint == "" && *caFile == "" {
			fmt.Fprintln(env.stderr, "vigil agent enrol: give --ca-fingerprint or --ca-file: the agent trusts only the certificate you name")
			return errUsage
		}
		iv, err := time.ParseDuration(*interval)
		if err != nil || iv < time.Minute {
			return fmt.Errorf("--interval %q is not a duration of a minute or more", *interval)
		}
		h, err := host.New("/")
		if err != nil {
			return err
		}
		info := h.Info()
		hi := vigil.HostInfo{Hostname: fmt.Sprint(info["hostname"]), OS: fmt.Sprint(info["pretty_name"]), Kernel: fmt.Sprint(info["kernel"]), Version: version, Interval: int(iv.Seconds())}
		st, err := agent.Enrol(ctx, *dir, *server, token, *fingerprint, *caFile, hi)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "enrolled as agent %d with %s; state in %s\nstart it with: vigil agent run --state-dir %s --interval %s\n", st.AgentID, st.Server, *dir, *dir, iv)
		return nil
	case "rebaseline":
		if err := fs.parse(args[1:]); err != nil {
			return err
		}
		if _, err := agent.LoadState(*dir); err != nil {
			return err
		}
		if err := agent.Rebaseline(*dir); err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, "the baseline is cleared; the next scan records a new one")
		return nil
	case "status":
		if err := fs.parse(args[1:]); err != nil {
			return err
		}
		st, err := agent.LoadState(*dir)
		if err != nil {
			return err
		}
		es, _ := os.ReadDir(*dir + "/spool")
		fmt.Fprintf(env.stdout, "agent %d reporting to %s\nlast report written: %d (%d results)\nundelivered reports: %d\n", st.AgentID, st.Server, st.Seq, len(st.Results), len(es))
		return nil
	}
	interval := fs.str("interval", "15m", "how often to scan")
	root := fs.str("root", "/", "the root directory to scan")
	custom := fs.str("checks", "", "directories of your own checks (*.yaml), separated by commas")
	tailoring := fs.str("tailoring", "", "tailoring file: checks to disable (with a justification) and parameters to change")
	once := fs.Bool("once", false, "scan and deliver once, then exit")
	driftOn := fs.str("drift", "true", "record a baseline at the first scan and report drift since (false: off)")
	fimPaths := fs.str("fim-paths", strings.Join(fim.DefaultPaths, ","), "paths whose files file integrity watches, separated by commas")
	fullEvery := fs.str("fim-full-every", "24h", "how often file integrity re-hashes every file (between, only files whose stat changed)")
	deliverOnly := fs.Bool("deliver-only", false, "only send the reports waiting in the spool, then exit")
	if err := fs.parse(args[1:]); err != nil {
		return err
	}
	if !*once && !*deliverOnly {
		return superviseAgent(ctx, env, args[1:])
	}
	iv, err := time.ParseDuration(*interval)
	if err != nil || iv < time.Minute {
		return fmt.Errorf("--interval %q is not a duration of a minute or more", *interval)
	}
	reg, err := checks.Load(splitList(*custom)...)
	if err != nil {
		return err
	}
	var tail *scan.Tailoring
	if *tailoring != "" {
		if tail, err = scan.LoadTailoring(*tailoring, reg); err != nil {
			return err
		}
	}
	logger, err := newLogger(env.stderr, "text", "info")
	if err != nil {
		return err
	}
	fe, err := time.ParseDuration(*fullEvery)
	if err != nil || fe < time.Hour {
		return fmt.Errorf("--fim-full-every %q is not a duration of an hour or more", *fullEvery)
	}
	a := &agent.Agent{Dir: *dir, Root: *root, Interval: iv, Checks: reg, Tailoring: tail, Version: version, Log: logger,
		Drift: *driftOn != "false", FIMPaths: splitList(*fimPaths), FullEvery: fe}
	if err := a.Open(); err != nil {
		return err
	}
	if *deliverOnly {
		n, err := a.Deliver(ctx)
		if errors.Is(err, agent.ErrRevoked) {
			return &exitCode{exitRevoked, err.Error()}
		}
		if err != nil {
			return &exitCode{exitUndelivered, fmt.Sprintf("%d delivered; the rest stay in the spool: %v", n, err)}
		}
		return nil
	}
	if *once {
		seq, err := a.ScanOnce(ctx)
		if err != nil {
			return err
		}
		n, err := a.Deliver(ctx)
		if err != nil {
			if errors.Is(err, agent.ErrRevoked) {
				return &exitCode{exitRevoked, err.Error()}
			}
			return &exitCode{exitUndelivered, fmt.Sprintf("report %d is spooled; delivery failed (it will be sent next time): %v", seq, err)}
		}
		fmt.Fprintf(env.stdout, "report %d written, %d delivered\n", seq, n)
		return nil
	}
	return a.Run(ctx)
}

// Exit codes of `vigil agent run --once` and `--deliver-only` that the
// supervisor acts on.
const (
	exitRevoked     = 4 // the server refuses this agent: stop
	exitUndelivered = 5 // reports wait in the spool: retry delivery
)

// superviseAgent is `vigil agent run`: a small process that sleeps and,
// on schedule, starts `vigil agent run --once` to scan and report. The scan
// (checks compiled, the file system walked) happens in the child, whose
// memory goes back to the system when it exits: the agent that stays
// resident on every server holds only this loop.
func superviseAgent(ctx context.Context, env *cliEnv, args []string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fs := newFlags(env, "agent run", "agent run [flags]")
	dir := fs.str("state-dir", defaultAgentDir, "")
	interval := fs.str("interval", "15m", "")
	fs.str("root", "/", "")
	fs.str("checks", "", "")
	fs.str("tailoring", "", "")
	fs.str("drift", "true", "")
	fs.str("fim-paths", "", "")
	fs.str("fim-full-every", "24h", "")
	if err := fs.parse(args); err != nil {
		return err
	}
	iv, _ := time.ParseDuration(*interval)
	if _, err := agent.LoadState(*dir); err != nil {
		return err
	}
	child := func(mode string) int {
		cmd := exec.CommandContext(ctx, self, append([]string{"agent", "run", mode}, args...)...)
		cmd.Stdout, cmd.Stderr = env.stderr, env.stderr
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &ee):
			return ee.ExitCode()
		}
		fmt.Fprintf(env.stderr, "vigil agent: cannot start a scan: %v\n", err)
		return 1
	}
	backoff := 5 * time.Second
	next := time.Now()
	undelivered := false
	for {
		var code int
		if !time.Now().Before(next) {
			code = child("--once")
			next = time.Now().Add(iv)
		} else {
			code = child("--deliver-only")
		}
		switch code {
		case exitRevoked:
			return errors.New("the server refused this agent's credential (revoked or unknown); enrol again")
		case exitUndelivered:
			undelivered = true
		default:
			undelivered = false
			backoff = 5 * time.Second
		}
		wait := time.Until(next)
		if undelivered && backoff < wait {
			wait = backoff
			backoff = min(backoff*2, 5*time.Minute)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}
