package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/ledger"
)

// nodeReader reads stored Merkle nodes through a querier (the read pool or
// a write transaction).
type nodeReader struct{ q querier }

// Nodes returns the hashes of ids, in order; a missing node is an error.
func (n nodeReader) Nodes(ctx context.Context, ids []ledger.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var conds []string
	var args []any
	pos := map[[2]uint64]int{}
	for i, id := range ids {
		conds = append(conds, "(level = ? AND idx = ?)")
		args = append(args, int64(id.Level), int64(id.Index))
		pos[[2]uint64{uint64(id.Level), id.Index}] = i
	}
	rows, err := n.q.query(ctx, "SELECT level, idx, hash FROM ledger_nodes WHERE "+strings.Join(conds, " OR "), args...)
	if err != nil {
		return nil, internal("read ledger nodes", err)
	}
	defer rows.Close()
	found := 0
	for rows.Next() {
		var level, idx int64
		var h string
		if err := rows.Scan(&level, &idx, &h); err != nil {
			return nil, internal("scan ledger node", err)
		}
		b, err := hex.DecodeString(h)
		if err != nil {
			return nil, fmt.Errorf("ledger node %d/%d is not hex", level, idx)
		}
		out[pos[[2]uint64{uint64(level), uint64(idx)}]] = b
		found++
	}
	if err := rows.Err(); err != nil {
		return nil, internal("read ledger nodes", err)
	}
	if found != len(ids) {
		for i, b := range out {
			if b == nil {
				return nil, fmt.Errorf("ledger node %d/%d is missing", ids[i].Level, ids[i].Index)
			}
		}
	}
	return out, nil
}

// LedgerNodes returns a NodeReader on the read pool.
func (s *Store) LedgerNodes() ledger.NodeReader { return nodeReader{q: s} }

// LedgerSize returns the number of entries in the log.
func (s *Store) LedgerSize(ctx context.Context) (uint64, error) {
	return ledgerSize(ctx, s)
}

func ledgerSize(ctx context.Context, q querier) (uint64, error) {
	var n int64
	if err := q.queryRow(ctx, "SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entries").Scan(&n); err != nil {
		return 0, internal("read ledger size", err)
	}
	return uint64(n), nil
}

// appendEntries appends records to the log in the transaction: the entry
// rows, the leaves and every subtree node they complete.
func (t *wtx) appendEntries(ctx context.Context, kinds, refs []string, records [][]byte) (first uint64, err error) {
	size, err := ledgerSize(ctx, t)
	if err != nil {
		return 0, err
	}
	r, err := ledger.RangeAt(ctx, nodeReader{q: t}, size)
	if err != nil {
		return 0, err
	}
	type node struct {
		level uint
		idx   uint64
		hash  []byte
	}
	var nodes []node
	for _, rec := range records {
		leaf := ledger.LeafHash(rec)
		// The visitor reports the leaf itself and every node it completes.
		if err := r.Append(leaf, func(id ledger.NodeID, h []byte) { nodes = append(nodes, node{id.Level, id.Index, h}) }); err != nil {
			return 0, err
		}
	}
	// Multi-row inserts: a batch of appends is a handful of statements,
	// not several per entry.
	ts := t.d.ts(t.now)
	if err := t.insertRows(ctx, "INSERT INTO ledger_entries (idx, kind, ref, record, created_at) VALUES ", 5, len(records), func(i int) []any {
		return []any{int64(size) + int64(i), kinds[i], refs[i], string(records[i]), ts}
	}); err != nil {
		return 0, internal("append ledger entries", err)
	}
	if err := t.insertRows(ctx, "INSERT INTO ledger_nodes (level, idx, hash) VALUES ", 3, len(nodes), func(i int) []any {
		return []any{int64(nodes[i].level), int64(nodes[i].idx), hex.EncodeToString(nodes[i].hash)}
	}); err != nil {
		return 0, internal("store ledger nodes", err)
	}
	return size, nil
}

// maxInsertRows bounds the rows of one multi-row insert on SQLite, and
// maxExactRows on PostgreSQL (a batch of 256 items is then one statement a
// table, but for its log nodes). With the widest table (16 columns) they
// are 1,024 and 4,096 parameters, below SQLite's 32,766 and PostgreSQL's
// 65,535.
const (
	maxInsertRows = 64
	maxExactRows  = 256
)

// insertRows inserts n rows of cols values each. On SQLite the rows go in
// statements of 64, 32, 16, 8, 4, 2 and 1 rows (n's binary digits, 64 at a
// time): a handful of statements for any n, and at most seven texts per
// table, so each is prepared once and reused by every later batch rather
// than parsed again for each batch's own count. On PostgreSQL they go in as
// few statements as maxExactRows allows (dialect.driverPrepares).
func (t *wtx) insertRows(ctx context.Context, prefix string, cols, n int, row func(i int) []any, suffix ...string) error {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	args := make([]any, 0, min(n, maxExactRows)*cols)
	for start := 0; start < n; {
		rows := min(n-start, maxExactRows)
		if !t.d.driverPrepares {
			for rows = maxInsertRows; rows > n-start; {
				rows /= 2
			}
		}
		args = args[:0]
		for i := start; i < start+rows; i++ {
			args = append(args, row(i)...)
		}
		q := prefix + strings.TrimSuffix(strings.Repeat(one+", ", rows), ", ") + strings.Join(suffix, "")
		if _, err := t.exec(ctx, q, args...); err != nil {
			return err
		}
		start += rows
	}
	return nil
}

// LedgerEntry is one log entry.
type LedgerEntry struct {
	Index  uint64
	Kind   string
	Ref    string
	Record []byte
}

// LedgerEntries calls fn for entries from index from (inclusive) in order.
func (s *Store) LedgerEntries(ctx context.Context, from uint64, fn func(LedgerEntry) error) error {
	rows, err := s.query(ctx, "SELECT idx, kind, ref, record FROM ledger_entries WHERE idx >= ? ORDER BY idx", int64(from))
	if err != nil {
		return internal("read ledger", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e LedgerEntry
		var idx int64
		var rec string
		if err := rows.Scan(&idx, &e.Kind, &e.Ref, &rec); err != nil {
			return internal("scan ledger entry", err)
		}
		e.Index, e.Record = uint64(idx), []byte(rec)
		if err := fn(e); err != nil {
			return err
		}
	}
	return internal2("read ledger", rows.Err())
}

// LedgerEntry returns one entry.
func (s *Store) LedgerEntry(ctx context.Context, idx uint64) (*LedgerEntry, error) {
	var e LedgerEntry
	var rec string
	err := s.queryRow(ctx, "SELECT kind, ref, record FROM ledger_entries WHERE idx = ?", int64(idx)).Scan(&e.Kind, &e.Ref, &rec)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("ledger entry", idx)
	}
	if err != nil {
		return nil, internal("read ledger entry", err)
	}
	e.Index, e.Record = idx, []byte(rec)
	return &e, nil
}

// SaveCheckpoint keeps a signed checkpoint; one per size.
func (s *Store) SaveCheckpoint(ctx context.Context, c vigil.Checkpoint) error {
	_, err := s.w.ExecContext(ctx, s.d.rebind("INSERT INTO ledger_checkpoints (size, root, note, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (size) DO NOTHING"),
		int64(c.Size), c.Root, c.Note, s.d.ts(now()))
	return internal2("save checkpoint", err)
}

// Checkpoints returns every checkpoint, oldest first.
func (s *Store) Checkpoints(ctx context.Context) ([]vigil.Checkpoint, error) {
	rows, err := s.query(ctx, "SELECT size, root, note, created_at FROM ledger_checkpoints ORDER BY size")
	if err != nil {
		return nil, internal("read checkpoints", err)
	}
	defer rows.Close()
	out := []vigil.Checkpoint{}
	for rows.Next() {
		var c vigil.Checkpoint
		var size int64
		var at dbTime
		if err := rows.Scan(&size, &c.Root, &c.Note, &at); err != nil {
			return nil, internal("scan checkpoint", err)
		}
		c.Size, c.CreatedAt = uint64(size), at.T
		out = append(out, c)
	}
	return out, internal2("read checkpoints", rows.Err())
}

// LedgerKeys returns the registered verifier keys.
func (s *Store) LedgerKeys(ctx context.Context) ([]string, error) {
	rows, err := s.query(ctx, "SELECT vkey FROM ledger_keys ORDER BY created_at")
	if err != nil {
		return nil, internal("read ledger keys", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, internal("scan ledger key", err)
		}
		out = append(out, k)
	}
	return out, internal2("read ledger keys", rows.Err())
}

// RegisterLedgerKey records a verifier key (idempotent).
func (s *Store) RegisterLedgerKey(ctx context.Context, vkey, origin string) error {
	_, err := s.w.ExecContext(ctx, s.d.rebind("INSERT INTO ledger_keys (vkey, origin, created_at) VALUES (?, ?, ?) ON CONFLICT (vkey) DO NOTHING"), vkey, origin, s.d.ts(now()))
	return internal2("register ledger key", err)
}

// BlobInfo is a stored blob's row.
type BlobInfo struct {
	SHA256     string
	Size       int64
	StoredSize int64
	WrappedKey string
	Object     string // blob store object name; "" when inline
	Inline     []byte // the encrypted bytes of a small blob; nil when stored as an object
	CreatedAt  time.Time
}

func scanBlob(r scanner) (*BlobInfo, error) {
	var b BlobInfo
	var at dbTime
	var inline sql.NullString
	if err := r.Scan(&b.SHA256, &b.Size, &b.StoredSize, &b.WrappedKey, &b.Object, &inline, &at); err != nil {
		return nil, err
	}
	if inline.Valid {
		raw, err := base64.StdEncoding.DecodeString(inline.String)
		if err != nil {
			return nil, fmt.Errorf("inline blob %s is not base64", b.SHA256)
		}
		b.Inline = raw
	}
	b.CreatedAt = at.T
	return &b, nil
}

const blobCols = "sha256, size, stored_size, wrapped_key, object, inline_data, created_at"

// Blob returns a blob's row; ENOTFOUND if the blob is not recorded.
func (s *Store) Blob(ctx context.Context, sha string) (*BlobInfo, error) {
	b, err := scanBlob(s.queryRow(ctx, "SELECT "+blobCols+" FROM blobs WHERE sha256 = ?", sha))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("blob", sha)
	}
	if err != nil {
		return nil, internal("read blob", err)
	}
	return b, nil
}

// Blobs calls fn for every recorded blob.
func (s *Store) Blobs(ctx context.Context, fn func(BlobInfo) error) error {
	rows, err := s.query(ctx, "SELECT "+blobCols+" FROM blobs ORDER BY sha256")
	if err != nil {
		return internal("read blobs", err)
	}
	defer rows.Close()
	for rows.Next() {
		b, err := scanBlob(rows)
		if err != nil {
			return internal("scan blob", err)
		}
		if err := fn(*b); err != nil {
			return err
		}
	}
	return internal2("read blobs", rows.Err())
}

// RewrapBlobKeys replaces every wrapped data key (master key rotation) in
// one transaction; rewrap gets the old wrapped key and returns the new one.
func (s *Store) RewrapBlobKeys(ctx context.Context, rewrap func(sha, wrapped string) (string, error)) (int, error) {
	n := 0
	err := s.write(ctx, func(t *wtx) error {
		rows, err := t.query(ctx, "SELECT sha256, wrapped_key FROM blobs")
		if err != nil {
			return internal("read blobs", err)
		}
		type kv struct{ sha, key string }
		var all []kv
		for rows.Next() {
			var x kv
			if err := rows.Scan(&x.sha, &x.key); err != nil {
				rows.Close()
				return internal("scan blob", err)
			}
			all = append(all, x)
		}
		rows.Close()
		for _, x := range all {
			if x.key == "" {
				continue // purged: the key was forgotten on purpose
			}
			nk, err := rewrap(x.sha, x.key)
			if err != nil {
				return fmt.Errorf("rewrap blob %s: %w", x.sha, err)
			}
			if _, err := t.exec(ctx, "UPDATE blobs SET wrapped_key = ? WHERE sha256 = ?", nk, x.sha); err != nil {
				return internal("rewrap blob", err)
			}
			n++
		}
		return t.log(ctx, "ledger.keys_rotated", "ledger", "blobs", nil, map[string]any{"blobs": n})
	})
	return n, err
}

// LeafNodes calls fn with the stored leaf hashes in order.
func (s *Store) LeafNodes(ctx context.Context, fn func(idx uint64, hash []byte) error) error {
	rows, err := s.query(ctx, "SELECT idx, hash FROM ledger_nodes WHERE level = 0 ORDER BY idx")
	if err != nil {
		return internal("read leaves", err)
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var h string
		if err := rows.Scan(&idx, &h); err != nil {
			return internal("scan leaf", err)
		}
		b, _ := hex.DecodeString(h)
		if err := fn(uint64(idx), b); err != nil {
			return err
		}
	}
	return internal2("read leaves", rows.Err())
}
