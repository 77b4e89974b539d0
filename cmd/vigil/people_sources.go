package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/client"
)

// peopleRoleChanges is `vigil people role-changes [PERSON]`: role changes
// (HR-08), newest first, everyone's or one person's.
func peopleRoleChanges(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "people role-changes", "people role-changes [PERSON]")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() > 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil people role-changes [PERSON]")
		return errUsage
	}
	var id int64
	if c.NArg() == 1 {
		var err error
		if id, err = argID("person", c.Arg(0)); err != nil {
			return err
		}
	}
	page, printed, err := call(c, func(cl *client.Client) (*api.Page[vigil.RoleChange], error) {
		if id != 0 {
			return cl.ListPersonRoleChanges(ctx, id)
		}
		return cl.ListRoleChanges(ctx)
	})
	if err != nil || printed {
		return err
	}
	var rows [][]string
	for _, rc := range page.Items {
		review := "due " + rc.Due().UTC().Format(time.DateOnly)
		if rc.ReviewedAt != nil {
			review = "reviewed " + rc.ReviewedAt.UTC().Format(time.DateOnly) + " by " + rc.ReviewedBy
		}
		rows = append(rows, []string{strconv.FormatInt(rc.PersonID, 10), strconv.FormatInt(rc.ID, 10), rc.Email, rc.Describe(),
			rc.DetectedAt.UTC().Format(time.DateOnly), rc.Source, review})
	}
	table(env.stdout, []string{"PERSON", "CHANGE", "EMAIL", "CHANGED", "DETECTED", "SOURCE", "ACCESS REVIEW"}, rows)
	return nil
}

// peopleReviewRoleChange is `vigil people review-role-change PERSON
// CHANGE --comment C`: record that the person's access was checked.
func peopleReviewRoleChange(ctx context.Context, env *cliEnv, args []string) error {
	const usage = "Usage: vigil people review-role-change PERSON CHANGE --comment C"
	c := newAPICommand(env, "people review-role-change", "people review-role-change PERSON CHANGE --comment C")
	comment := c.String("comment", "", "what was checked: the access removed, kept or granted")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 2 || *comment == "" {
		fmt.Fprintln(env.stderr, usage)
		return errUsage
	}
	id, err := argID("person", c.Arg(0))
	if err != nil {
		return err
	}
	change, err := argID("change", c.Arg(1))
	if err != nil {
		return err
	}
	rc, printed, err := call(c, func(cl *client.Client) (*vigil.RoleChange, error) {
		return cl.ReviewRoleChange(ctx, id, strconv.FormatInt(change, 10), &api.RoleChangeReview{Comment: *comment})
	})
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "access review of %s recorded for role change %d (%s)\n", rc.Email, rc.ID, rc.Describe())
	return nil
}
