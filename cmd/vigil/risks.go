package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/client"
)

const risksUsage = "Usage: vigil risks list [--category C] [--treatment T] [--q TEXT]\n" +
	"       vigil risks library\n" +
	"       vigil risks add --title T --likelihood N --impact N [--category C] [--owner USER] | --library ID[,ID...] [--owner USER]\n" +
	"       vigil risks show ID\n" +
	"       vigil risks score ID [--likelihood N] [--impact N] [--residual-likelihood N] [--residual-impact N] [--treatment T] [--plan TEXT] [--review YYYY-MM-DD] [--controls ID,ID] [--owner USER]\n" +
	"       vigil risks accept ID --approver USER --expires YYYY-MM-DD [--note TEXT]\n" +
	"       vigil risks approve ID\n" +
	"       vigil risks assess --method TEXT --participant NAME [--participant NAME ...] [--date YYYY-MM-DD] [--months N]\n" +
	"       vigil risks assessments\n" +
	"       vigil risks sign ASSESSMENT\n" +
	"       vigil risks import FILE|- [--yes]"

func runRisks(ctx context.Context, env *cliEnv, args []string) error {
	return dispatch(ctx, env, args, "list", risksUsage,
		verb{"list", risksList},
		verb{"library", risksLibrary},
		verb{"add", risksAdd},
		verb{"show", risksShow},
		verb{"score", risksScore},
		verb{"accept", risksAccept},
		verb{"approve", risksApprove},
		verb{"assess", risksAssess},
		verb{"assessments", risksAssessments},
		verb{"sign", risksSign},
		verb{"import", risksImport})
}

func residual(r *vigil.Risk) string {
	if r.ResidualScore() == 0 {
		return "-"
	}
	return fmt.Sprintf("%d×%d=%d", r.ResidualLikelihood, r.ResidualImpact, r.ResidualScore())
}

// risksList is `vigil risks list`.
func risksList(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "risks list", "risks list [--category C] [--treatment T] [--q TEXT]")
	cat := c.String("category", "", "only this category (e.g. fraud)")
	treat := c.String("treatment", "", "mitigate, accept, transfer, avoid, or none")
	q := c.String("q", "", "search in key, title, description and asset")
	if err := c.parse(args); err != nil {
		return err
	}
	query := url.Values{}
	for k, v := range map[string]string{"category": *cat, "treatment": *treat, "q": *q} {
		if v != "" {
			query.Set(k, v)
		}
	}
	page, printed, err := call(c, func(cl *client.Client) (*api.Page[vigil.Risk], error) { return cl.ListRisks(ctx, query) })
	if err != nil || printed {
		return err
	}
	var rows [][]string
	for i := range page.Items {
		x := &page.Items[i]
		rows = append(rows, []string{strconv.FormatInt(x.ID, 10), x.Key, x.Title, string(x.Category), orDash(x.OwnerName),
			fmt.Sprintf("%d×%d=%d", x.Likelihood, x.Impact, x.InherentScore()), residual(x), orDash(string(x.Treatment)), orDash(string(x.ReviewDate))})
	}
	table(env.stdout, []string{"ID", "KEY", "TITLE", "CATEGORY", "OWNER", "INHERENT", "RESIDUAL", "TREATMENT", "REVIEW"}, rows)
	return nil
}

// risksLibrary is `vigil risks library`.
func risksLibrary(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "risks library", "risks library")
	if err := c.parse(args); err != nil {
		return err
	}
	lib, printed, err := call(c, func(cl *client.Client) (*api.RiskLibrary, error) { return cl.RiskLibrary(ctx) })
	if err != nil || printed {
		return err
	}
	var rows [][]string
	for _, l := range lib.Items {
		rows = append(rows, []string{l.ID, l.Title, string(l.Category), fmt.Sprintf("%d×%d", l.Likelihood, l.Impact), strings.Join(l.Controls, ",")})
	}
	table(env.stdout, []string{"ID", "TITLE", "CATEGORY", "SCORE", "CONTROLS"}, rows)
	return nil
}

// risksAdd is `vigil risks add`: one risk, or library risks by id.
func risksAdd(ctx context.Context, env *cliEnv, args []string) error {
	usage := "risks add --title T --likelihood N --impact N [--category C] [--owner USER] | --library ID[,ID...] [--owner USER]"
	c := newAPICommand(env, "risks add", usage)
	lib := c.String("library", "", "library risk ids, comma-separated (vigil risks library)")
	title := c.String("title", "", "the risk's title")
	cat := c.String("category", "", "category (default security)")
	desc := c.String("description", "", "description")
	asset := c.String("asset", "", "the asset or system at risk")
	l := c.Int("likelihood", 0, "inherent likelihood, 1 to 5")
	i := c.Int("impact", 0, "inherent impact, 1 to 5")
	owner := c.String("owner", "", "owner: a user id or email")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 0 || (*lib == "") == (*title == "") {
		fmt.Fprintln(env.stderr, "Usage: vigil "+usage)
		return errUsage
	}
	var ownerID int64
	if *owner != "" {
		var err error
		if ownerID, err = c.ownerID(ctx, *owner); err != nil {
			return err
		}
	}
	if *lib != "" {
		req := &api.RiskLibraryRequest{IDs: strings.Split(*lib, ","), OwnerID: ownerID}
		page, printed, err := call(c, func(cl *client.Client) (*api.Page[vigil.Risk], error) { return cl.AddLibraryRisks(ctx, req) })
		if err != nil || printed {
			return err
		}
		for _, x := range page.Items {
			fmt.Fprintf(env.stdout, "added %s %s (id %d), controls %s\n", x.Key, x.Title, x.ID, orDash(strings.Join(x.Controls, ",")))
		}
		return nil
	}
	req := &api.RiskRequest{Title: *title, Category: vigil.RiskCategory(*cat), Description: *desc, Asset: *asset, Likelihood: *l, Impact: *i, OwnerID: ownerID}
	x, printed, err := call(c, func(cl *client.Client) (*vigil.Risk, error) { return cl.CreateRisk(ctx, req) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "added %s %s (id %d)\n", x.Key, x.Title, x.ID)
	return nil
}

func riskArg(c *apiCommand, env *cliEnv, usage string) (int64, error) {
	if c.NArg() != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil "+usage)
		return 0, errUsage
	}
	return argID("id", c.Arg(0))
}

func printRisk(env *cliEnv, x *vigil.Risk) {
	fmt.Fprintf(env.stdout, "%s %s (%s)\n", x.Key, x.Title, x.Category)
	fmt.Fprintf(env.stdout, "owner: %s\ninherent: %d×%d=%d\nresidual: %s\ntreatment: %s\nreview: %s\ncontrols: %s\n", orDash(x.OwnerName),
		x.Likelihood, x.Impact, x.InherentScore(), residual(x), orDash(string(x.Treatment)), orDash(string(x.ReviewDate)), orDash(strings.Join(x.Controls, ",")))
	if x.Treatment == vigil.TreatAccept {
		state := "pending approval"
		if x.AcceptedAt != nil {
			state = "approved " + x.AcceptedAt.UTC().Format("2006-01-02")
		}
		fmt.Fprintf(env.stdout, "acceptance: approver %s, until %s, %s\n", x.ApproverName, x.AcceptanceExpires, state)
	}
}

// risksShow is `vigil risks show ID`.
func risksShow(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "risks show", "risks show ID")
	if err := c.parse(args); err != nil {
		return err
	}
	id, err := riskArg(c, env, "risks show ID")
	if err != nil {
		return err
	}
	x, printed, err := call(c, func(cl *client.Client) (*vigil.Risk, error) { return cl.GetRisk(ctx, id) })
	if err != nil || printed {
		return err
	}
	printRisk(env, x)
	return nil
}

// risksScore is `vigil risks score ID`: only the flags given change.
func risksScore(ctx context.Context, env *cliEnv, args []string) error {
	usage := "risks score ID [--likelihood N] [--impact N] [--residual-likelihood N] [--residual-impact N] [--treatment T] [--plan TEXT] [--review YYYY-MM-DD] [--controls ID,ID] [--owner USER]"
	c := newAPICommand(env, "risks score", usage)
	ints := map[string]*int{}
	for _, name := range []string{"likelihood", "impact", "residual-likelihood", "residual-impact"} {
		ints[name] = c.Int(name, 0, strings.ReplaceAll(name, "-", " ")+", 1 to 5")
	}
	treat := c.String("treatment", "", "mitigate, transfer or avoid (accept: vigil risks accept)")
	plan := c.String("plan", "", "the treatment plan")
	review := c.String("review", "", "next review date, YYYY-MM-DD")
	ctls := c.String("controls", "", "the controls that treat it, comma-separated (replaces the links)")
	owner := c.String("owner", "", "owner: a user id or email")
	if err := c.parse(args); err != nil {
		return err
	}
	id, err := riskArg(c, env, usage)
	if err != nil {
		return err
	}
	p := &vigil.RiskPatch{}
	set := map[string]bool{}
	c.Visit(func(f *flag.Flag) { set[f.Name] = true })
	dst := map[string]**int{"likelihood": &p.Likelihood, "impact": &p.Impact, "residual-likelihood": &p.ResidualLikelihood, "residual-impact": &p.ResidualImpact}
	for name, v := range ints {
		if set[name] {
			*dst[name] = v
		}
	}
	if set["treatment"] {
		t := vigil.RiskTreatment(*treat)
		p.Treatment = &t
	}
	if set["plan"] {
		p.TreatmentPlan = plan
	}
	if set["review"] {
		d := vigil.Date(*review)
		p.ReviewDate = &d
	}
	if set["controls"] {
		var ids []string
		for _, s := range strings.Split(*ctls, ",") {
			if s = strings.TrimSpace(s); s != "" {
				ids = append(ids, s)
			}
		}
		p.Controls = &ids
	}
	if set["owner"] {
		o, err := c.ownerID(ctx, *owner)
		if err != nil {
			return err
		}
		p.OwnerID = &o
	}
	x, printed, err := call(c, func(cl *client.Client) (*vigil.Risk, error) { return cl.UpdateRisk(ctx, id, p) })
	if err != nil || printed {
		return err
	}
	printRisk(env, x)
	return nil
}

// risksAccept is `vigil risks accept ID`.
func risksAccept(ctx context.Context, env *cliEnv, args []string) error {
	usage := "risks accept ID --approver USER --expires YYYY-MM-DD [--note TEXT]"
	c := newAPICommand(env, "risks accept", usage)
	approver := c.String("approver", "", "who approves: a user id or email, not the owner")
	expires := c.String("expires", "", "when the acceptance ends, YYYY-MM-DD")
	note := c.String("note", "", "why the risk is accepted")
	if err := c.parse(args); err != nil {
		return err
	}
	id, err := riskArg(c, env, usage)
	if err != nil {
		return err
	}
	req := &api.AcceptanceRequest{Expires: vigil.Date(*expires), Note: *note}
	if *approver != "" {
		if req.ApproverID, err = c.ownerID(ctx, *approver); err != nil {
			return err
		}
	}
	x, printed, err := call(c, func(cl *client.Client) (*vigil.Risk, error) { return cl.AcceptRisk(ctx, id, req) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "%s: acceptance until %s awaits the approval of %s\n", x.Key, x.AcceptanceExpires, x.ApproverName)
	return nil
}

// risksApprove is `vigil risks approve ID`, by the approver named.
func risksApprove(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "risks approve", "risks approve ID")
	if err := c.parse(args); err != nil {
		return err
	}
	id, err := riskArg(c, env, "risks approve ID")
	if err != nil {
		return err
	}
	x, printed, err := call(c, func(cl *client.Client) (*vigil.Risk, error) { return cl.ApproveRiskAcceptance(ctx, id) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "%s: acceptance approved until %s\n", x.Key, x.AcceptanceExpires)
	return nil
}

// risksAssess is `vigil risks assess`: records the register as it stands.
func risksAssess(ctx context.Context, env *cliEnv, args []string) error {
	usage := "risks assess --method TEXT --participant NAME [--participant NAME ...] [--date YYYY-MM-DD] [--months N]"
	c := newAPICommand(env, "risks assess", usage)
	method := c.String("method", "", "how the assessment was done")
	var parts userList
	c.Var(&parts, "participant", "who took part (repeat)")
	date := c.String("date", "", "when, YYYY-MM-DD (default today)")
	months := c.Int("months", vigil.DefaultAssessmentMonths, "months until the next is due")
	if err := c.parse(args); err != nil {
		return err
	}
	req := &api.RiskAssessmentRequest{Method: *method, Participants: parts, PerformedOn: vigil.Date(*date), Months: *months}
	a, printed, err := call(c, func(cl *client.Client) (*vigil.RiskAssessment, error) { return cl.RunRiskAssessment(ctx, req) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "%s (id %d) records %d risks; sign it off with vigil risks sign %d\n", a.Key, a.ID, len(a.Register), a.ID)
	return nil
}

// risksAssessments is `vigil risks assessments`.
func risksAssessments(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "risks assessments", "risks assessments")
	if err := c.parse(args); err != nil {
		return err
	}
	list, printed, err := call(c, func(cl *client.Client) (*api.RiskAssessments, error) { return cl.ListRiskAssessments(ctx) })
	if err != nil || printed {
		return err
	}
	var rows [][]string
	for _, a := range list.Items {
		signed := "not signed"
		if a.SignedAt != nil {
			signed = a.SignedByName + " " + a.SignedAt.UTC().Format("2006-01-02") + ", evidence " + strconv.FormatInt(a.EvidenceID, 10)
		}
		rows = append(rows, []string{strconv.FormatInt(a.ID, 10), a.Key, string(a.PerformedOn), strconv.Itoa(len(a.Register)), string(a.NextDue), signed})
	}
	table(env.stdout, []string{"ID", "KEY", "PERFORMED", "RISKS", "NEXT DUE", "SIGNED"}, rows)
	return nil
}

// risksSign is `vigil risks sign ASSESSMENT`.
func risksSign(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "risks sign", "risks sign ASSESSMENT")
	if err := c.parse(args); err != nil {
		return err
	}
	id, err := riskArg(c, env, "risks sign ASSESSMENT")
	if err != nil {
		return err
	}
	a, printed, err := call(c, func(cl *client.Client) (*vigil.RiskAssessment, error) { return cl.SignRiskAssessment(ctx, id) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "%s signed and sealed into the evidence ledger as evidence %d; the next is due %s\n", a.Key, a.EvidenceID, a.NextDue)
	return nil
}

// risksImport is `vigil risks import FILE`: a dry run listing every bad
// row, and with --yes (and a clean file) the import itself, all or none.
func risksImport(ctx context.Context, env *cliEnv, args []string) error {
	usage := "risks import FILE|- [--yes]"
	c := newAPICommand(env, "risks import", usage)
	yes := c.Bool("yes", false, "import a clean file (without: a dry run)")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil "+usage)
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
	b, err := io.ReadAll(io.LimitReader(r, vigil.MaxRiskCSV+1))
	if err != nil {
		return err
	}
	send := func(confirm string) (*vigil.RiskImport, bool, error) {
		q := url.Values{}
		if confirm != "" {
			q.Set("confirm", confirm)
		}
		return call(c, func(cl *client.Client) (*vigil.RiskImport, error) {
			return cl.ImportRisks(ctx, q, "text/csv", int64(len(b)), "", bytes.NewReader(b))
		})
	}
	res, printed, err := send("")
	if err != nil || printed {
		return err
	}
	if len(res.Errors) > 0 {
		return rowErrors(env.stderr, res.Errors)
	}
	if !*yes {
		fmt.Fprintf(env.stdout, "%d risks would be added; nothing is imported until you run this again with --yes\n", len(res.Rows))
		return nil
	}
	if res, _, err = send(res.SHA256); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "imported %d risks: %s\n", len(res.Keys), strings.Join(res.Keys, ", "))
	return nil
}
