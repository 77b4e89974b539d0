package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/vigil-soc/vigil"
)

const userCols = "id, email, name, role, disabled, created_at, updated_at"

func scanUser(r scanner) (*vigil.User, error) {
	var u vigil.User
	var c, up dbTime
	if err := r.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.Disabled, &c, &up); err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt = c.T, up.T
	return &u, nil
}

// userView is what the activity log records of a user: never the hash.
func userView(u *vigil.User) map[string]any {
	return map[string]any{"id": u.ID, "email": u.Email, "name": u.Name, "role": u.Role, "disabled": u.Disabled}
}

// SetupInput is what first-run setup creates.
type SetupInput struct {
	SetupSecretHash string
	Organization    vigil.Organization
	Owner           vigil.User
	PasswordHash    string
	// Token, if set, is an API token for the owner, created in the same
	// transaction (its UserID is filled in).
	Token     *vigil.APIToken
	TokenHash string
}

// CheckSetupToken tells whether a setup token is good, without using it, so
// that costly work (hashing the password) happens only for a real attempt.
func (s *Store) CheckSetupToken(ctx context.Context, secretHash string) error {
	var exp, used dbTime
	err := s.queryRow(ctx, "SELECT expires_at, used_at FROM setup_tokens WHERE secret_hash = ?", secretHash).Scan(&exp, &used)
	return setupTokenError(err, exp, used, now())
}

func setupTokenError(err error, exp, used dbTime, at time.Time) error {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return &vigil.Error{Code: vigil.EUNAUTHORIZED, Field: "setup_token", Message: "setup token is not valid"}
	case err != nil:
		return internal("read setup token", err)
	case used.Valid:
		return &vigil.Error{Code: vigil.EUNAUTHORIZED, Field: "setup_token", Message: "setup token has already been used"}
	case !at.Before(exp.T):
		return &vigil.Error{Code: vigil.EUNAUTHORIZED, Field: "setup_token", Message: "setup token has expired; restart vigil serve to print a new one"}
	}
	return nil
}

// Setup consumes a setup token and creates the organization and its first
// user (an owner) in one transaction. It fails with ECONFLICT once any user
// exists, and with EUNAUTHORIZED for an unknown, used or expired token.
func (s *Store) Setup(ctx context.Context, in *SetupInput) (*vigil.User, error) {
	if err := in.Organization.Validate(); err != nil {
		return nil, err
	}
	in.Owner.Role = vigil.RoleOwner
	if err := in.Owner.Validate(); err != nil {
		return nil, err
	}
	var u *vigil.User
	err := s.write(ctx, func(t *wtx) error {
		var n int
		if err := t.queryRow(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil {
			return internal("count users", err)
		}
		if n > 0 {
			return vigil.Errorf(vigil.ECONFLICT, "setup has already been completed")
		}
		var exp dbTime
		var used dbTime
		err := t.queryRow(ctx, "SELECT expires_at, used_at FROM setup_tokens WHERE secret_hash = ?", in.SetupSecretHash).Scan(&exp, &used)
		if err := setupTokenError(err, exp, used, t.now); err != nil {
			return err
		}
		if _, err := t.exec(ctx, "UPDATE setup_tokens SET used_at = ? WHERE secret_hash = ?", t.d.ts(t.now), in.SetupSecretHash); err != nil {
			return internal("use setup token", err)
		}
		o := in.Organization
		if _, err := t.exec(ctx, `INSERT INTO organization (id, name, legal_name, website, description, categories, created_at, updated_at, scope_updated_at)
			VALUES (1, ?, ?, ?, ?, 'security', ?, ?, ?)`, o.Name, o.LegalName, o.Website, o.Description, t.d.ts(t.now), t.d.ts(t.now), t.d.ts(t.now)); err != nil {
			if isUnique(err) {
				return vigil.Errorf(vigil.ECONFLICT, "setup has already been completed")
			}
			return internal("create organization", err)
		}
		o.CreatedAt, o.UpdatedAt = t.now, t.now
		if err := t.log(ctx, "organization.create", "organization", "1", nil, o); err != nil {
			return err
		}
		var err2 error
		u, err2 = t.insertUser(ctx, &in.Owner, in.PasswordHash)
		if err2 != nil {
			return err2
		}
		t.actor = vigil.Actor{UserID: u.ID, Name: u.Email, Role: u.Role}
		if err := t.log(ctx, "setup.complete", "user", strconv.FormatInt(u.ID, 10), nil, userView(u)); err != nil {
			return err
		}
		if in.Token != nil {
			in.Token.UserID = u.ID
			return t.insertToken(ctx, in.Token, in.TokenHash)
		}
		return nil
	})
	return u, err
}

// CreateSetupToken stores the hash of a new setup token, replacing any
// earlier unused ones so that only the latest printed link works.
func (s *Store) CreateSetupToken(ctx context.Context, secretHash string, expires time.Time) error {
	return s.write(ctx, func(t *wtx) error {
		if _, err := t.exec(ctx, "DELETE FROM setup_tokens WHERE used_at IS NULL"); err != nil {
			return internal("replace setup token", err)
		}
		if _, err := t.exec(ctx, "INSERT INTO setup_tokens (secret_hash, created_at, expires_at) VALUES (?, ?, ?)", secretHash, t.d.ts(t.now), t.d.ts(expires)); err != nil {
			return internal("create setup token", err)
		}
		return nil
	})
}

// CountUsers returns how many users exist (zero means setup is pending).
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.queryRow(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil {
		return 0, internal("count users", err)
	}
	return n, nil
}

func (t *wtx) insertUser(ctx context.Context, u *vigil.User, passwordHash string) (*vigil.User, error) {
	err := t.queryRow(ctx, "INSERT INTO users (email, name, role, password_hash, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
		u.Email, u.Name, u.Role, passwordHash, u.Disabled, t.d.ts(t.now), t.d.ts(t.now)).Scan(&u.ID)
	if isUnique(err) {
		return nil, &vigil.Error{Code: vigil.ECONFLICT, Field: "email", Message: "a user with email " + u.Email + " already exists"}
	}
	if err != nil {
		return nil, internal("create user", err)
	}
	u.CreatedAt, u.UpdatedAt = t.now, t.now
	return u, nil
}

// CreateUser adds a user. passwordHash may be empty (the user then signs in
// through single sign-on or sets a password by reset link).
func (s *Store) CreateUser(ctx context.Context, u *vigil.User, passwordHash string) error {
	if err := u.Validate(); err != nil {
		return err
	}
	return s.write(ctx, func(t *wtx) error {
		if _, err := t.insertUser(ctx, u, passwordHash); err != nil {
			return err
		}
		return t.log(ctx, "user.create", "user", strconv.FormatInt(u.ID, 10), nil, userView(u))
	})
}

// User returns a user by ID.
func (s *Store) User(ctx context.Context, id int64) (*vigil.User, error) {
	u, err := scanUser(s.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("user", id)
	}
	if err != nil {
		return nil, internal("read user", err)
	}
	return u, nil
}

// UserCredentials returns a user and their password hash, by email.
func (s *Store) UserCredentials(ctx context.Context, email string) (*vigil.User, string, error) {
	var hash string
	var u vigil.User
	var c, up dbTime
	err := s.queryRow(ctx, "SELECT "+userCols+", password_hash FROM users WHERE email = ?", email).
		Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.Disabled, &c, &up, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", vigil.NotFound("user", email)
	}
	if err != nil {
		return nil, "", internal("read user", err)
	}
	u.CreatedAt, u.UpdatedAt = c.T, up.T
	return &u, hash, nil
}

// ListUsers returns users in ID order after the cursor ID.
func (s *Store) ListUsers(ctx context.Context, after int64, limit int) ([]vigil.User, error) {
	q := "SELECT " + userCols + " FROM users WHERE id > ? ORDER BY id"
	if limit > 0 {
		q += " LIMIT " + strconv.Itoa(limit)
	}
	rows, err := s.query(ctx, q, after)
	if err != nil {
		return nil, internal("list users", err)
	}
	return scanRows(rows, "list users", "scan user", deref(scanUser))
}

// UpdateUser applies a patch. check sees the user before and after and may
// refuse the change (the caller's permission rules live there). The last
// active owner cannot be demoted or disabled: an installation without an
// owner could never grant the role again.
func (s *Store) UpdateUser(ctx context.Context, id int64, p vigil.UserPatch, check func(before, after *vigil.User) error) (*vigil.User, error) {
	var out *vigil.User
	err := s.write(ctx, func(t *wtx) error {
		before, err := scanUser(t.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return vigil.NotFound("user", id)
		}
		if err != nil {
			return internal("read user", err)
		}
		after := p.Apply(before)
		if err := after.Validate(); err != nil {
			return err
		}
		if check != nil {
			if err := check(before, &after); err != nil {
				return err
			}
		}
		if after == *before {
			out = before
			return nil
		}
		if vigil.LosesOwner(before, &after) {
			var owners int
			if err := t.queryRow(ctx, "SELECT count(*) FROM users WHERE role = 'owner' AND disabled = ?", false).Scan(&owners); err != nil {
				return internal("count owners", err)
			}
			if owners <= 1 {
				return vigil.FieldError("role", "%s is the last active owner; make someone else an owner first", before.Email)
			}
		}
		after.UpdatedAt = t.now
		if _, err := t.exec(ctx, "UPDATE users SET name = ?, role = ?, disabled = ?, updated_at = ? WHERE id = ?",
			after.Name, after.Role, after.Disabled, t.d.ts(t.now), id); err != nil {
			return internal("update user", err)
		}
		if after.Disabled && !before.Disabled {
			// A disabled account is signed out everywhere at once.
			if _, err := t.exec(ctx, "DELETE FROM sessions WHERE user_id = ?", id); err != nil {
				return internal("end sessions", err)
			}
		}
		out = &after
		return t.log(ctx, "user.update", "user", strconv.FormatInt(id, 10), userView(before), userView(&after))
	})
	return out, err
}

// SetPassword replaces a user's password hash.
func (s *Store) SetPassword(ctx context.Context, id int64, passwordHash string) error {
	return s.write(ctx, func(t *wtx) error {
		res, err := t.exec(ctx, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", passwordHash, t.d.ts(t.now), id)
		if err != nil {
			return internal("set password", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return vigil.NotFound("user", id)
		}
		return t.log(ctx, "user.password_set", "user", strconv.FormatInt(id, 10), nil, nil)
	})
}
