package vigil

import (
	"math"
	"math/rand/v2"
	"slices"
)

// LossEstimate is a risk owner's quantitative estimate: how often a year
// the loss event happens, and what one event costs (low, most likely,
// high). It sits beside the qualitative score and never replaces it.
type LossEstimate struct {
	Frequency  float64 `json:"frequency"` // events a year
	LossLow    float64 `json:"loss_low"`
	LossLikely float64 `json:"loss_likely"`
	LossHigh   float64 `json:"loss_high"`
}

// MaxFrequency bounds the events a year an estimate may give: a loss that
// happens more often is a running cost, not a risk to simulate.
const MaxFrequency = 50

// Validate checks the estimate: a frequency above 0, and 0 ≤ low ≤ most
// likely ≤ high with high above 0.
func (q *LossEstimate) Validate() error {
	switch {
	case math.IsNaN(q.Frequency) || q.Frequency <= 0 || q.Frequency > MaxFrequency:
		return FieldError("frequency", "frequency must be above 0 and at most %d events a year", MaxFrequency)
	case math.IsNaN(q.LossLow) || q.LossLow < 0:
		return FieldError("loss_low", "the low loss must be 0 or more")
	case math.IsNaN(q.LossLikely) || q.LossLikely < q.LossLow:
		return FieldError("loss_likely", "the most likely loss must be at least the low one")
	case math.IsNaN(q.LossHigh) || q.LossHigh < q.LossLikely || q.LossHigh <= 0 || math.IsInf(q.LossHigh, 0):
		return FieldError("loss_high", "the high loss must be at least the most likely one, and above 0")
	}
	return nil
}

// SimulationDraws is how many years a simulation draws.
const SimulationDraws = 100_000

// LossPoint is one point of a loss-exceedance curve: the chance that a
// year's loss exceeds Loss.
type LossPoint struct {
	Loss        float64 `json:"loss"`
	Probability float64 `json:"probability"`
}

// Simulation is the outcome of simulating a year's losses many times.
type Simulation struct {
	Draws              int         `json:"draws"`
	Seed               uint64      `json:"seed"`
	ExpectedAnnualLoss float64     `json:"expected_annual_loss"`
	P50                float64     `json:"p50"`
	P90                float64     `json:"p90"`
	P99                float64     `json:"p99"`
	Curve              []LossPoint `json:"curve"`
}

// Simulate draws years of losses: a Poisson number of events, each costing
// a PERT draw between low and high around the most likely loss. The same
// seed gives the same answer.
func Simulate(q LossEstimate, draws int, seed uint64) Simulation {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	years := make([]float64, draws)
	// PERT: Beta(α, β) scaled to [low, high], with λ = 4.
	span := q.LossHigh - q.LossLow
	alpha, beta := 1.0, 1.0
	if span > 0 {
		alpha = 1 + 4*(q.LossLikely-q.LossLow)/span
		beta = 1 + 4*(q.LossHigh-q.LossLikely)/span
	}
	limit := math.Exp(-q.Frequency)
	var sum float64
	for i := range years {
		// Poisson by multiplying uniforms (Knuth): fine for λ ≤ MaxFrequency.
		n, p := 0, rng.Float64()
		for p > limit {
			n++
			p *= rng.Float64()
		}
		var loss float64
		for range n {
			x := gamma(rng, alpha)
			loss += q.LossLow + span*x/(x+gamma(rng, beta))
		}
		years[i] = loss
		sum += loss
	}
	slices.Sort(years)
	at := func(p float64) float64 { return years[min(len(years)-1, int(p*float64(len(years))))] }
	s := Simulation{Draws: draws, Seed: seed, ExpectedAnnualLoss: sum / float64(draws), P50: at(0.5), P90: at(0.9), P99: at(0.99)}
	// The curve at 40 losses evenly spread up to the 99.9th percentile.
	top := at(0.999)
	for k := 0; k <= 40 && top > 0; k++ {
		loss := top * float64(k) / 40
		// The share of years above loss.
		idx, _ := slices.BinarySearch(years, math.Nextafter(loss, math.Inf(1)))
		s.Curve = append(s.Curve, LossPoint{Loss: loss, Probability: float64(len(years)-idx) / float64(len(years))})
	}
	return s
}

// gamma draws from Gamma(a, 1) (Marsaglia and Tsang; a < 1 boosted).
func gamma(rng *rand.Rand, a float64) float64 {
	if a < 1 {
		return gamma(rng, a+1) * math.Pow(rng.Float64(), 1/a)
	}
	d := a - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}
