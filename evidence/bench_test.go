package evidence

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAppend1KB measures sustained appends of 1 KB items on SQLite
// with durable (synchronous=FULL) commits, from 64 concurrent writers as a
// busy installation would have; the group commit batches them. Target:
// 5,000 items/s.
func BenchmarkAppend1KB(b *testing.B) {
	f := newFixture(&testing.T{})
	ctx := f.ctx
	var n atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	per := b.N/64 + 1
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := make([]byte, 1024)
			for i := 0; i < per; i++ {
				rand.Read(body)
				if _, err := f.svc.Upload(ctx, Meta{Filename: fmt.Sprintf("item-%d.json", i), MediaType: "application/json", Controls: []string{"AC-01"},
					EffectiveStart: "2026-10-01", DeclaredSize: -1}, bytes.NewReader(body)); err != nil {
					b.Error(err)
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "items/s")
	_ = context.Background()
}
