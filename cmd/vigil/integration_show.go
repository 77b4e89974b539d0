package main

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations"
	"github.com/vigil-soc/vigil/integrations/builtin"
)

// showIntegration is `vigil integrations show ID`: the integration and its
// current results, read as its page reads them. It lives apart from
// integrations.go so that the command's wiring there is one line.
func showIntegration(ctx context.Context, c *apiCommand, arg string) error {
	id, err := argID("id", arg)
	if err != nil {
		return err
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	x, err := cl.GetIntegration(ctx, id)
	if err != nil {
		return err
	}
	var results []vigil.CheckResult
	if x.AgentID != 0 {
		h, err := cl.GetAgent(ctx, x.AgentID)
		if err != nil {
			return err
		}
		for _, r := range h.Results {
			results = append(results, r.CheckResult)
		}
	}
	writeIntegration(c.env.stdout, *x, results)
	return nil
}

// writeIntegration prints an integration: kind, interval as a duration,
// last run, then its results counted by verdict and listed under the same
// headings (failing, in error, not applicable with the reason, passing as
// a count), so the counts are always those of the lines below them.
func writeIntegration(w io.Writer, x vigil.Integration, results []vigil.CheckResult) {
	last := "never"
	if x.LastRun != nil {
		last = x.LastRun.UTC().Format("2006-01-02 15:04") + " " + x.LastStatus
	}
	fmt.Fprintf(w, "%s (%s), every %s, last run %s\n", oneLine(x.Name), x.Kind, integrations.FormatInterval(x.Interval), last)
	if x.LastError != "" {
		fmt.Fprintf(w, "  %s\n", oneLine(x.LastError))
	}
	for _, s := range builtin.Kinds().Settings(x.Kind, x.Config) {
		fmt.Fprintf(w, "  %s: %s\n", s.Label, oneLine(s.Value))
	}
	groups := map[string][]vigil.CheckResult{}
	for _, r := range results {
		v := r.Verdict
		if v != "pass" && v != "fail" && v != "error" {
			v = "not_applicable" // skip and not_applicable alike: not judged here, with a reason
		}
		groups[v] = append(groups[v], r)
	}
	fmt.Fprintf(w, "%d results: %d fail, %d error, %d not applicable, %d pass\n", len(results),
		len(groups["fail"]), len(groups["error"]), len(groups["not_applicable"]), len(groups["pass"]))
	for _, g := range []struct{ verdict, title string }{{"fail", "Failing"}, {"error", "Could not be judged"}, {"not_applicable", "Not applicable"}} {
		rs := groups[g.verdict]
		if len(rs) == 0 {
			continue
		}
		sort.Slice(rs, func(i, j int) bool {
			if rs[i].CheckID != rs[j].CheckID {
				return rs[i].CheckID < rs[j].CheckID
			}
			return rs[i].Resource < rs[j].Resource
		})
		fmt.Fprintf(w, "\n%s (%d)\n", g.title, len(rs))
		var rows [][]string
		for _, r := range rs {
			reason := r.Reason
			if reason == "" && g.verdict == "not_applicable" {
				reason = "no reason given"
			}
			rows = append(rows, []string{r.CheckID, r.Resource, reason})
		}
		table(w, []string{"CHECK", "RESOURCE", "REASON"}, rows)
	}
}
