// Package collect runs collectors: the parts of Vigil that fetch state from
// a system and normalize it into plain maps and lists for checks to judge.
// Collectors hold no judgement. Each is registered by name in an explicit
// Registry value (no init-time globals), and each run records how long it
// took and what went wrong.
package collect

import (
	"context"
	"fmt"
	"runtime/debug"
	"sort"
	"sync"
	"time"
)

// Collector fetches one kind of state.
type Collector interface {
	// Name is the collector's id, as checks name it (e.g. host.sshd).
	Name() string
	// Collect returns the normalized input. An error means the collector
	// could not give any input; parts it could not read are marked inside
	// the input instead ("error" keys on resources).
	Collect(ctx context.Context) (map[string]any, error)
}

// Registry holds collectors by name.
type Registry struct {
	byName map[string]Collector
}

// NewRegistry returns a registry holding cs. A duplicate name panics: it is
// a wiring mistake, found by the first test.
func NewRegistry(cs ...Collector) *Registry {
	r := &Registry{byName: map[string]Collector{}}
	for _, c := range cs {
		if _, dup := r.byName[c.Name()]; dup {
			panic("collect: duplicate collector " + c.Name())
		}
		r.byName[c.Name()] = c
	}
	return r
}

// Get returns the named collector.
func (r *Registry) Get(name string) (Collector, bool) {
	c, ok := r.byName[name]
	return c, ok
}

// Names lists the registered collectors, sorted.
func (r *Registry) Names() []string {
	out := make([]string, 0, len(r.byName))
	for n := range r.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Run is one collector's run.
type Run struct {
	Collector string         `json:"collector"`
	Input     map[string]any `json:"-"`
	Started   time.Time      `json:"started"`
	Duration  time.Duration  `json:"duration_ns"`
	Err       string         `json:"error,omitempty"`
}

// RunAll runs the named collectors (all when names is empty) with at most
// workers at once, and returns their runs by name. A panicking collector
// becomes an error run: one broken collector must not take the scan down.
func (r *Registry) RunAll(ctx context.Context, names []string, workers int) map[string]*Run {
	if len(names) == 0 {
		names = r.Names()
	}
	if workers < 1 {
		workers = 1
	}
	out := make(map[string]*Run, len(names))
	var mu sync.Mutex
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for _, n := range names {
		run := &Run{Collector: n}
		out[n] = run
		c, ok := r.byName[n]
		if !ok {
			run.Err = "no collector named " + n
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			run.Started = time.Now()
			defer func() {
				if p := recover(); p != nil {
					mu.Lock()
					run.Input, run.Err = nil, fmt.Sprintf("collector panicked: %v\n%s", p, debug.Stack())
					mu.Unlock()
				}
				run.Duration = time.Since(run.Started)
			}()
			in, err := c.Collect(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				run.Err = err.Error()
				return
			}
			run.Input = in
		}()
	}
	wg.Wait()
	return out
}
