package evidence

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/internal/pgtest"
	"github.com/vigil-soc/vigil/ledger"
	"github.com/vigil-soc/vigil/store"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	os.Exit(code)
}

// itemSpec is an item to add, the same in every fixture it is added to.
type itemSpec struct {
	source   vigil.EvidenceSource
	title    string
	body     []byte // nil for attestations
	controls []string
	requests []int64
	actor    vigil.Actor
}

// sealed is what Upload, Attest or Link hand the group commit for spec:
// the blob sealed inline under f's keyring, and the canonical record.
func (f *fixture) sealed(spec itemSpec, at time.Time) *store.NewEvidence {
	f.t.Helper()
	e := vigil.Evidence{Source: spec.source, Title: spec.title, CollectedAt: at, EffectiveStart: "2026-10-01", EffectiveEnd: "2026-12-31",
		Controls: spec.controls, Requests: spec.requests, SubmitterID: spec.actor.UserID, Submitter: spec.actor.Name}
	if e.Requests == nil {
		e.Requests = []int64{} // as the service has it
	}
	var blob *store.BlobInfo
	if spec.body != nil {
		e.Filename, e.MediaType = spec.title, "text/plain"
		key, err := ledger.NewDataKey()
		if err != nil {
			f.t.Fatal(err)
		}
		var buf bytes.Buffer
		s, err := ledger.Encrypt(&buf, bytes.NewReader(spec.body), key, 1<<20)
		if err != nil {
			f.t.Fatal(err)
		}
		wrapped, err := f.svc.Box.Seal(hex.EncodeToString(key), blobContext(s.SHA256))
		if err != nil {
			f.t.Fatal(err)
		}
		blob = &store.BlobInfo{SHA256: s.SHA256, Size: s.Size, StoredSize: s.Stored, WrappedKey: wrapped, Inline: buf.Bytes()}
		e.SHA256, e.Size = s.SHA256, s.Size
	} else {
		e.Statement = "statement of " + spec.title
	}
	rec, err := RecordOf(&e).Marshal()
	if err != nil {
		f.t.Fatal(err)
	}
	return &store.NewEvidence{Item: e, Record: rec, Blob: blob}
}

// dump reads a query's rows as text, one line a row.
func dump(t testing.TB, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for i, v := range vals {
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			if tm, ok := v.(time.Time); ok {
				v = tm.UTC().Format(time.RFC3339Nano)
			}
			fmt.Fprintf(&b, "%s=%v ", cols[i], v)
		}
		out = append(out, b.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// rawDB opens the fixture's database directly, for reading what the store
// wrote.
func (f *fixture) rawDB(databaseURL string) *sql.DB {
	f.t.Helper()
	driver, dsn := "sqlite", "file:"+filepath.Join(f.dir, "vigil.db")+"?_pragma=query_only(1)"
	if databaseURL != "" {
		driver, dsn = "pgx", databaseURL
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { db.Close() })
	return db
}

// What a batch must write exactly as one-by-one commits do: every row of
// the items, their links and blobs, the log (entries and every node), and
// their activity entries (all but their times, and so their hashes).
var itemTables = []string{
	`SELECT id, log_index, source, title, statement, url, sha256, size, media_type, filename, collected_at,
		effective_start, effective_end, submitter_id, submitter, redactions, purged_at FROM evidence ORDER BY id`,
	"SELECT evidence_id, control_id FROM evidence_controls ORDER BY evidence_id, control_id",
	"SELECT evidence_id, request_id FROM evidence_request_items ORDER BY evidence_id, request_id",
	"SELECT sha256, size, stored_size, object, wrapped_key <> '' AS keyed, inline_data IS NOT NULL AS inline FROM blobs ORDER BY sha256",
	"SELECT idx, kind, ref, record FROM ledger_entries ORDER BY idx",
	"SELECT level, idx, hash FROM ledger_nodes ORDER BY level, idx",
	"SELECT seq, actor_id, actor_name, action, entity_type, entity_id, before_json, after_json FROM activity WHERE action = 'evidence.add' ORDER BY seq",
}

// A batch committed in one transaction (multi-row inserts in chunks,
// blobs deduplicated within it) writes exactly what committing the same
// items one at a time writes, on both engines, and verifies.
func TestBatchWritesWhatOneByOneWrites(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			url := func() string {
				if engine == "postgres" {
					return pgtest.Database(t)
				}
				return ""
			}
			burl, surl := url(), url()
			batched, single := newFixtureOn(t, burl), newFixtureOn(t, surl)
			var specs []itemSpec
			for _, f := range []*fixture{batched, single} {
				for _, r := range []vigil.EvidenceRequest{
					{ControlID: "AC-01", Title: "Access review", Frequency: "quarterly", Start: "2026-01-01"},
					{ControlID: "AC-02", Title: "Offboarding", Frequency: "monthly", Start: "2026-01-01"},
				} {
					if err := f.st.CreateRequest(f.ctx, &r); err != nil {
						t.Fatal(err)
					}
				}
			}
			// 150 items: more than one statement's worth of rows, so every
			// chunk size is used; every third has no file, some share
			// bytes (with an earlier item, or only within the batch).
			for i := range 150 {
				s := itemSpec{source: vigil.SourceUpload, title: fmt.Sprintf("item-%03d.txt", i), controls: []string{"AC-01"},
					actor: vigil.Actor{UserID: int64(i%5 + 1), Name: fmt.Sprintf("user-%d@example.com", i%5+1)}}
				switch {
				case i%3 == 2:
					s.source, s.body = vigil.SourceAttestation, nil
				case i%10 == 1:
					s.body = []byte("the same bytes in several items")
				case i%10 == 3:
					s.body = []byte("bytes first seen in the batch, several times")
				default:
					s.body = []byte(strings.Repeat(fmt.Sprintf("line %d of a report\n", i), 50))
				}
				if i%4 == 0 {
					s.controls = []string{"AC-01", "AC-02"}
				}
				if i%7 == 0 {
					s.requests = []int64{1}
				}
				if i%11 == 0 {
					s.requests = []int64{1, 2}
				}
				specs = append(specs, s)
			}
			at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
			// An earlier item holding bytes the batch repeats.
			first := itemSpec{source: vigil.SourceUpload, title: "earlier.txt", body: specs[1].body, controls: []string{"AC-02"},
				actor: vigil.Actor{UserID: 9, Name: "earlier@example.com"}}
			for _, f := range []*fixture{batched, single} {
				if err := f.st.AddEvidence(f.ctx, []*store.NewEvidence{f.sealed(first, at)}, []vigil.Actor{first.actor}, nil); err != nil {
					t.Fatal(err)
				}
			}
			var items []*store.NewEvidence
			var actors []vigil.Actor
			for _, s := range specs {
				items, actors = append(items, batched.sealed(s, at)), append(actors, s.actor)
			}
			if err := batched.st.AddEvidence(batched.ctx, items, actors, nil); err != nil {
				t.Fatal(err)
			}
			for _, s := range specs {
				if err := single.st.AddEvidence(single.ctx, []*store.NewEvidence{single.sealed(s, at)}, []vigil.Actor{s.actor}, nil); err != nil {
					t.Fatal(err)
				}
			}
			// Items are numbered as committed, their entries in order.
			for i, it := range items {
				if it.Item.LogIndex != uint64(i+1) || it.Item.ID != int64(i+2) {
					t.Fatalf("item %d got entry %d, id %d", i, it.Item.LogIndex, it.Item.ID)
				}
			}
			bdb, sdb := batched.rawDB(burl), single.rawDB(surl)
			for _, q := range itemTables {
				b, s := dump(t, bdb, q), dump(t, sdb, q)
				if !slices.Equal(b, s) {
					for i := range min(len(b), len(s)) {
						if b[i] != s[i] {
							t.Fatalf("%s\nbatch:      %s\none by one: %s", q, b[i], s[i])
						}
					}
					t.Fatalf("%s: %d rows in the batch, %d one by one", q, len(b), len(s))
				}
			}
			// The checks that would catch a wrong link or actor whatever
			// both paths do.
			ev := dump(t, bdb, "SELECT count(*) AS n FROM evidence_controls")
			act := dump(t, bdb, "SELECT entity_id, actor_id, actor_name FROM activity WHERE action = 'evidence.add' AND entity_id = '52'")
			if want := fmt.Sprintf("n=%d ", 1+150+38); len(ev) != 1 || ev[0] != want {
				t.Fatalf("control links: %v, want %s", ev, want)
			}
			if len(act) != 1 || act[0] != "entity_id=52 actor_id=1 actor_name=user-1@example.com " {
				t.Fatalf("activity of item 52 (spec 50, user-1): %v", act)
			}
			for _, f := range []*fixture{batched, single} {
				if _, err := f.svc.Checkpoint(f.ctx); err != nil {
					t.Fatal(err)
				}
				if r := f.verify(); !r.OK {
					t.Fatalf("verify: %+v", r.Problems)
				}
				if r, err := f.st.VerifyActivity(f.ctx); err != nil || !r.OK {
					t.Fatalf("activity chain: %+v %v", r, err)
				}
			}
			bcp, _ := batched.st.Checkpoints(batched.ctx)
			scp, _ := single.st.Checkpoints(single.ctx)
			if bcp[len(bcp)-1].Root != scp[len(scp)-1].Root {
				t.Fatal("the batch's log has another root than the one-by-one log")
			}
		})
	}
}

// 64 writers appending at once, as the group commit meets them: every
// item acknowledged is there exactly once, with its links and its
// submitter's activity entry; an item the store refuses fails alone; the
// log and the activity chain verify. Run with -race.
func TestConcurrentAppends(t *testing.T) {
	f := newFixture(t)
	r := vigil.EvidenceRequest{ControlID: "AC-02", Title: "Offboarding", Frequency: "monthly", Start: "2026-01-01"}
	if err := f.st.CreateRequest(f.ctx, &r); err != nil {
		t.Fatal(err)
	}
	const writers, each = 64, 12
	type acked struct {
		e     *vigil.Evidence
		actor vigil.Actor
	}
	var mu sync.Mutex
	var got []acked
	refused := 0
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			actor := vigil.Actor{UserID: int64(w + 1), Name: fmt.Sprintf("writer-%d@example.com", w), Role: vigil.RoleMember}
			ctx := vigil.WithActor(context.Background(), actor)
			for i := range each {
				m := Meta{Filename: fmt.Sprintf("w%d-%d.txt", w, i), Controls: []string{"AC-01"}, EffectiveStart: "2026-10-01", DeclaredSize: -1}
				if i%3 == 0 {
					m.Requests = []int64{r.ID}
				}
				var e *vigil.Evidence
				var err error
				switch {
				case w%16 == 5 && i == 7:
					// PostgreSQL cannot store NUL, so the store refuses it
					// in any engine: the batch holding it fails and its
					// other items are committed one by one.
					_, err = f.svc.Attest(ctx, Meta{Statement: "bad\x00statement", Controls: []string{"AC-01"}, EffectiveStart: "2026-10-01"})
					if vigil.ErrorCode(err) != vigil.EINVALID {
						t.Errorf("writer %d: a NUL statement gave %v", w, err)
					}
					mu.Lock()
					refused++
					mu.Unlock()
					continue
				case i == 4:
					e, err = f.svc.Attest(ctx, Meta{Statement: fmt.Sprintf("writer %d attests", w), Controls: m.Controls, Requests: m.Requests, EffectiveStart: "2026-10-01"})
				case i == 9 && w%8 == 0:
					// Larger than InlineMax: an object in the blob store,
					// synced before its batch commits.
					e, err = f.svc.Upload(ctx, m, strings.NewReader(strings.Repeat(fmt.Sprintf("%d-%d ", w, i), 20000)))
				case i == 10:
					// The same bytes from every writer.
					e, err = f.svc.Upload(ctx, m, strings.NewReader("shared bytes"))
				default:
					e, err = f.svc.Upload(ctx, m, strings.NewReader(fmt.Sprintf("report %d of writer %d", i, w)))
				}
				if err != nil {
					t.Errorf("writer %d item %d: %v", w, i, err)
					continue
				}
				mu.Lock()
				got = append(got, acked{e, actor})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if refused != 4 || len(got) != writers*each-refused {
		t.Fatalf("%d acknowledged, %d refused", len(got), refused)
	}
	all, err := f.st.ListEvidence(f.ctx, vigil.EvidenceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]vigil.Evidence{}
	for _, e := range all {
		if _, dup := byID[e.ID]; dup {
			t.Fatalf("item %d listed twice", e.ID)
		}
		byID[e.ID] = e
	}
	if len(all) != len(got) {
		t.Fatalf("%d items stored, %d acknowledged", len(all), len(got))
	}
	db := f.rawDB("")
	for _, a := range got {
		e, ok := byID[a.e.ID]
		if !ok {
			t.Fatalf("acknowledged item %d (%s) is not stored", a.e.ID, a.e.Title)
		}
		if e.Title != a.e.Title || e.Submitter != a.actor.Name || !slices.Equal(e.Controls, a.e.Controls) || !slices.Equal(e.Requests, a.e.Requests) {
			t.Fatalf("item %d stored as %+v, acknowledged as %+v", e.ID, e, a.e)
		}
		act := dump(t, db, fmt.Sprintf("SELECT actor_id, actor_name FROM activity WHERE action = 'evidence.add' AND entity_id = '%d'", e.ID))
		if want := fmt.Sprintf("actor_id=%d actor_name=%s ", a.actor.UserID, a.actor.Name); len(act) != 1 || act[0] != want {
			t.Fatalf("activity of item %d: %v, want %s", e.ID, act, want)
		}
	}
	if _, err := f.svc.Checkpoint(f.ctx); err != nil {
		t.Fatal(err)
	}
	if r := f.verify(); !r.OK {
		t.Fatalf("verify: %+v", r.Problems)
	}
	if r, err := f.st.VerifyActivity(f.ctx); err != nil || !r.OK {
		t.Fatalf("activity chain: %+v %v", r, err)
	}
}
