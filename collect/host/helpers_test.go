package host

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// root is a scratch root: each key is a path under it. A value starting
// with "->" makes a symlink to the rest; a key ending in "/" makes a
// directory.
type root map[string]string

// newRoot lays files out under a temporary directory and opens it.
func newRoot(t *testing.T, files root) (*Host, string) {
	t.Helper()
	dir := t.TempDir()
	for p, body := range files {
		full := filepath.Join(dir, p)
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(body, "->"); ok {
			if err := os.Symlink(target, full); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return h, dir
}

// run calls a collector on a scratch root.
func run(t *testing.T, fn func(context.Context, *Host) (map[string]any, error), files root) map[string]any {
	t.Helper()
	h, _ := newRoot(t, files)
	out, err := fn(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// unreadable makes p (under dir) unreadable; permission tests are skipped
// as root, who reads everything.
func unreadable(t *testing.T, dir, p string) {
	t.Helper()
	if os.Geteuid() == 0 {
		t.Skip("running as root: permissions do not stop reads")
	}
	full := filepath.Join(dir, p)
	if err := os.Chmod(full, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(full, 0o755) })
}

// m reads a nested map field: m(x, "a", "b") is x["a"]["b"].
func m(t *testing.T, x any, keys ...string) any {
	t.Helper()
	for _, k := range keys {
		mm, ok := x.(map[string]any)
		if !ok {
			t.Fatalf("%v is not a map (looking for %q in %v)", x, k, keys)
		}
		x = mm[k]
	}
	return x
}

func str(x any) string {
	s, _ := x.(string)
	return s
}
