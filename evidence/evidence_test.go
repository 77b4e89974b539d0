package evidence

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/internal/mototest"
	"github.com/vigil-soc/vigil/ledger"
	"github.com/vigil-soc/vigil/secret"
	"github.com/vigil-soc/vigil/store"
)

type fixture struct {
	t    testing.TB
	dir  string
	st   *store.Store
	svc  *Service
	ctx  context.Context
	blob *ledger.FSStore
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureOn(t, "")
}

// newFixtureOn is a fixture whose database is PostgreSQL at databaseURL,
// or SQLite in the temp dir when it is empty.
func newFixtureOn(t testing.TB, databaseURL string) *fixture {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: dir, DatabaseURL: databaseURL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	box, _ := secret.Load(dir, "")
	skey, vkey, origin, err := LoadKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RegisterLedgerKey(ctx, vkey, origin); err != nil {
		t.Fatal(err)
	}
	fs, err := ledger.NewFSStore(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	actx := vigil.WithActor(ctx, vigil.Actor{UserID: 0, Name: "tester", Role: vigil.RoleOwner})
	for _, id := range []string{"AC-01", "AC-02"} {
		c := vigil.Control{ID: id, Title: id}
		c.Validate(func(string) bool { return true })
		if err := st.CreateControl(actx, &c); err != nil {
			t.Fatal(err)
		}
	}
	svc := &Service{Store: st, Blobs: fs, Staging: fs.TempDir(), Box: box, SigningKey: skey, VerifierKey: vkey, Origin: origin}
	return &fixture{t: t, dir: dir, st: st, svc: svc, ctx: actx, blob: fs}
}

func (f *fixture) upload(name, body string) *vigil.Evidence {
	f.t.Helper()
	e, err := f.svc.Upload(f.ctx, Meta{Filename: name, Controls: []string{"AC-01"}, EffectiveStart: "2026-10-01", DeclaredSize: -1}, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	return e
}

// objectPath is where the blob store keeps an address's object.
func (f *fixture) objectPath(sha string) string {
	f.t.Helper()
	info, err := f.st.Blob(context.Background(), sha)
	if err != nil || info.Object == "" {
		f.t.Fatalf("blob %s has no object: %v", sha, err)
	}
	return filepath.Join(f.dir, "blobs", sha[:2], sha[2:4], info.Object)
}

func (f *fixture) exec(q string, args ...any) {
	f.t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(f.dir, "vigil.db"))
	if err != nil {
		f.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(q, args...); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) verify() *vigil.LedgerReport {
	f.t.Helper()
	r, err := f.svc.Verify(context.Background(), true)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func TestUploadDedupAndRead(t *testing.T) {
	f := newFixture(t)
	big := strings.Repeat("alice,admin\nbob,member\n", 5000) // over InlineMax: a blob-store object
	a := f.upload("users.csv", big)
	b := f.upload("users-again.csv", big)
	if a.SHA256 != b.SHA256 || a.ID == b.ID || a.LogIndex+1 != b.LogIndex {
		t.Fatalf("same bytes twice: %+v %+v", a, b)
	}
	n := 0
	f.blob.List(context.Background(), func(string, time.Time) error { n++; return nil })
	if n != 1 {
		t.Fatalf("%d blobs stored for the same bytes twice, want 1", n)
	}
	rc, err := f.svc.Open(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(rc)
	rc.Close()
	if buf.String() != big {
		t.Fatalf("read back %d bytes", buf.Len())
	}
	// A small item lives in the database, and reads back the same way.
	small := f.upload("small.txt", "tiny")
	if n := 0; true {
		f.blob.List(context.Background(), func(string, time.Time) error { n++; return nil })
		if n != 1 {
			t.Fatalf("a small item went to the blob store (%d objects)", n)
		}
	}
	rc, _ = f.svc.Open(context.Background(), small)
	buf.Reset()
	buf.ReadFrom(rc)
	if buf.String() != "tiny" {
		t.Fatalf("small item read back %q", buf.String())
	}
	if r := f.verify(); !r.OK || r.Entries != 3 || r.Items != 3 {
		t.Fatalf("clean store: %+v", r)
	}
}

func TestUploadBadInput(t *testing.T) {
	f := newFixture(t)
	good := Meta{Filename: "a.txt", Controls: []string{"AC-01"}, EffectiveStart: "2026-10-01", DeclaredSize: -1}
	cases := []struct {
		name string
		meta func(m *Meta)
		body string
		want string
	}{
		{"empty", nil, "", "empty"},
		{"traversal", func(m *Meta) { m.Filename = "../../etc/passwd" }, "x", "path"},
		{"control character", func(m *Meta) { m.Filename = "a\x1b[31m.txt" }, "x", "control"},
		{"unknown media type", func(m *Meta) { m.MediaType = "application/x-msdownload" }, "x", "not accepted"},
		{"type the bytes contradict", func(m *Meta) { m.Filename, m.MediaType = "a.pdf", "application/pdf" }, "hello", "not the declared"},
		{"declared size", func(m *Meta) { m.DeclaredSize = 10 }, "short", "truncated"},
		{"declared hash", func(m *Meta) { m.DeclaredSHA256 = strings.Repeat("0", 64) }, "x", "not the declared"},
		{"over the limit", func(m *Meta) {}, strings.Repeat("x", 2000), "over the limit"},
		{"unknown control", func(m *Meta) { m.Controls = []string{"ZZ-9"} }, "x", "does not exist"},
		{"no control", func(m *Meta) { m.Controls = nil }, "x", "at least one control"},
		{"bad date", func(m *Meta) { m.EffectiveStart = "2026-13-01" }, "x", "YYYY-MM-DD"},
	}
	f.svc.MaxUpload = 1000
	for _, c := range cases {
		m := good
		if c.meta != nil {
			c.meta(&m)
		}
		_, err := f.svc.Upload(f.ctx, m, strings.NewReader(c.body))
		if err == nil || !strings.Contains(vigil.ErrorMessage(err), c.want) {
			t.Errorf("%s: %v, want an error naming %q", c.name, err, c.want)
		}
	}
	// Nothing partial: no item, no entry, no blob, no staging file.
	if n, _ := f.st.LedgerSize(context.Background()); n != 0 {
		t.Fatalf("%d log entries after refused uploads", n)
	}
	left, _ := os.ReadDir(f.svc.Staging)
	objs := 0
	f.blob.List(context.Background(), func(string, time.Time) error { objs++; return nil })
	if len(left) != 0 || objs != 0 {
		t.Fatalf("refused uploads left %d staged files and %d blobs", len(left), objs)
	}
}

// The tamper suite: every kind of change behind Vigil's back is caught and
// named.
func TestTamperDetection(t *testing.T) {
	cases := []struct {
		name    string
		tamper  func(f *fixture, items []*vigil.Evidence)
		subject string
		detail  string
	}{
		{"edit an evidence row", func(f *fixture, it []*vigil.Evidence) {
			f.exec("UPDATE evidence SET title = 'forged' WHERE id = ?", it[1].ID)
		}, "evidence 2 (entry 1)", "row was changed"},
		{"edit a log record", func(f *fixture, it []*vigil.Evidence) {
			f.exec("UPDATE ledger_entries SET record = replace(record, 'c.txt', 'd.txt') WHERE idx = 2")
		}, "entry 2", "record was changed"},
		{"flip a byte in a blob", func(f *fixture, it []*vigil.Evidence) {
			p := f.objectPath(it[0].SHA256)
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 1
			os.WriteFile(p, b, 0o600)
		}, "blob " + "", "changed or damaged"},
		{"delete a blob", func(f *fixture, it []*vigil.Evidence) {
			os.Remove(f.objectPath(it[0].SHA256))
		}, "blob ", "cannot be read"},
		{"swap a small blob's bytes", func(f *fixture, it []*vigil.Evidence) {
			f.exec("UPDATE blobs SET inline_data = (SELECT inline_data FROM blobs WHERE sha256 = ?) WHERE sha256 = ?", it[2].SHA256, it[1].SHA256)
		}, "blob ", "changed or damaged"},
		{"delete an item", func(f *fixture, it []*vigil.Evidence) {
			f.exec("DELETE FROM evidence_controls WHERE evidence_id = ?", it[2].ID)
			f.exec("DELETE FROM evidence WHERE id = ?", it[2].ID)
		}, "entry 2", "row is gone"},
		{"delete a log entry", func(f *fixture, it []*vigil.Evidence) {
			f.exec("DELETE FROM ledger_entries WHERE idx = 1")
		}, "entry 1", "missing from the log"},
		{"reorder entries", func(f *fixture, it []*vigil.Evidence) {
			f.exec("UPDATE ledger_entries SET idx = -1 WHERE idx = 0")
			f.exec("UPDATE ledger_entries SET idx = 0 WHERE idx = 1")
			f.exec("UPDATE ledger_entries SET idx = 1 WHERE idx = -1")
		}, "entry 0", "record was changed"},
		{"rewrite history consistently", func(f *fixture, it []*vigil.Evidence) {
			// Change a record and rebuild every node so the tree matches it:
			// only the signed checkpoint can tell.
			f.exec("UPDATE ledger_entries SET record = replace(record, 'c.txt', 'd.txt') WHERE idx = 2")
			rebuild(f)
		}, "checkpoint 3", "history was rewritten"},
		{"replace a checkpoint", func(f *fixture, it []*vigil.Evidence) {
			other, _, _ := ledger.GenerateKey("vigil-ledger")
			c := ledger.Checkpoint{Origin: f.svc.Origin, Size: 3, Root: make([]byte, 32)}
			note, _ := ledger.Sign(c, other)
			f.exec("UPDATE ledger_checkpoints SET note = ?, root = ? WHERE size = 3", note, strings.Repeat("00", 32))
		}, "checkpoint 3", "signature does not verify"},
		{"remove the newest entries", func(f *fixture, it []*vigil.Evidence) {
			f.exec("DELETE FROM evidence_controls WHERE evidence_id = ?", it[2].ID)
			f.exec("DELETE FROM evidence WHERE id = ?", it[2].ID)
			f.exec("DELETE FROM ledger_entries WHERE idx = 2")
			f.exec("DELETE FROM ledger_nodes WHERE (level = 0 AND idx = 2)")
		}, "checkpoint 3", "entries were removed from the end"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			items := []*vigil.Evidence{f.upload("a.txt", strings.Repeat("access report one\n", 5000)), f.upload("b.txt", "access report two"), f.upload("c.txt", "access report three")}
			if _, err := f.svc.Checkpoint(context.Background()); err != nil {
				t.Fatal(err)
			}
			if r := f.verify(); !r.OK {
				t.Fatalf("before tampering: %+v", r.Problems)
			}
			c.tamper(f, items)
			r := f.verify()
			if r.OK {
				t.Fatal("tampering went unnoticed")
			}
			found := false
			for _, p := range r.Problems {
				found = found || strings.HasPrefix(p.Subject, c.subject) && strings.Contains(p.Detail, c.detail)
			}
			if !found {
				t.Fatalf("problems %+v; want one about %q saying %q", r.Problems, c.subject, c.detail)
			}
		})
	}
}

// rebuild recomputes every stored node from the (tampered) records, as a
// careful attacker would.
func rebuild(f *fixture) {
	ctx := context.Background()
	var recs [][]byte
	f.st.LedgerEntries(ctx, 0, func(e store.LedgerEntry) error { recs = append(recs, e.Record); return nil })
	m := ledger.MemNodes{}
	var size uint64
	for _, r := range recs {
		size, _ = m.Append(ctx, size, ledger.LeafHash(r))
	}
	f.exec("DELETE FROM ledger_nodes")
	for id, h := range m {
		f.exec("INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)", int64(id.Level), int64(id.Index), hexs(h))
	}
}

func hexs(b []byte) string { return hex.EncodeToString(b) }

func TestRequestsAndPurge(t *testing.T) {
	f := newFixture(t)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	f.svc.Now = func() time.Time { return now }
	r := &vigil.EvidenceRequest{ControlID: "AC-02", Title: "quarterly access review", Frequency: vigil.RequestQuarterly, Start: "2026-07-01", GraceDays: 10}
	if err := f.st.CreateRequest(f.ctx, r); err != nil {
		t.Fatal(err)
	}
	sigs, _ := f.svc.Signals(context.Background())
	if s := sigs["AC-02"]; len(s) != 1 || s[0].Status != vigil.SignalFail || !strings.Contains(s[0].Reason, "overdue for 2026-07-01") {
		t.Fatalf("no evidence: %+v", s)
	}
	e, err := f.svc.Upload(f.ctx, Meta{Filename: "review.csv", Requests: []int64{r.ID}, EffectiveStart: "2026-09-15", DeclaredSize: -1}, strings.NewReader("u,ok\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Controls) != 1 || e.Controls[0] != "AC-02" {
		t.Fatalf("request's control not linked: %v", e.Controls)
	}
	// Submitted after its due date and not reviewed: not fresh, unknown.
	sigs, _ = f.svc.Signals(context.Background())
	if s := sigs["AC-02"]; s[0].Status != vigil.SignalUnknown || s[0].Operating || !strings.Contains(s[0].Reason, "not yet accepted") {
		t.Fatalf("with evidence awaiting review: %+v", s)
	}
	if err := f.svc.Review(f.ctx, e.ID, vigil.ReviewAccepted, ""); err != nil {
		t.Fatal(err)
	}
	sigs, _ = f.svc.Signals(context.Background())
	if s := sigs["AC-02"]; s[0].Status != vigil.SignalOK || !s[0].Operating {
		t.Fatalf("with accepted evidence: %+v", s)
	}
	// A rejected item does not count.
	if err := f.svc.Review(f.ctx, e.ID, vigil.ReviewRejected, ""); vigil.ErrorField(err) != "reason" {
		t.Fatalf("rejection without reason: %v", err)
	}
	if err := f.svc.Review(f.ctx, e.ID, vigil.ReviewRejected, "wrong quarter"); err != nil {
		t.Fatal(err)
	}
	sigs, _ = f.svc.Signals(context.Background())
	if s := sigs["AC-02"]; s[0].Status != vigil.SignalFail {
		t.Fatalf("after rejection: %+v", s)
	}
	// Purge leaves a tombstone; the store still verifies; the bytes are gone.
	n, err := f.svc.Purge(f.ctx, "2026-10-01", "")
	if err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	size, _ := f.st.LedgerSize(context.Background())
	last, _ := f.st.LedgerEntry(context.Background(), size-1)
	if last.Kind != "tombstone" || !strings.Contains(string(last.Record), `"entry":0`) {
		t.Fatalf("last entry %+v", last)
	}
	if rep := f.verify(); !rep.OK {
		t.Fatalf("after purge: %+v", rep.Problems)
	}
	got, _ := f.st.Evidence(context.Background(), e.ID)
	if _, err := f.svc.Open(context.Background(), got); err == nil {
		t.Fatal("purged bytes still readable")
	}
}

// The ledger works the same on an S3-compatible store (moto_server).
func TestS3Blobs(t *testing.T) {
	endpoint := mototest.Start(t, "vigil-evidence")
	f := newFixture(t)
	s3, err := ledger.NewS3Store(context.Background(), ledger.S3Config{Bucket: "vigil-evidence", Prefix: "v/", Endpoint: endpoint, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.Blobs = s3
	big := strings.Repeat("quarterly access review export\n", 10000)
	e := f.upload("review.txt", big)
	f.upload("again.txt", big) // deduplicated: one object
	n := 0
	s3.List(context.Background(), func(string, time.Time) error { n++; return nil })
	if n != 1 {
		t.Fatalf("%d objects for one blob uploaded twice", n)
	}
	rc, err := f.svc.Open(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(rc)
	rc.Close()
	if buf.String() != big {
		t.Fatal("read back differs")
	}
	if r := f.verify(); !r.OK {
		t.Fatalf("verify on S3: %+v", r.Problems)
	}
	info, _ := f.st.Blob(context.Background(), e.SHA256)
	s3.Delete(context.Background(), info.Object)
	r := f.verify()
	if r.OK || !strings.Contains(r.Problems[0].Subject, e.SHA256) {
		t.Fatalf("deleted object not named: %+v", r.Problems)
	}
}

// Uploads of the same bytes at the same moment never destroy each other,
// and bytes uploaded again after a purge are readable.
func TestConcurrentSameBytesAndReupload(t *testing.T) {
	f := newFixture(t)
	big := strings.Repeat("same large export\n", 12000)
	var wg sync.WaitGroup
	items := make([]*vigil.Evidence, 8)
	for i := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, err := f.svc.Upload(f.ctx, Meta{Filename: fmt.Sprintf("copy-%d.txt", i), Controls: []string{"AC-01"}, EffectiveStart: "2026-01-01", DeclaredSize: -1}, strings.NewReader(big))
			if err != nil {
				t.Error(err)
				return
			}
			items[i] = e
		}()
	}
	wg.Wait()
	for _, e := range items {
		rc, err := f.svc.Open(context.Background(), e)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		_, err = buf.ReadFrom(rc)
		rc.Close()
		if err != nil || buf.String() != big {
			t.Fatalf("item %d unreadable after concurrent uploads of the same bytes: %v", e.ID, err)
		}
	}
	if r := f.verify(); !r.OK {
		t.Fatalf("after concurrent uploads: %+v", r.Problems)
	}
	// Purge them, upload the same bytes again: readable.
	if n, err := f.svc.Purge(f.ctx, "2026-06-01", ""); err != nil || n != 8 {
		t.Fatalf("purge: %d %v", n, err)
	}
	for _, body := range []string{big, "small bytes"} {
		e, err := f.svc.Upload(f.ctx, Meta{Filename: "again.txt", Controls: []string{"AC-01"}, EffectiveStart: "2026-10-01", DeclaredSize: -1}, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		rc, err := f.svc.Open(context.Background(), e)
		if err != nil {
			t.Fatalf("re-uploaded bytes: %v", err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(rc)
		rc.Close()
		if buf.String() != body {
			t.Fatal("re-uploaded bytes differ")
		}
	}
}

func TestVerifyReviewsAndPurges(t *testing.T) {
	cases := []struct {
		name, sql, want string
	}{
		{"review flipped", "UPDATE evidence_reviews SET state = 'accepted', reason = ''", "row was changed"},
		{"review inserted", "INSERT INTO evidence_reviews (evidence_id, state, reason, reviewer, log_index, created_at) VALUES (2, 'accepted', '', 'x', 1, '2026-01-01T00:00:00.000000Z')", "inserted behind"},
		{"review deleted", "DELETE FROM evidence_reviews", "review whose row is gone"},
		{"hidden as purged", "UPDATE evidence SET purged_at = '2026-01-01T00:00:00.000000Z' WHERE id = 2", "without a tombstone"},
		{"submitter changed", "UPDATE evidence SET submitter_id = 99 WHERE id = 1", "row was changed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			e := f.upload("a.txt", "one")
			f.upload("b.txt", "two")
			if err := f.svc.Review(f.ctx, e.ID, vigil.ReviewRejected, "wrong period"); err != nil {
				t.Fatal(err)
			}
			if r := f.verify(); !r.OK {
				t.Fatalf("before: %+v", r.Problems)
			}
			f.exec(c.sql)
			r := f.verify()
			found := false
			for _, p := range r.Problems {
				found = found || strings.Contains(p.Detail, c.want)
			}
			if r.OK || !found {
				t.Fatalf("problems %+v, want %q", r.Problems, c.want)
			}
		})
	}
}

// The signer refuses a log that does not extend what it signed before.
func TestCheckpointRefusesShrunkLog(t *testing.T) {
	f := newFixture(t)
	f.upload("a.txt", "one")
	f.upload("b.txt", "two")
	if _, err := f.svc.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.exec("DELETE FROM ledger_entries WHERE idx = 1")
	f.exec("DELETE FROM ledger_nodes WHERE idx >= 0 AND NOT (level = 0 AND idx = 0)")
	f.exec("DELETE FROM evidence_controls WHERE evidence_id = 2")
	f.exec("DELETE FROM evidence WHERE id = 2")
	f.upload("c.txt", "three") // appended where the removed entry was
	if _, err := f.svc.Checkpoint(context.Background()); err == nil || !strings.Contains(err.Error(), "refusing to sign") {
		t.Fatalf("signing a rewritten log: %v", err)
	}
}
