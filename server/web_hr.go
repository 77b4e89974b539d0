package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

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
	return []route{
		pg("GET", "/onboarding", vigil.PermReadPeople, s.onboardingPage),
		bg,
		pg("POST", "/people/{id}/performance-review", vigil.PermEditOwnControl, s.performanceReviewPage),
	}
}

func (s *Server) onboardingPage(w http.ResponseWriter, r *http.Request) error {
	o, err := s.people.Onboarding(r.Context())
	if err != nil {
		return err
	}
	p := s.newPage(w, r, "Onboarding", "people")
	p.Data = o
	return s.render(w, http.StatusOK, "onboarding", p)
}

// backgroundCheckPage records a background check from the person page:
// the fields come before the file in the form, so the file streams into
// the ledger without being held.
func (s *Server) backgroundCheckPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	ws := sessionFrom(r.Context())
	mr, err := r.MultipartReader()
	if err != nil {
		return vigil.Errorf(vigil.EINVALID, "the form could not be read")
	}
	back := "/people/" + strconv.FormatInt(id, 10) + "#hr"
	fields := map[string]string{}
	var b *vigil.BackgroundCheck
	for {
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
		b = &vigil.BackgroundCheck{PersonID: id, CompletedOn: vigil.Date(fields["completed_on"]), Provider: fields["provider"],
			Result: vigil.BackgroundResult(fields["result"]), Note: fields["note"]}
		err = s.people.RecordBackgroundCheck(r.Context(), b, people.FileMeta{Filename: part.FileName(), MediaType: part.Header.Get("Content-Type"), Size: -1}, part)
		if err != nil {
			if vigil.ErrorCode(err) == vigil.EINTERNAL {
				return err
			}
			s.flash(w, r, "Not recorded: "+vigil.ErrorMessage(err))
			http.Redirect(w, r, back, http.StatusSeeOther)
			return nil
		}
		break
	}
	if !tokenEqual(fields["csrf"], ws.session.CSRF) {
		return vigil.Errorf(vigil.EFORBIDDEN, "this form has expired; go back, reload the page and try again")
	}
	if b == nil {
		s.flash(w, r, "Not recorded: a background check is recorded with its report or the vendor's attestation; choose the file.")
	} else {
		s.flash(w, r, fmt.Sprintf("Recorded the background check of %s; the report is evidence %d.", b.CompletedOn, b.EvidenceID))
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
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
