package evidence

import (
	"context"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/store"
)

// Appends are group-committed: concurrent uploads queue their records and
// one writer commits whatever has gathered in a single transaction, so a
// burst costs one durable commit rather than one each. Every caller is
// answered only after the commit that holds its item.

type pending struct {
	item  *store.NewEvidence
	actor vigil.Actor
	done  chan error
}

const maxBatch = 256

func (s *Service) commit(ctx context.Context, item *store.NewEvidence, out *vigil.Evidence) error {
	s.once.Do(func() {
		s.queue = make(chan *pending, 4*maxBatch)
		go s.committer()
	})
	p := &pending{item: item, actor: vigil.ActorFrom(ctx), done: make(chan error, 1)}
	select {
	case s.queue <- p:
	case <-ctx.Done():
		return ctx.Err()
	}
	// Wait for the commit even if the client goes away: the item is
	// committed or not, and the caller must know which.
	err := <-p.done
	if err == nil {
		*out = item.Item
	}
	return err
}

func (s *Service) committer() {
	for first := range s.queue {
		batch := []*pending{first}
	gather:
		for len(batch) < maxBatch {
			select {
			case p := <-s.queue:
				batch = append(batch, p)
			default:
				break gather
			}
		}
		s.commitBatch(batch)
	}
}

func (s *Service) commitBatch(batch []*pending) {
	items := make([]*store.NewEvidence, len(batch))
	actors := make([]vigil.Actor, len(batch))
	stored := false
	for i, p := range batch {
		items[i], actors[i] = p.item, p.actor
		stored = stored || p.item.Blob != nil && p.item.Blob.Object != ""
	}
	// Nothing may be committed (and acknowledged) whose bytes could still
	// be lost: objects put in the blob store are made durable before the
	// commit, by one Sync for the batch, which runs while the rows are
	// written. A batch of small items, kept in their rows, needs none: the
	// commit makes them durable, and a Sync would only wait for whatever
	// else the file system has to write.
	var ready func() error
	var syncErr error
	synced := make(chan struct{})
	if stored {
		go func() { syncErr = s.Blobs.Sync(context.Background()); close(synced) }()
		ready = func() error { <-synced; return syncErr }
	} else {
		close(synced)
	}
	err := s.Store.AddEvidence(context.Background(), items, actors, ready)
	if <-synced; syncErr != nil {
		// Not durable: no item of the batch may be committed, alone or not.
		for _, p := range batch {
			p.done <- syncErr
		}
		return
	}
	if err != nil && len(batch) > 1 {
		// One bad item must not sink the others: commit them one by one
		// (their objects, if any, are durable now).
		for _, p := range batch {
			p.done <- s.Store.AddEvidence(context.Background(), []*store.NewEvidence{p.item}, []vigil.Actor{p.actor}, nil)
		}
		return
	}
	for _, p := range batch {
		p.done <- err
	}
}
