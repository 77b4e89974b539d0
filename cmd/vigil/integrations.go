package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/client"
	"github.com/vigil-soc/vigil/integrations"
)

func runIntegrations(ctx context.Context, env *cliEnv, args []string) error {
	return dispatch(ctx, env, args, "list", "Usage: vigil integrations list | add | show ID | test ID | run ID | delete ID",
		verb{"list", integrationsList},
		verb{"add", integrationsAdd},
		verb{"show", integrationsShow},
		namedVerb("test", integrationsTestRunDelete),
		namedVerb("run", integrationsTestRunDelete),
		namedVerb("delete", integrationsTestRunDelete))
}

// integrationsList is `vigil integrations list`.
func integrationsList(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "integrations list", "integrations list")
	if err := c.parse(args); err != nil {
		return err
	}
	xs, printed, err := call(c, func(cl *client.Client) ([]vigil.Integration, error) { return cl.ListIntegrations(ctx) })
	if err != nil || printed {
		return err
	}
	var rows [][]string
	for _, x := range xs {
		last := "never"
		if x.LastRun != nil {
			last = x.LastRun.UTC().Format("2006-01-02 15:04") + " " + x.LastStatus
		}
		rows = append(rows, []string{strconv.FormatInt(x.ID, 10), x.Kind, x.Name, integrations.FormatInterval(x.Interval), last, oneLine(x.LastError)})
	}
	table(env.stdout, []string{"ID", "KIND", "NAME", "EVERY", "LAST RUN", "ERROR"}, rows)
	return nil
}

// integrationsAdd is `vigil integrations add`.
func integrationsAdd(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "integrations add", "integrations add --kind git --name N --config '{\"repo\": \"/srv/git/api.git\"}' [--interval 1h] [--secret-stdin]")
	kind := c.String("kind", "", "the kind of system (git)")
	name := c.String("name", "", "a name for it")
	cfg := c.String("config", "{}", "its settings as a JSON object (no secrets)")
	every := c.String("interval", "1h", "how often its checks run: a duration (30m, 24h, 7d) or seconds")
	secretStdin := c.Bool("secret-stdin", false, "read a credential (token, deploy key) from standard input; it is sealed at rest and never shown again")
	if err := c.parse(args); err != nil {
		return err
	}
	interval, err := integrations.ParseInterval("interval", *every)
	if err != nil {
		return err
	}
	body := &api.IntegrationRequest{Kind: *kind, Name: *name, Config: json.RawMessage(*cfg), Interval: interval}
	if !json.Valid([]byte(*cfg)) {
		return fmt.Errorf("--config is not JSON: %s", *cfg)
	}
	if *secretStdin {
		b, err := io.ReadAll(io.LimitReader(env.stdin, 64<<10))
		if err != nil {
			return err
		}
		secret := strings.TrimRight(string(b), "\r\n")
		body.Secret = &secret
	}
	x, printed, err := call(c, func(cl *client.Client) (*vigil.Integration, error) { return cl.CreateIntegration(ctx, body) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "added integration %d %s (%s); test it with: vigil integrations test %d\n", x.ID, x.Name, x.Kind, x.ID)
	return nil
}

// integrationsShow is `vigil integrations show`.
func integrationsShow(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "integrations show", "integrations show ID")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil integrations show ID")
		return errUsage
	}
	return showIntegration(ctx, c, c.Arg(0))
}

// integrationsTestRunDelete is `vigil integrations test | run | delete`.
func integrationsTestRunDelete(ctx context.Context, env *cliEnv, verb string, args []string) error {
	c := newAPICommand(env, "integrations "+verb, "integrations "+verb+" ID")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		fmt.Fprintf(env.stderr, "Usage: vigil integrations %s ID\n", verb)
		return errUsage
	}
	id, err := argID("id", c.Arg(0))
	if err != nil {
		return err
	}
	switch verb {
	case "delete":
		err := c.do(func(cl *client.Client) error { return cl.DeleteIntegration(ctx, id) })
		if err == nil {
			fmt.Fprintln(env.stdout, "disconnected; its results stay as history")
		}
		return err
	case "test":
		// The answer counts even when it is printed as JSON: the exit
		// status says whether it connected either way.
		r, _, err := call(c, func(cl *client.Client) (*api.TestResult, error) { return cl.TestIntegration(ctx, id) })
		if err != nil {
			return err
		}
		if !r.OK {
			return fmt.Errorf("%s", r.Message)
		}
		if !*c.json {
			fmt.Fprintln(env.stdout, "connected")
		}
		return nil
	}
	sum, printed, err := call(c, func(cl *client.Client) (*vigil.ScanSummary, error) { return cl.RunIntegration(ctx, id) })
	if err != nil {
		return err
	}
	if !printed {
		fmt.Fprintf(env.stdout, "%d checks: %d failing, %d could not be judged; %d results: %d pass, %d fail, %d error\n",
			sum.Checks, sum.ChecksFailing, sum.ChecksUnjudged, sum.Resources, sum.Pass, sum.Fail, sum.Error)
	}
	return runOutcome(ctx, c, id, *sum)
}

// exitRunErrors is the exit status of an integration run that left checks
// unjudged (as `vigil scan` exits when it could not judge): a run whose
// checks ended in errors did not show the controls work.
const exitRunErrors = errUnjudged

// runOutcome turns a run that did not judge everything into a non-zero
// exit, saying why: the run's own failure (the integration's last error,
// such as an unreachable source or evidence that could not be sealed) and
// the checks that ended in errors, with their reasons.
func runOutcome(ctx context.Context, c *apiCommand, id int64, sum vigil.ScanSummary) error {
	cl, err := c.client()
	if err != nil {
		return err
	}
	x, err := cl.GetIntegration(ctx, id)
	if err != nil {
		return fmt.Errorf("the run finished, but its status could not be read: %w", err)
	}
	var why []string
	if x.LastStatus == "error" {
		why = append(why, "the run failed: "+oneLine(x.LastError))
	}
	if sum.Error > 0 || sum.ChecksUnjudged > 0 {
		why = append(why, fmt.Sprintf("%d checks could not be judged (%d results in error)", sum.ChecksUnjudged, sum.Error))
		var h *api.AgentDetail
		if x.AgentID != 0 {
			h, _ = cl.GetAgent(ctx, x.AgentID) // the reasons are a courtesy
		}
		if h != nil {
			n := 0
			for _, r := range h.Results {
				if r.Verdict != "error" {
					continue
				}
				if n++; n > 20 {
					why = append(why, "...")
					break
				}
				why = append(why, "  "+r.CheckID+" "+r.Resource+": "+oneLine(r.Reason))
			}
		}
	}
	if len(why) == 0 {
		return nil
	}
	code := exitRunErrors
	if x.LastStatus == "error" {
		code = 1
	}
	return &exitCode{code, strings.Join(why, "\n")}
}
