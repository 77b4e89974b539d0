package scan_test

import (
	"context"
	"testing"
	"testing/fstest"
	"time"

	"github.com/vigil-soc/vigil/check"
	"github.com/vigil-soc/vigil/collect"
	"github.com/vigil-soc/vigil/scan"
)

// slow is a collector that takes its time.
type slow struct{ d time.Duration }

func (slow) Name() string { return "test.slow" }
func (s slow) Collect(ctx context.Context) (map[string]any, error) {
	time.Sleep(s.d)
	return map[string]any{"items": []any{map[string]any{"id": "a", "ok": true}}}, nil
}

// TestReportTimesWholeScan: a collector run beforehand (as a full scan
// starts them while compiling checks) is inside the report's started and
// duration, which cover the whole scan.
func TestReportTimesWholeScan(t *testing.T) {
	reg, err := check.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.LoadFS(fstest.MapFS{"c/slow.yaml": {Data: []byte(`id: test.slow-ok
version: 1
title: slow but fine
severity: low
rationale: r
remediation: r
collector: test.slow
select: input.items
assert: r.ok
reason: '"not ok"'
controls: [AC-01]
criteria: [CC6.1]
tests:
  - name: ok
    input: {items: [{id: a, ok: true}]}
    expect: {a: pass}
`)}}, "c"); err != nil {
		t.Fatal(err)
	}
	cols := collect.NewRegistry(slow{300 * time.Millisecond})
	began := time.Now()
	runs := scan.RunCollectors(context.Background(), cols, cols.Names(), nil)
	rep := scan.Run(context.Background(), scan.Options{Checks: reg, Collectors: cols, Runs: runs})
	if rep.Started.After(began.Add(10*time.Millisecond)) || rep.Duration < 300*time.Millisecond {
		t.Errorf("report started %v after the scan began and lasted %v; the collector alone took 300ms", rep.Started.Sub(began), rep.Duration)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Verdict != check.Pass {
		t.Errorf("findings %+v", rep.Findings)
	}
}
