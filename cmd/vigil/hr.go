package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/client"
)

// The HR records' verbs of `vigil people`: onboarding checklists,
// background checks (with their report) and performance reviews.

// personID resolves PERSON, given as the register's ID or an email.
func personID(ctx context.Context, c *apiCommand, arg string) (int64, error) {
	if !strings.Contains(arg, "@") {
		return argID("person", arg)
	}
	cl, err := c.client()
	if err != nil {
		return 0, err
	}
	page, err := cl.ListPeople(ctx)
	if err != nil {
		return 0, err
	}
	for _, p := range page.Items {
		if strings.EqualFold(p.Email, arg) {
			return p.ID, nil
		}
	}
	return 0, fmt.Errorf("nobody in the register has the email %s", arg)
}

func printChecklist(w io.Writer, c *vigil.OnboardingChecklist) {
	fmt.Fprintf(w, "%s <%s>, started %s\n", c.Person.Name, c.Person.Email, c.Person.Start)
	var rows [][]string
	for _, it := range c.Items {
		rows = append(rows, []string{string(it.Kind), string(it.Due), string(it.State), orDash(it.Record), it.Reason})
	}
	table(w, []string{"ITEM", "DUE", "STATE", "RECORD", "WHY"}, rows)
}

// peopleOnboarding is `vigil people onboarding [PERSON]`: everyone's
// checklists, or one person's.
func peopleOnboarding(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "people onboarding", "people onboarding [PERSON]")
	if err := c.parse(args); err != nil {
		return err
	}
	switch c.NArg() {
	case 0:
		log, printed, err := call(c, func(cl *client.Client) (*vigil.OnboardingLog, error) { return cl.GetOnboarding(ctx) })
		if err != nil || printed {
			return err
		}
		if len(log.Lists) == 0 {
			fmt.Fprintf(env.stdout, "nobody in scope has started since %s\n", log.From.Format("2006-01-02"))
		}
		for i := range log.Lists {
			if i > 0 {
				fmt.Fprintln(env.stdout)
			}
			printChecklist(env.stdout, &log.Lists[i])
		}
		return nil
	case 1:
		id, err := personID(ctx, c, c.Arg(0))
		if err != nil {
			return err
		}
		d, printed, err := call(c, func(cl *client.Client) (*vigil.PersonHR, error) { return cl.GetPersonHR(ctx, id) })
		if err != nil || printed {
			return err
		}
		if d.Onboarding == nil {
			fmt.Fprintf(env.stdout, "%s did not start in the audit period (start date %s): no onboarding checklist\n", d.Person.Email, orDash(string(d.Person.Start)))
			return nil
		}
		printChecklist(env.stdout, d.Onboarding)
		return nil
	}
	fmt.Fprintln(env.stderr, "Usage: vigil people onboarding [PERSON]")
	return errUsage
}

// peopleBackgroundCheck is `vigil people background-check PERSON --file F
// --completed DATE --provider P --result R`.
func peopleBackgroundCheck(ctx context.Context, env *cliEnv, args []string) error {
	const usage = "people background-check PERSON --file F --completed YYYY-MM-DD --provider P --result clear|consider|adjudicated [--note N]"
	c := newAPICommand(env, "people background-check", usage)
	file := c.String("file", "", "the report or the vendor's attestation (required): sealed into the evidence ledger against HR-01")
	completed := c.String("completed", "", "the day the check was completed (YYYY-MM-DD)")
	provider := c.String("provider", "", "who ran the check")
	result := c.String("result", "clear", "clear, consider or adjudicated")
	note := c.String("note", "", "an optional note")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 || *file == "" {
		fmt.Fprintln(env.stderr, "Usage: vigil "+usage)
		return errUsage
	}
	id, err := personID(ctx, c, c.Arg(0))
	if err != nil {
		return err
	}
	f, size, sum, err := openHashed(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	q := url.Values{"filename": {filepath.Base(*file)}, "completed_on": {*completed}, "provider": {*provider}, "result": {*result}}
	if *note != "" {
		q.Set("note", *note)
	}
	b, printed, err := call(c, func(cl *client.Client) (*vigil.BackgroundCheck, error) {
		return cl.RecordBackgroundCheck(ctx, id, q, vigil.MediaTypeFor(*file), size, sum, f)
	})
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "recorded background check %d (%s, %s, completed %s), report: evidence %d\n", b.ID, b.Provider, b.Result, b.CompletedOn, b.EvidenceID)
	return nil
}

// peoplePerformanceReview is `vigil people performance-review PERSON
// --completed DATE`: the caller attests it (their manager or HR).
func peoplePerformanceReview(ctx context.Context, env *cliEnv, args []string) error {
	const usage = "people performance-review PERSON --completed YYYY-MM-DD [--period P] [--evidence ID] [--note N]"
	c := newAPICommand(env, "people performance-review", usage)
	completed := c.String("completed", "", "the day the review was completed (YYYY-MM-DD)")
	period := c.String("period", "", "the review cycle (default: the year completed)")
	ev := c.Int64("evidence", 0, "an evidence item already uploaded (the review form or HRIS export), optional")
	note := c.String("note", "", "an optional note")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil "+usage)
		return errUsage
	}
	id, err := personID(ctx, c, c.Arg(0))
	if err != nil {
		return err
	}
	r, printed, err := call(c, func(cl *client.Client) (*vigil.PerformanceReview, error) {
		return cl.RecordPerformanceReview(ctx, id, &api.PerformanceReviewRequest{Period: *period, CompletedOn: vigil.Date(*completed), EvidenceID: *ev, Note: *note})
	})
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "recorded performance review %d (period %s, completed %s), attested by %s\n", r.ID, r.Period, r.CompletedOn, r.Attester)
	return nil
}
