// Package policy holds Vigil's policy template library: nineteen policies
// written for Vigil in Markdown, each mapped to the library controls and the
// Trust Services Criteria it supports, with six variables an organization
// fills in when it adopts one. Adopted policies (drafts, approval,
// acknowledgement) build on this package and live elsewhere.
//
// The package imports only the standard library and yaml: it is domain
// code, and the catalog is given to it (References) rather than imported,
// so that the library can be read without the catalog and tested against it.
package policy

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

//go:embed templates/*.md
var templateFS embed.FS

// Template is one policy of the library, as written: its body still holds
// the placeholders that Fill replaces.
type Template struct {
	ID       string // stable, kebab-case, the file's name without .md
	Title    string
	Summary  string
	Category string // the Trust Services Category that must be in scope to offer it
	Version  int    // the template's revision, raised when its text changes
	Controls []string
	Criteria []string
	Body     string // Markdown, without the front matter
}

// Categories are the values a template's category may take, spelled as the
// domain's vigil.Category keys (this package does not import the domain, and
// a test holds the two lists together).
var Categories = []string{"security", "availability", "confidentiality", "processing_integrity", "privacy"}

// variables are the only placeholders a template may hold, in the order Vars
// lists their values. They are fixed strings rather than a template
// language so that neither a template nor what a user types into a variable
// can run anything: filling is a plain string replacement.
var variables = []string{
	"{{organization}}",
	"{{owner}}",
	"{{approver}}",
	"{{review_cycle}}",
	"{{effective_date}}",
	"{{systems}}",
}

// Vars are the values an organization gives a template when it adopts it.
type Vars struct {
	Organization  string // the organization's name
	Owner         string // who maintains the policy
	Approver      string // who approves it and its exceptions
	ReviewCycle   string // how often it is reviewed, e.g. "annual"
	EffectiveDate string // when the approved policy takes effect
	Systems       string // the systems in scope, as a list in words
}

func (v Vars) values() []string {
	return []string{v.Organization, v.Owner, v.Approver, v.ReviewCycle, v.EffectiveDate, v.Systems}
}

// LoadError names the template file and the line at fault.
type LoadError struct {
	File string
	Line int
	Msg  string
}

func (e *LoadError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Library returns the embedded templates sorted by ID. Each call parses the
// files again and returns fresh values, so no caller can change what another
// sees; the library is small (nineteen files) and read rarely.
func Library() ([]Template, error) {
	return load(templateFS)
}

func load(fsys fs.FS) ([]Template, error) {
	names, err := fs.Glob(fsys, "templates/*.md")
	if err != nil {
		return nil, fmt.Errorf("policy templates: %w", err)
	}
	var out []Template
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("policy templates: %w", err)
		}
		t, err := parse(name, data)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	// IDs equal file names, so they are unique; sorting makes the order
	// independent of how the file system lists them.
	slices.SortFunc(out, func(a, b Template) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// frontMatter is the YAML block a template file opens with. Decoding it with
// KnownFields makes a misspelt key an error instead of a mapping silently
// left out.
type frontMatter struct {
	ID       string   `yaml:"id"`
	Title    string   `yaml:"title"`
	Version  int      `yaml:"version"`
	Summary  string   `yaml:"summary"`
	Controls []string `yaml:"controls"`
	Criteria []string `yaml:"criteria"`
	Category string   `yaml:"category"`
}

var (
	idPattern        = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	controlPattern   = regexp.MustCompile(`^[A-Z]{2}-[0-9]{2}$`)
	criterionPattern = regexp.MustCompile(`^(?:CC|A|C|PI|P)[0-9]\.[0-9]$`)
	yamlLinePattern  = regexp.MustCompile(`line ([0-9]+)`)
	// rawHTML matches what CommonMark would pass through as markup: an
	// opening or closing tag, a comment, a declaration or a processing
	// instruction. Templates are rendered as Markdown, so they hold none.
	rawHTML = regexp.MustCompile(`<[A-Za-z/!?]`)
)

// parse reads one template file and checks everything that can be checked
// without the catalog: the front matter's keys and shapes, the placeholders
// and the Markdown. Verify checks the mappings against the catalog.
func parse(file string, data []byte) (Template, error) {
	fail := func(line int, format string, args ...any) error {
		return &LoadError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	lines := strings.SplitAfter(string(data), "\n")
	if strings.TrimRight(lines[0], "\r\n") != "---" {
		return Template{}, fail(1, "a template opens with front matter: a line holding only ---")
	}
	end := -1
	for i := 1; i < len(lines); i++ {
		if strings.TrimRight(lines[i], "\r\n") == "---" {
			end = i
			break
		}
	}
	if end < 0 {
		return Template{}, fail(1, "the front matter is not closed by a line holding only ---")
	}
	// File line of the front matter's first line, and of the body's.
	const fmStart = 2
	bodyStart := end + 2
	fmText := strings.Join(lines[1:end], "")
	body := strings.Join(lines[end+1:], "")

	var node yaml.Node
	if err := yaml.Unmarshal([]byte(fmText), &node); err != nil {
		line, msg := yamlError(err, fmStart)
		return Template{}, fail(line, "malformed front matter: %s", msg)
	}
	if len(node.Content) == 0 {
		return Template{}, fail(1, "the front matter is empty")
	}
	var fm frontMatter
	dec := yaml.NewDecoder(strings.NewReader(fmText))
	dec.KnownFields(true)
	if err := dec.Decode(&fm); err != nil && !errors.Is(err, io.EOF) {
		line, msg := yamlError(err, fmStart)
		return Template{}, fail(line, "%s", msg)
	}
	at := func(key string) int { return fmStart - 1 + keyLine(&node, key) }
	item := func(key string, i int) int { return fmStart - 1 + itemLine(&node, key, i) }

	base := strings.TrimSuffix(path.Base(file), ".md")
	switch {
	case !idPattern.MatchString(fm.ID):
		return Template{}, fail(at("id"), "id %q must be lower-case words joined by dashes, like access-control", fm.ID)
	case fm.ID != base:
		return Template{}, fail(at("id"), "id %q must equal the file's name (%s)", fm.ID, base)
	case strings.TrimSpace(fm.Title) == "":
		return Template{}, fail(at("title"), "title is required")
	case fm.Version < 1:
		return Template{}, fail(at("version"), "version must be 1 or more")
	case strings.TrimSpace(fm.Summary) == "":
		return Template{}, fail(at("summary"), "summary is required")
	case !slices.Contains(Categories, fm.Category):
		return Template{}, fail(at("category"), "category %q is not one of %s", fm.Category, strings.Join(Categories, ", "))
	case len(fm.Controls) == 0:
		return Template{}, fail(at("controls"), "controls must list the library controls the policy supports")
	case len(fm.Criteria) == 0:
		return Template{}, fail(at("criteria"), "criteria must list the criteria the policy supports")
	}
	for i, id := range fm.Controls {
		if !controlPattern.MatchString(id) {
			return Template{}, fail(item("controls", i), "control %q is not a library control id like AC-01", id)
		}
		if slices.Index(fm.Controls, id) != i {
			return Template{}, fail(item("controls", i), "control %s is listed twice", id)
		}
	}
	for i, id := range fm.Criteria {
		if !criterionPattern.MatchString(id) {
			return Template{}, fail(item("criteria", i), "criterion %q is not a criterion id like CC6.1", id)
		}
		if slices.Index(fm.Criteria, id) != i {
			return Template{}, fail(item("criteria", i), "criterion %s is listed twice", id)
		}
	}

	lineOf := func(offset int) int { return bodyStart + strings.Count(body[:offset], "\n") }
	if strings.TrimSpace(body) == "" {
		return Template{}, fail(bodyStart, "the policy text is empty")
	}
	for _, tok := range scanPlaceholders(body) {
		if !slices.Contains(variables, tok.text) {
			return Template{}, fail(lineOf(tok.offset), "unknown placeholder %q; the placeholders are %s", tok.text, strings.Join(variables, ", "))
		}
	}
	for _, v := range variables {
		if !strings.Contains(body, v) {
			return Template{}, fail(bodyStart, "the policy text never uses %s; every template uses all six placeholders", v)
		}
	}
	if loc := rawHTML.FindStringIndex(body); loc != nil {
		return Template{}, fail(lineOf(loc[0]), "raw HTML is not allowed: the text is rendered as Markdown, so write it without angle brackets")
	}
	return Template{
		ID: fm.ID, Title: fm.Title, Summary: fm.Summary, Category: fm.Category, Version: fm.Version,
		Controls: fm.Controls, Criteria: fm.Criteria, Body: body,
	}, nil
}

// yamlError turns a yaml error into a file line and a message whose line
// numbers are the file's: yaml counts from the front matter's first line,
// which is the file's line start.
func yamlError(err error, start int) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
		if n := len(te.Errors) - 1; n > 0 {
			msg += fmt.Sprintf(" (and %d more)", n)
		}
	}
	shift := start - 1
	if isParserProblem(msg) {
		shift++
	}
	msg = yamlLinePattern.ReplaceAllStringFunc(msg, func(m string) string {
		n, _ := strconv.Atoi(strings.TrimPrefix(m, "line "))
		return "line " + strconv.Itoa(n+shift)
	})
	// Without a line, yaml's error is on the front matter's first line.
	line := start
	if m := yamlLinePattern.FindStringSubmatch(msg); m != nil && strings.HasPrefix(msg, m[0]+": ") {
		line, _ = strconv.Atoi(m[1])
		msg = strings.TrimPrefix(msg, m[0]+": ")
	}
	return line, msg
}

// parserProblems are the syntax errors of yaml's parser, as opposed to its
// scanner. yaml (v3.0.4, decode.go's fail) reports the scanner's errors at
// lines counted from one but the parser's at lines counted from zero, which
// would name the line before the fault; they are told apart by message.
var parserProblems = []string{
	"did not find expected",
	"found duplicate %",
	"found incompatible YAML document",
	"found undefined tag handle",
}

func isParserProblem(msg string) bool {
	if m := yamlLinePattern.FindStringSubmatch(msg); m != nil {
		msg = strings.TrimPrefix(msg, m[0]+": ")
	}
	return slices.ContainsFunc(parserProblems, func(p string) bool { return strings.HasPrefix(msg, p) })
}

// keyLine is the line of a top-level key in the parsed front matter (the
// mapping's own line when the key is absent).
func keyLine(doc *yaml.Node, key string) int {
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line
		}
	}
	return m.Line
}

// itemLine is the line of the i-th element of a top-level sequence, so an
// error in a flow list names the right line even when the list spans several.
func itemLine(doc *yaml.Node, key string, i int) int {
	m := doc.Content[0]
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j].Value == key && i < len(m.Content[j+1].Content) {
			return m.Content[j+1].Content[i].Line
		}
	}
	return keyLine(doc, key)
}

type placeholder struct {
	offset int
	text   string
}

// scanPlaceholders finds every "{{...}}" in text, and every "{{" or "}}" that
// does not belong to one, so that a misspelt or half-written placeholder is
// reported instead of reaching a published policy. A placeholder does not
// span lines.
func scanPlaceholders(text string) []placeholder {
	var out []placeholder
	for i := 0; i < len(text); {
		open := strings.Index(text[i:], "{{")
		closing := strings.Index(text[i:], "}}")
		switch {
		case open < 0 && closing < 0:
			return out
		case open < 0 || (closing >= 0 && closing < open):
			out = append(out, placeholder{i + closing, "}}"})
			i += closing + 2
		default:
			start := i + open
			rest := text[start+2:]
			end := strings.Index(rest, "}}")
			if end < 0 || strings.Contains(rest[:end], "\n") || strings.Contains(rest[:end], "{{") {
				out = append(out, placeholder{start, "{{"})
				i = start + 2
				continue
			}
			out = append(out, placeholder{start, text[start : start+2+end+2]})
			i = start + 2 + end + 2
		}
	}
	return out
}

// Placeholders returns the placeholders text holds, each once, in the order
// they first appear: the known ones ("{{owner}}") as well as any other
// "{{...}}", and a lone "{{" or "}}" as itself.
func Placeholders(text string) []string {
	var out []string
	for _, p := range scanPlaceholders(text) {
		if !slices.Contains(out, p.text) {
			out = append(out, p.text)
		}
	}
	return out
}

// Fill returns the template's body with the variables filled in: the draft an
// organization starts from when it adopts the template. Every variable is
// required, since a policy with a blank owner or approver cannot be approved.
// A value is one line of text: a line break would let it start a heading, a
// list or a table row inside the policy. A value may not contain "{{" or
// "}}", so a filled policy never looks unfilled. Values are inserted as they
// are; escaping them for display is the renderer's work, as it is for
// anything else a user writes into a policy.
func (t Template) Fill(v Vars) (string, error) {
	values := v.values()
	pairs := make([]string, 0, 2*len(variables))
	var empty []string
	for i, name := range variables {
		val := strings.TrimSpace(values[i])
		label := strings.Trim(name, "{}")
		switch {
		case val == "":
			empty = append(empty, label)
		case strings.ContainsFunc(val, unicode.IsControl):
			return "", fmt.Errorf("policy %s: %s must be one line of text", t.ID, label)
		case strings.Contains(val, "{{") || strings.Contains(val, "}}"):
			return "", fmt.Errorf("policy %s: %s may not contain {{ or }}", t.ID, label)
		}
		pairs = append(pairs, name, val)
	}
	if len(empty) > 0 {
		return "", fmt.Errorf("policy %s: %s must not be empty", t.ID, strings.Join(empty, ", "))
	}
	// Checked here as well as at load, because a Template may be built by
	// hand rather than read from the library.
	for _, p := range Placeholders(t.Body) {
		if !slices.Contains(variables, p) {
			return "", fmt.Errorf("policy %s: unknown placeholder %q", t.ID, p)
		}
	}
	// One pass over the body: a value that happened to spell a placeholder
	// would not be expanded again (and is refused above in any case).
	return strings.NewReplacer(pairs...).Replace(t.Body), nil
}

// References is what a template's mappings must resolve against: each
// control of the library with the criteria it maps to, and the criteria.
// The caller builds it from the catalog, which this package does not import.
type References struct {
	Controls map[string][]string
	Criteria map[string]bool
}

// Verify checks the template's mappings against the catalog: every control
// and criterion exists, every criterion listed is one that a listed control
// maps to (a policy supports a criterion through the controls it sets rules
// for), and every control listed contributes at least one listed criterion
// (otherwise the control would be listed for nothing). All problems are
// returned together.
func (t Template) Verify(refs References) error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("templates/%s.md: "+format, append([]any{t.ID}, args...)...))
	}
	supported := map[string]bool{}
	for _, c := range t.Controls {
		crit, ok := refs.Controls[c]
		if !ok {
			fail("control %s is not in the control library", c)
			continue
		}
		for _, id := range crit {
			supported[id] = true
		}
		if !slices.ContainsFunc(crit, func(id string) bool { return slices.Contains(t.Criteria, id) }) {
			fail("control %s maps to none of the listed criteria; list one of %s or drop the control", c, strings.Join(crit, ", "))
		}
	}
	for _, id := range t.Criteria {
		switch {
		case !refs.Criteria[id]:
			fail("criterion %s is not a Trust Services Criterion", id)
		case !supported[id]:
			fail("criterion %s is not mapped by any listed control", id)
		}
	}
	return errors.Join(errs...)
}
