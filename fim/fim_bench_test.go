package fim

import (
	"crypto/sha256"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vigil-soc/vigil/collect/host"
)

// benchRoot is the tree the benchmarks hash (default /usr), read through
// the live host.
func benchRoot(b *testing.B) []string {
	if p := os.Getenv("VIGIL_FIM_BENCH"); p != "" {
		return []string{p}
	}
	return []string{"/usr"}
}

// sha256Rate is this machine's SHA-256 throughput on every core, in bytes
// per second: the yardstick for the full hash.
func sha256Rate() float64 {
	best := 0.0
	for range 3 {
		best = max(best, sha256RateOnce())
	}
	return best
}

func sha256RateOnce() float64 {
	buf := make([]byte, 1<<20)
	n := runtime.NumCPU()
	const per = 256 // MiB per core
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := sha256.New()
			for range per {
				h.Write(buf)
			}
			h.Sum(nil)
		}()
	}
	wg.Wait()
	return float64(n*per<<20) / time.Since(start).Seconds()
}

// BenchmarkFullHash hashes the whole tree and reports its rate against the
// machine's SHA-256 rate over all cores.
func BenchmarkFullHash(b *testing.B) {
	h, _ := host.New("/")
	Build(h, Options{Paths: benchRoot(b)}) // warm the page cache: measure hashing, not the disk
	rate := sha256Rate()
	b.ResetTimer()
	var st Stats
	for range b.N {
		_, st = Build(h, Options{Paths: benchRoot(b), Workers: benchWorkers()})
	}
	got := float64(st.Bytes) / st.Duration.Seconds()
	b.ReportMetric(float64(st.Files), "files")
	b.ReportMetric(got/1e6, "MB/s")
	b.ReportMetric(rate/1e6, "sha256-MB/s")
	b.ReportMetric(100*got/rate, "%-of-sha256")
}

// BenchmarkFastCheck re-checks an unchanged tree: only stat, no reads.
func BenchmarkFastCheck(b *testing.B) {
	h, _ := host.New("/")
	prev, _ := Build(h, Options{Paths: benchRoot(b)})
	b.ResetTimer()
	var st Stats
	for range b.N {
		_, st = Build(h, Options{Paths: benchRoot(b), Previous: prev})
	}
	b.ReportMetric(float64(st.Files), "files")
	b.ReportMetric(float64(st.Hashed), "rehashed")
}

func benchWorkers() int {
	n, _ := strconv.Atoi(os.Getenv("VIGIL_FIM_WORKERS"))
	return n
}
