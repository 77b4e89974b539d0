package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/scan"
)

func runIntegrations(ctx context.Context, env *cliEnv, args []string) error {
	verb, args := sub(args, "list")
	switch verb {
	case "list":
		c := newAPICommand(env, "integrations list", "integrations list")
		if err := c.parse(args); err != nil {
			return err
		}
		var xs []vigil.Integration
		if printed, err := c.send(ctx, "GET", "/api/v1/integrations", nil, &xs); err != nil || printed {
			return err
		}
		var rows [][]string
		for _, x := range xs {
			last := "never"
			if x.LastRun != nil {
				last = x.LastRun.UTC().Format("2006-01-02 15:04") + " " + x.LastStatus
			}
			rows = append(rows, []string{strconv.FormatInt(x.ID, 10), x.Kind, x.Name, strconv.Itoa(x.Interval) + "s", last, oneLine(x.LastError)})
		}
		table(env.stdout, []string{"ID", "KIND", "NAME", "EVERY", "LAST RUN", "ERROR"}, rows)
		return nil
	case "add":
		c := newAPICommand(env, "integrations add", "integrations add --kind git --name N --config '{\"repo\": \"/srv/git/api.git\"}' [--interval 3600] [--secret-stdin]")
		kind := c.String("kind", "", "the kind of system (git)")
		name := c.String("name", "", "a name for it")
		cfg := c.String("config", "{}", "its settings as a JSON object (no secrets)")
		interval := c.Int("interval", 3600, "how often its checks run, in seconds")
		secretStdin := c.Bool("secret-stdin", false, "read a credential (token, deploy key) from standard input; it is sealed at rest and never shown again")
		if err := c.parse(args); err != nil {
			return err
		}
		body := map[string]any{"kind": *kind, "name": *name, "config": json.RawMessage(*cfg), "interval_seconds": *interval}
		if !json.Valid([]byte(*cfg)) {
			return fmt.Errorf("--config is not JSON: %s", *cfg)
		}
		if *secretStdin {
			b, err := io.ReadAll(io.LimitReader(env.stdin, 64<<10))
			if err != nil {
				return err
			}
			body["secret"] = strings.TrimRight(string(b), "\r\n")
		}
		var x vigil.Integration
		if printed, err := c.send(ctx, "POST", "/api/v1/integrations", body, &x); err != nil || printed {
			return err
		}
		fmt.Fprintf(env.stdout, "added integration %d %s (%s); test it with: vigil integrations test %d\n", x.ID, x.Name, x.Kind, x.ID)
		return nil
	case "test", "run", "delete":
		c := newAPICommand(env, "integrations "+verb, "integrations "+verb+" ID")
		if err := c.parse(args); err != nil {
			return err
		}
		if c.NArg() != 1 {
			fmt.Fprintf(env.stderr, "Usage: vigil integrations %s ID\n", verb)
			return errUsage
		}
		path := "/api/v1/integrations/" + c.Arg(0)
		switch verb {
		case "delete":
			_, err := c.send(ctx, "DELETE", path, nil, nil)
			if err == nil {
				fmt.Fprintln(env.stdout, "disconnected; its results stay as history")
			}
			return err
		case "test":
			var r struct {
				OK      bool   `json:"ok"`
				Message string `json:"message"`
			}
			if printed, err := c.send(ctx, "POST", path+"/test", nil, &r); err != nil || printed {
				return err
			}
			if !r.OK {
				return fmt.Errorf("%s", r.Message)
			}
			fmt.Fprintln(env.stdout, "connected")
			return nil
		}
		var sum scan.Summary
		if printed, err := c.send(ctx, "POST", path+"/run", nil, &sum); err != nil || printed {
			return err
		}
		fmt.Fprintf(env.stdout, "%d checks: %d failing, %d could not be judged; %d results: %d pass, %d fail, %d error\n",
			sum.Checks, sum.ChecksFailing, sum.ChecksUnjudged, sum.Resources, sum.Pass, sum.Fail, sum.Error)
		return nil
	}
	fmt.Fprintln(env.stderr, "Usage: vigil integrations list | add | test ID | run ID | delete ID")
	return errUsage
}
