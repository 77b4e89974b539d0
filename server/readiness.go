package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/catalog"
	"github.com/vigil-soc/vigil/readiness"
	"github.com/vigil-soc/vigil/store"
)

// Readiness computes the current readiness report. The CLI and (later) the
// web UI show this same report, so their figures cannot differ.
func (s *Server) Readiness(ctx context.Context) (*readiness.Report, error) {
	rep, _, err := s.cachedReadiness(ctx)
	return rep, err
}

// readinessCache holds the last report and its JSON, keyed by the state it
// was computed from: the store's state version and each signal source's
// version. A read that finds the state unchanged costs one small query
// instead of reading every control; after a change, concurrent reads share
// one computation instead of each starting their own.
type readinessCache struct {
	mu       sync.Mutex
	key      string
	report   *readiness.Report
	json     []byte
	inflight map[string]*flight
}

type flight struct {
	done   chan struct{}
	report *readiness.Report
	json   []byte
	err    error
}

func (s *Server) stateKey(ctx context.Context) (string, error) {
	v, err := s.store.StateVersion(ctx)
	if err != nil {
		return "", err
	}
	key := strconv.FormatInt(v, 10)
	for _, src := range s.sources {
		sv, err := src.Version(ctx)
		if err != nil {
			return "", nil // no caching while a source cannot say
		}
		key += "|" + src.Name() + "=" + sv
	}
	return key, nil
}

func (s *Server) cachedReadiness(ctx context.Context) (*readiness.Report, []byte, error) {
	key, err := s.stateKey(ctx)
	if err != nil {
		return nil, nil, err
	}
	if key == "" {
		rep, js, _, err := s.computeReadiness(ctx)
		return rep, js, err
	}
	c := &s.rcache
	c.mu.Lock()
	if key == c.key {
		rep, js := c.report, c.json
		c.mu.Unlock()
		return rep, js, nil
	}
	if f, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		select {
		case <-f.done:
			return f.report, f.json, f.err
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	if c.inflight == nil {
		c.inflight = map[string]*flight{}
	}
	c.inflight[key] = f
	c.mu.Unlock()

	// The computation must not die with the request that happened to
	// start it: others are waiting on it.
	var complete bool
	f.report, f.json, complete, f.err = s.computeReadiness(context.WithoutCancel(ctx))
	c.mu.Lock()
	delete(c.inflight, key)
	// A report made while a source was failing is served, but not kept:
	// the next request tries the source again.
	if f.err == nil && complete {
		c.key, c.report, c.json = key, f.report, f.json
	}
	c.mu.Unlock()
	close(f.done)
	return f.report, f.json, f.err
}

func (s *Server) computeReadiness(ctx context.Context) (*readiness.Report, []byte, bool, error) {
	sc, err := s.store.Scope(ctx)
	if err != nil {
		return nil, nil, false, err
	}
	cs, err := s.store.ListControls(ctx, vigil.ControlFilter{})
	if err != nil {
		return nil, nil, false, err
	}
	sigs, complete := s.gatherSignals(ctx)
	rep := readiness.Compute(readiness.Input{Catalog: s.cat, Categories: sc.Categories, Controls: cs,
		Signals: expandWildcard(sigs, cs), Now: s.now().UTC()})
	js, err := json.Marshal(rep)
	if err != nil {
		return nil, nil, false, err
	}
	if complete {
		s.recordHistory(ctx, rep)
	}
	return rep, js, complete, nil
}

// recordHistory keeps today's readiness for the dashboard's trend. It runs
// only when readiness is recomputed, that is when the state changed, and a
// failure costs a point on a chart, never the request.
func (s *Server) recordHistory(ctx context.Context, rep *readiness.Report) {
	cats := map[string][2]int{}
	for _, c := range rep.Categories {
		cats[string(c.Category)] = [2]int{c.Ready, c.Total}
	}
	cj, _ := json.Marshal(cats)
	p := store.HistoryPoint{Day: s.now().UTC().Format(time.DateOnly), Ready: rep.Overall.Ready, Total: rep.Overall.Total, Categories: string(cj)}
	if err := s.store.RecordReadiness(ctx, p); err != nil {
		s.log.Warn("cannot record readiness history", "err", err)
	}
}

// expandWildcard gives every control the signals addressed to all controls.
func expandWildcard(sigs map[string][]vigil.Signal, cs []vigil.Control) map[string][]vigil.Signal {
	all, ok := sigs["*"]
	if !ok {
		return sigs
	}
	for _, c := range cs {
		sigs[c.ID] = append(sigs[c.ID], all...)
	}
	return sigs
}

func (s *Server) readiness(w http.ResponseWriter, r *http.Request) error {
	_, js, err := s.cachedReadiness(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, err = w.Write(js)
	return err
}

func (s *Server) frameworkReadiness(w http.ResponseWriter, r *http.Request) error {
	minSupport, err := queryInt(r, "min_support", 1)
	if err != nil {
		return err
	}
	fw := r.PathValue("framework")
	if _, ok := s.cat.Framework(fw); !ok {
		return vigil.NotFound("framework", fw)
	}
	rep, err := s.Readiness(r.Context())
	if err != nil {
		return err
	}
	fr, err := readiness.ComputeFramework(s.cat, rep, fw, minSupport)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, fr)
	return nil
}

var soaFrameworks = []string{catalog.ISO27001, catalog.NISTCSF, catalog.SP80053, catalog.HIPAA}

func (s *Server) soa(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" {
		return vigil.FieldError("format", "format must be json or csv, got %q", format)
	}
	minSupport, err := queryInt(r, "min_support", 0)
	if err != nil {
		return err
	}
	ctx := r.Context()
	org, err := s.store.Organization(ctx)
	if err != nil {
		return err
	}
	sc, err := s.store.Scope(ctx)
	if err != nil {
		return err
	}
	cs, err := s.store.ListControls(ctx, vigil.ControlFilter{})
	if err != nil {
		return err
	}
	sigs := s.signals(ctx)
	doc := api.SOADocument{Organization: org.Name, GeneratedAt: s.now().UTC(), CatalogVersion: s.cat.Version, Scope: *sc, MinSupport: minSupport,
		Note:     "related_derived lists requirements of other frameworks related to the control's criteria through a crosswalk derived from public sources; they are related, not equivalent.",
		Controls: make([]api.SOARow, 0, len(cs))}
	for i := range cs {
		c := &cs[i]
		row := api.SOARow{ControlID: c.ID, Title: c.Title, Domain: c.Domain, Applicable: c.Status != vigil.StatusNotApplicable,
			Justification: c.Justification, Status: c.Status, Health: s.view(c, sigs).Health.State, Owner: c.OwnerName,
			Frequency: c.Frequency, Evidence: c.Evidence, Criteria: c.Criteria, RelatedDerived: map[string][]string{}}
		for _, rel := range s.relatedTo(c.Criteria, minSupport) {
			row.RelatedDerived[rel.Framework] = append(row.RelatedDerived[rel.Framework], rel.RequirementID)
		}
		doc.Controls = append(doc.Controls, row)
	}
	if format != "csv" {
		writeJSON(w, http.StatusOK, doc)
		return nil
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	header := []string{"control_id", "title", "domain", "applicable", "justification", "status", "health", "owner", "frequency", "expected_evidence", "tsc_criteria"}
	for _, f := range soaFrameworks {
		header = append(header, f+"_related_derived")
	}
	cw.Write(header)
	for _, row := range doc.Controls {
		applicable := "yes"
		if !row.Applicable {
			applicable = "no"
		}
		rec := []string{row.ControlID, row.Title, row.Domain, applicable, row.Justification, string(row.Status), string(row.Health),
			row.Owner, string(row.Frequency), row.Evidence, strings.Join(row.Criteria, ";")}
		for _, f := range soaFrameworks {
			rec = append(rec, strings.Join(row.RelatedDerived[f], ";"))
		}
		for i := range rec {
			rec[i] = csvSafe(rec[i])
		}
		cw.Write(rec)
	}
	cw.Flush()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="statement-of-applicability.csv"`)
	_, err = w.Write(buf.Bytes())
	return err
}

// csvSafe defuses spreadsheet formula injection: a cell a user typed that
// starts with = + - @ (or a tab or CR) would run as a formula in Excel.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
