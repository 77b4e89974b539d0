package server

import (
	"context"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/auth"
	"github.com/vigil-soc/vigil/store"
)

// Per-address limit on failed sign-ins (password or code).
const (
	addrMaxFailures = 20
	addrWindow      = 10 * time.Minute
)

type loginData struct {
	Next        string
	SSO         bool
	SMTP        bool
	SetupOpen   bool
	RecoverHint bool
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	if ws, _ := s.loadSession(r); ws != nil && ws.session.State == vigil.SessionFull {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	p := s.newPage(w, r, "Sign in", "")
	return s.renderLogin(w, r, p, http.StatusOK)
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, p *webPage, status int) error {
	a, err := s.store.AuthSettings(r.Context())
	if err != nil {
		return err
	}
	n, err := s.store.CountUsers(r.Context())
	if err != nil {
		return err
	}
	next := r.URL.Query().Get("next")
	if v := r.PostFormValue("next"); v != "" {
		next = v
	}
	p.Data = loginData{Next: safeNext(next), SSO: a.OIDCEnabled, SMTP: s.smtp.Addr != "", SetupOpen: n == 0}
	return s.render(w, status, "login", p)
}

// loginFailed is the one message for a wrong email or password: it must not
// tell which of the two was wrong.
const loginFailed = "The email or password is not right."

// Keys of the sign-in limits, kept in the database so they hold across
// replicas. The account lock is per address: failures from one address
// lock the account for that address only, so nobody can keep an owner out
// by failing on purpose from elsewhere; and it is keyed by the typed email
// whether or not an account has it, so a lock tells nobody which
// addresses have accounts.
func signinAddrKey(ip string) string        { return "signin-addr:" + ip }
func signinAcctKey(email, ip string) string { return "signin-acct:" + email + "|" + ip }
func resetAddrKey(ip string) string         { return "reset-addr:" + ip }

func (s *Server) loginPost(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := s.newPage(w, r, "Sign in", "")
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	p.Form.Set("email", email)
	ip, now := s.clientIP(r), s.now()
	anon := vigil.WithActor(ctx, vigil.Actor{Name: "anonymous"})
	// The attempt is recorded before the password is hashed: concurrent
	// guesses each take a slot, so no burst gets more checks than the
	// limits allow, however many arrive at once.
	grp, _, err := auth.NewSecret("")
	if err != nil {
		return err
	}
	acctKey := signinAcctKey(email, ip)
	res, refused, err := s.store.ReserveAttempt(ctx, grp, now, []vigil.AttemptLimit{
		{Key: signinAddrKey(ip), Max: addrMaxFailures, Window: addrWindow},
		{Key: acctKey, Max: vigil.MaxFailedLogins, Window: vigil.LockoutDuration},
	})
	if err != nil {
		return err
	}
	if refused != nil {
		if refused.Key == acctKey {
			_ = s.store.LogEvent(anon, "auth.login_refused", "address", ip, map[string]any{"email": loggedEmail(email), "reason": "locked for this address"})
			p.Error = fmt.Sprintf("Too many failed attempts for this account from your address: it is locked here until %s UTC. Reset the password if you forgot it.", refused.Until.UTC().Format("15:04"))
		} else {
			_ = s.store.LogEvent(anon, "auth.rate_limited", "address", ip, map[string]any{"email": loggedEmail(email)})
			p.Error = fmt.Sprintf("Too many failed attempts from your address. Try again after %s UTC.", refused.Until.UTC().Format("15:04"))
		}
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(refused.Until.Sub(now).Seconds()))))
		return s.renderLogin(w, r, p, http.StatusTooManyRequests)
	}
	cred, err := s.store.CredentialsByEmail(ctx, email)
	if err != nil && vigil.ErrorCode(err) != vigil.ENOTFOUND {
		return err
	}
	known := err == nil
	hash := ""
	if known {
		hash = cred.PasswordHash
	}
	// Unknown accounts and accounts without a password are checked
	// against a dummy hash: the same time, memory and answer as a wrong
	// password.
	ok, err := s.verifyPassword(ctx, r.PostFormValue("password"), hash)
	if vigil.ErrorCode(err) == vigil.ERATELIMITED {
		// Nothing was checked: the attempt does not count against anyone.
		_ = s.store.ForgiveAttempt(ctx, grp)
		w.Header().Set("Retry-After", "5")
		p.Error = "The server is busy. Try again in a moment."
		return s.renderLogin(w, r, p, http.StatusTooManyRequests)
	}
	if err != nil || !ok || hash == "" {
		reason := "wrong password"
		switch {
		case !known:
			reason = "unknown email"
		case hash == "":
			reason = "no password set"
		}
		if known {
			_ = s.store.LogEvent(vigil.WithActor(ctx, vigil.Actor{UserID: cred.User.ID, Name: email}), "auth.login_failed", "user", strconv.FormatInt(cred.User.ID, 10), map[string]any{"reason": reason, "ip": ip})
		} else {
			_ = s.store.LogEvent(anon, "auth.login_failed", "user", loggedEmail(email), map[string]any{"reason": reason, "ip": ip})
		}
		if res.Left == 0 && res.LeftKey == acctKey {
			_ = s.store.LogEvent(anon, "auth.lockout", "address", ip, map[string]any{"email": loggedEmail(email), "minutes": int(vigil.LockoutDuration.Minutes())})
			p.Error = fmt.Sprintf("Too many failed attempts: this account is locked for %d minutes from your address. Reset the password if you forgot it.", int(vigil.LockoutDuration.Minutes()))
			return s.renderLogin(w, r, p, http.StatusTooManyRequests)
		}
		p.Error = loginFailed
		return s.renderLogin(w, r, p, http.StatusUnauthorized)
	}
	// The right password: this attempt and the account's earlier failures
	// from this address are forgiven (wrong codes are counted apart).
	if err := s.store.ForgiveAttempt(ctx, grp); err != nil {
		return err
	}
	if err := s.store.ClearAttempts(ctx, acctKey); err != nil {
		return err
	}
	// Only someone who knows the password learns that wrong second-step
	// codes locked the account.
	if cred.LockedUntil != nil && now.Before(*cred.LockedUntil) {
		_ = s.store.LogEvent(vigil.WithActor(ctx, vigil.Actor{UserID: cred.User.ID, Name: email}), "auth.login_refused", "user", strconv.FormatInt(cred.User.ID, 10), map[string]any{"reason": "locked", "ip": ip})
		p.Error = fmt.Sprintf("This account is locked after too many wrong codes. Try again after %s UTC, or reset the password.", cred.LockedUntil.UTC().Format("15:04"))
		return s.renderLogin(w, r, p, http.StatusTooManyRequests)
	}
	if cred.User.Disabled {
		_ = s.store.LogEvent(vigil.WithActor(ctx, vigil.Actor{UserID: cred.User.ID, Name: email}), "auth.login_refused", "user", strconv.FormatInt(cred.User.ID, 10), map[string]any{"reason": "disabled", "ip": ip})
		p.Error = "This account is disabled. Ask an administrator."
		return s.renderLogin(w, r, p, http.StatusForbidden)
	}
	settings, err := s.store.AuthSettings(ctx)
	if err != nil {
		return err
	}
	state, action, to := vigil.SessionFull, "auth.login", safeNext(r.PostFormValue("next"))
	switch {
	case cred.TOTPEnabled:
		state, action, to = vigil.SessionMFA, "auth.password_ok", "/login/mfa?next="+url.QueryEscape(to)
	case settings.MFARequired(&cred.User):
		state, action, to = vigil.SessionEnrol, "auth.login_mfa_enrolment_required", "/account/mfa?next="+url.QueryEscape(to)
	}
	// Wrong codes are forgiven only by a complete sign-in: a right password
	// must not reset the count of wrong codes that follow it.
	if state != vigil.SessionMFA {
		if err := s.store.ResetLoginFailures(ctx, cred.User.ID); err != nil {
			return err
		}
	}
	if err := s.startSession(w, r, &cred.User, state, "password", action); err != nil {
		return err
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func (s *Server) mfaPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "Two-step verification", "")
	p.User = nil // no navigation until the second step is done
	p.Data = loginData{Next: safeNext(r.URL.Query().Get("next"))}
	return s.render(w, http.StatusOK, "mfa", p)
}

func (s *Server) mfaPost(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws := sessionFrom(ctx)
	p := s.newPage(w, r, "Two-step verification", "")
	p.User = nil
	next := safeNext(r.PostFormValue("next"))
	p.Data = loginData{Next: next}
	now := s.now()
	grp, refused, err := s.reserve(ctx, "mfa-addr:"+s.clientIP(r))
	if err != nil {
		return err
	}
	if refused != nil {
		p.Error = fmt.Sprintf("Too many failed attempts from your address. Try again after %s UTC.", refused.Until.UTC().Format("15:04"))
		return s.render(w, http.StatusTooManyRequests, "mfa", p)
	}
	cred, err := s.store.CredentialsByID(ctx, ws.user.ID)
	if err != nil {
		return err
	}
	if cred.LockedUntil != nil && now.Before(*cred.LockedUntil) {
		if _, err := s.store.DeleteUserSessions(ctx, cred.User.ID, "auth.login_refused"); err != nil {
			return err
		}
		s.setCookie(w, r, sessionCookie, "", -1)
		p.Error = "This account is locked after too many failed attempts. Try again later."
		return s.render(w, http.StatusTooManyRequests, "mfa", p)
	}
	code := strings.TrimSpace(r.PostFormValue("code"))
	ok, how := false, "totp"
	if len(strings.ReplaceAll(code, " ", "")) == 6 {
		secret, err := s.box.Open(cred.TOTPSecret, totpContext(cred.User.ID))
		if err != nil {
			return fmt.Errorf("open TOTP secret of user %d: %w", cred.User.ID, err)
		}
		if step, good := auth.CheckTOTP(secret, code, now); good {
			if ok, err = s.store.UseTOTPStep(ctx, cred.User.ID, step); err != nil {
				return err
			}
		}
	} else if code != "" {
		how = "recovery_code"
		if ok, err = s.store.UseRecoveryCode(ctx, cred.User.ID, auth.HashRecoveryCode(code)); err != nil {
			return err
		}
	}
	if !ok {
		locked, err := s.store.RecordLoginFailure(ctx, cred.User.ID, "wrong "+how)
		if err != nil {
			return err
		}
		if locked {
			// Every session at the code step goes, not just this one.
			if _, err := s.store.DeleteUserSessions(ctx, ws.user.ID, "auth.sessions_ended"); err != nil {
				return err
			}
			s.setCookie(w, r, sessionCookie, "", -1)
			p.Error = fmt.Sprintf("Too many failed attempts: this account is locked for %d minutes.", int(vigil.LockoutDuration.Minutes()))
			return s.render(w, http.StatusTooManyRequests, "mfa", p)
		}
		p.Errors["code"] = "That code is not right, or was already used. Enter the current code from your app, or a recovery code."
		return s.render(w, http.StatusUnauthorized, "mfa", p)
	}
	if err := s.store.ResetLoginFailures(ctx, cred.User.ID); err != nil {
		return err
	}
	if err := s.store.ForgiveAttempt(ctx, grp); err != nil {
		return err
	}
	if _, err := s.promote(w, r, ws, vigil.SessionFull, "auth.login_mfa_"+how); err != nil {
		return err
	}
	if how == "recovery_code" {
		left, _ := s.store.RecoveryCodesLeft(ctx, cred.User.ID)
		s.flash(w, r, fmt.Sprintf("Signed in with a recovery code; %d left. Set up your authenticator again if you lost it.", left))
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// loggedEmail is what the activity log keeps of a typed email: the address
// if it is one, never other text (a password typed in the wrong field).
func loggedEmail(s string) string {
	if a, err := mail.ParseAddress(s); err == nil && a.Address == s && len(s) <= 254 {
		return s
	}
	return "(not an email address)"
}

func totpContext(userID int64) string { return "totp:" + strconv.FormatInt(userID, 10) }

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	ws := sessionFrom(r.Context())
	if err := s.store.DeleteSession(r.Context(), ws.hash, ws.user.ID, "auth.logout"); err != nil {
		return err
	}
	s.setCookie(w, r, sessionCookie, "", -1)
	s.flash(w, r, "You have signed out.")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// ResetTTL is how long a password-reset link works.
const ResetTTL = time.Hour

// NewResetLink creates a one-time password-reset link for a user (the admin
// CLI prints it; the forgot-password page mails it).
func NewResetLink(ctx context.Context, st *store.Store, baseURL string, userID int64) (string, error) {
	secret, hash, err := auth.NewSecret(auth.ResetPrefix)
	if err != nil {
		return "", err
	}
	if err := st.CreatePasswordReset(ctx, userID, hash, time.Now().Add(ResetTTL)); err != nil {
		return "", err
	}
	return strings.TrimRight(baseURL, "/") + "/reset?token=" + url.QueryEscape(secret), nil
}

func (s *Server) forgotPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "Reset your password", "")
	p.Data = loginData{SMTP: s.smtp.Addr != ""}
	return s.render(w, http.StatusOK, "forgot", p)
}

func (s *Server) forgotPost(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := s.newPage(w, r, "Reset your password", "")
	p.Data = loginData{SMTP: s.smtp.Addr != ""}
	if s.smtp.Addr == "" {
		return s.render(w, http.StatusOK, "forgot", p)
	}
	// Each request costs and is never forgiven, so mail cannot be used as
	// a weapon.
	if _, refused, err := s.reserve(ctx, "forgot-addr:"+s.clientIP(r)); err != nil {
		return err
	} else if refused != nil {
		p.Error = fmt.Sprintf("Too many requests from your address. Try again after %s UTC.", refused.Until.UTC().Format("15:04"))
		return s.render(w, http.StatusTooManyRequests, "forgot", p)
	}
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	cred, err := s.store.CredentialsByEmail(ctx, email)
	if err == nil && !cred.User.Disabled {
		actx := vigil.WithActor(ctx, vigil.Actor{UserID: cred.User.ID, Name: cred.User.Email})
		link, err := NewResetLink(actx, s.store, s.baseURLFor(r), cred.User.ID)
		if err != nil {
			return err
		}
		body := "Someone (hopefully you) asked to reset your Vigil password.\r\n\r\nOpen this link within an hour to choose a new one:\r\n\r\n" + link + "\r\n\r\nIf it was not you, ignore this message; your password is unchanged.\r\n"
		// Sent in the background, so the answer takes as long for an
		// unknown address as for a known one.
		go func(to string) {
			if err := s.sendMail(context.Background(), to, "Reset your Vigil password", body); err != nil {
				s.log.Error("cannot send reset mail", "err", err)
			}
		}(cred.User.Email)
	} else if err != nil && vigil.ErrorCode(err) != vigil.ENOTFOUND {
		return err
	}
	// The same answer whether or not the address has an account.
	p.Flash = "If that address has an account, a reset link is on its way. It works for one hour."
	return s.render(w, http.StatusOK, "forgot", p)
}

func (s *Server) resetPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "Choose a new password", "")
	tok := r.URL.Query().Get("token")
	p.Form.Set("token", tok)
	uid, err := s.store.PasswordResetUser(r.Context(), auth.HashSecret(tok))
	if err != nil {
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
		return s.render(w, http.StatusUnauthorized, "reset", p)
	}
	if err := s.invitationView(r.Context(), p, tok, uid); err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "reset", p)
}

// invitation is what a live invitation link's page tells the person
// invited: where, by whom, as what.
type invitation struct {
	Organization, InvitedBy, Email, Name string
	Role                                 vigil.Role
}

// invitationView makes a live link's page an invitation when the link is
// one (it was made for someone who never had a password); a reset keeps
// "Choose a new password". Called only after the link was checked.
func (s *Server) invitationView(ctx context.Context, p *webPage, tok string, uid int64) error {
	by, ok, err := s.store.ResetInvitedBy(ctx, auth.HashSecret(tok))
	if err != nil || !ok {
		return err
	}
	u, err := s.store.User(ctx, uid)
	if err != nil {
		return err
	}
	inv := &invitation{InvitedBy: by, Email: u.Email, Name: u.Name, Role: u.Role}
	if o, err := s.store.Organization(ctx); err == nil {
		inv.Organization = o.Name
	}
	p.Title, p.Data = "Accept the invitation", inv
	return nil
}

func (s *Server) resetPost(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := s.newPage(w, r, "Choose a new password", "")
	tok := r.PostFormValue("token")
	p.Form.Set("token", tok)
	ip, now := s.clientIP(r), s.now()
	// Each try of a link counts for its address until it succeeds, so the
	// route cannot be used to make the server work for nothing.
	grp, _, err := auth.NewSecret("")
	if err != nil {
		return err
	}
	if _, refused, err := s.store.ReserveAttempt(ctx, grp, now, []vigil.AttemptLimit{{Key: resetAddrKey(ip), Max: addrMaxFailures, Window: addrWindow}}); err != nil {
		return err
	} else if refused != nil {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(refused.Until.Sub(now).Seconds()))))
		p.Error = fmt.Sprintf("Too many attempts from your address. Try again after %s UTC.", refused.Until.UTC().Format("15:04"))
		return s.render(w, http.StatusTooManyRequests, "reset", p)
	}
	// The link first: hashing a password costs 46 MiB, which nobody
	// without a live link may make the server spend.
	uid, err := s.store.PasswordResetUser(ctx, auth.HashSecret(tok))
	if err != nil {
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
		return s.render(w, http.StatusUnauthorized, "reset", p)
	}
	// A refused password shows the invitation again, not a reset form.
	if err := s.invitationView(ctx, p, tok, uid); err != nil {
		return err
	}
	_, invited := p.Data.(*invitation)
	pw, again := r.PostFormValue("password"), r.PostFormValue("password2")
	if err := vigil.CheckPassword(pw); err != nil {
		p.Errors["password"] = vigil.ErrorMessage(err)
		return s.render(w, http.StatusBadRequest, "reset", p)
	}
	if pw != again {
		p.Errors["password2"] = "The two passwords differ."
		return s.render(w, http.StatusBadRequest, "reset", p)
	}
	hash, err := s.hashPassword(ctx, pw)
	if err != nil {
		return err
	}
	if _, err := s.store.CompletePasswordReset(vigil.WithActor(ctx, vigil.Actor{Name: "password-reset"}), auth.HashSecret(tok), hash); err != nil {
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
		return s.render(w, http.StatusUnauthorized, "reset", p)
	}
	if err := s.store.ForgiveAttempt(ctx, grp); err != nil {
		return err
	}
	if invited {
		s.flash(w, r, "Welcome: your password is set. Sign in with it.")
	} else {
		s.flash(w, r, "Your password has been changed, and every session signed out. Sign in with the new password.")
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
