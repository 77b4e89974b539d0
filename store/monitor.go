package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
)

// CreateEnrolment stores a one-time enrolment token (its hash) for an
// agent to come.
func (s *Store) CreateEnrolment(ctx context.Context, name, tokenHash string, expires time.Time) (int64, error) {
	return s.CreateLabelledEnrolment(ctx, name, nil, tokenHash, expires)
}

// CreateLabelledEnrolment is CreateEnrolment with the labels the host will
// carry once it enrols (validated by the caller).
func (s *Store) CreateLabelledEnrolment(ctx context.Context, name string, labels map[string]string, tokenHash string, expires time.Time) (int64, error) {
	var id int64
	lj, _ := json.Marshal(nonNilMap(labels))
	err := s.write(ctx, func(t *wtx) error {
		actor := vigil.ActorFrom(ctx)
		var by any
		if actor.UserID != 0 {
			by = actor.UserID
		}
		if err := t.queryRow(ctx, "INSERT INTO agent_enrolments (token_hash, name, labels, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
			tokenHash, name, string(lj), by, t.d.ts(t.now), t.d.ts(expires)).Scan(&id); err != nil {
			return internal("create enrolment", err)
		}
		after := map[string]any{"name": name, "expires_at": expires}
		if len(labels) > 0 {
			after["labels"] = labels
		}
		return t.log(ctx, "agent.enrolment.create", "agent_enrolment", strconv.FormatInt(id, 10), nil, after)
	})
	return id, err
}

// Enrol spends an enrolment token and creates the agent with its
// credential's hash. A used, expired or unknown token is refused, and
// nothing is written.
func (s *Store) Enrol(ctx context.Context, tokenHash string, a *vigil.Agent, secretHash string) error {
	return s.write(ctx, func(t *wtx) error {
		var id, creator int64
		var name, labels string
		var exp, used dbTime
		err := t.queryRow(ctx, "SELECT id, name, labels, expires_at, used_at, COALESCE(created_by, 0) FROM agent_enrolments WHERE token_hash = ?", tokenHash).Scan(&id, &name, &labels, &exp, &used, &creator)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return vigil.Errorf(vigil.EUNAUTHORIZED, "the enrolment token is not valid")
		case err != nil:
			return internal("read enrolment", err)
		case used.Valid:
			return vigil.Errorf(vigil.EUNAUTHORIZED, "the enrolment token was already used")
		case t.now.After(exp.T):
			return vigil.Errorf(vigil.EUNAUTHORIZED, "the enrolment token expired at %s", exp.T.Format(time.RFC3339))
		}
		if name != "" {
			a.Name = name
		}
		if a.Name == "" {
			a.Name = a.Hostname
		}
		a.Enrolled = t.now
		// The host starts with the labels its token carries.
		a.Labels = map[string]string{}
		if err := json.Unmarshal([]byte(labels), &a.Labels); err != nil {
			return internal("read enrolment labels", err)
		}
		// Labels from the token were set by whoever made the token, when
		// the host enrols.
		var setBy, setAt any
		if len(a.Labels) > 0 {
			setAt = t.d.ts(t.now)
			a.LabelsSetAt = &a.Enrolled
			if creator != 0 {
				setBy, a.LabelsSetBy = creator, creator
			}
		}
		if err := t.queryRow(ctx, `INSERT INTO agents (name, hostname, os, kernel, version, interval_seconds, secret_hash, enrolled_at, labels, labels_set_by, labels_set_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, a.Name, a.Hostname, a.OS, a.Kernel, a.Version, a.Interval, secretHash, t.d.ts(t.now), labels, setBy, setAt).Scan(&a.ID); err != nil {
			return internal("create agent", err)
		}
		if _, err := t.exec(ctx, "UPDATE agent_enrolments SET used_at = ?, agent_id = ? WHERE id = ?", t.d.ts(t.now), a.ID, id); err != nil {
			return internal("spend enrolment", err)
		}
		return t.log(ctx, "agent.enrol", "agent", strconv.FormatInt(a.ID, 10), nil, a)
	})
}

const agentCols = "id, kind, name, hostname, os, kernel, version, interval_seconds, enrolled_at, last_seen, last_seq, revoked_at, n_pass, n_fail, n_error, n_na, labels, COALESCE(labels_set_by, 0), labels_set_at"

func scanAgent(r scanner) (*vigil.Agent, error) {
	var a vigil.Agent
	var en, seen, rev, lset dbTime
	var labels string
	if err := r.Scan(&a.ID, &a.Kind, &a.Name, &a.Hostname, &a.OS, &a.Kernel, &a.Version, &a.Interval, &en, &seen, &a.LastSeq, &rev,
		&a.Pass, &a.Fail, &a.Error, &a.NotApplicable, &labels, &a.LabelsSetBy, &lset); err != nil {
		return nil, err
	}
	a.Enrolled, a.LastSeen, a.RevokedAt, a.LabelsSetAt = en.T, seen.ptr(), rev.ptr(), lset.ptr()
	a.Labels = map[string]string{}
	if err := json.Unmarshal([]byte(labels), &a.Labels); err != nil {
		return nil, err
	}
	return &a, nil
}

// AgentBySecret finds the agent a credential belongs to.
func (s *Store) AgentBySecret(ctx context.Context, secretHash string) (*vigil.Agent, error) {
	a, err := scanAgent(s.queryRow(ctx, "SELECT "+agentCols+" FROM agents WHERE secret_hash = ?", secretHash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.Errorf(vigil.EUNAUTHORIZED, "unknown agent credential")
	}
	if err != nil {
		return nil, internal("read agent", err)
	}
	return a, nil
}

// Agent returns one agent.
func (s *Store) Agent(ctx context.Context, id int64) (*vigil.Agent, error) {
	a, err := scanAgent(s.queryRow(ctx, "SELECT "+agentCols+" FROM agents WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("agent", id)
	}
	if err != nil {
		return nil, internal("read agent", err)
	}
	return a, nil
}

// Agents lists agents in ID order after the cursor.
func (s *Store) Agents(ctx context.Context, after int64, limit int) ([]vigil.Agent, error) {
	q := "SELECT " + agentCols + " FROM agents WHERE id > ? ORDER BY id"
	if limit > 0 {
		q += " LIMIT " + strconv.Itoa(limit)
	}
	rows, err := s.query(ctx, q, after)
	if err != nil {
		return nil, internal("list agents", err)
	}
	return scanRows(rows, "list agents", "scan agent", deref(scanAgent))
}

// RevokeAgent stops an agent's credential from being accepted.
func (s *Store) RevokeAgent(ctx context.Context, id int64) error {
	return s.write(ctx, func(t *wtx) error {
		res, err := t.exec(ctx, "UPDATE agents SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", t.d.ts(t.now), id)
		if err != nil {
			return internal("revoke agent", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := getAgentTx(ctx, t, id); err != nil {
				return err
			}
			return vigil.Errorf(vigil.ECONFLICT, "agent %d is already revoked", id)
		}
		return t.log(ctx, "agent.revoke", "agent", strconv.FormatInt(id, 10), nil, nil)
	})
}

func getAgentTx(ctx context.Context, t *wtx, id int64) (*vigil.Agent, error) {
	a, err := scanAgent(t.queryRow(ctx, "SELECT "+agentCols+" FROM agents WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("agent", id)
	}
	if err != nil {
		return nil, internal("read agent", err)
	}
	return a, nil
}

// IngestReport applies one agent report in one transaction: results that
// changed become transitions and update the current state, the run is
// recorded, and the agent's coverage is extended. A report that is not the
// next one of its host (vigil.CheckReportOrder), or from a revoked agent,
// is refused and nothing is stored.
func (s *Store) IngestReport(ctx context.Context, agentID int64, r *vigil.AgentReport) error {
	return s.write(ctx, func(t *wtx) error {
		prev, err := ingestState(ctx, t, agentID)
		if err != nil {
			return err
		}
		at := r.ScannedAt.UTC().Truncate(time.Microsecond)
		if err := vigil.CheckReportOrder(r.Seq, prev.lastSeq, at, prev.lastSeen, t.now); err != nil {
			return err
		}
		cur, err := currentResults(ctx, t, agentID)
		if err != nil {
			return err
		}
		changed, gone := vigil.ResultChanges(cur, r)
		ts := t.d.ts(at)
		if err := applyResults(ctx, t, agentID, ts, changed, gone); err != nil {
			return err
		}
		trans := len(changed) + len(gone)
		counts, err := verdictCounts(ctx, t, agentID, trans > 0)
		if err != nil {
			return err
		}
		if r.Input != "" && r.InputSHA256 != "" {
			if _, err := t.exec(ctx, "INSERT INTO monitor_inputs (sha256, size, data, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
				r.InputSHA256, len(r.Input), r.Input, t.d.ts(t.now)); err != nil {
				return internal("store input", err)
			}
		}
		interval := r.Host.Interval
		if interval <= 0 {
			interval = prev.interval
		}
		disabled := nonNilMap(r.Disabled)
		newTailoring, _ := json.Marshal(disabled)
		run := vigil.IngestedRun{Changes: trans, Status: r.Status(), Input: r.InputSHA256, LastInput: prev.lastInput,
			TailoringChanged: string(newTailoring) != prev.tailoring, At: at, LastSeen: prev.lastSeen, Interval: interval}
		if _, err := t.exec(ctx, `INSERT INTO check_runs (agent_id, seq, scanned_at, received_at, duration_ms, status, n_changes, n_pass, n_fail, n_error, n_na, input_sha256, heartbeat)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, agentID, r.Seq, ts, t.d.ts(t.now), r.Duration, run.Status, trans, counts[0], counts[1], counts[2], counts[3], r.InputSHA256, run.IsHeartbeat()); err != nil {
			return internal("record run", err)
		}
		grace := (&vigil.Agent{Interval: interval}).Grace()
		if _, err := t.exec(ctx, `UPDATE agents SET last_seq = ?, last_seen = ?, stale_after = ?, hostname = ?, os = ?, kernel = ?, version = ?, interval_seconds = ?,
			n_pass = ?, n_fail = ?, n_error = ?, n_na = ?, last_input = CASE WHEN ? = '' THEN last_input ELSE ? END WHERE id = ?`,
			r.Seq, ts, t.d.ts(at.Add(grace)), r.Host.Hostname, r.Host.OS, r.Host.Kernel, r.Host.Version, interval, counts[0], counts[1], counts[2], counts[3], r.InputSHA256, r.InputSHA256, agentID); err != nil {
			return internal("update agent", err)
		}
		if run.TailoringChanged {
			if err := recordTailoring(ctx, t, agentID, r.Host.Hostname, prev.tailoring, string(newTailoring), disabled); err != nil {
				return err
			}
		}
		return extendCoverage(ctx, t, agentID, at, prev.lastSeen, grace)
	})
}

// ingested is what IngestReport reads of the agent before applying.
type ingested struct {
	lastSeq              int64
	lastSeen             time.Time // zero before the first report
	interval             int
	tailoring, lastInput string
}

func ingestState(ctx context.Context, t *wtx, agentID int64) (ingested, error) {
	var p ingested
	var revoked, lastSeen dbTime
	err := t.queryRow(ctx, "SELECT last_seq, revoked_at, last_seen, interval_seconds, tailoring, last_input FROM agents WHERE id = ?", agentID).
		Scan(&p.lastSeq, &revoked, &lastSeen, &p.interval, &p.tailoring, &p.lastInput)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return p, vigil.Errorf(vigil.EUNAUTHORIZED, "unknown agent")
	case err != nil:
		return p, internal("read agent", err)
	case revoked.Valid:
		return p, vigil.Errorf(vigil.EFORBIDDEN, "this agent was revoked at %s", revoked.T.Format(time.RFC3339))
	}
	if lastSeen.Valid {
		p.lastSeen = lastSeen.T
	}
	return p, nil
}

// currentResults is the agent's current state, to tell changes from
// repeats.
func currentResults(ctx context.Context, t *wtx, agentID int64) (map[vigil.ResultKey]vigil.CheckResult, error) {
	cur := map[vigil.ResultKey]vigil.CheckResult{}
	rows, err := t.query(ctx, "SELECT check_id, resource, verdict, reason FROM check_current WHERE agent_id = ?", agentID)
	if err != nil {
		return nil, internal("read results", err)
	}
	defer rows.Close()
	for rows.Next() {
		var x vigil.CheckResult
		if err := rows.Scan(&x.CheckID, &x.Resource, &x.Verdict, &x.Reason); err != nil {
			return nil, internal("read results", err)
		}
		cur[x.Key()] = x
	}
	return cur, internal2("read results", rows.Err())
}

// applyResults writes the changed results, deletes the gone ones and
// records both as transitions at ts.
func applyResults(ctx context.Context, t *wtx, agentID int64, ts any, changed, gone []vigil.CheckResult) error {
	if len(changed) > 0 {
		if err := t.insertRows(ctx, "INSERT INTO check_current (agent_id, check_id, resource, verdict, reason, since) VALUES ", 6, len(changed), func(i int) []any {
			x := changed[i]
			return []any{agentID, x.CheckID, x.Resource, x.Verdict, x.Reason, ts}
		}, " ON CONFLICT (agent_id, check_id, resource) DO UPDATE SET verdict = excluded.verdict, reason = excluded.reason, since = excluded.since"); err != nil {
			return internal("store results", err)
		}
	}
	for _, x := range gone {
		if _, err := t.exec(ctx, "DELETE FROM check_current WHERE agent_id = ? AND check_id = ? AND resource = ?", agentID, x.CheckID, x.Resource); err != nil {
			return internal("remove result", err)
		}
	}
	trans := append(changed[:len(changed):len(changed)], gone...)
	if len(trans) == 0 {
		return nil
	}
	if err := t.insertRows(ctx, "INSERT INTO check_transitions (agent_id, check_id, resource, verdict, reason, at) VALUES ", 6, len(trans), func(i int) []any {
		x := trans[i]
		return []any{agentID, x.CheckID, x.Resource, x.Verdict, x.Reason, ts}
	}); err != nil {
		return internal("store transitions", err)
	}
	return nil
}

// verdictCounts is the agent's results by verdict (pass, fail, error,
// other): counted again when they changed, else as last stored.
func verdictCounts(ctx context.Context, t *wtx, agentID int64, changed bool) ([4]int, error) {
	var n [4]int
	if !changed {
		err := t.queryRow(ctx, "SELECT n_pass, n_fail, n_error, n_na FROM agents WHERE id = ?", agentID).Scan(&n[0], &n[1], &n[2], &n[3])
		return n, internal2("read counts", err)
	}
	rows, err := t.query(ctx, "SELECT verdict, COUNT(*) FROM check_current WHERE agent_id = ? GROUP BY verdict", agentID)
	if err != nil {
		return n, internal("count results", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v string
		var c int
		if err := rows.Scan(&v, &c); err != nil {
			return n, internal("count results", err)
		}
		switch v {
		case "pass":
			n[0] += c
		case "fail":
			n[1] += c
		case "error":
			n[2] += c
		default:
			n[3] += c
		}
	}
	return n, internal2("count results", rows.Err())
}

// recordTailoring keeps the host's new tailoring: turning a check off
// needs a justification, and the change is in the activity log like any
// other.
func recordTailoring(ctx context.Context, t *wtx, agentID int64, hostname, before, after string, disabled map[string]string) error {
	var old map[string]string
	_ = json.Unmarshal([]byte(before), &old)
	if _, err := t.exec(ctx, "UPDATE agents SET tailoring = ? WHERE id = ?", after, agentID); err != nil {
		return internal("record tailoring", err)
	}
	t.actor = vigil.Actor{Name: "agent:" + hostname}
	return t.log(ctx, "agent.tailoring", "agent", strconv.FormatInt(agentID, 10), map[string]any{"disabled": old}, map[string]any{"disabled": disabled})
}

// extendCoverage extends the current stretch when this report came within
// the grace of the last one, else opens a new stretch.
func extendCoverage(ctx context.Context, t *wtx, agentID int64, at, lastSeen time.Time, grace time.Duration) error {
	ts := t.d.ts(at)
	if !lastSeen.IsZero() && at.Sub(lastSeen) <= grace {
		res, err := t.exec(ctx, "UPDATE agent_coverage SET end_at = ? WHERE agent_id = ? AND end_at = ?", ts, agentID, t.d.ts(lastSeen))
		if err != nil {
			return internal("record coverage", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
	}
	// A new stretch when the report came late, or when the stretch it
	// should extend is not found: coverage is never silently lost.
	if _, err := t.exec(ctx, "INSERT INTO agent_coverage (agent_id, start_at, end_at) VALUES (?, ?, ?) ON CONFLICT (agent_id, start_at) DO UPDATE SET end_at = excluded.end_at",
		agentID, ts, ts); err != nil {
		return internal("record coverage", err)
	}
	return nil
}

// AgentSeq is an agent's last accepted report, so that an agent whose
// state was lost can resume.
func (s *Store) AgentSeq(ctx context.Context, id int64) (int64, error) {
	var seq int64
	err := s.queryRow(ctx, "SELECT last_seq FROM agents WHERE id = ?", id).Scan(&seq)
	return seq, internal2("read agent", err)
}

// CurrentResults lists current results, of one agent (agentID > 0), of one
// check (checkID != ""), or all.
func (s *Store) CurrentResults(ctx context.Context, agentID int64, checkID string) ([]vigil.CurrentResult, error) {
	q := "SELECT c.agent_id, a.name, c.check_id, c.resource, c.verdict, c.reason, c.since FROM check_current c JOIN agents a ON a.id = c.agent_id WHERE a.revoked_at IS NULL"
	var args []any
	if agentID > 0 {
		q += " AND c.agent_id = ?"
		args = append(args, agentID)
	}
	if checkID != "" {
		q += " AND c.check_id = ?"
		args = append(args, checkID)
	}
	rows, err := s.query(ctx, q+" ORDER BY c.agent_id, c.check_id, c.resource", args...)
	if err != nil {
		return nil, internal("list results", err)
	}
	return scanRows(rows, "list results", "scan result", func(r scanner) (vigil.CurrentResult, error) {
		var x vigil.CurrentResult
		var since dbTime
		err := r.Scan(&x.AgentID, &x.AgentName, &x.CheckID, &x.Resource, &x.Verdict, &x.Reason, &since)
		x.Since = since.T
		return x, err
	})
}

// FleetByCheck counts, per check, the hosts in each state (a host counts
// once per check, by its worst resource; stale hosts as stale).
func (s *Store) FleetByCheck(ctx context.Context, now time.Time) ([]vigil.FleetCount, error) {
	rows, err := s.query(ctx, `SELECT check_id,
		SUM(CASE WHEN w = 4 THEN 1 ELSE 0 END), SUM(CASE WHEN w = 3 THEN 1 ELSE 0 END), SUM(CASE WHEN w = 2 THEN 1 ELSE 0 END),
		SUM(CASE WHEN w = 1 THEN 1 ELSE 0 END), SUM(CASE WHEN w = 0 THEN 1 ELSE 0 END)
		FROM (SELECT c.check_id, c.agent_id,
		        CASE WHEN a.stale_after IS NULL OR a.stale_after < ? THEN 4
		        ELSE MAX(CASE c.verdict WHEN 'fail' THEN 3 WHEN 'error' THEN 2 WHEN 'pass' THEN 1 ELSE 0 END) END AS w
		      FROM check_current c JOIN agents a ON a.id = c.agent_id WHERE a.revoked_at IS NULL
		      GROUP BY c.check_id, c.agent_id, a.stale_after) x
		GROUP BY check_id ORDER BY check_id`, s.d.ts(now))
	if err != nil {
		return nil, internal("fleet", err)
	}
	return scanRows(rows, "fleet", "fleet", func(r scanner) (vigil.FleetCount, error) {
		var f vigil.FleetCount
		err := r.Scan(&f.CheckID, &f.Stale, &f.Fail, &f.Error, &f.Pass, &f.Other)
		return f, err
	})
}

// Transitions lists the transitions of an agent's results (all checks when
// checkID is empty) up to `to`, oldest first. Those before `from` are
// needed too: they set the state at the window's start.
func (s *Store) Transitions(ctx context.Context, agentID int64, checkID string, to time.Time) ([]vigil.Transition, error) {
	q := "SELECT agent_id, check_id, resource, verdict, reason, at FROM check_transitions WHERE agent_id = ? AND at < ?"
	args := []any{agentID, s.d.ts(to)}
	if checkID != "" {
		q += " AND check_id = ?"
		args = append(args, checkID)
	}
	rows, err := s.query(ctx, q+" ORDER BY check_id, resource, at, id", args...)
	if err != nil {
		return nil, internal("list transitions", err)
	}
	return scanTransitions(rows)
}

// Coverage lists the stretches in which an agent reported on schedule.
func (s *Store) Coverage(ctx context.Context, agentID int64) ([]vigil.Coverage, error) {
	rows, err := s.query(ctx, "SELECT start_at, end_at FROM agent_coverage WHERE agent_id = ? ORDER BY start_at", agentID)
	if err != nil {
		return nil, internal("list coverage", err)
	}
	defer rows.Close()
	var out []vigil.Coverage
	for rows.Next() {
		var a, b dbTime
		if err := rows.Scan(&a, &b); err != nil {
			return nil, internal("scan coverage", err)
		}
		out = append(out, vigil.Coverage{Start: a.T, End: b.T})
	}
	return out, internal2("list coverage", rows.Err())
}

// nonNilMap makes a nil tailoring the empty one, so both encode as {}.
func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// CompactRuns deletes the heartbeat runs (runs that changed nothing)
// received before the given time, in batches so that ingest is never held
// up for long, and returns how many it deleted. Runs that changed a
// result, brought a new input, failed partly or came after a gap are
// kept; coverage, transitions and inputs are untouched, so history over
// any window is the same before and after.
func (s *Store) CompactRuns(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	// Through the heartbeats' own index: the runs kept before the cutoff
	// accumulate and must not be scanned at every batch.
	from := s.d.heartbeatRuns
	for {
		res, err := s.w.ExecContext(ctx, s.d.rebind(`DELETE FROM check_runs WHERE id IN
			(SELECT id FROM `+from+` WHERE heartbeat AND received_at < ? LIMIT 5000)`), s.d.ts(before))
		if err != nil {
			return total, internal("compact runs", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < 5000 {
			return total, nil
		}
	}
}

// InputUse is one normalized input an agent's runs named in a period.
type InputUse struct {
	AgentID  int64     `json:"agent_id"`
	Hostname string    `json:"hostname"`
	SHA256   string    `json:"sha256"`
	First    time.Time `json:"first_scanned_at"`
	Last     time.Time `json:"last_scanned_at"`
	Runs     int       `json:"runs"`
	Stored   bool      `json:"stored"` // the input's bytes are kept (monitor_inputs)
}

// InputsReceived lists the inputs named by the runs received in [from,
// to), per agent, in agent and time order.
func (s *Store) InputsReceived(ctx context.Context, from, to time.Time) ([]InputUse, error) {
	rows, err := s.query(ctx, `SELECT r.agent_id, a.hostname, r.input_sha256, MIN(r.scanned_at), MAX(r.scanned_at), COUNT(*),
			EXISTS (SELECT 1 FROM monitor_inputs i WHERE i.sha256 = r.input_sha256)
		FROM check_runs r JOIN agents a ON a.id = r.agent_id
		WHERE r.received_at >= ? AND r.received_at < ? AND r.input_sha256 <> ''
		GROUP BY r.agent_id, a.hostname, r.input_sha256
		ORDER BY r.agent_id, MIN(r.scanned_at)`, s.d.ts(from), s.d.ts(to))
	if err != nil {
		return nil, internal("list inputs", err)
	}
	return scanRows(rows, "list inputs", "list inputs", func(r scanner) (InputUse, error) {
		var u InputUse
		var first, last dbTime
		err := r.Scan(&u.AgentID, &u.Hostname, &u.SHA256, &first, &last, &u.Runs, &u.Stored)
		u.First, u.Last = first.T, last.T
		return u, err
	})
}

// LastSealedDay is the effective day of the newest collector evidence
// whose file name starts with prefix ("" when there is none).
func (s *Store) LastSealedDay(ctx context.Context, prefix string) (vigil.Date, error) {
	var d sql.NullString
	// substr, not LIKE: "_" is a wildcard there and SQLite's LIKE ignores case.
	err := s.queryRow(ctx, "SELECT MAX(effective_start) FROM evidence WHERE source = ? AND substr(filename, 1, ?) = ?",
		string(vigil.SourceCollector), len(prefix), prefix).Scan(&d)
	if err != nil {
		return "", internal("last sealed day", err)
	}
	return vigil.Date(d.String), nil
}

// Runs lists an agent's recent runs, newest first.
func (s *Store) Runs(ctx context.Context, agentID int64, limit int) ([]vigil.CheckRun, error) {
	rows, err := s.query(ctx, `SELECT id, agent_id, seq, scanned_at, received_at, duration_ms, status, n_changes, n_pass, n_fail, n_error, n_na, input_sha256
		FROM check_runs WHERE agent_id = ? ORDER BY id DESC LIMIT `+strconv.Itoa(max(1, limit)), agentID)
	if err != nil {
		return nil, internal("list runs", err)
	}
	defer rows.Close()
	out := []vigil.CheckRun{}
	for rows.Next() {
		var x vigil.CheckRun
		var a, b dbTime
		if err := rows.Scan(&x.ID, &x.AgentID, &x.Seq, &a, &b, &x.DurationMS, &x.Status, &x.Changes, &x.Pass, &x.Fail, &x.Error, &x.NA, &x.Input); err != nil {
			return nil, internal("scan run", err)
		}
		x.ScannedAt, x.ReceivedAt = a.T, b.T
		out = append(out, x)
	}
	return out, internal2("list runs", rows.Err())
}

// MonitorInput returns a stored normalized input (base64 gzip).
func (s *Store) MonitorInput(ctx context.Context, sha string) (string, error) {
	var data string
	err := s.queryRow(ctx, "SELECT data FROM monitor_inputs WHERE sha256 = ?", sha).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return "", vigil.NotFound("input", sha)
	}
	return data, internal2("read input", err)
}

// MonitorVersion changes whenever a result changes or an agent's
// freshness could: readiness caches on it.
func (s *Store) MonitorVersion(ctx context.Context) (string, error) {
	var tmax, amax, rev, tail int64
	// Tailoring and its approval are in the activity log: its head moves
	// with them.
	err := s.queryRow(ctx, `SELECT (SELECT COALESCE(MAX(id), 0) FROM check_transitions), (SELECT COALESCE(MAX(id), 0) FROM agents),
		(SELECT COUNT(*) FROM agents WHERE revoked_at IS NOT NULL),
		(SELECT COALESCE(MAX(seq), 0) FROM activity_head)`).Scan(&tmax, &amax, &rev, &tail)
	if err != nil {
		return "", internal("monitor version", err)
	}
	return strconv.FormatInt(tmax, 10) + "." + strconv.FormatInt(amax, 10) + "." + strconv.FormatInt(rev, 10) + "." + strconv.FormatInt(tail, 10), nil
}

// ClaimLease takes the named lease for holder until now+ttl if it is free,
// expired, or already the holder's, and reports whether it did. Replicas
// on one database use it so that a scheduled job runs once.
func (s *Store) ClaimLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	n := now()
	res, err := s.w.ExecContext(ctx, s.d.rebind(`INSERT INTO scheduler_leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE scheduler_leases.expires_at < ? OR scheduler_leases.holder = excluded.holder`), name, holder, s.d.ts(n.Add(ttl)), s.d.ts(n))
	if err != nil {
		return false, internal("claim lease", err)
	}
	k, _ := res.RowsAffected()
	return k == 1, nil
}

// LeaseLastRun reads and MarkLeaseRun records when a job last ran.
func (s *Store) LeaseLastRun(ctx context.Context, name string) (time.Time, error) {
	var t dbTime
	err := s.queryRow(ctx, "SELECT last_run FROM scheduler_leases WHERE name = ?", name).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	return t.T, internal2("read lease", err)
}

// MarkLeaseRun records that the holder ran the job now.
// It fails when holder no longer holds the lease.
func (s *Store) MarkLeaseRun(ctx context.Context, name, holder string) error {
	n := now()
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE scheduler_leases SET last_run = ? WHERE name = ? AND holder = ? AND expires_at >= ?"),
		s.d.ts(n), name, holder, s.d.ts(n))
	if err != nil {
		return internal("mark lease", err)
	}
	if k, _ := res.RowsAffected(); k != 1 {
		return vigil.Errorf(vigil.ECONFLICT, "the lease of %s is no longer held by %s", name, holder)
	}
	return nil
}

// LocalAgent returns the agent record of the server's own host, creating
// it on first use. It has no usable credential: only the server reports
// for it.
func (s *Store) LocalAgent(ctx context.Context, name, hostname string, interval int) (*vigil.Agent, error) {
	a, err := scanAgent(s.queryRow(ctx, "SELECT "+agentCols+" FROM agents WHERE secret_hash = ?", "local:"+hostname))
	if err == nil {
		return a, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, internal("read agent", err)
	}
	a = &vigil.Agent{Name: name, Hostname: hostname, Version: "server", Interval: interval}
	err = s.write(ctx, func(t *wtx) error {
		a.Enrolled = t.now
		err := t.queryRow(ctx, `INSERT INTO agents (name, hostname, os, kernel, version, interval_seconds, secret_hash, enrolled_at)
			VALUES (?, ?, '', '', 'server', ?, ?, ?) RETURNING id`, name, hostname, interval, "local:"+hostname, t.d.ts(t.now)).Scan(&a.ID)
		if isUnique(err) {
			return vigil.Errorf(vigil.ECONFLICT, "the local agent was created concurrently")
		}
		if err != nil {
			return internal("create local agent", err)
		}
		return t.log(ctx, "agent.enrol", "agent", strconv.FormatInt(a.ID, 10), nil, a)
	})
	if vigil.ErrorCode(err) == vigil.ECONFLICT {
		return s.LocalAgent(ctx, name, hostname, interval)
	}
	return a, err
}

// TransitionsForChecks lists the transitions of the given checks on every
// host up to `to`, ordered by host, check, resource and time.
func (s *Store) TransitionsForChecks(ctx context.Context, checkIDs []string, to time.Time) ([]vigil.Transition, error) {
	if len(checkIDs) == 0 {
		return nil, nil
	}
	args := []any{s.d.ts(to)}
	q := "SELECT agent_id, check_id, resource, verdict, reason, at FROM check_transitions WHERE at < ? AND check_id IN (?" + strings.Repeat(", ?", len(checkIDs)-1) + ")"
	for _, c := range checkIDs {
		args = append(args, c)
	}
	rows, err := s.query(ctx, q+" ORDER BY agent_id, check_id, resource, at, id", args...)
	if err != nil {
		return nil, internal("list transitions", err)
	}
	return scanTransitions(rows)
}

// AllCoverage lists every agent's reporting stretches.
func (s *Store) AllCoverage(ctx context.Context) (map[int64][]vigil.Coverage, error) {
	rows, err := s.query(ctx, "SELECT agent_id, start_at, end_at FROM agent_coverage ORDER BY agent_id, start_at")
	if err != nil {
		return nil, internal("list coverage", err)
	}
	defer rows.Close()
	out := map[int64][]vigil.Coverage{}
	for rows.Next() {
		var id int64
		var a, b dbTime
		if err := rows.Scan(&id, &a, &b); err != nil {
			return nil, internal("scan coverage", err)
		}
		out[id] = append(out[id], vigil.Coverage{Start: a.T, End: b.T})
	}
	return out, internal2("list coverage", rows.Err())
}

// AgentTailoring returns the checks a host's tailoring turns off, with the
// justification of each, and the part of it the server has not approved
// (a check newly turned off, or its justification changed).
// The digest names the tailoring read, for ApproveTailoring: an approval
// covers exactly what was shown.
func (s *Store) AgentTailoring(ctx context.Context, id int64) (disabled, unapproved map[string]string, digest string, err error) {
	var raw, approved string
	if err := s.queryRow(ctx, "SELECT tailoring, tailoring_approved FROM agents WHERE id = ?", id).Scan(&raw, &approved); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil, "", vigil.NotFound("agent", id)
		}
		return nil, nil, "", internal("read tailoring", err)
	}
	disabled, unapproved, err = unapprovedOf(raw, approved)
	return disabled, unapproved, tailoringDigest(raw), err
}

// unapprovedOf decodes a tailoring and what of it differs from the
// approved one.
func unapprovedOf(raw, approved string) (disabled, unapproved map[string]string, err error) {
	disabled, ok := map[string]string{}, map[string]string{}
	if err := json.Unmarshal([]byte(raw), &disabled); err != nil {
		return nil, nil, internal("read tailoring", err)
	}
	if err := json.Unmarshal([]byte(approved), &ok); err != nil {
		return nil, nil, internal("read approved tailoring", err)
	}
	unapproved = map[string]string{}
	for id, why := range disabled {
		if w, found := ok[id]; !found || w != why {
			unapproved[id] = why
		}
	}
	return disabled, unapproved, nil
}

// UnapprovedTailoring lists, per live agent, the checks its tailoring
// turns off without the server's approval.
func (s *Store) UnapprovedTailoring(ctx context.Context) (map[int64]map[string]string, error) {
	rows, err := s.query(ctx, "SELECT id, tailoring, tailoring_approved FROM agents WHERE revoked_at IS NULL AND tailoring <> tailoring_approved")
	if err != nil {
		return nil, internal("list tailoring", err)
	}
	defer rows.Close()
	out := map[int64]map[string]string{}
	for rows.Next() {
		var id int64
		var raw, approved string
		if err := rows.Scan(&id, &raw, &approved); err != nil {
			return nil, internal("list tailoring", err)
		}
		_, un, err := unapprovedOf(raw, approved)
		if err != nil {
			return nil, err
		}
		if len(un) > 0 {
			out[id] = un
		}
	}
	return out, internal2("list tailoring", rows.Err())
}

// ApproveTailoring approves a host's tailoring as it stands, provided it
// is still the one the approver saw (seen: the digest AgentTailoring
// gave), and records the approval in the activity log.
func (s *Store) ApproveTailoring(ctx context.Context, id int64, seen string) (map[string]string, error) {
	var approved map[string]string
	err := s.write(ctx, func(t *wtx) error {
		var raw, before string
		if err := t.queryRow(ctx, "SELECT tailoring, tailoring_approved FROM agents WHERE id = ?", id).Scan(&raw, &before); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return vigil.NotFound("agent", id)
			}
			return internal("read tailoring", err)
		}
		if tailoringDigest(raw) != seen {
			return &vigil.Error{Code: vigil.ECONFLICT, Field: "tailoring", Message: "the host's tailoring changed since it was shown; review it again"}
		}
		var old map[string]string
		if err := json.Unmarshal([]byte(raw), &approved); err != nil {
			return internal("read tailoring", err)
		}
		_ = json.Unmarshal([]byte(before), &old)
		if _, err := t.exec(ctx, "UPDATE agents SET tailoring_approved = ? WHERE id = ?", raw, id); err != nil {
			return internal("approve tailoring", err)
		}
		return t.log(ctx, "agent.tailoring_approved", "agent", strconv.FormatInt(id, 10), map[string]any{"approved": old}, map[string]any{"approved": approved})
	})
	return approved, err
}

// tailoringDigest names one state of a host's tailoring, so an approval
// applies to what the approver saw. The whole SHA-256: a host that could
// find a second tailoring with the same digest could have a different one
// approved, and 64 bits fall to about 2^32 work.
func tailoringDigest(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

func scanTransitions(rows *sql.Rows) ([]vigil.Transition, error) {
	defer rows.Close()
	var out []vigil.Transition
	for rows.Next() {
		var x vigil.Transition
		var at dbTime
		if err := rows.Scan(&x.AgentID, &x.CheckID, &x.Resource, &x.Verdict, &x.Reason, &at); err != nil {
			return nil, internal("scan transition", err)
		}
		x.At = at.T
		out = append(out, x)
	}
	return out, internal2("list transitions", rows.Err())
}
