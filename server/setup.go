package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/auth"
	"github.com/vigil-soc/vigil/store"
)

func (s *Server) setupStatus(w http.ResponseWriter, r *http.Request) error {
	n, err := s.store.CountUsers(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.SetupStatus{SetupRequired: n == 0})
	return nil
}

// setup creates the organization and its first owner, and returns an owner
// API token so that the CLI can carry on at once.
func (s *Server) setup(w http.ResponseWriter, r *http.Request) error {
	var req api.SetupRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	secret, hash, err := auth.NewSecret(auth.TokenPrefix)
	if err != nil {
		return err
	}
	tk := &vigil.APIToken{Name: "setup", Role: vigil.RoleOwner, Prefix: auth.DisplayPrefix(secret)}
	u, err := s.doSetup(r.Context(), req, tk, hash)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, api.SetupResponse{User: *u, Token: api.TokenResponse{APIToken: *tk, Secret: secret}})
	return nil
}

// doSetup creates the organization and its owner, and the owner's API
// token when one is given, in one transaction.
func (s *Server) doSetup(ctx context.Context, req api.SetupRequest, tk *vigil.APIToken, tokenHash string) (*vigil.User, error) {
	// Answer "already done" before judging the token, so a finished
	// installation never invites guessing.
	if n, err := s.store.CountUsers(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		return nil, vigil.Errorf(vigil.ECONFLICT, "setup has already been completed")
	}
	if !strings.HasPrefix(req.SetupToken, auth.SetupPrefix) {
		return nil, &vigil.Error{Code: vigil.EUNAUTHORIZED, Field: "setup_token", Message: "setup token is not valid"}
	}
	// The token first: hashing a password costs 46 MiB, which nobody
	// without the token may make the server spend.
	if err := s.store.CheckSetupToken(ctx, auth.HashSecret(req.SetupToken)); err != nil {
		return nil, err
	}
	if err := req.Organization.Validate(); err != nil {
		if e, ok := err.(*vigil.Error); ok && e.Field != "" {
			e.Field = "organization." + e.Field
		}
		return nil, err
	}
	if err := vigil.CheckPassword(req.Password); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(ctx, req.Password)
	if err != nil {
		return nil, err
	}
	u, err := s.store.Setup(ctx, &store.SetupInput{
		SetupSecretHash: auth.HashSecret(req.SetupToken), Organization: req.Organization,
		Owner: vigil.User{Email: req.Email, Name: req.Name}, PasswordHash: hash, Token: tk, TokenHash: tokenHash,
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("setup complete", "user", u.Email)
	return u, nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	a := vigil.ActorFrom(r.Context())
	u, err := s.store.User(r.Context(), a.UserID)
	if err != nil {
		return err
	}
	perms := []vigil.Permission{}
	for _, p := range vigil.Permissions {
		if a.Role.Can(p) {
			perms = append(perms, p)
		}
	}
	writeJSON(w, http.StatusOK, api.Me{User: *u, Role: a.Role, TokenID: a.TokenID, Permissions: perms})
	return nil
}
