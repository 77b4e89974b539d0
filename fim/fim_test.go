package fim

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigil-soc/vigil/collect/host"
)

func write(t *testing.T, p, body string, mode os.FileMode) {
	t.Helper()
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, mode)
}

func kinds(cs []Change) map[string]string {
	out := map[string]string{}
	for _, c := range cs {
		out[c.Path] = c.Kind
	}
	return out
}

// TestBuildAndDiff records a tree, changes it in each way FIM must see,
// and checks the diff names exactly those changes, in both modes.
func TestBuildAndDiff(t *testing.T) {
	root := t.TempDir()
	for i, name := range []string{"etc/passwd", "etc/ssh/sshd_config", "usr/bin/ls", "usr/bin/su", "etc/keep"} {
		write(t, filepath.Join(root, name), "content "+name, 0o644+os.FileMode(i%2)*0o111)
	}
	os.Symlink("ls", filepath.Join(root, "usr/bin/dir"))
	h, err := host.New(root)
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"/etc", "/usr/bin", "/boot"} // /boot does not exist: not an error
	base, st := Build(h, Options{Paths: paths})
	if st.Hashed != 5 || st.Unreadable != 0 {
		t.Fatalf("first build: %+v", st)
	}
	if e := base.Entries["/etc/passwd"]; e == nil || len(e.SHA256) != 64 || e.Type != "file" {
		t.Fatalf("entry %+v", e)
	}
	if e := base.Entries["/usr/bin/dir"]; e == nil || e.Type != "symlink" || e.Target != "ls" {
		t.Fatalf("symlink %+v", e)
	}
	// Unchanged: fast mode hashes nothing, and nothing differs.
	same, st := Build(h, Options{Paths: paths, Previous: base})
	if st.Hashed != 0 || st.Reused != 5 || len(Diff(base, same)) != 0 {
		t.Fatalf("unchanged tree: %+v, diff %v", st, Diff(base, same))
	}

	// Same size and the old mtime put back: only ctime shows the change,
	// and fast mode must still re-hash it.
	p := filepath.Join(root, "etc/passwd")
	fi, _ := os.Stat(p)
	write(t, p, "CONTENT etc/passwd", 0o644)
	os.Chtimes(p, fi.ModTime(), fi.ModTime())
	os.Chmod(filepath.Join(root, "usr/bin/su"), os.ModeSetuid|0o755)
	os.Remove(filepath.Join(root, "etc/keep"))
	write(t, filepath.Join(root, "usr/bin/backdoor"), "x", 0o755)
	os.Remove(filepath.Join(root, "usr/bin/dir"))
	os.Symlink("su", filepath.Join(root, "usr/bin/dir"))
	time.Sleep(10 * time.Millisecond)

	want := map[string]string{"/etc/passwd": "modified", "/usr/bin/su": "modified", "/etc/keep": "removed",
		"/usr/bin/backdoor": "added", "/usr/bin/dir": "modified"}
	for _, mode := range []string{"fast", "full"} {
		o := Options{Paths: paths}
		if mode == "fast" {
			o.Previous = base
		}
		cur, _ := Build(h, o)
		got := kinds(Diff(base, cur))
		for p, k := range want {
			if got[p] != k {
				t.Errorf("%s mode: %s is %q, want %q (all: %v)", mode, p, got[p], k, got)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s mode: diff %v, want exactly %v", mode, got, want)
		}
		for _, c := range Diff(base, cur) {
			if c.Path == "/usr/bin/su" && c.Fields["mode"] != [2]any{"0755", "4755"} {
				t.Errorf("mode change recorded as %v", c.Fields["mode"])
			}
		}
	}
}

func TestSaveLoad(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "etc/a"), "a", 0o600)
	h, _ := host.New(root)
	db, _ := Build(h, Options{Paths: []string{"/etc"}})
	p := filepath.Join(t.TempDir(), "db")
	if err := db.Save(p); err != nil {
		t.Fatal(err)
	}
	back, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(Diff(db, back)) != 0 || back.Entries["/etc/a"].SHA256 != db.Entries["/etc/a"].SHA256 {
		t.Fatal("a saved database did not load back the same")
	}
	os.WriteFile(p, []byte("not a database"), 0o600)
	if _, err := Load(p); err == nil {
		t.Fatal("garbage loaded as a database")
	}
}

func mustHost(t *testing.T, root string) *host.Host {
	h, err := host.New(root)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestHashShrunkFile: a large file cut short while it is being hashed
// makes the mapped pages past its new end fault; that is an error for
// the file, not the end of the process.
func TestHashShrunkFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big")
	write(t, p, strings.Repeat("x", 3*mmapWindow/2), 0o644)
	fd, err := unix.Open(p, unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := os.Truncate(p, 100); err != nil {
		t.Fatal(err)
	}
	w := newHasher(mustHost(t, "/"), newNoatime())
	if _, err := w.mapped(fd, 3*mmapWindow/2); err == nil {
		t.Fatal("a file shorter than its mapping hashed without an error")
	}
	// The worker goes on with the next file.
	sum, n, err := w.hash([]byte(p), 100)
	if want := sha256.Sum256([]byte(strings.Repeat("x", 100))); err != nil || n != 100 || sum != want {
		t.Fatalf("after the fault: %x %d %v", sum, n, err)
	}
}
