package server

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/catalog"
	"github.com/vigil-soc/vigil/readiness"
)

// signals gathers signals from every source. A source that fails makes every
// control unknown rather than silently healthy; complete is false then.
func (s *Server) signals(ctx context.Context) map[string][]vigil.Signal {
	sigs, _ := s.gatherSignals(ctx)
	return sigs
}

func (s *Server) gatherSignals(ctx context.Context) (sigs map[string][]vigil.Signal, complete bool) {
	if len(s.sources) == 0 {
		return nil, true
	}
	out := map[string][]vigil.Signal{}
	complete = true
	for _, src := range s.sources {
		m, err := src.Signals(ctx)
		if err != nil {
			s.log.Warn("signal source failed", "source", src.Name(), "err", err)
			out["*"] = append(out["*"], vigil.Signal{Source: src.Name(), Status: vigil.SignalUnknown, Reason: src.Name() + " is unavailable"})
			complete = false
			continue
		}
		for id, sigs := range m {
			out[id] = append(out[id], sigs...)
		}
	}
	return out, complete
}

func signalsFor(all map[string][]vigil.Signal, id string) []vigil.Signal {
	if all == nil {
		return nil
	}
	return append(slices.Clip(all[id]), all["*"]...)
}

func (s *Server) view(c *vigil.Control, sigs map[string][]vigil.Signal) api.ControlView {
	return api.ControlView{Control: *c, Health: readiness.HealthOf(c, signalsFor(sigs, c.ID))}
}

// queryControls runs a controls query from URL parameters (status, owner,
// domain, criterion, health, q, cursor, limit); the API and the web page
// share it.
func (s *Server) queryControls(r *http.Request) (api.Page[api.ControlView], error) {
	q := r.URL.Query()
	limit, err := limitParam(r)
	if err != nil {
		return api.Page[api.ControlView]{}, err
	}
	after, err := decodeCursor(r)
	if err != nil {
		return api.Page[api.ControlView]{}, err
	}
	f := vigil.ControlFilter{Domain: q.Get("domain"), Search: q.Get("q"), After: after}
	if v := q.Get("status"); v != "" {
		if !slices.Contains(vigil.ControlStatuses, vigil.ControlStatus(v)) {
			return api.Page[api.ControlView]{}, vigil.FieldError("status", "unknown status %q (want not_started, in_progress, implemented or not_applicable)", v)
		}
		f.Status = vigil.ControlStatus(v)
	}
	switch v := q.Get("owner"); v {
	case "":
	case "none":
		f.OwnerID = -1
	default:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return api.Page[api.ControlView]{}, vigil.FieldError("owner", "owner must be a user id or none, got %q", v)
		}
		f.OwnerID = n
	}
	if v := q.Get("criterion"); v != "" {
		if !s.cat.HasCriterion(v) {
			return api.Page[api.ControlView]{}, vigil.FieldError("criterion", "unknown criterion %q", v)
		}
		f.Criterion = v
	}
	health := vigil.HealthState(q.Get("health"))
	if health != "" && !slices.Contains(healthStates, health) {
		return api.Page[api.ControlView]{}, vigil.FieldError("health", "unknown health %q (want healthy, at_risk, failing, unknown or not_applicable)", health)
	}
	if health == "" {
		f.Limit = limit + 1 // health is computed, so only then must every row be read
	}
	cs, err := s.store.ListControls(r.Context(), f)
	if err != nil {
		return api.Page[api.ControlView]{}, err
	}
	sigs := s.signals(r.Context())
	items := make([]api.ControlView, 0, min(len(cs), limit+1))
	for i := range cs {
		v := s.view(&cs[i], sigs)
		if health == "" || v.Health.State == health {
			items = append(items, v)
		}
		if len(items) > limit {
			break
		}
	}
	return pageOf(items, limit, func(v api.ControlView) string { return v.ID }), nil
}

var healthStates = []vigil.HealthState{vigil.HealthHealthy, vigil.HealthAtRisk, vigil.HealthFailing, vigil.HealthUnknown, vigil.HealthNA}

func (s *Server) listControls(w http.ResponseWriter, r *http.Request) error {
	p, err := s.queryControls(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) getControl(w http.ResponseWriter, r *http.Request) error {
	c, err := s.store.Control(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.ControlDetail{ControlView: s.view(c, s.signals(r.Context())), Related: s.relatedTo(c.Criteria, 0)})
	return nil
}

// relatedTo lists other frameworks' requirements related to a set of
// criteria, grouped per requirement.
func (s *Server) relatedTo(criteria []string, minSupport int) []api.Related {
	out := []api.Related{}
	idx := map[string]int{}
	for _, crit := range criteria {
		for _, m := range s.cat.MappingsFor(crit, "", minSupport) {
			key := m.Framework + " " + m.RequirementID
			i, ok := idx[key]
			if !ok {
				f, _ := s.cat.Framework(m.Framework)
				req, _ := f.Requirement(m.RequirementID)
				i = len(out)
				idx[key] = i
				out = append(out, api.Related{Framework: m.Framework, RequirementID: m.RequirementID, Title: req.Title, Label: m.Label(), Confidence: m.Confidence})
			}
			rel := &out[i]
			if !slices.Contains(rel.Via, crit) {
				rel.Via = append(rel.Via, crit)
			}
			if !slices.Contains(rel.Sources, m.Source) {
				rel.Sources = append(rel.Sources, m.Source)
			}
			if m.Confidence == "high" {
				rel.Confidence = "high"
			}
		}
	}
	return out
}

func (s *Server) createControl(w http.ResponseWriter, r *http.Request) error {
	var req api.ControlRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	c := &vigil.Control{ID: vigil.CanonicalControlID(req.ID), Title: req.Title, Description: req.Description, OwnerID: req.OwnerID,
		Frequency: req.Frequency, Evidence: req.Evidence, Status: req.Status, Justification: req.Justification, Criteria: req.Criteria, Custom: true}
	if err := s.createCustomControl(r.Context(), c); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.view(c, s.signals(r.Context())))
	return nil
}

// createCustomControl stores a control an organization wrote itself: its
// ID must not be a library control's (those are adopted), and it must
// pass the catalog's rules. The API and the New control page call it.
func (s *Server) createCustomControl(ctx context.Context, c *vigil.Control) error {
	if _, ok := s.cat.LibraryControl(c.ID); ok {
		return &vigil.Error{Code: vigil.ECONFLICT, Field: "id", Message: c.ID + " is a library control id; adopt it instead, or choose another id"}
	}
	if err := c.Validate(s.cat.HasCriterion); err != nil {
		return err
	}
	return s.store.CreateControl(ctx, c)
}

// adoptSelection turns an adoption request into validated controls.
func (s *Server) adoptSelection(req api.AdoptRequest) ([]vigil.Control, error) {
	var picked []catalog.LibraryControl
	switch {
	case req.All:
		picked = s.cat.Library
	case len(req.Domains) > 0:
		for _, d := range req.Domains {
			d = strings.ToUpper(strings.TrimSpace(d))
			if !s.knownDomain(d) {
				return nil, vigil.FieldError("domains", "unknown library domain %q", d)
			}
			for _, lc := range s.cat.Library {
				if lc.Domain == d {
					picked = append(picked, lc)
				}
			}
		}
	default:
		for _, id := range req.IDs {
			lc, ok := s.cat.LibraryControl(strings.ToUpper(strings.TrimSpace(id)))
			if !ok {
				return nil, vigil.FieldError("ids", "%q is not a library control", id)
			}
			picked = append(picked, lc)
		}
	}
	cs := make([]vigil.Control, 0, len(picked))
	seen := map[string]bool{}
	for _, lc := range picked {
		if seen[lc.ID] {
			continue
		}
		seen[lc.ID] = true
		c := vigil.Control{ID: lc.ID, Title: lc.Title, Domain: lc.Domain, Frequency: lc.Frequency, Evidence: lc.Evidence,
			Criteria: slices.Clone(lc.Criteria), Automatable: lc.Automatable, HowAutomated: lc.HowAutomated, OwnerID: req.OwnerID}
		if err := c.Validate(s.cat.HasCriterion); err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// adoptControls adds library controls: the whole library, some domains or
// some controls. Controls already adopted are skipped and reported.
func (s *Server) adoptControls(w http.ResponseWriter, r *http.Request) error {
	var req api.AdoptRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	modes := 0
	for _, set := range []bool{req.All, len(req.Domains) > 0, len(req.IDs) > 0} {
		if set {
			modes++
		}
	}
	if modes != 1 {
		return vigil.FieldError("all", "choose exactly one of all, domains or ids")
	}
	cs, err := s.adoptSelection(req)
	if err != nil {
		return err
	}
	res, err := s.store.AdoptControls(r.Context(), cs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) patchControl(w http.ResponseWriter, r *http.Request) error {
	var p vigil.ControlPatch
	if err := decode(r, &p); err != nil {
		return err
	}
	c, err := s.updateControl(r.Context(), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.view(c, s.signals(r.Context())))
	return nil
}

// updateControl applies a patch with the catalog's rules and the caller's
// rights: managers change anything; members change only controls they own,
// and neither their owner nor their criteria.
func (s *Server) updateControl(ctx context.Context, id string, p vigil.ControlPatch) (*vigil.Control, error) {
	return s.store.UpdateControl(ctx, id, p, s.validateControl, vigil.ActorFrom(ctx).MayChangeControl)
}

// updateControls applies one patch to several controls, all or nothing,
// with the same rules as updateControl for each.
func (s *Server) updateControls(ctx context.Context, ids []string, p vigil.ControlPatch) ([]vigil.Control, []string, error) {
	return s.store.UpdateControls(ctx, ids, p, s.validateControl, vigil.ActorFrom(ctx).MayChangeControl)
}

func (s *Server) validateControl(c *vigil.Control) error { return c.Validate(s.cat.HasCriterion) }

func bulkPatch(b api.BulkSet) (vigil.ControlPatch, error) {
	if b.OwnerID == nil && b.Status == nil && b.Frequency == nil && b.Justification == nil {
		return vigil.ControlPatch{}, vigil.FieldError("set", "nothing to change: set at least one of owner_id, status or frequency")
	}
	return vigil.ControlPatch{OwnerID: b.OwnerID, Status: b.Status, Frequency: b.Frequency, Justification: b.Justification}, nil
}

// normalizeIDs upper-cases and trims control ids as the single edit's path
// would take them, refusing an empty list or id.
func normalizeIDs(ids []string) ([]string, error) {
	out := make([]string, 0, len(ids))
	for i, id := range ids {
		id = strings.ToUpper(strings.TrimSpace(id))
		if id == "" {
			return nil, vigil.FieldError("ids", "ids[%d] is empty", i)
		}
		out = append(out, id)
	}
	if len(out) == 0 {
		return nil, vigil.FieldError("ids", "choose at least one control")
	}
	return out, nil
}

// patchControls sets owner, status or frequency on several controls at
// once: every control is checked as a single edit would be, and if any
// refuses, none changes.
func (s *Server) patchControls(w http.ResponseWriter, r *http.Request) error {
	var req api.BulkRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	ids, err := normalizeIDs(req.IDs)
	if err != nil {
		return err
	}
	p, err := bulkPatch(req.Set)
	if err != nil {
		return err
	}
	cs, unchanged, err := s.updateControls(r.Context(), ids, p)
	if err != nil {
		return err
	}
	sigs := s.signals(r.Context())
	res := api.BulkResponse{Items: make([]api.ControlView, 0, len(cs)), Updated: []string{}, Unchanged: unchanged}
	for i := range cs {
		res.Items = append(res.Items, s.view(&cs[i], sigs))
		if !slices.Contains(unchanged, cs[i].ID) {
			res.Updated = append(res.Updated, cs[i].ID)
		}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) deleteControl(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeleteControl(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
