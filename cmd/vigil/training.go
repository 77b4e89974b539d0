package main

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/client"
)

const trainingUsage = "Usage: vigil training list\n" +
	"       vigil training show ID\n" +
	"       vigil training mine\n" +
	"       vigil training add-builtin [--pass-mark N] [--recurrence-months N] [--due-days N]\n" +
	"       vigil training assign ID (--all | --role ROLE | --department NAME)\n" +
	"       vigil training record ID --user USER --date YYYY-MM-DD [--score N] [--certificate FILE] [--note TEXT]"

func runTraining(ctx context.Context, env *cliEnv, args []string) error {
	return dispatch(ctx, env, args, "list", trainingUsage,
		verb{"list", trainingList},
		verb{"show", trainingShow},
		verb{"mine", trainingMine},
		verb{"add-builtin", trainingAddBuiltin},
		verb{"assign", trainingAssign},
		verb{"record", trainingRecord})
}

func repeats(months int) string {
	if months == 0 {
		return "once"
	}
	return strconv.Itoa(months) + " months"
}

// trainingList is `vigil training list`.
func trainingList(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "training list", "training list")
	if err := c.parse(args); err != nil {
		return err
	}
	page, printed, err := call(c, func(cl *client.Client) (*api.Page[vigil.Course], error) { return cl.ListCourses(ctx) })
	if err != nil || printed {
		return err
	}
	var rows [][]string
	for _, x := range page.Items {
		pass := "-"
		if x.Builtin != "" {
			pass = strconv.Itoa(x.PassMark) + "%"
		}
		rows = append(rows, []string{strconv.FormatInt(x.ID, 10), x.Key, x.Title, string(x.Kind), x.Control, pass, repeats(x.RecurrenceMonths)})
	}
	table(env.stdout, []string{"ID", "KEY", "TITLE", "KIND", "CONTROL", "PASS", "REPEATS"}, rows)
	return nil
}

func statusRows(sts []vigil.TrainingStatus, course bool) [][]string {
	day := func(t interface{ IsZero() bool }, s string) string {
		if t.IsZero() {
			return "-"
		}
		return s
	}
	var rows [][]string
	for _, st := range sts {
		first := st.UserName
		if course {
			first = st.CourseKey + " " + st.Course
		}
		score := "-"
		if st.Score > 0 {
			score = strconv.Itoa(st.Score) + "%"
		}
		rows = append(rows, []string{first, string(st.State), day(st.Due, st.Due.UTC().Format("2006-01-02")),
			day(st.CompletedAt, st.CompletedAt.UTC().Format("2006-01-02")), score, day(st.ExpiresAt, st.ExpiresAt.UTC().Format("2006-01-02"))})
	}
	return rows
}

// trainingShow is `vigil training show ID`: the course, its assignments
// and the roster the caller may see.
func trainingShow(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "training show", "training show ID")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil training show ID")
		return errUsage
	}
	id, err := argID("id", c.Arg(0))
	if err != nil {
		return err
	}
	v, printed, err := call(c, func(cl *client.Client) (*api.CourseView, error) { return cl.GetCourse(ctx, id) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "%s %s (%s, counts toward %s), repeats %s, due %d days after assignment\n", v.Key, v.Title, v.Kind, v.Control, repeats(v.RecurrenceMonths), v.DueDays)
	if v.Builtin != "" {
		fmt.Fprintf(env.stdout, "built in: %d lessons and a quiz, pass mark %d%%\n", v.Lessons, v.PassMark)
	}
	for _, a := range v.Assignments {
		fmt.Fprintf(env.stdout, "assigned (%d) to %s %s\n", a.ID, a.Target, a.Value)
	}
	fmt.Fprintln(env.stdout)
	table(env.stdout, []string{"PERSON", "STATUS", "DUE", "COMPLETED", "SCORE", "VALID UNTIL"}, statusRows(v.Roster, false))
	return nil
}

// trainingMine is `vigil training mine`.
func trainingMine(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "training mine", "training mine")
	if err := c.parse(args); err != nil {
		return err
	}
	page, printed, err := call(c, func(cl *client.Client) (*api.Page[vigil.TrainingStatus], error) { return cl.MyTraining(ctx) })
	if err != nil || printed {
		return err
	}
	table(env.stdout, []string{"COURSE", "STATUS", "DUE", "COMPLETED", "SCORE", "VALID UNTIL"}, statusRows(page.Items, true))
	return nil
}

// trainingAddBuiltin is `vigil training add-builtin`.
func trainingAddBuiltin(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "training add-builtin", "training add-builtin [--pass-mark N] [--recurrence-months N] [--due-days N]")
	pass := c.Int("pass-mark", vigil.DefaultPassMark, "the quiz score, in percent, a pass needs (1 to 100)")
	months := c.Int("recurrence-months", vigil.DefaultRecurrenceMonths, "how long a completion counts, in months (0: for ever)")
	due := c.Int("due-days", vigil.DefaultDueDays, "days to complete after assignment or joining")
	if err := c.parse(args); err != nil {
		return err
	}
	req := &api.CourseRequest{Builtin: "security-awareness", PassMark: pass, RecurrenceMonths: months, DueDays: due}
	v, printed, err := call(c, func(cl *client.Client) (*api.CourseView, error) { return cl.CreateCourse(ctx, req) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "added %s %s (id %d): assign it with vigil training assign %d --all\n", v.Key, v.Title, v.ID, v.ID)
	return nil
}

// trainingAssign is `vigil training assign ID`.
func trainingAssign(ctx context.Context, env *cliEnv, args []string) error {
	usage := "training assign ID (--all | --role ROLE | --department NAME)"
	c := newAPICommand(env, "training assign", usage)
	all := c.Bool("all", false, "everyone")
	role := c.String("role", "", "everyone with this role")
	dept := c.String("department", "", "a department, as the personnel register names it")
	if err := c.parse(args); err != nil {
		return err
	}
	n := 0
	for _, set := range []bool{*all, *role != "", *dept != ""} {
		if set {
			n++
		}
	}
	if c.NArg() != 1 || n != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil "+usage)
		return errUsage
	}
	id, err := argID("id", c.Arg(0))
	if err != nil {
		return err
	}
	req := &api.AssignRequest{Target: vigil.TargetAll}
	switch {
	case *role != "":
		req.Target, req.Value = vigil.TargetRole, *role
	case *dept != "":
		req.Target, req.Value = vigil.TargetDepartment, *dept
	}
	a, printed, err := call(c, func(cl *client.Client) (*vigil.Assignment, error) { return cl.AssignCourse(ctx, id, req) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "assigned (assignment %d) to %s %s\n", a.ID, a.Target, a.Value)
	if a.Target == vigil.TargetDepartment {
		fmt.Fprintln(env.stderr, "note: a department assignment covers the users the personnel register lists in "+a.Value+" (vigil people list)")
	}
	return nil
}

// trainingRecord is `vigil training record ID`: a completion done
// elsewhere, with its certificate uploaded as evidence of the course's
// control, or attested (the server generates a certificate).
func trainingRecord(ctx context.Context, env *cliEnv, args []string) error {
	usage := "training record ID --user USER --date YYYY-MM-DD [--score N] [--certificate FILE] [--note TEXT]"
	c := newAPICommand(env, "training record", usage)
	user := c.String("user", "", "who completed it: a user id or email")
	date := c.String("date", "", "when, YYYY-MM-DD")
	score := c.Int("score", 0, "the score in percent, if any")
	cert := c.String("certificate", "", "the certificate file, uploaded as evidence")
	note := c.String("note", "", "a note")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 || *user == "" || *date == "" {
		fmt.Fprintln(env.stderr, "Usage: vigil "+usage)
		return errUsage
	}
	id, err := argID("id", c.Arg(0))
	if err != nil {
		return err
	}
	req := &api.CompletionRequest{CompletedAt: *date, Score: *score, Note: *note}
	if req.UserID, err = c.ownerID(ctx, *user); err != nil {
		return err
	}
	if *cert != "" {
		cl, err := c.client()
		if err != nil {
			return err
		}
		course, err := cl.GetCourse(ctx, id)
		if err != nil {
			return err
		}
		ev, err := uploadCertificate(ctx, cl, *cert, course, *date)
		if err != nil {
			return err
		}
		req.EvidenceID = ev.ID
	}
	x, printed, err := call(c, func(cl *client.Client) (*vigil.Completion, error) { return cl.RecordCompletion(ctx, id, req) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "recorded completion %d (%s), certificate: evidence %d\n", x.ID, x.Source, x.EvidenceID)
	return nil
}

func uploadCertificate(ctx context.Context, cl *client.Client, file string, course *api.CourseView, date string) (*vigil.Evidence, error) {
	f, size, sum, err := openHashed(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	q := url.Values{"filename": {filepath.Base(file)}, "effective_start": {date}, "control": {course.Control},
		"title": {course.Key + " " + course.Title + ": certificate"}, "restricted": {"true"}}
	return cl.UploadEvidence(ctx, q, vigil.MediaTypeFor(file), size, sum, f)
}
