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

	"github.com/vigil-soc/vigil/internal/pgtest"
)

// BenchmarkAppend1KB measures sustained appends of 1 KB items from 64
// concurrent writers, as a busy installation would have; the group commit
// batches them, and each writer is answered only once its item is durable.
// It reports items/s (b.N items in all; use -benchtime 20000x or more, as
// a log of a few hundred items is not what a server sees).
//
//   - sqlite: synchronous=FULL. Target: 10,000 items/s.
//   - postgres: a server started with PostgreSQL's durable defaults (fsync,
//     synchronous commit, full page writes; pgtest.StartDurable) on the
//     same disk. Measured, no target.
func BenchmarkAppend1KB(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchAppend(b, "") })
	var pg *pgtest.Server
	b.Run("postgres", func(b *testing.B) {
		if pg == nil {
			var err error
			if pg, err = pgtest.StartDurable(); err != nil {
				b.Fatalf("start PostgreSQL: %v", err)
			}
		}
		url, err := pg.NewDatabase(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		benchAppend(b, url)
	})
	if pg != nil {
		pg.Stop()
	}
}

func benchAppend(b *testing.B, databaseURL string) {
	f := newFixtureOn(b, databaseURL)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := make([]byte, 1024)
			for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
				rand.Read(body)
				if _, err := f.svc.Upload(f.ctx, Meta{Filename: fmt.Sprintf("item-%d.json", i), MediaType: "application/json", Controls: []string{"AC-01"},
					EffectiveStart: "2026-10-01", DeclaredSize: -1}, bytes.NewReader(body)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "items/s")
}
