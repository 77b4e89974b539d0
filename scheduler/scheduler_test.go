package scheduler_test

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-soc/vigil/internal/pgtest"
	"github.com/vigil-soc/vigil/scheduler"
	"github.com/vigil-soc/vigil/store"
)

// TestSchedulerRunsOnceAcrossReplicas: three replicas on one PostgreSQL
// database tick at the same moments; a due job runs once per interval.
func TestSchedulerRunsOnceAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	url := pgtest.Database(t)
	var runs atomic.Int64
	job := scheduler.Job{Name: "test-job", Every: time.Hour, Run: func(context.Context) error {
		runs.Add(1)
		time.Sleep(20 * time.Millisecond) // long enough for the others to try
		return nil
	}}
	var scheds []*scheduler.Scheduler
	for i := range 3 {
		st := openReplica(t, url)
		scheds = append(scheds, &scheduler.Scheduler{Store: st, Holder: "replica-" + string(rune('a'+i)), Jobs: []scheduler.Job{job}, Log: discard()})
	}
	for range 5 {
		var wg sync.WaitGroup
		for _, s := range scheds {
			wg.Add(1)
			go func() { defer wg.Done(); s.RunDue(ctx) }()
		}
		wg.Wait()
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("the job ran %d times in one interval across 3 replicas, want 1", n)
	}
}

// TestSchedulerLongJobKeepsItsLease: a job that runs four times longer
// than its lease and past its interval is not started beside itself by
// another replica: the lease is renewed while it runs.
func TestSchedulerLongJobKeepsItsLease(t *testing.T) {
	ctx := context.Background()
	url := pgtest.Database(t)
	var running, overlaps, runs atomic.Int64
	job := scheduler.Job{Name: "long", Every: 200 * time.Millisecond, Run: func(context.Context) error {
		if running.Add(1) > 1 {
			overlaps.Add(1)
		}
		runs.Add(1)
		time.Sleep(600 * time.Millisecond)
		running.Add(-1)
		return nil
	}}
	var scheds []*scheduler.Scheduler
	for i := range 2 {
		st := openReplica(t, url)
		scheds = append(scheds, &scheduler.Scheduler{Store: st, Holder: "replica-" + string(rune('a'+i)), Jobs: []scheduler.Job{job}, Log: discard(),
			LeaseTTL: 150 * time.Millisecond})
	}
	done := make(chan int)
	go func() { done <- scheds[0].RunDue(ctx) }()
	time.Sleep(300 * time.Millisecond) // past the lease and the interval
	if n := scheds[1].RunDue(ctx); n != 0 || overlaps.Load() != 0 {
		t.Fatalf("another replica started the job while it ran (%d started, %d overlaps)", n, overlaps.Load())
	}
	<-done
	if runs.Load() != 1 {
		t.Fatalf("ran %d times", runs.Load())
	}
}

// TestSchedulerStopsJobWithoutLease: a job whose lease another replica
// took, or whose lease cannot be renewed (the database is gone), is
// cancelled rather than left running beside another run.
func TestSchedulerStopsJobWithoutLease(t *testing.T) {
	ctx := context.Background()
	url := pgtest.Database(t)
	for _, how := range []string{"taken", "unreachable"} {
		t.Run(how, func(t *testing.T) {
			st := openReplica(t, url)
			started := make(chan struct{})
			stopped := make(chan time.Duration, 1)
			job := scheduler.Job{Name: "job-" + how, Every: time.Hour, Run: func(ctx context.Context) error {
				close(started)
				t0 := time.Now()
				select {
				case <-ctx.Done():
				case <-time.After(10 * time.Second):
				}
				stopped <- time.Since(t0)
				return ctx.Err()
			}}
			s := &scheduler.Scheduler{Store: st, Holder: "replica-a", Jobs: []scheduler.Job{job}, Log: discard(), LeaseTTL: 300 * time.Millisecond}
			go s.RunDue(ctx)
			<-started
			if how == "taken" {
				db, err := sql.Open("pgx", url)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				if _, err := db.Exec("UPDATE scheduler_leases SET holder = 'replica-b', expires_at = now() + interval '1 hour' WHERE name = $1", job.Name); err != nil {
					t.Fatal(err)
				}
			} else {
				st.Close()
			}
			if d := <-stopped; d > 3*time.Second {
				t.Fatalf("the job ran on for %s without its lease", d)
			}
		})
	}
}

// TestSchedulerRunsAgainWhenDue on SQLite: a job with a short interval
// runs again after it, not before.
func TestSchedulerRunsAgainWhenDue(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var runs atomic.Int64
	s := &scheduler.Scheduler{Store: st, Holder: "only", Log: discard(),
		Jobs: []scheduler.Job{{Name: "fast", Every: 300 * time.Millisecond, Run: func(context.Context) error { runs.Add(1); return nil }}}}
	s.RunDue(ctx)
	s.RunDue(ctx)
	if runs.Load() != 1 {
		t.Fatalf("ran %d times before the interval passed", runs.Load())
	}
	time.Sleep(350 * time.Millisecond)
	s.RunDue(ctx)
	if runs.Load() != 2 {
		t.Fatalf("ran %d times after the interval, want 2", runs.Load())
	}
}

// openReplica is one replica's store on a shared database, migrated and
// closed at the end of the test.
func openReplica(t *testing.T, url string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{DatabaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestSchedulerParallel: a slow job does not hold a fast one back.
func TestSchedulerParallel(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var fastDone atomic.Bool
	s := &scheduler.Scheduler{Store: st, Holder: "only", Log: discard(), Jobs: []scheduler.Job{
		{Name: "slow", Every: time.Hour, Run: func(context.Context) error { <-release; return nil }},
		{Name: "fast", Every: time.Hour, Run: func(context.Context) error { fastDone.Store(true); return nil }},
	}}
	done := make(chan int)
	go func() { done <- s.RunDue(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for !fastDone.Load() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !fastDone.Load() {
		t.Fatal("the fast job waited for the slow one")
	}
	close(release)
	if n := <-done; n != 2 {
		t.Fatalf("ran %d jobs", n)
	}
}
