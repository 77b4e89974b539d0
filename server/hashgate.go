package server

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/auth"
)

// DefaultHashMemory is the memory password hashing may hold at once by
// default: each argon2id hash holds its whole memory parameter (46 MiB by
// default) while it runs, so this admits 11 at a time.
const DefaultHashMemory = 512 << 20

// hashWait is how long a request waits for a hashing slot before it is
// told the server is busy: long enough to ride out a short burst of real
// sign-ins, short enough that a flood is refused quickly.
const hashWait = 3 * time.Second

// hashGate bounds the password hashes running at once, so that no burst of
// sign-ins, resets or password changes can exhaust memory: a request that
// cannot get a slot within hashWait is refused with 429, not queued.
type hashGate struct {
	slots   chan struct{}
	total   atomic.Int64 // hashes run
	running atomic.Int64
	peak    atomic.Int64
	refused atomic.Int64
}

// write adds the gate's figures to the metrics, so an operator (and the
// attack tests) can see hashing stay within its bound.
func (g *hashGate) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP vigil_password_hash_slots Password hashes allowed at once.\n# TYPE vigil_password_hash_slots gauge\nvigil_password_hash_slots %d\n", cap(g.slots))
	fmt.Fprintf(w, "# HELP vigil_password_hashes_total Password hashes run (sign-ins, resets, changes).\n# TYPE vigil_password_hashes_total counter\nvigil_password_hashes_total %d\n", g.total.Load())
	fmt.Fprintf(w, "# HELP vigil_password_hashes_running Password hashes running now.\n# TYPE vigil_password_hashes_running gauge\nvigil_password_hashes_running %d\n", g.running.Load())
	fmt.Fprintf(w, "# HELP vigil_password_hashes_peak Most password hashes that ran at once.\n# TYPE vigil_password_hashes_peak gauge\nvigil_password_hashes_peak %d\n", g.peak.Load())
	fmt.Fprintf(w, "# HELP vigil_password_hashes_refused_total Requests refused because every hashing slot stayed busy.\n# TYPE vigil_password_hashes_refused_total counter\nvigil_password_hashes_refused_total %d\n", g.refused.Load())
}

func newHashGate(p auth.Params, budget int64) *hashGate {
	if budget <= 0 {
		budget = DefaultHashMemory
	}
	n := budget / (int64(p.Memory) * 1024)
	if n < 1 {
		n = 1
	}
	return &hashGate{slots: make(chan struct{}, n)}
}

// do runs fn in a slot.
func (g *hashGate) do(ctx context.Context, fn func()) error {
	t := time.NewTimer(hashWait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
	case <-t.C:
		g.refused.Add(1)
		return vigil.Errorf(vigil.ERATELIMITED, "the server is busy checking passwords; try again in a moment")
	case <-ctx.Done():
		return ctx.Err()
	}
	g.total.Add(1)
	n := g.running.Add(1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			break
		}
	}
	defer func() { g.running.Add(-1); <-g.slots }()
	fn()
	// The hash's memory (46 MiB by default) is garbage now. Left to the
	// collector's pacing, a burst of sign-ins piles up several times the
	// budget in garbage before a cycle runs; collecting before the slot
	// is freed keeps the heap near what the slots hold. A sign-in costs
	// one collection more, small beside the hash itself.
	runtime.GC()
	return nil
}

// hashPassword hashes a new password within the gate.
func (s *Server) hashPassword(ctx context.Context, pw string) (string, error) {
	var h string
	var err error
	if gerr := s.hashes.do(ctx, func() { h, err = auth.HashPassword(pw, s.pwp) }); gerr != nil {
		return "", gerr
	}
	return h, err
}

// verifyPassword checks a password within the gate. An empty hash (no
// password set) is checked against a dummy hash, so that it costs the
// same time and memory as a real check.
func (s *Server) verifyPassword(ctx context.Context, pw, hash string) (bool, error) {
	var ok bool
	var err error
	if gerr := s.hashes.do(ctx, func() {
		if hash == "" {
			_, _ = auth.VerifyPassword(pw, s.dummyHash())
			return
		}
		ok, err = auth.VerifyPassword(pw, hash)
	}); gerr != nil {
		return false, gerr
	}
	return ok, err
}

// reserve records an attempt under one address-wide key before the work
// it limits, so that the limit holds against concurrent requests and
// across replicas. It returns the attempt's group (for ForgiveAttempt when
// it succeeds) or, when the limit is used up, the refusal.
func (s *Server) reserve(ctx context.Context, key string) (string, *vigil.AttemptRefused, error) {
	grp, _, err := auth.NewSecret("")
	if err != nil {
		return "", nil, err
	}
	_, refused, err := s.store.ReserveAttempt(ctx, grp, s.now(), []vigil.AttemptLimit{{Key: key, Max: addrMaxFailures, Window: addrWindow}})
	return grp, refused, err
}
