package main

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/client"
)

func runHosts(ctx context.Context, env *cliEnv, args []string) error {
	return dispatch(ctx, env, args, "list", "Usage: vigil hosts list | show ID | enrol NAME [--label key=value] | label ID [key=value ...] | approve-tailoring ID --digest D | revoke ID",
		verb{"list", hostsList},
		verb{"show", hostsShow},
		verb{"approve-tailoring", hostsApproveTailoring},
		verb{"enrol", hostsEnrol},
		verb{"label", hostsLabel},
		verb{"revoke", hostsRevoke})
}

// hostsList is `vigil hosts list`.
func hostsList(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "hosts list", "hosts list")
	if err := c.parse(args); err != nil {
		return err
	}
	_, err := listAll(ctx, c, (*client.Client).ListAgents, url.Values{}, []string{"ID", "NAME", "OS", "LAST SEEN", "PASS", "FAIL", "ERROR", "COMPLIANCE", "STATE"},
		func(h api.AgentView) []string {
			seen, state, pct := "never", "ok", "-"
			if h.LastSeen != nil {
				seen = h.LastSeen.UTC().Format("2006-01-02 15:04")
			}
			switch {
			case h.RevokedAt != nil:
				state = "revoked"
			case h.Stale:
				state = "stale"
			}
			if h.Compliance >= 0 {
				pct = strconv.Itoa(h.Compliance) + "%"
			}
			return []string{strconv.FormatInt(h.ID, 10), h.Name, h.OS, seen, strconv.Itoa(h.Pass), strconv.Itoa(h.Fail), strconv.Itoa(h.Error), pct, state}
		})
	return err
}

// hostsShow is `vigil hosts show`.
func hostsShow(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "hosts show", "hosts show ID")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil hosts show ID")
		return errUsage
	}
	id, err := argID("id", c.Arg(0))
	if err != nil {
		return err
	}
	h, printed, err := call(c, func(cl *client.Client) (*api.AgentDetail, error) { return cl.GetAgent(ctx, id) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "%s (%s), %s, kernel %s, agent %s\n", h.Name, h.Hostname, h.OS, h.Kernel, h.Version)
	switch {
	case h.RevokedAt != nil:
		fmt.Fprintf(env.stdout, "REVOKED at %s: the results below are the last it reported\n", h.RevokedAt.UTC().Format(time.RFC3339))
	case h.Stale:
		seen := "never"
		if h.LastSeen != nil {
			seen = h.LastSeen.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(env.stdout, "STALE: no report on schedule since %s; its results are unknown, not current\n", seen)
	}
	var rows [][]string
	for _, r := range h.Results {
		if r.Verdict == "fail" || r.Verdict == "error" {
			rows = append(rows, []string{r.Verdict, r.CheckID, r.Resource, oneLine(r.Reason)})
		}
	}
	if len(h.Labels) > 0 {
		fmt.Fprintf(env.stdout, "labels: %s\n", strings.Join(vigil.LabelList(h.Labels), ", "))
	}
	fmt.Fprintf(env.stdout, "%d pass, %d fail, %d could not be judged\n", h.Pass, h.Fail, h.Error)
	if len(rows) > 0 {
		table(env.stdout, []string{"VERDICT", "CHECK", "RESOURCE", "WHY"}, rows)
	}
	if len(h.Tailoring.Disabled) > 0 {
		fmt.Fprintf(env.stdout, "\nturned off by this host's tailoring (digest %s):\n", h.Tailoring.Digest)
		ids := make([]string, 0, len(h.Tailoring.Disabled))
		for id := range h.Tailoring.Disabled {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		rows = nil
		for _, id := range ids {
			approved := "yes"
			if _, ok := h.Tailoring.Unapproved[id]; ok {
				approved = "NOT APPROVED"
			}
			rows = append(rows, []string{id, approved, oneLine(h.Tailoring.Disabled[id])})
		}
		table(env.stdout, []string{"CHECK", "APPROVED", "JUSTIFICATION"}, rows)
		if len(h.Tailoring.Unapproved) > 0 {
			fmt.Fprintf(env.stdout, "approve it as shown with: vigil hosts approve-tailoring %d --digest %s\n", h.ID, h.Tailoring.Digest)
		}
	}
	return nil
}

// hostsApproveTailoring is `vigil hosts approve-tailoring`.
func hostsApproveTailoring(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "hosts approve-tailoring", "hosts approve-tailoring ID --digest D (the digest vigil hosts show prints)")
	digest := c.String("digest", "", "the digest of the tailoring you reviewed, as vigil hosts show prints it")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 || *digest == "" {
		fmt.Fprintln(env.stderr, "Usage: vigil hosts approve-tailoring ID --digest D (review it first with vigil hosts show ID)")
		return errUsage
	}
	id, err := argID("id", c.Arg(0))
	if err != nil {
		return err
	}
	out, printed, err := call(c, func(cl *client.Client) (*api.ApprovedTailoring, error) {
		return cl.ApproveTailoring(ctx, id, &api.ApproveTailoring{Digest: *digest})
	})
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "approved: %d checks turned off on host %s\n", len(out.Approved), c.Arg(0))
	return nil
}

// hostsEnrol is `vigil hosts enrol`.
func hostsEnrol(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "hosts enrol", "hosts enrol NAME [--ttl-hours 24] [--label key=value ...]")
	ttl := c.Int("ttl-hours", 24, "how long the token stays valid (1 to 720 hours)")
	labels := labelFlags{}
	c.Var(labels, "label", "a label the host starts with, key=value (repeat for more)")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil hosts enrol NAME [--ttl-hours 24] [--label key=value ...]")
		return errUsage
	}
	e, printed, err := call(c, func(cl *client.Client) (*vigil.Enrolment, error) {
		return cl.CreateEnrolment(ctx, &api.EnrolmentRequest{Name: c.Arg(0), TTLHours: *ttl, Labels: labels})
	})
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "one-time enrolment token for %s, valid until %s (shown once):\n%s\n", e.Name, e.Expires.UTC().Format(time.RFC3339), e.Token)
	fmt.Fprintf(env.stdout, "on the host, as root: VIGIL_ENROL_TOKEN=%s vigil agent enrol --server %s --ca-fingerprint <the server certificate's SHA-256>\n", e.Token, *c.server)
	return nil
}

// hostsLabel is `vigil hosts label`.
func hostsLabel(ctx context.Context, env *cliEnv, args []string) error {
	// Replaces the host's labels with those given (none: removes them).
	c := newAPICommand(env, "hosts label", "hosts label ID [key=value ...]")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() < 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil hosts label ID [key=value ...] (replaces the host's labels)")
		return errUsage
	}
	labels := labelFlags{}
	for _, l := range c.Args()[1:] {
		if err := labels.Set(l); err != nil {
			fmt.Fprintln(env.stderr, "vigil hosts label: "+err.Error())
			return errUsage
		}
	}
	id, err := argID("id", c.Arg(0))
	if err != nil {
		return err
	}
	h, printed, err := call(c, func(cl *client.Client) (*api.AgentView, error) {
		return cl.SetLabels(ctx, id, &api.LabelsRequest{Labels: labels})
	})
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "labels of %s: %s\n", h.Name, orDash(strings.Join(vigil.LabelList(h.Labels), ", ")))
	return nil
}

// hostsRevoke is `vigil hosts revoke`.
func hostsRevoke(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "hosts revoke", "hosts revoke ID")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil hosts revoke ID")
		return errUsage
	}
	id, err := argID("id", c.Arg(0))
	if err != nil {
		return err
	}
	if err := c.do(func(cl *client.Client) error { return cl.RevokeAgent(ctx, id) }); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "revoked: the agent's reports are refused from now on")
	return nil
}
