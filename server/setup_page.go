package server

import (
	"net/http"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
)

// The first-run setup page is the link printed on the console. It posts to
// the same setup logic as POST /api/v1/setup, then signs the new owner in
// and sends them to set up two-step verification, which owners need.

type setupPageData struct {
	Closed bool
	Token  string
}

func (s *Server) setupPageGet(w http.ResponseWriter, r *http.Request) error {
	n, err := s.store.CountUsers(r.Context())
	if err != nil {
		return err
	}
	p := s.newPage(w, r, "Set up Vigil", "")
	p.Form.Set("token", r.URL.Query().Get("token"))
	p.Data = setupPageData{Closed: n > 0}
	return s.render(w, http.StatusOK, "setup", p)
}

func (s *Server) setupPagePost(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	p := s.newPage(w, r, "Set up Vigil", "")
	p.Form = f
	p.Data = setupPageData{}
	u, err := s.doSetup(r.Context(), api.SetupRequest{SetupToken: f.Get("token"), Organization: vigil.Organization{Name: f.Get("org")},
		Email: f.Get("email"), Name: f.Get("name"), Password: f.Get("password")}, nil, "")
	if err != nil {
		if vigil.ErrorCode(err) == vigil.ECONFLICT {
			p.Data = setupPageData{Closed: true}
		}
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
		if msg, ok := p.Errors["organization.name"]; ok {
			p.Errors["org"] = msg
		}
		return s.render(w, statusOf(vigil.ErrorCode(err)), "setup", p)
	}
	// The owner needs MFA: start a session that must enrol first.
	if err := s.startSession(w, r, u, vigil.SessionEnrol, "password", "auth.login_mfa_enrolment_required"); err != nil {
		return err
	}
	s.flash(w, r, "Welcome. "+u.Email+" owns "+f.Get("org")+". As an owner you need two-step verification: set it up now.")
	http.Redirect(w, r, "/account/mfa", http.StatusSeeOther)
	return nil
}
