package fim

import (
	"crypto/sha256"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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

// usage is what the process has used so far: CPU time (every thread) and
// bytes read from storage rather than the page cache.
type usage struct {
	wall time.Time
	cpu  time.Duration
	disk int64
}

func now() usage {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	u := usage{wall: time.Now(), cpu: time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))}
	if data, err := os.ReadFile("/proc/self/io"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(l, "read_bytes: "); ok {
				u.disk, _ = strconv.ParseInt(v, 10, 64)
			}
		}
	}
	return u
}

// sha256Rate is this machine's SHA-256 throughput on every core, in bytes
// per second of wall time and per second of CPU time: the yardstick for
// the full hash.
func sha256Rate() (wall, cpu float64) {
	buf := make([]byte, 1<<20)
	n := runtime.NumCPU()
	const per = 128 // MiB per core
	u0 := now()
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
	u1 := now()
	b := float64(n * per << 20)
	return b / u1.wall.Sub(u0.wall).Seconds(), b / (u1.cpu - u0.cpu).Seconds() * float64(n)
}

// peakHeap samples the heap in use every few milliseconds until stop is
// closed, and returns the most seen.
func peakHeap(stop chan struct{}) func() uint64 {
	var top atomic.Uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
		for {
			metrics.Read(s)
			top.Store(max(top.Load(), s[0].Value.Uint64()+s[1].Value.Uint64()))
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { <-done; return top.Load() }
}

// BenchmarkFullHash hashes the whole tree and reports its rate against the
// machine's SHA-256 rate over all cores. The machine may be shared, so
// the yardstick is taken just before and just after each build (their
// mean is the build's yardstick) and the median build is reported, with
// what explains a low figure: the share of the cores the build got
// (cpu-busy), its rate per CPU-second against SHA-256's (per-cpu, which
// other load on the machine hardly moves), and what it read from storage
// (disk-MB: the page cache was not warm).
func BenchmarkFullHash(b *testing.B) {
	h, _ := host.New("/")
	Build(h, Options{Paths: benchRoot(b)}) // warm the page cache: measure hashing, not the disk
	type result struct{ pct, perCPU, busy, rate, yard, disk, heap float64 }
	var rs []result
	var st Stats
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		runtime.GC()
		yw0, yc0 := sha256Rate()
		b.StartTimer()
		stop := make(chan struct{})
		heap := peakHeap(stop)
		u0 := now()
		db, s, err := Build(h, Options{Paths: benchRoot(b), Workers: benchWorkers()})
		u1 := now()
		close(stop)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
		st = s
		yw1, yc1 := sha256Rate()
		b.StartTimer()
		wall := u1.wall.Sub(u0.wall).Seconds()
		rate, yard := float64(s.Bytes)/wall, (yw0+yw1)/2
		perCPU := float64(s.Bytes) / (u1.cpu - u0.cpu).Seconds() * float64(runtime.NumCPU())
		rs = append(rs, result{pct: 100 * rate / yard, perCPU: 100 * perCPU / ((yc0 + yc1) / 2),
			busy: 100 * (u1.cpu - u0.cpu).Seconds() / wall / float64(runtime.NumCPU()),
			rate: rate, yard: yard, disk: float64(u1.disk - u0.disk), heap: float64(heap())})
	}
	slices.SortFunc(rs, func(a, b result) int { return int(a.pct*1000 - b.pct*1000) })
	m := rs[len(rs)/2]
	b.ReportMetric(float64(st.Files), "files")
	b.ReportMetric(m.rate/1e6, "MB/s")
	b.ReportMetric(m.yard/1e6, "sha256-MB/s")
	b.ReportMetric(m.pct, "%-of-sha256")
	b.ReportMetric(rs[0].pct, "%-of-sha256-min")
	b.ReportMetric(m.perCPU, "%-of-sha256-per-cpu")
	b.ReportMetric(m.busy, "%-cpu-busy")
	b.ReportMetric(m.disk/1e6, "disk-MB")
	b.ReportMetric(m.heap/1e6, "heap-MB")
}

// BenchmarkFastCheck re-checks an unchanged tree: only stat, no reads.
func BenchmarkFastCheck(b *testing.B) {
	h, _ := host.New("/")
	prev, _, err := Build(h, Options{Paths: benchRoot(b)})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var st Stats
	for range b.N {
		var db *DB
		if db, st, err = Build(h, Options{Paths: benchRoot(b), Previous: prev}); err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
	b.ReportMetric(float64(st.Files), "files")
	b.ReportMetric(float64(st.Hashed), "rehashed")
}

func benchWorkers() int {
	n, _ := strconv.Atoi(os.Getenv("VIGIL_FIM_WORKERS"))
	return n
}
