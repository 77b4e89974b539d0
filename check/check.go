// Package check is Vigil's check engine: checks are YAML files whose logic
// is CEL (cel.dev/cel-go), run against normalized collector input. A check
// selects resources from the input, judges each with a predicate, and
// explains failures with a reason expression. Every check carries inline
// test cases, which `vigil checks test` runs.
package check

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/ext"
	"github.com/vigil-soc/vigil/check/logfilter"
	"go.yaml.in/yaml/v3"
)

// Verdict is a check's judgement of one resource.
type Verdict string

// The verdicts. Error and unknown are never a pass.
const (
	Pass          Verdict = "pass"
	Fail          Verdict = "fail"
	Error         Verdict = "error"
	Skip          Verdict = "skip"
	NotApplicable Verdict = "not_applicable"
)

// Severities, in increasing order.
var Severities = []string{"info", "low", "medium", "high", "critical"}

// Check is a loaded, compiled check.
type Check struct {
	ID          string `yaml:"id"`
	Version     int    `yaml:"version"`
	Title       string `yaml:"title"`
	Severity    string `yaml:"severity"`
	Rationale   string `yaml:"rationale"`
	Remediation string `yaml:"remediation"`
	Collector   string `yaml:"collector"`
	// Interval is how often an agent runs the check (e.g. "1h" for a
	// file-system walk); empty: at every scan.
	Interval   string            `yaml:"interval"`
	Params     map[string]any    `yaml:"params"`
	Select     string            `yaml:"select"`  // CEL: the list of resources (each a map with an "id")
	Assert     string            `yaml:"assert"`  // CEL: true when resource r passes
	Reason     string            `yaml:"reason"`  // CEL: why r fails (a string)
	Applies    string            `yaml:"applies"` // optional CEL: false makes the check not applicable
	Controls   []string          `yaml:"controls"`
	Criteria   []string          `yaml:"criteria"`
	References map[string]string `yaml:"references"` // e.g. cis: "5.2.4"
	Tests      []TestCase        `yaml:"tests"`

	File  string        `yaml:"-"`
	Line  int           `yaml:"-"`
	Every time.Duration `yaml:"-"` // Interval, parsed

	sel, assert, reason, applies cel.Program
	// lazy compiles the expressions at first use, for checks loaded
	// with their compilation deferred (nil: compiled at load).
	lazy *lazyCompile
}

// lazyCompile is a deferred compilation: once, by whichever use comes
// first; its error makes every run of the check an error.
type lazyCompile struct {
	once  sync.Once
	env   *cel.Env
	lines map[string]int // the expressions' lines, for errors
	err   error
}

// compiled compiles the check's expressions if that was deferred, and
// says why it cannot run when they do not compile.
func (c *Check) compiled() error {
	if c.lazy == nil {
		return nil
	}
	c.lazy.once.Do(func() { c.lazy.err = c.compile(c.lazy.env, nil) })
	return c.lazy.err
}

// TestCase is an inline test: input, optional parameter overrides, and the
// verdict expected for each resource id (or "*" for every resource).
type TestCase struct {
	Name   string             `yaml:"name"`
	Input  map[string]any     `yaml:"input"`
	Params map[string]any     `yaml:"params"`
	Expect map[string]Verdict `yaml:"expect"`
}

// Result is one resource's verdict.
type Result struct {
	CheckID  string  `json:"check"`
	Resource string  `json:"resource"`
	Verdict  Verdict `json:"verdict"`
	Reason   string  `json:"reason,omitempty"`
}

var idPattern = regexp.MustCompile(`^[a-z0-9]+(?:[.-][a-z0-9]+)+$`)

// LoadError names the file and line at fault.
type LoadError struct {
	File string
	Line int
	Msg  string
}

func (e *LoadError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// env is the CEL environment every expression compiles in: the collector's
// input, the check's parameters, and (for assert and reason) the resource.
func newEnv() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("input", cel.DynType),
		cel.Variable("params", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("r", cel.DynType),
		ext.Strings(), ext.Sets(), ext.Lists(), ext.Math(),
		// cel.bind(name, value, expr) names a value used more than once.
		ext.Bindings(),
		// m[?key].orValue(default) reads settings that may be absent.
		cel.OptionalTypes(),
		// cloudwatch.matches(pattern, event): would a CloudWatch Logs
		// filter pattern count this event (logfilter)? A pattern that
		// cannot be read is an error, not a no.
		cel.Function("cloudwatch.matches",
			cel.Overload("cloudwatch_matches_string_dyn", []*cel.Type{cel.StringType, cel.DynType}, cel.BoolType,
				cel.BinaryBinding(func(pattern, event ref.Val) ref.Val {
					p, ok := pattern.Value().(string)
					if !ok {
						return types.NewErr("cloudwatch.matches: the pattern is not a string")
					}
					f, err := logfilter.Parse(p)
					if err != nil {
						return types.NewErr("the filter pattern %q cannot be read: %v", p, err)
					}
					return types.Bool(f.Matches(native(event)))
				}))),
	)
}

// native turns a CEL value into plain Go values (maps, lists, strings,
// float64 numbers, bools) as decoded JSON would be.
func native(v ref.Val) any {
	switch x := v.(type) {
	case traits.Mapper:
		out := map[string]any{}
		for it := x.Iterator(); it.HasNext() == types.True; {
			k := it.Next()
			ks, _ := k.Value().(string)
			out[ks] = native(x.Get(k))
		}
		return out
	case traits.Lister:
		n, _ := x.Size().Value().(int64)
		out := make([]any, n)
		for i := range n {
			out[i] = native(x.Get(types.Int(i)))
		}
		return out
	}
	switch y := v.Value().(type) {
	case int64:
		return float64(y)
	case uint64:
		return float64(y)
	default:
		return y
	}
}

// costLimit bounds what one expression may do on one input, so a check
// cannot hang a scan.
const costLimit = 1_000_000

// Parse reads one check file and compiles its expressions. Errors name the
// file and line.
func Parse(env *cel.Env, file string, data []byte) (*Check, error) {
	return parse(env, file, data, false)
}

// parse reads one check file; with deferCompile its expressions are
// compiled at the check's first use instead (see Registry.LoadFSDeferred).
func parse(env *cel.Env, file string, data []byte, deferCompile bool) (*Check, error) {
	if deferCompile {
		// Deferred checks are loaded to run, not to test: their inline
		// cases (most of each file) are not even parsed.
		data = withoutTests(data)
	}
	var node yaml.Node
	if err := yaml.Unmarshal(data, &node); err != nil {
		return nil, &LoadError{File: file, Line: yamlLine(err), Msg: "malformed YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	c := &Check{File: file, Line: 1}
	// Decoded from the parsed tree (parsing twice would double the
	// garbage of loading 300 checks); unknown fields are refused by hand,
	// as the decoder's KnownFields would.
	if err := unknownFields(&node, reflect.TypeOf(Check{}), reflect.TypeOf(TestCase{})); err != nil {
		return nil, &LoadError{File: file, Line: err.line, Msg: err.msg}
	}
	if err := node.Decode(c); err != nil {
		return nil, &LoadError{File: file, Line: yamlLine(err), Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	line := func(key string) int { return keyLine(&node, key) }
	fail := func(key, format string, args ...any) error {
		return &LoadError{File: file, Line: line(key), Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case !idPattern.MatchString(c.ID):
		return nil, fail("id", "id %q must be lower-case words joined by dots or dashes, like linux.sshd.permit-root-login", c.ID)
	case c.Version < 1:
		return nil, fail("version", "version must be 1 or more")
	case strings.TrimSpace(c.Title) == "":
		return nil, fail("title", "title is required")
	case !slices.Contains(Severities, c.Severity):
		return nil, fail("severity", "severity %q is not one of %s", c.Severity, strings.Join(Severities, ", "))
	case c.Collector == "":
		return nil, fail("collector", "collector is required (e.g. host.sshd)")
	case c.Select == "" || c.Assert == "" || c.Reason == "":
		return nil, fail("select", "select, assert and reason are all required")
	case len(c.Tests) == 0 && !deferCompile:
		return nil, fail("tests", "a check needs at least one inline test case")
	}
	if c.Interval != "" {
		d, err := time.ParseDuration(c.Interval)
		if err != nil || d < time.Minute || d > 7*24*time.Hour {
			return nil, fail("interval", "interval %q must be a duration from 1m to 168h, like 1h", c.Interval)
		}
		c.Every = d
	}
	for i, tc := range c.Tests {
		if strings.TrimSpace(tc.Name) == "" || len(tc.Expect) == 0 {
			return nil, fail("tests", "test case %d needs a name and at least one expected verdict", i+1)
		}
		for id, v := range tc.Expect {
			if !slices.Contains([]Verdict{Pass, Fail, Error, Skip, NotApplicable}, v) {
				return nil, fail("tests", "test case %q expects %q for %s, which is not a verdict", tc.Name, v, id)
			}
		}
	}
	if c.Params == nil {
		c.Params = map[string]any{}
	}
	if deferCompile {
		c.lazy = &lazyCompile{env: env, lines: map[string]int{}}
		for _, k := range []string{"select", "assert", "reason", "applies"} {
			c.lazy.lines[k] = line(k)
		}
		return c, nil
	}
	if err := c.compile(env, &node); err != nil {
		return nil, err
	}
	return c, nil
}

// compile compiles the check's expressions; errors name the file and,
// with the parsed document, the line.
func (c *Check) compile(env *cel.Env, node *yaml.Node) error {
	fail := func(key, format string, args ...any) error {
		line := c.Line
		if node != nil {
			line = keyLine(node, key)
		} else if c.lazy != nil && c.lazy.lines[key] > 0 {
			line = c.lazy.lines[key]
		}
		return &LoadError{File: c.File, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	var err error
	for _, x := range []struct {
		key, src string
		prg      *cel.Program
		want     *cel.Type
	}{
		{"select", c.Select, &c.sel, cel.ListType(cel.DynType)},
		{"assert", c.Assert, &c.assert, cel.BoolType},
		{"reason", c.Reason, &c.reason, cel.StringType},
		{"applies", c.Applies, &c.applies, cel.BoolType},
	} {
		if x.src == "" {
			continue
		}
		ast, iss := env.Compile(x.src)
		if iss != nil && iss.Err() != nil {
			return fail(x.key, "%s does not compile: %s", x.key, strings.ReplaceAll(iss.Err().Error(), "\n", " "))
		}
		out := ast.OutputType()
		okType := out == cel.DynType || out.IsAssignableType(x.want) ||
			(x.key == "select" && out.Kind() == cel.ListType(cel.DynType).Kind())
		if !okType {
			return fail(x.key, "%s must give a %s, not a %s", x.key, x.want, ast.OutputType())
		}
		if *x.prg, err = env.Program(ast, cel.CostLimit(costLimit)); err != nil {
			return fail(x.key, "%s: %v", x.key, err)
		}
	}
	return nil
}

// withoutTests is a check file without its top-level tests key and the
// block under it (indented lines, sequence items at the margin, comments
// and blank lines), so the rest parses alone. The rest keeps its line
// numbers: the block's lines are kept empty.
func withoutTests(data []byte) []byte {
	lines := bytes.SplitAfter(data, []byte("\n"))
	out := make([]byte, 0, len(data))
	in := false
	for _, l := range lines {
		switch {
		case bytes.HasPrefix(l, []byte("tests:")):
			in = true
		case in && (len(bytes.TrimSpace(l)) == 0 || l[0] == ' ' || l[0] == '\t' || l[0] == '-' || l[0] == '#'):
		default:
			in = false
		}
		if in {
			if bytes.HasSuffix(l, []byte("\n")) {
				out = append(out, '\n')
			}
			continue
		}
		out = append(out, l...)
	}
	return out
}

func yamlLine(err error) int {
	var te *yaml.TypeError
	m := regexp.MustCompile(`line (\d+)`).FindStringSubmatch(err.Error())
	if errors.As(err, &te) && len(te.Errors) > 0 {
		m = regexp.MustCompile(`line (\d+)`).FindStringSubmatch(te.Errors[0])
	}
	if m == nil {
		return 1
	}
	var n int
	fmt.Sscan(m[1], &n)
	return n
}

func keyLine(doc *yaml.Node, key string) int {
	if len(doc.Content) == 0 {
		return 1
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line
		}
	}
	return m.Line
}

// Registry holds loaded checks by ID.
type Registry struct {
	env    *cel.Env
	checks map[string]*Check
}

// NewRegistry returns an empty registry.
func NewRegistry() (*Registry, error) {
	env, err := newEnv()
	if err != nil {
		return nil, err
	}
	return &Registry{env: env, checks: map[string]*Check{}}, nil
}

// LoadFS loads every *.yaml file under dir of fsys, compiling each
// check. Duplicate IDs are an error naming both files.
func (r *Registry) LoadFS(fsys fs.FS, dir string) error {
	return r.load(fsys, dir, false)
}

// LoadFSDeferred loads like LoadFS but compiles each check's expressions
// at its first use (Run, or CompileAll), not at load: compiling every
// built-in check is most of a server's start, and most servers run few of
// them. A check that does not compile is never run uncompiled: each run
// gives an error naming why. Only for checks whose compilation is tested
// (the built-in ones, by CompileAll in their tests); an organization's own
// checks are compiled at load, so a mistake is named at once.
func (r *Registry) LoadFSDeferred(fsys fs.FS, dir string) error {
	return r.load(fsys, dir, true)
}

// CompileAll compiles every check whose compilation was deferred, and
// returns every error, each naming its file and line.
func (r *Registry) CompileAll() error {
	var errs []error
	for _, c := range r.Checks() {
		if err := c.compiled(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (r *Registry) load(fsys fs.FS, dir string, deferCompile bool) error {
	return fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (path.Ext(p) != ".yaml" && path.Ext(p) != ".yml") {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		c, err := parse(r.env, p, data, deferCompile)
		if err != nil {
			return err
		}
		if old, dup := r.checks[c.ID]; dup {
			return &LoadError{File: p, Line: 1, Msg: fmt.Sprintf("check %s is also defined in %s", c.ID, old.File)}
		}
		r.checks[c.ID] = c
		return nil
	})
}

// DropTests forgets the inline test cases, which take most of a loaded
// registry's memory (their fixture inputs) and are needed only by Test.
func (r *Registry) DropTests() {
	for _, c := range r.checks {
		c.Tests = nil
	}
}

// Has reports whether a check is loaded.
func (r *Registry) Has(id string) bool { return r.checks[id] != nil }

// Checks returns the checks sorted by ID.
func (r *Registry) Checks() []*Check {
	out := make([]*Check, 0, len(r.checks))
	for _, c := range r.checks {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ControlsFor lists, sorted and once each, the controls mapped by the
// checks whose collector starts with prefix ("host.", "aws."): the
// controls evidence from those collectors speaks for.
func (r *Registry) ControlsFor(prefix string) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range r.checks {
		if !strings.HasPrefix(c.Collector, prefix) {
			continue
		}
		for _, id := range c.Controls {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Run judges input with the check, using params over the check's defaults.
// A resource the predicate cannot judge (a runtime error, a non-boolean
// answer) gets Error with the message; an input the selection cannot read
// gives one Error result for the whole check.
func (c *Check) Run(input map[string]any, params map[string]any) []Result {
	p := map[string]any{}
	for k, v := range c.Params {
		p[k] = v
	}
	for k, v := range params {
		p[k] = v
	}
	if err := c.compiled(); err != nil {
		return []Result{{CheckID: c.ID, Resource: "*", Verdict: Error, Reason: "the check cannot run: " + err.Error()}}
	}
	vars := map[string]any{"input": input, "params": p, "r": nil}
	if c.applies != nil {
		v, _, err := c.applies.Eval(vars)
		if err != nil {
			return []Result{{CheckID: c.ID, Resource: "*", Verdict: Error, Reason: "applies: " + err.Error()}}
		}
		if b, ok := v.Value().(bool); ok && !b {
			return []Result{{CheckID: c.ID, Resource: "*", Verdict: NotApplicable, Reason: "does not apply to this host"}}
		}
	}
	v, _, err := c.sel.Eval(vars)
	if err != nil {
		return []Result{{CheckID: c.ID, Resource: "*", Verdict: Error, Reason: "select: " + err.Error()}}
	}
	list, ok := v.(traits.Lister)
	if !ok {
		return []Result{{CheckID: c.ID, Resource: "*", Verdict: Error, Reason: "select did not give a list"}}
	}
	var out []Result
	n, _ := list.Size().Value().(int64)
	for i := int64(0); i < n; i++ {
		item := list.Get(types.Int(i))
		id := fmt.Sprint(i)
		if m, ok := item.(traits.Mapper); ok {
			if v, found := m.Find(types.String("id")); found {
				id = fmt.Sprint(v.Value())
			}
		}
		res := Result{CheckID: c.ID, Resource: id}
		// Collectors mark what they could not read ("error") and what does
		// not exist on this host ("na"); the predicate never judges those.
		if m, ok := item.(traits.Mapper); ok {
			if e, found := m.Find(types.String("error")); found && fmt.Sprint(e.Value()) != "" {
				res.Verdict, res.Reason = Error, fmt.Sprint(e.Value())
				out = append(out, res)
				continue
			}
			if e, found := m.Find(types.String("na")); found && fmt.Sprint(e.Value()) != "" {
				res.Verdict, res.Reason = NotApplicable, fmt.Sprint(e.Value())
				out = append(out, res)
				continue
			}
		}
		vars["r"] = item
		av, _, err := c.assert.Eval(vars)
		switch b, ok := valueBool(av); {
		case err != nil:
			res.Verdict, res.Reason = Error, "assert: "+err.Error()
		case !ok:
			res.Verdict, res.Reason = Error, "assert did not give true or false"
		case b:
			res.Verdict = Pass
		default:
			res.Verdict = Fail
			if rv, _, err := c.reason.Eval(vars); err == nil {
				res.Reason = fmt.Sprint(rv.Value())
			} else {
				res.Reason = "(reason failed: " + err.Error() + ")"
			}
		}
		out = append(out, res)
	}
	if len(out) == 0 {
		return []Result{{CheckID: c.ID, Resource: "*", Verdict: NotApplicable, Reason: "nothing to check on this host"}}
	}
	return out
}

func valueBool(v ref.Val) (bool, bool) {
	if v == nil {
		return false, false
	}
	b, ok := v.Value().(bool)
	return b, ok
}

// TestFailure is an inline test case whose verdicts differ from expected.
type TestFailure struct {
	Check, Case string
	Detail      string
}

// Test runs every check's inline cases.
func (r *Registry) Test() []TestFailure {
	var out []TestFailure
	for _, c := range r.Checks() {
		for _, tc := range c.Tests {
			got := map[string]Verdict{}
			for _, res := range c.Run(tc.Input, tc.Params) {
				got[res.Resource] = res.Verdict
			}
			for id, want := range tc.Expect {
				if id == "*" {
					for rid, v := range got {
						if v != want {
							out = append(out, TestFailure{c.ID, tc.Name, fmt.Sprintf("resource %s: %s, want %s", rid, v, want)})
						}
					}
					continue
				}
				if got[id] != want {
					out = append(out, TestFailure{c.ID, tc.Name, fmt.Sprintf("resource %s: %q, want %s", id, got[id], want)})
				}
			}
		}
	}
	return out
}

type fieldError struct {
	line int
	msg  string
}

// unknownFields refuses keys of the check's mapping, and of each test
// case, that the structs do not have: a misspelt field must not be
// silently ignored.
func unknownFields(doc *yaml.Node, check, test reflect.Type) *fieldError {
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		if len(doc.Content) == 0 {
			return nil
		}
		return &fieldError{doc.Content[0].Line, "a check is a YAML mapping of fields"}
	}
	known := func(t reflect.Type) map[string]bool {
		m := map[string]bool{}
		for i := 0; i < t.NumField(); i++ {
			if tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]; tag != "" && tag != "-" {
				m[tag] = true
			}
		}
		return m
	}
	ck, tk := known(check), known(test)
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if !ck[k.Value] {
			return &fieldError{k.Line, fmt.Sprintf("field %s not found in type check.Check", k.Value)}
		}
		if k.Value == "tests" && m.Content[i+1].Kind == yaml.SequenceNode {
			for _, tc := range m.Content[i+1].Content {
				if tc.Kind != yaml.MappingNode {
					continue
				}
				for j := 0; j+1 < len(tc.Content); j += 2 {
					if !tk[tc.Content[j].Value] {
						return &fieldError{tc.Content[j].Line, fmt.Sprintf("field %s not found in a test case", tc.Content[j].Value)}
					}
				}
			}
		}
	}
	return nil
}
