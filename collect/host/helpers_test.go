package host

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
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

// unreadable makes p (under dir) unreadable. Root reads everything, so a
// test that uses it starts with asNobody, which runs it as another user.
func unreadable(t *testing.T, dir, p string) {
	t.Helper()
	if os.Geteuid() == 0 {
		t.Fatal("unreadable as root proves nothing: start the test with asNobody")
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

// asNobody makes a permission test mean something where tests run as root
// (CI does): root reads every file, so the test is run again, alone, in a
// copy of the test binary as the unprivileged user nobody, and its result
// is this test's. It returns true in the parent, which must then return;
// run as anyone else it returns false and the test goes on here.
func asNobody(t *testing.T) bool {
	t.Helper()
	if os.Geteuid() != 0 {
		return false
	}
	const nobody = 65534
	// The test binary sits in a directory only root may enter: copy it
	// where nobody can run it, with a temp dir nobody can write.
	dir, err := os.MkdirTemp("", "asnobody")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin, tmp := filepath.Join(dir, "test"), filepath.Join(dir, "tmp")
	if err := copyFile(os.Args[0], bin); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(tmp, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, bin, tmp} {
		os.Chmod(p, map[bool]os.FileMode{true: 0o1777, false: 0o755}[p == tmp])
	}
	var pattern []string
	for _, part := range strings.Split(t.Name(), "/") {
		pattern = append(pattern, "^"+regexp.QuoteMeta(part)+"$")
	}
	cmd := exec.Command(bin, "-test.run", strings.Join(pattern, "/"), "-test.v", "-test.count=1")
	cmd.Dir, cmd.Env = tmp, append(os.Environ(), "TMPDIR="+tmp, "HOME="+tmp)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
	return true
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
