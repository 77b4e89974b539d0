package vigil

import (
	"net/mail"
	"strings"
	"time"
)

// User is a person who signs in to Vigil.
type User struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate normalizes and checks a user.
func (u *User) Validate() error {
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	u.Name = strings.TrimSpace(u.Name)
	if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email || len(u.Email) > 254 {
		return FieldError("email", "%q is not a valid email address", u.Email)
	}
	if u.Name == "" {
		return FieldError("name", "name is required")
	}
	if len(u.Name) > 200 {
		return FieldError("name", "name is longer than 200 characters")
	}
	if !u.Role.Valid() {
		return FieldError("role", "unknown role %q (want one of owner, admin, member, auditor, viewer)", u.Role)
	}
	return nil
}

// MinPasswordLength is the shortest password accepted (NIST SP 800-63B asks
// for at least 8; we ask for more since Vigil guards audit evidence).
const MinPasswordLength = 12

// CheckPassword enforces the password rules.
func CheckPassword(p string) error {
	switch {
	case len(p) < MinPasswordLength:
		return FieldError("password", "password must be at least %d characters", MinPasswordLength)
	case len(p) > 256:
		return FieldError("password", "password is longer than 256 characters")
	}
	return nil
}

// APIToken is a credential for the API, scoped to a role no stronger than its
// user's. Only a hash of the secret is kept.
type APIToken struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	Prefix     string     `json:"prefix"` // first characters, to recognise a token
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Active reports whether the token may be used at time now.
func (t *APIToken) Active(now time.Time) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
}

// UserPatch changes some of a user's fields; nil fields stay as they are.
type UserPatch struct {
	Name     *string `json:"name"`
	Role     *Role   `json:"role"`
	Disabled *bool   `json:"disabled"`
}

// Apply returns u changed by the patch.
func (p UserPatch) Apply(u *User) User {
	after := *u
	set(&after.Name, p.Name)
	set(&after.Role, p.Role)
	set(&after.Disabled, p.Disabled)
	return after
}

// LosesOwner reports whether a change of a user takes an active owner
// away (a demotion or a disabling). The last active owner must not be
// lost: an installation without one could never grant the role again.
func LosesOwner(before, after *User) bool {
	return before.Role == RoleOwner && !before.Disabled && (after.Role != RoleOwner || after.Disabled)
}
