package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/auth"
)

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	return writeIDPage(w, r, s.store.ListUsers, func(u vigil.User) int64 { return u.ID })
}

// writeIDPage answers a list whose cursor is a numeric ID.
func writeIDPage[T any](w http.ResponseWriter, r *http.Request, list func(ctx context.Context, after int64, limit int) ([]T, error), id func(T) int64) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	after, err := intCursor(r)
	if err != nil {
		return err
	}
	items, err := list(r.Context(), after, limit+1)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(items, limit, func(x T) string { return strconv.FormatInt(id(x), 10) }))
	return nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var req api.UserRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	u := &vigil.User{Email: req.Email, Name: req.Name, Role: req.Role}
	if err := u.Validate(); err != nil {
		return err
	}
	if err := vigil.ActorFrom(r.Context()).MayGrant(u.Role); err != nil {
		return err
	}
	var hash string
	if req.Password != "" {
		if err := vigil.CheckPassword(req.Password); err != nil {
			return err
		}
		var err error
		if hash, err = s.hashPassword(r.Context(), req.Password); err != nil {
			return err
		}
	}
	if err := s.store.CreateUser(r.Context(), u, hash); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	u, err := s.store.User(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var p vigil.UserPatch
	if err := decode(r, &p); err != nil {
		return err
	}
	if p.Role != nil && !p.Role.Valid() {
		return vigil.FieldError("role", "unknown role %q (want one of owner, admin, member, auditor, viewer)", *p.Role)
	}
	u, err := s.store.UpdateUser(r.Context(), id, p, vigil.ActorFrom(r.Context()).MayChangeUser)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) issueToken(ctx context.Context, userID int64, name string, role vigil.Role, expires *time.Time) (*api.TokenResponse, error) {
	secret, hash, err := auth.NewSecret(auth.TokenPrefix)
	if err != nil {
		return nil, err
	}
	tk := &vigil.APIToken{UserID: userID, Name: name, Role: role, Prefix: auth.DisplayPrefix(secret), ExpiresAt: expires}
	if err := s.store.CreateToken(ctx, tk, hash); err != nil {
		return nil, err
	}
	return &api.TokenResponse{APIToken: *tk, Secret: secret}, nil
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var req api.TokenRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	a := vigil.ActorFrom(r.Context())
	var err error
	if req.Name, err = vigil.CheckTokenName(req.Name); err != nil {
		return err
	}
	if req.Role == "" {
		req.Role = a.Role
	}
	if !req.Role.Valid() {
		return vigil.FieldError("role", "unknown role %q (want one of owner, admin, member, auditor, viewer)", req.Role)
	}
	if !a.MayIssueToken(req.Role) {
		return &vigil.Error{Code: vigil.EFORBIDDEN, Field: "role", Message: "a token cannot have a stronger role (" + string(req.Role) + ") than the caller's (" + string(a.Role) + ")"}
	}
	if !vigil.ValidTokenExpiry(req.ExpiresInDays) {
		return vigil.FieldError("expires_in_days", "expires_in_days must be from 0 (never) to 3650")
	}
	tr, err := s.issueToken(r.Context(), a.UserID, req.Name, req.Role, expiry(s.now(), req.ExpiresInDays))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, tr)
	return nil
}

// expiry returns the expiry time days from now, nil for 0 (never).
func expiry(now time.Time, days int) *time.Time {
	if days <= 0 {
		return nil
	}
	t := now.UTC().AddDate(0, 0, days)
	return &t
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	a := vigil.ActorFrom(r.Context())
	uid := a.UserID
	if r.URL.Query().Get("all") == "true" {
		if !a.MayListAllTokens() {
			return vigil.Errorf(vigil.EFORBIDDEN, "only admins may list everyone's tokens")
		}
		uid = 0
	}
	items, err := s.store.ListTokens(r.Context(), uid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.Page[vigil.APIToken]{Items: items})
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.revoke(r); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// revoke revokes the token named in the path: the caller's own, or anyone's
// for those who manage users.
func (s *Server) revoke(r *http.Request) (*vigil.APIToken, error) {
	id, err := pathInt(r, "id")
	if err != nil {
		return nil, err
	}
	a := vigil.ActorFrom(r.Context())
	tk, err := s.store.Token(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if err := a.MayRevokeToken(tk, func() (*vigil.User, error) { return s.store.User(r.Context(), tk.UserID) }); err != nil {
		return nil, err
	}
	return tk, s.store.RevokeToken(r.Context(), id)
}

// queryActivity runs an activity query from URL parameters; the API and
// the web page share it.
func (s *Server) queryActivity(r *http.Request) (api.Page[vigil.Activity], error) {
	q := r.URL.Query()
	limit, err := limitParam(r)
	if err != nil {
		return api.Page[vigil.Activity]{}, err
	}
	before, err := intCursor(r)
	if err != nil {
		return api.Page[vigil.Activity]{}, err
	}
	actor, err := queryInt(r, "actor_id", 0)
	if err != nil {
		return api.Page[vigil.Activity]{}, err
	}
	items, err := s.store.ListActivity(r.Context(), vigil.ActivityFilter{ActorID: int64(actor), Action: q.Get("action"),
		EntityType: q.Get("entity_type"), EntityID: q.Get("entity_id"), Before: before, Limit: limit + 1})
	if err != nil {
		return api.Page[vigil.Activity]{}, err
	}
	return pageOf(items, limit, func(a vigil.Activity) string { return strconv.FormatInt(a.Seq, 10) }), nil
}

func (s *Server) listActivity(w http.ResponseWriter, r *http.Request) error {
	p, err := s.queryActivity(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) verifyActivity(w http.ResponseWriter, r *http.Request) error {
	res, err := s.store.VerifyActivity(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
