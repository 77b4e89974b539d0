package server

import (
	"sync"
	"time"
)

// limiter counts events per key in a sliding window, per process: the
// starts of single sign-on per client address, which cost nothing but a
// redirect. Limits that guard secrets (passwords, codes, tokens, mail) are
// kept in the database instead (store.ReserveAttempt), so they hold across
// replicas and against concurrent requests.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	hits   map[string][]time.Time
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, hits: map[string][]time.Time{}}
}

// blocked reports whether key has used up its events in the window.
func (l *limiter) blocked(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.prune(key, now)) >= l.max
}

// add records an event for key.
func (l *limiter) add(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hits[key] = append(l.prune(key, now), now)
	if len(l.hits) > 200000 {
		// Bound memory under a flood of addresses: drop what has expired.
		for k := range l.hits {
			l.prune(k, now)
		}
	}
}

func (l *limiter) prune(key string, now time.Time) []time.Time {
	h := l.hits[key]
	i := 0
	for i < len(h) && now.Sub(h[i]) > l.window {
		i++
	}
	h = h[i:]
	if len(h) == 0 {
		delete(l.hits, key)
		return nil
	}
	l.hits[key] = h
	return h
}
