package vigil

import (
	"net/url"
	"time"
)

// Credentials is what sign-in needs to know about a user.
type Credentials struct {
	User         User
	PasswordHash string
	TOTPSecret   string // sealed
	TOTPEnabled  bool
	TOTPLastStep int64
	FailedLogins int
	LockedUntil  *time.Time
	OIDCSubject  string // issuer and subject of the bound SSO identity
}

// Lockout policy: this many failures in a row lock the account for
// LockoutDuration.
const (
	MaxFailedLogins = 5
	LockoutDuration = 15 * time.Minute
)

// Session is a signed-in browser.
type Session struct {
	IDHash     string
	UserID     int64
	State      string // mfa (password checked, code due), enrol (must enrol MFA), full
	Method     string // password or oidc
	CSRF       string
	IP         string
	UserAgent  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end
}

// Session states.
const (
	SessionMFA   = "mfa"
	SessionEnrol = "enrol"
	SessionFull  = "full"
)

// AuthSettings are the organization's sign-in settings.
type AuthSettings struct {
	RequireMFA       bool     `json:"require_mfa"`
	OIDCEnabled      bool     `json:"oidc_enabled"`
	OIDCIssuer       string   `json:"oidc_issuer"`
	OIDCClientID     string   `json:"oidc_client_id"`
	OIDCClientSecret string   `json:"-"` // sealed; never shown or logged
	OIDCDefaultRole  Role     `json:"oidc_default_role"`
	OIDCDomains      []string `json:"oidc_domains"`
	OIDCTrustMFA     bool     `json:"oidc_trust_mfa"`
}

// MFARequired reports whether u must use a second factor: owners and admins
// always; others when the organization says so.
func (a *AuthSettings) MFARequired(u *User) bool {
	return u.Role == RoleOwner || u.Role == RoleAdmin || a.RequireMFA
}

// Validate checks the settings as an owner would save them: new single
// sign-on users get at most member, the issuer is an https URL (http only
// on the loopback, for tests), and single sign-on needs an issuer and a
// client id.
func (a *AuthSettings) Validate() error {
	switch a.OIDCDefaultRole {
	case RoleMember, RoleAuditor, RoleViewer:
	default:
		return FieldError("oidc_default_role", "new single sign-on users get member, auditor or viewer; grant more by hand")
	}
	if a.OIDCIssuer != "" {
		u, err := url.Parse(a.OIDCIssuer)
		if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname()))) {
			return FieldError("oidc_issuer", "the issuer must be an https:// URL")
		}
	}
	if a.OIDCEnabled && (a.OIDCIssuer == "" || a.OIDCClientID == "") {
		return FieldError("oidc_issuer", "single sign-on needs an issuer URL and a client id")
	}
	return nil
}

// isLoopbackHost reports whether h names this machine's loopback interface.
func isLoopbackHost(h string) bool { return h == "localhost" || h == "127.0.0.1" || h == "::1" }

// OIDCLogin is an in-flight single sign-on attempt.
type OIDCLogin struct {
	State, Nonce, Verifier, Next string
	CreatedAt                    time.Time
}

// AttemptLimit allows at most Max attempts under Key within Window.
type AttemptLimit struct {
	Key    string
	Max    int
	Window time.Duration
}

// AttemptRefused says which limit refused an attempt, and until when.
type AttemptRefused struct {
	Key   string
	Until time.Time
}

// AttemptReserved is an attempt recorded: Left is how many more attempts the
// tightest of its limits allows after this one, and LeftKey which that is.
type AttemptReserved struct {
	Left    int
	LeftKey string
}
