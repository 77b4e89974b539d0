package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/client"
	"github.com/vigil-soc/vigil/readiness"
)

// apiCommand holds what every API-backed command parses.
type apiCommand struct {
	*flagSet
	server, token *string
	json          *bool
}

func newAPICommand(env *cliEnv, name, usage string) *apiCommand {
	fs := newFlags(env, name, usage)
	c := &apiCommand{flagSet: fs}
	c.server, c.token = fs.apiFlags()
	c.json = fs.Bool("json", false, "print JSON instead of a table: an object as the server sends it, a list as {\"items\": [...]} (with \"next\", a cursor, when more pages remain)")
	return c
}

func (c *apiCommand) client() (*client.Client, error) {
	if *c.token == "" {
		return nil, fmt.Errorf("no API token: set VIGIL_TOKEN or pass --token (vigil admin create-token makes one)")
	}
	return client.New(*c.server, *c.token), nil
}

// sub splits a "noun verb" command line, defaulting the verb.
func sub(args []string, def string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return def, args
}

// listJSON is the one --json shape of every list command: the items and,
// when there are more pages than were fetched, the cursor of the next
// (--cursor takes it). Commands that fetch every page never have a next.
type listJSON struct {
	Items []json.RawMessage `json:"items"`
	Next  string            `json:"next,omitempty"`
}

func printList(c *apiCommand, items []json.RawMessage, next string) error {
	if items == nil {
		items = []json.RawMessage{} // [] rather than null: always a list
	}
	b, err := json.Marshal(listJSON{Items: items, Next: next})
	if err != nil {
		return err
	}
	return printJSON(c.env.stdout, b)
}

// printAnswer prints a server's answer for --json: an object as it is, a
// bare list (GET /api/v1/integrations answers one) in the list envelope,
// so that every list command prints the same shape.
func printAnswer(c *apiCommand, raw []byte) error {
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(t, &items); err != nil {
			return err
		}
		return printList(c, items, "")
	}
	return printJSON(c.env.stdout, raw)
}

// listAll fetches every page of a list and prints it as JSON (listJSON) or,
// through row, as a table. It returns the items only when it printed a
// table.
func listAll[T any](ctx context.Context, c *apiCommand, list func(*client.Client, context.Context, url.Values) (*api.Page[T], error), q url.Values, header []string, row func(T) []string) ([]T, error) {
	cl, err := c.client()
	if err != nil {
		return nil, err
	}
	items, err := client.All(ctx, q, func(ctx context.Context, q url.Values) (*api.Page[T], error) { return list(cl, ctx, q) })
	if err != nil {
		return nil, err
	}
	if *c.json {
		// The items are the server's own types: encoded again, they are
		// what it sent.
		raw := make([]json.RawMessage, len(items))
		for i, it := range items {
			if raw[i], err = json.Marshal(it); err != nil {
				return nil, err
			}
		}
		return nil, printList(c, raw, "")
	}
	rows := make([][]string, 0, len(items))
	for _, it := range items {
		rows = append(rows, row(it))
	}
	table(c.env.stdout, header, rows)
	return items, nil
}

// call makes one API call through the typed client and, under --json,
// prints its answer; printed says it did.
func call[T any](c *apiCommand, do func(*client.Client) (T, error)) (out T, printed bool, err error) {
	cl, err := c.client()
	if err != nil {
		return out, false, err
	}
	if out, err = do(cl); err != nil || !*c.json {
		return out, false, err
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return out, false, err
	}
	return out, true, printAnswer(c, raw)
}

// do makes one API call whose answer has no body (a removal).
func (c *apiCommand) do(do func(*client.Client) error) error {
	cl, err := c.client()
	if err != nil {
		return err
	}
	return do(cl)
}

// argID reads a numeric id from the command line.
func argID(name, v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, &vigil.Error{Code: vigil.EINVALID, Field: name, Message: fmt.Sprintf("%s must be a positive whole number, got %q", name, v)}
	}
	return n, nil
}

func runSetup(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "setup", "setup --token SETUP_TOKEN --org NAME --email E --name N (password on standard input)")
	server := fs.str("server", "http://127.0.0.1:8080", "Vigil server URL")
	token := fs.String("token", "", "the setup token printed by vigil serve (vgs_...)")
	fs.secret("token")
	org := fs.String("org", "", "organization name")
	email := fs.String("email", "", "your email address")
	name := fs.String("name", "", "your name")
	if err := fs.parse(args); err != nil {
		return err
	}
	fmt.Fprintln(env.stderr, "password (at least 12 characters), then Enter:")
	pw, err := readPassword(env)
	if err != nil {
		return err
	}
	out, err := client.New(*server, "").Setup(ctx, &api.SetupRequest{SetupToken: *token, Organization: vigil.Organization{Name: *org}, Email: *email, Name: *name, Password: pw})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "set up: %s is the owner. Your API token (shown once; keep it as VIGIL_TOKEN):\n", out.User.Email)
	fmt.Fprintln(env.stdout, out.Token.Secret)
	return nil
}

func runControls(ctx context.Context, env *cliEnv, args []string) error {
	return dispatch(ctx, env, args, "list", "Usage: vigil controls list | show | adopt | add | set | delete",
		verb{"list", controlsList},
		verb{"show", controlsShow},
		verb{"adopt", controlsAdopt},
		verb{"add", controlsAdd},
		verb{"set", controlsSet},
		verb{"delete", controlsDelete})
}

// controlsList is `vigil controls list`.
func controlsList(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "controls list", "controls list [--status S] [--owner ID|none] [--domain D] [--criterion C] [--health H] [--q TEXT]")
	filters := map[string]*string{}
	for _, f := range []string{"status", "owner", "domain", "criterion", "health", "q"} {
		filters[f] = c.String(f, "", "filter by "+f)
	}
	if err := c.parse(args); err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range filters {
		if *v != "" {
			q.Set(k, *v)
		}
	}
	items, err := listAll(ctx, c, (*client.Client).ListControls, q, []string{"ID", "STATUS", "HEALTH", "OWNER", "CRITERIA", "TITLE"}, func(it api.ControlView) []string {
		return []string{it.ID, string(it.Status), string(it.Health.State), orDash(it.OwnerName), strings.Join(it.Criteria, " "), it.Title}
	})
	if err != nil || *c.json {
		return err
	}
	fmt.Fprintf(env.stdout, "%d control(s)\n", len(items))
	return nil
}

// controlsShow is `vigil controls show`.
func controlsShow(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "controls show", "controls show ID")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		c.Usage()
		return errUsage
	}
	out, printed, err := call(c, func(cl *client.Client) (*api.ControlDetail, error) { return cl.GetControl(ctx, c.Arg(0)) })
	if err != nil || printed {
		return err
	}
	w := env.stdout
	fmt.Fprintf(w, "%s  %s\nstatus:    %s\nhealth:    %s\nowner:     %s\nfrequency: %s\ncriteria:  %s\nevidence:  %s\n",
		out.ID, oneLine(out.Title), out.Status, out.Health.State, orDash(out.OwnerName), out.Frequency, strings.Join(out.Criteria, " "), oneLine(out.Evidence))
	if out.Justification != "" {
		fmt.Fprintf(w, "not applicable because: %s\n", oneLine(out.Justification))
	}
	fmt.Fprintln(w, "\nhealth signals:")
	for _, s := range out.Health.Signals {
		fmt.Fprintf(w, "  %-8s %-8s %s\n", s.Source, s.Status, oneLine(s.Reason))
	}
	counts := map[string]int{}
	for _, r := range out.Related {
		counts[r.Framework]++
	}
	fmt.Fprintf(w, "\nrelated (derived): iso27001 %d, nist_csf %d, sp800_53 %d, hipaa %d requirement(s); --json for the list\n",
		counts["iso27001"], counts["nist_csf"], counts["sp800_53"], counts["hipaa"])
	return nil
}

// controlsAdopt is `vigil controls adopt`.
func controlsAdopt(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "controls adopt", "controls adopt --all | --domain AC,HR | ID ...")
	all := c.Bool("all", false, "adopt the whole library")
	domains := c.String("domain", "", "comma-separated domains to adopt")
	owner := c.Int64("owner", 0, "owner user id for every adopted control")
	if err := c.parse(args); err != nil {
		return err
	}
	body := &api.AdoptRequest{All: *all, OwnerID: *owner}
	if *domains != "" {
		body.Domains = strings.Split(*domains, ",")
	}
	if c.NArg() > 0 {
		body.IDs = c.Args()
	}
	res, printed, err := call(c, func(cl *client.Client) (*vigil.AdoptResult, error) { return cl.AdoptControls(ctx, body) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "adopted %d control(s), skipped %d already adopted; made %d evidence request(s) from the library\n", len(res.Adopted), len(res.Skipped), res.Requests)
	return nil
}

// controlsAdd is `vigil controls add`.
func controlsAdd(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "controls add", "controls add --id ID --title T --criteria CC6.1,CC6.2 [--owner ID] [--frequency F] [--description D] [--evidence E]")
	id := c.String("id", "", "control id, e.g. CUST-01")
	title := c.String("title", "", "title")
	desc := c.String("description", "", "description")
	crit := c.String("criteria", "", "comma-separated criteria")
	owner := c.Int64("owner", 0, "owner user id")
	freq := c.String("frequency", "", "continuous, daily, weekly, monthly, quarterly, annual or event")
	evidence := c.String("evidence", "", "the evidence expected")
	if err := c.parse(args); err != nil {
		return err
	}
	body := &api.ControlRequest{ID: *id, Title: *title, Description: *desc, OwnerID: *owner, Frequency: vigil.Frequency(*freq), Evidence: *evidence, Criteria: splitList(*crit)}
	out, printed, err := call(c, func(cl *client.Client) (*api.ControlView, error) { return cl.CreateControl(ctx, body) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "added %s (%s)\n", out.ID, out.Health.State)
	return nil
}

// controlsSet is `vigil controls set`.
func controlsSet(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "controls set", "controls set ID [ID ...] [--status S] [--owner ID|EMAIL|none] [--justification J] [--frequency F] [--title T] [--description D] [--evidence E] [--criteria C,...]\n\n"+
		"With several IDs the change (--status, --owner, --justification, --frequency) applies to all of them,\nor, if any of them refuses it, to none.")
	fields := map[string]*string{}
	for _, f := range []string{"status", "justification", "title", "description", "frequency", "evidence", "criteria"} {
		fields[f] = c.String(f, "", "new "+f)
	}
	owner := c.String("owner", "", "new owner: a user id, an email, or none")
	if err := c.parse(args); err != nil {
		return err
	}
	ids := c.Args()
	if len(ids) == 0 {
		c.Usage()
		return errUsage
	}
	var patch vigil.ControlPatch
	changed, ownerSet := false, false
	c.Visit(func(f *flag.Flag) {
		v, ok := fields[f.Name]
		switch {
		case f.Name == "owner":
			ownerSet = true
			return
		case !ok: // --server, --token, --json
			return
		}
		changed = true
		switch f.Name {
		case "criteria":
			l := splitList(*v)
			patch.Criteria = &l
		case "status":
			patch.Status = (*vigil.ControlStatus)(v)
		case "frequency":
			patch.Frequency = (*vigil.Frequency)(v)
		case "justification":
			patch.Justification = v
		case "title":
			patch.Title = v
		case "description":
			patch.Description = v
		case "evidence":
			patch.Evidence = v
		}
	})
	if ownerSet {
		id, err := c.ownerID(ctx, *owner)
		if err != nil {
			return err
		}
		patch.OwnerID, changed = &id, true
	}
	if !changed {
		return fmt.Errorf("nothing to change: give at least one of --status, --owner, --justification or another field flag")
	}
	if len(ids) == 1 {
		out, printed, err := call(c, func(cl *client.Client) (*api.ControlView, error) { return cl.UpdateControl(ctx, ids[0], &patch) })
		if err != nil || printed {
			return err
		}
		fmt.Fprintf(env.stdout, "%s: status %s, owner %s, health %s\n", out.ID, out.Status, orDash(out.OwnerName), out.Health.State)
		return nil
	}
	// Several controls: one request, so that they all change or none
	// does (a loop of single edits would stop half-way).
	for _, f := range []struct {
		name string
		set  bool
	}{{"title", patch.Title != nil}, {"description", patch.Description != nil}, {"evidence", patch.Evidence != nil}, {"criteria", patch.Criteria != nil}} {
		if f.set {
			return fmt.Errorf("--%s changes one control at a time; give one ID, or leave --%s out to change %d controls at once", f.name, f.name, len(ids))
		}
	}
	set := api.BulkSet{OwnerID: patch.OwnerID, Status: patch.Status, Frequency: patch.Frequency, Justification: patch.Justification}
	res, printed, err := call(c, func(cl *client.Client) (*api.BulkResponse, error) {
		return cl.UpdateControls(ctx, &api.BulkRequest{IDs: ids, Set: set})
	})
	if err != nil || printed {
		return err
	}
	for _, out := range res.Items {
		fmt.Fprintf(env.stdout, "%s: status %s, owner %s, health %s\n", out.ID, out.Status, orDash(out.OwnerName), out.Health.State)
	}
	fmt.Fprintf(env.stdout, "updated %d control(s); %d already had these values\n", len(res.Updated), len(res.Unchanged))
	return nil
}

// controlsDelete is `vigil controls delete`.
func controlsDelete(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "controls delete", "controls delete ID")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		c.Usage()
		return errUsage
	}
	if err := c.do(func(cl *client.Client) error { return cl.DeleteControl(ctx, c.Arg(0)) }); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "deleted %s\n", c.Arg(0))
	return nil
}

func splitList(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func runReadiness(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "readiness", "readiness [--framework iso27001|nist_csf|sp800_53|hipaa] [--gaps]")
	fw := c.String("framework", "", "derived readiness for another framework")
	gapsOnly := c.Bool("gaps", false, "list only criteria with gaps")
	minSupport := c.Int("min-support", 1, "with --framework: ignore mappings with less support")
	if err := c.parse(args); err != nil {
		return err
	}
	w := env.stdout
	if *fw != "" {
		q := url.Values{"min_support": {strconv.Itoa(*minSupport)}}
		fr, printed, err := call(c, func(cl *client.Client) (*readiness.FrameworkReport, error) { return cl.FrameworkReadiness(ctx, *fw, q) })
		if err != nil || printed {
			return err
		}
		fmt.Fprintf(w, "%s %s readiness, %s through the SOC 2 crosswalk: %s; %d requirement(s) not assessed\n\n", fr.Name, fr.Version, fr.Label, fr.Overall, fr.NotAssessed)
		var rows [][]string
		for _, r := range fr.Requirements {
			if *gapsOnly && r.Status == "ready" {
				continue
			}
			rows = append(rows, []string{r.ID, r.Status, strings.Join(r.GapCriteria, " "), r.Confidence, r.Title})
		}
		table(w, []string{"REQUIREMENT", "STATUS", "GAP CRITERIA", "CONFIDENCE", "TITLE"}, rows)
		return nil
	}
	rep, printed, err := call(c, func(cl *client.Client) (*readiness.Report, error) { return cl.Readiness(ctx) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(w, "SOC 2 readiness (strict): %s of in-scope criteria ready\n", rep.Overall)
	fmt.Fprintf(w, "progress:                 %s of the controls covering them healthy\n", rep.Progress)
	for _, cat := range rep.Categories {
		fmt.Fprintf(w, "  %-22s %s ready; progress %s\n", cat.Title, cat.Score, cat.Progress)
	}
	cs := rep.Controls
	fmt.Fprintf(w, "controls: %d (healthy %d, at risk %d, failing %d, unknown %d of which %d not shown operating yet, not applicable %d; %d without owner)\n\n",
		cs.Total, cs.Healthy, cs.AtRisk, cs.Failing, cs.Unknown, cs.NotShown, cs.NotApplicable, cs.WithoutOwner)
	var rows [][]string
	for _, cr := range rep.Criteria {
		if *gapsOnly && cr.Ready {
			continue
		}
		state := "ready"
		if !cr.Ready {
			state = "gap"
		}
		var reasons []string
		for _, g := range cr.Gaps {
			if g.ControlID != "" {
				reasons = append(reasons, g.ControlID+": "+g.Reason)
			} else {
				reasons = append(reasons, g.Reason)
			}
		}
		if len(reasons) > 3 {
			reasons = append(reasons[:3], fmt.Sprintf("and %d more", len(reasons)-3))
		}
		rows = append(rows, []string{cr.ID, state, strings.Join(cr.Controls, " "), strings.Join(reasons, "; ")})
	}
	table(w, []string{"CRITERION", "STATE", "CONTROLS", "GAPS"}, rows)
	return nil
}

func runScope(ctx context.Context, env *cliEnv, args []string) error {
	return dispatch(ctx, env, args, "show", "Usage: vigil scope show | set",
		verb{"show", scopeShow},
		verb{"set", scopeSet})
}

// scopeShow is `vigil scope show`.
func scopeShow(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "scope show", "scope show")
	if err := c.parse(args); err != nil {
		return err
	}
	sc, printed, err := call(c, func(cl *client.Client) (*vigil.Scope, error) { return cl.GetScope(ctx) })
	if err != nil || printed {
		return err
	}
	names := make([]string, len(sc.Categories))
	for i, cat := range sc.Categories {
		names[i] = vigil.CategoryTitle(cat)
	}
	fmt.Fprintf(env.stdout, "categories:   %s\naudit target: %s\n", strings.Join(names, ", "), sc.TargetString())
	return nil
}

// scopeSet is `vigil scope set`.
func scopeSet(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "scope set", "scope set --categories availability,privacy [--type1 --as-of DATE | --type2 --window-start DATE --window-end DATE]")
	cats := c.String("categories", "", "comma-separated optional categories (security is always in scope)")
	t1 := c.Bool("type1", false, "a Type I audit")
	t2 := c.Bool("type2", false, "a Type II audit")
	asOf := c.String("as-of", "", "Type I date, YYYY-MM-DD")
	ws := c.String("window-start", "", "Type II window start, YYYY-MM-DD")
	we := c.String("window-end", "", "Type II window end, YYYY-MM-DD")
	if err := c.parse(args); err != nil {
		return err
	}
	body := &api.ScopeRequest{Categories: splitList(*cats), AsOf: vigil.Date(*asOf), WindowStart: vigil.Date(*ws), WindowEnd: vigil.Date(*we)}
	switch {
	case *t1 && *t2:
		return fmt.Errorf("choose --type1 or --type2, not both")
	case *t1:
		body.AuditType = vigil.AuditType1
	case *t2:
		body.AuditType = vigil.AuditType2
	}
	sc, printed, err := call(c, func(cl *client.Client) (*vigil.Scope, error) { return cl.PutScope(ctx, body) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "scope set: %d categories, audit %s\n", len(sc.Categories), sc.TargetString())
	return nil
}

func runSystems(ctx context.Context, env *cliEnv, args []string) error {
	return dispatch(ctx, env, args, "list", "Usage: vigil systems list | add",
		verb{"list", systemsList},
		verb{"add", systemsAdd})
}

// systemsList is `vigil systems list`.
func systemsList(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "systems list", "systems list")
	if err := c.parse(args); err != nil {
		return err
	}
	_, err := listAll(ctx, c, (*client.Client).ListSystems, nil, []string{"ID", "NAME", "KIND", "ENVIRONMENT", "CLASSIFICATION", "OWNER"}, func(x vigil.System) []string {
		return []string{strconv.FormatInt(x.ID, 10), x.Name, x.Kind, x.Environment, x.Classification, orDash(x.OwnerName)}
	})
	return err
}

// systemsAdd is `vigil systems add`.
func systemsAdd(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "systems add", "systems add --name N --kind K --classification C --environment E [--owner ID] [--description D]")
	name := c.String("name", "", "system name")
	kind := c.String("kind", "", strings.Join(vigil.SystemKinds, ", "))
	class := c.String("classification", "", strings.Join(vigil.DataClassifications, ", "))
	envn := c.String("environment", "", strings.Join(vigil.Environments, ", "))
	owner := c.Int64("owner", 0, "owner user id")
	desc := c.String("description", "", "description")
	if err := c.parse(args); err != nil {
		return err
	}
	body := &api.SystemRequest{Name: *name, Kind: *kind, Classification: *class, Environment: *envn, OwnerID: *owner, Description: *desc}
	x, printed, err := call(c, func(cl *client.Client) (*vigil.System, error) { return cl.CreateSystem(ctx, body) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "added system %d %s\n", x.ID, x.Name)
	return nil
}

func runUsers(ctx context.Context, env *cliEnv, args []string) error {
	return dispatch(ctx, env, args, "list", "Usage: vigil users list | add",
		verb{"list", usersList},
		verb{"add", usersAdd})
}

// usersList is `vigil users list`.
func usersList(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "users list", "users list")
	if err := c.parse(args); err != nil {
		return err
	}
	_, err := listAll(ctx, c, (*client.Client).ListUsers, nil, []string{"ID", "EMAIL", "NAME", "ROLE", "STATE"}, func(u vigil.User) []string {
		state := "active"
		if u.Disabled {
			state = "disabled"
		}
		return []string{strconv.FormatInt(u.ID, 10), u.Email, u.Name, string(u.Role), state}
	})
	return err
}

// usersAdd is `vigil users add`.
func usersAdd(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "users add", "users add --email E --name N --role R")
	email := c.String("email", "", "email")
	name := c.String("name", "", "name")
	role := c.String("role", "member", "owner, admin, member, auditor or viewer")
	if err := c.parse(args); err != nil {
		return err
	}
	u, printed, err := call(c, func(cl *client.Client) (*vigil.User, error) {
		return cl.CreateUser(ctx, &api.UserRequest{Email: *email, Name: *name, Role: vigil.Role(*role)})
	})
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "added user %d %s (%s)\n", u.ID, u.Email, u.Role)
	return nil
}

func runTokens(ctx context.Context, env *cliEnv, args []string) error {
	return dispatch(ctx, env, args, "list", "Usage: vigil tokens list | create | revoke",
		verb{"list", tokensList},
		verb{"create", tokensCreate},
		verb{"revoke", tokensRevoke})
}

// tokensList is `vigil tokens list`.
func tokensList(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "tokens list", "tokens list [--all]")
	all := c.Bool("all", false, "everyone's tokens (admins)")
	if err := c.parse(args); err != nil {
		return err
	}
	q := url.Values{}
	if *all {
		q.Set("all", "true")
	}
	_, err := listAll(ctx, c, (*client.Client).ListTokens, q, []string{"ID", "NAME", "ROLE", "PREFIX", "STATE", "LAST USED"}, func(t vigil.APIToken) []string {
		state, last := "active", "never"
		if t.RevokedAt != nil {
			state = "revoked"
		}
		if t.LastUsedAt != nil {
			last = t.LastUsedAt.Format("2006-01-02 15:04")
		}
		return []string{strconv.FormatInt(t.ID, 10), t.Name, string(t.Role), t.Prefix + "...", state, last}
	})
	return err
}

// tokensCreate is `vigil tokens create`.
func tokensCreate(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "tokens create", "tokens create --name N [--role R] [--expires-in-days D]")
	name := c.String("name", "", "a name to tell the token apart")
	role := c.String("role", "", "role (default: yours)")
	// The Tokens page's default too: a token left lying about expires.
	days := c.Int("expires-in-days", vigil.DefaultTokenDays, "expiry in days (0: never)")
	if err := c.parse(args); err != nil {
		return err
	}
	out, printed, err := call(c, func(cl *client.Client) (*api.TokenResponse, error) {
		return cl.CreateToken(ctx, &api.TokenRequest{Name: *name, Role: vigil.Role(*role), ExpiresInDays: *days})
	})
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stderr, "token %d (%s), shown once:\n", out.ID, out.Role)
	fmt.Fprintln(env.stdout, out.Secret)
	return nil
}

// tokensRevoke is `vigil tokens revoke`.
func tokensRevoke(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "tokens revoke", "tokens revoke ID")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		c.Usage()
		return errUsage
	}
	id, err := argID("id", c.Arg(0))
	if err != nil {
		return err
	}
	if err := c.do(func(cl *client.Client) error { return cl.RevokeToken(ctx, id) }); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "revoked token %s\n", c.Arg(0))
	return nil
}

func runSOA(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "soa", "soa [--format csv|json]")
	format := c.String("format", "csv", "csv or json")
	if err := c.parse(args); err != nil {
		return err
	}
	if *c.json {
		*format = "json" // --json means JSON here as everywhere (it printed CSV)
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	// The SOA is printed as the server wrote it: CSV, or JSON indented.
	var raw []byte
	if err := cl.Get(ctx, "/api/v1/soa", url.Values{"format": {*format}}, &raw); err != nil {
		return err
	}
	if *format == "json" {
		return printJSON(env.stdout, raw)
	}
	_, err = env.stdout.Write(raw)
	return err
}

func runActivity(ctx context.Context, env *cliEnv, args []string) error {
	return dispatch(ctx, env, args, "list", "Usage: vigil activity list | verify",
		verb{"list", activityList},
		verb{"verify", activityVerify})
}

// activityList is `vigil activity list`.
func activityList(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "activity list", "activity list [--action A] [--entity-type T] [--entity-id ID] [--limit N] [--cursor C]")
	action := c.String("action", "", "exact action or a prefix ending in a dot")
	etype := c.String("entity-type", "", "entity type")
	eid := c.String("entity-id", "", "entity id")
	limit := c.Int("limit", 50, "entries to show, newest first (1 to 1000)")
	cursor := c.String("cursor", "", "continue after a page: the next cursor it ended with (--json's \"next\")")
	if err := c.parse(args); err != nil {
		return err
	}
	q := url.Values{"limit": {strconv.Itoa(*limit)}}
	for k, v := range map[string]string{"action": *action, "entity_type": *etype, "entity_id": *eid, "cursor": *cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	// One page: the log is long, and the newest entries are what is
	// usually wanted. The next cursor says how to go on.
	p, err := cl.ListActivity(ctx, q)
	if err != nil {
		return err
	}
	if *c.json {
		raw := make([]json.RawMessage, len(p.Items))
		for i, a := range p.Items {
			if raw[i], err = json.Marshal(a); err != nil {
				return err
			}
		}
		return printList(c, raw, p.NextCursor)
	}
	var rows [][]string
	for _, a := range p.Items {
		rows = append(rows, []string{strconv.FormatInt(a.Seq, 10), a.At.Format("2006-01-02 15:04:05"), a.ActorName, a.Action, a.EntityType + " " + a.EntityID})
	}
	table(env.stdout, []string{"SEQ", "AT (UTC)", "ACTOR", "ACTION", "ENTITY"}, rows)
	if p.NextCursor != "" {
		fmt.Fprintf(env.stderr, "more: vigil activity list --cursor %s\n", p.NextCursor)
	}
	return nil
}

// activityVerify is `vigil activity verify`.
func activityVerify(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "activity verify", "activity verify")
	if err := c.parse(args); err != nil {
		return err
	}
	res, printed, err := call(c, func(cl *client.Client) (*vigil.ChainVerification, error) { return cl.VerifyActivity(ctx) })
	if err != nil || printed {
		return err
	}
	if !res.OK {
		return fmt.Errorf("activity log broken at entry %d: %s", res.Break.Seq, res.Break.Reason)
	}
	fmt.Fprintf(env.stdout, "activity log intact: %d entries\n", res.Checked)
	return nil
}

func runCatalog(ctx context.Context, env *cliEnv, args []string) error {
	return dispatch(ctx, env, args, "criteria", "Usage: vigil catalog criteria | criterion ID | library",
		verb{"criteria", catalogCriteria},
		verb{"criterion", catalogCriterion},
		verb{"library", catalogLibrary})
}

// catalogCriteria is `vigil catalog criteria`.
func catalogCriteria(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "catalog criteria", "catalog criteria [--category C]")
	cat := c.String("category", "", "only this category")
	if err := c.parse(args); err != nil {
		return err
	}
	_, err := listAll(ctx, c, (*client.Client).ListCriteria, nonEmpty("category", *cat), []string{"ID", "CATEGORY", "TITLE"}, func(cr api.CriterionView) []string {
		return []string{cr.ID, cr.CategoryTitle, cr.Title}
	})
	return err
}

// catalogCriterion is `vigil catalog criterion`.
func catalogCriterion(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "catalog criterion", "catalog criterion ID [--framework F] [--min-support N]")
	fw := c.String("framework", "", "iso27001, nist_csf, sp800_53 or hipaa")
	ms := c.Int("min-support", 0, "hide mappings with less support")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		c.Usage()
		return errUsage
	}
	id := c.Arg(0)
	q := url.Values{"min_support": {strconv.Itoa(*ms)}}
	if *fw != "" {
		q.Set("framework", *fw)
	}
	d, printed, err := call(c, func(cl *client.Client) (*api.CriterionDetail, error) { return cl.GetCriterion(ctx, id, q) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "%s  %s\nlibrary controls: %s\n\n", d.ID, d.Title, strings.Join(d.Controls, " "))
	var rows [][]string
	for _, m := range d.Crosswalk {
		rows = append(rows, []string{m.Framework, m.TargetID, m.Label, m.Confidence, strconv.Itoa(m.Support), m.Source, m.RequirementTitle})
	}
	table(env.stdout, []string{"FRAMEWORK", "ID", "RELATION", "CONFIDENCE", "SUPPORT", "SOURCE", "TITLE"}, rows)
	return nil
}

// catalogLibrary is `vigil catalog library`.
func catalogLibrary(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "catalog library", "catalog library [--domain D]")
	domain := c.String("domain", "", "only this domain")
	if err := c.parse(args); err != nil {
		return err
	}
	_, err := listAll(ctx, c, (*client.Client).ListLibrary, nonEmpty("domain", *domain), []string{"ID", "FREQUENCY", "CRITERIA", "TITLE"}, func(lc api.LibraryView) []string {
		return []string{lc.ID, string(lc.Frequency), strings.Join(lc.Criteria, " "), lc.Title}
	})
	return err
}

// ownerID turns --owner into a user id: "none" (or 0) clears the owner, a
// number is a user id, and an email is looked up through the users API.
func (c *apiCommand) ownerID(ctx context.Context, v string) (int64, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "none" || v == "0":
		return 0, nil
	case strings.Contains(v, "@"):
		cl, err := c.client()
		if err != nil {
			return 0, err
		}
		users, err := client.All(ctx, nil, cl.ListUsers)
		if err != nil {
			return 0, fmt.Errorf("--owner %s: the email could not be looked up (give the user id instead): %w", v, err)
		}
		for _, u := range users {
			if strings.EqualFold(u.Email, v) {
				return u.ID, nil
			}
		}
		return 0, fmt.Errorf("--owner: no user has the email %s (vigil users lists them)", v)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("--owner takes a user id, an email or none; got %q", v)
	}
	return n, nil
}

// verb is one "noun verb" command.
type verb struct {
	name string
	run  func(ctx context.Context, env *cliEnv, args []string) error
}

// namedVerb is a verb served by a function that serves several and is
// told which.
func namedVerb(name string, run func(ctx context.Context, env *cliEnv, verb string, args []string) error) verb {
	return verb{name, func(ctx context.Context, env *cliEnv, args []string) error { return run(ctx, env, name, args) }}
}

// dispatch runs the verb args start with (def when they start with a
// flag or nothing), or prints usage.
func dispatch(ctx context.Context, env *cliEnv, args []string, def, usage string, verbs ...verb) error {
	name, args := sub(args, def)
	for _, v := range verbs {
		if v.name == name {
			return v.run(ctx, env, args)
		}
	}
	fmt.Fprintln(env.stderr, usage)
	return errUsage
}
