package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/vigil-soc/vigil"
)

// log appends an activity entry in the transaction. Locking the head row
// serialises writers on PostgreSQL (SQLite has one writer already), so the
// chain never forks.
func (t *wtx) log(ctx context.Context, action, entityType, entityID string, before, after any) error {
	a := vigil.Activity{
		At: t.now, ActorID: t.actor.UserID, ActorName: t.actor.Name,
		Action: action, EntityType: entityType, EntityID: entityID,
	}
	if a.ActorName == "" {
		a.ActorName = "unknown"
	}
	var err error
	if a.Before, err = marshalState(before); err != nil {
		return internal("encode activity", err)
	}
	if a.After, err = marshalState(after); err != nil {
		return internal("encode activity", err)
	}
	if t.head == nil {
		var h activityHead
		if err := t.queryRow(ctx, "SELECT seq, hash FROM activity_head WHERE id = 1"+t.d.forUpdate).Scan(&h.seq, &h.hash); err != nil {
			return internal("read activity head", err)
		}
		t.head = &h
	}
	a.Seq, a.PrevHash = t.head.seq+1, t.head.hash
	a.Hash = a.ComputeHash()
	// Rows are written together at commit (flushActivity), with the head.
	t.pending = append(t.pending, a)
	t.head.seq, t.head.hash = a.Seq, a.Hash
	return nil
}

func marshalState(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// flushActivity writes the entries appended in this transaction and moves
// the head, just before commit.
func (t *wtx) flushActivity(ctx context.Context) error {
	if len(t.pending) == 0 {
		return nil
	}
	err := t.insertRows(ctx, "INSERT INTO activity (seq, at, actor_id, actor_name, action, entity_type, entity_id, before_json, after_json, prev_hash, hash) VALUES ", 11, len(t.pending), func(i int) []any {
		a := &t.pending[i]
		return []any{a.Seq, t.d.ts(a.At), a.ActorID, a.ActorName, a.Action, a.EntityType, a.EntityID, string(a.Before), string(a.After), a.PrevHash, a.Hash}
	})
	if err != nil {
		return internal("append activity", err)
	}
	if _, err := t.exec(ctx, "UPDATE activity_head SET seq = ?, hash = ? WHERE id = 1", t.head.seq, t.head.hash); err != nil {
		return internal("update activity head", err)
	}
	t.pending = nil
	return nil
}

// ListActivity returns entries newest first.
func (s *Store) ListActivity(ctx context.Context, f vigil.ActivityFilter) ([]vigil.Activity, error) {
	var where []string
	var args []any
	if f.ActorID != 0 {
		where, args = append(where, "actor_id = ?"), append(args, f.ActorID)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			where, args = append(where, "substr(action, 1, ?) = ?"), append(args, len(f.Action), f.Action)
		} else {
			where, args = append(where, "action = ?"), append(args, f.Action)
		}
	}
	if f.EntityType != "" {
		where, args = append(where, "entity_type = ?"), append(args, f.EntityType)
	}
	if f.EntityID != "" {
		where, args = append(where, "entity_id = ?"), append(args, f.EntityID)
	}
	if f.Before > 0 {
		where, args = append(where, "seq < ?"), append(args, f.Before)
	}
	q := "SELECT seq, at, actor_id, actor_name, action, entity_type, entity_id, before_json, after_json, prev_hash, hash FROM activity"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq DESC"
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
	}
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, internal("list activity", err)
	}
	return scanRows(rows, "list activity", "scan activity", scanActivity)
}

type scanner interface{ Scan(...any) error }

func scanActivity(r scanner) (vigil.Activity, error) {
	var a vigil.Activity
	var at dbTime
	var before, after string
	err := r.Scan(&a.Seq, &at, &a.ActorID, &a.ActorName, &a.Action, &a.EntityType, &a.EntityID, &before, &after, &a.PrevHash, &a.Hash)
	a.At = at.T
	if before != "" {
		a.Before = json.RawMessage(before)
	}
	if after != "" {
		a.After = json.RawMessage(after)
	}
	return a, err
}

// VerifyActivity walks the whole activity log in order and reports the first
// entry that was edited, removed or inserted.
func (s *Store) VerifyActivity(ctx context.Context) (*vigil.ChainVerification, error) {
	// Read the head and the log in one read transaction so that a concurrent
	// append cannot look like tampering.
	tx, err := s.snapshot(ctx)
	if err != nil {
		return nil, internal("begin read", err)
	}
	defer tx.Rollback()
	var headSeq int64
	var headHash string
	if err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM activity_head WHERE id = 1").Scan(&headSeq, &headHash); err != nil {
		return nil, internal("read activity head", err)
	}
	rows, err := tx.QueryContext(ctx, "SELECT seq, at, actor_id, actor_name, action, entity_type, entity_id, before_json, after_json, prev_hash, hash FROM activity ORDER BY seq")
	if err != nil {
		return nil, internal("read activity", err)
	}
	defer rows.Close()
	v := vigil.NewChainVerifier()
	for rows.Next() {
		a, err := scanActivity(rows)
		if err != nil {
			return nil, internal("scan activity", err)
		}
		if !v.Add(&a) {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return nil, internal("read activity", err)
	}
	b := v.Finish(headSeq, headHash)
	return &vigil.ChainVerification{Checked: v.Checked, HeadSeq: headSeq, OK: b == nil, Break: b}, nil
}

// internal2 is internal for an error that may be nil.
func internal2(op string, err error) error {
	if err == nil {
		return nil
	}
	return internal(op, err)
}

// StateVersion returns a number that changes with every mutation (the
// activity log's head), so that derived views such as readiness can be
// cached until the state they derive from changes.
func (s *Store) StateVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := s.queryRow(ctx, "SELECT seq FROM activity_head WHERE id = 1").Scan(&v); err != nil {
		return 0, internal("read state version", err)
	}
	return v, nil
}

// EntityVersion is the sequence number of the newest activity entry about
// any of the entity types (0: none): it moves whenever one of them is
// written, since every write logs its entry in its transaction. A cache
// keyed by it must name every type its contents derive from.
func (s *Store) EntityVersion(ctx context.Context, types ...string) (int64, error) {
	if len(types) == 0 {
		return 0, internal("read entity version", errors.New("no entity type named"))
	}
	// One probe of the (entity_type, seq) index per type.
	var v int64
	for _, t := range types {
		var n sql.NullInt64
		if err := s.queryRow(ctx, "SELECT MAX(seq) FROM activity WHERE entity_type = ?", t).Scan(&n); err != nil {
			return 0, internal("read entity version", err)
		}
		v = max(v, n.Int64)
	}
	return v, nil
}
