package evidence

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/ledger"
	"github.com/vigil-soc/vigil/store"
)

// Verify checks the live store: every log entry against the stored tree
// and the signed checkpoints, every evidence row against its logged
// record, and (with blobs) every blob's bytes against its address. It
// names each problem: a changed row, a changed or missing blob, a removed
// entry or item, a rewritten history.
func (s *Service) Verify(ctx context.Context, blobs bool) (*vigil.LedgerReport, error) {
	start := time.Now()
	// Trust the key this process was given (the key file or the published
	// key), not the keys listed in the database being verified.
	if s.VerifierKey == "" {
		return nil, fmt.Errorf("verification needs the ledger's verifier key")
	}
	v := &verification{s: s, rep: &vigil.LedgerReport{Problems: []vigil.LedgerProblem{}},
		kinds: map[uint64]string{}, records: map[uint64][]byte{}, needBlob: map[string]bool{}}
	for _, step := range []func(context.Context) error{
		v.checkpoints,
		v.log,
		v.evidenceRows,
		v.tombstones,
		v.reviews,
		func(ctx context.Context) error { return v.blobs(ctx, blobs) },
		v.orphans,
	} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	v.rep.OK = len(v.rep.Problems) == 0
	v.rep.Took = time.Since(start)
	return v.rep, nil
}

// verification is one Verify: its report and what each step learns for
// the next.
type verification struct {
	s   *Service
	rep *vigil.LedgerReport
	cps []vigil.Checkpoint
	// The log's entries by index: their kind and record.
	kinds   map[uint64]string
	records map[uint64][]byte
	items   []vigil.Evidence
	byEntry map[uint64]*vigil.Evidence
	// needBlob lists the addresses live (not purged) evidence names.
	needBlob map[string]bool
	objects  map[string]bool // stored objects a blob row names
}

// checkpoints verifies each signed checkpoint with the trusted key.
func (v *verification) checkpoints(ctx context.Context) error {
	cps, err := v.s.Store.Checkpoints(ctx)
	if err != nil {
		return err
	}
	v.cps, v.rep.Checkpoints = cps, len(cps)
	for _, c := range cps {
		opened, err := ledger.OpenCheckpoint(c.Note, v.s.VerifierKey)
		switch {
		case err != nil:
			v.rep.Fail("checkpoint", fmt.Sprintf("checkpoint %d", c.Size), "signature does not verify with the ledger's key")
		case opened.Size != c.Size || hex.EncodeToString(opened.Root) != c.Root:
			v.rep.Fail("checkpoint", fmt.Sprintf("checkpoint %d", c.Size), "stored size or root differs from what the signed note says")
		}
	}
	return nil
}

// log rebuilds the tree from the entries, in order, compares its root at
// every checkpoint and each leaf with the stored leaf.
func (v *verification) log(ctx context.Context) error {
	bySize := map[uint64]vigil.Checkpoint{}
	for _, c := range v.cps {
		bySize[c.Size] = c
	}
	leaves := map[uint64][]byte{}
	if err := v.s.Store.LeafNodes(ctx, func(idx uint64, h []byte) error { leaves[idx] = h; return nil }); err != nil {
		return err
	}
	r, err := ledger.RangeAt(ctx, ledger.MemNodes{}, 0)
	if err != nil {
		return err
	}
	next := uint64(0)
	err = v.s.Store.LedgerEntries(ctx, 0, func(e store.LedgerEntry) error {
		for next < e.Index {
			v.rep.Fail("entries", fmt.Sprintf("entry %d", next), "is missing from the log (deleted)")
			// Keep the tree aligned with the stored leaf, so later checks
			// still mean something.
			if err := r.Append(leavesOr(leaves, next), nil); err != nil {
				return err
			}
			next++
		}
		leaf := ledger.LeafHash(e.Record)
		if stored, ok := leaves[e.Index]; ok && !bytes.Equal(stored, leaf) {
			v.rep.Fail("entries", fmt.Sprintf("entry %d", e.Index), "record was changed: it no longer hashes to the leaf in the tree")
		}
		if err := r.Append(leaf, nil); err != nil {
			return err
		}
		next++
		v.kinds[e.Index], v.records[e.Index] = e.Kind, e.Record
		if c, ok := bySize[r.End()]; ok {
			root, err := r.GetRootHash(nil)
			if err != nil {
				return err
			}
			if hex.EncodeToString(root) != c.Root {
				v.rep.Fail("checkpoint", fmt.Sprintf("checkpoint %d", c.Size), "the log's first %d entries no longer have the signed root: history was rewritten", c.Size)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	v.rep.Entries = next
	for _, c := range v.cps {
		if c.Size > next {
			v.rep.Fail("checkpoint", fmt.Sprintf("checkpoint %d", c.Size), "signs %d entries but the log holds %d: entries were removed from the end", c.Size, next)
		}
	}
	return nil
}

// evidenceRows checks every evidence row against its logged record, and
// that every evidence entry still has its row.
func (v *verification) evidenceRows(ctx context.Context) error {
	items, err := v.s.Store.ListEvidence(ctx, vigil.EvidenceFilter{})
	if err != nil {
		return err
	}
	v.items, v.rep.Items = items, len(items)
	v.byEntry = make(map[uint64]*vigil.Evidence, len(items))
	for i := range items {
		e := &items[i]
		v.byEntry[e.LogIndex] = e
		subject := fmt.Sprintf("evidence %d (entry %d)", e.ID, e.LogIndex)
		want, err := RecordOf(e).Marshal()
		if err != nil {
			return err
		}
		switch got, ok := v.records[e.LogIndex]; {
		case !ok:
			v.rep.Fail("evidence", subject, "its log entry is missing")
		case v.kinds[e.LogIndex] != ledger.KindEvidence:
			v.rep.Fail("evidence", subject, "its log entry is a %s, not evidence", v.kinds[e.LogIndex])
		case !bytes.Equal(got, want):
			v.rep.Fail("evidence", subject, "the row was changed: it differs from its logged record")
		}
		if e.SHA256 != "" && e.PurgedAt == nil {
			v.needBlob[e.SHA256] = true
		}
	}
	for idx, k := range v.kinds {
		if k == ledger.KindEvidence && v.byEntry[idx] == nil {
			v.rep.Fail("evidence", fmt.Sprintf("entry %d", idx), "records evidence whose row is gone (deleted)")
		}
	}
	return nil
}

// tombstones checks purges both ways: each tombstone's item is marked
// purged, and each purged item has its tombstone. Review entries must
// name an evidence entry too.
func (v *verification) tombstones(context.Context) error {
	tombstoned := map[uint64]bool{}
	for idx, k := range v.kinds {
		if k != ledger.KindTombstone && k != ledger.KindReview {
			continue
		}
		rec, err := ledger.ParseRecord(v.records[idx])
		if err != nil || rec.Entry == nil {
			v.rep.Fail("entries", fmt.Sprintf("entry %d", idx), "is a %s that names no evidence entry", k)
			continue
		}
		if k == ledger.KindTombstone {
			tombstoned[*rec.Entry] = true
			if e := v.byEntry[*rec.Entry]; e != nil && e.PurgedAt == nil {
				v.rep.Fail("evidence", fmt.Sprintf("evidence %d (entry %d)", e.ID, e.LogIndex), "a tombstone (entry %d) says it was purged but its row says otherwise", idx)
			}
		}
	}
	for _, e := range v.items {
		if e.PurgedAt != nil && !tombstoned[e.LogIndex] {
			v.rep.Fail("evidence", fmt.Sprintf("evidence %d (entry %d)", e.ID, e.LogIndex), "is marked purged without a tombstone in the log: evidence was hidden")
		}
	}
	return nil
}

// reviews checks each review row against its entry, and that each review
// entry has its row.
func (v *verification) reviews(ctx context.Context) error {
	reviewed := map[uint64]bool{}
	err := v.s.Store.Reviews(ctx, func(rv store.ReviewRow) error {
		subject := fmt.Sprintf("review of evidence %d (entry %d)", rv.EvidenceID, rv.LogIndex)
		reviewed[rv.LogIndex] = true
		rec, err := ledger.ParseRecord(v.records[rv.LogIndex])
		switch {
		case v.kinds[rv.LogIndex] != ledger.KindReview || err != nil || rec.Entry == nil:
			v.rep.Fail("review", subject, "has no review entry in the log (inserted behind the ledger's back)")
		case rec.State != rv.State || rec.Reason != rv.Reason || rec.By != rv.Reviewer:
			v.rep.Fail("review", subject, "the row was changed: the log says %s", rec.State)
		default:
			if e := v.byEntry[*rec.Entry]; e == nil || e.ID != rv.EvidenceID {
				v.rep.Fail("review", subject, "the log records it for another item")
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for idx, k := range v.kinds {
		if k == ledger.KindReview && !reviewed[idx] {
			v.rep.Fail("review", fmt.Sprintf("entry %d", idx), "records a review whose row is gone (deleted)")
		}
	}
	return nil
}

// blobs checks that every blob live evidence needs has its row and its
// object; with read, it hashes every one (an object's reader fails when
// its bytes do not match its address).
func (v *verification) blobs(ctx context.Context, read bool) error {
	known := map[string]bool{} // addresses with a row
	v.objects = map[string]bool{}
	err := v.s.Store.Blobs(ctx, func(b store.BlobInfo) error {
		known[b.SHA256] = true
		if b.Object != "" {
			v.objects[b.Object] = true
		}
		if !v.needBlob[b.SHA256] {
			return nil
		}
		v.rep.Blobs++
		v.rep.BlobBytes += b.Size
		if !read {
			if b.Inline != nil {
				return nil
			}
			if ok, err := v.s.Blobs.Exists(ctx, b.Object); err != nil || !ok {
				v.rep.Fail("blob", "blob "+b.SHA256, "is missing from %s", v.s.Blobs.Where())
			}
			return nil
		}
		rc, err := v.s.Open(ctx, &vigil.Evidence{SHA256: b.SHA256})
		if err != nil {
			v.rep.Fail("blob", "blob "+b.SHA256, "cannot be read: %v", err)
			return nil
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		switch {
		case err != nil:
			v.rep.Fail("blob", "blob "+b.SHA256, "is changed or damaged: %v", err)
		case n != b.Size:
			v.rep.Fail("blob", "blob "+b.SHA256, "holds %d bytes, not %d", n, b.Size)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for sha := range v.needBlob {
		if !known[sha] {
			v.rep.Fail("blob", "blob "+sha, "has no row (deleted)")
		}
	}
	return nil
}

// orphans lists stored objects no row names (not a problem: what a crash
// between storing a blob and committing its row leaves, for
// CollectGarbage).
func (v *verification) orphans(ctx context.Context) error {
	return v.s.Blobs.List(ctx, func(name string, _ time.Time) error {
		if !v.objects[name] {
			v.rep.Orphans = append(v.rep.Orphans, name)
		}
		return nil
	})
}

func leavesOr(m map[uint64][]byte, idx uint64) []byte {
	if h, ok := m[idx]; ok {
		return h
	}
	return make([]byte, 32)
}

// CollectGarbage deletes stored objects that no row refers to and that are
// older than grace: what a crash between storing a blob and committing its
// row leaves behind.
func (s *Service) CollectGarbage(ctx context.Context, grace time.Duration) (int, error) {
	known := map[string]bool{}
	if err := s.Store.Blobs(ctx, func(b store.BlobInfo) error { known[b.Object] = true; return nil }); err != nil {
		return 0, err
	}
	var orphans []string
	cutoff := s.now().Add(-grace)
	err := s.Blobs.List(ctx, func(name string, mod time.Time) error {
		if !known[name] && mod.Before(cutoff) {
			orphans = append(orphans, name)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, name := range orphans {
		if err := s.Blobs.Delete(ctx, name); err != nil {
			return 0, err
		}
	}
	return len(orphans), nil
}
