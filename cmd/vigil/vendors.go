package main

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/client"
)

const vendorsUsage = "Usage: vigil vendors list\n" +
	"       vigil vendors add NAME [--service S] [--owner USER] [--tier T] [--data C,C] [--status S] [--subprocessor] [--subservice] [--location L]\n" +
	"       vigil vendors show ID\n" +
	"       vigil vendors document ID --kind K --file FILE [--title T] [--period-end D] [--report-type type2] [--opinion unqualified] [--expires D] [--cuec TEXT ...]\n" +
	"       vigil vendors review-document DOC --conclusion C [--note N]\n" +
	"       vigil vendors map-cuec CUEC CONTROL[,CONTROL]\n" +
	"       vigil vendors questionnaire send ID --contact EMAIL [--template baseline|extended] [--days N] [--thread ID] [--message M]\n" +
	"       vigil vendors review QUESTIONNAIRE --conclusion C [--note N]\n" +
	"       vigil vendors subprocessors\n" +
	"       vigil vendors import FILE.csv [--confirm]\n" +
	"       vigil vendors suggestions\n" +
	"       vigil vendors confirm SUGGESTION [--name N] [--service S] [--owner USER]\n" +
	"       vigil vendors dismiss SUGGESTION"

func runVendors(ctx context.Context, env *cliEnv, args []string) error {
	return dispatch(ctx, env, args, "list", vendorsUsage,
		verb{"list", vendorsList},
		verb{"add", vendorsAdd},
		verb{"show", vendorsShow},
		verb{"document", vendorsDocument},
		verb{"review-document", vendorsReviewDocument},
		verb{"map-cuec", vendorsMapCUEC},
		verb{"questionnaire", vendorsQuestionnaire},
		verb{"review", vendorsReview},
		verb{"subprocessors", vendorsSubprocessors},
		verb{"import", vendorsImport},
		verb{"suggestions", vendorsSuggestions},
		verb{"confirm", vendorsConfirm},
		verb{"dismiss", vendorsDismiss})
}

// repeated collects a flag given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ", ") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func dataList(cs []vigil.DataCategory) string {
	var out []string
	for _, c := range cs {
		out = append(out, string(c))
	}
	return orDash(strings.Join(out, ","))
}

// vendorsList is `vigil vendors list`.
func vendorsList(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "vendors list", "vendors list")
	if err := c.parse(args); err != nil {
		return err
	}
	page, printed, err := call(c, func(cl *client.Client) (*api.Page[api.VendorRow], error) { return cl.ListVendors(ctx) })
	if err != nil || printed {
		return err
	}
	var rows [][]string
	for _, v := range page.Items {
		rows = append(rows, []string{strconv.FormatInt(v.ID, 10), v.Key, v.Name, orDash(string(v.Tier)), string(v.Status), orDash(v.OwnerName),
			dataList(v.DataShared), v.Review.State, string(v.Expiry)})
	}
	table(env.stdout, []string{"ID", "KEY", "NAME", "TIER", "STATUS", "OWNER", "DATA", "REVIEW", "DOCUMENTS"}, rows)
	return nil
}

// vendorsAdd is `vigil vendors add NAME`.
func vendorsAdd(ctx context.Context, env *cliEnv, args []string) error {
	usage := "vendors add NAME [--service S] [--owner USER] [--tier T] [--data C,C] [--status S] [--subprocessor] [--subservice] [--location L]"
	c := newAPICommand(env, "vendors add", usage)
	service := c.String("service", "", "what the vendor provides")
	purpose := c.String("purpose", "", "why the organization uses it")
	owner := c.String("owner", "", "who owns the relationship: a user id or email")
	tier := c.String("tier", "", "critical, high, medium or low")
	data := c.String("data", "", "data shared, comma-separated: none, public, internal, confidential, restricted, customer_data, personal_data")
	status := c.String("status", "", "onboarding (default), active or offboarded")
	sub := c.Bool("subprocessor", false, "a subprocessor of customer personal data")
	subsvc := c.Bool("subservice", false, "a subservice organization in the audit's sense")
	loc := c.String("location", "", "where it processes data")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil "+usage)
		return errUsage
	}
	req := &api.VendorRequest{Name: c.Arg(0), Service: *service, Purpose: *purpose, Tier: vigil.VendorTier(*tier), Status: vigil.VendorStatus(*status),
		Subprocessor: *sub, Subservice: *subsvc, Location: *loc}
	for _, d := range strings.Split(*data, ",") {
		if d = strings.TrimSpace(d); d != "" {
			req.DataShared = append(req.DataShared, vigil.DataCategory(d))
		}
	}
	if *owner != "" {
		id, err := c.ownerID(ctx, *owner)
		if err != nil {
			return err
		}
		req.OwnerID = id
	}
	v, printed, err := call(c, func(cl *client.Client) (*vigil.Vendor, error) { return cl.CreateVendor(ctx, req) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "added %s %s (id %d)\n", v.Key, v.Name, v.ID)
	return nil
}

// vendorsShow is `vigil vendors show ID`.
func vendorsShow(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "vendors show", "vendors show ID")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil vendors show ID")
		return errUsage
	}
	id, err := argID("id", c.Arg(0))
	if err != nil {
		return err
	}
	d, printed, err := call(c, func(cl *client.Client) (*api.VendorDetail, error) { return cl.GetVendor(ctx, id) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "%s %s: %s\ntier %s, %s, owner %s, data %s, review %s\n", d.Key, d.Name, orDash(d.Service), orDash(string(d.Tier)), d.Status,
		orDash(d.OwnerName), dataList(d.DataShared), d.Review.State)
	var rows [][]string
	for _, x := range d.DocumentList {
		unmapped := len(x.UnmappedCUECs())
		rows = append(rows, []string{strconv.FormatInt(x.ID, 10), string(x.Kind), x.Title, string(x.Expiry), orDash(string(x.ValidUntil)), orDash(string(x.Conclusion)),
			fmt.Sprintf("%d (%d unmapped)", len(x.CUECs), unmapped)})
	}
	fmt.Fprintln(env.stdout)
	table(env.stdout, []string{"DOC", "KIND", "TITLE", "EXPIRY", "VALID UNTIL", "REVIEW", "CUECS"}, rows)
	for _, x := range d.DocumentList {
		for _, cu := range x.CUECs {
			fmt.Fprintf(env.stdout, "  CUEC %d of document %d: %s -> %s\n", cu.ID, x.ID, cu.Text, orDash(strings.Join(cu.Controls, ",")))
		}
	}
	rows = nil
	for _, q := range d.Questionnaires {
		state, score := "sent", "-"
		if q.SubmittedAt != nil {
			state, score = "answered", strconv.Itoa(q.Score)+"%"
		}
		if q.ReviewedAt != nil {
			state = "reviewed: " + string(q.Conclusion)
		}
		rows = append(rows, []string{strconv.FormatInt(q.ID, 10), fmt.Sprintf("#%d/%d", q.ThreadID, q.Round), q.Template, q.Contact, state, score})
	}
	fmt.Fprintln(env.stdout)
	table(env.stdout, []string{"QUESTIONNAIRE", "ROUND", "TEMPLATE", "CONTACT", "STATE", "SCORE"}, rows)
	return nil
}

// vendorsDocument is `vigil vendors document ID --kind K --file FILE`.
func vendorsDocument(ctx context.Context, env *cliEnv, args []string) error {
	usage := "vendors document ID --kind K --file FILE [--title T] [--period-start D] [--period-end D] [--report-type T] [--opinion O] [--expires D] [--exceptions X] [--subservice-org N ...] [--cuec TEXT ...]"
	c := newAPICommand(env, "vendors document", usage)
	kind := c.String("kind", "", "soc2_report, iso27001, bridge_letter, dpa, baa or contract")
	file := c.String("file", "", "the document, sealed into the evidence ledger")
	q := url.Values{}
	strs := map[string]*string{}
	for _, f := range []string{"title", "period-start", "period-end", "report-type", "opinion", "expires", "exceptions"} {
		strs[f] = c.String(f, "", strings.ReplaceAll(f, "-", " "))
	}
	var cuecs, orgs repeated
	c.Var(&cuecs, "cuec", "a complementary user entity control of the report (repeat)")
	c.Var(&orgs, "subservice-org", "a subservice organization the report names (repeat)")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 || *kind == "" || *file == "" {
		fmt.Fprintln(env.stderr, "Usage: vigil "+usage)
		return errUsage
	}
	id, err := argID("id", c.Arg(0))
	if err != nil {
		return err
	}
	q.Set("kind", *kind)
	q.Set("filename", filepath.Base(*file))
	for f, v := range strs {
		if *v != "" {
			q.Set(strings.ReplaceAll(f, "-", "_"), *v)
		}
	}
	q["cuec"], q["subservice_org"] = cuecs, orgs
	f, size, sum, err := openHashed(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	d, printed, err := call(c, func(cl *client.Client) (*vigil.VendorDocument, error) {
		return cl.AddVendorDocument(ctx, id, q, vigil.MediaTypeFor(*file), size, sum, f)
	})
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "added document %d (%s), sealed as evidence %d; review it with vigil vendors review-document %d --conclusion acceptable\n", d.ID, d.Kind, d.EvidenceID, d.ID)
	return nil
}

func reviewFlags(c *apiCommand) (*string, *string) {
	return c.String("conclusion", "", "acceptable, acceptable_with_conditions or unacceptable"), c.String("note", "", "the reviewer's note")
}

// vendorsReviewDocument is `vigil vendors review-document DOC`.
func vendorsReviewDocument(ctx context.Context, env *cliEnv, args []string) error {
	usage := "vendors review-document DOC --conclusion C [--note N]"
	c := newAPICommand(env, "vendors review-document", usage)
	concl, note := reviewFlags(c)
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 || *concl == "" {
		fmt.Fprintln(env.stderr, "Usage: vigil "+usage)
		return errUsage
	}
	id, err := argID("document", c.Arg(0))
	if err != nil {
		return err
	}
	d, printed, err := call(c, func(cl *client.Client) (*vigil.VendorDocument, error) {
		return cl.ReviewVendorDocument(ctx, id, &api.VendorReviewRequest{Conclusion: vigil.Conclusion(*concl), Note: *note})
	})
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "document %d reviewed: %s\n", d.ID, d.Conclusion)
	return nil
}

// vendorsMapCUEC is `vigil vendors map-cuec CUEC CONTROLS`.
func vendorsMapCUEC(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "vendors map-cuec", "vendors map-cuec CUEC CONTROL[,CONTROL]")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 2 {
		fmt.Fprintln(env.stderr, "Usage: vigil vendors map-cuec CUEC CONTROL[,CONTROL] (\"\" to unmap)")
		return errUsage
	}
	id, err := argID("cuec", c.Arg(0))
	if err != nil {
		return err
	}
	var ctls []string
	for _, x := range strings.Split(c.Arg(1), ",") {
		if x = strings.TrimSpace(x); x != "" {
			ctls = append(ctls, x)
		}
	}
	if err := c.do(func(cl *client.Client) error { return cl.MapCUEC(ctx, id, &api.CUECRequest{Controls: ctls}) }); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "CUEC %d mapped to %s\n", id, orDash(strings.Join(ctls, ",")))
	return nil
}

const questionnaireUsage = "Usage: vigil vendors questionnaire send ID --contact EMAIL [--template baseline|extended] [--days N] [--thread ID] [--message M]"

// vendorsQuestionnaire is `vigil vendors questionnaire send`: rounds are
// sent from here; their answers come through the link.
func vendorsQuestionnaire(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fmt.Fprintln(env.stdout, questionnaireUsage)
		return nil
	}
	return dispatch(ctx, env, args, "", questionnaireUsage, verb{"send", vendorsSend})
}

// vendorsSend is `vigil vendors questionnaire send ID`: the link is
// printed once; Vigil keeps only its hash.
func vendorsSend(ctx context.Context, env *cliEnv, args []string) error {
	usage := "vendors questionnaire send ID --contact EMAIL [--template baseline|extended] [--days N] [--thread ID] [--message M]"
	c := newAPICommand(env, "vendors questionnaire send", usage)
	contact := c.String("contact", "", "the vendor contact's email")
	tpl := c.String("template", "baseline", "baseline (15 questions) or extended (40)")
	days := c.Int("days", vigil.QuestionnaireLinkDays, "how long the link works")
	thread := c.Int("thread", 0, "the thread of a follow-up round")
	msg := c.String("message", "", "a message shown with the questions (a follow-up's questions)")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 || *contact == "" {
		fmt.Fprintln(env.stderr, "Usage: vigil "+usage)
		return errUsage
	}
	id, err := argID("id", c.Arg(0))
	if err != nil {
		return err
	}
	req := &api.QuestionnaireRequest{Template: *tpl, Contact: *contact, Days: *days, ThreadID: int64(*thread), Message: *msg}
	s, printed, err := call(c, func(cl *client.Client) (*api.QuestionnaireSent, error) { return cl.SendQuestionnaire(ctx, id, req) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stderr, "questionnaire %d (thread %d, round %d) for %s, until %s; the link is shown once:\n", s.ID, s.ThreadID, s.Round, s.Contact, s.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintln(env.stdout, s.Link)
	return nil
}

// vendorsReview is `vigil vendors review QUESTIONNAIRE`.
func vendorsReview(ctx context.Context, env *cliEnv, args []string) error {
	usage := "vendors review QUESTIONNAIRE --conclusion C [--note N]"
	c := newAPICommand(env, "vendors review", usage)
	concl, note := reviewFlags(c)
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 || *concl == "" {
		fmt.Fprintln(env.stderr, "Usage: vigil "+usage)
		return errUsage
	}
	id, err := argID("questionnaire", c.Arg(0))
	if err != nil {
		return err
	}
	q, printed, err := call(c, func(cl *client.Client) (*vigil.Questionnaire, error) {
		return cl.ReviewQuestionnaire(ctx, id, &api.VendorReviewRequest{Conclusion: vigil.Conclusion(*concl), Note: *note})
	})
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "questionnaire %d reviewed: %s (score %d%%)\n", q.ID, q.Conclusion, q.Score)
	return nil
}

// vendorsSubprocessors is `vigil vendors subprocessors`.
func vendorsSubprocessors(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "vendors subprocessors", "vendors subprocessors")
	if err := c.parse(args); err != nil {
		return err
	}
	page, printed, err := call(c, func(cl *client.Client) (*api.Page[vigil.Subprocessor], error) { return cl.ListSubprocessors(ctx) })
	if err != nil || printed {
		return err
	}
	var rows [][]string
	for _, p := range page.Items {
		rows = append(rows, []string{p.Name, orDash(p.Purpose), orDash(p.Location)})
	}
	table(env.stdout, []string{"NAME", "PURPOSE", "LOCATION"}, rows)
	return nil
}

// vendorsImport is `vigil vendors import FILE`: a preview (every bad row
// by line and column), and with --confirm the import of exactly the file
// previewed, all rows or none.
func vendorsImport(ctx context.Context, env *cliEnv, args []string) error {
	usage := "vendors import FILE.csv [--confirm]"
	c := newAPICommand(env, "vendors import", usage)
	confirm := c.Bool("confirm", false, "import the file when its preview shows no bad row")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil "+usage)
		return errUsage
	}
	send := func(cl *client.Client, sum string) (*api.VendorImport, error) {
		f, size, hash, err := openHashed(c.Arg(0))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		q := url.Values{}
		if sum != "" {
			q.Set("confirm", sum)
		}
		return cl.ImportVendors(ctx, q, "text/csv", size, hash, f)
	}
	pv, printed, err := call(c, func(cl *client.Client) (*api.VendorImport, error) { return send(cl, "") })
	if err != nil || printed {
		return err
	}
	if len(pv.Errors) > 0 {
		return rowErrors(env.stderr, pv.Errors)
	}
	for _, v := range pv.Vendors {
		gaps := ""
		if len(v.Gaps) > 0 {
			gaps = " (" + strings.Join(v.Gaps, ", ") + ")"
		}
		fmt.Fprintf(env.stdout, "line %d: add %s%s\n", v.Line, v.Name, gaps)
	}
	switch {
	case !*confirm:
		fmt.Fprintf(env.stderr, "preview only: %d vendors would be added; run again with --confirm to import them\n", len(pv.Vendors))
		return nil
	}
	done, _, err := call(c, func(cl *client.Client) (*api.VendorImport, error) { return send(cl, pv.SHA256) })
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "imported %d vendors\n", done.Imported)
	return nil
}
