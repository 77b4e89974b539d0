package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/client"
)

const incidentsUsage = "Usage: vigil incidents list [--status S] [--severity SEV] [--q TEXT]\n" +
	"       vigil incidents open --title T --severity SEV [--summary S] [--detected-at TIME] [--declared-at TIME] [--system ID ...] [--customers C] [--data D] [--dedup-key K] [--source S]\n" +
	"       vigil incidents show ID\n" +
	"       vigil incidents event ID --text T [--at TIME]\n" +
	"       vigil incidents update ID [--status S] [--root-cause TEXT] [--severity SEV]\n" +
	"       vigil incidents notify ID --audience A [--due-hours N]   (a notification owed)\n" +
	"       vigil incidents notify ID --sent N [--at TIME]           (notification N was sent)\n" +
	"       vigil incidents review ID --summary S [--action TITLE --owner USER --due YYYY-MM-DD]\n" +
	"       vigil incidents close ID\n" +
	"ID is the incident's number or key (INC-001); TIME is RFC 3339 (2026-01-02T15:04:05Z)."

func runIncidents(ctx context.Context, env *cliEnv, args []string) error {
	return dispatch(ctx, env, args, "list", incidentsUsage,
		verb{"list", incidentsList},
		verb{"open", incidentsOpen},
		verb{"show", incidentsShow},
		verb{"event", incidentsEvent},
		verb{"update", incidentsUpdate},
		verb{"notify", incidentsNotify},
		verb{"review", incidentsReview},
		verb{"close", incidentsClose})
}

// incidentRef resolves an incident's number or key (INC-001) to its
// number, asking the server for a key.
func incidentRef(ctx context.Context, c *apiCommand, v string) (int64, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
		return n, nil
	}
	if !strings.HasPrefix(strings.ToUpper(v), "INC-") {
		return 0, &vigil.Error{Code: vigil.EINVALID, Field: "id", Message: fmt.Sprintf("an incident is its number or key (INC-001), not %q", v)}
	}
	cl, err := c.client()
	if err != nil {
		return 0, err
	}
	page, err := cl.ListIncidents(ctx, url.Values{"q": {v}, "limit": {"5000"}})
	if err != nil {
		return 0, err
	}
	for _, x := range page.Items {
		if strings.EqualFold(x.Key, v) {
			return x.ID, nil
		}
	}
	return 0, vigil.NotFound("incident", v)
}

// optTime parses an optional RFC 3339 flag.
func optTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, &vigil.Error{Code: vigil.EINVALID, Field: name, Message: fmt.Sprintf("--%s must be RFC 3339, e.g. 2026-01-02T15:04:05Z, got %q", name, v)}
	}
	return t, nil
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

// incidentsList is `vigil incidents list`.
func incidentsList(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "incidents list", "incidents list [--status S] [--severity SEV] [--q TEXT]")
	status := c.String("status", "", "open, declared, investigating, contained, resolved or closed")
	sev := c.String("severity", "", "SEV1 to SEV4")
	q := c.String("q", "", "search in key and title")
	if err := c.parse(args); err != nil {
		return err
	}
	v := url.Values{}
	for k, x := range map[string]string{"status": *status, "severity": *sev, "q": *q} {
		if x != "" {
			v.Set(k, x)
		}
	}
	page, printed, err := call(c, func(cl *client.Client) (*api.Page[vigil.Incident], error) { return cl.ListIncidents(ctx, v) })
	if err != nil || printed {
		return err
	}
	var rows [][]string
	for _, x := range page.Items {
		rows = append(rows, []string{strconv.FormatInt(x.ID, 10), x.Key, string(x.Severity), string(x.Status), when(x.DeclaredAt), x.Title})
	}
	table(env.stdout, []string{"ID", "KEY", "SEV", "STATUS", "DECLARED", "TITLE"}, rows)
	return nil
}

type idList []int64

func (l *idList) String() string { return fmt.Sprint(*l) }
func (l *idList) Set(v string) error {
	n, err := argID("system", v)
	if err != nil {
		return err
	}
	*l = append(*l, n)
	return nil
}

// incidentsOpen is `vigil incidents open`.
func incidentsOpen(ctx context.Context, env *cliEnv, args []string) error {
	usage := "incidents open --title T --severity SEV [--summary S] [--detected-at TIME] [--declared-at TIME] [--system ID ...] [--customers C] [--data D] [--dedup-key K] [--source S]"
	c := newAPICommand(env, "incidents open", usage)
	req := &api.IncidentRequest{}
	title := c.String("title", "", "what is happening, one line")
	sev := c.String("severity", "", "SEV1 (critical) to SEV4 (low)")
	summary := c.String("summary", "", "more detail")
	detected := c.String("detected-at", "", "when it was detected (default: when declared)")
	declared := c.String("declared-at", "", "when it was declared (default: now)")
	var systems idList
	c.Var(&systems, "system", "an affected system's id (repeat for each)")
	customers := c.String("customers", "", "customers affected")
	data := c.String("data", "", "data affected")
	dedup := c.String("dedup-key", "", "a key (an alert's id): while its incident is open, the same key returns it")
	source := c.String("source", "", "the tool or alert opening it")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 0 || *title == "" || *sev == "" {
		fmt.Fprintln(env.stderr, "Usage: vigil "+usage)
		return errUsage
	}
	var err error
	if req.DetectedAt, err = optTime("detected-at", *detected); err != nil {
		return err
	}
	if req.DeclaredAt, err = optTime("declared-at", *declared); err != nil {
		return err
	}
	req.Title, req.Severity, req.Summary, req.Systems = *title, vigil.Severity(*sev), *summary, systems
	req.Customers, req.Data, req.DedupKey, req.Source = *customers, *data, *dedup, *source
	x, printed, err := call(c, func(cl *client.Client) (*api.IncidentOpened, error) { return cl.OpenIncident(ctx, req) })
	if err != nil || printed {
		return err
	}
	if !x.Created {
		fmt.Fprintf(env.stdout, "%s is already open for dedup key %s (id %d, %s): nothing new opened\n", x.Key, x.DedupKey, x.ID, x.Status)
		return nil
	}
	fmt.Fprintf(env.stdout, "declared %s %s (id %d, %s)\n", x.Key, x.Title, x.ID, x.Severity)
	return nil
}

// incidentsShow is `vigil incidents show ID`.
func incidentsShow(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "incidents show", "incidents show ID")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil incidents show ID")
		return errUsage
	}
	id, err := incidentRef(ctx, c, c.Arg(0))
	if err != nil {
		return err
	}
	x, printed, err := call(c, func(cl *client.Client) (*vigil.Incident, error) { return cl.GetIncident(ctx, id) })
	if err != nil || printed {
		return err
	}
	printIncident(env.stdout, x)
	return nil
}

func printIncident(w io.Writer, x *vigil.Incident) {
	fmt.Fprintf(w, "%s %s\n%s, %s; detected %s, declared %s", x.Key, x.Title, x.Severity, x.Status, when(x.DetectedAt), when(x.DeclaredAt))
	if !x.ResolvedAt.IsZero() {
		fmt.Fprintf(w, ", resolved %s", when(x.ResolvedAt))
	}
	if !x.ClosedAt.IsZero() {
		fmt.Fprintf(w, ", closed %s", when(x.ClosedAt))
	}
	fmt.Fprintln(w)
	for _, f := range []struct{ k, v string }{{"summary", x.Summary}, {"customers", x.Customers}, {"data", x.Data}, {"root cause", x.RootCause}, {"dedup key", x.DedupKey}} {
		if f.v != "" {
			fmt.Fprintf(w, "%s: %s\n", f.k, f.v)
		}
	}
	if x.EvidenceID != 0 {
		fmt.Fprintf(w, "sealed record: evidence %d\n", x.EvidenceID)
	}
	fmt.Fprintln(w, "\ntimeline:")
	for _, e := range x.Events {
		fmt.Fprintf(w, "  %s  %s: %s\n", when(e.At), e.Author, e.Text)
	}
	if len(x.Notifications) > 0 {
		fmt.Fprintln(w, "\nnotifications:")
		var rows [][]string
		for _, n := range x.Notifications {
			rows = append(rows, []string{strconv.FormatInt(n.ID, 10), n.Audience, when(n.DueAt), when(n.SentAt)})
		}
		table(w, []string{"ID", "TO", "DUE", "SENT"}, rows)
	}
	if x.Review != nil {
		fmt.Fprintf(w, "\nreview (%s): %s\n", when(x.Review.CompletedAt), x.Review.Summary)
	}
	for _, a := range x.Actions {
		done := "open"
		if !a.DoneAt.IsZero() {
			done = "done " + when(a.DoneAt)
		}
		fmt.Fprintf(w, "  action %d: %s (%s, due %s, %s)\n", a.ID, a.Title, a.OwnerName, a.Due, done)
	}
}

// oneIncident parses ID and the flags of a one-incident command.
func oneIncident(ctx context.Context, env *cliEnv, c *apiCommand, usage string, args []string, ok func() bool) (int64, error) {
	if err := c.parse(args); err != nil {
		return 0, err
	}
	if c.NArg() != 1 || !ok() {
		fmt.Fprintln(env.stderr, "Usage: vigil "+usage)
		return 0, errUsage
	}
	return incidentRef(ctx, c, c.Arg(0))
}

// incidentsEvent is `vigil incidents event ID --text T`.
func incidentsEvent(ctx context.Context, env *cliEnv, args []string) error {
	usage := "incidents event ID --text T [--at TIME]"
	c := newAPICommand(env, "incidents event", usage)
	text := c.String("text", "", "what happened")
	at := c.String("at", "", "when (default: now)")
	id, err := oneIncident(ctx, env, c, usage, args, func() bool { return *text != "" })
	if err != nil {
		return err
	}
	req := &api.IncidentEventRequest{Text: *text}
	if req.At, err = optTime("at", *at); err != nil {
		return err
	}
	e, printed, err := call(c, func(cl *client.Client) (*vigil.IncidentEvent, error) { return cl.AddIncidentEvent(ctx, id, req) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "added to the timeline at %s\n", when(e.At))
	return nil
}

// incidentsUpdate is `vigil incidents update ID`.
func incidentsUpdate(ctx context.Context, env *cliEnv, args []string) error {
	usage := "incidents update ID [--status S] [--root-cause TEXT] [--severity SEV]"
	c := newAPICommand(env, "incidents update", usage)
	status := c.String("status", "", "investigating, contained or resolved (forward only; resolved needs the root cause)")
	rc := c.String("root-cause", "", "the root cause")
	sev := c.String("severity", "", "SEV1 to SEV4")
	id, err := oneIncident(ctx, env, c, usage, args, func() bool { return *status != "" || *rc != "" || *sev != "" })
	if err != nil {
		return err
	}
	p := &vigil.IncidentPatch{}
	if *status != "" {
		st := vigil.IncidentStatus(*status)
		p.Status = &st
	}
	if *rc != "" {
		p.RootCause = rc
	}
	if *sev != "" {
		s := vigil.Severity(*sev)
		p.Severity = &s
	}
	x, printed, err := call(c, func(cl *client.Client) (*vigil.Incident, error) { return cl.UpdateIncident(ctx, id, p) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "%s is %s, %s\n", x.Key, x.Status, x.Severity)
	return nil
}

// incidentsNotify is `vigil incidents notify ID`: a notification owed,
// or (--sent N) one sent.
func incidentsNotify(ctx context.Context, env *cliEnv, args []string) error {
	usage := "incidents notify ID (--audience A [--due-hours N] | --sent N [--at TIME])"
	c := newAPICommand(env, "incidents notify", usage)
	audience := c.String("audience", "", "whom it is owed to: regulator, customers ...")
	hours := c.Int("due-hours", 0, "deadline in hours after declaration (default 72)")
	note := c.String("note", "", "a note")
	sent := c.Int64("sent", 0, "the notification (its ID, from show) that was sent")
	at := c.String("at", "", "when it was sent (default: now)")
	id, err := oneIncident(ctx, env, c, usage, args, func() bool { return (*audience != "") != (*sent != 0) })
	if err != nil {
		return err
	}
	if *sent != 0 {
		req := &api.NotificationSentRequest{}
		if req.SentAt, err = optTime("at", *at); err != nil {
			return err
		}
		n, printed, err := call(c, func(cl *client.Client) (*vigil.IncidentNotification, error) {
			return cl.NotificationSent(ctx, id, strconv.FormatInt(*sent, 10), req)
		})
		if err != nil || printed {
			return err
		}
		late := "on time"
		if n.SentAt.After(n.DueAt) {
			late = "late: it was due " + when(n.DueAt)
		}
		fmt.Fprintf(env.stdout, "notification %d to %s sent %s (%s)\n", n.ID, n.Audience, when(n.SentAt), late)
		return nil
	}
	req := &api.NotificationRequest{Audience: *audience, DueHours: *hours, Note: *note}
	n, printed, err := call(c, func(cl *client.Client) (*vigil.IncidentNotification, error) { return cl.AddNotification(ctx, id, req) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "notification %d to %s owed by %s UTC\n", n.ID, n.Audience, when(n.DueAt))
	return nil
}

// incidentsReview is `vigil incidents review ID --summary S`.
func incidentsReview(ctx context.Context, env *cliEnv, args []string) error {
	usage := "incidents review ID --summary S [--action TITLE --owner USER --due YYYY-MM-DD]"
	c := newAPICommand(env, "incidents review", usage)
	summary := c.String("summary", "", "what happened, why, what changes")
	action := c.String("action", "", "a follow-up action")
	owner := c.String("owner", "", "its owner: a user id or email")
	due := c.String("due", "", "its due date, YYYY-MM-DD")
	id, err := oneIncident(ctx, env, c, usage, args, func() bool { return *summary != "" && (*action == "") == (*owner == "") })
	if err != nil {
		return err
	}
	req := &api.IncidentReviewRequest{Summary: *summary}
	if *action != "" {
		oid, err := c.ownerID(ctx, *owner)
		if err != nil {
			return err
		}
		req.Actions = []api.ActionRequest{{Title: *action, OwnerID: oid, Due: *due}}
	}
	x, printed, err := call(c, func(cl *client.Client) (*vigil.Incident, error) { return cl.ReviewIncident(ctx, id, req) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "%s reviewed, %d actions\n", x.Key, len(x.Actions))
	return nil
}

// incidentsClose is `vigil incidents close ID`.
func incidentsClose(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "incidents close", "incidents close ID")
	id, err := oneIncident(ctx, env, c, "incidents close ID", args, func() bool { return true })
	if err != nil {
		return err
	}
	x, printed, err := call(c, func(cl *client.Client) (*vigil.Incident, error) { return cl.CloseIncident(ctx, id) })
	if err != nil || printed {
		return err
	}
	if x.EvidenceID == 0 {
		fmt.Fprintf(env.stdout, "%s closed; its record is not sealed yet (adopt IR-02; the hourly job seals it)\n", x.Key)
		return nil
	}
	fmt.Fprintf(env.stdout, "%s closed; record sealed as evidence %d\n", x.Key, x.EvidenceID)
	return nil
}

const exercisesUsage = "Usage: vigil exercises list\n" +
	"       vigil exercises record --kind tabletop|dr|restore --scenario S --date YYYY-MM-DD --participants P --tested T --results R --outcome passed|partial|failed [--findings F] [--actions A] [--file F ...]"

func runExercises(ctx context.Context, env *cliEnv, args []string) error {
	return dispatch(ctx, env, args, "list", exercisesUsage,
		verb{"list", exercisesList},
		verb{"record", exercisesRecord})
}

// exercisesList is `vigil exercises list`.
func exercisesList(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "exercises list", "exercises list")
	if err := c.parse(args); err != nil {
		return err
	}
	page, printed, err := call(c, func(cl *client.Client) (*api.Page[vigil.Exercise], error) { return cl.ListExercises(ctx) })
	if err != nil || printed {
		return err
	}
	var rows [][]string
	for _, e := range page.Items {
		ev := make([]string, 0, len(e.EvidenceIDs))
		for _, id := range e.EvidenceIDs {
			ev = append(ev, strconv.FormatInt(id, 10))
		}
		rows = append(rows, []string{e.Key, string(e.Kind), e.Kind.Control(), string(e.Date), string(e.Outcome), strings.Join(ev, ","), e.Scenario})
	}
	table(env.stdout, []string{"KEY", "KIND", "CONTROL", "DATE", "OUTCOME", "EVIDENCE", "SCENARIO"}, rows)
	return nil
}

type fileList []string

func (l *fileList) String() string     { return strings.Join(*l, ",") }
func (l *fileList) Set(v string) error { *l = append(*l, v); return nil }

// exercisesRecord is `vigil exercises record`: each file is uploaded as
// evidence of the kind's control, then the exercise names them.
func exercisesRecord(ctx context.Context, env *cliEnv, args []string) error {
	usage := "exercises record --kind tabletop|dr|restore --scenario S --date YYYY-MM-DD --participants P --tested T --results R --outcome passed|partial|failed [--findings F] [--actions A] [--file F ...]"
	c := newAPICommand(env, "exercises record", usage)
	kind := c.String("kind", "", "tabletop (IR-03), dr (BC-04) or restore (BC-02)")
	scenario := c.String("scenario", "", "the scenario")
	date := c.String("date", "", "when, YYYY-MM-DD")
	participants := c.String("participants", "", "who took part")
	tested := c.String("tested", "", "what was tested")
	results := c.String("results", "", "the results")
	outcome := c.String("outcome", "", "passed, partial or failed")
	findings := c.String("findings", "", "findings")
	actions := c.String("actions", "", "actions")
	var files fileList
	c.Var(&files, "file", "an evidence file (report, logs), uploaded into the ledger (repeat for each)")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 0 || *kind == "" {
		fmt.Fprintln(env.stderr, "Usage: vigil "+usage)
		return errUsage
	}
	req := &api.ExerciseRequest{Kind: vigil.ExerciseKind(*kind), Scenario: *scenario, Date: *date, Participants: *participants, Tested: *tested,
		Results: *results, Outcome: vigil.ExerciseOutcome(*outcome), Findings: *findings, Actions: *actions}
	ctl := req.Kind.Control()
	if ctl == "" {
		return &vigil.Error{Code: vigil.EINVALID, Field: "kind", Message: fmt.Sprintf("kind must be tabletop, dr or restore, got %q", *kind)}
	}
	if len(files) > 0 {
		cl, err := c.client()
		if err != nil {
			return err
		}
		for _, file := range files {
			ev, err := uploadExerciseFile(ctx, cl, file, ctl, *kind, *date)
			if err != nil {
				return err
			}
			req.EvidenceIDs = append(req.EvidenceIDs, ev.ID)
		}
	}
	e, printed, err := call(c, func(cl *client.Client) (*vigil.Exercise, error) { return cl.RecordExercise(ctx, req) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "recorded %s (%s, %s, %s) with %d evidence items\n", e.Key, e.Kind, e.Date, e.Outcome, len(e.EvidenceIDs))
	return nil
}

func uploadExerciseFile(ctx context.Context, cl *client.Client, file, control, kind, date string) (*vigil.Evidence, error) {
	f, size, sum, err := openHashed(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	q := url.Values{"filename": {filepath.Base(file)}, "effective_start": {date}, "control": {control}, "title": {kind + " exercise on " + date + ": " + filepath.Base(file)}}
	return cl.UploadEvidence(ctx, q, vigil.MediaTypeFor(file), size, sum, f)
}
