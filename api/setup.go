package api

import "github.com/vigil-soc/vigil"

// SetupStatus says whether first-run setup is pending.
type SetupStatus struct {
	SetupRequired bool `json:"setup_required"`
}

// SetupRequest completes first-run setup.
type SetupRequest struct {
	SetupToken   string             `json:"setup_token"`
	Organization vigil.Organization `json:"organization"`
	Email        string             `json:"email"`
	Name         string             `json:"name"`
	Password     string             `json:"password"`
}

// SetupResponse is the first owner and their first API token.
type SetupResponse struct {
	User  vigil.User    `json:"user"`
	Token TokenResponse `json:"token"`
}

// Me is the caller: user, effective role, token and permissions.
type Me struct {
	User        vigil.User         `json:"user"`
	Role        vigil.Role         `json:"role"` // effective role of this request
	TokenID     int64              `json:"token_id,omitempty"`
	Permissions []vigil.Permission `json:"permissions"`
}
