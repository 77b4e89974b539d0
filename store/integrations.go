package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/vigil-soc/vigil"
)

const integrationCols = "id, kind, name, config, secret <> '', interval_seconds, enabled, COALESCE(agent_id, 0), last_run, last_status, last_error, created_at, updated_at"

func scanIntegration(r scanner) (*vigil.Integration, error) {
	var x vigil.Integration
	var cfg string
	var last, c, u dbTime
	if err := r.Scan(&x.ID, &x.Kind, &x.Name, &cfg, &x.HasSecret, &x.Interval, &x.Enabled, &x.AgentID, &last, &x.LastStatus, &x.LastError, &c, &u); err != nil {
		return nil, err
	}
	x.Config, x.LastRun, x.CreatedAt, x.UpdatedAt = []byte(cfg), last.ptr(), c.T, u.T
	return &x, nil
}

// loggedIntegration is what the activity log records: never the secret.
func loggedIntegration(x *vigil.Integration) map[string]any {
	return map[string]any{"kind": x.Kind, "name": x.Name, "config": string(x.Config), "has_secret": x.HasSecret,
		"interval_seconds": x.Interval, "enabled": x.Enabled}
}

// CreateIntegration stores an integration with its sealed secret (or "")
// and the agent record its results are kept under.
func (s *Store) CreateIntegration(ctx context.Context, x *vigil.Integration, sealedSecret string) error {
	if err := x.Validate(); err != nil {
		return err
	}
	return s.write(ctx, func(t *wtx) error {
		x.CreatedAt, x.UpdatedAt, x.HasSecret = t.now, t.now, sealedSecret != ""
		err := t.queryRow(ctx, `INSERT INTO integrations (kind, name, config, secret, interval_seconds, enabled, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, x.Kind, x.Name, string(x.Config), sealedSecret, x.Interval, x.Enabled, t.d.ts(t.now), t.d.ts(t.now)).Scan(&x.ID)
		if isUnique(err) {
			return &vigil.Error{Code: vigil.ECONFLICT, Field: "name", Message: "an integration named " + x.Name + " already exists"}
		}
		if err != nil {
			return internal("create integration", err)
		}
		// Results are kept like a host's: an agent record no credential
		// opens (its secret hash is not a hash).
		if err := t.queryRow(ctx, `INSERT INTO agents (kind, name, hostname, version, interval_seconds, secret_hash, enrolled_at)
			VALUES ('integration', ?, ?, 'server', ?, ?, ?) RETURNING id`, x.Kind+": "+x.Name, x.Name, x.Interval,
			"integration:"+strconv.FormatInt(x.ID, 10), t.d.ts(t.now)).Scan(&x.AgentID); err != nil {
			return internal("create integration results", err)
		}
		if _, err := t.exec(ctx, "UPDATE integrations SET agent_id = ? WHERE id = ?", x.AgentID, x.ID); err != nil {
			return internal("create integration", err)
		}
		return t.log(ctx, "integration.create", "integration", strconv.FormatInt(x.ID, 10), nil, loggedIntegration(x))
	})
}

// Integration returns one integration and its sealed secret.
func (s *Store) Integration(ctx context.Context, id int64) (*vigil.Integration, string, error) {
	row := s.queryRow(ctx, "SELECT "+integrationCols+", secret FROM integrations WHERE id = ?", id)
	var x vigil.Integration
	var cfg, sealed string
	var last, c, u dbTime
	err := row.Scan(&x.ID, &x.Kind, &x.Name, &cfg, &x.HasSecret, &x.Interval, &x.Enabled, &x.AgentID, &last, &x.LastStatus, &x.LastError, &c, &u, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", vigil.NotFound("integration", id)
	}
	if err != nil {
		return nil, "", internal("read integration", err)
	}
	x.Config, x.LastRun, x.CreatedAt, x.UpdatedAt = []byte(cfg), last.ptr(), c.T, u.T
	return &x, sealed, nil
}

// Integrations lists every integration, by ID.
func (s *Store) Integrations(ctx context.Context) ([]vigil.Integration, error) {
	rows, err := s.query(ctx, "SELECT "+integrationCols+" FROM integrations ORDER BY id")
	if err != nil {
		return nil, internal("list integrations", err)
	}
	return scanRows(rows, "list integrations", "scan integration", deref(scanIntegration))
}

// UpdateIntegration replaces the settings; a nil secret keeps the stored
// one, "" removes it.
func (s *Store) UpdateIntegration(ctx context.Context, x *vigil.Integration, sealedSecret *string) error {
	if err := x.Validate(); err != nil {
		return err
	}
	return s.write(ctx, func(t *wtx) error {
		before, err := scanIntegration(t.queryRow(ctx, "SELECT "+integrationCols+" FROM integrations WHERE id = ?", x.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return vigil.NotFound("integration", x.ID)
		}
		if err != nil {
			return internal("read integration", err)
		}
		q, args := "UPDATE integrations SET name = ?, config = ?, interval_seconds = ?, enabled = ?, updated_at = ?", []any{x.Name, string(x.Config), x.Interval, x.Enabled, t.d.ts(t.now)}
		if sealedSecret != nil {
			q += ", secret = ?"
			args = append(args, *sealedSecret)
			x.HasSecret = *sealedSecret != ""
		} else {
			x.HasSecret = before.HasSecret
		}
		res, err := t.exec(ctx, q+" WHERE id = ?", append(args, x.ID)...)
		if isUnique(err) {
			return &vigil.Error{Code: vigil.ECONFLICT, Field: "name", Message: "an integration named " + x.Name + " already exists"}
		}
		if err != nil {
			return internal("update integration", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return vigil.NotFound("integration", x.ID)
		}
		x.Kind, x.AgentID, x.CreatedAt, x.UpdatedAt, x.LastRun, x.LastStatus, x.LastError = before.Kind, before.AgentID, before.CreatedAt, t.now, before.LastRun, before.LastStatus, before.LastError
		if _, err := t.exec(ctx, "UPDATE agents SET name = ?, hostname = ?, interval_seconds = ? WHERE id = ?", x.Kind+": "+x.Name, x.Name, x.Interval, x.AgentID); err != nil {
			return internal("update integration", err)
		}
		return t.log(ctx, "integration.update", "integration", strconv.FormatInt(x.ID, 10), loggedIntegration(before), loggedIntegration(x))
	})
}

// DeleteIntegration removes an integration; its results stay as history
// under its (revoked) agent record.
func (s *Store) DeleteIntegration(ctx context.Context, id int64) error {
	return s.write(ctx, func(t *wtx) error {
		before, err := scanIntegration(t.queryRow(ctx, "SELECT "+integrationCols+" FROM integrations WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return vigil.NotFound("integration", id)
		}
		if err != nil {
			return internal("read integration", err)
		}
		if _, err := t.exec(ctx, "DELETE FROM integrations WHERE id = ?", id); err != nil {
			return internal("delete integration", err)
		}
		if _, err := t.exec(ctx, "UPDATE agents SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", t.d.ts(t.now), before.AgentID); err != nil {
			return internal("delete integration", err)
		}
		return t.log(ctx, "integration.delete", "integration", strconv.FormatInt(id, 10), loggedIntegration(before), nil)
	})
}

// RecordIntegrationRun notes a run's outcome (the results themselves go
// through IngestReport).
func (s *Store) RecordIntegrationRun(ctx context.Context, id int64, at time.Time, status, msg string) error {
	_, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE integrations SET last_run = ?, last_status = ?, last_error = ? WHERE id = ?"), s.d.ts(at), status, msg, id)
	return internal2("record integration run", err)
}

// IntegrationState reads and SetIntegrationState writes what a kind
// remembers between runs.
func (s *Store) IntegrationState(ctx context.Context, id int64) (string, error) {
	var st string
	err := s.queryRow(ctx, "SELECT state FROM integrations WHERE id = ?", id).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return "", vigil.NotFound("integration", id)
	}
	return st, internal2("read integration state", err)
}

// SetIntegrationState stores what a kind remembers between runs.
func (s *Store) SetIntegrationState(ctx context.Context, id int64, state string) error {
	_, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE integrations SET state = ? WHERE id = ?"), state, id)
	return internal2("write integration state", err)
}
