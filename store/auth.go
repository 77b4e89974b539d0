package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
)

// LogEvent appends an activity entry that records an event rather than a
// change of state: a sign-in, a failed attempt, a lockout.
func (s *Store) LogEvent(ctx context.Context, action, entityType, entityID string, detail any) error {
	return s.write(ctx, func(t *wtx) error { return t.log(ctx, action, entityType, entityID, nil, detail) })
}

// CredentialsByEmail returns a user's credentials.
func (s *Store) CredentialsByEmail(ctx context.Context, email string) (*vigil.Credentials, error) {
	return s.credentials(ctx, "u.email = ?", strings.ToLower(strings.TrimSpace(email)))
}

// CredentialsByID returns a user's credentials.
func (s *Store) CredentialsByID(ctx context.Context, id int64) (*vigil.Credentials, error) {
	return s.credentials(ctx, "u.id = ?", id)
}

func (s *Store) credentials(ctx context.Context, where string, arg any) (*vigil.Credentials, error) {
	var c vigil.Credentials
	var cr, up, lu dbTime
	u := &c.User
	err := s.queryRow(ctx, `SELECT u.id, u.email, u.name, u.role, u.disabled, u.created_at, u.updated_at,
		u.password_hash, u.totp_secret, u.totp_enabled, u.totp_last_step, u.failed_logins, u.locked_until, u.oidc_subject
		FROM users u WHERE `+where, arg).Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.Disabled, &cr, &up,
		&c.PasswordHash, &c.TOTPSecret, &c.TOTPEnabled, &c.TOTPLastStep, &c.FailedLogins, &lu, &c.OIDCSubject)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("user", arg)
	}
	if err != nil {
		return nil, internal("read credentials", err)
	}
	u.CreatedAt, u.UpdatedAt, c.LockedUntil = cr.T, up.T, lu.ptr()
	return &c, nil
}

// RecordLoginFailure counts a failed sign-in and locks the account once the
// limit is reached, in one transaction with its activity entries. It
// reports whether this failure locked the account.
func (s *Store) RecordLoginFailure(ctx context.Context, userID int64, reason string) (locked bool, err error) {
	err = s.write(ctx, func(t *wtx) error {
		var n int
		if err := t.queryRow(ctx, "SELECT failed_logins FROM users WHERE id = ?"+t.d.forUpdate, userID).Scan(&n); err != nil {
			return internal("read failed logins", err)
		}
		n++
		var until any
		if n >= vigil.MaxFailedLogins {
			locked = true
			until = t.d.ts(t.now.Add(vigil.LockoutDuration))
			n = 0
		}
		if _, err := t.exec(ctx, "UPDATE users SET failed_logins = ?, locked_until = COALESCE(?, locked_until) WHERE id = ?", n, until, userID); err != nil {
			return internal("record failed login", err)
		}
		id := strconv.FormatInt(userID, 10)
		if err := t.log(ctx, "auth.login_failed", "user", id, nil, map[string]any{"reason": reason}); err != nil {
			return err
		}
		if locked {
			return t.log(ctx, "auth.lockout", "user", id, nil, map[string]any{"minutes": int(vigil.LockoutDuration.Minutes())})
		}
		return nil
	})
	return locked, err
}

// ResetLoginFailures clears the failure count after a good password.
func (s *Store) ResetLoginFailures(ctx context.Context, userID int64) error {
	_, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?"), userID)
	return internal2("reset failed logins", err)
}

// CreateSession stores a session and logs the sign-in step.
func (s *Store) CreateSession(ctx context.Context, se *vigil.Session, action string) error {
	return s.write(ctx, func(t *wtx) error {
		if _, err := t.exec(ctx, `INSERT INTO sessions (id_hash, user_id, state, method, csrf, ip, user_agent, created_at, last_seen_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, se.IDHash, se.UserID, se.State, se.Method, se.CSRF, se.IP, se.UserAgent,
			t.d.ts(t.now), t.d.ts(t.now), t.d.ts(se.ExpiresAt)); err != nil {
			return internal("create session", err)
		}
		se.CreatedAt, se.LastSeenAt = t.now, t.now
		if se.State == vigil.SessionFull {
			if _, err := t.exec(ctx, "UPDATE users SET last_login_at = ? WHERE id = ?", t.d.ts(t.now), se.UserID); err != nil {
				return internal("record login", err)
			}
		}
		return t.log(ctx, action, "user", strconv.FormatInt(se.UserID, 10), nil, map[string]any{"method": se.Method, "state": se.State, "ip": se.IP})
	})
}

// SessionByHash returns a session.
func (s *Store) SessionByHash(ctx context.Context, idHash string) (*vigil.Session, error) {
	var se vigil.Session
	var c, l, e dbTime
	err := s.queryRow(ctx, "SELECT id_hash, user_id, state, method, csrf, ip, user_agent, created_at, last_seen_at, expires_at FROM sessions WHERE id_hash = ?", idHash).
		Scan(&se.IDHash, &se.UserID, &se.State, &se.Method, &se.CSRF, &se.IP, &se.UserAgent, &c, &l, &e)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.Errorf(vigil.EUNAUTHORIZED, "session expired or signed out")
	}
	if err != nil {
		return nil, internal("read session", err)
	}
	se.CreatedAt, se.LastSeenAt, se.ExpiresAt = c.T, l.T, e.T
	return &se, nil
}

// TouchSession moves the idle deadline.
func (s *Store) TouchSession(ctx context.Context, idHash string, at time.Time) error {
	_, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?"), s.d.ts(at), idHash)
	return internal2("touch session", err)
}

// DeleteSession ends one session; action (if not empty) is logged.
func (s *Store) DeleteSession(ctx context.Context, idHash string, userID int64, action string) error {
	return s.write(ctx, func(t *wtx) error {
		if _, err := t.exec(ctx, "DELETE FROM sessions WHERE id_hash = ?", idHash); err != nil {
			return internal("delete session", err)
		}
		if action == "" {
			return nil
		}
		return t.log(ctx, action, "user", strconv.FormatInt(userID, 10), nil, nil)
	})
}

// DeleteOtherSessions ends every session of a user but one (after a
// password change or MFA removal) and logs action.
func (s *Store) DeleteOtherSessions(ctx context.Context, userID int64, keepHash, action string) error {
	return s.write(ctx, func(t *wtx) error {
		if _, err := t.exec(ctx, "DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?", userID, keepHash); err != nil {
			return internal("delete sessions", err)
		}
		return t.log(ctx, action, "user", strconv.FormatInt(userID, 10), nil, nil)
	})
}

// DeleteUserSessions ends every session of a user (sign out everywhere, a
// password reset, a disabled account) and logs action.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64, action string) (int64, error) {
	var n int64
	err := s.write(ctx, func(t *wtx) error {
		res, err := t.exec(ctx, "DELETE FROM sessions WHERE user_id = ?", userID)
		if err != nil {
			return internal("delete sessions", err)
		}
		n, _ = res.RowsAffected()
		return t.log(ctx, action, "user", strconv.FormatInt(userID, 10), nil, map[string]any{"sessions": n})
	})
	return n, err
}

// CountSessions returns a user's live sessions.
func (s *Store) CountSessions(ctx context.Context, userID int64, now time.Time) (int, error) {
	var n int
	err := s.queryRow(ctx, "SELECT count(*) FROM sessions WHERE user_id = ? AND expires_at > ?", userID, s.d.ts(now)).Scan(&n)
	return n, internal2("count sessions", err)
}

// SetTOTP stores a sealed TOTP secret (not yet enabled) for enrolment.
func (s *Store) SetTOTP(ctx context.Context, userID int64, sealed string) error {
	_, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE users SET totp_secret = ?, totp_enabled = ?, totp_last_step = 0 WHERE id = ?"), sealed, false, userID)
	return internal2("set totp", err)
}

// EnableTOTP turns MFA on with its recovery code hashes, in one transaction.
func (s *Store) EnableTOTP(ctx context.Context, userID, step int64, codeHashes []string) error {
	return s.write(ctx, func(t *wtx) error {
		if _, err := t.exec(ctx, "UPDATE users SET totp_enabled = ?, totp_last_step = ? WHERE id = ?", true, step, userID); err != nil {
			return internal("enable totp", err)
		}
		if _, err := t.exec(ctx, "DELETE FROM recovery_codes WHERE user_id = ?", userID); err != nil {
			return internal("replace recovery codes", err)
		}
		for _, h := range codeHashes {
			if _, err := t.exec(ctx, "INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)", userID, h); err != nil {
				return internal("store recovery code", err)
			}
		}
		return t.log(ctx, "auth.mfa_enrolled", "user", strconv.FormatInt(userID, 10), nil, map[string]any{"recovery_codes": len(codeHashes)})
	})
}

// DisableTOTP turns MFA off and drops the recovery codes.
func (s *Store) DisableTOTP(ctx context.Context, userID int64) error {
	return s.write(ctx, func(t *wtx) error {
		if _, err := t.exec(ctx, "UPDATE users SET totp_enabled = ?, totp_secret = '', totp_last_step = 0 WHERE id = ?", false, userID); err != nil {
			return internal("disable totp", err)
		}
		if _, err := t.exec(ctx, "DELETE FROM recovery_codes WHERE user_id = ?", userID); err != nil {
			return internal("drop recovery codes", err)
		}
		return t.log(ctx, "auth.mfa_removed", "user", strconv.FormatInt(userID, 10), nil, nil)
	})
}

// UseTOTPStep records the time step of an accepted code; it fails (false)
// when that step or a later one was already used, which stops replay.
func (s *Store) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?"), step, userID, step)
	if err != nil {
		return false, internal("use totp step", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// UseRecoveryCode consumes a recovery code; false if unknown or used.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, codeHash string) (bool, error) {
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL"), s.d.ts(now()), userID, codeHash)
	if err != nil {
		return false, internal("use recovery code", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RecoveryCodesLeft counts unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.queryRow(ctx, "SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL", userID).Scan(&n)
	return n, internal2("count recovery codes", err)
}

// PromoteSession moves a session to a new state under a new ID: the ID
// changes whenever the session gains privilege, so a fixed or stolen
// pre-MFA ID is worth nothing afterwards.
func (s *Store) PromoteSession(ctx context.Context, oldHash, newHash, newCSRF, state, action string) error {
	return s.write(ctx, func(t *wtx) error {
		var uid int64
		if err := t.queryRow(ctx, "SELECT user_id FROM sessions WHERE id_hash = ?", oldHash).Scan(&uid); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return vigil.Errorf(vigil.EUNAUTHORIZED, "session expired or signed out")
			}
			return internal("read session", err)
		}
		if _, err := t.exec(ctx, "UPDATE sessions SET id_hash = ?, csrf = ?, state = ?, last_seen_at = ? WHERE id_hash = ?", newHash, newCSRF, state, t.d.ts(t.now), oldHash); err != nil {
			return internal("promote session", err)
		}
		if state == vigil.SessionFull {
			if _, err := t.exec(ctx, "UPDATE users SET last_login_at = ? WHERE id = ?", t.d.ts(t.now), uid); err != nil {
				return internal("record login", err)
			}
		}
		return t.log(ctx, action, "user", strconv.FormatInt(uid, 10), nil, map[string]any{"state": state})
	})
}

// CreatePasswordReset stores a reset token's hash, replacing the user's
// earlier unused ones.
func (s *Store) CreatePasswordReset(ctx context.Context, userID int64, tokenHash string, expires time.Time) error {
	return s.write(ctx, func(t *wtx) error {
		if _, err := t.exec(ctx, "DELETE FROM password_resets WHERE user_id = ? AND used_at IS NULL", userID); err != nil {
			return internal("replace reset", err)
		}
		if _, err := t.exec(ctx, "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)", tokenHash, userID, t.d.ts(t.now), t.d.ts(expires)); err != nil {
			return internal("create reset", err)
		}
		return t.log(ctx, "auth.password_reset_requested", "user", strconv.FormatInt(userID, 10), nil, nil)
	})
}

// CreateInvitation stores a one-time link for someone who has no password
// yet, naming who invited them; like a reset, it replaces their earlier
// unused links. It is logged as an invitation.
func (s *Store) CreateInvitation(ctx context.Context, userID int64, tokenHash string, expires time.Time, invitedBy string) error {
	return s.write(ctx, func(t *wtx) error {
		if _, err := t.exec(ctx, "DELETE FROM password_resets WHERE user_id = ? AND used_at IS NULL", userID); err != nil {
			return internal("replace invitation", err)
		}
		if _, err := t.exec(ctx, "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at, invited_by) VALUES (?, ?, ?, ?, ?)",
			tokenHash, userID, t.d.ts(t.now), t.d.ts(expires), invitedBy); err != nil {
			return internal("create invitation", err)
		}
		return t.log(ctx, "auth.invitation_created", "user", strconv.FormatInt(userID, 10), nil, map[string]any{"invited_by": invitedBy})
	})
}

// ResetInvitedBy says whether a reset token is an invitation, and who made
// it. It judges nothing: PasswordResetUser checks the link first.
func (s *Store) ResetInvitedBy(ctx context.Context, tokenHash string) (invitedBy string, invitation bool, err error) {
	var by sql.NullString
	err = s.queryRow(ctx, "SELECT invited_by FROM password_resets WHERE token_hash = ?", tokenHash).Scan(&by)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", false, internal("read invitation", err)
	}
	return by.String, by.Valid, nil
}

// PasswordResetUser returns the user a live reset token belongs to.
func (s *Store) PasswordResetUser(ctx context.Context, tokenHash string) (int64, error) {
	var uid int64
	var exp, used dbTime
	err := s.queryRow(ctx, "SELECT user_id, expires_at, used_at FROM password_resets WHERE token_hash = ?", tokenHash).Scan(&uid, &exp, &used)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, vigil.Errorf(vigil.EUNAUTHORIZED, "this reset link is not valid")
	case err != nil:
		return 0, internal("read reset", err)
	case used.Valid:
		return 0, vigil.Errorf(vigil.EUNAUTHORIZED, "this reset link has already been used")
	case !now().Before(exp.T):
		return 0, vigil.Errorf(vigil.EUNAUTHORIZED, "this reset link has expired; ask for a new one")
	}
	return uid, nil
}

// CompletePasswordReset sets the new password, consumes the token, clears
// any lockout and ends every session, in one transaction.
func (s *Store) CompletePasswordReset(ctx context.Context, tokenHash, passwordHash string) (int64, error) {
	var uid int64
	err := s.write(ctx, func(t *wtx) error {
		var exp, used dbTime
		var invitedBy sql.NullString
		err := t.queryRow(ctx, "SELECT user_id, expires_at, used_at, invited_by FROM password_resets WHERE token_hash = ?"+t.d.forUpdate, tokenHash).Scan(&uid, &exp, &used, &invitedBy)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return vigil.Errorf(vigil.EUNAUTHORIZED, "this reset link is not valid")
		case err != nil:
			return internal("read reset", err)
		case used.Valid:
			return vigil.Errorf(vigil.EUNAUTHORIZED, "this reset link has already been used")
		case !t.now.Before(exp.T):
			return vigil.Errorf(vigil.EUNAUTHORIZED, "this reset link has expired; ask for a new one")
		}
		if _, err := t.exec(ctx, "UPDATE password_resets SET used_at = ? WHERE token_hash = ?", t.d.ts(t.now), tokenHash); err != nil {
			return internal("use reset", err)
		}
		if _, err := t.exec(ctx, "UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL, updated_at = ? WHERE id = ?", passwordHash, t.d.ts(t.now), uid); err != nil {
			return internal("set password", err)
		}
		if _, err := t.exec(ctx, "DELETE FROM sessions WHERE user_id = ?", uid); err != nil {
			return internal("end sessions", err)
		}
		t.actor = vigil.Actor{UserID: uid, Name: t.actor.Name}
		if invitedBy.Valid {
			// The first password of someone invited: the invitation was
			// accepted, which the log says as such.
			return t.log(ctx, "auth.invitation_accepted", "user", strconv.FormatInt(uid, 10), nil, map[string]any{"invited_by": invitedBy.String})
		}
		return t.log(ctx, "auth.password_reset", "user", strconv.FormatInt(uid, 10), nil, nil)
	})
	return uid, err
}

// vigil.AuthSettings returns the sign-in settings.
func (s *Store) AuthSettings(ctx context.Context) (*vigil.AuthSettings, error) {
	var a vigil.AuthSettings
	var domains string
	err := s.queryRow(ctx, "SELECT require_mfa, oidc_enabled, oidc_issuer, oidc_client_id, oidc_client_secret, oidc_default_role, oidc_domains, oidc_trust_mfa FROM organization WHERE id = 1").
		Scan(&a.RequireMFA, &a.OIDCEnabled, &a.OIDCIssuer, &a.OIDCClientID, &a.OIDCClientSecret, &a.OIDCDefaultRole, &domains, &a.OIDCTrustMFA)
	if errors.Is(err, sql.ErrNoRows) {
		return &vigil.AuthSettings{OIDCDefaultRole: vigil.RoleViewer}, nil // before setup
	}
	if err != nil {
		return nil, internal("read auth settings", err)
	}
	a.OIDCDomains = []string{}
	for _, d := range strings.Split(domains, ",") {
		if d != "" {
			a.OIDCDomains = append(a.OIDCDomains, d)
		}
	}
	return &a, nil
}

// UpdateAuthSettings replaces the sign-in settings. An empty sealed secret
// keeps the stored one.
func (s *Store) UpdateAuthSettings(ctx context.Context, a *vigil.AuthSettings) error {
	return s.write(ctx, func(t *wtx) error {
		before, err := s.AuthSettings(ctx)
		if err != nil {
			return err
		}
		q := "UPDATE organization SET require_mfa = ?, oidc_enabled = ?, oidc_issuer = ?, oidc_client_id = ?, oidc_default_role = ?, oidc_domains = ?, oidc_trust_mfa = ?"
		args := []any{a.RequireMFA, a.OIDCEnabled, a.OIDCIssuer, a.OIDCClientID, a.OIDCDefaultRole, strings.Join(a.OIDCDomains, ","), a.OIDCTrustMFA}
		if a.OIDCClientSecret != "" {
			q += ", oidc_client_secret = ?"
			args = append(args, a.OIDCClientSecret)
		}
		if _, err := t.exec(ctx, q+" WHERE id = 1", args...); err != nil {
			return internal("update auth settings", err)
		}
		return t.log(ctx, "settings.auth_update", "organization", "1", before, a)
	})
}

// ResealSecrets replaces every sealed user and organization secret (TOTP
// seeds, the SSO client secret) in one transaction, for key rotation.
func (s *Store) ResealSecrets(ctx context.Context, reseal func(sealed, context string) (string, error)) (int, error) {
	n := 0
	err := s.write(ctx, func(t *wtx) error {
		rows, err := t.query(ctx, "SELECT id, totp_secret FROM users WHERE totp_secret <> ''")
		if err != nil {
			return internal("read secrets", err)
		}
		type us struct {
			id     int64
			sealed string
		}
		var all []us
		for rows.Next() {
			var x us
			if err := rows.Scan(&x.id, &x.sealed); err != nil {
				rows.Close()
				return internal("scan secret", err)
			}
			all = append(all, x)
		}
		rows.Close()
		for _, x := range all {
			v, err := reseal(x.sealed, "totp:"+strconv.FormatInt(x.id, 10))
			if err != nil {
				return fmt.Errorf("TOTP secret of user %d: %w", x.id, err)
			}
			if _, err := t.exec(ctx, "UPDATE users SET totp_secret = ? WHERE id = ?", v, x.id); err != nil {
				return internal("reseal secret", err)
			}
			n++
		}
		var oidc string
		if err := t.queryRow(ctx, "SELECT oidc_client_secret FROM organization WHERE id = 1").Scan(&oidc); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return internal("read sso secret", err)
		}
		if oidc != "" {
			v, err := reseal(oidc, "oidc_client_secret")
			if err != nil {
				return fmt.Errorf("SSO client secret: %w", err)
			}
			if _, err := t.exec(ctx, "UPDATE organization SET oidc_client_secret = ? WHERE id = 1", v); err != nil {
				return internal("reseal sso secret", err)
			}
			n++
		}
		// Integration credentials, bound to their integration's ID.
		irows, err := t.query(ctx, "SELECT id, secret FROM integrations WHERE secret <> ''")
		if err != nil {
			return internal("read integration secrets", err)
		}
		var ints []us
		for irows.Next() {
			var x us
			if err := irows.Scan(&x.id, &x.sealed); err != nil {
				irows.Close()
				return internal("scan integration secret", err)
			}
			ints = append(ints, x)
		}
		irows.Close()
		for _, x := range ints {
			v, err := reseal(x.sealed, "integration:"+strconv.FormatInt(x.id, 10))
			if err != nil {
				return fmt.Errorf("credential of integration %d: %w", x.id, err)
			}
			if _, err := t.exec(ctx, "UPDATE integrations SET secret = ? WHERE id = ?", v, x.id); err != nil {
				return internal("reseal integration secret", err)
			}
			n++
		}
		return t.log(ctx, "secrets.resealed", "organization", "1", nil, map[string]any{"secrets": n})
	})
	return n, err
}

// BindOIDCSubject binds an account to a single sign-on identity on its
// first SSO sign-in; later sign-ins must present the same identity.
func (s *Store) BindOIDCSubject(ctx context.Context, userID int64, subject string) error {
	return s.write(ctx, func(t *wtx) error {
		res, err := t.exec(ctx, "UPDATE users SET oidc_subject = ? WHERE id = ? AND oidc_subject = ''", subject, userID)
		if err != nil {
			return internal("bind sso identity", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return vigil.Errorf(vigil.ECONFLICT, "account is already bound to another identity")
		}
		return t.log(ctx, "auth.sso_bound", "user", strconv.FormatInt(userID, 10), nil, map[string]any{"subject": subject})
	})
}

// CreateOIDCLogin stores an attempt and drops attempts older than an hour.
func (s *Store) CreateOIDCLogin(ctx context.Context, l *vigil.OIDCLogin) error {
	_, err := s.w.ExecContext(ctx, s.d.rebind("DELETE FROM oidc_logins WHERE created_at < ?"), s.d.ts(now().Add(-time.Hour)))
	if err != nil {
		return internal("expire sso logins", err)
	}
	_, err = s.w.ExecContext(ctx, s.d.rebind("INSERT INTO oidc_logins (state, nonce, verifier, next_path, created_at) VALUES (?, ?, ?, ?, ?)"),
		l.State, l.Nonce, l.Verifier, l.Next, s.d.ts(now()))
	return internal2("create sso login", err)
}

// TakeOIDCLogin returns and deletes an attempt: each state is good once.
func (s *Store) TakeOIDCLogin(ctx context.Context, state string) (*vigil.OIDCLogin, error) {
	var l vigil.OIDCLogin
	err := s.write(ctx, func(t *wtx) error {
		var c dbTime
		err := t.queryRow(ctx, "SELECT state, nonce, verifier, next_path, created_at FROM oidc_logins WHERE state = ?", state).Scan(&l.State, &l.Nonce, &l.Verifier, &l.Next, &c)
		if errors.Is(err, sql.ErrNoRows) {
			return vigil.Errorf(vigil.EUNAUTHORIZED, "single sign-on attempt not recognised or already used; start again")
		}
		if err != nil {
			return internal("read sso login", err)
		}
		l.CreatedAt = c.T
		_, err = t.exec(ctx, "DELETE FROM oidc_logins WHERE state = ?", state)
		return internal2("take sso login", err)
	})
	if err != nil {
		return nil, err
	}
	if now().Sub(l.CreatedAt) > 15*time.Minute {
		return nil, vigil.Errorf(vigil.EUNAUTHORIZED, "single sign-on attempt expired; start again")
	}
	return &l, nil
}

// HistoryPoint is one day's readiness.
type HistoryPoint struct {
	Day        string `json:"day"` // YYYY-MM-DD
	Ready      int    `json:"ready"`
	Total      int    `json:"total"`
	Categories string `json:"categories"` // JSON: category -> [ready, total]
}

// RecordReadiness upserts today's readiness point (the last value of a day
// stands for the day).
func (s *Store) RecordReadiness(ctx context.Context, p HistoryPoint) error {
	_, err := s.w.ExecContext(ctx, s.d.rebind(`INSERT INTO readiness_history (day, taken_at, ready, total, categories) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (day) DO UPDATE SET taken_at = excluded.taken_at, ready = excluded.ready, total = excluded.total, categories = excluded.categories`),
		p.Day, s.d.ts(now()), p.Ready, p.Total, p.Categories)
	return internal2("record readiness", err)
}

// ReadinessHistory returns the points since a day, oldest first.
func (s *Store) ReadinessHistory(ctx context.Context, since string) ([]HistoryPoint, error) {
	rows, err := s.query(ctx, "SELECT day, ready, total, categories FROM readiness_history WHERE day >= ? ORDER BY day", since)
	if err != nil {
		return nil, internal("read readiness history", err)
	}
	defer rows.Close()
	var out []HistoryPoint
	for rows.Next() {
		var p HistoryPoint
		if err := rows.Scan(&p.Day, &p.Ready, &p.Total, &p.Categories); err != nil {
			return nil, internal("scan readiness history", err)
		}
		out = append(out, p)
	}
	return out, internal2("read readiness history", rows.Err())
}
