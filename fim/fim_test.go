package fim

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigil-soc/vigil/collect/host"
	"github.com/vigil-soc/vigil/internal/memtest"
)

func write(t *testing.T, p, body string, mode os.FileMode) {
	t.Helper()
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, mode)
}

// entries reads a database into a map, for checking.
func entries(t testing.TB, db *DB) map[string]*Entry {
	t.Helper()
	m := map[string]*Entry{}
	if err := db.Each(func(e *Entry) error { m[e.Path] = e; return nil }); err != nil {
		t.Fatal(err)
	}
	return m
}

func build(t testing.TB, h *host.Host, o Options) (*DB, Stats) {
	t.Helper()
	db, st, err := Build(h, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, st
}

func diff(t testing.TB, old, cur *DB) []Change {
	t.Helper()
	cs, err := Diff(old, cur)
	if err != nil {
		t.Fatal(err)
	}
	return cs
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
	base, st := build(t, h, Options{Paths: paths})
	if st.Hashed != 5 || st.Unreadable != 0 {
		t.Fatalf("first build: %+v", st)
	}
	all := entries(t, base)
	if e := all["/etc/passwd"]; e == nil || len(e.SHA256) != 64 || e.Type != "file" {
		t.Fatalf("entry %+v", e)
	}
	if e := all["/usr/bin/dir"]; e == nil || e.Type != "symlink" || e.Target != "ls" {
		t.Fatalf("symlink %+v", e)
	}
	// Unchanged: fast mode hashes nothing, and nothing differs.
	same, st := build(t, h, Options{Paths: paths, Previous: base})
	if st.Hashed != 0 || st.Reused != 5 || len(diff(t, base, same)) != 0 {
		t.Fatalf("unchanged tree: %+v, diff %v", st, diff(t, base, same))
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
		cur, _ := build(t, h, o)
		got := kinds(diff(t, base, cur))
		for p, k := range want {
			if got[p] != k {
				t.Errorf("%s mode: %s is %q, want %q (all: %v)", mode, p, got[p], k, got)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s mode: diff %v, want exactly %v", mode, got, want)
		}
		for _, c := range diff(t, base, cur) {
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
	db, _ := build(t, h, Options{Paths: []string{"/etc"}})
	p := filepath.Join(t.TempDir(), "db")
	if err := db.Save(p); err != nil {
		t.Fatal(err)
	}
	back, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if len(diff(t, db, back)) != 0 || entries(t, back)["/etc/a"].SHA256 != entries(t, db)["/etc/a"].SHA256 ||
		back.Len() != 2 || !back.Taken.Equal(db.Taken) || back.Root != db.Root || len(back.Paths) != 1 {
		t.Fatal("a saved database did not load back the same")
	}
	os.WriteFile(p, []byte("not a database"), 0o600)
	if _, err := Load(p); err == nil {
		t.Fatal("garbage loaded as a database")
	}
}

// mapDiff is the diff as it was written when databases were maps: the
// oracle for the merge of sorted streams (plus the one rule added since:
// an entry that cannot be read now is reported).
func mapDiff(old, cur map[string]*Entry) []Change {
	var out []Change
	for p, e := range cur {
		o, ok := old[p]
		if !ok {
			out = append(out, Change{Path: p, Kind: "added"})
			continue
		}
		f := map[string][2]any{}
		cmp := func(name string, a, b any) {
			if a != b {
				f[name] = [2]any{a, b}
			}
		}
		cmp("type", o.Type, e.Type)
		cmp("sha256", o.SHA256, e.SHA256)
		cmp("mode", fmt.Sprintf("%04o", o.Mode), fmt.Sprintf("%04o", e.Mode))
		cmp("uid", o.UID, e.UID)
		cmp("gid", o.GID, e.GID)
		cmp("size", o.Size, e.Size)
		cmp("target", o.Target, e.Target)
		if e.Err != "" || o.Err != e.Err {
			f["error"] = [2]any{o.Err, e.Err}
		}
		if len(f) > 0 {
			if o.Type == "file" && e.Type == "file" && o.MTime != e.MTime {
				f["mtime"] = [2]any{time.Unix(0, o.MTime).UTC().Format(time.RFC3339), time.Unix(0, e.MTime).UTC().Format(time.RFC3339)}
			}
			out = append(out, Change{Path: p, Kind: "modified", Fields: f})
		}
	}
	for p := range old {
		if _, ok := cur[p]; !ok {
			out = append(out, Change{Path: p, Kind: "removed"})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// randomTree fills dir with about n entries: files of assorted sizes
// (some mapped rather than read), directories, symlinks, and names
// chosen to test the order ('-' and '0' sort either side of '/').
func randomTree(t *testing.T, rng *rand.Rand, dir string, n int) []string {
	t.Helper()
	dirs := []string{dir}
	var files []string
	names := []string{"a", "b", "b-x", "b0", "c.d", "zz", "é", "a b"}
	for i := 0; i < n; i++ {
		d := dirs[rng.IntN(len(dirs))]
		name := fmt.Sprintf("%s%d", names[rng.IntN(len(names))], rng.IntN(1000))
		p := filepath.Join(d, name)
		switch k := rng.IntN(10); {
		case k < 2:
			if os.Mkdir(p, 0o755) == nil {
				dirs = append(dirs, p)
			}
		case k < 3:
			os.Symlink(names[rng.IntN(len(names))], p)
		default:
			if _, err := os.Lstat(p); err == nil {
				continue
			}
			write(t, p, randomContent(rng), os.FileMode(0o600+rng.IntN(0o200)))
			files = append(files, p)
		}
	}
	return files
}

func randomContent(rng *rand.Rand) string {
	size := rng.IntN(64)
	switch rng.IntN(40) {
	case 0:
		size = mmapMin + rng.IntN(3)*mmapMin/2 - 1
	case 1:
		size = 0
	}
	b := make([]byte, size)
	for i := range b {
		b[i] = byte('a' + rng.IntN(3))
	}
	return string(b)
}

// mutate changes the tree in every way the diff must report, and some it
// must not (same content rewritten, times touched).
func mutate(t *testing.T, rng *rand.Rand, dir string, files []string) {
	t.Helper()
	for _, p := range files {
		switch rng.IntN(14) {
		case 0:
			write(t, p, randomContent(rng), 0o644)
		case 1:
			// Same size, mtime put back: only ctime tells fast mode.
			fi, err := os.Stat(p)
			if err != nil {
				continue
			}
			b, _ := os.ReadFile(p)
			if len(b) > 0 {
				b[0] ^= 1
			}
			os.WriteFile(p, b, 0o644)
			os.Chtimes(p, fi.ModTime(), fi.ModTime())
		case 2:
			os.Chmod(p, 0o4755)
		case 3:
			os.Remove(p)
		case 4:
			os.Lchown(p, 1000+rng.IntN(3), 1000)
		case 5:
			os.Remove(p)
			os.Symlink("elsewhere", p)
		case 6:
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b, 0o644) // rewritten, unchanged
		case 7:
			now := time.Now()
			os.Chtimes(p, now, now)
		case 8:
			write(t, p+"-new", "new", 0o644)
		}
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type()&fs.ModeSymlink != 0 && rng.IntN(3) == 0 {
			os.Remove(p)
			os.Symlink("moved", p)
		}
		if err == nil && d.IsDir() && p != dir && rng.IntN(25) == 0 {
			os.RemoveAll(p)
			return filepath.SkipDir
		}
		return nil
	})
}

// TestDiffMatchesMapDiff builds databases of random trees, changes the
// trees at random and checks that the merge of the two sorted databases
// finds exactly what the old map diff finds on the same entries, in full
// and fast mode, through the live host (files opened directly) and a
// rooted one (through os.Root), with a memory budget small enough to
// spill many runs, and trees larger than fast mode's window of slots.
func TestDiffMatchesMapDiff(t *testing.T) {
	for seed := range 6 {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(seed), 14))
			root := treeDir(t)
			n := 300 + seed*400
			files := randomTree(t, rng, filepath.Join(root, "w"), n)
			os.MkdirAll(filepath.Join(root, "v"), 0o755)
			files = append(files, randomTree(t, rng, filepath.Join(root, "v"), n/4)...)
			write(t, filepath.Join(root, "single"), "a watched file", 0o644)
			files = append(files, filepath.Join(root, "single"))
			// The live host reads absolute paths; a rooted one, paths in
			// the root. Overlapping watched paths visit some entries twice.
			h, prefix := mustHost(t, "/"), root
			if seed%2 == 1 {
				h, prefix = mustHost(t, root), ""
			}
			paths := []string{prefix + "/w", prefix + "/v", prefix + "/single", prefix + "/w/" + "missing"}
			if seed%3 == 0 {
				paths = append(paths, prefix+"/v")
			}
			mem := int64(0)
			if seed >= 2 {
				mem = 32 << 10 // a few hundred entries a run
			}
			o := Options{Paths: paths, Memory: mem, TempDir: t.TempDir(), Workers: 1 + seed%3}
			base, _ := build(t, h, o)
			checkTree(t, base, prefix, root, paths)
			time.Sleep(20 * time.Millisecond) // ctime ticks are coarse
			mutate(t, rng, root, files)

			full, _ := build(t, h, o)
			checkTree(t, full, prefix, root, paths)
			fo := o
			fo.Previous = base
			fast, st := build(t, h, fo)
			if st.Reused == 0 || st.Hashed == 0 {
				t.Errorf("fast mode reused %d and hashed %d: the test changes too much or too little", st.Reused, st.Hashed)
			}
			want := mapDiff(entries(t, base), entries(t, full))
			if len(want) == 0 {
				t.Fatal("nothing changed")
			}
			for name, cur := range map[string]*DB{"full": full, "fast": fast} {
				got := diff(t, base, cur)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s mode: the merge found %d changes, the map diff %d", name, len(got), len(want))
					for i := range max(len(got), len(want)) {
						var g, w Change
						if i < len(got) {
							g = got[i]
						}
						if i < len(want) {
							w = want[i]
						}
						if !reflect.DeepEqual(g, w) {
							t.Errorf("first difference: %+v, want %+v", g, w)
							break
						}
					}
				}
			}
			if d := diff(t, full, fast); len(d) != 0 {
				t.Errorf("fast and full mode disagree on the same tree: %v", d)
			}
		})
	}
}

// treeDir is a temporary directory for a test's tree: on tmpfs when
// there is one, where making thousands of files takes a fraction of the
// time it takes on a disk.
func treeDir(t *testing.T) string {
	dir, err := os.MkdirTemp("/dev/shm", "vigil-fim-test-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func mustHost(t *testing.T, root string) *host.Host {
	h, err := host.New(root)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// checkTree compares a database with the tree read independently: every
// entry once, every file's hash computed from its content.
func checkTree(t *testing.T, db *DB, prefix, root string, paths []string) {
	t.Helper()
	want := map[string]bool{}
	for _, p := range paths {
		filepath.WalkDir(filepath.Join(root, strings.TrimPrefix(p, prefix)), func(q string, d fs.DirEntry, err error) error {
			if err == nil {
				want[prefix+strings.TrimPrefix(q, root)] = true
			}
			return nil
		})
	}
	got := entries(t, db)
	if len(got) != len(want) || db.Len() != len(want) {
		t.Fatalf("%d entries (Len %d), the tree has %d", len(got), db.Len(), len(want))
	}
	for p, e := range got {
		if !want[p] {
			t.Fatalf("%s is not in the tree", p)
		}
		if e.Type != "file" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, strings.TrimPrefix(p, prefix)))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(b); e.SHA256 != hex.EncodeToString(sum[:]) || e.Err != "" {
			t.Fatalf("%s: recorded %q (%s), its content hashes to %x", p, e.SHA256, e.Err, sum)
		}
	}
}

// TestLoadRejectsDamage: a database cut short anywhere, with any byte of
// its contents changed, or with anything after its end is an error
// naming the file, never a smaller database.
func TestLoadRejectsDamage(t *testing.T) {
	root := t.TempDir()
	randomTree(t, rand.New(rand.NewPCG(1, 2)), filepath.Join(root, "etc"), 300)
	h := mustHost(t, root)
	db, _ := build(t, h, Options{Paths: []string{"/etc"}})
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if err := db.Save(good); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(good)
	bad := filepath.Join(dir, "bad")
	try := func(what string, b []byte) {
		t.Helper()
		os.WriteFile(bad, b, 0o600)
		got, err := Load(bad)
		if err == nil {
			t.Fatalf("%s: loaded, %d entries of %d", what, got.Len(), db.Len())
		}
		if !strings.Contains(err.Error(), bad) {
			t.Fatalf("%s: the error does not name the file: %v", what, err)
		}
	}
	for n := 0; n < len(data); n += 1 + n/50 {
		try(fmt.Sprintf("cut to %d of %d bytes", n, len(data)), data[:n])
	}
	for n := len(data) - 40; n < len(data); n++ {
		try(fmt.Sprintf("cut to %d of %d bytes", n, len(data)), data[:n])
	}
	// Bytes 8 to 17 are gzip's header: its time and OS fields carry
	// nothing and no checksum covers them. Every other byte matters.
	for i := 0; i < len(data); i += 1 + i/100 {
		if i >= len(magic) && i < len(magic)+10 {
			continue
		}
		b := bytes.Clone(data)
		b[i] ^= 0x20
		try(fmt.Sprintf("byte %d changed", i), b)
	}
	try("data after the end", append(bytes.Clone(data), 0))
	try("a second database after the end", append(bytes.Clone(data), data[len(magic):]...))
	if _, err := Load(good); err != nil {
		t.Fatal(err)
	}
}

// TestLoadFirstFormat reads a database written as the first format did
// (a gzip'd gob of the whole map), as baselines recorded by earlier
// versions are.
func TestLoadFirstFormat(t *testing.T) {
	root := t.TempDir()
	randomTree(t, rand.New(rand.NewPCG(3, 4)), filepath.Join(root, "etc"), 200)
	h := mustHost(t, root)
	db, _ := build(t, h, Options{Paths: []string{"/etc"}})
	old := struct {
		Taken   time.Time
		Root    string
		Paths   []string
		Entries map[string]*Entry
	}{db.Taken, db.Root, db.Paths, entries(t, db)}
	p := filepath.Join(t.TempDir(), "base.fim")
	if err := WriteGzip(p, func(w io.Writer) error { return gob.NewEncoder(w).Encode(old) }); err != nil {
		t.Fatal(err)
	}
	back, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if d := diff(t, db, back); len(d) != 0 || back.Len() != db.Len() || !back.Taken.Equal(db.Taken) || back.Root != db.Root {
		t.Fatalf("the first format read back differently: %d changes, %d entries of %d", len(d), back.Len(), db.Len())
	}
	if !reflect.DeepEqual(entries(t, back), old.Entries) {
		t.Fatal("entries differ")
	}
	// Fast mode works from a converted database.
	if _, st := build(t, h, Options{Paths: []string{"/etc"}, Previous: back}); st.Hashed != 0 || st.Reused == 0 {
		t.Fatalf("fast mode from the first format: %+v", st)
	}
	// Damaged, it is an error like any other.
	data, _ := os.ReadFile(p)
	os.WriteFile(p, data[:len(data)/2], 0o600)
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("half a first-format database: %v", err)
	}
}

// TestBuildFailsWithoutTempDir: nowhere to write the database is an
// error, not an empty database.
func TestBuildFailsWithoutTempDir(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "etc/a"), "a", 0o644)
	db, _, err := Build(mustHost(t, root), Options{Paths: []string{"/etc"}, TempDir: filepath.Join(root, "nowhere")})
	if err == nil || db != nil {
		t.Fatalf("built %v, %v", db, err)
	}
}

// TestBuildMemoryBounded builds, re-checks (fast mode) and diffs a tree
// of 200,000 files and holds the heap to a bound that a map of every
// entry (about 330 bytes each: 66 MB live here) could not meet.
func TestBuildMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("200,000 files")
	}
	dir := treeDir(t)
	const dirs, per = 2000, 100
	for d := range dirs {
		sub := filepath.Join(dir, fmt.Sprintf("lib/pkg-%04d/share", d))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range per {
			body := ""
			if i%16 == 0 {
				body = "x"
			}
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("module-%06d.conf", d*per+i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	h := mustHost(t, "/")
	o := Options{Paths: []string{dir}, TempDir: t.TempDir()}
	var (
		base, cur *DB
		st        Stats
		changes   []Change
	)
	bound := uint64(40 << 20)
	check := func(what string, fn func()) {
		t.Helper()
		peak, before := memtest.PeakHeap(fn)
		t.Logf("%s: heap peak %.1f MB over %.1f MB before", what, float64(peak-before)/(1<<20), float64(before)/(1<<20))
		if peak-before > bound {
			t.Errorf("%s took %.1f MB of heap, more than %d MB", what, float64(peak-before)/(1<<20), bound>>20)
		}
	}
	check("full build", func() { base, st = build(t, h, o) })
	if want := 1 + dirs*(per+2) + 1; st.Files != want || base.Len() != want {
		t.Fatalf("%d entries, want %d", st.Files, want)
	}
	saved := filepath.Join(t.TempDir(), "db")
	if err := base.Save(saved); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(saved); float64(fi.Size())/float64(base.Len()) > 40 {
		t.Errorf("%.0f bytes an entry on disk", float64(fi.Size())/float64(base.Len()))
	}
	o.Previous = base
	check("fast build", func() { cur, st = build(t, h, o) })
	if st.Hashed != 0 {
		t.Fatalf("fast mode re-hashed %d unchanged files", st.Hashed)
	}
	check("diff", func() { changes = diff(t, base, cur) })
	if len(changes) != 0 {
		t.Fatalf("%d changes in an unchanged tree", len(changes))
	}
	// The heap follows the budget, not the tree: with a budget of 2 MB,
	// runs of about 12,000 entries are spilled.
	bound = 12 << 20
	o.Previous, o.Memory = nil, 2<<20
	check("full build, 2 MB budget", func() { cur, _ = build(t, h, o) })
	o.Previous = base
	check("fast build, 2 MB budget", func() { cur, _ = build(t, h, o) })
	if changes = diff(t, base, cur); len(changes) != 0 {
		t.Fatalf("%d changes in an unchanged tree", len(changes))
	}
}

// TestUnreadable: a file that cannot be read is an entry with the error,
// and every diff reports it (with the field "error") for as long as it
// cannot be read, even when it could not be read at the baseline either:
// what cannot be read cannot be shown unchanged. A directory that cannot
// be listed is in Stats.Unreachable. Root reads everything, so as root
// the test runs itself again as nobody.
func TestUnreadable(t *testing.T) {
	if dir := os.Getenv("VIGIL_FIM_UNREADABLE"); dir != "" {
		checkUnreadable(t, dir)
		return
	}
	dir, err := os.MkdirTemp("", "vigil-fim-unreadable-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(dir, "w/locked"), 0o755); os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	write(t, filepath.Join(dir, "w/ok"), "ok", 0o644)
	write(t, filepath.Join(dir, "w/secret"), "secret", 0o600)
	write(t, filepath.Join(dir, "w/locked/inside"), "x", 0o644)
	os.Chmod(filepath.Join(dir, "w/secret"), 0o000)
	os.Chmod(filepath.Join(dir, "w/locked"), 0o000)
	if os.Geteuid() != 0 {
		checkUnreadable(t, dir)
		return
	}
	// The test binary is in the go command's private directory: copy it
	// where nobody may run it.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "fim.test")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run", "^TestUnreadable$", "-test.v")
	cmd.Env = append(os.Environ(), "VIGIL_FIM_UNREADABLE="+dir, "TMPDIR="+os.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestUnreadable") {
		t.Fatalf("as nobody, the test did not run:\n%s", out)
	}
}

func checkUnreadable(t *testing.T, dir string) {
	secret, locked := filepath.Join(dir, "w/secret"), filepath.Join(dir, "w/locked")
	for _, live := range []bool{true, false} {
		h, prefix := mustHost(t, "/"), dir
		if !live {
			h, prefix = mustHost(t, dir), ""
		}
		secret, locked := prefix+strings.TrimPrefix(secret, dir), prefix+strings.TrimPrefix(locked, dir)
		o := Options{Paths: []string{prefix + "/w"}}
		base, st := build(t, h, o)
		if st.Unreadable != 1 || len(st.Unreachable) != 1 || !strings.Contains(st.Unreachable[0], locked) {
			t.Fatalf("live %v: %+v", live, st)
		}
		e := entries(t, base)[secret]
		if e == nil || e.SHA256 != "" || !strings.Contains(e.Err, "permission denied") {
			t.Fatalf("live %v: the unreadable file is %+v", live, e)
		}
		for _, mode := range []string{"full", "fast"} {
			if mode == "fast" {
				o.Previous = base
			}
			cur, st := build(t, h, o)
			if st.Unreadable != 1 {
				t.Errorf("live %v, %s mode: %+v", live, mode, st)
			}
			cs := diff(t, base, cur)
			if len(cs) != 1 || cs[0].Path != secret || cs[0].Kind != "modified" || cs[0].Fields["error"][1] != e.Err {
				t.Errorf("live %v, %s mode: a file unreadable then and now is reported as %+v", live, mode, cs)
			}
		}
	}
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
