package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/vigil-soc/vigil"
)

const tokenCols = "id, user_id, name, role, prefix, created_at, expires_at, last_used_at, revoked_at"

func scanToken(r scanner, extra ...any) (*vigil.APIToken, error) {
	var tk vigil.APIToken
	var c, e, l, rv dbTime
	if err := r.Scan(append([]any{&tk.ID, &tk.UserID, &tk.Name, &tk.Role, &tk.Prefix, &c, &e, &l, &rv}, extra...)...); err != nil {
		return nil, err
	}
	tk.CreatedAt, tk.ExpiresAt, tk.LastUsedAt, tk.RevokedAt = c.T, e.ptr(), l.ptr(), rv.ptr()
	return &tk, nil
}

// CreateToken stores a new API token's hash for its user.
func (s *Store) CreateToken(ctx context.Context, tk *vigil.APIToken, secretHash string) error {
	return s.write(ctx, func(t *wtx) error { return t.insertToken(ctx, tk, secretHash) })
}

func (t *wtx) insertToken(ctx context.Context, tk *vigil.APIToken, secretHash string) error {
	err := t.queryRow(ctx, "INSERT INTO api_tokens (user_id, name, role, prefix, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
		tk.UserID, tk.Name, tk.Role, tk.Prefix, secretHash, t.d.ts(t.now), t.d.tsp(tk.ExpiresAt)).Scan(&tk.ID)
	if isForeignKey(err) {
		return vigil.FieldError("user_id", "user %d does not exist", tk.UserID)
	}
	if err != nil {
		return internal("create token", err)
	}
	tk.CreatedAt = t.now
	return t.log(ctx, "token.create", "token", strconv.FormatInt(tk.ID, 10), nil, tk)
}

// TokenBySecretHash returns an API token and its user.
func (s *Store) TokenBySecretHash(ctx context.Context, secretHash string) (*vigil.APIToken, *vigil.User, error) {
	var u vigil.User
	var uc, uu dbTime
	tk, err := scanToken(s.queryRow(ctx, `SELECT t.id, t.user_id, t.name, t.role, t.prefix, t.created_at, t.expires_at, t.last_used_at, t.revoked_at,
		u.id, u.email, u.name, u.role, u.disabled, u.created_at, u.updated_at
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.secret_hash = ?`, secretHash),
		&u.ID, &u.Email, &u.Name, &u.Role, &u.Disabled, &uc, &uu)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, vigil.Errorf(vigil.EUNAUTHORIZED, "API token is not valid")
	}
	if err != nil {
		return nil, nil, internal("read token", err)
	}
	u.CreatedAt, u.UpdatedAt = uc.T, uu.T
	return tk, &u, nil
}

// TouchToken records that a token was used. It is not an activity entry:
// use is recorded, not a change of state.
func (s *Store) TouchToken(ctx context.Context, id int64, at time.Time) error {
	_, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE api_tokens SET last_used_at = ? WHERE id = ?"), s.d.ts(at), id)
	return internal2("touch token", err)
}

// ListTokens returns tokens, of one user or (userID 0) of everyone.
func (s *Store) ListTokens(ctx context.Context, userID int64) ([]vigil.APIToken, error) {
	q, args := "SELECT "+tokenCols+" FROM api_tokens ORDER BY id", []any{}
	if userID != 0 {
		q, args = "SELECT "+tokenCols+" FROM api_tokens WHERE user_id = ? ORDER BY id", []any{userID}
	}
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, internal("list tokens", err)
	}
	return scanRows(rows, "list tokens", "scan token", deref(func(r scanner) (*vigil.APIToken, error) { return scanToken(r) }))
}

// Token returns one token.
func (s *Store) Token(ctx context.Context, id int64) (*vigil.APIToken, error) {
	tk, err := scanToken(s.queryRow(ctx, "SELECT "+tokenCols+" FROM api_tokens WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("token", id)
	}
	if err != nil {
		return nil, internal("read token", err)
	}
	return tk, nil
}

// RevokeToken revokes a token. Revoking twice is a conflict, so that a
// client learns its request did nothing.
func (s *Store) RevokeToken(ctx context.Context, id int64) error {
	return s.write(ctx, func(t *wtx) error {
		before, err := scanToken(t.queryRow(ctx, "SELECT "+tokenCols+" FROM api_tokens WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return vigil.NotFound("token", id)
		}
		if err != nil {
			return internal("read token", err)
		}
		if before.RevokedAt != nil {
			return vigil.Errorf(vigil.ECONFLICT, "token %d is already revoked", id)
		}
		if _, err := t.exec(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE id = ?", t.d.ts(t.now), id); err != nil {
			return internal("revoke token", err)
		}
		after := *before
		after.RevokedAt = &t.now
		return t.log(ctx, "token.revoke", "token", strconv.FormatInt(id, 10), before, after)
	})
}
