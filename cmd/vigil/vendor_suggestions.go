package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/client"
)

// vendorsSuggestions is `vigil vendors suggestions`: the apps connected
// systems list that match no vendor, and what each system could not read.
func vendorsSuggestions(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "vendors suggestions", "vendors suggestions")
	if err := c.parse(args); err != nil {
		return err
	}
	sg, printed, err := call(c, func(cl *client.Client) (*api.VendorSuggestions, error) { return cl.ListVendorSuggestions(ctx) })
	if err != nil || printed {
		return err
	}
	if len(sg.Sources) == 0 {
		fmt.Fprintln(env.stdout, "no connected system lists third-party apps (Okta, Google Workspace)")
		return nil
	}
	for _, s := range sg.Sources {
		state := "complete"
		if !s.Complete {
			state = "partial: " + s.Unreadable
		}
		fmt.Fprintf(env.stdout, "%s (%s): %d apps listed %s, %s\n", s.System, s.Kind, s.Apps, s.CollectedAt.UTC().Format("2006-01-02 15:04 UTC"), state)
	}
	var rows [][]string
	for _, a := range sg.Suggestions {
		users := "-"
		if a.Users > 0 {
			users = strconv.Itoa(a.Users)
		}
		rows = append(rows, []string{strconv.FormatInt(a.ID, 10), a.Name, a.System, orDash(a.Status), users, a.FirstSeen.UTC().Format("2006-01-02")})
	}
	if len(rows) == 0 {
		fmt.Fprintln(env.stdout, "no suggestion: every app listed matches a vendor or was decided")
		return nil
	}
	table(env.stdout, []string{"ID", "APP", "SYSTEM", "STATUS", "USERS", "FIRST SEEN"}, rows)
	return nil
}

// vendorsConfirm is `vigil vendors confirm SUGGESTION`.
func vendorsConfirm(ctx context.Context, env *cliEnv, args []string) error {
	usage := "vendors confirm SUGGESTION [--name N] [--service S] [--owner USER]"
	c := newAPICommand(env, "vendors confirm", usage)
	name := c.String("name", "", "the vendor's name (default: the app's)")
	service := c.String("service", "", "what the vendor provides")
	owner := c.String("owner", "", "who owns the relationship: a user id or email")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil "+usage)
		return errUsage
	}
	id, err := argID("suggestion", c.Arg(0))
	if err != nil {
		return err
	}
	req := &api.ConfirmSuggestionRequest{Name: strings.TrimSpace(*name), Service: *service}
	if *owner != "" {
		if req.OwnerID, err = c.ownerID(ctx, *owner); err != nil {
			return err
		}
	}
	out, printed, err := call(c, func(cl *client.Client) (*api.ConfirmedSuggestion, error) {
		return cl.ConfirmVendorSuggestion(ctx, id, req)
	})
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "added %s %s (id %d), onboarding, linked to %s in %s\n", out.Vendor.Key, out.Vendor.Name, out.Vendor.ID, out.App.Name, out.App.System)
	return nil
}

// vendorsDismiss is `vigil vendors dismiss SUGGESTION`.
func vendorsDismiss(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "vendors dismiss", "vendors dismiss SUGGESTION")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil vendors dismiss SUGGESTION")
		return errUsage
	}
	id, err := argID("suggestion", c.Arg(0))
	if err != nil {
		return err
	}
	a, printed, err := call(c, func(cl *client.Client) (*vigil.DiscoveredApp, error) { return cl.DismissVendorSuggestion(ctx, id) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "dismissed %s (%s): it is not suggested again\n", a.Name, a.System)
	return nil
}
