package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/client"
)

// labelFlags collects repeated --label key=value flags.
type labelFlags map[string]string

func (l labelFlags) String() string { return strings.Join(vigil.LabelList(l), ",") }

func (l labelFlags) Set(v string) error {
	for _, item := range strings.Split(v, ",") {
		k, val, err := vigil.ParseLabel("label", item)
		if err != nil {
			return fmt.Errorf("%s", vigil.ErrorMessage(err))
		}
		l[k] = val
	}
	return nil
}

const exceptionsUsage = "Usage: vigil exceptions list [--state S] [--check C] [--host ID]\n" +
	"       vigil exceptions request --check C --kind risk_accepted|not_applicable (--host ID | --label key=value | --all) --justification TEXT --expires YYYY-MM-DD\n" +
	"       vigil exceptions approve ID\n" +
	"       vigil exceptions revoke ID [--reason TEXT]"

func runExceptions(ctx context.Context, env *cliEnv, args []string) error {
	return dispatch(ctx, env, args, "list", exceptionsUsage,
		verb{"list", exceptionsList},
		verb{"request", exceptionsRequest},
		namedVerb("approve", exceptionsApproveRevoke),
		namedVerb("revoke", exceptionsApproveRevoke))
}

// exceptionsList is `vigil exceptions list`.
func exceptionsList(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "exceptions list", "exceptions list [--state pending|active|expired|revoked] [--check C] [--host ID]")
	state := c.String("state", "", "only exceptions in this state: pending, active, expired or revoked")
	check := c.String("check", "", "only exceptions to this check")
	host := c.String("host", "", "only exceptions covering this host (its ID)")
	if err := c.parse(args); err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range map[string]string{"state": *state, "check": *check, "agent_id": *host} {
		if v != "" {
			q.Set(k, v)
		}
	}
	_, err := listAll(ctx, c, (*client.Client).ListExceptions, q, []string{"ID", "STATE", "CHECK", "HOSTS", "KIND", "EXPIRES", "REQUESTED BY", "APPROVED BY", "JUSTIFICATION"},
		func(e vigil.CheckException) []string {
			return []string{strconv.FormatInt(e.ID, 10), string(e.State), e.CheckID, e.ScopeText(), string(e.Kind), e.Expires.UTC().Format("2006-01-02 15:04"),
				e.RequestedByName, orDash(e.ApprovedByName), oneLine(e.Justification)}
		})
	return err
}

// exceptionsRequest is `vigil exceptions request`.
func exceptionsRequest(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "exceptions request", "exceptions request --check C --kind K (--host ID | --label key=value | --all) --justification TEXT --expires YYYY-MM-DD")
	check := c.String("check", "", "the check to except (vigil checks list)")
	kind := c.String("kind", "", "risk_accepted (the failure stays visible, its controls warn) or not_applicable (not counted)")
	host := c.Int64("host", 0, "one host: its ID (vigil hosts list)")
	label := c.String("label", "", "the hosts carrying this label, key=value")
	all := c.Bool("all", false, "every host")
	why := c.String("justification", "", "why the failure is acceptable, and what stands in for the check")
	expires := c.String("expires", "", "the last day it covers (YYYY-MM-DD, at most a year away) or an RFC 3339 time")
	if err := c.parse(args); err != nil {
		return err
	}
	scopes := 0
	req := &api.ExceptionRequest{Check: *check, Kind: *kind, Justification: *why, ExpiresAt: *expires}
	if *host != 0 {
		scopes++
		req.Scope, req.AgentID = "host", *host
	}
	if *label != "" {
		scopes++
		req.Scope, req.Label = "label", *label
	}
	if *all {
		scopes++
		req.Scope = "all"
	}
	if c.NArg() != 0 || scopes != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil exceptions request --check C --kind K (exactly one of --host ID, --label key=value, --all) --justification TEXT --expires YYYY-MM-DD")
		return errUsage
	}
	e, printed, err := call(c, func(cl *client.Client) (*vigil.CheckException, error) { return cl.RequestException(ctx, req) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "requested exception #%d (%s, %s on %s, until %s): it changes nothing until another admin or owner approves it (vigil exceptions approve %d)\n",
		e.ID, e.Kind, e.CheckID, e.ScopeText(), e.Expires.UTC().Format(time.RFC3339), e.ID)
	return nil
}

// exceptionsApproveRevoke is `vigil exceptions approve | revoke`.
func exceptionsApproveRevoke(ctx context.Context, env *cliEnv, verb string, args []string) error {
	c := newAPICommand(env, "exceptions "+verb, "exceptions "+verb+" ID")
	var reason *string
	if verb == "revoke" {
		reason = c.String("reason", "", "why it ends (kept in the activity log)")
	}
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		fmt.Fprintf(env.stderr, "Usage: vigil exceptions %s ID\n", verb)
		return errUsage
	}
	id, err := argID("id", c.Arg(0))
	if err != nil {
		return err
	}
	e, printed, err := call(c, func(cl *client.Client) (*vigil.CheckException, error) {
		if reason != nil {
			return cl.RevokeException(ctx, id, &api.RevokeExceptionRequest{Reason: *reason})
		}
		return cl.ApproveException(ctx, id)
	})
	if err != nil || printed {
		return err
	}
	if verb == "approve" {
		fmt.Fprintf(env.stdout, "approved exception #%d: %s on %s is excepted (%s) until %s\n", e.ID, e.CheckID, e.ScopeText(), e.Kind, e.Expires.UTC().Format(time.RFC3339))
	} else {
		fmt.Fprintf(env.stdout, "revoked exception #%d: failures of %s on %s count again\n", e.ID, e.CheckID, e.ScopeText())
	}
	return nil
}
