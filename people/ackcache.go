package people

import (
	"context"
	"sync"

	"github.com/vigil-soc/vigil"
)

// ackCache keeps each person's newest acknowledgement of each policy in
// memory. Acknowledgements are only ever added, so each use reads only
// those recorded since the last (store.AcksSince): the standing of 5,000
// people with 20 policies is then map lookups, not 100,000 rows read
// again. Every replica keeps its own, and each use asks the database
// what is new, so none serves a stale answer.
type ackCache struct {
	mu     sync.Mutex
	since  int64
	latest map[int64]map[string]*vigil.PolicyAck // by policy, then email
}

// withLatest runs fn with the newest acknowledgement of each (policy,
// email), up to date with the database. fn runs under the cache's lock
// and must not keep what it was given.
func (s *Service) withLatest(ctx context.Context, fn func(latest func(policyID int64, email string) *vigil.PolicyAck) error) error {
	c := &s.acks
	c.mu.Lock()
	defer c.mu.Unlock()
	acks, newest, err := s.Store.AcksSince(ctx, c.since)
	if err != nil {
		return err
	}
	if c.latest == nil || newest < c.since {
		// First use, or the table is not the one read before (a restore):
		// start again from nothing.
		c.latest, c.since = map[int64]map[string]*vigil.PolicyAck{}, 0
		if acks, newest, err = s.Store.AcksSince(ctx, 0); err != nil {
			c.latest = nil
			return err
		}
	}
	for i := range acks {
		a := &acks[i]
		m := c.latest[a.PolicyID]
		if m == nil {
			m = map[string]*vigil.PolicyAck{}
			c.latest[a.PolicyID] = m
		}
		if old := m[a.Email]; old == nil || a.Number > old.Number {
			m[a.Email] = a
		}
	}
	c.since = newest
	return fn(func(policyID int64, email string) *vigil.PolicyAck {
		return c.latest[policyID][email]
	})
}

// peopleCache keeps the register as last read, with the state version it
// was read at: the register changes only by writes, each of which moves
// the version (store.StateVersion), so a read at the same version is the
// same list.
type peopleCache struct {
	mu      sync.Mutex
	version int64
	people  []vigil.Person
}

// people returns the register, read again only when something was written
// since. The slice is the caller's own.
func (s *Service) people(ctx context.Context) ([]vigil.Person, error) {
	v, err := s.Store.StateVersion(ctx)
	if err != nil {
		return nil, err
	}
	c := &s.reg
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.people == nil || c.version != v {
		ps, err := s.Store.People(ctx)
		if err != nil {
			return nil, err
		}
		if ps == nil {
			ps = []vigil.Person{}
		}
		c.people, c.version = ps, v
	}
	out := make([]vigil.Person, len(c.people))
	copy(out, c.people)
	return out, nil
}

// Warm reads every acknowledgement and the register into memory, so the
// first roster or overview after a start answers as fast as the rest
// (reading 100,000 acknowledgements takes about a second).
func (s *Service) Warm(ctx context.Context) error {
	if _, err := s.people(ctx); err != nil {
		return err
	}
	return s.withLatest(ctx, func(func(int64, string) *vigil.PolicyAck) error { return nil })
}
