// Package readiness computes how ready an organization is for its SOC 2
// audit: per criterion, per category and overall, and (derived through the
// crosswalk) for other frameworks. It is pure: the same input always gives
// the same report, so API, CLI and UI show identical figures.
package readiness

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/catalog"
)

// Input is everything readiness depends on.
type Input struct {
	Catalog    *catalog.Catalog
	Categories []vigil.Category // in scope; Security is always included
	Controls   []vigil.Control
	// Signals holds signals from sources beyond the control itself (tests,
	// evidence, policies), keyed by control ID.
	Signals map[string][]vigil.Signal
	Now     time.Time
}

// Score is a count of ready items out of a total.
type Score struct {
	Ready   int     `json:"ready"`
	Total   int     `json:"total"`
	Percent float64 `json:"percent"`
}

func score(ready, total int) Score {
	s := Score{Ready: ready, Total: total}
	if total > 0 {
		s.Percent = math.Round(float64(ready)*1000/float64(total)) / 10
	}
	return s
}

// passing scores a set of controls (id => passing).
func passing(m map[string]bool) Score {
	n := 0
	for _, ok := range m {
		if ok {
			n++
		}
	}
	return score(n, len(m))
}

// ControlHealth is a control with its computed health.
type ControlHealth struct {
	ID      string              `json:"id"`
	Title   string              `json:"title"`
	OwnerID int64               `json:"owner_id,omitempty"`
	Status  vigil.ControlStatus `json:"status"`
	Health  vigil.Health        `json:"health"`
}

// Gap is one reason a criterion is not ready.
type Gap struct {
	ControlID string `json:"control_id,omitempty"`
	Source    string `json:"source"`
	Reason    string `json:"reason"`
}

// CriterionReadiness is one in-scope criterion's state.
type CriterionReadiness struct {
	ID            string         `json:"id"`
	Title         string         `json:"title"`
	Category      vigil.Category `json:"category"`
	Series        string         `json:"series"`
	Ready         bool           `json:"ready"`
	Controls      []string       `json:"controls"` // applicable controls covering it
	NotApplicable []string       `json:"not_applicable,omitempty"`
	Gaps          []Gap          `json:"gaps,omitempty"`
	// Progress counts the applicable covering controls that are healthy
	// (or at risk): it moves as each control is shown operating, while
	// Ready waits for all of them.
	Progress Score `json:"progress"`
}

// CategoryReadiness is one category's score: the strict share of its
// criteria that are ready, and beside it the progress, the share of the
// applicable controls covering its criteria that are healthy.
type CategoryReadiness struct {
	Category vigil.Category `json:"category"`
	Title    string         `json:"title"`
	Score
	Progress Score `json:"progress"`
}

// ControlSummary counts controls by health.
type ControlSummary struct {
	Total         int `json:"total"`
	Healthy       int `json:"healthy"`
	AtRisk        int `json:"at_risk"`
	Failing       int `json:"failing"`
	Unknown       int `json:"unknown"`
	NotShown      int `json:"not_shown"` // of the unknown: nothing shows them operating yet
	NotApplicable int `json:"not_applicable"`
	WithoutOwner  int `json:"without_owner"`
}

// Report is the readiness of the whole program. Overall is the strict
// figure an auditor would recognise: criteria whose every covering control
// is healthy. Progress is the share of applicable controls covering
// in-scope criteria that are healthy, which moves control by control.
type Report struct {
	GeneratedAt    time.Time            `json:"generated_at"`
	CatalogVersion string               `json:"catalog_version"`
	Overall        Score                `json:"overall"`
	Progress       Score                `json:"progress"`
	Categories     []CategoryReadiness  `json:"categories"`
	Criteria       []CriterionReadiness `json:"criteria"`
	Controls       ControlSummary       `json:"controls"`
	controlHealth  map[string]ControlHealth
	criterionIndex map[string]int
}

// ControlHealth returns the computed health of one control.
func (r *Report) ControlHealth(id string) (ControlHealth, bool) {
	h, ok := r.controlHealth[id]
	return h, ok
}

// Criterion returns one criterion's readiness.
func (r *Report) Criterion(id string) (CriterionReadiness, bool) {
	i, ok := r.criterionIndex[id]
	if !ok {
		return CriterionReadiness{}, false
	}
	return r.Criteria[i], true
}

// HealthOf computes one control's health from its own signals and extra ones.
func HealthOf(c *vigil.Control, extra []vigil.Signal) vigil.Health {
	if c.Status == vigil.StatusNotApplicable {
		return vigil.Health{State: vigil.HealthNA, Signals: []vigil.Signal{{ControlID: c.ID, Source: "status", Status: vigil.SignalOK, Reason: "not applicable: " + c.Justification}}}
	}
	return vigil.ComputeHealth(append(vigil.ControlSignals(c), extra...))
}

// Compute builds the report. A criterion is ready when at least one
// applicable control covers it and every applicable control covering it is
// healthy; each failing signal of each covering control is a gap with its
// reason, and a criterion with no control is a gap of its own.
func Compute(in Input) *Report {
	cat := in.Catalog
	inScope := map[vigil.Category]bool{vigil.CategorySecurity: true}
	for _, c := range in.Categories {
		inScope[c] = true
	}
	r := &Report{
		GeneratedAt:    in.Now,
		CatalogVersion: cat.Version,
		controlHealth:  make(map[string]ControlHealth, len(in.Controls)),
		criterionIndex: map[string]int{},
	}
	covering := map[string][]*vigil.Control{}
	for i := range in.Controls {
		c := &in.Controls[i]
		h := HealthOf(c, in.Signals[c.ID])
		r.controlHealth[c.ID] = ControlHealth{ID: c.ID, Title: c.Title, OwnerID: c.OwnerID, Status: c.Status, Health: h}
		r.Controls.Total++
		switch h.State {
		case vigil.HealthHealthy:
			r.Controls.Healthy++
		case vigil.HealthAtRisk:
			r.Controls.AtRisk++
		case vigil.HealthFailing:
			r.Controls.Failing++
		case vigil.HealthUnknown:
			r.Controls.Unknown++
			if h.NotShown() {
				r.Controls.NotShown++
			}
		case vigil.HealthNA:
			r.Controls.NotApplicable++
		}
		if c.OwnerID == 0 && c.Status != vigil.StatusNotApplicable {
			r.Controls.WithoutOwner++
		}
		for _, id := range c.Criteria {
			covering[id] = append(covering[id], c)
		}
	}
	perCat := map[vigil.Category][2]int{}
	// Distinct applicable controls covering each in-scope category, and
	// the whole scope, with whether each is passing: the progress figures.
	catControls := map[vigil.Category]map[string]bool{}
	allControls := map[string]bool{}
	for _, crit := range cat.Criteria {
		if !inScope[crit.Category] {
			continue
		}
		cr := CriterionReadiness{ID: crit.ID, Title: crit.Title, Category: crit.Category, Series: crit.Series, Controls: []string{}}
		for _, c := range covering[crit.ID] {
			h := r.controlHealth[c.ID].Health
			if h.State == vigil.HealthNA {
				cr.NotApplicable = append(cr.NotApplicable, c.ID)
				continue
			}
			cr.Controls = append(cr.Controls, c.ID)
			if catControls[crit.Category] == nil {
				catControls[crit.Category] = map[string]bool{}
			}
			catControls[crit.Category][c.ID] = h.Passing()
			allControls[c.ID] = h.Passing()
			if h.Passing() {
				cr.Progress.Ready++
				continue
			}
			// Every signal that is not OK or a warning is a gap, whatever its
			// status says: an unrecognised status must never read as a pass.
			n := len(cr.Gaps)
			// Neutral signals (evidence awaited, not yet due) are no gap:
			// if nothing else shows the control operating, "not shown" is.
			for _, s := range h.Signals {
				if s.Status != vigil.SignalOK && s.Status != vigil.SignalWarn && s.Status != vigil.SignalNeutral {
					cr.Gaps = append(cr.Gaps, Gap{ControlID: c.ID, Source: s.Source, Reason: s.Reason})
				}
			}
			if len(cr.Gaps) == n {
				cr.Gaps = append(cr.Gaps, Gap{ControlID: c.ID, Source: "health", Reason: "health is " + string(h.State)})
			}
		}
		slices.Sort(cr.Controls)
		slices.Sort(cr.NotApplicable)
		cr.Progress = score(cr.Progress.Ready, len(cr.Controls))
		if len(cr.Controls) == 0 {
			reason := "no control covers this criterion"
			if len(cr.NotApplicable) > 0 {
				reason = "every control covering this criterion is marked not applicable (" + strings.Join(cr.NotApplicable, ", ") + ")"
			}
			cr.Gaps = append([]Gap{{Source: "coverage", Reason: reason}}, cr.Gaps...)
		}
		slices.SortStableFunc(cr.Gaps, func(a, b Gap) int { return strings.Compare(a.ControlID, b.ControlID) })
		cr.Ready = len(cr.Gaps) == 0
		n := perCat[crit.Category]
		n[1]++
		if cr.Ready {
			n[0]++
		}
		perCat[crit.Category] = n
		r.criterionIndex[crit.ID] = len(r.Criteria)
		r.Criteria = append(r.Criteria, cr)
	}
	ready, total := 0, 0
	for _, c := range vigil.Categories {
		if !inScope[c] {
			continue
		}
		n := perCat[c]
		ready += n[0]
		total += n[1]
		r.Categories = append(r.Categories, CategoryReadiness{Category: c, Title: vigil.CategoryTitle(c), Score: score(n[0], n[1]), Progress: passing(catControls[c])})
	}
	r.Overall = score(ready, total)
	r.Progress = passing(allControls)
	return r
}

// RequirementReadiness is another framework's requirement, judged through
// the in-scope criteria the crosswalk relates it to.
type RequirementReadiness struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Status      string   `json:"status"`   // ready, gap, not_assessed
	Criteria    []string `json:"criteria"` // related in-scope criteria
	GapCriteria []string `json:"gap_criteria,omitempty"`
	Sources     []string `json:"sources"`
	Confidence  string   `json:"confidence"` // the highest confidence among its mappings
}

// FrameworkReport is readiness for another framework, derived through the
// crosswalk. It is labelled derived everywhere it is shown: the crosswalk
// relates criteria to requirements; it does not make them equivalent.
type FrameworkReport struct {
	Framework    string                 `json:"framework"`
	Name         string                 `json:"name"`
	Version      string                 `json:"version"`
	Derived      bool                   `json:"derived"`
	Label        string                 `json:"label"`
	MinSupport   int                    `json:"min_support"`
	Overall      Score                  `json:"overall"`
	NotAssessed  int                    `json:"not_assessed"`
	Requirements []RequirementReadiness `json:"requirements"`
}

// ComputeFramework derives another framework's readiness from a report. A
// requirement is ready when every in-scope criterion related to it (with at
// least minSupport) is ready; requirements with no related in-scope criterion
// are not assessed.
func ComputeFramework(cat *catalog.Catalog, r *Report, framework string, minSupport int) (*FrameworkReport, error) {
	f, ok := cat.Framework(framework)
	if !ok {
		return nil, vigil.FieldError("framework", "unknown framework %q (want iso27001, nist_csf, sp800_53 or hipaa)", framework)
	}
	type agg struct {
		criteria   []string
		sources    []string
		confidence string
	}
	byReq := map[string]*agg{}
	for _, m := range cat.Crosswalk {
		if m.Framework != framework || m.Support < minSupport {
			continue
		}
		if _, inScope := r.criterionIndex[m.Criterion]; !inScope {
			continue
		}
		a := byReq[m.RequirementID]
		if a == nil {
			a = &agg{}
			byReq[m.RequirementID] = a
		}
		if !slices.Contains(a.criteria, m.Criterion) {
			a.criteria = append(a.criteria, m.Criterion)
		}
		if !slices.Contains(a.sources, m.Source) {
			a.sources = append(a.sources, m.Source)
		}
		if m.Confidence == "high" || a.confidence == "" {
			a.confidence = m.Confidence
		}
	}
	fr := &FrameworkReport{Framework: f.ID, Name: f.Name, Version: f.Version, Derived: true,
		Label: "related (derived)", MinSupport: minSupport, Requirements: []RequirementReadiness{}}
	ready, total := 0, 0
	for _, req := range f.Requirements {
		a := byReq[req.ID]
		if a == nil {
			if isLeaf(req.Kind) {
				fr.NotAssessed++
			}
			continue
		}
		rr := RequirementReadiness{ID: req.ID, Title: req.Title, Criteria: a.criteria, Sources: a.sources, Confidence: a.confidence}
		slices.Sort(rr.Criteria)
		slices.Sort(rr.Sources)
		for _, id := range rr.Criteria {
			if cr, _ := r.Criterion(id); !cr.Ready {
				rr.GapCriteria = append(rr.GapCriteria, id)
			}
		}
		rr.Status = "ready"
		if len(rr.GapCriteria) > 0 {
			rr.Status = "gap"
		} else {
			ready++
		}
		total++
		fr.Requirements = append(fr.Requirements, rr)
	}
	fr.Overall = score(ready, total)
	return fr, nil
}

// isLeaf reports whether a requirement kind is one that mappings target
// (so that an unmapped one counts as not assessed rather than as a heading).
func isLeaf(kind string) bool {
	switch kind {
	case "function", "category", "family", "section":
		return false
	}
	return true
}

// String is a one-line description of a score, for logs and the CLI.
func (s Score) String() string { return fmt.Sprintf("%.1f%% (%d of %d)", s.Percent, s.Ready, s.Total) }
