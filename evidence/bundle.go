package evidence

import (
	"context"
	"fmt"
	"io"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/ledger"
	"github.com/vigil-soc/vigil/store"
)

// Export writes a bundle of the items that match f (all when zero) with
// everything needed to verify them offline: their records, inclusion proofs
// against a fresh signed checkpoint, every earlier checkpoint with
// consistency proofs, their bytes, and the verifier key.
func (s *Service) Export(ctx context.Context, w io.Writer, f vigil.EvidenceFilter) error {
	cp, err := s.Checkpoint(ctx)
	if err != nil {
		return err
	}
	cps, err := s.Store.Checkpoints(ctx)
	if err != nil {
		return err
	}
	m := ledger.Manifest{Origin: s.Origin, VerifierKey: s.VerifierKey, Checkpoint: cp.Note, Created: ledger.FormatTime(s.now())}
	if f.Control != "" {
		m.Filter = map[string]any{"control": f.Control}
	}
	for i, c := range cps {
		if c.Size >= cp.Size || c.Size == 0 {
			continue
		}
		next := cp.Size
		if i+1 < len(cps) && cps[i+1].Size < cp.Size {
			next = cps[i+1].Size
		}
		p, err := s.ConsistencyProof(ctx, c.Size, next)
		if err != nil {
			return err
		}
		m.Checkpoints = append(m.Checkpoints, ledger.BundleCP{Note: c.Note, Consistency: p})
	}
	bw := ledger.NewBundleWriter(w, m)
	items, err := s.Store.ListEvidence(ctx, f)
	if err != nil {
		return err
	}
	written := map[string]string{}
	exported := map[uint64]bool{}
	for i := len(items) - 1; i >= 0; i-- { // oldest first
		e := &items[i]
		if e.LogIndex >= cp.Size {
			continue // newer than the checkpoint (appended meanwhile)
		}
		entry, err := s.Store.LedgerEntry(ctx, e.LogIndex)
		if err != nil {
			return err
		}
		p, err := ledger.InclusionProof(ctx, s.Store.LedgerNodes(), e.LogIndex, cp.Size)
		if err != nil {
			return err
		}
		it := ledger.BundleItem{Entry: e.LogIndex, Record: string(entry.Record), Proof: hexAll(p)}
		if e.SHA256 != "" && e.PurgedAt == nil {
			if path, ok := written[e.SHA256]; ok {
				it.Blob = path
			} else {
				rc, err := s.Open(ctx, e)
				if err != nil {
					return fmt.Errorf("evidence %d: %w", e.ID, err)
				}
				it.Blob, err = bw.AddBlob(e.SHA256, rc)
				rc.Close()
				if err != nil {
					return fmt.Errorf("evidence %d: %w", e.ID, err)
				}
				written[e.SHA256] = it.Blob
			}
		}
		bw.AddItem(it)
		exported[e.LogIndex] = true
	}
	// Reviews and tombstones of the exported items travel with them, so a
	// rejection or a purge can be checked offline too.
	err = s.Store.LedgerEntries(ctx, 0, func(le store.LedgerEntry) error {
		if le.Index >= cp.Size || (le.Kind != ledger.KindReview && le.Kind != ledger.KindTombstone) {
			return nil
		}
		rec, err := ledger.ParseRecord(le.Record)
		if err != nil || rec.Entry == nil || !exported[*rec.Entry] {
			return nil
		}
		p, err := ledger.InclusionProof(ctx, s.Store.LedgerNodes(), le.Index, cp.Size)
		if err != nil {
			return err
		}
		bw.AddItem(ledger.BundleItem{Entry: le.Index, Record: string(le.Record), Proof: hexAll(p)})
		return nil
	})
	if err != nil {
		return err
	}
	return bw.Close(ctx)
}
