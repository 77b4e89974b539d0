package ledger

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

func TestLogProofs(t *testing.T) {
	ctx := context.Background()
	m := MemNodes{}
	var leaves [][]byte
	roots := map[uint64][]byte{}
	size := uint64(0)
	for i := 0; i < 37; i++ {
		l := LeafHash([]byte(fmt.Sprintf("record %d", i)))
		leaves = append(leaves, l)
		var err error
		if size, err = m.Append(ctx, size, l); err != nil {
			t.Fatal(err)
		}
		if roots[size], err = Root(ctx, m, size); err != nil {
			t.Fatal(err)
		}
	}
	for sz := uint64(1); sz <= size; sz++ {
		for i := uint64(0); i < sz; i++ {
			p, err := InclusionProof(ctx, m, i, sz)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyInclusion(i, sz, leaves[i], p, roots[sz]); err != nil {
				t.Fatalf("inclusion %d in %d: %v", i, sz, err)
			}
			if err := VerifyInclusion(i, sz, LeafHash([]byte("forged")), p, roots[sz]); err == nil {
				t.Fatalf("forged leaf %d in %d verified", i, sz)
			}
		}
		for s1 := uint64(1); s1 <= sz; s1++ {
			p, err := ConsistencyProof(ctx, m, s1, sz)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyConsistency(s1, sz, p, roots[s1], roots[sz]); err != nil {
				t.Fatalf("consistency %d..%d: %v", s1, sz, err)
			}
		}
	}
	// A rewritten history is inconsistent with an earlier root.
	m2 := MemNodes{}
	var s2 uint64
	for i := 0; i < 37; i++ {
		l := leaves[i]
		if i == 5 {
			l = LeafHash([]byte("rewritten"))
		}
		s2, _ = m2.Append(ctx, s2, l)
	}
	root2, _ := Root(ctx, m2, 37)
	p, _ := ConsistencyProof(ctx, m2, 10, 37)
	if err := VerifyConsistency(10, 37, p, roots[10], root2); err == nil {
		t.Fatal("a rewritten history is consistent with the old root")
	}
}

func TestCheckpoint(t *testing.T) {
	skey, vkey, err := GenerateKey("vigil-test")
	if err != nil {
		t.Fatal(err)
	}
	cp := Checkpoint{Origin: "vigil.example/acme/evidence", Size: 42, Root: bytes.Repeat([]byte{7}, 32)}
	signed, err := Sign(cp, skey)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(signed, cp.Body()+"\n\u2014 vigil-test ") {
		t.Fatalf("not a signed note: %q", signed)
	}
	got, err := OpenCheckpoint(signed, vkey)
	if err != nil || got.Size != 42 || !bytes.Equal(got.Root, cp.Root) || got.Origin != cp.Origin {
		t.Fatalf("open: %+v %v", got, err)
	}
	forged := strings.Replace(signed, "\n42\n", "\n43\n", 1)
	if _, err := OpenCheckpoint(forged, vkey); err == nil {
		t.Fatal("a changed checkpoint verified")
	}
	_, other, _ := GenerateKey("vigil-test")
	if _, err := OpenCheckpoint(signed, other); err == nil {
		t.Fatal("verified under another key")
	}
}
