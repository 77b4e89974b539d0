package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/client"
)

const peopleUsage = "Usage: vigil people list\n" +
	"       vigil people show ID\n" +
	"       vigil people import FILE|- [--yes]\n" +
	"       vigil people offboarding\n" +
	"       vigil people role-changes [PERSON]\n" +
	"       vigil people review-role-change PERSON CHANGE --comment C\n" +
	"       vigil people onboarding [PERSON]\n" +
	"       vigil people background-check PERSON --file F --completed DATE --provider P --result R\n" +
	"       vigil people performance-review PERSON --completed DATE"

func runPeople(ctx context.Context, env *cliEnv, args []string) error {
	return dispatch(ctx, env, args, "list", peopleUsage,
		verb{"list", peopleList},
		verb{"show", peopleShow},
		verb{"import", peopleImport},
		verb{"offboarding", peopleOffboarding},
		verb{"role-changes", peopleRoleChanges},
		verb{"review-role-change", peopleReviewRoleChange},
		verb{"onboarding", peopleOnboarding},
		verb{"background-check", peopleBackgroundCheck},
		verb{"performance-review", peoplePerformanceReview})
}

// peopleList is `vigil people list`.
func peopleList(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "people list", "people list")
	if err := c.parse(args); err != nil {
		return err
	}
	page, printed, err := call(c, func(cl *client.Client) (*api.Page[vigil.Person], error) { return cl.ListPeople(ctx) })
	if err != nil || printed {
		return err
	}
	var rows [][]string
	for _, p := range page.Items {
		scope := "yes"
		if !p.InScope {
			scope = "no"
		}
		rows = append(rows, []string{strconv.FormatInt(p.ID, 10), p.Email, p.Name, orDash(p.Department), string(p.Type), orDash(string(p.Start)), orDash(string(p.End)), scope})
	}
	table(env.stdout, []string{"ID", "EMAIL", "NAME", "DEPARTMENT", "TYPE", "START", "END", "IN SCOPE"}, rows)
	return nil
}

// peopleShow is `vigil people show ID`.
func peopleShow(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "people show", "people show ID")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil people show ID")
		return errUsage
	}
	id, err := argID("id", c.Arg(0))
	if err != nil {
		return err
	}
	d, printed, err := call(c, func(cl *client.Client) (*vigil.PersonDetail, error) { return cl.GetPerson(ctx, id) })
	if err != nil || printed {
		return err
	}
	p := d.Person
	fmt.Fprintf(env.stdout, "%s <%s>, %s, from %s to %s, in scope: %v\n", p.Name, p.Email, p.Type, orDash(string(p.Start)), orDash(string(p.End)), p.InScope)
	var rows [][]string
	for _, a := range d.Accounts {
		state := string(a.State)
		if !a.Present {
			state = "removed"
		}
		rows = append(rows, []string{a.System, a.ExternalID, state, strconv.FormatBool(a.Privileged), a.MatchedBy})
	}
	fmt.Fprintln(env.stdout)
	table(env.stdout, []string{"SYSTEM", "ACCOUNT", "STATE", "PRIVILEGED", "MATCHED BY"}, rows)
	for _, it := range d.Offboarding {
		fmt.Fprintf(env.stdout, "offboarding: %s: %s\n", it.Status, it.Reason)
	}
	for _, a := range d.Acks {
		fmt.Fprintf(env.stdout, "%s %s: %s\n", a.Key, a.Title, a.State)
	}
	return nil
}

// peopleImport is `vigil people import FILE`: a dry run that lists every
// bad row or what would change; --yes confirms it (the same file, named
// by its hash), otherwise nothing is imported.
func peopleImport(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "people import", "people import FILE|- [--yes]")
	yes := c.Bool("yes", false, "apply the import after the preview (without it, nothing is imported)")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil people import FILE|- [--yes]")
		return errUsage
	}
	var r io.Reader = env.stdin
	if name := c.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, vigil.MaxPeopleCSV+1))
	if err != nil {
		return err
	}
	pv, printed, err := call(c, func(cl *client.Client) (*vigil.ImportPreview, error) {
		return cl.PreviewPeopleImport(ctx, "text/csv", int64(len(b)), "", strings.NewReader(string(b)))
	})
	if err != nil || printed {
		return err
	}
	if len(pv.Errors) > 0 {
		return rowErrors(env.stderr, pv.Errors)
	}
	fmt.Fprintf(env.stdout, "%d rows: %d to add, %d to update, %d unchanged; %d people not in the file stay as they are\n",
		pv.Rows, pv.Counts.Created, pv.Counts.Updated, pv.Counts.Unchanged, pv.NotInFile)
	for _, l := range pv.Leavers {
		fmt.Fprintln(env.stdout, "leaver: "+l)
	}
	if !*yes {
		fmt.Fprintln(env.stdout, "dry run: nothing imported (add --yes to import)")
		return nil
	}
	counts, printed, err := call(c, func(cl *client.Client) (*vigil.ImportCounts, error) {
		return cl.ConfirmPeopleImport(ctx, pv.ID, &api.ImportConfirm{SHA256: pv.SHA256})
	})
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "imported: %d added, %d updated, %d unchanged\n", counts.Created, counts.Updated, counts.Unchanged)
	return nil
}

// peopleOffboarding is `vigil people offboarding`.
func peopleOffboarding(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "people offboarding", "people offboarding")
	if err := c.parse(args); err != nil {
		return err
	}
	o, printed, err := call(c, func(cl *client.Client) (*vigil.OffboardingLog, error) { return cl.GetOffboarding(ctx) })
	if err != nil || printed {
		return err
	}
	var rows [][]string
	for _, it := range o.Items {
		rows = append(rows, []string{it.Email, it.Departure.UTC().Format("2006-01-02"), it.Account.System, it.Account.ExternalID, string(it.Status), oneLine(it.Reason)})
	}
	table(env.stdout, []string{"PERSON", "LEFT", "SYSTEM", "ACCOUNT", "STATUS", "WHY"}, rows)
	for _, p := range o.Unmatched {
		fmt.Fprintf(env.stdout, "no account matched: %s (last day %s)\n", p.Email, p.End)
	}
	return nil
}

// runTasks is `vigil tasks`: your own tasks (policies to acknowledge,
// training due).
func runTasks(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "tasks", "tasks")
	if err := c.parse(args); err != nil {
		return err
	}
	t, printed, err := call(c, func(cl *client.Client) (*vigil.MyTasks, error) { return cl.MyTasks(ctx) })
	if err != nil || printed {
		return err
	}
	if len(t.Policies) == 0 {
		fmt.Fprintln(env.stdout, "nothing to acknowledge")
	} else {
		var rows [][]string
		for _, p := range t.Policies {
			rows = append(rows, []string{strconv.FormatInt(p.PolicyID, 10), p.Key, p.Title, "v" + strconv.Itoa(p.Current), string(p.State), p.Due.UTC().Format("2006-01-02")})
		}
		table(env.stdout, []string{"ID", "KEY", "POLICY", "VERSION", "STATE", "DUE"}, rows)
		fmt.Fprintln(env.stdout, "read each (vigil policies show ID --text), then vigil policies acknowledge ID")
	}
	for _, it := range t.Onboarding {
		fmt.Fprintf(env.stdout, "onboarding: %s due %s: %s\n", it.Kind, it.Due, oneLine(it.Reason))
	}
	if len(t.Training) == 0 {
		fmt.Fprintln(env.stdout, "no training due")
		return nil
	}
	var rows [][]string
	for _, c := range t.Training {
		due := "-"
		if !c.Due.IsZero() {
			due = c.Due.UTC().Format("2006-01-02")
		}
		rows = append(rows, []string{strconv.FormatInt(c.CourseID, 10), c.CourseKey, c.Course, string(c.State), due})
	}
	fmt.Fprintln(env.stdout)
	table(env.stdout, []string{"ID", "KEY", "COURSE", "STATE", "DUE"}, rows)
	return nil
}

// policiesAcknowledge is `vigil policies acknowledge ID`: it acknowledges
// the version in force, naming the hash of the text it fetched, so a
// version published in between is refused rather than accepted unread.
func policiesAcknowledge(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "policies acknowledge", "policies acknowledge ID")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil policies acknowledge ID")
		return errUsage
	}
	id, err := argID("id", c.Arg(0))
	if err != nil {
		return err
	}
	p, printed, err := call(c, func(cl *client.Client) (*api.PolicyView, error) { return cl.GetPolicy(ctx, id) })
	if err != nil || printed {
		return err
	}
	if p.Published == nil {
		return fmt.Errorf("%s has no version in force", p.Key)
	}
	a, printed, err := call(c, func(cl *client.Client) (*vigil.PolicyAck, error) {
		return cl.AcknowledgePolicy(ctx, id, &api.AckRequest{Version: p.Published.Number, SHA256: p.Published.SHA256})
	})
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "acknowledged %s version %d (sha256 %s) at %s\n", p.Key, a.Number, a.SHA256, a.At.UTC().Format("2006-01-02 15:04 UTC"))
	return nil
}

// policyIDCommand parses `vigil policies VERB ID`.
func policyIDCommand(env *cliEnv, verb string, args []string) (*apiCommand, int64, error) {
	c := newAPICommand(env, "policies "+verb, "policies "+verb+" ID")
	if err := c.parse(args); err != nil {
		return nil, 0, err
	}
	if c.NArg() != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil policies "+verb+" ID")
		return nil, 0, errUsage
	}
	id, err := argID("id", c.Arg(0))
	return c, id, err
}

// policiesRoster is `vigil policies roster ID`: who in scope has and has
// not acknowledged the version in force, and when each was last reminded.
func policiesRoster(ctx context.Context, env *cliEnv, args []string) error {
	c, id, err := policyIDCommand(env, "roster", args)
	if err != nil {
		return err
	}
	ro, printed, err := call(c, func(cl *client.Client) (*vigil.AckRoster, error) { return cl.PolicyAckRoster(ctx, id) })
	if err != nil || printed {
		return err
	}
	rows := make([][]string, 0, len(ro.People))
	for _, l := range ro.People {
		acked, reminded := "-", "-"
		if l.Acked > 0 {
			acked = fmt.Sprintf("v%d %s", l.Acked, l.AckedAt.UTC().Format(time.DateOnly))
		}
		if !l.RemindedAt.IsZero() {
			reminded = l.RemindedAt.UTC().Format("2006-01-02 15:04")
		}
		if l.ReminderError != "" {
			reminded += " (last failed)"
		}
		rows = append(rows, []string{l.Name, l.Email, string(l.State), acked, l.Due.UTC().Format(time.DateOnly), reminded})
	}
	table(env.stdout, []string{"NAME", "EMAIL", "STATE", "ACKNOWLEDGED", "DUE", "REMINDED"}, rows)
	fmt.Fprintf(env.stdout, "\n%s version %d: %d acknowledged, %d due, %d overdue\n", ro.Requirement.Key, ro.Requirement.Current, ro.Done, ro.Due, ro.Overdue)
	return nil
}

// policiesRemind is `vigil policies remind ID`: mail the reminders now.
func policiesRemind(ctx context.Context, env *cliEnv, args []string) error {
	c, id, err := policyIDCommand(env, "remind", args)
	if err != nil {
		return err
	}
	run, printed, err := call(c, func(cl *client.Client) (*vigil.ReminderRun, error) { return cl.RemindPolicyAcks(ctx, id) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintln(env.stdout, run.Summary())
	if run.Failed > 0 {
		return fmt.Errorf("%d reminders could not be sent", run.Failed)
	}
	return nil
}
