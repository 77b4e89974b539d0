package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/client"
)

const policiesUsage = "Usage: vigil policies list\n" +
	"       vigil policies templates\n" +
	"       vigil policies show ID [--text]\n" +
	"       vigil policies adopt TEMPLATE --owner USER --approver USER [--approver USER ...] [--quorum N] [--review-months N]\n" +
	"       vigil policies edit ID --file FILE|- [--summary TEXT]\n" +
	"       vigil policies new-version ID --file FILE|- [--summary TEXT]\n" +
	"       vigil policies submit ID\n" +
	"       vigil policies approve ID [--comment TEXT]\n" +
	"       vigil policies reject ID --reason TEXT\n" +
	"       vigil policies publish ID [--effective YYYY-MM-DD] [--not-material]\n" +
	"       vigil policies review ID --comment TEXT\n" +
	"       vigil policies acknowledge ID\n" +
	"       vigil policies roster ID\n" +
	"       vigil policies remind ID\n" +
	"       vigil policies upload FILE --owner USER --approver USER ... [--title T] [--quorum N]\n" +
	"       vigil policies export POLICY [--version N] [--format pdf|html] -o FILE\n" +
	"       vigil policies export --all [--format pdf|zip] -o FILE"

func runPolicies(ctx context.Context, env *cliEnv, args []string) error {
	return dispatch(ctx, env, args, "list", policiesUsage,
		verb{"list", policiesList},
		verb{"templates", policiesTemplates},
		verb{"show", policiesShow},
		verb{"adopt", policiesAdopt},
		namedVerb("edit", policiesText),
		namedVerb("new-version", policiesText),
		namedVerb("submit", policiesStep),
		namedVerb("approve", policiesStep),
		namedVerb("reject", policiesStep),
		namedVerb("publish", policiesStep),
		namedVerb("review", policiesStep),
		verb{"acknowledge", policiesAcknowledge},
		verb{"roster", policiesRoster},
		verb{"remind", policiesRemind},
		verb{"upload", policiesUpload},
		verb{"export", policiesExport})
}

func policyRow(p api.PolicyView) []string {
	inForce, latest := "-", "-"
	if p.Published != nil {
		inForce = "v" + strconv.Itoa(p.Published.Number) + " from " + p.Published.Effective
	}
	if p.Latest != nil {
		latest = "v" + strconv.Itoa(p.Latest.Number) + " " + string(p.Latest.State)
	}
	return []string{strconv.FormatInt(p.ID, 10), p.Key, p.Title, p.OwnerName, inForce, latest, p.ReviewState, orDash(p.ReviewDue)}
}

var policyHeader = []string{"ID", "KEY", "TITLE", "OWNER", "IN FORCE", "NEWEST", "REVIEW", "DUE"}

// policiesList is `vigil policies list`.
func policiesList(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "policies list", "policies list")
	if err := c.parse(args); err != nil {
		return err
	}
	page, printed, err := call(c, func(cl *client.Client) (*api.Page[api.PolicyView], error) { return cl.ListPolicies(ctx) })
	if err != nil || printed {
		return err
	}
	var rows [][]string
	for _, p := range page.Items {
		rows = append(rows, policyRow(p))
	}
	table(env.stdout, policyHeader, rows)
	return nil
}

// policiesTemplates is `vigil policies templates`.
func policiesTemplates(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "policies templates", "policies templates")
	if err := c.parse(args); err != nil {
		return err
	}
	page, printed, err := call(c, func(cl *client.Client) (*api.Page[api.PolicyTemplate], error) { return cl.ListPolicyTemplates(ctx) })
	if err != nil || printed {
		return err
	}
	var rows [][]string
	for _, t := range page.Items {
		rows = append(rows, []string{t.ID, t.Title, strings.Join(t.Controls, " ")})
	}
	table(env.stdout, []string{"TEMPLATE", "TITLE", "CONTROLS"}, rows)
	return nil
}

// policiesShow is `vigil policies show ID`.
func policiesShow(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "policies show", "policies show ID [--text]")
	text := c.Bool("text", false, "print the newest version's Markdown")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil policies show ID [--text]")
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
	if *text && p.Latest != nil {
		fmt.Fprint(env.stdout, p.Latest.Body)
		return nil
	}
	table(env.stdout, policyHeader, [][]string{policyRow(*p)})
	if v := p.Latest; v != nil {
		fmt.Fprintf(env.stdout, "\nversion %d: %s, sha256 %s\n", v.Number, v.State, v.SHA256)
		for _, a := range v.Approvals {
			review := ""
			if a.Review > 0 {
				review = fmt.Sprintf(" (review %d)", a.Review)
			}
			fmt.Fprintf(env.stdout, "  approved by %s at %s%s %s\n", a.Name, a.At.UTC().Format("2006-01-02 15:04"), review, oneLine(a.Comment))
		}
	}
	return nil
}

// userList collects repeated --approver flags.
type userList []string

func (u *userList) String() string     { return strings.Join(*u, ",") }
func (u *userList) Set(v string) error { *u = append(*u, v); return nil }

// policiesAdopt is `vigil policies adopt TEMPLATE`.
func policiesAdopt(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "policies adopt", "policies adopt TEMPLATE --owner USER --approver USER ... [--quorum N] [--review-months N]")
	owner := c.String("owner", "", "who maintains the policy: a user id or email")
	var approvers userList
	c.Var(&approvers, "approver", "an approver, a user id or email (repeat for each)")
	quorum := c.Int("quorum", 1, "how many approvers must approve a version")
	months := c.Int("review-months", 12, "review cycle in months")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 || *owner == "" {
		fmt.Fprintln(env.stderr, "Usage: vigil policies adopt TEMPLATE --owner USER --approver USER [--approver USER ...] (vigil policies templates lists them)")
		return errUsage
	}
	req := &api.PolicyAdoptRequest{Template: c.Arg(0), Quorum: *quorum, ReviewMonths: *months}
	var err error
	if req.OwnerID, err = c.ownerID(ctx, *owner); err != nil {
		return err
	}
	for _, a := range approvers {
		id, err := c.ownerID(ctx, a)
		if err != nil {
			return fmt.Errorf("--approver %s: %w", a, err)
		}
		req.Approvers = append(req.Approvers, id)
	}
	p, printed, err := call(c, func(cl *client.Client) (*api.PolicyView, error) { return cl.AdoptPolicy(ctx, req) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "adopted %s %s (id %d) as a draft: edit it (vigil policies edit %d --file F), then vigil policies submit %d\n", p.Key, p.Title, p.ID, p.ID, p.ID)
	return nil
}

// readText reads Markdown from a file, or standard input for "-".
func readText(env *cliEnv, name string) (string, error) {
	var r io.Reader = env.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	// A little over the largest policy text the server takes, so that one
	// too big is refused by the server with its message.
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	return string(b), err
}

// policiesText is `vigil policies edit | new-version ID --file F`.
func policiesText(ctx context.Context, env *cliEnv, verb string, args []string) error {
	c := newAPICommand(env, "policies "+verb, "policies "+verb+" ID --file FILE|- [--summary TEXT]")
	file := c.String("file", "", "the Markdown text: a file, or - for standard input")
	summary := c.String("summary", "", "what changed")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 || *file == "" {
		fmt.Fprintf(env.stderr, "Usage: vigil policies %s ID --file FILE|- [--summary TEXT]\n", verb)
		return errUsage
	}
	id, err := argID("id", c.Arg(0))
	if err != nil {
		return err
	}
	body, err := readText(env, *file)
	if err != nil {
		return err
	}
	req := &api.PolicyTextRequest{Body: body, ChangeSummary: *summary}
	p, printed, err := call(c, func(cl *client.Client) (*api.PolicyView, error) {
		if verb == "edit" {
			return cl.EditPolicy(ctx, id, req)
		}
		return cl.NewPolicyVersion(ctx, id, req)
	})
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "%s version %d saved as a draft (sha256 %s)\n", p.Key, p.Latest.Number, p.Latest.SHA256)
	return nil
}

// policiesStep is `vigil policies submit | approve | reject | publish | review ID`.
func policiesStep(ctx context.Context, env *cliEnv, verb string, args []string) error {
	c := newAPICommand(env, "policies "+verb, "policies "+verb+" ID")
	comment := c.String("comment", "", "approve: a comment; review: what the review covered")
	reason := c.String("reason", "", "reject: why the version goes back")
	effective := c.String("effective", "", "publish: the date it takes effect (default today)")
	notMaterial := c.Bool("not-material", false, "publish: people need not acknowledge this version again (a correction)")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		fmt.Fprintf(env.stderr, "Usage: vigil policies %s ID\n", verb)
		return errUsage
	}
	id, err := argID("id", c.Arg(0))
	if err != nil {
		return err
	}
	var done *bool
	p, printed, err := call(c, func(cl *client.Client) (*api.PolicyView, error) {
		switch verb {
		case "submit":
			return cl.SubmitPolicy(ctx, id)
		case "approve":
			return cl.ApprovePolicy(ctx, id, &api.PolicyCommentRequest{Comment: *comment})
		case "reject":
			return cl.RejectPolicy(ctx, id, &api.PolicyCommentRequest{Comment: *reason})
		case "publish":
			material := !*notMaterial
			return cl.PublishPolicy(ctx, id, &api.PolicyPublishRequest{EffectiveDate: *effective, Material: &material})
		}
		a, err := cl.ReviewPolicy(ctx, id, &api.PolicyCommentRequest{Comment: *comment})
		if err != nil {
			return nil, err
		}
		done = &a.Completed
		return &a.PolicyView, nil
	})
	if err != nil || printed {
		return err
	}
	v := p.Latest
	switch verb {
	case "publish":
		fmt.Fprintf(env.stdout, "published %s version %d, effective %s; next review due %s\n", p.Key, p.Published.Number, p.Published.Effective, p.ReviewDue)
	case "review":
		if *done {
			fmt.Fprintf(env.stdout, "the review of %s is complete; next review due %s\n", p.Key, p.ReviewDue)
		} else {
			fmt.Fprintf(env.stdout, "review recorded; %s needs more approvers' reviews\n", p.Key)
		}
	default:
		fmt.Fprintf(env.stdout, "%s version %d is %s (%d of %d approvals)\n", p.Key, v.Number, v.State, len(v.Approvals), p.Quorum)
	}
	return nil
}

// policiesExport is `vigil policies export`: one version (the one in force
// unless --version names another; else the newest) as PDF or HTML, or with
// --all the policies in force as one PDF or a zip.
func policiesExport(ctx context.Context, env *cliEnv, args []string) error {
	const usage = "Usage: vigil policies export POLICY [--version N] [--format pdf|html] -o FILE\n" +
		"       vigil policies export --all [--format pdf|zip] -o FILE"
	c := newAPICommand(env, "policies export", "policies export POLICY|--all -o FILE")
	all := c.Bool("all", false, "every policy in force (retired and unpublished ones are listed as left out)")
	version := c.Int("version", 0, "the version to export (default: the one in force, else the newest)")
	format := c.String("format", "pdf", "pdf or html for a version; pdf or zip with --all")
	out := c.String("o", "", "file to write")
	if err := c.parse(args); err != nil {
		return err
	}
	if *out == "" || *all != (c.NArg() == 0) || c.NArg() > 1 || *all && *version != 0 {
		fmt.Fprintln(env.stderr, usage)
		return errUsage
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	q := url.Values{"format": {*format}}
	if *all {
		if err := writeFileAtomic(*out, func(w io.Writer) error { return cl.ExportPolicies(ctx, q, w) }); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "wrote %s\n", *out)
		return nil
	}
	p, err := findPolicy(ctx, cl, c.Arg(0))
	if err != nil {
		return err
	}
	n := *version
	switch {
	case n != 0:
	case p.Published != nil:
		n = p.Published.Number
	case p.Latest != nil:
		n = p.Latest.Number
	}
	if err := writeFileAtomic(*out, func(w io.Writer) error {
		return cl.ExportPolicyVersion(ctx, p.ID, strconv.Itoa(n), q, w)
	}); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote %s version %d to %s\n", p.Key, n, *out)
	return nil
}

// findPolicy finds a policy by its id or its key (POL-001).
func findPolicy(ctx context.Context, cl *client.Client, ref string) (*api.PolicyView, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
		return cl.GetPolicy(ctx, id)
	}
	page, err := cl.ListPolicies(ctx)
	if err != nil {
		return nil, err
	}
	for i := range page.Items {
		if strings.EqualFold(page.Items[i].Key, ref) {
			return &page.Items[i], nil
		}
	}
	return nil, fmt.Errorf("no policy %q: give its id or key (vigil policies list)", ref)
}

// policiesUpload is `vigil policies upload FILE`: a draft policy from an
// existing document (Markdown, text, HTML, PDF or DOCX).
func policiesUpload(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "policies upload", "policies upload FILE --owner USER --approver USER ... [--title T] [--quorum N] [--review-months N]")
	owner := c.String("owner", "", "who maintains the policy: a user id or email")
	var approvers userList
	c.Var(&approvers, "approver", "an approver, a user id or email (repeat for each)")
	title := c.String("title", "", "title (default: the file name)")
	quorum := c.Int("quorum", 1, "how many approvers must approve a version")
	months := c.Int("review-months", 12, "review cycle in months")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 || *owner == "" {
		fmt.Fprintln(env.stderr, "Usage: vigil policies upload FILE --owner USER --approver USER [--approver USER ...] [--title T] [--quorum N]")
		return errUsage
	}
	f, err := os.Open(c.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 20<<20+1))
	if err != nil {
		return err
	}
	q := url.Values{"filename": {filepath.Base(c.Arg(0))}, "title": {*title}, "quorum": {strconv.Itoa(*quorum)}, "review_months": {strconv.Itoa(*months)}}
	id, err := c.ownerID(ctx, *owner)
	if err != nil {
		return err
	}
	q.Set("owner_id", strconv.FormatInt(id, 10))
	for _, a := range approvers {
		id, err := c.ownerID(ctx, a)
		if err != nil {
			return fmt.Errorf("--approver %s: %w", a, err)
		}
		q.Add("approvers", strconv.FormatInt(id, 10))
	}
	up, printed, err := call(c, func(cl *client.Client) (*api.PolicyUpload, error) {
		return cl.UploadPolicy(ctx, q, "application/octet-stream", int64(len(b)), "", bytes.NewReader(b))
	})
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "uploaded %s as %s %s (id %d), a draft from %s (sha256 %s)\n", c.Arg(0), up.Policy.Key, up.Policy.Title, up.Policy.ID, up.Kind, up.SHA256)
	if up.EvidenceID != 0 {
		fmt.Fprintf(env.stdout, "the document is evidence item %d; the draft names it by its SHA-256\n", up.EvidenceID)
	}
	return nil
}
