package readiness

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/catalog"
)

func load(t testing.TB) *catalog.Catalog {
	c, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctl(id, status string, owner int64, crit ...string) vigil.Control {
	c := vigil.Control{ID: id, Title: id, Status: vigil.ControlStatus(status), OwnerID: owner, OwnerName: "O", Criteria: crit}
	if status == "not_applicable" {
		c.Justification = "no such system"
	}
	return c
}

// operating gives each control an evidence signal that shows it operating.
func operating(ids ...string) map[string][]vigil.Signal {
	out := map[string][]vigil.Signal{}
	for _, id := range ids {
		out[id] = []vigil.Signal{{ControlID: id, Source: "evidence", Status: vigil.SignalOK, Reason: "accepted", Operating: true}}
	}
	return out
}

func find(t *testing.T, r *Report, id string) CriterionReadiness {
	t.Helper()
	c, ok := r.Criterion(id)
	if !ok {
		t.Fatalf("criterion %s not in report", id)
	}
	return c
}

func TestCompute(t *testing.T) {
	cat := load(t)
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	t.Run("criterion_without_control_is_a_gap", func(t *testing.T) {
		r := Compute(Input{Catalog: cat, Now: now})
		c := find(t, r, "CC1.1")
		if c.Ready || len(c.Gaps) != 1 || c.Gaps[0].Reason != "no control covers this criterion" {
			t.Fatalf("CC1.1 = %+v", c)
		}
		if r.Overall.Total != 33 || r.Overall.Ready != 0 {
			t.Fatalf("overall %v, want 0 of 33 (security only)", r.Overall)
		}
	})
	t.Run("implemented_owned_control_alone_is_not_shown", func(t *testing.T) {
		// An awaited request (neutral) is no gap of its own either.
		awaited := map[string][]vigil.Signal{"GV-05": {{ControlID: "GV-05", Source: "evidence", Status: vigil.SignalNeutral, Reason: "awaiting evidence"}}}
		r := Compute(Input{Catalog: cat, Controls: []vigil.Control{ctl("GV-05", "implemented", 1, "CC1.2")}, Signals: awaited})
		c := find(t, r, "CC1.2")
		if c.Ready || len(c.Gaps) != 1 || c.Gaps[0].Reason != vigil.NotShownReason || r.Controls.Unknown != 1 || r.Controls.Healthy != 0 || r.Controls.NotShown != 1 {
			t.Fatalf("CC1.2 = %+v, controls %+v: want not ready, not shown", c, r.Controls)
		}
		if r.Overall.Ready != 0 {
			t.Fatalf("overall %v, want 0 ready", r.Overall)
		}
	})
	t.Run("implemented_owned_control_shown_operating_makes_criterion_ready", func(t *testing.T) {
		r := Compute(Input{Catalog: cat, Controls: []vigil.Control{ctl("GV-05", "implemented", 1, "CC1.2")}, Signals: operating("GV-05")})
		if c := find(t, r, "CC1.2"); !c.Ready || len(c.Gaps) != 0 {
			t.Fatalf("CC1.2 = %+v, want ready", c)
		}
		if r.Overall.Ready != 1 || r.Overall.Percent != 3.0 {
			t.Fatalf("overall %v, want 1 of 33 = 3.0%%", r.Overall)
		}
	})
	t.Run("every_covering_control_must_be_healthy", func(t *testing.T) {
		r := Compute(Input{Catalog: cat, Controls: []vigil.Control{
			ctl("A-1", "implemented", 1, "CC6.1"), ctl("A-2", "in_progress", 1, "CC6.1"), ctl("A-3", "implemented", 0, "CC6.1"),
		}, Signals: operating("A-1", "A-2", "A-3")})
		c := find(t, r, "CC6.1")
		if c.Ready {
			t.Fatal("CC6.1 ready with an in-progress and an unowned control")
		}
		got := fmt.Sprint(c.Gaps)
		if !strings.Contains(got, "A-2 status implementation in progress") || !strings.Contains(got, "A-3 owner no owner assigned") || strings.Contains(got, "A-1") {
			t.Fatalf("gaps %s", got)
		}
	})
	t.Run("not_applicable_controls_do_not_cover", func(t *testing.T) {
		r := Compute(Input{Catalog: cat, Controls: []vigil.Control{ctl("A-1", "not_applicable", 0, "CC6.4")}})
		c := find(t, r, "CC6.4")
		if c.Ready || !strings.Contains(c.Gaps[0].Reason, "not applicable (A-1)") || r.Controls.NotApplicable != 1 || r.Controls.WithoutOwner != 0 {
			t.Fatalf("CC6.4 = %+v, controls %+v", c, r.Controls)
		}
	})
	t.Run("unknown_signal_is_never_a_pass", func(t *testing.T) {
		sigs := map[string][]vigil.Signal{"A-1": {{Source: "test", Status: vigil.SignalUnknown, Reason: "check could not run"}}}
		r := Compute(Input{Catalog: cat, Controls: []vigil.Control{ctl("A-1", "implemented", 1, "CC7.1")}, Signals: sigs})
		c := find(t, r, "CC7.1")
		if c.Ready || c.Gaps[0].Source != "test" || r.Controls.Unknown != 1 {
			t.Fatalf("CC7.1 = %+v", c)
		}
		h, _ := r.ControlHealth("A-1")
		if h.Health.State != vigil.HealthUnknown || h.Health.Passing() {
			t.Fatalf("health %+v", h.Health)
		}
	})
	t.Run("unrecognised_signal_status_is_a_gap", func(t *testing.T) {
		sigs := map[string][]vigil.Signal{"A-1": {{Source: "test", Status: "error", Reason: "collector crashed"}}}
		r := Compute(Input{Catalog: cat, Controls: []vigil.Control{ctl("A-1", "implemented", 1, "CC7.1")}, Signals: sigs})
		if c := find(t, r, "CC7.1"); c.Ready || len(c.Gaps) != 1 || c.Gaps[0].Reason != "collector crashed" {
			t.Fatalf("CC7.1 = %+v, want a gap for the unrecognised status", c)
		}
	})
	t.Run("warning_keeps_criterion_ready", func(t *testing.T) {
		sigs := map[string][]vigil.Signal{"A-1": {{Source: "evidence", Status: vigil.SignalWarn, Reason: "due in 3 days", Operating: true}}}
		r := Compute(Input{Catalog: cat, Controls: []vigil.Control{ctl("A-1", "implemented", 1, "CC7.1")}, Signals: sigs})
		if c := find(t, r, "CC7.1"); !c.Ready || r.Controls.AtRisk != 1 {
			t.Fatalf("CC7.1 = %+v, controls %+v", c, r.Controls)
		}
	})
	t.Run("progress_moves_while_strict_waits", func(t *testing.T) {
		// Two controls cover CC6.1, one of them shown operating: the
		// criterion is not ready (strict), but half its controls are
		// healthy (progress). A third control elsewhere in security is
		// healthy too, so overall progress counts it once.
		controls := []vigil.Control{ctl("A-1", "implemented", 1, "CC6.1", "CC6.2"), ctl("A-2", "implemented", 1, "CC6.1"), ctl("A-3", "implemented", 1, "CC7.1"), ctl("A-4", "not_applicable", 0, "CC7.1")}
		r := Compute(Input{Catalog: cat, Controls: controls, Signals: operating("A-1", "A-3")})
		c := find(t, r, "CC6.1")
		if c.Ready || c.Progress != (Score{Ready: 1, Total: 2, Percent: 50}) {
			t.Fatalf("CC6.1 = %+v", c)
		}
		if c := find(t, r, "CC6.2"); !c.Ready || c.Progress.Ready != 1 || c.Progress.Total != 1 {
			t.Fatalf("CC6.2 = %+v", c)
		}
		if r.Overall.Ready != 2 || r.Progress != (Score{Ready: 2, Total: 3, Percent: 66.7}) {
			t.Fatalf("overall %+v progress %+v", r.Overall, r.Progress)
		}
		if sec := r.Categories[0]; sec.Progress != r.Progress || sec.Ready != 2 {
			t.Fatalf("security %+v", sec)
		}
		// Nothing adopted: no progress to speak of, not 100%.
		if e := Compute(Input{Catalog: cat}); e.Progress.Total != 0 || e.Progress.Percent != 0 {
			t.Fatalf("empty progress %+v", e.Progress)
		}
	})
	t.Run("categories_follow_scope", func(t *testing.T) {
		r := Compute(Input{Catalog: cat, Categories: []vigil.Category{vigil.CategoryPrivacy}})
		if r.Overall.Total != 33+18 || len(r.Categories) != 2 || r.Categories[1].Category != vigil.CategoryPrivacy {
			t.Fatalf("overall %v categories %+v", r.Overall, r.Categories)
		}
		if _, ok := r.Criterion("A1.1"); ok {
			t.Fatal("availability criterion in a report without availability in scope")
		}
	})
}

func TestComputeFramework(t *testing.T) {
	cat := load(t)
	var all []vigil.Control
	for _, lc := range cat.Library {
		all = append(all, ctl(lc.ID, "implemented", 1, lc.Criteria...))
	}
	ids := make([]string, len(all))
	for i := range all {
		ids[i] = all[i].ID
	}
	r := Compute(Input{Catalog: cat, Controls: all, Categories: vigil.Categories, Signals: operating(ids...)})
	if r.Overall.Ready != 61 {
		t.Fatalf("whole library implemented: %v, want 61 of 61", r.Overall)
	}
	for _, fw := range []string{catalog.ISO27001, catalog.NISTCSF, catalog.SP80053, catalog.HIPAA} {
		fr, err := ComputeFramework(cat, r, fw, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !fr.Derived || fr.Overall.Total == 0 || fr.Overall.Ready != fr.Overall.Total {
			t.Errorf("%s: %+v, want every assessed requirement ready", fw, fr.Overall)
		}
	}
	// One gap in CC6.1 shows up in the ISO requirements related to it.
	for i := range all {
		if all[i].ID == "AC-01" { // covers CC6.1 and CC6.2
			all[i].Status = vigil.StatusInProgress
		}
	}
	r = Compute(Input{Catalog: cat, Controls: all, Categories: vigil.Categories, Signals: operating(ids...)})
	fr, _ := ComputeFramework(cat, r, catalog.ISO27001, 1)
	gaps := 0
	for _, req := range fr.Requirements {
		if req.Status == "gap" {
			gaps++
			if g := strings.Join(req.GapCriteria, " "); g != "CC6.1" && g != "CC6.2" && g != "CC6.1 CC6.2" {
				t.Errorf("%s gap via %v", req.ID, req.GapCriteria)
			}
		}
	}
	if gaps == 0 {
		t.Fatal("no ISO requirement shows the CC6.1 gap")
	}
	if _, err := ComputeFramework(cat, r, "cobit", 1); vigil.ErrorCode(err) != vigil.EINVALID {
		t.Fatalf("unknown framework: %v", err)
	}
	// Raising the support threshold assesses fewer requirements.
	high, _ := ComputeFramework(cat, r, catalog.SP80053, 5)
	low, _ := ComputeFramework(cat, r, catalog.SP80053, 1)
	if high.Overall.Total >= low.Overall.Total {
		t.Fatalf("min_support 5 assesses %d, min_support 1 assesses %d", high.Overall.Total, low.Overall.Total)
	}
}

// bigInput is 1,000 controls spread over all 61 criteria, like a large
// organization's program, with a signal source on every tenth control.
func bigInput(cat *catalog.Catalog) Input {
	in := Input{Catalog: cat, Categories: vigil.Categories, Signals: map[string][]vigil.Signal{}}
	statuses := []string{"implemented", "implemented", "implemented", "in_progress", "not_started"}
	for i := 0; i < 1000; i++ {
		lc := cat.Library[i%len(cat.Library)]
		c := ctl(fmt.Sprintf("%s-%04d", lc.Domain, i), statuses[i%len(statuses)], int64(i%7), lc.Criteria...)
		in.Controls = append(in.Controls, c)
		if i%10 == 0 {
			in.Signals[c.ID] = []vigil.Signal{{Source: "test", Status: vigil.SignalOK, Reason: "passing", Operating: true}}
		}
	}
	return in
}

// BenchmarkReadiness is the target: 1,000 controls over 61 criteria
// plus the crosswalk (ISO 27001 derived readiness) in under 5 ms.
func BenchmarkReadiness(b *testing.B) {
	cat := load(b)
	in := bigInput(cat)
	b.ReportAllocs()
	for b.Loop() {
		r := Compute(in)
		if _, err := ComputeFramework(cat, r, catalog.ISO27001, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadinessAllFrameworks derives all four frameworks as well.
func BenchmarkReadinessAllFrameworks(b *testing.B) {
	cat := load(b)
	in := bigInput(cat)
	for b.Loop() {
		r := Compute(in)
		for _, fw := range []string{catalog.ISO27001, catalog.NISTCSF, catalog.SP80053, catalog.HIPAA} {
			if _, err := ComputeFramework(cat, r, fw, 1); err != nil {
				b.Fatal(err)
			}
		}
	}
}
