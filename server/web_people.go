package server

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/vigil-soc/vigil"
)

// The people pages: the register with its CSV import (a dry run shown as
// a preview, then confirmed), a page per person with every account
// matched to them, the offboarding log, each policy's acknowledgement
// roster, and "My tasks", where everyone acknowledges what is theirs to
// acknowledge. Every rule is the service's and the domain's.

type peopleData struct {
	People  []vigil.Person
	Preview *vigil.ImportPreview
	Errors  []string
	Today   string
}

func (s *Server) peopleData(r *http.Request) (*peopleData, error) {
	ps, err := s.people.List(r.Context())
	if err != nil {
		return nil, err
	}
	return &peopleData{People: ps, Today: s.now().UTC().Format("2006-01-02")}, nil
}

func (s *Server) peoplePage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.peopleData(r)
	if err != nil {
		return err
	}
	p := s.newPage(w, r, "People", "people")
	p.Data = d
	return s.render(w, http.StatusOK, "people", p)
}

// peopleImportPage is the dry run: the file is read (CSRF checked before
// it), every bad row is listed, or what would change is shown with a
// button that confirms exactly this file.
func (s *Server) peopleImportPage(w http.ResponseWriter, r *http.Request) error {
	_, _, data, err := readFormFile(r, vigil.MaxPeopleCSV)
	if err != nil {
		return err
	}
	if data == nil {
		s.flash(w, r, "Nothing imported: choose a CSV file.")
		http.Redirect(w, r, "/people", http.StatusSeeOther)
		return nil
	}
	pv, err := s.people.PreviewImport(r.Context(), data)
	if err != nil {
		return err
	}
	d, err := s.peopleData(r)
	if err != nil {
		return err
	}
	d.Preview = pv
	for _, e := range pv.Errors {
		d.Errors = append(d.Errors, rowText(e))
	}
	p := s.newPage(w, r, "People: import preview", "people")
	p.Data = d
	status := http.StatusOK
	if len(pv.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, status, "people", p)
}

func rowText(e vigil.RowError) string {
	out := ""
	if e.Line > 0 {
		out = "Line " + strconv.Itoa(e.Line)
		if e.Column != "" {
			out += ", column " + e.Column
		}
		out += ": "
	}
	return out + e.Message
}

func (s *Server) peopleConfirmPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	c, err := s.people.ConfirmImport(r.Context(), id, r.PostFormValue("sha256"))
	if err != nil {
		s.flash(w, r, "Nothing imported: "+vigil.ErrorMessage(err))
		http.Redirect(w, r, "/people", http.StatusSeeOther)
		return nil
	}
	s.flash(w, r, "Imported: "+strconv.Itoa(c.Created)+" added, "+strconv.Itoa(c.Updated)+" updated, "+strconv.Itoa(c.Unchanged)+" unchanged.")
	http.Redirect(w, r, "/people", http.StatusSeeOther)
	return nil
}

type personData struct {
	D        *vigil.PersonDetail
	People   []vigil.Person
	Accounts []vigil.Account // unmatched accounts, for a manual link
	// RoleChanges are the person's changes of title or department (HR-08).
	RoleChanges []vigil.RoleChange
	// HR is the onboarding checklist and HR records (web_hr.go).
	HR *vigil.PersonHR
}

func (s *Server) personPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	d, err := s.people.Get(r.Context(), id)
	if err != nil {
		return err
	}
	pd := &personData{D: d}
	if pd.RoleChanges, err = s.roleChanges().List(r.Context(), id); err != nil {
		return err
	}
	if pd.HR, err = s.people.HR(r.Context(), id); err != nil {
		return err
	}
	if ws := sessionFrom(r.Context()); ws != nil && ws.user.Role.Can(vigil.PermManage) {
		all, err := s.people.Accounts(r.Context())
		if err != nil {
			return err
		}
		for _, a := range all {
			if a.PersonID == 0 && a.Present {
				pd.Accounts = append(pd.Accounts, a)
			}
		}
	}
	p := s.newPage(w, r, d.Person.Name, "people")
	p.Data = pd
	p.Form = url.Values{"end_date": {string(d.Person.End)}}
	return s.render(w, http.StatusOK, "person", p)
}

// personPost records a leaver's end date or scope by hand, or links an
// account; refused, the message is shown and nothing changes.
func (s *Server) personPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	f := r.PostForm
	back := "/people/" + strconv.FormatInt(id, 10)
	var msg string
	switch f.Get("action") {
	case "link":
		integ, ext, ok := splitAccountKey(f.Get("account"))
		if !ok {
			err = vigil.FieldError("account", "choose an account")
			break
		}
		err = s.people.Link(r.Context(), vigil.AccountLink{AccountKey: vigil.AccountKey{IntegrationID: integ, ExternalID: ext}, PersonID: id})
		msg = "Linked " + ext + "."
	case "unlink":
		integ, ext, ok := splitAccountKey(f.Get("account"))
		if !ok {
			err = vigil.FieldError("account", "choose an account")
			break
		}
		err = s.people.Link(r.Context(), vigil.AccountLink{AccountKey: vigil.AccountKey{IntegrationID: integ, ExternalID: ext}, PersonID: 0})
		msg = ext + " is marked as nobody's."
	default:
		end := vigil.Date(f.Get("end_date"))
		scope := f.Get("in_scope") != ""
		_, err = s.people.Patch(r.Context(), id, func(p *vigil.Person) error {
			p.End, p.InScope = end, scope
			return nil
		})
		msg = "Saved."
	}
	if err != nil {
		msg = "Not saved: " + vigil.ErrorMessage(err)
		if vigil.ErrorCode(err) == vigil.EINTERNAL {
			return err
		}
	}
	s.flash(w, r, msg)
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// splitAccountKey reads "integration-id/external-id".
func splitAccountKey(v string) (int64, string, bool) {
	for i := 0; i < len(v); i++ {
		if v[i] == '/' {
			n, err := strconv.ParseInt(v[:i], 10, 64)
			return n, v[i+1:], err == nil && i+1 < len(v)
		}
	}
	return 0, "", false
}

func (s *Server) offboardingPage(w http.ResponseWriter, r *http.Request) error {
	o, err := s.people.Offboarding(r.Context())
	if err != nil {
		return err
	}
	p := s.newPage(w, r, "Offboarding", "people")
	p.Data = o
	return s.render(w, http.StatusOK, "offboarding", p)
}

// rosterData is the roster page: the roster, and whether reminders can
// be mailed.
type rosterData struct {
	*vigil.AckRoster
	RemindersOn bool
}

func (s *Server) policyRosterPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderRoster(w, r, http.StatusOK, nil)
}

func (s *Server) renderRoster(w http.ResponseWriter, r *http.Request, status int, fill func(*webPage)) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	ro, err := s.people.AckRoster(r.Context(), id)
	if err != nil {
		return err
	}
	p := s.newPage(w, r, ro.Requirement.Key+" acknowledgements", "policies")
	p.Data = rosterData{AckRoster: ro, RemindersOn: s.people.RemindersOn()}
	if fill != nil {
		fill(p)
	}
	return s.render(w, status, "policy_roster", p)
}

// policyRemindPage mails the reminders now and shows the roster with
// what went out.
func (s *Server) policyRemindPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	run, err := s.people.RemindAcks(r.Context(), id, true)
	if err != nil {
		var ferr error
		rerr := s.renderRoster(w, r, http.StatusUnprocessableEntity, func(p *webPage) { ferr = formError(p, err) })
		if ferr != nil {
			return ferr
		}
		return rerr
	}
	s.flash(w, r, run.Summary())
	http.Redirect(w, r, "/policies/"+strconv.FormatInt(id, 10)+"/acknowledgements", http.StatusSeeOther)
	return nil
}

func (s *Server) myTasksPage(w http.ResponseWriter, r *http.Request) error {
	t, err := s.people.MyTasks(r.Context())
	if err != nil {
		return err
	}
	p := s.newPage(w, r, "My tasks", "tasks")
	p.Data = t
	return s.render(w, http.StatusOK, "tasks", p)
}

// policyAckPage records the signed-in person's acknowledgement of the
// text they were shown (its version and hash come from the page).
func (s *Server) policyAckPage(w http.ResponseWriter, r *http.Request) error {
	return s.policyAction(w, r, func(id int64) (string, error) {
		a, err := s.people.Acknowledge(r.Context(), id, formInt(r.PostForm, "version"), r.PostFormValue("sha256"))
		if err != nil {
			return "", err
		}
		return "Acknowledged version " + strconv.Itoa(a.Number) + " on " + a.At.UTC().Format("2006-01-02 15:04 UTC") + ".", nil
	})
}

// readFormFile reads a streamed multipart form whose fields come before
// one file: the CSRF token among the fields is checked before a byte of
// the file is read, and the file is bounded by limit (an upload over it is
// an error naming the limit). A form without a file gives nil data.
func readFormFile(r *http.Request, limit int64) (fields url.Values, filename string, data []byte, err error) {
	ws := sessionFrom(r.Context())
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", nil, vigil.Errorf(vigil.EINVALID, "the form could not be read")
	}
	expired := vigil.Errorf(vigil.EFORBIDDEN, "this form has expired; go back, reload the page and try again")
	fields = url.Values{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, "", nil, vigil.Errorf(vigil.EINVALID, "the upload was interrupted")
		}
		if part.FileName() == "" {
			v, _ := io.ReadAll(io.LimitReader(part, 10<<10))
			fields.Add(part.FormName(), string(v))
			continue
		}
		if !tokenEqual(fields.Get("csrf"), ws.session.CSRF) {
			return nil, "", nil, expired
		}
		filename = part.FileName()
		if data, err = readUpload(&http.Request{Body: part}, limit); err != nil {
			return nil, "", nil, err
		}
		if data == nil {
			data = []byte{}
		}
		break
	}
	if !tokenEqual(fields.Get("csrf"), ws.session.CSRF) {
		return nil, "", nil, expired
	}
	return fields, filename, data, nil
}
