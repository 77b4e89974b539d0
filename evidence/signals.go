package evidence

import (
	"context"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/ledger"
)

// Name identifies the service as a signal source.
func (s *Service) Name() string { return "evidence" }

// Version changes whenever Signals could answer differently without a
// change to the database: at midnight UTC, when periods fall due. Changes
// to requests and evidence are in the store's state version already.
func (s *Service) Version(context.Context) (string, error) {
	return s.now().UTC().Format(time.DateOnly), nil
}

// Signals reports each control's evidence requests: fresh, due soon,
// overdue or missing, with the periods named.
func (s *Service) Signals(ctx context.Context) (map[string][]vigil.Signal, error) {
	reqs, err := s.Store.Requests(ctx, "")
	if err != nil {
		return nil, err
	}
	items, err := s.Store.RequestItems(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]vigil.Signal{}
	now := s.now()
	for i := range reqs {
		r := &reqs[i]
		out[r.ControlID] = append(out[r.ControlID], r.RequestSignal(r.Periods(items[r.ID], now), now))
	}
	return out, nil
}

// Purge removes the bytes of items whose effective period ended before
// the given day. Each removal leaves a tombstone record in the log, so it
// is visible, never silent; the records themselves stay. Blobs no item
// needs any more are deleted from the blob store after the commit.
func (s *Service) Purge(ctx context.Context, before vigil.Date, reason string) (int, error) {
	if _, err := vigil.ParseDate("before", string(before)); err != nil {
		return 0, err
	}
	if reason == "" {
		reason = "retention period ended"
	}
	by := vigil.ActorFrom(ctx).Name
	at := ledger.FormatTime(s.now())
	ids, shas, err := s.Store.PurgeEvidence(ctx, before, func(entry uint64) ([]byte, error) {
		return (&ledger.Record{Kind: ledger.KindTombstone, Entry: &entry, Reason: reason, By: by, At: at}).Marshal()
	})
	if err != nil {
		return 0, err
	}
	for _, sha := range shas {
		if err := s.Blobs.Delete(ctx, sha); err != nil {
			return len(ids), err
		}
	}
	return len(ids), nil
}
