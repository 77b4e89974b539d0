package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"maps"
	"strconv"
	"time"

	"github.com/vigil-soc/vigil"
)

// CreateException stores an exception request (validated by the caller)
// as pending, with the actor as its requester, and logs it. Only a
// person can ask: the approval that follows must come from someone else.
func (s *Store) CreateException(ctx context.Context, e *vigil.CheckException) error {
	return s.write(ctx, func(t *wtx) error {
		if t.actor.UserID == 0 {
			return vigil.Errorf(vigil.EFORBIDDEN, "an exception is requested by a person (a user's session or token), so that another can approve it")
		}
		var agent any
		if e.Scope == vigil.ScopeHost {
			a, err := getAgentTx(ctx, t, e.AgentID)
			if vigil.ErrorCode(err) == vigil.ENOTFOUND {
				return vigil.FieldError("agent_id", "host %d does not exist", e.AgentID)
			}
			if err != nil {
				return err
			}
			if a.RevokedAt != nil {
				return vigil.FieldError("agent_id", "host %s is revoked: it reports nothing to except", a.Name)
			}
			agent, e.AgentName = a.ID, a.Name
		}
		e.RequestedBy = t.actor.UserID
		e.Expires = e.Expires.UTC().Truncate(time.Microsecond)
		e.ApprovedAt, e.RevokedAt, e.ApprovedBy, e.RevokedBy = nil, nil, 0, 0
		if err := t.queryRow(ctx, `INSERT INTO check_exceptions (check_id, kind, scope, agent_id, label, justification, expires_at, requested_by, requested_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, e.CheckID, string(e.Kind), string(e.Scope), agent, e.Label, e.Justification,
			t.d.ts(e.Expires), e.RequestedBy, t.d.ts(t.now)).Scan(&e.ID); err != nil {
			return internal("create exception", err)
		}
		if err := t.log(ctx, "exception.request", "check_exception", strconv.FormatInt(e.ID, 10), nil, exceptionLog(e)); err != nil {
			return err
		}
		// Read back, so the names are the users' as every list shows them.
		x, err := getExceptionTx(ctx, t, e.ID)
		if err != nil {
			return err
		}
		*e = *x
		e.State = e.StateAt(t.now)
		return nil
	})
}

// exceptionLog is what the activity log keeps of an exception.
func exceptionLog(e *vigil.CheckException) map[string]any {
	m := map[string]any{"check": e.CheckID, "kind": e.Kind, "scope": e.Scope, "justification": e.Justification,
		"expires_at": e.Expires, "requested_by": e.RequestedBy}
	switch e.Scope {
	case vigil.ScopeHost:
		m["agent_id"] = e.AgentID
	case vigil.ScopeLabel:
		m["label"] = e.Label
	}
	if e.ApprovedAt != nil {
		m["approved_by"], m["approved_at"] = e.ApprovedBy, *e.ApprovedAt
	}
	if e.RevokedAt != nil {
		m["revoked_by"], m["revoked_at"], m["revoke_reason"] = e.RevokedBy, *e.RevokedAt, e.RevokeReason
	}
	return m
}

// ApproveException approves a pending exception as the actor. The
// approver must hold the manage permission and must not be the requester
// (separation of duties); an exception already approved, revoked or
// expired is refused. Two approvals at once: writes are serialised, so
// the second finds it approved and is refused.
func (s *Store) ApproveException(ctx context.Context, id int64) (*vigil.CheckException, error) {
	var out *vigil.CheckException
	err := s.write(ctx, func(t *wtx) error {
		if err := t.actor.MayApproveExceptions(); err != nil {
			return err
		}
		e, err := getExceptionTx(ctx, t, id)
		if err != nil {
			return err
		}
		before := exceptionLog(e)
		if err := e.MayApprove(t.actor, t.now); err != nil {
			return err
		}
		res, err := t.exec(ctx, "UPDATE check_exceptions SET approved_by = ?, approved_at = ? WHERE id = ? AND approved_at IS NULL AND revoked_at IS NULL",
			t.actor.UserID, t.d.ts(t.now), id)
		if err != nil {
			return internal("approve exception", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return vigil.Errorf(vigil.ECONFLICT, "exception #%d changed while it was being approved; look again", id)
		}
		if e, err = getExceptionTx(ctx, t, id); err != nil {
			return err
		}
		e.State = e.StateAt(t.now)
		out = e
		return t.log(ctx, "exception.approve", "check_exception", strconv.FormatInt(id, 10), before, exceptionLog(e))
	})
	return out, err
}

// RevokeException ends an exception (or turns a request down) with a
// reason: from then on the results it covered count as they are.
func (s *Store) RevokeException(ctx context.Context, id int64, reason string) (*vigil.CheckException, error) {
	var out *vigil.CheckException
	err := s.write(ctx, func(t *wtx) error {
		if !t.actor.Role.Can(vigil.PermManage) {
			return vigil.Errorf(vigil.EFORBIDDEN, "only an admin or owner revokes an exception")
		}
		e, err := getExceptionTx(ctx, t, id)
		if err != nil {
			return err
		}
		if e.RevokedAt != nil {
			return vigil.Errorf(vigil.ECONFLICT, "exception #%d is already revoked", id)
		}
		before := exceptionLog(e)
		var by any
		if t.actor.UserID != 0 {
			by = t.actor.UserID
		}
		if _, err := t.exec(ctx, "UPDATE check_exceptions SET revoked_by = ?, revoked_at = ?, revoke_reason = ? WHERE id = ?", by, t.d.ts(t.now), reason, id); err != nil {
			return internal("revoke exception", err)
		}
		if e, err = getExceptionTx(ctx, t, id); err != nil {
			return err
		}
		e.State = e.StateAt(t.now)
		out = e
		return t.log(ctx, "exception.revoke", "check_exception", strconv.FormatInt(id, 10), before, exceptionLog(e))
	})
	return out, err
}

const exceptionSelect = `SELECT x.id, x.check_id, x.kind, x.scope, COALESCE(x.agent_id, 0), COALESCE(a.name, ''), x.label, x.justification, x.expires_at,
	x.requested_by, COALESCE(rq.name, ''), x.requested_at, COALESCE(x.approved_by, 0), COALESCE(ap.name, ''), x.approved_at,
	COALESCE(x.revoked_by, 0), COALESCE(rv.name, ''), x.revoked_at, x.revoke_reason
	FROM check_exceptions x LEFT JOIN agents a ON a.id = x.agent_id LEFT JOIN users rq ON rq.id = x.requested_by
	LEFT JOIN users ap ON ap.id = x.approved_by LEFT JOIN users rv ON rv.id = x.revoked_by`

func scanException(r scanner) (*vigil.CheckException, error) {
	var e vigil.CheckException
	var kind, scope string
	var exp, req, appr, rev dbTime
	if err := r.Scan(&e.ID, &e.CheckID, &kind, &scope, &e.AgentID, &e.AgentName, &e.Label, &e.Justification, &exp,
		&e.RequestedBy, &e.RequestedByName, &req, &e.ApprovedBy, &e.ApprovedByName, &appr,
		&e.RevokedBy, &e.RevokedByName, &rev, &e.RevokeReason); err != nil {
		return nil, err
	}
	e.Kind, e.Scope = vigil.ExceptionKind(kind), vigil.ExceptionScope(scope)
	e.Expires, e.RequestedAt, e.ApprovedAt, e.RevokedAt = exp.T, req.T, appr.ptr(), rev.ptr()
	if e.RevokedAt != nil && e.RevokedByName == "" {
		e.RevokedByName = "admin-cli"
	}
	return &e, nil
}

func getExceptionTx(ctx context.Context, t *wtx, id int64) (*vigil.CheckException, error) {
	e, err := scanException(t.queryRow(ctx, exceptionSelect+" WHERE x.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("exception", id)
	}
	if err != nil {
		return nil, internal("read exception", err)
	}
	return e, nil
}

// Exception returns one exception with its state at now.
func (s *Store) Exception(ctx context.Context, id int64, now time.Time) (*vigil.CheckException, error) {
	e, err := scanException(s.queryRow(ctx, exceptionSelect+" WHERE x.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("exception", id)
	}
	if err != nil {
		return nil, internal("read exception", err)
	}
	e.State = e.StateAt(now)
	return e, nil
}

// Exceptions lists every exception, newest first, each with its state at
// now. The table holds one row per decision people made, so it is read
// whole; callers filter.
func (s *Store) Exceptions(ctx context.Context, now time.Time) ([]vigil.CheckException, error) {
	rows, err := s.query(ctx, exceptionSelect+" ORDER BY x.id DESC")
	if err != nil {
		return nil, internal("list exceptions", err)
	}
	return scanRows(rows, "list exceptions", "scan exception", func(r scanner) (vigil.CheckException, error) {
		e, err := scanException(r)
		if err != nil {
			return vigil.CheckException{}, err
		}
		e.State = e.StateAt(now)
		return *e, nil
	})
}

// ActiveExceptions lists the exceptions in force at now: approved, not
// revoked, not expired.
func (s *Store) ActiveExceptions(ctx context.Context, now time.Time) ([]vigil.CheckException, error) {
	rows, err := s.query(ctx, exceptionSelect+" WHERE x.approved_at IS NOT NULL AND x.revoked_at IS NULL AND x.expires_at > ? ORDER BY x.id", s.d.ts(now))
	if err != nil {
		return nil, internal("list exceptions", err)
	}
	defer rows.Close()
	var out []vigil.CheckException
	for rows.Next() {
		e, err := scanException(rows)
		if err != nil {
			return nil, internal("scan exception", err)
		}
		e.State = vigil.ExceptionActive
		out = append(out, *e)
	}
	return out, internal2("list exceptions", rows.Err())
}

// ExpiredExceptions counts the approved, unrevoked exceptions that have
// expired by now. It moves exactly when one runs out, with no write to
// the database, so the monitoring signal's version can notice.
func (s *Store) ExpiredExceptions(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.queryRow(ctx, "SELECT COUNT(*) FROM check_exceptions WHERE approved_at IS NOT NULL AND revoked_at IS NULL AND expires_at <= ?", s.d.ts(now)).Scan(&n)
	return n, internal2("count exceptions", err)
}

// SetAgentLabels replaces a host's labels (validated by the caller) and
// logs the change; the same labels again write nothing.
func (s *Store) SetAgentLabels(ctx context.Context, id int64, labels map[string]string) (*vigil.Agent, error) {
	var out *vigil.Agent
	err := s.write(ctx, func(t *wtx) error {
		a, err := getAgentTx(ctx, t, id)
		if err != nil {
			return err
		}
		labels = nonNilMap(labels)
		// The same labels again change nothing, unless someone else sets
		// them: that confirms them as theirs (a second person's word, which
		// label exceptions count).
		if maps.Equal(a.Labels, labels) && (t.actor.UserID == 0 || a.LabelsSetBy == t.actor.UserID) {
			out = a
			return nil
		}
		lj, _ := json.Marshal(labels)
		var by any
		if t.actor.UserID != 0 {
			by = t.actor.UserID
		}
		if _, err := t.exec(ctx, "UPDATE agents SET labels = ?, labels_set_by = ?, labels_set_at = ? WHERE id = ?", string(lj), by, t.d.ts(t.now), id); err != nil {
			return internal("set labels", err)
		}
		before := a.Labels
		a.Labels = labels
		a.LabelsSetBy, a.LabelsSetAt = t.actor.UserID, &t.now
		out = a
		return t.log(ctx, "agent.labels", "agent", strconv.FormatInt(id, 10), map[string]any{"labels": before}, map[string]any{"labels": labels})
	})
	return out, err
}

// FailingPair is a (check, host) whose worst current result is a failure,
// on a live host that reports on schedule; Error says some other resource
// of the check could not be judged there.
type FailingPair struct {
	CheckID string
	AgentID int64
	Error   bool
}

// FailingPairs lists the (check, host) pairs FleetByCheck counts as
// failing, for the fleet view to tell which an exception covers.
func (s *Store) FailingPairs(ctx context.Context, now time.Time) ([]FailingPair, error) {
	rows, err := s.query(ctx, `SELECT c.check_id, c.agent_id, MAX(CASE WHEN c.verdict = 'error' THEN 1 ELSE 0 END)
		FROM check_current c JOIN agents a ON a.id = c.agent_id
		WHERE a.revoked_at IS NULL AND a.stale_after IS NOT NULL AND a.stale_after >= ? AND c.verdict IN ('fail', 'error')
		GROUP BY c.check_id, c.agent_id
		HAVING MAX(CASE WHEN c.verdict = 'fail' THEN 1 ELSE 0 END) = 1
		ORDER BY c.check_id, c.agent_id`, s.d.ts(now))
	if err != nil {
		return nil, internal("list failing", err)
	}
	defer rows.Close()
	var out []FailingPair
	for rows.Next() {
		var p FailingPair
		var e int
		if err := rows.Scan(&p.CheckID, &p.AgentID, &e); err != nil {
			return nil, internal("list failing", err)
		}
		p.Error = e == 1
		out = append(out, p)
	}
	return out, internal2("list failing", rows.Err())
}
