package vigil

import (
	"math"
	"testing"
)

func TestLossEstimateValidate(t *testing.T) {
	for _, tc := range []struct {
		q     LossEstimate
		field string
	}{
		{LossEstimate{0, 1, 2, 3}, "frequency"},
		{LossEstimate{51, 1, 2, 3}, "frequency"},
		{LossEstimate{1, -1, 2, 3}, "loss_low"},
		{LossEstimate{1, 5, 2, 3}, "loss_likely"},
		{LossEstimate{1, 1, 4, 3}, "loss_high"},
		{LossEstimate{1, 0, 0, 0}, "loss_high"},
		{LossEstimate{math.NaN(), 1, 2, 3}, "frequency"},
	} {
		if err := tc.q.Validate(); ErrorField(err) != tc.field {
			t.Errorf("%+v: %v, want field %s", tc.q, err, tc.field)
		}
	}
	if err := (&LossEstimate{0.5, 10_000, 50_000, 400_000}).Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestSimulate: reproducible for a seed; the expected annual loss is near
// frequency × the PERT mean ((low + 4 likely + high) / 6); the curve
// falls from the chance of any loss (1 - e^-λ) towards 0.
func TestSimulate(t *testing.T) {
	q := LossEstimate{Frequency: 0.5, LossLow: 10_000, LossLikely: 50_000, LossHigh: 400_000}
	a, b := Simulate(q, SimulationDraws, 7), Simulate(q, SimulationDraws, 7)
	if a.ExpectedAnnualLoss != b.ExpectedAnnualLoss || a.P90 != b.P90 {
		t.Fatal("the same seed gave different answers")
	}
	if c := Simulate(q, SimulationDraws, 8); c.ExpectedAnnualLoss == a.ExpectedAnnualLoss {
		t.Fatal("another seed gave the same answer")
	}
	want := 0.5 * (10_000 + 4*50_000 + 400_000) / 6.0
	if math.Abs(a.ExpectedAnnualLoss-want)/want > 0.03 {
		t.Fatalf("expected annual loss %.0f, want about %.0f", a.ExpectedAnnualLoss, want)
	}
	if any := 1 - math.Exp(-0.5); math.Abs(a.Curve[0].Probability-any) > 0.01 {
		t.Fatalf("chance of any loss %.3f, want about %.3f", a.Curve[0].Probability, any)
	}
	for i := 1; i < len(a.Curve); i++ {
		if a.Curve[i].Probability > a.Curve[i-1].Probability || a.Curve[i].Loss <= a.Curve[i-1].Loss {
			t.Fatalf("the curve does not fall at %d: %+v", i, a.Curve[i-1:i+1])
		}
	}
	if last := a.Curve[len(a.Curve)-1]; last.Probability > 0.002 {
		t.Fatalf("the curve ends at %+v", last)
	}
	if a.P50 != 0 || a.P90 <= 0 || a.P99 <= a.P90 {
		t.Fatalf("percentiles: %+v", a)
	}
}

func BenchmarkSimulate100k(b *testing.B) {
	q := LossEstimate{Frequency: 2, LossLow: 10_000, LossLikely: 50_000, LossHigh: 400_000}
	for b.Loop() {
		Simulate(q, SimulationDraws, 1)
	}
}
