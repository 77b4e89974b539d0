package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/vigil-soc/vigil/catalog"
)

// subjects are the nineteen policies issue 15 asks for, by template ID.
var subjects = []string{
	"acceptable-use",
	"access-control",
	"authentication-and-passwords",
	"backup",
	"business-continuity-and-disaster-recovery",
	"change-management",
	"code-of-conduct",
	"data-classification-and-handling",
	"data-retention-and-disposal",
	"encryption-and-key-management",
	"human-resources-security",
	"incident-response",
	"information-security",
	"logging-and-monitoring",
	"privacy",
	"risk-assessment",
	"secure-development",
	"vendor-management",
	"vulnerability-management",
}

func library(t *testing.T) []Template {
	t.Helper()
	lib, err := Library()
	if err != nil {
		t.Fatalf("Library: %v", err)
	}
	return lib
}

func loadCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load()
	if err != nil {
		t.Fatalf("catalog.Load: %v", err)
	}
	return c
}

func references(c *catalog.Catalog) References {
	refs := References{Controls: map[string][]string{}, Criteria: map[string]bool{}}
	for _, lc := range c.Library {
		refs.Controls[lc.ID] = lc.Criteria
	}
	for _, cr := range c.Criteria {
		refs.Criteria[cr.ID] = true
	}
	return refs
}

func byID(t *testing.T, lib []Template, id string) Template {
	t.Helper()
	for _, tp := range lib {
		if tp.ID == id {
			return tp
		}
	}
	t.Fatalf("no template %s", id)
	return Template{}
}

func TestLibraryHoldsTheNineteenSubjects(t *testing.T) {
	lib := library(t)
	var ids []string
	for _, tp := range lib {
		ids = append(ids, tp.ID)
	}
	if !slices.Equal(ids, subjects) {
		t.Errorf("template ids (sorted):\n got %v\nwant %v", ids, subjects)
	}
	// The IDs come from the front matter; parse checks each equals its
	// file's name, and this checks no file was missed or added.
	names, err := fs.Glob(templateFS, "templates/*.md")
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		names[i] = strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".md")
	}
	if !slices.Equal(names, subjects) {
		t.Errorf("template files:\n got %v\nwant %v", names, subjects)
	}
}

func TestMappingsResolveInTheCatalog(t *testing.T) {
	c := loadCatalog(t)
	for _, tp := range library(t) {
		for _, id := range tp.Controls {
			if _, ok := c.LibraryControl(id); !ok {
				t.Errorf("%s: control %s is not in the control library", tp.ID, id)
			}
		}
		for _, id := range tp.Criteria {
			if !c.HasCriterion(id) {
				t.Errorf("%s: criterion %s does not exist", tp.ID, id)
			}
		}
		// Each criterion is one that a listed control maps to, and each
		// control contributes one: no exception is needed by any template.
		if err := tp.Verify(references(c)); err != nil {
			t.Error(err)
		}
	}
}

func TestCategories(t *testing.T) {
	c := loadCatalog(t)
	// The categories a template may name are the domain's, which the
	// catalog's criteria carry.
	var fromCatalog []string
	for _, cr := range c.Criteria {
		if !slices.Contains(fromCatalog, string(cr.Category)) {
			fromCatalog = append(fromCatalog, string(cr.Category))
		}
	}
	if got, want := slices.Sorted(slices.Values(Categories)), slices.Sorted(slices.Values(fromCatalog)); !slices.Equal(got, want) {
		t.Errorf("Categories = %v, want the catalog's %v", got, want)
	}
	for _, tp := range library(t) {
		want := "security"
		if tp.ID == "privacy" {
			want = "privacy"
		}
		if tp.Category != want {
			t.Errorf("%s: category %q, want %q", tp.ID, tp.Category, want)
		}
	}
}

func TestCoverage(t *testing.T) {
	c := loadCatalog(t)
	supported := map[string][]string{}
	for _, tp := range library(t) {
		for _, id := range tp.Controls {
			supported[id] = append(supported[id], tp.ID)
		}
	}
	for _, id := range []string{"GV-01", "GV-02", "HR-01", "HR-02", "HR-03", "HR-04", "HR-05", "HR-06", "HR-07", "HR-08"} {
		if len(supported[id]) == 0 {
			t.Errorf("no template supports %s", id)
		}
	}
	// Every control of the domains a policy set must speak to is supported
	// by at least one template.
	domains := []string{"GV", "HR", "AC", "CM", "IR", "BC", "RA", "VM", "DP", "LM", "VU", "PR"}
	var unsupported []string
	for _, lc := range c.Library {
		if len(supported[lc.ID]) > 0 {
			continue
		}
		if slices.Contains(domains, lc.Domain) {
			t.Errorf("no template supports %s (%s)", lc.ID, lc.Title)
		}
		unsupported = append(unsupported, lc.ID)
	}
	t.Logf("controls no template supports: %v", unsupported)
}

func TestEveryTemplateUsesTheSixPlaceholdersAndNoOther(t *testing.T) {
	want := slices.Sorted(slices.Values(variables))
	for _, tp := range library(t) {
		got := slices.Sorted(slices.Values(Placeholders(tp.Body)))
		if !slices.Equal(got, want) {
			t.Errorf("%s: placeholders %v, want %v", tp.ID, got, want)
		}
		known := 0
		for _, v := range variables {
			known += strings.Count(tp.Body, v)
		}
		if n := strings.Count(tp.Body, "{{"); n != known {
			t.Errorf("%s: %d occurrences of {{, of which %d are placeholders", tp.ID, n, known)
		}
		if n := strings.Count(tp.Body, "}}"); n != known {
			t.Errorf("%s: %d occurrences of }}, of which %d close placeholders", tp.ID, n, known)
		}
	}
}

var sampleVars = Vars{
	Organization:  "Acme Cloud Ltd",
	Owner:         "Dana Reyes, Head of Security",
	Approver:      "Sam Okafor, Chief Executive",
	ReviewCycle:   "annual",
	EffectiveDate: "1 March 2027",
	Systems:       "the production AWS account, GitHub, Google Workspace and Okta",
}

func TestFillLeavesNoPlaceholder(t *testing.T) {
	for _, tp := range library(t) {
		out, err := tp.Fill(sampleVars)
		if err != nil {
			t.Fatalf("%s: %v", tp.ID, err)
		}
		if strings.Contains(out, "{{") || strings.Contains(out, "}}") {
			t.Errorf("%s: filled text still holds braces: %v", tp.ID, Placeholders(out))
		}
		for _, v := range sampleVars.values() {
			if !strings.Contains(out, v) {
				t.Errorf("%s: filled text lacks %q", tp.ID, v)
			}
		}
		if !strings.Contains(out, "| Review cycle | annual |") {
			t.Errorf("%s: the document control table does not show the review cycle", tp.ID)
		}
	}
}

func TestFillRefuses(t *testing.T) {
	tp := byID(t, library(t), "access-control")
	with := func(f func(*Vars)) Vars { v := sampleVars; f(&v); return v }
	cases := []struct {
		name string
		vars Vars
		want string
	}{
		{"empty organization", with(func(v *Vars) { v.Organization = "" }), "organization must not be empty"},
		{"empty owner", with(func(v *Vars) { v.Owner = "" }), "owner must not be empty"},
		{"empty approver", with(func(v *Vars) { v.Approver = "" }), "approver must not be empty"},
		{"empty review cycle", with(func(v *Vars) { v.ReviewCycle = "" }), "review_cycle must not be empty"},
		{"empty effective date", with(func(v *Vars) { v.EffectiveDate = "" }), "effective_date must not be empty"},
		{"empty systems", with(func(v *Vars) { v.Systems = "" }), "systems must not be empty"},
		// Blank is empty: a policy whose owner is a space has no owner.
		{"blank owner", with(func(v *Vars) { v.Owner = " \t " }), "owner must not be empty"},
		{"all empty, all named", Vars{}, "organization, owner, approver, review_cycle, effective_date, systems must not be empty"},
		// A line break would let a value start a heading or a table row.
		{"line break", with(func(v *Vars) { v.Systems = "AWS\n# Injected heading" }), "systems must be one line"},
		// A value spelling a placeholder would make the draft look unfilled.
		{"placeholder in value", with(func(v *Vars) { v.Organization = "Acme {{approver}}" }), "organization may not contain {{ or }}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := tp.Fill(c.vars)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Fill = %q, %v; want an error containing %q", out[:min(len(out), 40)], err, c.want)
			}
		})
	}
	t.Run("unknown placeholder in a hand-built template", func(t *testing.T) {
		bad := tp
		bad.Body += "\nSigned for {{company}}.\n"
		if _, err := bad.Fill(sampleVars); err == nil || !strings.Contains(err.Error(), `unknown placeholder "{{company}}"`) {
			t.Fatalf("Fill = %v, want the unknown placeholder refused", err)
		}
	})
}

func TestFillTrimsValues(t *testing.T) {
	tp := byID(t, library(t), "backup")
	v := sampleVars
	v.Organization = "  Acme Cloud Ltd  "
	out, err := tp.Fill(v)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "  Acme") || !strings.Contains(out, "| Organization | Acme Cloud Ltd |") {
		t.Error("the organization's surrounding spaces were kept")
	}
}

func TestPlaceholders(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		{"no braces", nil},
		{"{{owner}} and {{approver}}, {{owner}} again", []string{"{{owner}}", "{{approver}}"}},
		{"{{ owner }} is not {{owner}}", []string{"{{ owner }}", "{{owner}}"}},
		{"unclosed {{owner and more", []string{"{{"}},
		{"stray }} closing", []string{"}}"}},
		{"{{owner\n}} split over lines", []string{"{{", "}}"}},
		{"{{{owner}}}", []string{"{{{owner}}"}},
	}
	for _, c := range cases {
		if got := Placeholders(c.text); !slices.Equal(got, c.want) {
			t.Errorf("Placeholders(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

// valid is a small template that parses; the mutations below each break one
// rule of it.
const valid = `---
id: sample-policy
title: Sample Policy
version: 1
summary: A sample.
controls: [GV-01]
criteria: [CC1.1]
category: security
---
# Sample Policy

{{organization}} {{owner}} {{approver}}
{{review_cycle}} {{effective_date}} {{systems}}
`

func TestParseRefuses(t *testing.T) {
	if _, err := parse("templates/sample-policy.md", []byte(valid)); err != nil {
		t.Fatalf("the valid sample does not parse: %v", err)
	}
	cases := []struct {
		name string
		file string
		edit func(string) string
		line int
		want string
	}{
		{"unknown placeholder", "", func(s string) string { return s + "Signed for {{company}}.\n" }, 14, `unknown placeholder "{{company}}"`},
		{"spaced placeholder", "", func(s string) string { return s + "\n{{ owner }}\n" }, 15, `unknown placeholder "{{ owner }}"`},
		{"unclosed placeholder", "", func(s string) string { return s + "{{owner\n" }, 14, `unknown placeholder "{{"`},
		{"missing placeholder", "", func(s string) string { return strings.Replace(s, "{{systems}}", "our systems", 1) }, 10, "never uses {{systems}}"},
		{"raw HTML", "", func(s string) string { return s + "\nSee <a href=x>here</a>.\n" }, 15, "raw HTML"},
		{"HTML comment", "", func(s string) string { return s + "<!-- note -->\n" }, 14, "raw HTML"},
		{"unknown key", "", func(s string) string { return strings.Replace(s, "category:", "owner: x\ncategory:", 1) }, 8, "field owner not found"},
		{"misspelt key", "", func(s string) string { return strings.Replace(s, "criteria:", "critera:", 1) }, 7, "field critera not found"},
		{"malformed control id", "", func(s string) string { return strings.Replace(s, "[GV-01]", "[GV-01, gv-2]", 1) }, 6, `control "gv-2" is not a library control id`},
		{"duplicate control", "", func(s string) string { return strings.Replace(s, "[GV-01]", "[GV-01, GV-01]", 1) }, 6, "control GV-01 is listed twice"},
		{"malformed criterion", "", func(s string) string { return strings.Replace(s, "[CC1.1]", "[CC1.1, Security]", 1) }, 7, `criterion "Security" is not a criterion id`},
		{"no controls", "", func(s string) string { return strings.Replace(s, "[GV-01]", "[]", 1) }, 6, "controls must list"},
		{"controls not a list", "", func(s string) string { return strings.Replace(s, "[GV-01]", "GV-01", 1) }, 6, "cannot unmarshal"},
		{"version not a number", "", func(s string) string { return strings.Replace(s, "version: 1", "version: one", 1) }, 4, "cannot unmarshal"},
		{"version zero", "", func(s string) string { return strings.Replace(s, "version: 1", "version: 0", 1) }, 4, "version must be 1 or more"},
		{"unknown category", "", func(s string) string {
			return strings.Replace(s, "category: security", "category: processing-integrity", 1)
		}, 8, `category "processing-integrity" is not one of`},
		{"id not the file name", "templates/other.md", func(s string) string { return s }, 2, "must equal the file's name (other)"},
		{"id not kebab-case", "templates/Sample_Policy.md", func(s string) string { return strings.Replace(s, "sample-policy", "Sample_Policy", 1) }, 2, "lower-case words joined by dashes"},
		{"empty title", "", func(s string) string { return strings.Replace(s, "title: Sample Policy", "title: ''", 1) }, 3, "title is required"},
		{"no front matter", "", func(s string) string { return strings.TrimPrefix(s, "---\n") }, 1, "opens with front matter"},
		{"front matter not closed", "", func(s string) string {
			return strings.Replace(s, "category: security\n---\n", "category: security\n", 1)
		}, 1, "not closed"},
		// yaml's parser counts these lines from zero, its scanner from
		// one; both must come out as the file's line.
		{"malformed YAML", "", func(s string) string { return strings.Replace(s, "summary: A sample.", "summary: [unclosed", 1) }, 5, "malformed front matter: did not find expected ',' or ']'"},
		{"tab indentation", "", func(s string) string { return strings.Replace(s, "category:", "\tcategory:", 1) }, 8, "malformed front matter: found character that cannot start any token"},
		{"mapping in a scalar", "", func(s string) string {
			return strings.Replace(s, "summary: A sample.", "summary: A sample: with a colon", 1)
		}, 5, "malformed front matter: mapping values are not allowed"},
		{"unclosed list on the first line, found on the next", "", func(s string) string { return strings.Replace(s, "id: sample-policy", "id: [x", 1) }, 3, "malformed front matter"},
		{"bad indentation", "", func(s string) string { return strings.Replace(s, "category:", " category:", 1) }, 8, "malformed front matter: did not find expected key"},
		{"duplicate key", "", func(s string) string { return strings.Replace(s, "category:", "title: Again\ncategory:", 1) }, 8, "already defined at line 3"},
		{"empty body", "", func(s string) string { return s[:strings.Index(s, "# Sample")] }, 10, "the policy text is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := c.file
			if file == "" {
				file = "templates/sample-policy.md"
			}
			_, err := parse(file, []byte(c.edit(valid)))
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("parse = %v, want a *LoadError", err)
			}
			if le.File != file || le.Line != c.line || !strings.Contains(le.Msg, c.want) {
				t.Errorf("parse = %q, want %s:%d: ...%s...", err, file, c.line, c.want)
			}
		})
	}
}

func TestLoadRefusesABadFileInTheSet(t *testing.T) {
	good := []byte(valid)
	bad := []byte(strings.Replace(valid, "{{systems}}", "{{system}}", 1))
	fsys := fstest.MapFS{
		"templates/sample-policy.md": {Data: good},
		"templates/other-policy.md":  {Data: []byte(strings.Replace(string(bad), "sample-policy", "other-policy", 1))},
	}
	_, err := load(fsys)
	if err == nil || !strings.HasPrefix(err.Error(), "templates/other-policy.md:13: unknown placeholder") {
		t.Fatalf("load = %v, want the bad file refused with its name and line", err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	refs := references(loadCatalog(t))
	base := byID(t, library(t), "backup") // BC-01, BC-02; A1.2, A1.3, CC9.1, C1.1
	cases := []struct {
		name string
		edit func(*Template)
		want string
	}{
		{"unknown control", func(tp *Template) { tp.Controls = append(tp.Controls, "GV-99") }, "control GV-99 is not in the control library"},
		{"unknown criterion", func(tp *Template) { tp.Criteria = append(tp.Criteria, "CC9.9") }, "criterion CC9.9 is not a Trust Services Criterion"},
		{"criterion no control maps", func(tp *Template) { tp.Criteria = append(tp.Criteria, "P1.1") }, "criterion P1.1 is not mapped by any listed control"},
		{"control contributing nothing", func(tp *Template) { tp.Controls = append(tp.Controls, "PR-01") }, "control PR-01 maps to none of the listed criteria"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tp := base
			tp.Controls = slices.Clone(base.Controls)
			tp.Criteria = slices.Clone(base.Criteria)
			c.edit(&tp)
			err := tp.Verify(refs)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "templates/backup.md") {
				t.Errorf("Verify = %v, want an error naming templates/backup.md and containing %q", err, c.want)
			}
		})
	}
}

// The text is rendered as Markdown; no template holds markup of its own.
func TestNoRawHTML(t *testing.T) {
	for _, tp := range library(t) {
		if i := strings.IndexAny(tp.Body, "<>"); i >= 0 {
			line := strings.Count(tp.Body[:i], "\n") + 1
			t.Errorf("%s: body line %d holds an angle bracket", tp.ID, line)
		}
	}
}

var sections = []string{
	"## 1. Purpose",
	"## 2. Scope",
	"## 3. Roles and responsibilities",
	"## 4. Policy",
	"## 5. Exceptions",
	"## 6. Enforcement",
	"## 7. Review",
	"## 8. Document control",
}

var wordPattern = regexp.MustCompile(`[A-Za-z0-9]`)

// words counts the words of the text as a reader sees them: placeholders
// count as one word, table rules and list markers as none.
func words(text string) int {
	n := 0
	for _, f := range strings.Fields(text) {
		if wordPattern.MatchString(f) {
			n++
		}
	}
	return n
}

func TestStructure(t *testing.T) {
	for _, tp := range library(t) {
		if first := strings.SplitN(tp.Body, "\n", 2)[0]; first != "# "+tp.Title {
			t.Errorf("%s: first line %q, want the title as heading", tp.ID, first)
		}
		var got []string
		for _, line := range strings.Split(tp.Body, "\n") {
			if strings.HasPrefix(line, "## ") {
				got = append(got, line)
			}
		}
		if !slices.Equal(got, sections) {
			t.Errorf("%s: sections\n got %q\nwant %q", tp.ID, got, sections)
		}
		for _, row := range []string{"| Policy owner | {{owner}} |", "| Approved by | {{approver}} |", "| Effective date | {{effective_date}} |", "| Review cycle | {{review_cycle}} |"} {
			if !strings.Contains(tp.Body, row) {
				t.Errorf("%s: the document control table lacks %q", tp.ID, row)
			}
		}
		if n := words(tp.Body); n < 600 || n > 1600 {
			t.Errorf("%s: %d words, want 600 to 1,600", tp.ID, n)
		}
		if strings.TrimSpace(tp.Summary) == "" || !strings.HasSuffix(tp.Summary, ".") {
			t.Errorf("%s: summary %q is not a sentence", tp.ID, tp.Summary)
		}
	}
}

// The policies refer to each other's defaults; these must agree wherever
// they are stated, or an auditor will find two rules for one thing.
func TestSharedDefaultsAgree(t *testing.T) {
	lib := library(t)
	cases := []struct {
		what      string
		phrase    string
		templates []string
	}{
		{"privileged access removed at departure", "Privileged access must be removed within 24 hours", []string{"human-resources-security"}},
		{"privileged access removed at departure", "privileged access must be removed within 24 hours and all other access within 72 hours", []string{"access-control"}},
		{"other access removed at departure", "all other access within 72 hours", []string{"human-resources-security", "access-control"}},
		{"access adjusted on role change", "within 5 business days of the change", []string{"human-resources-security", "access-control"}},
		{"awareness training", "within 30 days of starting and at least once a year", []string{"human-resources-security", "secure-development"}},
		{"policy acknowledgement", "within 30 days of starting and again each year", []string{"acceptable-use"}},
		{"access reviews", "at least quarterly", []string{"access-control"}},
		{"MFA everywhere", "on every system that offers it", []string{"authentication-and-passwords", "access-control"}},
		{"critical vulnerabilities", "**critical**: within 7 days", []string{"vulnerability-management"}},
		{"high vulnerabilities", "**high**: within 30 days", []string{"vulnerability-management"}},
		{"log retention", "12 months", []string{"logging-and-monitoring", "incident-response", "data-retention-and-disposal"}},
		{"backup retention", "35 days", []string{"backup", "data-retention-and-disposal"}},
		{"restore tests", "at least quarterly", []string{"backup"}},
		{"customer data deleted after contract", "within 30 days after the contract ends", []string{"data-retention-and-disposal"}},
		{"customer notification", "within 72 hours of confirming", []string{"incident-response"}},
		{"vendor incident notice", "within 72 hours of the vendor becoming aware", []string{"vendor-management"}},
		{"screen lock", "5 minutes", []string{"acceptable-use", "authentication-and-passwords"}},
		{"exceptions expire", "at most twelve months", subjects},
	}
	for _, c := range cases {
		for _, id := range c.templates {
			if !strings.Contains(byID(t, lib, id).Body, c.phrase) {
				t.Errorf("%s: %s: the text does not say %q", id, c.what, c.phrase)
			}
		}
	}
}

var policyReference = regexp.MustCompile(`(?:[A-Z][a-z]+ (?:and )?)+Policy|Code of Conduct`)

// A policy that names another must name one the library holds, by its
// title, so that a reader can find it.
func TestReferencesNameLibraryPolicies(t *testing.T) {
	lib := library(t)
	var titles []string
	for _, tp := range lib {
		titles = append(titles, tp.Title)
	}
	for _, tp := range lib {
		for _, ref := range policyReference.FindAllString(tp.Body, -1) {
			if ref = strings.TrimPrefix(ref, "The "); !slices.Contains(titles, ref) {
				t.Errorf("%s: refers to %q, which is not a template's title", tp.ID, ref)
			}
		}
	}
}

func Example() {
	lib, err := Library()
	if err != nil {
		panic(err)
	}
	for _, t := range lib {
		if t.ID != "backup" {
			continue
		}
		draft, err := t.Fill(Vars{
			Organization: "Acme Cloud Ltd", Owner: "Dana Reyes", Approver: "Sam Okafor",
			ReviewCycle: "annual", EffectiveDate: "1 March 2027", Systems: "the production AWS account",
		})
		if err != nil {
			panic(err)
		}
		fmt.Println(strings.SplitN(draft, "\n", 2)[0])
	}
	// Output: # Backup Policy
}
