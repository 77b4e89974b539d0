package api

import "github.com/vigil-soc/vigil"

// UserRequest adds a user (POST /api/v1/users).
type UserRequest struct {
	Email    string     `json:"email"`
	Name     string     `json:"name"`
	Role     vigil.Role `json:"role"`
	Password string     `json:"password"` // optional: without one the user needs a reset link or SSO
}

// TokenRequest asks for an API token for the caller (POST /api/v1/tokens).
type TokenRequest struct {
	Name          string     `json:"name"`
	Role          vigil.Role `json:"role"`            // default: the caller's role
	ExpiresInDays int        `json:"expires_in_days"` // 0: never
}

// TokenResponse is a new API token with its secret.
type TokenResponse struct {
	vigil.APIToken
	// Secret is the token itself. It is shown once and never stored.
	Secret string `json:"secret"`
}
