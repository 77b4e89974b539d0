package server

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/evidence"
)

// mayEvidence checks that the actor may add evidence for these controls:
// managers for any, members for the controls they own.
func (s *Server) mayEvidence(r *http.Request, controls []string) error {
	a := vigil.ActorFrom(r.Context())
	if a.Role.Can(vigil.PermManage) {
		return nil
	}
	for _, id := range controls {
		c, err := s.store.Control(r.Context(), id)
		if err != nil {
			return vigil.FieldError("controls", "control %s does not exist", id)
		}
		if c.OwnerID != a.UserID {
			return vigil.Errorf(vigil.EFORBIDDEN, "you may add evidence only for controls you own; %s is not yours", id)
		}
	}
	return nil
}

// requestControls adds the controls of the named requests, for the
// permission check.
func (s *Server) requestControls(r *http.Request, controls []string, requests []int64) ([]string, error) {
	out := slices.Clone(controls)
	for _, id := range requests {
		rq, err := s.store.Request(r.Context(), id)
		if err != nil {
			return nil, vigil.FieldError("requests", "evidence request %d does not exist", id)
		}
		out = append(out, rq.ControlID)
	}
	return out, nil
}

func int64List(field string, vals []string) ([]int64, error) {
	var out []int64
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			n, err := strconv.ParseInt(p, 10, 64)
			if err != nil || n <= 0 {
				return nil, vigil.FieldError(field, "%s must be ids, got %q", field, p)
			}
			out = append(out, n)
		}
	}
	return out, nil
}

func stringList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = vigil.CanonicalControlID(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// uploadEvidence takes the file as the raw request body, streamed: the
// metadata comes in the query (filename, title, control, request,
// effective_start, effective_end) and headers (Content-Type, Content-Length,
// X-Content-SHA256).
func (s *Server) uploadEvidence(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	reqs, err := int64List("request", q["request"])
	if err != nil {
		return err
	}
	m := evidence.Meta{Filename: q.Get("filename"), Title: q.Get("title"), Controls: stringList(q["control"]), Requests: reqs,
		EffectiveStart: vigil.Date(q.Get("effective_start")), EffectiveEnd: vigil.Date(q.Get("effective_end")),
		MediaType: r.Header.Get("Content-Type"), DeclaredSHA256: r.Header.Get("X-Content-SHA256"), DeclaredSize: r.ContentLength,
		Redact: q.Get("redact") == "true", Restricted: q.Get("restricted") == "true"}
	all, err := s.requestControls(r, m.Controls, reqs)
	if err != nil {
		return err
	}
	if err := s.mayEvidence(r, all); err != nil {
		return err
	}
	e, err := s.evidence.Upload(r.Context(), m, r.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (s *Server) attestOrLink(w http.ResponseWriter, r *http.Request, link bool) error {
	var req api.AttestRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	all, err := s.requestControls(r, req.Controls, req.Requests)
	if err != nil {
		return err
	}
	if err := s.mayEvidence(r, all); err != nil {
		return err
	}
	m := evidence.Meta{Title: req.Title, Statement: req.Statement, URL: req.URL, Controls: stringList(req.Controls), Requests: req.Requests,
		EffectiveStart: req.EffectiveStart, EffectiveEnd: req.EffectiveEnd}
	var e *vigil.Evidence
	if link {
		e, err = s.evidence.Link(r.Context(), m)
	} else {
		e, err = s.evidence.Attest(r.Context(), m)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (s *Server) attest(w http.ResponseWriter, r *http.Request) error {
	return s.attestOrLink(w, r, false)
}
func (s *Server) link(w http.ResponseWriter, r *http.Request) error {
	return s.attestOrLink(w, r, true)
}

func (s *Server) listEvidence(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	before, err := intCursor(r)
	if err != nil {
		return err
	}
	req, err := queryInt(r, "request", 0)
	if err != nil {
		return err
	}
	items, err := s.store.ListEvidence(r.Context(), vigil.EvidenceFilter{Control: q.Get("control"), Request: int64(req), Before: before, Limit: limit + 1, Open: openOnly(r)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(items, limit, func(e vigil.Evidence) string { return strconv.FormatInt(e.ID, 10) }))
	return nil
}

func (s *Server) evidenceItem(r *http.Request) (*vigil.Evidence, error) {
	id, err := pathInt(r, "id")
	if err != nil {
		return nil, err
	}
	e, err := s.store.Evidence(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !vigil.ActorFrom(r.Context()).MaySeeEvidence(e) {
		// Answered as missing: a restricted item's existence and title
		// are personal data too.
		return nil, vigil.NotFound("evidence", id)
	}
	return e, nil
}

// openOnly says whether the caller sees only unrestricted evidence.
func openOnly(r *http.Request) bool {
	return !vigil.ActorFrom(r.Context()).Role.Can(vigil.PermReadPeople)
}

func (s *Server) getEvidence(w http.ResponseWriter, r *http.Request) error {
	e, err := s.evidenceItem(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

// evidenceContent streams an item's bytes, verified on the way out. It is
// always a download, never rendered in Vigil's origin.
func (s *Server) evidenceContent(w http.ResponseWriter, r *http.Request) error {
	e, err := s.evidenceItem(r)
	if err != nil {
		return err
	}
	rc, err := s.evidence.Open(r.Context(), e)
	if err != nil {
		return err
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", e.MediaType)
	h.Set("Content-Length", strconv.FormatInt(e.Size, 10))
	h.Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(e.Filename))
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("X-Content-SHA256", e.SHA256)
	buf := make([]byte, 64<<10)
	for {
		n, rerr := rc.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return nil // the client went away
			}
		}
		if rerr != nil {
			if errors.Is(rerr, io.EOF) {
				return nil
			}
			// Headers are sent: the body ends short, which the declared
			// length makes visible to the client.
			s.log.Error("evidence content failed verification while streaming", "evidence", e.ID, "err", rerr)
			return nil
		}
	}
}

func (s *Server) evidenceProof(w http.ResponseWriter, r *http.Request) error {
	e, err := s.evidenceItem(r)
	if err != nil {
		return err
	}
	p, err := s.evidence.InclusionProof(r.Context(), e.LogIndex)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) reviewEvidence(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var req api.ReviewRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.evidence.Review(r.Context(), id, req.State, req.Reason); err != nil {
		return err
	}
	e, err := s.store.Evidence(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) exportEvidence(w http.ResponseWriter, r *http.Request) error {
	// The store matches control IDs in any case.
	control := r.URL.Query().Get("control")
	if control != "" {
		if _, err := s.store.Control(r.Context(), control); err != nil {
			return err
		}
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="vigil-evidence.zip"`)
	if err := s.evidence.Export(r.Context(), w, vigil.EvidenceFilter{Control: control, Open: openOnly(r)}); err != nil {
		// The status is sent: abort the response, so the client sees a
		// broken download rather than a short zip that looks whole.
		s.log.Error("export failed mid-stream", "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

func (s *Server) listCheckpoints(w http.ResponseWriter, r *http.Request) error {
	cps, err := s.store.Checkpoints(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.Page[vigil.Checkpoint]{Items: cps})
	return nil
}

func (s *Server) makeCheckpoint(w http.ResponseWriter, r *http.Request) error {
	c, err := s.evidence.Checkpoint(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) ledgerKey(w http.ResponseWriter, r *http.Request) error {
	n, err := s.store.LedgerSize(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.LedgerKey{VerifierKey: s.evidence.VerifierKey, Origin: s.evidence.Origin, Size: n})
	return nil
}

func (s *Server) ledgerConsistency(w http.ResponseWriter, r *http.Request) error {
	from, err := queryInt(r, "from", 0)
	if err != nil {
		return err
	}
	to, err := queryInt(r, "to", 0)
	if err != nil {
		return err
	}
	n, err := s.store.LedgerSize(r.Context())
	if err != nil {
		return err
	}
	if from < 1 || to < from || uint64(to) > n {
		return vigil.FieldError("to", "need 1 <= from <= to <= %d (the log's size)", n)
	}
	p, err := s.evidence.ConsistencyProof(r.Context(), uint64(from), uint64(to))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.ConsistencyResponse{From: uint64(from), To: uint64(to), Hashes: p})
	return nil
}

func (s *Server) verifyLedger(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.evidence.Verify(r.Context(), r.URL.Query().Get("blobs") == "true")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (s *Server) requestViews(r *http.Request, control string) ([]api.RequestView, error) {
	reqs, err := s.store.Requests(r.Context(), control)
	if err != nil {
		return nil, err
	}
	items, err := s.store.RequestItems(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]api.RequestView, 0, len(reqs))
	for i := range reqs {
		ps := reqs[i].Periods(items[reqs[i].ID], s.now())
		out = append(out, api.RequestView{EvidenceRequest: reqs[i], Periods: ps, Signal: reqs[i].RequestSignal(ps, s.now())})
	}
	return out, nil
}

func (s *Server) listRequests(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.requestViews(r, r.URL.Query().Get("control"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.Page[api.RequestView]{Items: vs})
	return nil
}

func (s *Server) createRequest(w http.ResponseWriter, r *http.Request) error {
	var req api.NewRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	rq := &vigil.EvidenceRequest{ControlID: req.ControlID, Title: req.Title, Description: req.Description,
		Frequency: req.Frequency, Start: req.Start, GraceDays: req.GraceDays, AssigneeID: req.AssigneeID}
	if err := s.store.CreateRequest(r.Context(), rq); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rq)
	return nil
}

func (s *Server) getRequest(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	rq, err := s.store.Request(r.Context(), id)
	if err != nil {
		return err
	}
	vs, err := s.requestViews(r, rq.ControlID)
	if err != nil {
		return err
	}
	for _, v := range vs {
		if v.ID == id {
			writeJSON(w, http.StatusOK, v)
			return nil
		}
	}
	return vigil.NotFound("evidence request", id)
}

func (s *Server) deleteRequest(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if err := s.store.DeleteRequest(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) patchRequest(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var p vigil.RequestPatch
	if err := decode(r, &p); err != nil {
		return err
	}
	if _, err := s.store.UpdateRequest(r.Context(), id, &p); err != nil {
		return err
	}
	return s.getRequest(w, r)
}

func (s *Server) getEvidenceSettings(w http.ResponseWriter, r *http.Request) error {
	e, err := s.store.EvidenceSettings(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) putEvidenceSettings(w http.ResponseWriter, r *http.Request) error {
	var e vigil.EvidenceSettings
	if err := decode(r, &e); err != nil {
		return err
	}
	if err := s.store.UpdateEvidenceSettings(r.Context(), &e); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}
