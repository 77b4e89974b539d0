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
	rep := &vigil.LedgerReport{Problems: []vigil.LedgerProblem{}}
	// Trust the key this process was given (the key file or the published
	// key), not the keys listed in the database being verified.
	keys := []string{s.VerifierKey}
	if s.VerifierKey == "" {
		return nil, fmt.Errorf("verification needs the ledger's verifier key")
	}
	cps, err := s.Store.Checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	rep.Checkpoints = len(cps)
	bySize := map[uint64]vigil.Checkpoint{}
	for _, c := range cps {
		bySize[c.Size] = c
		var opened *ledger.Checkpoint
		for _, k := range keys {
			if cp, err := ledger.OpenCheckpoint(c.Note, k); err == nil {
				opened = cp
				break
			}
		}
		switch {
		case opened == nil:
			rep.Fail("checkpoint", fmt.Sprintf("checkpoint %d", c.Size), "signature does not verify with the ledger's key")
		case opened.Size != c.Size || hex.EncodeToString(opened.Root) != c.Root:
			rep.Fail("checkpoint", fmt.Sprintf("checkpoint %d", c.Size), "stored size or root differs from what the signed note says")
		}
	}
	// Rebuild the tree from the entries, in order, and compare its root at
	// every checkpoint; compare each leaf with the stored leaf.
	leaves := map[uint64][]byte{}
	if err := s.Store.LeafNodes(ctx, func(idx uint64, h []byte) error { leaves[idx] = h; return nil }); err != nil {
		return nil, err
	}
	r, err := ledger.RangeAt(ctx, ledger.MemNodes{}, 0)
	if err != nil {
		return nil, err
	}
	kinds := map[uint64]string{}
	records := map[uint64][]byte{}
	next := uint64(0)
	err = s.Store.LedgerEntries(ctx, 0, func(e store.LedgerEntry) error {
		for next < e.Index {
			rep.Fail("entries", fmt.Sprintf("entry %d", next), "is missing from the log (deleted)")
			// Keep the tree aligned with the stored leaf, so later checks
			// still mean something.
			if err := r.Append(leavesOr(leaves, next), nil); err != nil {
				return err
			}
			next++
		}
		leaf := ledger.LeafHash(e.Record)
		if stored, ok := leaves[e.Index]; ok && !bytes.Equal(stored, leaf) {
			rep.Fail("entries", fmt.Sprintf("entry %d", e.Index), "record was changed: it no longer hashes to the leaf in the tree")
		}
		if err := r.Append(leaf, nil); err != nil {
			return err
		}
		next++
		kinds[e.Index], records[e.Index] = e.Kind, e.Record
		if c, ok := bySize[r.End()]; ok {
			root, err := r.GetRootHash(nil)
			if err != nil {
				return err
			}
			if hex.EncodeToString(root) != c.Root {
				rep.Fail("checkpoint", fmt.Sprintf("checkpoint %d", c.Size), "the log's first %d entries no longer have the signed root: history was rewritten", c.Size)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.Entries = next
	for _, c := range cps {
		if c.Size > next {
			rep.Fail("checkpoint", fmt.Sprintf("checkpoint %d", c.Size), "signs %d entries but the log holds %d: entries were removed from the end", c.Size, next)
		}
	}
	// Evidence rows against their records.
	items, err := s.Store.ListEvidence(ctx, vigil.EvidenceFilter{})
	if err != nil {
		return nil, err
	}
	rep.Items = len(items)
	seen := map[uint64]bool{}
	needBlob := map[string]bool{}
	for i := range items {
		e := &items[i]
		subject := fmt.Sprintf("evidence %d (entry %d)", e.ID, e.LogIndex)
		seen[e.LogIndex] = true
		want, err := RecordOf(e).Marshal()
		if err != nil {
			return nil, err
		}
		switch got, ok := records[e.LogIndex]; {
		case !ok:
			rep.Fail("evidence", subject, "its log entry is missing")
		case kinds[e.LogIndex] != ledger.KindEvidence:
			rep.Fail("evidence", subject, "its log entry is a %s, not evidence", kinds[e.LogIndex])
		case !bytes.Equal(got, want):
			rep.Fail("evidence", subject, "the row was changed: it differs from its logged record")
		}
		if e.SHA256 != "" && e.PurgedAt == nil {
			needBlob[e.SHA256] = true
		}
	}
	for idx, k := range kinds {
		if k == ledger.KindEvidence && !seen[idx] {
			rep.Fail("evidence", fmt.Sprintf("entry %d", idx), "records evidence whose row is gone (deleted)")
		}
	}
	// Reviews and purges are entries too: each row must match its entry,
	// and each entry must have its row.
	byEntry := map[uint64]*vigil.Evidence{}
	for i := range items {
		byEntry[items[i].LogIndex] = &items[i]
	}
	tombstoned := map[uint64]bool{}
	reviewed := map[uint64]bool{}
	for idx, k := range kinds {
		if k != ledger.KindTombstone && k != ledger.KindReview {
			continue
		}
		rec, err := ledger.ParseRecord(records[idx])
		if err != nil || rec.Entry == nil {
			rep.Fail("entries", fmt.Sprintf("entry %d", idx), "is a %s that names no evidence entry", k)
			continue
		}
		if k == ledger.KindTombstone {
			tombstoned[*rec.Entry] = true
			if e := byEntry[*rec.Entry]; e != nil && e.PurgedAt == nil {
				rep.Fail("evidence", fmt.Sprintf("evidence %d (entry %d)", e.ID, e.LogIndex), "a tombstone (entry %d) says it was purged but its row says otherwise", idx)
			}
		}
	}
	for _, e := range items {
		if e.PurgedAt != nil && !tombstoned[e.LogIndex] {
			rep.Fail("evidence", fmt.Sprintf("evidence %d (entry %d)", e.ID, e.LogIndex), "is marked purged without a tombstone in the log: evidence was hidden")
		}
	}
	err = s.Store.Reviews(ctx, func(rv store.ReviewRow) error {
		subject := fmt.Sprintf("review of evidence %d (entry %d)", rv.EvidenceID, rv.LogIndex)
		reviewed[rv.LogIndex] = true
		rec, err := ledger.ParseRecord(records[rv.LogIndex])
		switch {
		case kinds[rv.LogIndex] != ledger.KindReview || err != nil || rec.Entry == nil:
			rep.Fail("review", subject, "has no review entry in the log (inserted behind the ledger's back)")
		case rec.State != rv.State || rec.Reason != rv.Reason || rec.By != rv.Reviewer:
			rep.Fail("review", subject, "the row was changed: the log says %s", rec.State)
		default:
			if e := byEntry[*rec.Entry]; e == nil || e.ID != rv.EvidenceID {
				rep.Fail("review", subject, "the log records it for another item")
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for idx, k := range kinds {
		if k == ledger.KindReview && !reviewed[idx] {
			rep.Fail("review", fmt.Sprintf("entry %d", idx), "records a review whose row is gone (deleted)")
		}
	}
	// Blobs.
	known := map[string]bool{}   // addresses with a row
	objects := map[string]bool{} // objects a row names
	err = s.Store.Blobs(ctx, func(b store.BlobInfo) error {
		known[b.SHA256] = true
		if b.Object != "" {
			objects[b.Object] = true
		}
		if !needBlob[b.SHA256] {
			return nil
		}
		rep.Blobs++
		rep.BlobBytes += b.Size
		if !blobs {
			if b.Inline != nil {
				return nil
			}
			if ok, err := s.Blobs.Exists(ctx, b.Object); err != nil || !ok {
				rep.Fail("blob", "blob "+b.SHA256, "is missing from %s", s.Blobs.Where())
			}
			return nil
		}
		rc, err := s.Open(ctx, &vigil.Evidence{SHA256: b.SHA256})
		if err != nil {
			rep.Fail("blob", "blob "+b.SHA256, "cannot be read: %v", err)
			return nil
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		switch {
		case err != nil:
			rep.Fail("blob", "blob "+b.SHA256, "is changed or damaged: %v", err)
		case n != b.Size:
			rep.Fail("blob", "blob "+b.SHA256, "holds %d bytes, not %d", n, b.Size)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for sha := range needBlob {
		if !known[sha] {
			rep.Fail("blob", "blob "+sha, "has no row (deleted)")
		}
	}
	err = s.Blobs.List(ctx, func(name string, _ time.Time) error {
		if !objects[name] {
			rep.Orphans = append(rep.Orphans, name)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.OK = len(rep.Problems) == 0
	rep.Took = time.Since(start)
	return rep, nil
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
