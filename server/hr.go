package server

import (
	"net/http"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/people"
)

// hrRoutes are HR records and onboarding: background checks and signed
// agreements (recorded by admins, with the file sealed as evidence),
// performance reviews (attested by the person's manager or HR; the
// service checks who), the confidentiality agreement people sign
// themselves, and the onboarding checklists (everyone's for those who
// read the register; a person sees their own).
func (s *Server) hrRoutes() []route {
	const (
		read   = vigil.PermRead
		people = vigil.PermReadPeople
		manage = vigil.PermManage
		// Attesting a review is a write: members (a manager is often one)
		// may, auditors and viewers may not.
		write = vigil.PermEditOwnControl
	)
	upload := int64(-1)
	if s.evidence != nil && s.evidence.MaxUpload > 0 {
		upload = s.evidence.MaxUpload + 1
	}
	rs := []route{
		{name: "GetOnboarding", method: "GET", path: "/api/v1/onboarding", perm: people, tag: "people", summary: "Every onboarding checklist of people who started in the audit period, each item judged from its record", out: vigil.OnboardingLog{}, h: s.getOnboarding},
		{name: "GetPersonHR", method: "GET", path: "/api/v1/people/{id}/hr", perm: read, tag: "people", summary: "A person's HR records and onboarding checklist (those who read the register, or the person themself)", out: vigil.PersonHR{}, h: s.getPersonHR},
		{name: "RecordBackgroundCheck", method: "POST", path: "/api/v1/people/{id}/background-checks", perm: manage, tag: "people", summary: "Record a completed background check: the raw body is the report or the vendor's attestation, sealed as HR-01 evidence; metadata in the query",
			query: []param{{"filename", "file name"}, {"completed_on", "YYYY-MM-DD"}, {"provider", "who ran the check"}, {"result", "clear, consider or adjudicated"}, {"note", "optional note"}},
			out:   vigil.BackgroundCheck{}, status: 201, maxBody: upload, upload: true, needsEvidence: true, h: s.recordBackgroundCheck},
		{name: "RecordAgreement", method: "POST", path: "/api/v1/people/{id}/confidentiality-agreements", perm: manage, tag: "people", summary: "Record a confidentiality agreement signed outside Vigil: the raw body is the signed document, sealed as HR-05 evidence",
			query: []param{{"filename", "file name"}, {"signed_on", "YYYY-MM-DD"}, {"document", "what was signed (title and version)"}},
			out:   vigil.ConfidentialityAgreement{}, status: 201, maxBody: upload, upload: true, needsEvidence: true, h: s.recordAgreement},
		{name: "RecordPerformanceReview", method: "POST", path: "/api/v1/people/{id}/performance-reviews", perm: write, tag: "people", summary: "Attest a person's performance review: their manager or HR, never the person", in: api.PerformanceReviewRequest{}, out: vigil.PerformanceReview{}, status: 201, h: s.recordPerformanceReview},
		{name: "SetConfidentialityPolicy", method: "PUT", path: "/api/v1/hr/confidentiality-policy", perm: manage, tag: "people", summary: "Designate the published policy people sign as their confidentiality agreement (0: none)", in: api.ConfidentialityPolicy{}, status: 204, h: s.setConfidentialityPolicy},
		{name: "SignConfidentiality", method: "POST", path: "/api/v1/me/confidentiality-agreement", perm: read, tag: "people", summary: "Sign the confidentiality agreement: acknowledge its version in force, naming the SHA-256 of the text you were shown", in: api.AckRequest{}, out: vigil.PolicyAck{}, h: s.signConfidentiality},
	}
	for i := range rs {
		rs[i].needsPeople = true
	}
	return rs
}

func (s *Server) getOnboarding(w http.ResponseWriter, r *http.Request) error {
	o, err := s.people.Onboarding(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) getPersonHR(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	d, err := s.people.HR(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) recordBackgroundCheck(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	b := &vigil.BackgroundCheck{PersonID: id, CompletedOn: vigil.Date(q.Get("completed_on")), Provider: q.Get("provider"),
		Result: vigil.BackgroundResult(q.Get("result")), Note: q.Get("note")}
	f := people.FileMeta{Filename: q.Get("filename"), MediaType: r.Header.Get("Content-Type"), Size: r.ContentLength}
	if err := s.people.RecordBackgroundCheck(r.Context(), b, f, r.Body); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, b)
	return nil
}

func (s *Server) recordAgreement(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	c := &vigil.ConfidentialityAgreement{PersonID: id, Document: q.Get("document")}
	if on := q.Get("signed_on"); on != "" {
		d, err := vigil.ParseDate("signed_on", on)
		if err != nil {
			return err
		}
		c.SignedAt = d.Time()
	}
	f := people.FileMeta{Filename: q.Get("filename"), MediaType: r.Header.Get("Content-Type"), Size: r.ContentLength}
	if err := s.people.RecordAgreement(r.Context(), c, f, r.Body); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) recordPerformanceReview(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var req api.PerformanceReviewRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	pr := &vigil.PerformanceReview{PersonID: id, Period: req.Period, CompletedOn: req.CompletedOn, EvidenceID: req.EvidenceID, Note: req.Note}
	if err := s.people.RecordPerformanceReview(r.Context(), pr); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, pr)
	return nil
}

func (s *Server) setConfidentialityPolicy(w http.ResponseWriter, r *http.Request) error {
	var req api.ConfidentialityPolicy
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.people.SetConfidentialityPolicy(r.Context(), req.PolicyID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) signConfidentiality(w http.ResponseWriter, r *http.Request) error {
	var req api.AckRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	a, err := s.people.SignConfidentiality(r.Context(), req.Version, req.SHA256)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}
