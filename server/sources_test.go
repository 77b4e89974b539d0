package server_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/server"
)

// source is a signal source whose answers the test sets.
type source struct {
	calls   atomic.Int64
	mu      sync.Mutex
	signals map[string][]vigil.Signal
	err     error
	version string
}

func (s *source) Name() string { return "test" }
func (s *source) Signals(ctx context.Context) (map[string][]vigil.Signal, error) {
	s.calls.Add(1)
	time.Sleep(20 * time.Millisecond) // long enough for requests to overlap
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signals, s.err
}
func (s *source) Version(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version, nil
}

func withSource(t *testing.T, src *source) *env {
	e := newEnv(t, "sqlite")
	e.srv = server.New(server.Config{Store: e.store, Catalog: cat, Version: "test", PasswordParams: fastHash, Sources: []vigil.SignalSource{src}})
	hs := httptest.NewServer(e.srv)
	t.Cleanup(hs.Close)
	e.http = hs
	member := e.users["member"]
	e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"GV-05"}, "owner_id": member}, 200, nil)
	e.do("admin", "PATCH", "/api/v1/controls/GV-05", map[string]any{"status": "implemented"}, 200, nil)
	return e
}

func ready(t *testing.T, e *env, id string) (bool, []string) {
	var r struct {
		Criteria []struct {
			ID    string
			Ready bool
			Gaps  []struct{ Source, Reason string }
		}
	}
	e.do("viewer", "GET", "/api/v1/readiness", nil, 200, &r)
	for _, c := range r.Criteria {
		if c.ID == id {
			var reasons []string
			for _, g := range c.Gaps {
				reasons = append(reasons, g.Source+": "+g.Reason)
			}
			return c.Ready, reasons
		}
	}
	t.Fatalf("%s not in report", id)
	return false, nil
}

func TestSignalSources(t *testing.T) {
	src := &source{version: "1"}
	e := withSource(t, src)
	// A silent source shows nothing operating: not shown, never ready.
	if ok, gaps := ready(t, e, "CC1.2"); ok || len(gaps) != 1 || gaps[0] != "health: "+vigil.NotShownReason {
		t.Fatalf("CC1.2 with a silent source: ready %v gaps %v", ok, gaps)
	}
	src.mu.Lock()
	src.signals = map[string][]vigil.Signal{"GV-05": {{Source: "test", Status: vigil.SignalOK, Reason: "minutes filed", Operating: true}}}
	src.version = "1b"
	src.mu.Unlock()
	if ok, gaps := ready(t, e, "CC1.2"); !ok {
		t.Fatalf("CC1.2 with a source showing it operating: gaps %v", gaps)
	}
	// A failing test signal makes the criterion a gap with its reason.
	src.mu.Lock()
	src.signals = map[string][]vigil.Signal{"GV-05": {{Source: "test", Status: vigil.SignalFail, Reason: "board minutes missing"}}}
	src.version = "2"
	src.mu.Unlock()
	if ok, gaps := ready(t, e, "CC1.2"); ok || len(gaps) != 1 || gaps[0] != "test: board minutes missing" {
		t.Fatalf("CC1.2 with a failing signal: ready %v gaps %v", ok, gaps)
	}
	// A source that errors makes controls unknown: never a pass.
	src.mu.Lock()
	src.signals, src.err, src.version = nil, errors.New("collector down"), "3"
	src.mu.Unlock()
	if ok, gaps := ready(t, e, "CC1.2"); ok || len(gaps) != 1 || gaps[0] != "test: test is unavailable" {
		t.Fatalf("CC1.2 with a failed source: ready %v gaps %v", ok, gaps)
	}
	var c struct{ Health vigil.Health }
	e.do("viewer", "GET", "/api/v1/controls/GV-05", nil, 200, &c)
	if c.Health.State != vigil.HealthUnknown {
		t.Fatalf("GV-05 health with a failed source: %s, want unknown", c.Health.State)
	}
}

func TestReadinessComputedOncePerChange(t *testing.T) {
	src := &source{version: "1"}
	e := withSource(t, src)
	ready(t, e, "CC1.2")
	before := src.calls.Load()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); ready(t, e, "CC1.2") }()
	}
	wg.Wait()
	if n := src.calls.Load() - before; n != 0 {
		t.Fatalf("unchanged state: %d recomputations, want 0", n)
	}
	// After a change, 20 concurrent readers share one computation.
	e.do("admin", "PATCH", "/api/v1/controls/GV-05", map[string]any{"title": "Board oversight"}, 200, nil)
	before = src.calls.Load()
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); ready(t, e, "CC1.2") }()
	}
	wg.Wait()
	if n := src.calls.Load() - before; n != 1 {
		t.Fatalf("after one change: %d recomputations, want 1", n)
	}
}
