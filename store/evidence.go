package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
)

// NewEvidence is an item to add: its fields, the canonical record that goes
// into the log, and its blob when it has bytes.
type NewEvidence struct {
	Item   vigil.Evidence
	Record []byte
	Blob   *BlobInfo // nil for attestations and links
}

// AddEvidence records items and appends their records to the log, all in
// one transaction: an item is acknowledged only once it, its blob's row and
// its log entry are committed together. Several items share one commit.
// actors[i] is who submitted items[i]; the activity entry is theirs.
// ready, when not nil, is called after the rows are written and before the
// commit, and an error from it rolls the transaction back: the caller waits
// there for the blobs' bytes to be durable, having made them so while the
// rows were being written.
func (s *Store) AddEvidence(ctx context.Context, items []*NewEvidence, actors []vigil.Actor, ready func() error) error {
	return s.write(ctx, func(t *wtx) error {
		kinds := make([]string, len(items))
		refs := make([]string, len(items))
		recs := make([][]byte, len(items))
		for i, it := range items {
			kinds[i], refs[i], recs[i] = "evidence", it.Item.SHA256, it.Record
		}
		first, err := t.appendEntries(ctx, kinds, refs, recs)
		if err != nil {
			return err
		}
		// An item's ID is its log index plus one: unique (one item per
		// entry) and known before the insert, so a batch is a few
		// multi-row statements rather than several per item.
		type link struct {
			id  int64
			val any
		}
		var blobs []*BlobInfo
		var controls, requests []link
		seen := map[string]bool{}
		for i, n := range items {
			it := &n.Item
			it.LogIndex = first + uint64(i)
			it.ID = int64(it.LogIndex) + 1
			// The same bytes twice in a batch are one row, the first
			// item's, as if the items had been inserted one after the other
			// (PostgreSQL refuses a statement that upserts a row twice).
			if n.Blob != nil && !seen[n.Blob.SHA256] {
				seen[n.Blob.SHA256] = true
				blobs = append(blobs, n.Blob)
			}
			for _, c := range it.Controls {
				controls = append(controls, link{it.ID, c})
			}
			for _, rq := range it.Requests {
				requests = append(requests, link{it.ID, rq})
			}
		}
		ts := t.d.ts(t.now)
		// A row for the same bytes stays as it is (its object and key are
		// good), unless those bytes were purged: then the new copy revives it.
		err = t.insertRows(ctx, "INSERT INTO blobs (sha256, size, stored_size, wrapped_key, object, inline_data, created_at) VALUES ", 7, len(blobs), func(i int) []any {
			b := blobs[i]
			var inline any
			if b.Inline != nil {
				inline = base64.StdEncoding.EncodeToString(b.Inline)
			}
			return []any{b.SHA256, b.Size, b.StoredSize, b.WrappedKey, b.Object, inline, ts}
		}, ` ON CONFLICT (sha256) DO UPDATE SET stored_size = excluded.stored_size, wrapped_key = excluded.wrapped_key,
			object = excluded.object, inline_data = excluded.inline_data WHERE blobs.wrapped_key = ''`)
		if err != nil {
			return internal("record blobs", err)
		}
		err = t.insertRows(ctx, `INSERT INTO evidence (id, log_index, source, title, statement, url, sha256, size, media_type, filename, collected_at,
			effective_start, effective_end, submitter_id, submitter, redactions, restricted) VALUES `, 17, len(items), func(i int) []any {
			it := &items[i].Item
			var sha any
			if it.SHA256 != "" {
				sha = it.SHA256
			}
			return []any{it.ID, int64(it.LogIndex), it.Source, it.Title, it.Statement, it.URL, sha, it.Size, it.MediaType, it.Filename, t.d.ts(it.CollectedAt),
				it.EffectiveStart, it.EffectiveEnd, it.SubmitterID, it.Submitter, it.Redactions, it.Restricted}
		}, "")
		if err != nil {
			return internal("record evidence", err)
		}
		if err := t.insertRows(ctx, "INSERT INTO evidence_controls (evidence_id, control_id) VALUES ", 2, len(controls), func(i int) []any {
			return []any{controls[i].id, controls[i].val}
		}, ""); err != nil {
			return internal("link evidence", err)
		}
		if err := t.insertRows(ctx, "INSERT INTO evidence_request_items (evidence_id, request_id) VALUES ", 2, len(requests), func(i int) []any {
			return []any{requests[i].id, requests[i].val}
		}, ""); err != nil {
			if isForeignKey(err) {
				return vigil.FieldError("requests", "an evidence request does not exist")
			}
			return internal("link evidence to request", err)
		}
		for i, n := range items {
			it := &n.Item
			it.Review = vigil.ReviewPending
			t.actor = actors[i]
			if err := t.log(ctx, "evidence.add", "evidence", strconv.FormatInt(it.ID, 10), nil, it); err != nil {
				return err
			}
		}
		if ready != nil {
			return ready()
		}
		return nil
	})
}

const evidenceCols = `e.id, e.log_index, e.source, e.title, e.statement, e.url, COALESCE(e.sha256, ''), e.size, e.media_type, e.filename, e.collected_at,
	e.effective_start, e.effective_end, e.submitter_id, e.submitter, e.redactions, e.purged_at, e.restricted,
	COALESCE((SELECT r.state FROM evidence_reviews r WHERE r.evidence_id = e.id ORDER BY r.id DESC LIMIT 1), 'pending'),
	COALESCE((SELECT r.reason FROM evidence_reviews r WHERE r.evidence_id = e.id ORDER BY r.id DESC LIMIT 1), '')`

func scanEvidence(r scanner) (*vigil.Evidence, error) {
	var e vigil.Evidence
	var idx int64
	var at, purged dbTime
	if err := r.Scan(&e.ID, &idx, &e.Source, &e.Title, &e.Statement, &e.URL, &e.SHA256, &e.Size, &e.MediaType, &e.Filename, &at,
		&e.EffectiveStart, &e.EffectiveEnd, &e.SubmitterID, &e.Submitter, &e.Redactions, &purged, &e.Restricted, &e.Review, &e.ReviewReason); err != nil {
		return nil, err
	}
	e.LogIndex, e.CollectedAt, e.PurgedAt = uint64(idx), at.T, purged.ptr()
	e.Controls, e.Requests = []string{}, []int64{}
	return &e, nil
}

// ListEvidence returns items newest first, with their links.
func (s *Store) ListEvidence(ctx context.Context, f vigil.EvidenceFilter) ([]vigil.Evidence, error) {
	var where []string
	var args []any
	if f.Control != "" {
		where, args = append(where, "e.id IN (SELECT evidence_id FROM evidence_controls WHERE control_id = ?)"), append(args, vigil.CanonicalControlID(f.Control))
	}
	if f.Request != 0 {
		where, args = append(where, "e.id IN (SELECT evidence_id FROM evidence_request_items WHERE request_id = ?)"), append(args, f.Request)
	}
	if f.Before > 0 {
		where, args = append(where, "e.id < ?"), append(args, f.Before)
	}
	if f.Open {
		where = append(where, "NOT e.restricted")
	}
	q := "SELECT " + evidenceCols + " FROM evidence e"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY e.id DESC"
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
	}
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, internal("list evidence", err)
	}
	out := []vigil.Evidence{}
	idx := map[int64]int{}
	for rows.Next() {
		e, err := scanEvidence(rows)
		if err != nil {
			rows.Close()
			return nil, internal("scan evidence", err)
		}
		idx[e.ID] = len(out)
		out = append(out, *e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, internal("list evidence", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	ph := strings.TrimSuffix(strings.Repeat("?,", len(out)), ",")
	ids := make([]any, len(out))
	for i, e := range out {
		ids[i] = e.ID
	}
	for _, link := range []struct{ q string }{
		{"SELECT evidence_id, control_id FROM evidence_controls WHERE evidence_id IN (" + ph + ") ORDER BY control_id"},
		{"SELECT evidence_id, request_id FROM evidence_request_items WHERE evidence_id IN (" + ph + ") ORDER BY request_id"},
	} {
		rows, err := s.query(ctx, link.q, ids...)
		if err != nil {
			return nil, internal("list evidence links", err)
		}
		for rows.Next() {
			var id int64
			var v string
			if err := rows.Scan(&id, &v); err != nil {
				rows.Close()
				return nil, internal("scan evidence link", err)
			}
			e := &out[idx[id]]
			if strings.Contains(link.q, "control_id") {
				e.Controls = append(e.Controls, v)
			} else {
				n, _ := strconv.ParseInt(v, 10, 64)
				e.Requests = append(e.Requests, n)
			}
		}
		rows.Close()
	}
	return out, nil
}

// Evidence returns one item.
func (s *Store) Evidence(ctx context.Context, id int64) (*vigil.Evidence, error) {
	var found bool
	if err := s.queryRow(ctx, "SELECT count(*) > 0 FROM evidence WHERE id = ?", id).Scan(&found); err != nil {
		return nil, internal("read evidence", err)
	}
	if !found {
		return nil, vigil.NotFound("evidence", id)
	}
	items, err := s.ListEvidence(ctx, vigil.EvidenceFilter{Before: id + 1, Limit: 1})
	if err != nil {
		return nil, err
	}
	return &items[0], nil
}

// AddReview appends a review record of an item to the log and the reviews.
func (s *Store) AddReview(ctx context.Context, evidenceID int64, state, reason string, record []byte) (uint64, error) {
	var idx uint64
	err := s.write(ctx, func(t *wtx) error {
		var exists bool
		if err := t.queryRow(ctx, "SELECT count(*) > 0 FROM evidence WHERE id = ?", evidenceID).Scan(&exists); err != nil {
			return internal("read evidence", err)
		}
		if !exists {
			return vigil.NotFound("evidence", evidenceID)
		}
		first, err := t.appendEntries(ctx, []string{"review"}, []string{strconv.FormatInt(evidenceID, 10)}, [][]byte{record})
		if err != nil {
			return err
		}
		idx = first
		if _, err := t.exec(ctx, "INSERT INTO evidence_reviews (evidence_id, state, reason, reviewer, log_index, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			evidenceID, state, reason, t.actor.Name, int64(idx), t.d.ts(t.now)); err != nil {
			return internal("record review", err)
		}
		return t.log(ctx, "evidence.review", "evidence", strconv.FormatInt(evidenceID, 10), nil, map[string]any{"state": state, "reason": reason})
	})
	return idx, err
}

// CreateRequest adds an evidence request.
func (s *Store) CreateRequest(ctx context.Context, r *vigil.EvidenceRequest) error {
	if err := r.Validate(); err != nil {
		return err
	}
	return s.write(ctx, func(t *wtx) error { return t.insertRequest(ctx, r) })
}

func (t *wtx) insertRequest(ctx context.Context, r *vigil.EvidenceRequest) error {
	var assignee any
	if r.AssigneeID != 0 {
		name, err := t.checkOwner(ctx, "assignee_id", r.AssigneeID)
		if err != nil {
			return err
		}
		assignee, r.Assignee = r.AssigneeID, name
	}
	err := t.queryRow(ctx, "INSERT INTO evidence_requests (control_id, title, description, frequency, start_date, grace_days, assignee_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
		r.ControlID, r.Title, r.Description, r.Frequency, r.Start, r.GraceDays, assignee, t.d.ts(t.now)).Scan(&r.ID)
	if isForeignKey(err) {
		return vigil.FieldError("control_id", "control %s does not exist", r.ControlID)
	}
	if err != nil {
		return internal("create request", err)
	}
	r.CreatedAt = t.now
	return t.log(ctx, "request.create", "request", strconv.FormatInt(r.ID, 10), nil, r)
}

// UpdateRequest applies a patch to a request, logged with before and after.
func (s *Store) UpdateRequest(ctx context.Context, id int64, p *vigil.RequestPatch) (*vigil.EvidenceRequest, error) {
	var out *vigil.EvidenceRequest
	err := s.write(ctx, func(t *wtx) error {
		before, err := getRequest(ctx, t.queryRow, id)
		if err != nil {
			return err
		}
		r := *before
		if err := p.Apply(&r); err != nil {
			return err
		}
		if p.AssigneeID != nil && r.AssigneeID != 0 {
			if _, err := t.checkOwner(ctx, "assignee_id", r.AssigneeID); err != nil {
				return err
			}
		}
		if err := r.Validate(); err != nil {
			return err
		}
		var assignee any
		if r.AssigneeID != 0 {
			assignee = r.AssigneeID
		}
		if _, err := t.exec(ctx, "UPDATE evidence_requests SET title = ?, description = ?, grace_days = ?, assignee_id = ? WHERE id = ?",
			r.Title, r.Description, r.GraceDays, assignee, id); err != nil {
			return internal("update request", err)
		}
		if out, err = getRequest(ctx, t.queryRow, id); err != nil {
			return err
		}
		if *out == *before {
			return nil
		}
		return t.log(ctx, "request.update", "request", strconv.FormatInt(id, 10), before, out)
	})
	return out, err
}

// DeleteRequest removes a request (its evidence stays).
func (s *Store) DeleteRequest(ctx context.Context, id int64) error {
	return s.write(ctx, func(t *wtx) error {
		res, err := t.exec(ctx, "UPDATE evidence_requests SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL", t.d.ts(t.now), id)
		if err != nil {
			return internal("delete request", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return vigil.NotFound("evidence request", id)
		}
		return t.log(ctx, "request.delete", "request", strconv.FormatInt(id, 10), nil, nil)
	})
}

// requestColumns reads a request with its assignee: the named user, or
// else the control's owner.
const requestColumns = `r.id, r.control_id, r.title, r.description, r.frequency, r.start_date, r.grace_days, COALESCE(r.assignee_id, 0),
	COALESCE(a.name, o.name, ''), r.created_at FROM evidence_requests r JOIN controls c ON c.id = r.control_id
	LEFT JOIN users a ON a.id = r.assignee_id LEFT JOIN users o ON o.id = c.owner_id`

func scanRequest(sc scanner) (vigil.EvidenceRequest, error) {
	var r vigil.EvidenceRequest
	var at dbTime
	err := sc.Scan(&r.ID, &r.ControlID, &r.Title, &r.Description, &r.Frequency, &r.Start, &r.GraceDays, &r.AssigneeID, &r.Assignee, &at)
	r.CreatedAt = at.T
	return r, err
}

// Requests returns evidence requests, of one control or ("") all.
func (s *Store) Requests(ctx context.Context, control string) ([]vigil.EvidenceRequest, error) {
	q, args := "SELECT "+requestColumns+" WHERE r.deleted_at IS NULL", []any{}
	if control != "" {
		q, args = q+" AND r.control_id = ?", append(args, vigil.CanonicalControlID(control))
	}
	rows, err := s.query(ctx, q+" ORDER BY r.id", args...)
	if err != nil {
		return nil, internal("list requests", err)
	}
	return scanRows(rows, "list requests", "scan request", scanRequest)
}

// Request returns one request.
func (s *Store) Request(ctx context.Context, id int64) (*vigil.EvidenceRequest, error) {
	return getRequest(ctx, s.queryRow, id)
}

func getRequest(ctx context.Context, qr func(context.Context, string, ...any) *sql.Row, id int64) (*vigil.EvidenceRequest, error) {
	r, err := scanRequest(qr(ctx, "SELECT "+requestColumns+" WHERE r.id = ? AND r.deleted_at IS NULL", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("evidence request", id)
	}
	if err != nil {
		return nil, internal("read request", err)
	}
	return &r, nil
}

// RequestItems returns, per request, the spans of the items that answer
// it and are not rejected or purged, each with its latest review state.
func (s *Store) RequestItems(ctx context.Context) (map[int64][]vigil.ItemSpan, error) {
	rows, err := s.query(ctx, `SELECT request_id, id, effective_start, effective_end, collected_at, review FROM (
		SELECT ri.request_id, e.id, e.effective_start, e.effective_end, e.collected_at,
			COALESCE((SELECT r.state FROM evidence_reviews r WHERE r.evidence_id = e.id ORDER BY r.id DESC LIMIT 1), 'pending') AS review
		FROM evidence_request_items ri JOIN evidence e ON e.id = ri.evidence_id WHERE e.purged_at IS NULL) x
		WHERE review <> 'rejected'`)
	if err != nil {
		return nil, internal("read request items", err)
	}
	defer rows.Close()
	out := map[int64][]vigil.ItemSpan{}
	for rows.Next() {
		var rid int64
		var it vigil.ItemSpan
		var at dbTime
		if err := rows.Scan(&rid, &it.ID, &it.EffectiveStart, &it.EffectiveEnd, &at, &it.Review); err != nil {
			return nil, internal("scan request item", err)
		}
		it.Collected = vigil.Date(at.T.UTC().Format(time.DateOnly))
		out[rid] = append(out[rid], it)
	}
	return out, internal2("read request items", rows.Err())
}

// PurgeEvidence marks items whose effective period ended before the day
// as purged and appends a tombstone record for each, in one transaction.
// It returns the purged IDs and the objects no unpurged item needs any more
// (their rows forget the key; the caller deletes the objects).
func (s *Store) PurgeEvidence(ctx context.Context, before vigil.Date, tombstone func(entry uint64) ([]byte, error)) ([]int64, []string, error) {
	var ids []int64
	var freed []string
	err := s.write(ctx, func(t *wtx) error {
		rows, err := t.query(ctx, "SELECT id, log_index FROM evidence WHERE purged_at IS NULL AND effective_end < ? ORDER BY id", before)
		if err != nil {
			return internal("find evidence to purge", err)
		}
		var entries []uint64
		for rows.Next() {
			var id, idx int64
			if err := rows.Scan(&id, &idx); err != nil {
				rows.Close()
				return internal("scan evidence", err)
			}
			ids, entries = append(ids, id), append(entries, uint64(idx))
		}
		rows.Close()
		if len(ids) == 0 {
			return nil
		}
		kinds := make([]string, len(ids))
		refs := make([]string, len(ids))
		recs := make([][]byte, len(ids))
		for i := range ids {
			kinds[i], refs[i] = "tombstone", strconv.FormatInt(ids[i], 10)
			if recs[i], err = tombstone(entries[i]); err != nil {
				return err
			}
		}
		if _, err := t.appendEntries(ctx, kinds, refs, recs); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := t.exec(ctx, "UPDATE evidence SET purged_at = ? WHERE id = ?", t.d.ts(t.now), id); err != nil {
				return internal("purge evidence", err)
			}
		}
		rows, err = t.query(ctx, "SELECT sha256, object FROM blobs b WHERE wrapped_key <> '' AND NOT EXISTS (SELECT 1 FROM evidence e WHERE e.sha256 = b.sha256 AND e.purged_at IS NULL)")
		if err != nil {
			return internal("find freed blobs", err)
		}
		var shas []string
		for rows.Next() {
			var sha, object string
			if err := rows.Scan(&sha, &object); err != nil {
				rows.Close()
				return internal("scan blob", err)
			}
			shas = append(shas, sha)
			if object != "" {
				freed = append(freed, object)
			}
		}
		rows.Close()
		for _, sha := range shas {
			// The rows keep their sha256 (the record names it); only the
			// key goes, so the bytes cannot be read back from a backup.
			if _, err := t.exec(ctx, "UPDATE blobs SET wrapped_key = '', object = '', inline_data = NULL WHERE sha256 = ?", sha); err != nil {
				return internal("forget blob key", err)
			}
		}
		return t.log(ctx, "evidence.purge", "evidence", string(before), nil, map[string]any{"items": len(ids), "blobs": len(shas)})
	})
	return ids, freed, err
}

// ReviewRow is a stored review, for verification.
type ReviewRow struct {
	EvidenceID int64
	LogIndex   uint64
	State      string
	Reason     string
	Reviewer   string
}

// Reviews calls fn for every review row.
func (s *Store) Reviews(ctx context.Context, fn func(ReviewRow) error) error {
	rows, err := s.query(ctx, "SELECT evidence_id, log_index, state, reason, reviewer FROM evidence_reviews ORDER BY id")
	if err != nil {
		return internal("read reviews", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r ReviewRow
		var idx int64
		if err := rows.Scan(&r.EvidenceID, &idx, &r.State, &r.Reason, &r.Reviewer); err != nil {
			return internal("scan review", err)
		}
		r.LogIndex = uint64(idx)
		if err := fn(r); err != nil {
			return err
		}
	}
	return internal2("read reviews", rows.Err())
}
