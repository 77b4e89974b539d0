package server

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/auth"
)

type accountData struct {
	MFAEnabled    bool
	MFARequired   bool
	RecoveryLeft  int
	Sessions      int
	Enrolment     *auth.Enrolment
	RecoveryCodes []string
	Next          string
}

func (s *Server) accountData(r *http.Request) (*accountData, error) {
	ctx := r.Context()
	ws := sessionFrom(ctx)
	cred, err := s.store.CredentialsByID(ctx, ws.user.ID)
	if err != nil {
		return nil, err
	}
	settings, err := s.store.AuthSettings(ctx)
	if err != nil {
		return nil, err
	}
	d := &accountData{MFAEnabled: cred.TOTPEnabled, MFARequired: settings.MFARequired(ws.user)}
	if d.RecoveryLeft, err = s.store.RecoveryCodesLeft(ctx, ws.user.ID); err != nil {
		return nil, err
	}
	if d.Sessions, err = s.store.CountSessions(ctx, ws.user.ID, s.now()); err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "Your account", "account")
	d, err := s.accountData(r)
	if err != nil {
		return err
	}
	p.Data = d
	return s.render(w, http.StatusOK, "account", p)
}

func (s *Server) accountPassword(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws := sessionFrom(ctx)
	p := s.newPage(w, r, "Your account", "account")
	d, err := s.accountData(r)
	if err != nil {
		return err
	}
	p.Data = d
	cred, err := s.store.CredentialsByID(ctx, ws.user.ID)
	if err != nil {
		return err
	}
	if cred.PasswordHash != "" {
		if ok, err := s.verifyPassword(ctx, r.PostFormValue("current"), cred.PasswordHash); err != nil {
			return err
		} else if !ok {
			p.Errors["current"] = "Your current password is not right."
			return s.render(w, http.StatusBadRequest, "account", p)
		}
	} else if !s.recentSignIn(ws) {
		// Without a password to check, only a fresh sign-in proves it is you.
		p.Errors["current"] = "Sign out and in again (within 15 minutes) to set a first password."
		return s.render(w, http.StatusBadRequest, "account", p)
	}
	pw := r.PostFormValue("password")
	if err := vigil.CheckPassword(pw); err != nil {
		p.Errors["password"] = vigil.ErrorMessage(err)
		return s.render(w, http.StatusBadRequest, "account", p)
	}
	if pw != r.PostFormValue("password2") {
		p.Errors["password2"] = "The two passwords differ."
		return s.render(w, http.StatusBadRequest, "account", p)
	}
	hash, err := s.hashPassword(ctx, pw)
	if err != nil {
		return err
	}
	if err := s.store.SetPassword(ctx, ws.user.ID, hash); err != nil {
		return err
	}
	if err := s.store.DeleteOtherSessions(ctx, ws.user.ID, ws.hash, "auth.other_sessions_ended"); err != nil {
		return err
	}
	s.flash(w, r, "Password changed; your other sessions were signed out.")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
}

// mfaEnrolPage shows a new secret as a QR code. The secret is stored sealed
// but not enabled until a code from it is confirmed.
func (s *Server) mfaEnrolPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws := sessionFrom(ctx)
	p := s.newPage(w, r, "Set up two-step verification", "account")
	d, err := s.accountData(r)
	if err != nil {
		return err
	}
	d.Next = safeNext(r.URL.Query().Get("next"))
	if d.MFAEnabled {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return nil
	}
	// A pending secret is shown again, so reloading the page never
	// invalidates a code the user has already scanned.
	cred, err := s.store.CredentialsByID(ctx, ws.user.ID)
	if err != nil {
		return err
	}
	var e *auth.Enrolment
	if cred.TOTPSecret != "" {
		if sec, err := s.box.Open(cred.TOTPSecret, totpContext(ws.user.ID)); err == nil {
			e, err = auth.NewTOTPFromSecret(sec, totpIssuer(p.OrgName), ws.user.Email)
			if err != nil {
				return err
			}
		}
	}
	if e == nil {
		if e, err = auth.NewTOTP(totpIssuer(p.OrgName), ws.user.Email); err != nil {
			return err
		}
		sealed, err := s.box.Seal(e.Secret, totpContext(ws.user.ID))
		if err != nil {
			return err
		}
		if err := s.store.SetTOTP(ctx, ws.user.ID, sealed); err != nil {
			return err
		}
	}
	d.Enrolment = e
	p.Data = d
	if ws.session.State == vigil.SessionEnrol {
		p.Flash = "Your role or your organization requires two-step verification. Set it up to continue."
		p.Minimal = true
	}
	return s.render(w, http.StatusOK, "mfa_enrol", p)
}

func (s *Server) mfaEnrolPost(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws := sessionFrom(ctx)
	p := s.newPage(w, r, "Set up two-step verification", "account")
	d, err := s.accountData(r)
	if err != nil {
		return err
	}
	d.Next = safeNext(r.PostFormValue("next"))
	cred, err := s.store.CredentialsByID(ctx, ws.user.ID)
	if err != nil {
		return err
	}
	if cred.TOTPEnabled || cred.TOTPSecret == "" {
		http.Redirect(w, r, "/account/mfa", http.StatusSeeOther)
		return nil
	}
	secret, err := s.box.Open(cred.TOTPSecret, totpContext(ws.user.ID))
	if err != nil {
		return fmt.Errorf("open TOTP secret: %w", err)
	}
	step, ok := auth.CheckTOTP(secret, r.PostFormValue("code"), s.now())
	if !ok {
		_ = s.store.LogEvent(ctx, "auth.mfa_enrol_failed", "user", fmt.Sprint(ws.user.ID), nil)
		// Show the same secret again so the user can retry.
		if d.Enrolment, err = auth.NewTOTPFromSecret(secret, totpIssuer(p.OrgName), ws.user.Email); err != nil {
			return err
		}
		p.Data = d
		p.Errors["code"] = "That code is not right. Enter the 6-digit code your app shows now."
		return s.render(w, http.StatusBadRequest, "mfa_enrol", p)
	}
	codes, hashes, err := auth.NewRecoveryCodes(10)
	if err != nil {
		return err
	}
	if err := s.store.EnableTOTP(ctx, ws.user.ID, step, hashes); err != nil {
		return err
	}
	if ws.session.State == vigil.SessionEnrol {
		csrf, err := s.promote(w, r, ws, vigil.SessionFull, "auth.login_mfa_enrolled")
		if err != nil {
			return err
		}
		p.CSRF = csrf
	}
	d.MFAEnabled, d.RecoveryCodes, d.RecoveryLeft = true, codes, len(codes)
	p.Data = d
	p.Flash = "Two-step verification is on. Save these recovery codes now: they are shown only once."
	return s.render(w, http.StatusOK, "mfa_codes", p)
}

// mfaDisable turns two-step verification off, or, for accounts that must
// have it, starts over with a new authenticator.
func (s *Server) mfaDisable(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws := sessionFrom(ctx)
	settings, err := s.store.AuthSettings(ctx)
	if err != nil {
		return err
	}
	cred, err := s.store.CredentialsByID(ctx, ws.user.ID)
	if err != nil {
		return err
	}
	if cred.PasswordHash != "" {
		if ok, err := s.verifyPassword(ctx, r.PostFormValue("current"), cred.PasswordHash); err != nil {
			return err
		} else if !ok {
			s.flash(w, r, "Two-step verification is unchanged: the password was not right.")
			http.Redirect(w, r, "/account", http.StatusSeeOther)
			return nil
		}
	} else if !s.recentSignIn(ws) {
		s.flash(w, r, "Two-step verification is unchanged: sign out and in again (within 15 minutes) first.")
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return nil
	}
	if err := s.store.DisableTOTP(ctx, ws.user.ID); err != nil {
		return err
	}
	if err := s.store.DeleteOtherSessions(ctx, ws.user.ID, ws.hash, "auth.other_sessions_ended"); err != nil {
		return err
	}
	if settings.MFARequired(ws.user) {
		if _, err := s.promote(w, r, ws, vigil.SessionEnrol, "auth.mfa_reset"); err != nil {
			return err
		}
		http.Redirect(w, r, "/account/mfa", http.StatusSeeOther)
		return nil
	}
	s.flash(w, r, "Two-step verification is off; your other sessions were signed out.")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
}

func totpIssuer(org string) string {
	if org == "" {
		return "Vigil"
	}
	return "Vigil (" + org + ")"
}

func (s *Server) logoutEverywhere(w http.ResponseWriter, r *http.Request) error {
	ws := sessionFrom(r.Context())
	n, err := s.store.DeleteUserSessions(r.Context(), ws.user.ID, "auth.logout_everywhere")
	if err != nil {
		return err
	}
	s.setCookie(w, r, sessionCookie, "", -1)
	s.flash(w, r, fmt.Sprintf("Signed out of %d session(s), this one included.", n))
	http.Redirect(w, r, "/login?next="+url.QueryEscape("/account"), http.StatusSeeOther)
	return nil
}
