package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strings"

	"github.com/vigil-soc/vigil/check"
	"github.com/vigil-soc/vigil/checks"
	"github.com/vigil-soc/vigil/collect"
	"github.com/vigil-soc/vigil/collect/host"
	"github.com/vigil-soc/vigil/drift"
	"github.com/vigil-soc/vigil/fim"
	"github.com/vigil-soc/vigil/integrations/builtin"
	"github.com/vigil-soc/vigil/scan"
)

// exitCode ends the process with a code other than 1 after printing msg.
type exitCode struct {
	code int
	msg  string
}

func (e *exitCode) Error() string { return e.msg }

// errFindings is the exit code of a scan whose failures reach --fail-on,
// apart from 1 (the scan could not run) so that pipelines can tell them
// apart.
const errFindings = 3

// errUnjudged is the exit code of a scan with no failures at --fail-on
// but checks at that severity that could not be judged.
const errUnjudged = 4

// scanHeapBudget is what a scan may add to the memory the process holds
// before it starts (the packages' own data, the same for every vigil
// command: 18 MB of it the AWS SDK's) before the collector works to stay
// under it. Measured on a 100,000-entry tree: with 6 MB the collector ran
// 80 times and the scan took 3.7 s of CPU, with 20 MB 18 times and 1.5 s,
// for 5 MB more at the peak.
const scanHeapBudget = 20 << 20

// scanMemoryLimit is the soft memory limit of a scan: what the Go runtime
// holds when it starts, plus scanHeapBudget. A fixed limit would be
// wrong both ways: near what the binary holds before doing anything, the
// collector would run without pause; far above it, the scan's garbage
// would pile up.
func scanMemoryLimit() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64()-s[1].Value.Uint64()) + scanHeapBudget
}

func runScan(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "scan", "scan [flags]  (scan this host against the Linux baseline, no server needed)")
	root := fs.str("root", "/", "the root directory to scan: / for this host, or a directory laid out like / (an image, a container's filesystem)")
	format := fs.str("format", "text", "report format: "+strings.Join(scan.Formats, ", "))
	output := fs.str("output", "", "write the report to this file instead of standard output")
	failOn := fs.str("fail-on", "high", "exit with code 3 when a check of this severity or higher fails (4 when none fails but one could not be judged): "+strings.Join(check.Severities, ", ")+", or none")
	custom := fs.str("checks", "", "directories of your own checks (*.yaml), separated by commas")
	tailoring := fs.str("tailoring", "", "tailoring file: checks to disable (with a justification) and parameters to change")
	only := fs.str("only", "", "run only checks whose IDs start with these prefixes, separated by commas (e.g. linux.sshd)")
	baseline := fs.str("baseline", "", "record this scan's state (configuration, packages, users, services, ports, file hashes) as a baseline in this file")
	driftFile := fs.str("drift", "", "report what changed since the baseline in this file (and remember when each change was first seen)")
	fimPaths := fs.str("fim-paths", strings.Join(fim.DefaultPaths, ","), "paths whose files the baseline hashes, separated by commas")
	fimMode := fs.str("fim", "fast", "with --drift: fast re-hashes only files whose stat changed since the baseline, full re-hashes every file")
	verbose := fs.Bool("v", false, "text format: also list passing and not applicable results")
	progress := fs.Bool("progress", isTerminal(env.stderr), "show progress on standard error (default: when it is a terminal)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "vigil scan: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if *failOn != "none" && !slices.Contains(check.Severities, *failOn) {
		fmt.Fprintf(env.stderr, "vigil scan: --fail-on %q is not a severity (%s, or none)\n", *failOn, strings.Join(check.Severities, ", "))
		return errUsage
	}
	if !slices.Contains(scan.Formats, *format) {
		fmt.Fprintf(env.stderr, "vigil scan: --format %q is not one of %s\n", *format, strings.Join(scan.Formats, ", "))
		return errUsage
	}
	if *baseline != "" && *driftFile != "" {
		fmt.Fprintln(env.stderr, "vigil scan: use --baseline to record a baseline or --drift to compare with one, not both")
		return errUsage
	}
	if *fimMode != "fast" && *fimMode != "full" {
		fmt.Fprintf(env.stderr, "vigil scan: --fim %q is not fast or full\n", *fimMode)
		return errUsage
	}
	var base *drift.Snapshot
	if *driftFile != "" {
		var err error
		if base, err = drift.Load(*driftFile); err != nil {
			return err
		}
	}
	// A scan must stay light on the servers it runs on: compiling the
	// checks makes much short-lived garbage, so the heap is kept under a
	// soft limit and collected as it nears it.
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(scanMemoryLimit()))
	h, err := host.New(*root)
	if err != nil {
		return fmt.Errorf("cannot scan %s: %w", *root, err)
	}
	collectors := collect.NewRegistry(host.Collectors(h)...)
	var progressFn func(done, total int)
	if *progress {
		progressFn = progressBar(env.stderr)
	}
	// A full scan needs every collector: start them now, so that reading
	// the host (mostly waiting on the file system) overlaps with compiling
	// the checks (CPU).
	var prefetch chan map[string]*collect.Run
	if *only == "" {
		prefetch = make(chan map[string]*collect.Run, 1)
		go func() { prefetch <- scan.RunCollectors(ctx, collectors, collectors.Names(), progressFn) }()
	}
	reg, tail, err := loadScanChecks(splitList(*custom), *tailoring, collectors)
	if err != nil {
		if prefetch != nil {
			<-prefetch // the collectors stop with the scan, not after it
		}
		return err
	}
	opts := scan.Options{Checks: reg, Collectors: collectors, Tailoring: tail,
		Only: splitList(*only), Host: h.Info(), Progress: progressFn, Select: scan.HostCheck}
	if prefetch != nil {
		opts.Runs = <-prefetch
	}
	if *baseline != "" || base != nil {
		// File integrity keeps up to fim.DefaultMemory of entries before it
		// spills them to disk: with the rest of the scan, more than the
		// scan's small heap limit, which would only make the collector run
		// without pause.
		debug.SetMemoryLimit(math.MaxInt64)
		// ...but collected more often than by default: those entries live
		// until spilled, and the default would allow as much again in
		// garbage.
		defer debug.SetGCPercent(debug.SetGCPercent(30))
		opts.Drift = &scan.DriftOptions{Baseline: base, Host: h, Paths: splitList(*fimPaths), Full: *fimMode == "full"}
	}
	rep := scan.Run(ctx, opts)
	if len(rep.Findings) == 0 {
		return fmt.Errorf("no checks selected (--only %q matches none)", *only)
	}
	if base != nil {
		// Keep the baseline itself; only the first-seen times change.
		if err := base.SaveMeta(*driftFile); err != nil {
			return fmt.Errorf("remembering drift in %s: %w", *driftFile, err)
		}
	} else if *baseline != "" {
		if err := rep.Snapshot.Save(*baseline); err != nil {
			return fmt.Errorf("writing the baseline: %w", err)
		}
	}
	if err := writeScanReport(env.stdout, *output, rep, *format, *verbose, reg); err != nil {
		return err
	}
	return scanOutcome(rep, *failOn)
}

func runChecks(_ context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(env.stderr, "Usage: vigil checks list|test|show ID [--checks DIR]")
		return errUsage
	}
	fs := newFlags(env, "checks "+args[0], "checks "+args[0]+" [flags]")
	custom := fs.str("checks", "", "directories of your own checks (*.yaml), separated by commas")
	if err := fs.parse(args[1:]); err != nil {
		return err
	}
	reg, err := checks.LoadWithTests(splitList(*custom)...)
	if err != nil {
		return err
	}
	switch args[0] {
	case "list":
		var rows [][]string
		for _, c := range reg.Checks() {
			rows = append(rows, []string{c.ID, c.Severity, c.Collector, strings.Join(c.Criteria, " "), c.Title})
		}
		table(env.stdout, []string{"ID", "SEVERITY", "COLLECTOR", "CRITERIA", "TITLE"}, rows)
		return nil
	case "test":
		fails := reg.Test()
		n := 0
		for _, c := range reg.Checks() {
			n += len(c.Tests)
		}
		for _, f := range fails {
			fmt.Fprintf(env.stdout, "FAIL %s / %s: %s\n", f.Check, f.Case, f.Detail)
		}
		if len(fails) > 0 {
			return fmt.Errorf("%d of %d inline cases failed", len(fails), n)
		}
		fmt.Fprintf(env.stdout, "ok: %d checks, %d inline cases\n", len(reg.Checks()), n)
		return nil
	case "show":
		if fs.NArg() != 1 {
			fmt.Fprintln(env.stderr, "Usage: vigil checks show ID")
			return errUsage
		}
		for _, c := range reg.Checks() {
			if c.ID == fs.Arg(0) {
				fmt.Fprintf(env.stdout, "%s (version %d, %s)\n%s\n\nWhy: %s\nFix: %s\nCollector: %s\nControls: %s\nCriteria: %s\nParameters: %v\nSource: %s\n",
					c.ID, c.Version, c.Severity, c.Title, c.Rationale, c.Remediation, c.Collector,
					strings.Join(c.Controls, ", "), strings.Join(c.Criteria, ", "), c.Params, c.File)
				return nil
			}
		}
		return fmt.Errorf("there is no check %q", fs.Arg(0))
	}
	fmt.Fprintf(env.stderr, "vigil checks: unknown subcommand %q (list, test, show)\n", args[0])
	return errUsage
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressBar draws the collectors' progress on w, a terminal.
func progressBar(w io.Writer) func(done, total int) {
	return func(done, total int) {
		const width = 30
		n := done * width / total
		fmt.Fprintf(w, "\r[%s%s] %d/%d collectors", strings.Repeat("#", n), strings.Repeat(" ", width-n), done, total)
		if done == total {
			fmt.Fprint(w, "\r\033[K")
		}
	}
}

// loadScanChecks loads the built-in and custom checks and the tailoring.
// Only checks reading this host run; a custom check naming a collector
// that exists nowhere is a mistake to report, not to skip.
func loadScanChecks(custom []string, tailoring string, collectors *collect.Registry) (*check.Registry, *scan.Tailoring, error) {
	reg, err := checks.Load(custom...)
	if err != nil {
		return nil, nil, err
	}
	var tail *scan.Tailoring
	if tailoring != "" {
		if tail, err = scan.LoadTailoring(tailoring, reg); err != nil {
			return nil, nil, err
		}
	}
	kinds := builtin.Kinds()
	for _, c := range reg.Checks() {
		_, isHost := collectors.Get(c.Collector)
		kind, _, _ := strings.Cut(c.Collector, ".")
		if _, isIntegration := kinds.Lookup(kind); !isHost && (!isIntegration || kind == "host") {
			return nil, nil, fmt.Errorf("%s: check %s reads collector %q, which does not exist", c.File, c.ID, c.Collector)
		}
	}
	return reg, tail, nil
}

// writeScanReport writes the report to output (a file), or to w.
func writeScanReport(w io.Writer, output string, rep *scan.Report, format string, verbose bool, reg *check.Registry) error {
	if output == "" {
		return scan.WriteReport(w, rep, format, verbose, reg)
	}
	f, err := os.Create(output)
	if err != nil {
		return err
	}
	if err := scan.WriteReport(f, rep, format, verbose, reg); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// scanOutcome is the scan's exit: failing checks at or above failOn, then
// checks there that could not be judged (a gate that could not look is
// not a green gate).
func scanOutcome(rep *scan.Report, failOn string) error {
	if failOn == "none" {
		return nil
	}
	if rep.FailsAt(failOn) {
		return &exitCode{errFindings, fmt.Sprintf("%d checks failing (exit code %d because one of %s severity or higher failed)",
			rep.Summary.ChecksFailing, errFindings, failOn)}
	}
	if n := rep.UnjudgedAt(failOn); n > 0 {
		return &exitCode{errUnjudged, fmt.Sprintf("%d checks of %s severity or higher could not be judged (exit code %d); run as root, or see why in the report", n, failOn, errUnjudged)}
	}
	return nil
}
