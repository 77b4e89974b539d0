package ledger

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil/internal/mototest"
)

// The same behaviour is asked of every blob store.
func TestBlobStores(t *testing.T) {
	ctx := context.Background()
	stores := map[string]func(t *testing.T) BlobStore{
		"fs": func(t *testing.T) BlobStore {
			s, err := NewFSStore(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"s3": func(t *testing.T) BlobStore {
			endpoint := mototest.Start(t, "vigil-test")
			s, err := NewS3Store(ctx, S3Config{Bucket: "vigil-test", Prefix: "blobs/", Endpoint: endpoint, Region: "us-east-1"})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	for name, mk := range stores {
		t.Run(name, func(t *testing.T) {
			s := mk(t)
			blob := strings.Repeat("a", 64)
			staged := filepath.Join(t.TempDir(), "staged")
			os.WriteFile(staged, []byte("encrypted bytes"), 0o600)
			if ok, err := s.Exists(ctx, blob); err != nil || ok {
				t.Fatalf("exists before put: %v %v", ok, err)
			}
			if err := s.Put(ctx, blob, staged); err != nil {
				t.Fatal(err)
			}
			if err := s.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			if ok, err := s.Exists(ctx, blob); err != nil || !ok {
				t.Fatalf("exists after put: %v %v", ok, err)
			}
			rc, err := s.Get(ctx, blob)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.Equal(got, []byte("encrypted bytes")) {
				t.Fatalf("got %q", got)
			}
			var names []string
			s.List(ctx, func(n string, _ time.Time) error { names = append(names, n); return nil })
			if len(names) != 1 || names[0] != blob {
				t.Fatalf("list %v", names)
			}
			if _, err := s.Get(ctx, strings.Repeat("b", 64)); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("missing blob: %v", err)
			}
			for _, bad := range []string{"../../etc/passwd", "ABC", strings.Repeat("a", 63) + "/"} {
				if err := s.Put(ctx, bad, staged); err == nil {
					t.Fatalf("name %q accepted", bad)
				}
			}
			if err := s.Delete(ctx, blob); err != nil {
				t.Fatal(err)
			}
			if ok, _ := s.Exists(ctx, blob); ok {
				t.Fatal("blob survived delete")
			}
			if err := s.Delete(ctx, blob); err != nil {
				t.Fatalf("deleting a missing blob: %v", err)
			}
		})
	}
}
