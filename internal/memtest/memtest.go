// Package memtest measures how much heap a piece of work holds at its
// peak, for tests that prove memory stays bounded under load.
package memtest

import (
	"runtime"
	"sync/atomic"
	"time"
)

// PeakHeap runs fn while sampling the heap in use every millisecond or
// so, and returns the most in use during fn and what was in use before
// it (after a collection), both in bytes.
func PeakHeap(fn func()) (peak, base uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base = ms.HeapInuse
	var top atomic.Uint64
	top.Store(base)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > top.Load() {
				top.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return top.Load(), base
}
