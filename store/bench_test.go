package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/compact"

	"github.com/vigil-soc/vigil/ledger"
)

// BenchmarkInclusionProof10M measures an inclusion proof in a log of 10
// million entries kept in SQLite (target: under 1 ms). The tree is built
// once into VIGIL_BENCH_DIR (default: the system temp dir) and reused, as
// building 20 million node rows takes a couple of minutes.
func BenchmarkInclusionProof10M(b *testing.B) {
	const size = 10_000_000
	dir := os.Getenv("VIGIL_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "vigil-bench-10m")
	}
	ctx := context.Background()
	s, err := Open(ctx, Config{DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	var have int64
	s.queryRow(ctx, "SELECT count(*) FROM ledger_nodes WHERE level = 0").Scan(&have)
	if have != size {
		b.Logf("building a %d-entry tree in %s", size, dir)
		start := time.Now()
		s.w.Exec("DELETE FROM ledger_nodes")
		r, _ := ledger.RangeAt(ctx, ledger.MemNodes{}, 0)
		tx, _ := s.w.Begin()
		var args []any
		rows := 0
		flush := func() {
			if rows == 0 {
				return
			}
			q := "INSERT INTO ledger_nodes (level, idx, hash) VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", rows), ", ")
			if _, err := tx.Exec(q, args...); err != nil {
				b.Fatal(err)
			}
			args, rows = args[:0], 0
		}
		var buf [8]byte
		for i := uint64(0); i < size; i++ {
			binary.BigEndian.PutUint64(buf[:], i)
			sum := sha256.Sum256(buf[:])
			if err := r.Append(ledger.LeafHash(sum[:]), func(id compact.NodeID, h []byte) {
				args = append(args, int64(id.Level), int64(id.Index), hex.EncodeToString(h))
				if rows++; rows == 300 {
					flush()
				}
			}); err != nil {
				b.Fatal(err)
			}
		}
		flush()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		b.Logf("built in %s", time.Since(start).Round(time.Second))
	}
	nodes := s.LedgerNodes()
	root, err := ledger.Root(ctx, nodes, size)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		idx := uint64(i*7919) % size
		if _, err := ledger.InclusionProof(ctx, nodes, idx, size); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// The proofs are right, not only fast.
	p, _ := ledger.InclusionProof(ctx, nodes, 1234567, size)
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], 1234567)
	sum := sha256.Sum256(buf[:])
	if err := ledger.VerifyInclusion(1234567, size, ledger.LeafHash(sum[:]), p, root); err != nil {
		b.Fatal(err)
	}
}
