package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/ledger"
)

func exportBundle(t *testing.T, f *fixture) []byte {
	var buf bytes.Buffer
	if err := f.svc.Export(context.Background(), &buf, vigil.EvidenceFilter{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rezip rewrites a bundle through fn, which may change a file's bytes.
func rezip(t *testing.T, b []byte, fn func(name string, data []byte) []byte) []byte {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		w, _ := zw.Create(f.Name)
		w.Write(fn(f.Name, data))
	}
	zw.Close()
	return out.Bytes()
}

func TestBundle(t *testing.T) {
	f := newFixture(t)
	f.upload("a.txt", "first access review")
	f.svc.Checkpoint(context.Background())
	f.upload("b.txt", "second access review")
	f.svc.Checkpoint(context.Background())
	f.upload("c.txt", "third access review")
	b := exportBundle(t, f)
	rep, err := ledger.VerifyBundle(bytes.NewReader(b), int64(len(b)), f.svc.VerifierKey)
	if err != nil || !rep.OK || rep.Items != 3 || rep.Blobs != 3 || rep.Checkpoints != 2 {
		t.Fatalf("clean bundle: %+v %v", rep, err)
	}
	cases := []struct {
		name, file  string
		edit        func([]byte) []byte
		subject, in string
	}{
		{"one byte of a blob", "blobs/", func(d []byte) []byte { d[0] ^= 1; return d }, "entry", "file was changed"},
		{"a record", "manifest.json", func(d []byte) []byte { return bytes.Replace(d, []byte(`b.txt`), []byte(`x.txt`), 1) }, "entry 1", "record was changed"},
		{"the checkpoint", "manifest.json", func(d []byte) []byte { return bytes.Replace(d, []byte("\\n3\\n"), []byte("\\n4\\n"), 1) }, "bundle", "does not verify"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			done := false
			bad := rezip(t, b, func(name string, data []byte) []byte {
				if !done && strings.HasPrefix(name, c.file) {
					done = true
					return c.edit(bytes.Clone(data))
				}
				return data
			})
			rep, err := ledger.VerifyBundle(bytes.NewReader(bad), int64(len(bad)), f.svc.VerifierKey)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range rep.Problems {
				found = found || strings.HasPrefix(p.Subject, c.subject) && strings.Contains(p.Detail, c.in)
			}
			if rep.OK || !found {
				t.Fatalf("problems %+v, want %q about %q", rep.Problems, c.in, c.subject)
			}
		})
	}
	// A purged item travels with its tombstone, and the bundle still checks.
	if _, err := f.svc.Purge(f.ctx, "2026-12-01", "retention"); err != nil {
		t.Fatal(err)
	}
	pb := exportBundle(t, f)
	if rep, err := ledger.VerifyBundle(bytes.NewReader(pb), int64(len(pb)), f.svc.VerifierKey); err != nil || !rep.OK || rep.Items != 6 {
		t.Fatalf("bundle with purged items: %+v %v", rep, err)
	}
	// Two files of one name are refused.
	var dup bytes.Buffer
	zw2 := zip.NewWriter(&dup)
	for i := 0; i < 2; i++ {
		w, _ := zw2.Create("manifest.json")
		w.Write([]byte("{}"))
	}
	zw2.Close()
	if _, err := ledger.VerifyBundle(bytes.NewReader(dup.Bytes()), int64(dup.Len()), ""); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("duplicate names: %v", err)
	}
	// Another key: nothing verifies.
	_, other, _ := ledger.GenerateKey("vigil-ledger")
	if rep, _ := ledger.VerifyBundle(bytes.NewReader(b), int64(len(b)), other); rep.OK {
		t.Fatal("bundle verified under a key that did not sign it")
	}
	// A zip bomb is refused before it is expanded.
	var bomb bytes.Buffer
	zw := zip.NewWriter(&bomb)
	w, _ := zw.Create("manifest.json")
	w.Write(bytes.Repeat([]byte{' '}, 50<<20))
	zw.Close()
	if _, err := ledger.VerifyBundle(bytes.NewReader(bomb.Bytes()), int64(bomb.Len()), ""); err == nil || !strings.Contains(err.Error(), "zip bomb") {
		t.Fatalf("zip bomb: %v", err)
	}
	// Not a zip at all.
	if _, err := ledger.VerifyBundle(strings.NewReader("hello"), 5, ""); err == nil {
		t.Fatal("a non-zip verified")
	}
}
