// Package evidencetest gives tests a real evidence ledger in a temporary
// directory: file blobs, a fresh keyring and signing key, registered with
// the store.
package evidencetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/vigil-soc/vigil/evidence"
	"github.com/vigil-soc/vigil/ledger"
	"github.com/vigil-soc/vigil/secret"
	"github.com/vigil-soc/vigil/store"
)

// New is an evidence service on st, its files under t's temp dir.
func New(t testing.TB, st *store.Store) *evidence.Service {
	t.Helper()
	dir := t.TempDir()
	blobs, err := ledger.NewFSStore(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	box, err := secret.Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	skey, vkey, origin, err := evidence.LoadKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RegisterLedgerKey(context.Background(), vkey, origin); err != nil {
		t.Fatal(err)
	}
	return &evidence.Service{Store: st, Blobs: blobs, Staging: blobs.TempDir(), Box: box, SigningKey: skey, VerifierKey: vkey, Origin: origin, MaxUpload: 10 << 20}
}
