package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/auth"
)

// oidcCache keeps the discovered provider for the configured issuer.
type oidcCache struct {
	mu       sync.Mutex
	issuer   string
	provider *oidc.Provider
}

const ssoCookie = "vigil_sso"

var oidcHTTP = &http.Client{Timeout: 10 * time.Second}

func (s *Server) oidcProvider(ctx context.Context, issuer string) (*oidc.Provider, error) {
	s.oidc.mu.Lock()
	defer s.oidc.mu.Unlock()
	if s.oidc.provider != nil && s.oidc.issuer == issuer {
		return s.oidc.provider, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, oidcHTTP), issuer)
	if err != nil {
		return nil, &vigil.Error{Code: vigil.EUNAVAILABLE, Message: "single sign-on provider " + issuer + " cannot be reached or is not an OpenID provider", Err: err}
	}
	s.oidc.issuer, s.oidc.provider = issuer, p
	return p, nil
}

func (s *Server) oauthConfig(r *http.Request, a *vigil.AuthSettings, p *oidc.Provider) (*oauth2.Config, error) {
	secret := ""
	if a.OIDCClientSecret != "" {
		var err error
		if secret, err = s.box.Open(a.OIDCClientSecret, "oidc_client_secret"); err != nil {
			return nil, fmt.Errorf("open SSO client secret: %w", err)
		}
	}
	return &oauth2.Config{ClientID: a.OIDCClientID, ClientSecret: secret, Endpoint: p.Endpoint(),
		RedirectURL: s.baseURLFor(r) + "/auth/oidc/callback", Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}, nil
}

// ssoStart sends the browser to the provider with state, nonce and a PKCE
// challenge; the three are kept server-side, each good for one callback.
func (s *Server) ssoStart(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a, err := s.store.AuthSettings(ctx)
	if err != nil {
		return err
	}
	if !a.OIDCEnabled {
		return vigil.Errorf(vigil.ENOTFOUND, "single sign-on is not enabled")
	}
	ip, now := s.clientIP(r), s.now()
	if s.ssoLimit.blocked(ip, now) {
		return vigil.Errorf(vigil.ERATELIMITED, "too many sign-in attempts from your address; wait a few minutes")
	}
	s.ssoLimit.add(ip, now)
	p, err := s.oidcProvider(ctx, a.OIDCIssuer)
	if err != nil {
		return err
	}
	cfg, err := s.oauthConfig(r, a, p)
	if err != nil {
		return err
	}
	state, _, _ := auth.NewSecret("")
	nonce, _, _ := auth.NewSecret("")
	verifier := oauth2.GenerateVerifier()
	if err := s.store.CreateOIDCLogin(ctx, &vigil.OIDCLogin{State: state, Nonce: nonce, Verifier: verifier, Next: safeNext(r.URL.Query().Get("next"))}); err != nil {
		return err
	}
	// The state is also bound to this browser, so a callback link made by
	// someone else cannot sign this browser in as them.
	s.setCookie(w, r, ssoCookie, auth.HashSecret(state), 900)
	http.Redirect(w, r, cfg.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusSeeOther)
	return nil
}

type oidcClaims struct {
	Email         string   `json:"email"`
	EmailVerified *bool    `json:"email_verified"`
	Name          string   `json:"name"`
	AMR           []string `json:"amr"`
}

// ssoCallback finishes a sign-in: the state must be one we issued, the code
// is exchanged with the PKCE verifier, the ID token's signature, audience,
// expiry and nonce are checked, and the email must be verified and in an
// allowed domain. Unknown users get an account with the default role.
func (s *Server) ssoCallback(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	anon := vigil.WithActor(ctx, vigil.Actor{Name: "sso"})
	refuse := func(reason string) error {
		_ = s.store.LogEvent(anon, "auth.login_failed", "sso", truncate(q.Get("state"), 16), map[string]any{"reason": reason, "ip": s.clientIP(r)})
		return vigil.Errorf(vigil.EUNAUTHORIZED, "single sign-on failed: %s", reason)
	}
	bound, cerr := r.Cookie(ssoCookie)
	if cerr != nil || !tokenEqual(bound.Value, auth.HashSecret(q.Get("state"))) {
		return refuse("this sign-in was not started in this browser; start again")
	}
	s.setCookie(w, r, ssoCookie, "", -1)
	login, err := s.store.TakeOIDCLogin(ctx, q.Get("state"))
	if err != nil {
		return refuse(vigil.ErrorMessage(err))
	}
	if e := q.Get("error"); e != "" {
		return refuse("the provider answered " + truncate(e, 100))
	}
	a, err := s.store.AuthSettings(ctx)
	if err != nil {
		return err
	}
	if !a.OIDCEnabled {
		return refuse("single sign-on is not enabled")
	}
	p, err := s.oidcProvider(ctx, a.OIDCIssuer)
	if err != nil {
		return err
	}
	cfg, err := s.oauthConfig(r, a, p)
	if err != nil {
		return err
	}
	tok, err := cfg.Exchange(oidc.ClientContext(ctx, oidcHTTP), q.Get("code"), oauth2.VerifierOption(login.Verifier))
	if err != nil {
		s.log.Warn("sso code exchange failed", "err", err)
		return refuse("the provider did not accept the sign-in code")
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return refuse("the provider sent no ID token")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: a.OIDCClientID}).Verify(ctx, raw)
	if err != nil {
		s.log.Warn("sso id token rejected", "err", err)
		return refuse("the ID token is not valid")
	}
	if idt.Nonce != login.Nonce {
		return refuse("the ID token's nonce does not match")
	}
	var c oidcClaims
	if err := idt.Claims(&c); err != nil {
		return refuse("the ID token's claims cannot be read")
	}
	email := strings.ToLower(strings.TrimSpace(c.Email))
	if email == "" {
		return refuse("the provider did not share an email address")
	}
	// An unverified address (or one the provider does not vouch for) could
	// belong to anyone who typed it at the provider.
	if c.EmailVerified == nil || !*c.EmailVerified {
		return refuse("the provider does not say that " + email + " is verified")
	}
	if len(a.OIDCDomains) > 0 {
		_, domain, _ := strings.Cut(email, "@")
		if !slices.Contains(a.OIDCDomains, domain) {
			return refuse(email + " is not in an allowed domain")
		}
	}
	cred, err := s.store.CredentialsByEmail(ctx, email)
	var u *vigil.User
	switch {
	case vigil.ErrorCode(err) == vigil.ENOTFOUND:
		nu := &vigil.User{Email: email, Name: c.Name, Role: a.OIDCDefaultRole}
		if nu.Name == "" {
			nu.Name = email
		}
		if err := s.store.CreateUser(vigil.WithActor(ctx, vigil.Actor{Name: "sso"}), nu, ""); err != nil {
			return err
		}
		u = nu
		cred = &vigil.Credentials{User: *nu}
	case err != nil:
		return err
	default:
		u = &cred.User
	}
	if u.Disabled {
		return refuse(email + " is disabled")
	}
	// Bind the account to this identity at its first SSO sign-in; after
	// that, only the same issuer and subject may use it, so a recycled or
	// forged email at the provider is not enough.
	subject := idt.Issuer + " " + idt.Subject
	switch cred.OIDCSubject {
	case "":
		if err := s.store.BindOIDCSubject(vigil.WithActor(ctx, vigil.Actor{UserID: u.ID, Name: u.Email, Role: u.Role}), u.ID, subject); err != nil {
			if vigil.ErrorCode(err) == vigil.ECONFLICT {
				return refuse(email + " is bound to another identity at the provider")
			}
			return err
		}
	case subject:
	default:
		return refuse(email + " is bound to another identity at the provider")
	}
	state := vigil.SessionFull
	// Owners and admins always answer Vigil's own second factor: the
	// provider's word is not enough for the keys to the audit evidence.
	if !a.OIDCTrustMFA || u.Role == vigil.RoleOwner || u.Role == vigil.RoleAdmin {
		switch {
		case cred.TOTPEnabled:
			state = vigil.SessionMFA
		case a.MFARequired(u):
			state = vigil.SessionEnrol
		}
	}
	if err := s.startSession(w, r, u, state, "oidc", map[string]string{vigil.SessionFull: "auth.login", vigil.SessionMFA: "auth.sso_ok", vigil.SessionEnrol: "auth.login_mfa_enrolment_required"}[state]); err != nil {
		return err
	}
	to := safeNext(login.Next)
	switch state {
	case vigil.SessionMFA:
		to = "/login/mfa?next=" + url.QueryEscape(to)
	case vigil.SessionEnrol:
		to = "/account/mfa?next=" + url.QueryEscape(to)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
