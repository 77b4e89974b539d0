// Package scheduler runs server-side jobs on their intervals, once across
// replicas sharing a database: each replica claims a lease row before
// running a due job and renews it while the job runs.
package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-soc/vigil/store"
)

// Job is a scheduled piece of work: a server-side check run, a sealing.
type Job struct {
	Name  string
	Every time.Duration
	Run   func(ctx context.Context) error
}

// Scheduler runs jobs on their intervals. Replicas sharing a database
// each run a scheduler; a lease in the database makes each run happen on
// one of them only.
type Scheduler struct {
	Store  *store.Store
	Holder string // this replica, e.g. host:pid
	Jobs   []Job
	// Dynamic, when set, adds jobs that change while the server runs
	// (one per integration), asked again at every tick.
	Dynamic func(ctx context.Context) ([]Job, error)
	Log     *slog.Logger
	Tick    time.Duration
	// Parallel bounds the jobs running at once (default 4), so that one
	// slow source does not hold the others back, nor all of them the
	// server.
	Parallel int
	// LeaseTTL is how long a claim holds without renewal (default: half
	// the job's interval, at least a minute).
	LeaseTTL time.Duration

	mu      sync.Mutex
	running map[string]bool
	sem     chan struct{}
}

// RunDue starts the jobs that are due and waits for them; it returns how
// many it ran.
func (s *Scheduler) RunDue(ctx context.Context) int {
	wg, n := s.startDue(ctx)
	wg.Wait()
	return int(n.Load())
}

// startDue starts the jobs that are due (at most Parallel at once, none
// twice at a time) without waiting for them.
func (s *Scheduler) startDue(ctx context.Context) (*sync.WaitGroup, *atomic.Int64) {
	s.mu.Lock()
	if s.running == nil {
		s.running = map[string]bool{}
		if s.Parallel <= 0 {
			s.Parallel = 4
		}
		s.sem = make(chan struct{}, s.Parallel)
	}
	s.mu.Unlock()
	jobs := s.Jobs
	if s.Dynamic != nil {
		more, err := s.Dynamic(ctx)
		if err != nil {
			s.Log.Error("scheduler: cannot list jobs", "err", err)
		}
		jobs = append(append([]Job{}, jobs...), more...)
	}
	wg := &sync.WaitGroup{}
	n := &atomic.Int64{}
	for _, j := range jobs {
		s.mu.Lock()
		busy := s.running[j.Name]
		s.mu.Unlock()
		if busy {
			continue // still running from an earlier tick
		}
		// Claim first, then look at the last run: a replica that ran the
		// job a moment ago has recorded it before its lease can pass on.
		ttl := s.LeaseTTL
		if ttl <= 0 {
			ttl = max(j.Every/2, time.Minute)
		}
		ok, err := s.Store.ClaimLease(ctx, j.Name, s.Holder, ttl)
		if err != nil {
			s.Log.Error("scheduler: cannot claim", "job", j.Name, "err", err)
			continue
		}
		if !ok {
			continue
		}
		last, err := s.Store.LeaseLastRun(ctx, j.Name)
		if err != nil || time.Since(last) < j.Every {
			continue
		}
		s.mu.Lock()
		s.running[j.Name] = true
		s.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.sem <- struct{}{}
			defer func() { <-s.sem }()
			defer func() {
				s.mu.Lock()
				delete(s.running, j.Name)
				s.mu.Unlock()
			}()
			// Waiting for a slot may have outlasted the lease: claim it
			// again (still ours, or free) before starting.
			claimed := time.Now()
			if ok, err := s.Store.ClaimLease(ctx, j.Name, s.Holder, ttl); err != nil || !ok {
				s.Log.Error("scheduler: the lease passed on while the job waited; not starting it", "job", j.Name, "err", err)
				return
			}
			// The run is recorded when it starts: a replica that gets the
			// lease later (this one died, or lost its database) sees it and
			// does not start the job again within its interval.
			if merr := s.Store.MarkLeaseRun(ctx, j.Name, s.Holder); merr != nil {
				s.Log.Error("scheduler: cannot record the run; not starting it", "job", j.Name, "err", merr)
				return
			}
			// The lease is renewed while the job runs, so a job longer than
			// the lease is never started beside itself; if the lease is lost
			// all the same, the job is stopped.
			jctx, stop := context.WithCancel(ctx)
			defer stop()
			go func() {
				t := time.NewTicker(ttl / 3)
				defer t.Stop()
				renewed := claimed
				for {
					select {
					case <-jctx.Done():
						return
					case <-t.C:
						// A renewal that hangs must not outlive the lease.
						rctx, cancel := context.WithTimeout(jctx, ttl/3)
						ok, err := s.Store.ClaimLease(rctx, j.Name, s.Holder, ttl)
						cancel()
						switch {
						case err == nil && ok:
							renewed = time.Now()
						case err == nil:
							s.Log.Error("scheduler: lease lost to another replica; stopping the job", "job", j.Name)
							stop()
							return
						case time.Since(renewed) >= ttl:
							// Unrenewed past its lease, another replica may
							// have started the job: this run stops.
							s.Log.Error("scheduler: cannot renew the lease; stopping the job", "job", j.Name, "err", err)
							stop()
							return
						}
					}
				}
			}()
			start := time.Now()
			err := j.Run(jctx)
			stop()
			n.Add(1)
			if err != nil {
				s.Log.Error("scheduled job failed", "job", j.Name, "took", time.Since(start), "err", err)
			} else {
				s.Log.Info("scheduled job ran", "job", j.Name, "took", time.Since(start))
			}
		}()
	}
	return wg, n
}

// Run ticks until ctx ends. A long job does not delay the next tick: jobs
// run in the background, each at most once at a time.
func (s *Scheduler) Run(ctx context.Context) {
	if s.Tick <= 0 {
		s.Tick = 15 * time.Second
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	for {
		s.startDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.Tick):
		}
	}
}

// Holder names this process for leases.
func Holder() string {
	h, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", h, os.Getpid())
}
