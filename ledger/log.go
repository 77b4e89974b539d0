package ledger

import (
	"context"
	"crypto"
	_ "crypto/sha256" // the RFC 6962 hasher uses SHA-256
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// Hasher is the RFC 6962 SHA-256 hasher of the log.
var Hasher = rfc6962.New(crypto.SHA256)

var rangeFactory = &compact.RangeFactory{Hash: Hasher.HashChildren}

// LeafHash returns the RFC 6962 leaf hash of a record.
func LeafHash(record []byte) []byte { return Hasher.HashLeaf(record) }

// NodeReader fetches stored node hashes of the tree: every perfect subtree
// is stored when its last leaf is appended.
type NodeReader interface {
	Nodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error)
}

// NodeID names a node: level 0 are leaves.
type NodeID = compact.NodeID

// RangeAt rebuilds the compact range of a tree of the given size, ready to
// append to.
func RangeAt(ctx context.Context, nr NodeReader, size uint64) (*compact.Range, error) {
	ids := compact.RangeNodes(0, size, nil)
	hashes, err := nr.Nodes(ctx, ids)
	if err != nil {
		return nil, err
	}
	return rangeFactory.NewRange(0, size, hashes)
}

// Root returns the root hash of the tree of the given size.
func Root(ctx context.Context, nr NodeReader, size uint64) ([]byte, error) {
	if size == 0 {
		return Hasher.EmptyRoot(), nil
	}
	r, err := RangeAt(ctx, nr, size)
	if err != nil {
		return nil, err
	}
	return r.GetRootHash(nil)
}

// InclusionProof returns the audit path of leaf index in a tree of size.
func InclusionProof(ctx context.Context, nr NodeReader, index, size uint64) ([][]byte, error) {
	if index >= size {
		return nil, fmt.Errorf("ledger: leaf %d is not in a tree of size %d", index, size)
	}
	n, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	return fetchProof(ctx, nr, n)
}

// ConsistencyProof proves that the tree of size1 is a prefix of size2.
func ConsistencyProof(ctx context.Context, nr NodeReader, size1, size2 uint64) ([][]byte, error) {
	if size1 > size2 {
		return nil, fmt.Errorf("ledger: size %d is larger than %d", size1, size2)
	}
	n, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	return fetchProof(ctx, nr, n)
}

func fetchProof(ctx context.Context, nr NodeReader, n proof.Nodes) ([][]byte, error) {
	hashes, err := nr.Nodes(ctx, n.IDs)
	if err != nil {
		return nil, err
	}
	return n.Rehash(hashes, Hasher.HashChildren)
}

// VerifyInclusion checks an inclusion proof against a root.
func VerifyInclusion(index, size uint64, leafHash []byte, p [][]byte, root []byte) error {
	return proof.VerifyInclusion(Hasher, index, size, leafHash, p, root)
}

// VerifyConsistency checks a consistency proof between two roots.
func VerifyConsistency(size1, size2 uint64, p [][]byte, root1, root2 []byte) error {
	return proof.VerifyConsistency(Hasher, size1, size2, p, root1, root2)
}

// MemNodes is an in-memory NodeReader, for offline verification and tests.
type MemNodes map[compact.NodeID][]byte

// Nodes returns the hashes of ids.
func (m MemNodes) Nodes(_ context.Context, ids []compact.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, ok := m[id]
		if !ok {
			return nil, fmt.Errorf("ledger: node %d/%d is missing", id.Level, id.Index)
		}
		out[i] = h
	}
	return out, nil
}

// Append adds leaf hashes to a tree, storing every new node in m; it is the
// in-memory twin of the store's append and rebuilds trees offline.
func (m MemNodes) Append(ctx context.Context, size uint64, leaves ...[]byte) (uint64, error) {
	r, err := RangeAt(ctx, m, size)
	if err != nil {
		return 0, err
	}
	for _, l := range leaves {
		if err := r.Append(l, func(id compact.NodeID, h []byte) { m[id] = h }); err != nil {
			return 0, err
		}
	}
	return r.End(), nil
}
