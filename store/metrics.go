package store

import (
	"context"
	"time"
)

// OpsCounts are the operational counts /metrics exposes, each one small
// aggregate query so that a scrape every few seconds costs little.
type OpsCounts struct {
	// StaleAgents counts, by kind (host, integration), the agents whose
	// results are unknown because they stopped reporting (or never did).
	// Revoked agents and the results of disabled integrations are left
	// out: nobody expects them to report.
	StaleAgents map[string]int
	// Integrations are the enabled integrations with how their last run
	// ended.
	Integrations []IntegrationRunState
}

// IntegrationRunState is how an integration's last run ended. It carries
// no name or error text: /metrics may be public.
type IntegrationRunState struct {
	ID     int64
	Kind   string
	Failed bool // the last run ended in an error
}

// OpsCounts reads the operational counts as of now.
func (s *Store) OpsCounts(ctx context.Context, now time.Time) (*OpsCounts, error) {
	out := &OpsCounts{StaleAgents: map[string]int{}, Integrations: []IntegrationRunState{}}
	// stale_after is set by every report to the moment the report stops
	// vouching for the host (vigil.Agent.Grace), so a stale agent is one
	// comparison, as the fleet view counts it.
	rows, err := s.query(ctx, `SELECT a.kind, COUNT(*) FROM agents a
		WHERE a.revoked_at IS NULL AND (a.stale_after IS NULL OR a.stale_after < ?)
		AND NOT EXISTS (SELECT 1 FROM integrations i WHERE i.agent_id = a.id AND i.enabled = ?)
		GROUP BY a.kind`, s.d.ts(now), false)
	if err != nil {
		return nil, internal("count stale agents", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var n int
		if err := rows.Scan(&kind, &n); err != nil {
			return nil, internal("count stale agents", err)
		}
		out.StaleAgents[kind] = n
	}
	if err := rows.Err(); err != nil {
		return nil, internal("count stale agents", err)
	}
	rows.Close()
	irows, err := s.query(ctx, "SELECT id, kind, last_status FROM integrations WHERE enabled = ? ORDER BY id", true)
	if err != nil {
		return nil, internal("read integration runs", err)
	}
	defer irows.Close()
	for irows.Next() {
		var x IntegrationRunState
		var status string
		if err := irows.Scan(&x.ID, &x.Kind, &status); err != nil {
			return nil, internal("read integration runs", err)
		}
		x.Failed = status == "error"
		out.Integrations = append(out.Integrations, x)
	}
	return out, internal2("read integration runs", irows.Err())
}
