package server

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
)

// peopleRoutes are the personnel register, the accounts matched to it,
// offboarding and acknowledgements. Person records are personal data:
// only roles with read_people (owners, admins, auditors) read them; every
// signed-in user reads and acknowledges the policies and sees their own
// tasks.
func (s *Server) peopleRoutes() []route {
	const (
		read   = vigil.PermRead
		people = vigil.PermReadPeople
		manage = vigil.PermManage
	)
	rs := []route{
		{name: "ListPeople", method: "GET", path: "/api/v1/people", perm: people, tag: "people", summary: "The personnel register", out: api.Page[vigil.Person]{}, h: s.listPeople},
		{name: "CreatePerson", method: "POST", path: "/api/v1/people", perm: manage, tag: "people", summary: "Add a person by hand", in: vigil.Person{}, out: vigil.Person{}, status: 201, h: s.createPerson},
		{name: "GetPerson", method: "GET", path: "/api/v1/people/{id}", perm: people, tag: "people", summary: "A person with every account matched to them, their acknowledgements and their offboarding", out: vigil.PersonDetail{}, h: s.getPerson},
		{name: "UpdatePerson", method: "PATCH", path: "/api/v1/people/{id}", perm: manage, tag: "people", summary: "Change a person's record (an end date records a leaver)", in: vigil.PersonPatch{}, out: vigil.Person{}, h: s.patchPerson},
		{name: "PreviewPeopleImport", method: "POST", path: "/api/v1/people/imports", perm: manage, tag: "people", summary: "Dry run of a CSV import (the raw body is the file): every bad row with its line and column, or what would change; a clean file is staged for confirmation and nothing is imported yet",
			out: vigil.ImportPreview{}, status: 200, maxBody: vigil.MaxPeopleCSV + 1, upload: true, h: s.previewPeopleImport},
		{name: "ConfirmPeopleImport", method: "POST", path: "/api/v1/people/imports/{id}/confirm", perm: manage, tag: "people", summary: "Apply a previewed import, named by its file's SHA-256, in one transaction", in: api.ImportConfirm{}, out: vigil.ImportCounts{}, h: s.confirmPeopleImport},
		{name: "ListAccounts", method: "GET", path: "/api/v1/accounts", perm: people, tag: "people", summary: "Every account the connected systems listed, with the person each is matched to", out: api.Page[vigil.Account]{}, h: s.listAccounts},
		{name: "LinkAccount", method: "PUT", path: "/api/v1/accounts/link", perm: manage, tag: "people", summary: "Match an account to a person by hand (person_id 0: the account is nobody's)", in: vigil.AccountLink{}, status: 204, h: s.linkAccount},
		{name: "GetOffboarding", method: "GET", path: "/api/v1/offboarding", perm: people, tag: "people", summary: "Each leaver's accounts and whether they were removed within the deadline, as the connected systems' collections show", out: vigil.OffboardingLog{}, h: s.getOffboarding},
		{name: "AcknowledgePolicy", method: "POST", path: "/api/v1/policies/{id}/acknowledge", perm: read, tag: "policies", summary: "Acknowledge the version in force, naming it and the SHA-256 of the text you were shown", in: api.AckRequest{}, out: vigil.PolicyAck{}, h: s.acknowledgePolicy},
		{name: "PolicyAckRoster", method: "GET", path: "/api/v1/policies/{id}/acknowledgements", perm: people, tag: "policies", summary: "Who in scope has and has not acknowledged the policy's version in force", out: vigil.AckRoster{}, h: s.policyAckRoster},
		{name: "RemindPolicyAcks", method: "POST", path: "/api/v1/policies/{id}/remind", perm: manage, tag: "policies", summary: "Mail a reminder now to everyone in scope with the policy still to acknowledge (each gets one digest of all their pending policies; anyone reminded in the last day is left out)", out: vigil.ReminderRun{}, h: s.remindPolicyAcks},
		{name: "AckOverview", method: "GET", path: "/api/v1/acknowledgements", perm: people, tag: "policies", summary: "Acknowledgement counts of every policy in force", out: vigil.AckOverview{}, h: s.ackOverview},
		{name: "MyTasks", method: "GET", path: "/api/v1/me/tasks", perm: read, tag: "people", summary: "Your own tasks: policies to acknowledge", out: vigil.MyTasks{}, h: s.myTasks},
	}
	for i := range rs {
		rs[i].needsPeople = true
	}
	return rs
}

func (s *Server) listPeople(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.people.List(r.Context())
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []vigil.Person{}
	}
	writeJSON(w, http.StatusOK, api.Page[vigil.Person]{Items: ps})
	return nil
}

func (s *Server) createPerson(w http.ResponseWriter, r *http.Request) error {
	var p vigil.Person
	if err := decode(r, &p); err != nil {
		return err
	}
	if err := s.people.Create(r.Context(), &p); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) getPerson(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	d, err := s.people.Get(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) patchPerson(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var x vigil.PersonPatch
	if err := decode(r, &x); err != nil {
		return err
	}
	p, err := s.people.Patch(r.Context(), id, func(p *vigil.Person) error { x.Apply(p); return nil })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// readUpload reads a bounded upload body, with a clear error past limit.
func readUpload(r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		var big *http.MaxBytesError
		if errors.As(err, &big) {
			return nil, vigil.Errorf(vigil.ETOOLARGE, "the file is larger than %d bytes", limit)
		}
		return nil, vigil.Errorf(vigil.EINVALID, "reading the file: %v", err)
	}
	if int64(len(b)) > limit {
		return nil, vigil.Errorf(vigil.ETOOLARGE, "the file is larger than %d bytes", limit)
	}
	return b, nil
}

func (s *Server) previewPeopleImport(w http.ResponseWriter, r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "text/csv") && !strings.HasPrefix(ct, "text/plain") && !strings.HasPrefix(ct, "application/octet-stream") {
		return vigil.Errorf(vigil.EINVALID, "Content-Type must be text/csv, got %q", truncate(ct, 60))
	}
	b, err := readUpload(r, vigil.MaxPeopleCSV)
	if err != nil {
		return err
	}
	pv, err := s.people.PreviewImport(r.Context(), b)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pv)
	return nil
}

func (s *Server) confirmPeopleImport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var req api.ImportConfirm
	if err := decode(r, &req); err != nil {
		return err
	}
	c, err := s.people.ConfirmImport(r.Context(), id, req.SHA256)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request) error {
	as, err := s.people.Accounts(r.Context())
	if err != nil {
		return err
	}
	if as == nil {
		as = []vigil.Account{}
	}
	writeJSON(w, http.StatusOK, api.Page[vigil.Account]{Items: as})
	return nil
}

func (s *Server) linkAccount(w http.ResponseWriter, r *http.Request) error {
	var l vigil.AccountLink
	if err := decode(r, &l); err != nil {
		return err
	}
	if err := s.people.Link(r.Context(), l); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getOffboarding(w http.ResponseWriter, r *http.Request) error {
	o, err := s.people.Offboarding(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) acknowledgePolicy(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var req api.AckRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	a, err := s.people.Acknowledge(r.Context(), id, req.Version, req.SHA256)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) policyAckRoster(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	ro, err := s.people.AckRoster(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ro)
	return nil
}

func (s *Server) remindPolicyAcks(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	run, err := s.people.RemindAcks(r.Context(), id, true)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, run)
	return nil
}

func (s *Server) ackOverview(w http.ResponseWriter, r *http.Request) error {
	o, err := s.people.AckOverview(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) myTasks(w http.ResponseWriter, r *http.Request) error {
	t, err := s.people.MyTasks(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}
