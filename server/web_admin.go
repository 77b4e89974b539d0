package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/auth"
	"github.com/vigil-soc/vigil/store"
)

type scopeData struct {
	Scope        *vigil.Scope
	Categories   []vigil.Category
	Systems      []vigil.System
	Users        []vigil.User
	Kinds        []string
	Classes      []string
	Environments []string
	System       *vigil.System // the system being edited
}

func (s *Server) scopeData(r *http.Request) (*scopeData, error) {
	ctx := r.Context()
	sc, err := s.store.Scope(ctx)
	if err != nil {
		return nil, err
	}
	systems, err := s.store.ListSystems(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	users, err := s.store.ListUsers(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	return &scopeData{Scope: sc, Categories: vigil.Categories, Systems: systems, Users: users,
		Kinds: vigil.SystemKinds, Classes: vigil.DataClassifications, Environments: vigil.Environments}, nil
}

func (s *Server) scopePage(w http.ResponseWriter, r *http.Request) error {
	return s.renderScope(w, r, "scope", "Scope & systems", nil, nil, nil)
}

// renderScope renders the scope page or a system's page; with formErr it
// re-renders the posted form with the message by its field.
func (s *Server) renderScope(w http.ResponseWriter, r *http.Request, tmpl, title string, sys *vigil.System, formErr error, adjust func(*scopeData)) error {
	p := s.newPage(w, r, title, "scope")
	status := http.StatusOK
	if formErr != nil {
		p.Form = r.PostForm
		if ferr := formError(p, formErr); ferr != nil {
			return ferr
		}
		status = http.StatusBadRequest
	}
	d, err := s.scopeData(r)
	if err != nil {
		return err
	}
	d.System = sys
	if adjust != nil {
		adjust(d)
	}
	p.Data, p.ReadOnly = d, !p.Can("manage")
	return s.render(w, status, tmpl, p)
}

func (s *Server) scopePost(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	sc := &vigil.Scope{AuditType: vigil.AuditType(f.Get("audit_type"))}
	for _, c := range f["categories"] {
		sc.Categories = append(sc.Categories, vigil.Category(c))
	}
	switch sc.AuditType {
	case vigil.AuditType1:
		sc.AsOf = vigil.Date(f.Get("as_of"))
	case vigil.AuditType2:
		sc.WindowStart, sc.WindowEnd = vigil.Date(f.Get("window_start")), vigil.Date(f.Get("window_end"))
	}
	if err := s.store.UpdateScope(r.Context(), sc); err != nil {
		return s.renderScope(w, r, "scope", "Scope & systems", nil, err, func(d *scopeData) {
			// Show what the user chose, not what is stored.
			d.Scope.Categories, d.Scope.AuditType = sc.Categories, sc.AuditType
		})
	}
	s.flash(w, r, "Scope saved: "+sc.TargetString()+".")
	http.Redirect(w, r, "/scope", http.StatusSeeOther)
	return nil
}

func systemFromForm(f url.Values) (*vigil.System, error) {
	owner := int64(0)
	if v := f.Get("owner_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, vigil.FieldError("owner_id", "choose an owner from the list")
		}
		owner = n
	}
	return &vigil.System{Name: f.Get("name"), Kind: f.Get("kind"), OwnerID: owner, Classification: f.Get("classification"),
		Environment: f.Get("environment"), Description: f.Get("description")}, nil
}

func (s *Server) systemCreate(w http.ResponseWriter, r *http.Request) error {
	x, err := systemFromForm(r.PostForm)
	if err == nil {
		err = s.store.CreateSystem(r.Context(), x)
	}
	if err != nil {
		return s.renderScope(w, r, "scope", "Scope & systems", nil, err, nil)
	}
	s.flash(w, r, "Added system "+x.Name+".")
	http.Redirect(w, r, "/scope#systems", http.StatusSeeOther)
	return nil
}

func (s *Server) systemPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	x, err := s.store.System(r.Context(), id)
	if err != nil {
		return err
	}
	return s.renderScope(w, r, "system", "System "+x.Name, x, nil, nil)
}

func (s *Server) systemPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	x, err := systemFromForm(r.PostForm)
	if err == nil {
		f := r.PostForm
		desc := f.Get("description")
		_, err = s.store.UpdateSystem(r.Context(), id, vigil.SystemPatch{Name: &x.Name, Kind: &x.Kind, OwnerID: &x.OwnerID,
			Classification: &x.Classification, Environment: &x.Environment, Description: &desc})
	}
	if err != nil {
		cur, gerr := s.store.System(r.Context(), id)
		if gerr != nil {
			return gerr
		}
		return s.renderScope(w, r, "system", "System "+cur.Name, cur, err, nil)
	}
	s.flash(w, r, "Saved system "+x.Name+".")
	http.Redirect(w, r, "/scope#systems", http.StatusSeeOther)
	return nil
}

func (s *Server) systemDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if err := s.store.DeleteSystem(r.Context(), id); err != nil {
		return err
	}
	s.flash(w, r, "System removed.")
	http.Redirect(w, r, "/scope#systems", http.StatusSeeOther)
	return nil
}

type settingsData struct {
	Org       *vigil.Organization
	Auth      *vigil.AuthSettings
	Evidence  *vigil.EvidenceSettings
	Roles     []vigil.Role
	Callback  string
	HasSecret bool
}

func (s *Server) settingsData(r *http.Request) (*settingsData, error) {
	o, err := s.store.Organization(r.Context())
	if err != nil {
		return nil, err
	}
	a, err := s.store.AuthSettings(r.Context())
	if err != nil {
		return nil, err
	}
	e, err := s.store.EvidenceSettings(r.Context())
	if err != nil {
		return nil, err
	}
	return &settingsData{Org: o, Auth: a, Evidence: e, Roles: []vigil.Role{vigil.RoleMember, vigil.RoleAuditor, vigil.RoleViewer},
		Callback: s.baseURLFor(r) + "/auth/oidc/callback", HasSecret: a.OIDCClientSecret != ""}, nil
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "Settings", "settings")
	d, err := s.settingsData(r)
	if err != nil {
		return err
	}
	p.Data = d
	return s.render(w, http.StatusOK, "settings", p)
}

func (s *Server) settingsRerender(w http.ResponseWriter, r *http.Request, err error) error {
	p := s.newPage(w, r, "Settings", "settings")
	p.Form = r.PostForm
	if ferr := formError(p, err); ferr != nil {
		return ferr
	}
	d, derr := s.settingsData(r)
	if derr != nil {
		return derr
	}
	p.Data = d
	return s.render(w, http.StatusBadRequest, "settings", p)
}

func (s *Server) settingsOrgPost(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	o := &vigil.Organization{Name: f.Get("name"), LegalName: f.Get("legal_name"), Website: f.Get("website"), Description: f.Get("description")}
	if err := s.store.UpdateOrganization(r.Context(), o); err != nil {
		return s.settingsRerender(w, r, err)
	}
	s.flash(w, r, "Organization saved.")
	http.Redirect(w, r, "/settings", http.StatusSeeOther)
	return nil
}

// settingsEvidencePost changes the evidence rules; owners only, as the API.
func (s *Server) settingsEvidencePost(w http.ResponseWriter, r *http.Request) error {
	e := &vigil.EvidenceSettings{IndependentReview: r.PostFormValue("independent_review") == "1"}
	if err := s.store.UpdateEvidenceSettings(r.Context(), e); err != nil {
		return s.settingsRerender(w, r, err)
	}
	s.flash(w, r, "Evidence rules saved.")
	http.Redirect(w, r, "/settings", http.StatusSeeOther)
	return nil
}

func (s *Server) settingsAuthPost(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	a := &vigil.AuthSettings{RequireMFA: f.Get("require_mfa") == "1", OIDCEnabled: f.Get("oidc_enabled") == "1",
		OIDCIssuer: strings.TrimRight(strings.TrimSpace(f.Get("oidc_issuer")), "/"), OIDCClientID: strings.TrimSpace(f.Get("oidc_client_id")),
		OIDCDefaultRole: vigil.Role(f.Get("oidc_default_role")), OIDCTrustMFA: f.Get("oidc_trust_mfa") == "1", OIDCDomains: []string{}}
	for _, d := range splitCSV(f.Get("oidc_domains")) {
		a.OIDCDomains = append(a.OIDCDomains, strings.ToLower(d))
	}
	err := func() error {
		if err := a.Validate(); err != nil {
			return err
		}
		if sec := f.Get("oidc_client_secret"); sec != "" {
			sealed, err := s.box.Seal(sec, "oidc_client_secret")
			if err != nil {
				return err
			}
			a.OIDCClientSecret = sealed
		}
		if a.OIDCEnabled {
			// Discover now, so a wrong issuer is reported here rather than
			// at the next sign-in.
			if _, err := s.oidcProvider(r.Context(), a.OIDCIssuer); err != nil {
				return vigil.FieldError("oidc_issuer", "%s", vigil.ErrorMessage(err))
			}
		}
		return s.store.UpdateAuthSettings(r.Context(), a)
	}()
	if err != nil {
		return s.settingsRerender(w, r, err)
	}
	s.flash(w, r, "Sign-in settings saved.")
	http.Redirect(w, r, "/settings", http.StatusSeeOther)
	return nil
}

type usersData struct {
	Users []vigil.User
	Roles []vigil.Role
	User  *vigil.User
	Link  string
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "Users", "users")
	return s.renderUsers(w, r, p, http.StatusOK)
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, p *webPage, status int) error {
	users, err := s.store.ListUsers(r.Context(), 0, 0)
	if err != nil {
		return err
	}
	p.Data = &usersData{Users: users, Roles: vigil.Roles}
	return s.render(w, status, "users", p)
}

func (s *Server) userCreate(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	u := &vigil.User{Email: f.Get("email"), Name: f.Get("name"), Role: vigil.Role(f.Get("role"))}
	err := func() error {
		if err := u.Validate(); err != nil {
			return err
		}
		if err := vigil.ActorFrom(r.Context()).MayGrant(u.Role); err != nil {
			return err
		}
		return s.store.CreateUser(r.Context(), u, "")
	}()
	if err != nil {
		p := s.newPage(w, r, "Users", "users")
		p.Form = f
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
		return s.renderUsers(w, r, p, http.StatusBadRequest)
	}
	s.flash(w, r, fmt.Sprintf("Added %s. They sign in with single sign-on, or with a password set from a reset link (open their page to make one).", u.Email))
	http.Redirect(w, r, fmt.Sprintf("/users/%d", u.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) userPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	u, err := s.store.User(r.Context(), id)
	if err != nil {
		return err
	}
	p := s.newPage(w, r, u.Name, "users")
	p.Data = &usersData{User: u, Roles: vigil.Roles}
	return s.render(w, http.StatusOK, "user", p)
}

func (s *Server) userPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	f := r.PostForm
	name, role, disabled := f.Get("name"), vigil.Role(f.Get("role")), f.Get("disabled") == "1"
	u, err := s.store.UpdateUser(r.Context(), id, vigil.UserPatch{Name: &name, Role: &role, Disabled: &disabled}, vigil.ActorFrom(r.Context()).MayChangeUser)
	if err != nil {
		cur, gerr := s.store.User(r.Context(), id)
		if gerr != nil {
			return gerr
		}
		p := s.newPage(w, r, cur.Name, "users")
		p.Form = f
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
		p.Data = &usersData{User: cur, Roles: vigil.Roles}
		return s.render(w, http.StatusBadRequest, "user", p)
	}
	s.flash(w, r, "Saved "+u.Email+".")
	http.Redirect(w, r, fmt.Sprintf("/users/%d", id), http.StatusSeeOther)
	return nil
}

// userResetLink makes a one-time password link for a user and shows it to
// the admin, for installations without mail.
func (s *Server) userResetLink(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	u, err := s.store.User(r.Context(), id)
	if err != nil {
		return err
	}
	cred, err := s.store.CredentialsByID(r.Context(), u.ID)
	if err != nil {
		return err
	}
	if err := vigil.ActorFrom(r.Context()).MayMakeResetLink(u, cred.PasswordHash != ""); err != nil {
		return err
	}
	// Someone who never had a password is being invited: the link's page
	// says so, with who invited them, instead of "choose a new password".
	invite := cred.PasswordHash == ""
	var link string
	if invite {
		inviter := vigil.ActorFrom(r.Context()).Name
		if ws := sessionFrom(r.Context()); ws != nil && ws.user.Name != "" {
			inviter = ws.user.Name + " (" + ws.user.Email + ")"
		}
		link, err = newInviteLink(r.Context(), s.store, s.baseURLFor(r), u.ID, inviter)
	} else {
		link, err = NewResetLink(r.Context(), s.store, s.baseURLFor(r), u.ID)
	}
	if err != nil {
		return err
	}
	p := s.newPage(w, r, u.Name, "users")
	p.Data = &usersData{User: u, Roles: vigil.Roles, Link: link}
	p.Flash = "Give this link to " + u.Email + " by a channel you trust. It works once, for one hour."
	if invite {
		p.Flash = "Give this invitation link to " + u.Email + " by a channel you trust: it lets them choose their password. It works once, for one hour."
	}
	return s.render(w, http.StatusOK, "user", p)
}

// newInviteLink makes a one-time link, as a reset link is made, for a user
// without a password, recording who invited them.
func newInviteLink(ctx context.Context, st *store.Store, baseURL string, userID int64, invitedBy string) (string, error) {
	secret, hash, err := auth.NewSecret(auth.ResetPrefix)
	if err != nil {
		return "", err
	}
	if err := st.CreateInvitation(ctx, userID, hash, time.Now().Add(ResetTTL), invitedBy); err != nil {
		return "", err
	}
	return strings.TrimRight(baseURL, "/") + "/reset?token=" + url.QueryEscape(secret), nil
}

type tokensData struct {
	Tokens      []vigil.APIToken
	Roles       []vigil.Role
	Secret      string
	All         bool
	DefaultDays int // the CLI's default too: one number for both
}

func (s *Server) tokensPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "API tokens", "account")
	return s.renderTokens(w, r, p, "", http.StatusOK)
}

func (s *Server) renderTokens(w http.ResponseWriter, r *http.Request, p *webPage, secret string, status int) error {
	a := vigil.ActorFrom(r.Context())
	uid := a.UserID
	all := r.URL.Query().Get("all") == "1" && a.MayListAllTokens()
	if all {
		uid = 0
	}
	toks, err := s.store.ListTokens(r.Context(), uid)
	if err != nil {
		return err
	}
	p.Data = &tokensData{Tokens: toks, Roles: a.TokenRoles(), Secret: secret, All: all, DefaultDays: vigil.DefaultTokenDays}
	return s.render(w, status, "tokens", p)
}

func (s *Server) tokenCreate(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	a := vigil.ActorFrom(r.Context())
	p := s.newPage(w, r, "API tokens", "account")
	days, _ := strconv.Atoi(f.Get("expires_in_days"))
	role := vigil.Role(f.Get("role"))
	name, err := vigil.CheckTokenName(f.Get("name"))
	err = func() error {
		if err != nil {
			return err
		}
		if !a.MayIssueToken(role) {
			return vigil.FieldError("role", "choose a role no stronger than yours")
		}
		if !vigil.ValidTokenExpiry(days) {
			return vigil.FieldError("expires_in_days", "expiry must be from 0 (never) to 3650 days")
		}
		return nil
	}()
	if err != nil {
		p.Form = f
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
		return s.renderTokens(w, r, p, "", http.StatusBadRequest)
	}
	tr, err := s.issueToken(r.Context(), a.UserID, name, role, expiry(s.now(), days))
	if err != nil {
		return err
	}
	p.Flash = "Token created. Copy it now: it is shown only once."
	return s.renderTokens(w, r, p, tr.Secret, http.StatusCreated)
}

func (s *Server) tokenRevoke(w http.ResponseWriter, r *http.Request) error {
	tk, err := s.revoke(r)
	if err != nil {
		return err
	}
	s.flash(w, r, "Token "+tk.Name+" revoked.")
	http.Redirect(w, r, "/tokens", http.StatusSeeOther)
	return nil
}

type activityData struct {
	Items   []vigil.Activity
	Query   url.Values
	NextURL string
	Verify  *vigil.ChainVerification
}

func (s *Server) activityPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "Activity", "activity")
	q := r.URL.Query()
	d := &activityData{Query: q}
	res, err := s.queryActivity(r)
	if err != nil {
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
	}
	d.Items = res.Items
	if res.NextCursor != "" {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("cursor", res.NextCursor)
		d.NextURL = "/activity?" + nq.Encode()
	}
	if q.Get("verify") == "1" {
		if d.Verify, err = s.store.VerifyActivity(r.Context()); err != nil {
			return err
		}
	}
	p.Data = d
	return s.render(w, http.StatusOK, "activity", p)
}
