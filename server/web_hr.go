package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/people"
)

// The HR pages: everyone's onboarding checklist (/onboarding), and on a
// person's page their checklist and records with the forms that add
// them: a background check with its report (a streamed multipart form,
// CSRF checked before the file is read) and a performance review. Every
// rule is the service's and the domain's.

// hrPageRoutes are the HR pages, appended to the route table.
func (s *Server) hrPageRoutes() []route {
	if s.people == nil {
		return nil
	}
	pg := func(method, path string, perm vigil.Permission, h handlerFunc) route {
		return route{method: method, path: path, perm: perm, page: true, needsPeople: true, h: h}
	}
	bg := pg("POST", "/people/{id}/background-check", vigil.PermManage, s.backgroundCheckPage)
	bg.stream, bg.maxBody, bg.needsEvidence = true, -1, true
	ag := pg("POST", "/people/{id}/agreement", vigil.PermManage, s.agreementPage)
	ag.stream, ag.maxBody, ag.needsEvidence = true, -1, true
	return []route{
		pg("GET", "/onboarding", vigil.PermReadPeople, s.onboardingPage),
		bg,
		ag,
		pg("POST", "/people/{id}/performance-review", vigil.PermEditOwnControl, s.performanceReviewPage),
		pg("POST", "/onboarding/confidentiality-policy", vigil.PermManage, s.confidentialityPolicyPage),
	}
}

func (s *Server) onboardingPage(w http.ResponseWriter, r *http.Request) error {
	o, err := s.people.Onboarding(r.Context())
	if err != nil {
		return err
	}
	// The policies in force, to choose the confidentiality agreement from.
	ov, err := s.people.AckOverview(r.Context())
	if err != nil {
		return err
	}
	p := s.newPage(w, r, "Onboarding", "people")
	p.Data = struct {
		*vigil.OnboardingLog
		Policies []vigil.AckPolicyCounts
	}{o, ov.Policies}
	return s.render(w, http.StatusOK, "onboarding", p)
}

// streamRecord reads a streamed multipart form whose fields come before
// its one file (so the file streams into the ledger without being held),
// checks the CSRF token before reading the file, and hands fields and
// file to record; no file is given as nil. It answers with a flash
// message and a redirect to the person's page.
func (s *Server) streamRecord(w http.ResponseWriter, r *http.Request, record func(id int64, fields map[string]string, f people.FileMeta, file io.Reader) (string, error)) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	ws := sessionFrom(r.Context())
	mr, err := r.MultipartReader()
	if err != nil {
		return vigil.Errorf(vigil.EINVALID, "the form could not be read")
	}
	fields := map[string]string{}
	msg, done := "", false
	for !done {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return vigil.Errorf(vigil.EINVALID, "the upload was interrupted")
		}
		if part.FileName() == "" {
			v, _ := io.ReadAll(io.LimitReader(part, 10<<10))
			fields[part.FormName()] = string(v)
			continue
		}
		if !tokenEqual(fields["csrf"], ws.session.CSRF) {
			return vigil.Errorf(vigil.EFORBIDDEN, "this form has expired; go back, reload the page and try again")
		}
		msg, err = record(id, fields, people.FileMeta{Filename: part.FileName(), MediaType: part.Header.Get("Content-Type"), Size: -1}, part)
		if err != nil {
			if vigil.ErrorCode(err) == vigil.EINTERNAL {
				return err
			}
			msg = "Not recorded: " + vigil.ErrorMessage(err)
		}
		done = true
	}
	if !tokenEqual(fields["csrf"], ws.session.CSRF) {
		return vigil.Errorf(vigil.EFORBIDDEN, "this form has expired; go back, reload the page and try again")
	}
	if !done {
		msg = "Not recorded: choose the file; the record is made with it as evidence."
	}
	s.flash(w, r, msg)
	http.Redirect(w, r, "/people/"+strconv.FormatInt(id, 10)+"#hr", http.StatusSeeOther)
	return nil
}

// backgroundCheckPage records a background check with its report.
func (s *Server) backgroundCheckPage(w http.ResponseWriter, r *http.Request) error {
	return s.streamRecord(w, r, func(id int64, fields map[string]string, f people.FileMeta, file io.Reader) (string, error) {
		b := &vigil.BackgroundCheck{PersonID: id, CompletedOn: vigil.Date(fields["completed_on"]), Provider: fields["provider"],
			Result: vigil.BackgroundResult(fields["result"]), Note: fields["note"]}
		if err := s.people.RecordBackgroundCheck(r.Context(), b, f, file); err != nil {
			return "", err
		}
		return fmt.Sprintf("Recorded the background check of %s; the report is evidence %d.", b.CompletedOn, b.EvidenceID), nil
	})
}

// agreementPage records a confidentiality agreement signed outside Vigil
// with the signed document.
func (s *Server) agreementPage(w http.ResponseWriter, r *http.Request) error {
	return s.streamRecord(w, r, func(id int64, fields map[string]string, f people.FileMeta, file io.Reader) (string, error) {
		c := &vigil.ConfidentialityAgreement{PersonID: id, Document: fields["document"]}
		if on := fields["signed_on"]; on != "" {
			d, err := vigil.ParseDate("signed_on", on)
			if err != nil {
				return "", err
			}
			c.SignedAt = d.Time()
		}
		if err := s.people.RecordAgreement(r.Context(), c, f, file); err != nil {
			return "", err
		}
		return fmt.Sprintf("Recorded the agreement signed %s; the document is evidence %d.", c.SignedAt.Format(time.DateOnly), c.EvidenceID), nil
	})
}

// confidentialityPolicyPage designates the policy people sign as their
// confidentiality agreement.
func (s *Server) confidentialityPolicyPage(w http.ResponseWriter, r *http.Request) error {
	id := int64(formInt(r.PostForm, "policy_id"))
	msg := "No policy is designated as the confidentiality agreement."
	if id != 0 {
		msg = "Designated: people sign the confidentiality agreement by acknowledging this policy."
	}
	if err := s.people.SetConfidentialityPolicy(r.Context(), id); err != nil {
		if vigil.ErrorCode(err) == vigil.EINTERNAL {
			return err
		}
		msg = "Not saved: " + vigil.ErrorMessage(err)
	}
	s.flash(w, r, msg)
	http.Redirect(w, r, "/onboarding", http.StatusSeeOther)
	return nil
}

func (s *Server) performanceReviewPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	f := r.PostForm
	pr := &vigil.PerformanceReview{PersonID: id, Period: f.Get("period"), CompletedOn: vigil.Date(f.Get("completed_on")), Note: f.Get("note")}
	msg := "Recorded the performance review completed " + string(pr.CompletedOn) + "."
	if err := s.people.RecordPerformanceReview(r.Context(), pr); err != nil {
		if vigil.ErrorCode(err) == vigil.EINTERNAL {
			return err
		}
		msg = "Not recorded: " + vigil.ErrorMessage(err)
	}
	s.flash(w, r, msg)
	http.Redirect(w, r, "/people/"+strconv.FormatInt(id, 10)+"#hr", http.StatusSeeOther)
	return nil
}
