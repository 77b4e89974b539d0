package host

import (
	"context"
	"os"
	"testing"
)

// BenchmarkWalk runs host.walk on the live system (or on the tree in
// VIGIL_WALK_ROOT, laid out like /). Its yardstick is `find / -xdev
// -printf '%m %U\n'` on one core, run alternately (bench/scan-compare.sh).
func BenchmarkWalk(b *testing.B) {
	root := os.Getenv("VIGIL_WALK_ROOT")
	if root == "" {
		root = "/"
	}
	h, err := New(root)
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		out, err := collectWalk(context.Background(), h)
		if err != nil || out["complete"] != true {
			b.Fatalf("walk: %v, complete %v", err, out["complete"])
		}
	}
}
