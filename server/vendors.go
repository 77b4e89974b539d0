package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/vendors"
)

// vendorRoutes are the API of the vendor module: everyone reads the
// inventory, documents, rounds and the subprocessor list; admins and
// owners change it. The questionnaire link itself is a public page
// (web_vendors.go), never an API route.
func (s *Server) vendorRoutes() []route {
	const (
		read   = vigil.PermRead
		manage = vigil.PermManage
	)
	upload := int64(-1)
	if s.evidence != nil && s.evidence.MaxUpload > 0 {
		upload = s.evidence.MaxUpload + 1
	}
	rs := []route{
		{name: "ListVendors", method: "GET", path: "/api/v1/vendors", perm: read, tag: "vendors", summary: "The vendor inventory, each vendor with its review against its tier's cadence and its documents' expiry", out: api.Page[api.VendorRow]{}, h: s.listVendors},
		{name: "CreateVendor", method: "POST", path: "/api/v1/vendors", perm: manage, tag: "vendors", summary: "Add a vendor", in: api.VendorRequest{}, out: vigil.Vendor{}, status: 201, h: s.createVendor},
		{name: "ImportVendors", method: "POST", path: "/api/v1/vendors/import", perm: manage, tag: "vendors", summary: "Import a vendor list (CSV, the raw body): a preview naming each bad row by line and column, importing nothing; with confirm set to the file's SHA-256 and no bad row, every vendor in one transaction",
			query: []param{{"confirm", "the SHA-256 of the previewed file: import it"}}, out: api.VendorImport{}, maxBody: vigil.MaxVendorCSV + 1, upload: true, h: s.importVendors},
		{name: "GetVendor", method: "GET", path: "/api/v1/vendors/{id}", perm: read, tag: "vendors", summary: "A vendor with its documents, their CUECs and expiry, and its questionnaire rounds", out: api.VendorDetail{}, h: s.getVendor},
		{name: "UpdateVendor", method: "PUT", path: "/api/v1/vendors/{id}", perm: manage, tag: "vendors", summary: "Replace a vendor's details", in: api.VendorRequest{}, out: vigil.Vendor{}, h: s.updateVendor},
		{name: "AddVendorDocument", method: "POST", path: "/api/v1/vendors/{id}/documents", perm: manage, tag: "vendors", summary: "Add a due-diligence document: the raw body is the file, sealed into the evidence ledger (VM-03 for reports, VM-04 for contracts); details in the query",
			query: []param{{"filename", "file name"}, {"kind", "soc2_report, iso27001, bridge_letter, dpa, baa or contract"}, {"title", "title"}, {"period_start", "SOC 2 period start"}, {"period_end", "SOC 2 period end"},
				{"expires", "expiry (certificates, bridge letters, contracts)"}, {"report_type", "type1 or type2"}, {"opinion", "unqualified, qualified, adverse or disclaimer"},
				{"exceptions", "exceptions noted"}, {"subservice_org", "a subservice organization (repeat)"}, {"cuec", "a complementary user entity control (repeat)"}},
			out: vigil.VendorDocument{}, status: 201, maxBody: upload, upload: true, needsEvidence: true, h: s.addVendorDocument},
		{name: "ReviewVendorDocument", method: "POST", path: "/api/v1/vendor-documents/{id}/review", perm: manage, tag: "vendors", summary: "Record the reviewer's conclusion on a document, once", in: api.VendorReviewRequest{}, out: vigil.VendorDocument{}, h: s.reviewVendorDocument},
		{name: "MapCUEC", method: "PUT", path: "/api/v1/vendor-cuecs/{id}", perm: manage, tag: "vendors", summary: "Map a complementary user entity control to the organization's controls that satisfy it (none: a gap)", in: api.CUECRequest{}, status: 204, h: s.mapCUEC},
		{name: "SendQuestionnaire", method: "POST", path: "/api/v1/vendors/{id}/questionnaires", perm: manage, tag: "vendors", summary: "Send a questionnaire round by link (a follow-up names its thread); the link is shown once", in: api.QuestionnaireRequest{}, out: api.QuestionnaireSent{}, status: 201, h: s.sendQuestionnaire},
		{name: "ReviewQuestionnaire", method: "POST", path: "/api/v1/questionnaires/{id}/review", perm: manage, tag: "vendors", summary: "Record the reviewer's conclusion on an answered round, once", in: api.VendorReviewRequest{}, out: vigil.Questionnaire{}, h: s.reviewQuestionnaire},
		{name: "ListVendorSuggestions", method: "GET", path: "/api/v1/vendor-suggestions", perm: read, tag: "vendors", summary: "Third-party apps connected systems list (Okta apps, Google Workspace OAuth grants) that match no vendor and await a decision, with each system's last listing and what it could not read", out: api.VendorSuggestions{}, h: s.listVendorSuggestions},
		{name: "ConfirmVendorSuggestion", method: "POST", path: "/api/v1/vendor-suggestions/{id}/confirm", perm: manage, tag: "vendors", summary: "Add a suggested app to the inventory as a vendor being onboarded, linked to the app", in: api.ConfirmSuggestionRequest{}, out: api.ConfirmedSuggestion{}, status: 201, h: s.confirmVendorSuggestion},
		{name: "DismissVendorSuggestion", method: "POST", path: "/api/v1/vendor-suggestions/{id}/dismiss", perm: manage, tag: "vendors", summary: "Dismiss a suggested app: it is no vendor to track, and stays dismissed", out: vigil.DiscoveredApp{}, h: s.dismissVendorSuggestion},
		{name: "ListSubprocessors", method: "GET", path: "/api/v1/subprocessors", perm: read, tag: "vendors", summary: "The subprocessor list, derived from the inventory (name, purpose, location)", out: api.Page[vigil.Subprocessor]{}, h: s.listSubprocessors},
	}
	for i := range rs {
		rs[i].needsVendors = true
	}
	return rs
}

func (s *Server) listVendors(w http.ResponseWriter, r *http.Request) error {
	rows, err := s.vendors.List(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.Page[api.VendorRow]{Items: rows})
	return nil
}

func vendorFromRequest(req api.VendorRequest) vigil.Vendor {
	return vigil.Vendor{Name: req.Name, Service: req.Service, Purpose: req.Purpose, OwnerID: req.OwnerID, DataShared: req.DataShared, Tier: req.Tier,
		Subservice: req.Subservice, Subprocessor: req.Subprocessor, Location: req.Location, ContractStart: req.ContractStart, ContractEnd: req.ContractEnd, Status: req.Status}
}

func (s *Server) createVendor(w http.ResponseWriter, r *http.Request) error {
	var req api.VendorRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	v := vendorFromRequest(req)
	if err := s.vendors.Create(r.Context(), &v); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) getVendor(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	d, err := s.vendors.Get(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) updateVendor(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var req api.VendorRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	v, err := s.vendors.Update(r.Context(), id, vendorFromRequest(req))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// documentFromValues reads a document's details from a query or a form.
func documentFromValues(vendorID int64, q url.Values) *vigil.VendorDocument {
	d := &vigil.VendorDocument{VendorID: vendorID, Kind: vigil.DocKind(q.Get("kind")), Title: q.Get("title"), PeriodStart: vigil.Date(q.Get("period_start")),
		PeriodEnd: vigil.Date(q.Get("period_end")), Expires: vigil.Date(q.Get("expires")), ReportType: q.Get("report_type"), Opinion: q.Get("opinion"),
		Exceptions: q.Get("exceptions"), SubserviceOrgs: q["subservice_org"]}
	for _, c := range q["cuec"] {
		// A form gives them one per line.
		for _, line := range strings.Split(c, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				d.CUECs = append(d.CUECs, vigil.CUEC{Text: line})
			}
		}
	}
	return d
}

func (s *Server) addVendorDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	d := documentFromValues(id, q)
	f := vendors.FileMeta{Filename: q.Get("filename"), MediaType: r.Header.Get("Content-Type"), Size: r.ContentLength}
	if err := s.vendors.AddDocument(r.Context(), d, f, r.Body); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) reviewVendorDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var req api.VendorReviewRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	d, err := s.vendors.ReviewDocument(r.Context(), id, req.Conclusion, req.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) mapCUEC(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var req api.CUECRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.vendors.MapCUEC(r.Context(), id, req.Controls); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// questionnaireLink is the page a secret opens.
func (s *Server) questionnaireLink(r *http.Request, secret string) string {
	return strings.TrimRight(s.baseURLFor(r), "/") + "/q/" + url.PathEscape(secret)
}

func (s *Server) sendQuestionnaire(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var req api.QuestionnaireRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	q, secret, err := s.vendors.Send(r.Context(), id, req)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, api.QuestionnaireSent{Questionnaire: *q, Link: s.questionnaireLink(r, secret)})
	return nil
}

func (s *Server) reviewQuestionnaire(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var req api.VendorReviewRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	q, err := s.vendors.Review(r.Context(), id, req.Conclusion, req.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

func (s *Server) listSubprocessors(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.vendors.Subprocessors(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.Page[vigil.Subprocessor]{Items: ps})
	return nil
}

func (s *Server) importVendors(w http.ResponseWriter, r *http.Request) error {
	b, err := readUpload(r, vigil.MaxVendorCSV)
	if err != nil {
		return err
	}
	out, err := s.vendors.Import(r.Context(), b, r.URL.Query().Get("confirm"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) listVendorSuggestions(w http.ResponseWriter, r *http.Request) error {
	sg, err := s.vendors.Suggestions(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sg)
	return nil
}

func (s *Server) confirmVendorSuggestion(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var req api.ConfirmSuggestionRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	c, err := s.vendors.Confirm(r.Context(), id, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) dismissVendorSuggestion(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	a, err := s.vendors.Dismiss(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}
