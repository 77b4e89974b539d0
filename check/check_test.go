package check

import (
	"os"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
)

func TestLoadAndInlineTests(t *testing.T) {
	r, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadFS(os.DirFS("testdata"), "good"); err != nil {
		t.Fatal(err)
	}
	if n := len(r.Checks()); n != 1 {
		t.Fatalf("%d checks loaded", n)
	}
	if f := r.Test(); len(f) != 0 {
		t.Fatalf("inline tests failed: %+v", f)
	}
	c := r.Checks()[0]
	res := c.Run(map[string]any{"sshd": map[string]any{"id": "sshd", "permitrootlogin": "yes"}}, nil)
	if len(res) != 1 || res[0].Verdict != Fail || res[0].Reason != "PermitRootLogin is yes" {
		t.Fatalf("fail result %+v", res)
	}
	// A value the predicate cannot judge is an error, never a pass.
	res = c.Run(map[string]any{"sshd": map[string]any{"id": "sshd"}}, nil)
	if res[0].Verdict != Error || !strings.Contains(res[0].Reason, "no such key") {
		t.Fatalf("missing key: %+v", res)
	}
	res = c.Run(map[string]any{"sshd": map[string]any{"id": "sshd", "permitrootlogin": 7}}, nil)
	if res[0].Verdict == Pass {
		t.Fatalf("a number judged as pass: %+v", res)
	}
}

func TestLoadErrorsNameFileAndLine(t *testing.T) {
	base := "id: a.b\nversion: 1\ntitle: T\nseverity: low\ncollector: host.x\nselect: '[input]'\nassert: 'true'\nreason: '\"x\"'\ntests:\n  - name: t\n    input: {}\n    expect: {x: pass}\n"
	cases := []struct {
		name, src, want string
		line            int
	}{
		{"malformed yaml", "title: x\nb:\n\t- x\n", "malformed YAML", 3},
		{"bad CEL", strings.Replace(base, "assert: 'true'", "assert: 'r.x ==='", 1), "assert does not compile", 7},
		{"wrong type", strings.Replace(base, "assert: 'true'", "assert: '\"yes\"'", 1), "must give a bool", 7},
		{"no tests", strings.Split(base, "tests:")[0], "at least one inline test", 1},
		{"bad severity", strings.Replace(base, "severity: low", "severity: scary", 1), "severity", 4},
		{"unknown field", base + "colour: red\n", "colour", 13},
		{"bad id", strings.Replace(base, "id: a.b", "id: Bad Id", 1), "lower-case", 1},
	}
	r, _ := NewRegistry()
	for _, c := range cases {
		_, err := Parse(r.env, "x.yaml", []byte(c.src))
		le, ok := err.(*LoadError)
		if !ok || !strings.Contains(le.Msg, c.want) || le.Line != c.line || le.File != "x.yaml" {
			t.Errorf("%s: %v, want x.yaml:%d and %q", c.name, err, c.line, c.want)
		}
	}
}

func TestRunRuntimeErrors(t *testing.T) {
	r, _ := NewRegistry()
	src := "id: a.b\nversion: 1\ntitle: T\nseverity: low\ncollector: host.x\nselect: 'input.items'\nassert: 'r.size / r.div > 1'\nreason: '\"small\"'\ntests:\n  - name: t\n    input: {items: []}\n    expect: {x: pass}\n"
	c, err := Parse(r.env, "x.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	res := c.Run(map[string]any{"items": []any{
		map[string]any{"id": "a", "size": 10, "div": 2},
		map[string]any{"id": "b", "size": 10, "div": 0},
		map[string]any{"id": "c", "size": 1, "div": 1},
	}}, nil)
	got := map[string]Verdict{}
	for _, x := range res {
		got[x.Resource] = x.Verdict
	}
	if got["a"] != Pass || got["b"] != Error || got["c"] != Fail {
		t.Fatalf("verdicts %v", got)
	}
	// Input the selection cannot read: one error for the check.
	res = c.Run(map[string]any{}, nil)
	if len(res) != 1 || res[0].Verdict != Error {
		t.Fatalf("missing input: %+v", res)
	}
}

// TestDeferredCompilation: a check loaded with its compilation deferred is
// compiled at first use; one that does not compile never runs uncompiled
// (every run is an error naming why), and CompileAll names its file and
// the expression's line.
func TestDeferredCompilation(t *testing.T) {
	r, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	good := "id: t.good\nversion: 1\ntitle: t\nseverity: low\ncollector: c\nselect: input.items\nassert: r.ok\nreason: '\"no\"'\ntests:\n  - name: a\n    input: {items: []}\n    expect: {\"*\": not_applicable}\n"
	bad := "id: t.bad\nversion: 1\ntitle: t\nseverity: low\ncollector: c\nselect: input.items\nassert: r.ok &&\nreason: '\"no\"'\ntests:\n  - name: a\n    input: {items: []}\n    expect: {\"*\": not_applicable}\n"
	fsys := fstest.MapFS{"d/good.yaml": {Data: []byte(good)}, "d/bad.yaml": {Data: []byte(bad)}}
	if err := r.LoadFSDeferred(fsys, "d"); err != nil {
		t.Fatalf("deferred load compiled: %v", err)
	}
	var goodC, badC *Check
	for _, c := range r.Checks() {
		if c.ID == "t.good" {
			goodC = c
		} else {
			badC = c
		}
	}
	if goodC.sel != nil {
		t.Fatal("compiled at load")
	}
	// First uses at once compile once.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			res := goodC.Run(map[string]any{"items": []any{map[string]any{"id": "x", "ok": true}}}, nil)
			if len(res) != 1 || res[0].Verdict != Pass {
				t.Errorf("good check: %+v", res)
			}
		})
	}
	wg.Wait()
	var res []Result
	for range 2 {
		res = badC.Run(map[string]any{"items": []any{map[string]any{"id": "x", "ok": true}}}, nil)
		if len(res) != 1 || res[0].Verdict != Error || !strings.Contains(res[0].Reason, "cannot run") || !strings.Contains(res[0].Reason, "d/bad.yaml:7") {
			t.Errorf("bad check: %+v", res)
		}
	}
	if err := r.CompileAll(); err == nil || !strings.Contains(err.Error(), "d/bad.yaml:7: assert does not compile") {
		t.Errorf("CompileAll: %v", err)
	}
	// The same file through LoadFS is refused at load.
	if err := func() error { r2, _ := NewRegistry(); return r2.LoadFS(fsys, "d") }(); err == nil || !strings.Contains(err.Error(), "bad.yaml:7") {
		t.Errorf("eager load: %v", err)
	}
}
