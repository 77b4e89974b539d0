package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/risk"
)

// riskRoutes are the API of the risk register: everyone reads the
// register, the library, the heat maps and the assessments; admins and
// owners add, score, link and accept risks and run and sign assessments;
// an acceptance is approved by the person it names (any role that may
// operate controls), never the risk's owner (vigil.Actor.ApproveAcceptance).
func (s *Server) riskRoutes() []route {
	const (
		read   = vigil.PermRead
		manage = vigil.PermManage
		ownCtl = vigil.PermEditOwnControl
	)
	filter := []param{{"category", "one category, e.g. fraud"}, {"treatment", "mitigate, accept, transfer, avoid, or none"}, {"owner", "owner user id"},
		{"likelihood", "one likelihood (a heat map cell with impact)"}, {"impact", "one impact"}, {"residual", "true: likelihood and impact are the residual ones"}, {"q", "search in key, title, description and asset"}}
	rs := []route{
		{name: "ListRisks", method: "GET", path: "/api/v1/risks", perm: read, tag: "risks", summary: "The risk register, filtered", query: filter, out: api.Page[vigil.Risk]{}, h: s.listRisks},
		{name: "CreateRisk", method: "POST", path: "/api/v1/risks", perm: manage, tag: "risks", summary: "Add a risk to the register (RISK-001, ...)", in: api.RiskRequest{}, out: vigil.Risk{}, status: 201, h: s.createRisk},
		{name: "RiskLibrary", method: "GET", path: "/api/v1/risks/library", perm: read, tag: "risks", summary: "Vigil's library of common SaaS risks, each with suggested controls, and the scoring scale", out: api.RiskLibrary{}, h: s.riskLibrary},
		{name: "AddLibraryRisks", method: "POST", path: "/api/v1/risks/library", perm: manage, tag: "risks", summary: "Start register entries from library risks, linked to the organization's matching controls: all, or none", in: api.RiskLibraryRequest{}, out: api.Page[vigil.Risk]{}, status: 201, h: s.addLibraryRisks},
		{name: "ImportRisks", method: "POST", path: "/api/v1/risks/import", perm: manage, tag: "risks", summary: "Import a risk register (the raw body is the CSV file): without confirm a dry run naming every bad row's line and column; with confirm (the preview's sha256) the risks are added, all or none",
			query: []param{{"confirm", "the sha256 the dry run gave: import the file"}}, out: vigil.RiskImport{}, maxBody: vigil.MaxRiskCSV + 1, upload: true, h: s.importRisks},
		{name: "RiskHeatMap", method: "GET", path: "/api/v1/risks/heatmap", perm: read, tag: "risks", summary: "Counts of risks per likelihood and impact, inherent or residual", query: []param{{"residual", "true for residual scores"}}, out: vigil.HeatMap{}, h: s.riskHeatMap},
		{name: "GetRisk", method: "GET", path: "/api/v1/risks/{id}", perm: read, tag: "risks", summary: "A risk", out: vigil.Risk{}, h: s.getRisk},
		{name: "UpdateRisk", method: "PATCH", path: "/api/v1/risks/{id}", perm: manage, tag: "risks", summary: "Score a risk, link controls, set owner, treatment and review date", in: vigil.RiskPatch{}, out: vigil.Risk{}, h: s.patchRisk},
		{name: "SimulateRisk", method: "GET", path: "/api/v1/risks/{id}/simulation", perm: read, tag: "risks", summary: "Monte Carlo of the risk's quantitative estimate (Poisson frequency, PERT loss, 100,000 years): expected annual loss and the loss-exceedance curve, beside the qualitative score", query: []param{{"seed", "the seed (default: the risk's id)"}}, out: vigil.Simulation{}, h: s.simulateRisk},
		{name: "AcceptRisk", method: "POST", path: "/api/v1/risks/{id}/acceptance", perm: manage, tag: "risks", summary: "Accept a risk: names an approver other than its owner and an expiry; pending until approved", in: api.AcceptanceRequest{}, out: vigil.Risk{}, h: s.acceptRisk},
		{name: "ApproveRiskAcceptance", method: "POST", path: "/api/v1/risks/{id}/acceptance/approve", perm: ownCtl, tag: "risks", summary: "Approve a risk's acceptance: only the approver it names, never the owner", out: vigil.Risk{}, h: s.approveRisk},
		{name: "ListRiskAssessments", method: "GET", path: "/api/v1/risk-assessments", perm: read, tag: "risks", summary: "The risk assessments, oldest first, with the trend between them", out: api.RiskAssessments{}, h: s.listAssessments},
		{name: "RunRiskAssessment", method: "POST", path: "/api/v1/risk-assessments", perm: manage, tag: "risks", summary: "Record the annual risk assessment: the register as it stands, participants and method; it counts once signed", in: api.RiskAssessmentRequest{}, out: vigil.RiskAssessment{}, status: 201, h: s.runAssessment},
		{name: "GetRiskAssessment", method: "GET", path: "/api/v1/risk-assessments/{id}", perm: read, tag: "risks", summary: "A risk assessment with the register as it stood", out: vigil.RiskAssessment{}, h: s.getAssessment},
		{name: "SignRiskAssessment", method: "POST", path: "/api/v1/risk-assessments/{id}/sign", perm: manage, tag: "risks", summary: "Sign an assessment off: sealed into the evidence ledger against RA-01", out: vigil.RiskAssessment{}, h: s.signAssessment},
	}
	for i := range rs {
		rs[i].needsRisks = true
	}
	return rs
}

// riskFilter reads the register's filter from a query string.
func riskFilter(q url.Values) (vigil.RiskFilter, error) {
	f := vigil.RiskFilter{Category: vigil.RiskCategory(q.Get("category")), Treatment: vigil.RiskTreatment(q.Get("treatment")), Query: q.Get("q")}
	f.Residual = q.Get("residual") == "true" || q.Get("residual") == "1"
	for name, dst := range map[string]*int{"likelihood": &f.Likelihood, "impact": &f.Impact} {
		if v := strings.TrimSpace(q.Get(name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return f, vigil.FieldError(name, "%s must be a number on the scale, got %q", name, truncate(v, 20))
			}
			*dst = n
		}
	}
	if v := strings.TrimSpace(q.Get("owner")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return f, vigil.FieldError("owner", "owner is a user id, got %q", truncate(v, 20))
		}
		f.OwnerID = n
	}
	return f, nil
}

func (s *Server) listRisks(w http.ResponseWriter, r *http.Request) error {
	f, err := riskFilter(r.URL.Query())
	if err != nil {
		return err
	}
	rs, err := s.risks.Risks(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.Page[vigil.Risk]{Items: nonNilSlice(rs)})
	return nil
}

func riskFromRequest(req api.RiskRequest) *vigil.Risk {
	return &vigil.Risk{Title: req.Title, Description: req.Description, Category: req.Category, Asset: req.Asset, Threat: req.Threat,
		Vulnerability: req.Vulnerability, OwnerID: req.OwnerID, Likelihood: req.Likelihood, Impact: req.Impact,
		ResidualLikelihood: req.ResidualLikelihood, ResidualImpact: req.ResidualImpact, Treatment: req.Treatment,
		TreatmentPlan: req.TreatmentPlan, ReviewDate: req.ReviewDate, Controls: req.Controls}
}

func (s *Server) createRisk(w http.ResponseWriter, r *http.Request) error {
	var req api.RiskRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	x := riskFromRequest(req)
	if err := s.risks.Create(r.Context(), x); err != nil {
		return err
	}
	got, err := s.risks.Risk(r.Context(), x.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, got)
	return nil
}

func (s *Server) riskLibrary(w http.ResponseWriter, r *http.Request) error {
	lib, err := risk.Library()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.RiskLibrary{Items: lib, Scale: s.risks.Scale()})
	return nil
}

func (s *Server) addLibraryRisks(w http.ResponseWriter, r *http.Request) error {
	var req api.RiskLibraryRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	rs, err := s.risks.AddFromLibrary(r.Context(), req.IDs, req.OwnerID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, api.Page[vigil.Risk]{Items: rs})
	return nil
}

func (s *Server) riskHeatMap(w http.ResponseWriter, r *http.Request) error {
	h, err := s.risks.HeatMap(r.Context(), r.URL.Query().Get("residual") == "true")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

func (s *Server) getRisk(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	x, err := s.risks.Risk(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, x)
	return nil
}

func (s *Server) patchRisk(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var p vigil.RiskPatch
	if err := decode(r, &p); err != nil {
		return err
	}
	x, err := s.risks.Update(r.Context(), id, &p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, x)
	return nil
}

func (s *Server) acceptRisk(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var req api.AcceptanceRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	x, err := s.risks.RequestAcceptance(r.Context(), id, req.ApproverID, req.Expires, req.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, x)
	return nil
}

func (s *Server) approveRisk(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	x, err := s.risks.ApproveAcceptance(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, x)
	return nil
}

func (s *Server) listAssessments(w http.ResponseWriter, r *http.Request) error {
	as, err := s.risks.Assessments(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.RiskAssessments{Items: nonNilSlice(as), Trend: nonNilSlice(vigil.Trend(as, s.risks.Scale()))})
	return nil
}

func (s *Server) runAssessment(w http.ResponseWriter, r *http.Request) error {
	var req api.RiskAssessmentRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	a := &vigil.RiskAssessment{PerformedOn: req.PerformedOn, Method: req.Method, Participants: req.Participants, Months: req.Months}
	if err := s.risks.RunAssessment(r.Context(), a); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) getAssessment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	a, err := s.risks.Assessment(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) signAssessment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	a, err := s.risks.SignAssessment(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) importRisks(w http.ResponseWriter, r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "text/csv") && !strings.HasPrefix(ct, "text/plain") && !strings.HasPrefix(ct, "application/octet-stream") {
		return vigil.Errorf(vigil.EINVALID, "Content-Type must be text/csv, got %q", truncate(ct, 60))
	}
	b, err := readUpload(r, vigil.MaxRiskCSV)
	if err != nil {
		return err
	}
	res, err := s.risks.Import(r.Context(), b, r.URL.Query().Get("confirm"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) simulateRisk(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var seed uint64
	if v := r.URL.Query().Get("seed"); v != "" {
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			return vigil.FieldError("seed", "seed must be a whole number, got %q", truncate(v, 20))
		}
	}
	sim, err := s.risks.Simulate(r.Context(), id, seed)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sim)
	return nil
}
