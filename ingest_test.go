package vigil_test

import (
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
)

func TestCheckReportOrder(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	last := now.Add(-time.Hour)
	for _, c := range []struct {
		name         string
		seq, lastSeq int64
		at, lastSeen time.Time
		code, field  string
	}{
		{"next", 4, 3, now, last, "", ""},
		{"first", 1, 0, now, time.Time{}, "", ""},
		{"replay", 3, 3, now, last, vigil.ECONFLICT, "seq"},
		{"older seq", 1, 3, now, last, vigil.ECONFLICT, "seq"},
		{"gap", 5, 3, now, last, vigil.ECONFLICT, "seq"},
		{"skew allowed", 4, 3, now.Add(5 * time.Minute), last, "", ""},
		{"future", 4, 3, now.Add(5*time.Minute + time.Second), last, vigil.EINVALID, "scanned_at"},
		{"older than the last", 4, 3, last.Add(-time.Second), last, vigil.EINVALID, "scanned_at"},
		{"same time as the last", 4, 3, last, last, "", ""},
	} {
		err := vigil.CheckReportOrder(c.seq, c.lastSeq, c.at, c.lastSeen, now)
		if vigil.ErrorCode(err) != c.code && !(c.code == "" && err == nil) || vigil.ErrorField(err) != c.field {
			t.Errorf("%s: %v, want %q on %q", c.name, err, c.code, c.field)
		}
	}
}

func TestResultChanges(t *testing.T) {
	res := func(check, resource, verdict, reason string) vigil.CheckResult {
		return vigil.CheckResult{CheckID: check, Resource: resource, Verdict: verdict, Reason: reason}
	}
	cur := map[vigil.ResultKey]vigil.CheckResult{}
	for _, x := range []vigil.CheckResult{res("a", "1", "pass", ""), res("a", "2", "fail", "mode 0666"), res("b", "h", "error", "timeout")} {
		cur[x.Key()] = x
	}
	keys := func(xs []vigil.CheckResult) map[string]string {
		out := map[string]string{}
		for _, x := range xs {
			out[x.CheckID+"/"+x.Resource] = x.Verdict
		}
		return out
	}
	// Incremental: a repeat is no change, a new reason is, a removal of
	// something that does not exist is nothing.
	changed, gone := vigil.ResultChanges(cur, &vigil.AgentReport{
		Results: []vigil.CheckResult{res("a", "1", "pass", ""), res("a", "2", "fail", "mode 0777"), res("c", "h", "pass", "")},
		Removed: []vigil.CheckResult{{CheckID: "b", Resource: "h"}, {CheckID: "z", Resource: "nothing"}}})
	if c, g := keys(changed), keys(gone); len(c) != 2 || c["a/2"] != "fail" || c["c/h"] != "pass" || len(g) != 1 || g["b/h"] != "" {
		t.Fatalf("incremental: changed %v gone %v", c, g)
	}
	// Full: whatever it does not carry is gone; its removed list is not
	// needed.
	changed, gone = vigil.ResultChanges(cur, &vigil.AgentReport{Full: true, Results: []vigil.CheckResult{res("a", "1", "fail", "now failing")}})
	if c, g := keys(changed), keys(gone); len(c) != 1 || c["a/1"] != "fail" || len(g) != 2 || g["a/2"] != "" || g["b/h"] != "" {
		t.Fatalf("full: changed %v gone %v", c, g)
	}
}

func TestHeartbeat(t *testing.T) {
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	base := vigil.IngestedRun{Status: "ok", Input: "aaa", LastInput: "aaa", At: at, LastSeen: at.Add(-15 * time.Minute), Interval: 900}
	if !base.IsHeartbeat() {
		t.Fatal("an unchanged run on time is a heartbeat")
	}
	for name, change := range map[string]func(r *vigil.IngestedRun){
		"a result changed":    func(r *vigil.IngestedRun) { r.Changes = 1 },
		"a collector failed":  func(r *vigil.IngestedRun) { r.Status = "partial" },
		"the input changed":   func(r *vigil.IngestedRun) { r.Input = "bbb" },
		"no input":            func(r *vigil.IngestedRun) { r.Input, r.LastInput = "", "" },
		"tailoring changed":   func(r *vigil.IngestedRun) { r.TailoringChanged = true },
		"the first report":    func(r *vigil.IngestedRun) { r.LastSeen = time.Time{} },
		"late (a gap before)": func(r *vigil.IngestedRun) { r.LastSeen = at.Add(-2 * time.Hour) },
	} {
		r := base
		change(&r)
		if r.IsHeartbeat() {
			t.Errorf("%s: counted as a heartbeat, and would be compacted away", name)
		}
	}
}
