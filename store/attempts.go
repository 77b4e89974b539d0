package store

import (
	"context"
	"time"

	"github.com/vigil-soc/vigil"
)

// ReserveAttempt records one attempt under every key of limits, in one
// transaction, unless one of them is used up; then it records nothing and
// says which and until when. Recording before the slow work (a password
// hash) is what makes the limits hold against concurrent requests: the
// writers are serialised, so no two requests can both take the last slot.
// grp names the attempt; ForgiveAttempt removes it after a success.
func (s *Store) ReserveAttempt(ctx context.Context, grp string, at time.Time, limits []vigil.AttemptLimit) (*vigil.AttemptReserved, *vigil.AttemptRefused, error) {
	var refused *vigil.AttemptRefused
	res := &vigil.AttemptReserved{Left: -1}
	err := s.write(ctx, func(t *wtx) error {
		for _, l := range limits {
			// Old attempts of this key are forgotten as it is used, so the
			// table holds at most a window's worth per key.
			if _, err := t.exec(ctx, "DELETE FROM signin_attempts WHERE key = ? AND at <= ?", l.Key, t.d.ts(at.Add(-l.Window))); err != nil {
				return internal("forget old attempts", err)
			}
			var n int
			var oldest dbTime
			if err := t.queryRow(ctx, "SELECT count(*), MIN(at) FROM signin_attempts WHERE key = ? AND at > ?", l.Key, t.d.ts(at.Add(-l.Window))).Scan(&n, &oldest); err != nil {
				return internal("count attempts", err)
			}
			if n >= l.Max {
				refused = &vigil.AttemptRefused{Key: l.Key, Until: oldest.T.Add(l.Window)}
				return nil
			}
			if left := l.Max - n - 1; res.Left < 0 || left < res.Left {
				res.Left, res.LeftKey = left, l.Key
			}
		}
		for _, l := range limits {
			if _, err := t.exec(ctx, "INSERT INTO signin_attempts (grp, key, at) VALUES (?, ?, ?)", grp, l.Key, t.d.ts(at)); err != nil {
				return internal("record attempt", err)
			}
		}
		return nil
	})
	if err != nil || refused != nil {
		return nil, refused, err
	}
	return res, nil, nil
}

// ForgiveAttempt removes a successful attempt: only failures count.
func (s *Store) ForgiveAttempt(ctx context.Context, grp string) error {
	_, err := s.w.ExecContext(ctx, s.d.rebind("DELETE FROM signin_attempts WHERE grp = ?"), grp)
	return internal2("forgive attempt", err)
}

// ClearAttempts forgets every attempt under a key: a completed sign-in
// clears its account's failures from that address.
func (s *Store) ClearAttempts(ctx context.Context, key string) error {
	_, err := s.w.ExecContext(ctx, s.d.rebind("DELETE FROM signin_attempts WHERE key = ?"), key)
	return internal2("clear attempts", err)
}

// ExpireAttempts deletes attempts older than the longest window, for
// housekeeping of keys never used again.
func (s *Store) ExpireAttempts(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.d.rebind("DELETE FROM signin_attempts WHERE at < ?"), s.d.ts(before))
	if err != nil {
		return 0, internal("expire attempts", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
