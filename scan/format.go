package scan

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/vigil-soc/vigil/check"
)

// Formats are the report formats WriteReport knows.
var Formats = []string{"text", "json", "junit", "sarif"}

// WriteReport writes rep in format. verbose adds passing and not
// applicable results to the text format.
func WriteReport(w io.Writer, rep *Report, format string, verbose bool, checks *check.Registry) error {
	switch format {
	case "text", "":
		return writeText(w, rep, verbose)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "junit":
		return writeJUnit(w, rep)
	case "sarif":
		return writeSARIF(w, rep, checks)
	}
	return fmt.Errorf("unknown format %q (use one of %s)", format, strings.Join(Formats, ", "))
}

// ordered sorts findings: most severe first, then by check and resource.
func ordered(fs []Finding, v check.Verdict) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Verdict == v {
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := SeverityRank(out[i].Severity), SeverityRank(out[j].Severity)
		if a != b {
			return a > b
		}
		if out[i].CheckID != out[j].CheckID {
			return out[i].CheckID < out[j].CheckID
		}
		return out[i].Resource < out[j].Resource
	})
	return out
}

func writeText(w io.Writer, rep *Report, verbose bool) error {
	s := rep.Summary
	name := fmt.Sprint(rep.Host["hostname"])
	if p := fmt.Sprint(rep.Host["pretty_name"]); p != "" && p != "<nil>" {
		name += " (" + p + ")"
	}
	fmt.Fprintf(w, "Vigil scan of %s in %.2f s\n", name, rep.Duration.Seconds())
	fmt.Fprintf(w, "%d checks: %d failing, %d could not be judged; %d resources: %d pass, %d fail, %d error, %d not applicable",
		s.Checks, s.ChecksFailing, s.ChecksUnjudged, s.Resources, s.Pass, s.Fail, s.Error, s.NotApplicable)
	if s.Disabled > 0 {
		fmt.Fprintf(w, "; %d checks disabled by tailoring", s.Disabled)
	}
	fmt.Fprintln(w)
	section := func(title string, fs []Finding) {
		if len(fs) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s (%d)\n", title, len(fs))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SEVERITY\tCHECK\tRESOURCE\tWHY")
		for _, f := range fs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Severity, f.CheckID, clip(f.Resource, 48), clip(f.Reason, 100))
		}
		tw.Flush()
	}
	if fails := ordered(rep.Findings, check.Fail); len(fails) > 0 {
		// Failures grouped by check: what is wrong, where, and the fix once.
		fmt.Fprintf(w, "\nFAILED (%d checks, %d resources)\n", s.ChecksFailing, len(fails))
		for i, f := range fails {
			if i == 0 || fails[i-1].CheckID != f.CheckID {
				fmt.Fprintf(w, "\n  [%s] %s  %s\n", f.Severity, f.CheckID, f.Title)
			}
			fmt.Fprintf(w, "      %s: %s\n", clip(f.Resource, 80), clip(f.Reason, 160))
			if i == len(fails)-1 || fails[i+1].CheckID != f.CheckID {
				if f.Remediation != "" {
					fmt.Fprintf(w, "      fix: %s\n", clip(f.Remediation, 300))
				}
			}
		}
	}
	section("COULD NOT BE JUDGED", ordered(rep.Findings, check.Error))
	if verbose {
		section("NOT APPLICABLE", ordered(rep.Findings, check.NotApplicable))
		section("SKIPPED", ordered(rep.Findings, check.Skip))
		section("PASSED", ordered(rep.Findings, check.Pass))
	}
	if rep.Baseline != nil {
		fmt.Fprintf(w, "\nDRIFT SINCE THE BASELINE OF %s (%d)\n", rep.Baseline.Format("2006-01-02 15:04 MST"), len(rep.Drift))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		if len(rep.Drift) > 0 {
			fmt.Fprintln(tw, "ASPECT\tKEY\tCHANGE\tFROM\tTO\tFIRST SEEN")
		}
		for _, e := range rep.Drift {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Aspect, clip(e.Key, 60), e.Change, orDash(clip(e.From, 50)), orDash(clip(e.To, 50)), e.FirstSeen.Format("2006-01-02 15:04"))
		}
		tw.Flush()
	}
	if rep.FIM != nil {
		fmt.Fprintf(w, "\nfile integrity: %d entries, %d hashed (%.0f MB), %d unchanged by stat, %d unreadable, in %.2f s\n",
			rep.FIM.Files, rep.FIM.Hashed, float64(rep.FIM.Bytes)/1e6, rep.FIM.Reused, rep.FIM.Unreadable, rep.FIM.Duration.Seconds())
	}
	for _, c := range rep.Collectors {
		if c.Err != "" {
			fmt.Fprintf(w, "\ncollector %s failed: %s\n", c.Collector, clip(c.Err, 300))
		}
	}
	if len(rep.Disabled) > 0 {
		fmt.Fprintln(w, "\nDISABLED BY TAILORING")
		ids := make([]string, 0, len(rep.Disabled))
		for id := range rep.Disabled {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			fmt.Fprintf(w, "  %s: %s\n", id, rep.Disabled[id])
		}
	}
	return nil
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Class   string     `xml:"classname,attr"`
	Name    string     `xml:"name,attr"`
	Failure *junitText `xml:"failure,omitempty"`
	Error   *junitText `xml:"error,omitempty"`
	Skipped *junitText `xml:"skipped,omitempty"`
}

type junitText struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func writeJUnit(w io.Writer, rep *Report) error {
	s := junitSuite{Name: "vigil scan " + fmt.Sprint(rep.Host["hostname"]), Time: fmt.Sprintf("%.3f", rep.Duration.Seconds())}
	for _, f := range rep.Findings {
		c := junitCase{Class: f.CheckID, Name: f.Title + " [" + f.Resource + "]"}
		switch f.Verdict {
		case check.Fail:
			c.Failure = &junitText{Message: f.Reason, Text: "severity: " + f.Severity + "\nfix: " + f.Remediation}
			s.Failures++
		case check.Error:
			c.Error = &junitText{Message: f.Reason}
			s.Errors++
		case check.Skip, check.NotApplicable:
			c.Skipped = &junitText{Message: string(f.Verdict) + ": " + f.Reason}
			s.Skipped++
		}
		s.Cases = append(s.Cases, c)
	}
	s.Tests = len(s.Cases)
	io.WriteString(w, xml.Header)
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(s); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// writeSARIF writes SARIF 2.1.0: a rule per check, a result per resource
// with its kind (pass, fail, review for errors, notApplicable).
func writeSARIF(w io.Writer, rep *Report, reg *check.Registry) error {
	type msg struct {
		Text string `json:"text"`
	}
	type rule struct {
		ID         string         `json:"id"`
		Name       string         `json:"name"`
		Short      msg            `json:"shortDescription"`
		Full       msg            `json:"fullDescription"`
		Help       msg            `json:"help"`
		Properties map[string]any `json:"properties"`
	}
	var rules []rule
	index := map[string]int{}
	for _, c := range reg.Checks() {
		index[c.ID] = len(rules)
		rules = append(rules, rule{ID: c.ID, Name: c.ID, Short: msg{c.Title}, Full: msg{c.Rationale}, Help: msg{c.Remediation},
			Properties: map[string]any{"severity": c.Severity, "controls": c.Controls, "criteria": c.Criteria, "tags": c.Criteria}})
	}
	level := map[string]string{"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
	kind := map[check.Verdict]string{check.Pass: "pass", check.Fail: "fail", check.Error: "review", check.Skip: "notApplicable", check.NotApplicable: "notApplicable"}
	var results []map[string]any
	for _, f := range rep.Findings {
		r := map[string]any{"ruleId": f.CheckID, "kind": kind[f.Verdict], "message": msg{f.Title + ": " + f.Resource + orEmpty(": ", f.Reason)},
			"locations": []any{map[string]any{"logicalLocations": []any{map[string]any{"name": f.Resource, "kind": "resource"}}}}}
		if i, ok := index[f.CheckID]; ok {
			r["ruleIndex"] = i
		}
		if f.Verdict == check.Fail {
			r["level"] = level[f.Severity]
		} else {
			r["level"] = "none"
		}
		results = append(results, r)
	}
	doc := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool":    map[string]any{"driver": map[string]any{"name": "vigil", "informationUri": "https://github.com/vigil-soc/vigil", "rules": rules}},
			"results": results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

func orEmpty(sep, s string) string {
	if s == "" {
		return ""
	}
	return sep + s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
