package evidence

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"
)

// BenchmarkVerifyBlobs measures vigil verify --store over 1 GiB of blobs
// (VIGIL_BENCH_VERIFY_MB to change) against the machine's one-core SHA-256
// rate measured in the same run; the target is at least half of it.
func BenchmarkVerifyBlobs(b *testing.B) {
	mb := 1024
	if v, err := strconv.Atoi(os.Getenv("VIGIL_BENCH_VERIFY_MB")); err == nil && v > 0 {
		mb = v
	}
	f := newFixture(b)
	f.svc.MaxUpload = 1 << 40
	const blobMB = 64
	for i := 0; i < mb/blobMB; i++ {
		r := io.LimitReader(rand.Reader, blobMB<<20)
		if _, err := f.svc.Upload(f.ctx, Meta{Filename: fmt.Sprintf("blob-%d.bin", i), MediaType: "application/zip", Controls: []string{"AC-01"},
			EffectiveStart: "2026-10-01", DeclaredSize: -1}, &zipHead{r: r}); err != nil {
			b.Fatal(err)
		}
	}
	// One core's SHA-256 rate, now, on the same machine.
	buf := make([]byte, 256<<20)
	rand.Read(buf)
	t0 := time.Now()
	sha256.Sum256(buf)
	shaRate := float64(len(buf)) / time.Since(t0).Seconds()
	b.ResetTimer()
	var rate float64
	for b.Loop() {
		t1 := time.Now()
		rep, err := f.svc.Verify(context.Background(), true)
		if err != nil || !rep.OK {
			b.Fatalf("%v %+v", err, rep)
		}
		rate = float64(rep.BlobBytes) / time.Since(t1).Seconds()
	}
	b.ReportMetric(rate/1e6, "verify-MB/s")
	b.ReportMetric(shaRate/1e6, "sha256-MB/s")
	b.ReportMetric(100*rate/shaRate, "%-of-sha256")
}

// zipHead makes random bytes start like a zip file, so the declared media
// type matches what the bytes are.
type zipHead struct {
	r    io.Reader
	done bool
}

func (z *zipHead) Read(p []byte) (int, error) {
	if !z.done && len(p) >= 4 {
		z.done = true
		n, err := z.r.Read(p[4:])
		copy(p, "PK\x03\x04")
		return n + 4, err
	}
	return z.r.Read(p)
}
