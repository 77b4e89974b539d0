package host

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// listed returns the ids in the walk's list k, sorted.
func listed(t *testing.T, out map[string]any, k string) []string {
	t.Helper()
	var ids []string
	for _, r := range out[k].([]any) {
		ids = append(ids, str(r.(map[string]any)["id"]))
	}
	sort.Strings(ids)
	return ids
}

// The walk's verdicts on planted offenders and on look-alikes that must not
// be flagged: a symlink is always 0777, a set-id bit on a directory is not
// a set-id program, a sticky world-writable directory is what /tmp is.
func TestWalkPlanted(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("planting other owners needs root")
	}
	h, dir := newRoot(t, root{
		"etc/passwd":        "root:x:0:0::/root:/bin/sh\nsvc:x:1000:1000::/:/bin/sh\n",
		"etc/group":         "root:x:0:\nsvc:x:1000:\n",
		"usr/bin/su":        "x",
		"usr/bin/wall":      "x",
		"usr/bin/plain":     "x",
		"srv/ww.txt":        "x",
		"srv/ok.txt":        "x",
		"srv/link":          "->ok.txt",
		"srv/open/":         "",
		"srv/tmp/":          "",
		"srv/shared/":       "",
		"srv/orphan":        "x",
		"srv/orphan-group":  "x",
		"srv/svc-owned":     "x",
		"srv/deep/a/b/c/ww": "x",
	})
	p := func(rel string) string { return filepath.Join(dir, rel) }
	for rel, mode := range map[string]os.FileMode{
		"usr/bin/su": 0o755 | os.ModeSetuid, "usr/bin/wall": 0o755 | os.ModeSetgid, "usr/bin/plain": 0o755,
		"srv/ww.txt": 0o666, "srv/ok.txt": 0o644, "srv/open": 0o777, "srv/tmp": 0o777 | os.ModeSticky,
		"srv/shared": 0o775 | os.ModeSetgid, "srv/deep/a/b/c/ww": 0o646,
	} {
		if err := os.Chmod(p(rel), mode); err != nil {
			t.Fatal(err)
		}
	}
	for rel, ids := range map[string][2]int{"srv/orphan": {4242, 0}, "srv/orphan-group": {0, 4343}, "srv/svc-owned": {1000, 1000}} {
		if err := os.Lchown(p(rel), ids[0], ids[1]); err != nil {
			t.Fatal(err)
		}
	}
	out, err := collectWalk(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string][]string{
		"world_writable": {"/srv/deep/a/b/c/ww", "/srv/ww.txt"},
		"sticky_missing": {"/srv/open"},
		"suid":           {"/usr/bin/su", "/usr/bin/wall"},
		"unowned":        {"/srv/orphan"},
		"ungrouped":      {"/srv/orphan-group"},
	} {
		if got := listed(t, out, k); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if out["complete"] != true || out["error"] != nil || len(out["unreadable"].([]any)) != 0 {
		t.Errorf("complete %v, error %v, unreadable %v", out["complete"], out["error"], out["unreadable"])
	}
}

// Symlinks are not followed: a loop ends, and what a link points at is
// listed once, under its own path.
func TestWalkSymlinkLoops(t *testing.T) {
	h, dir := newRoot(t, root{
		"srv/real/ww":   "x",
		"srv/loop":      "->.",
		"srv/real/up":   "->..",
		"srv/alias":     "->real",
		"srv/abs":       "->/srv",
		"srv/dangling":  "->nowhere",
		"srv/a/b/cycle": "->../../a",
	})
	os.Chmod(filepath.Join(dir, "srv/real/ww"), 0o666)
	out, _ := collectWalk(context.Background(), h)
	if got := listed(t, out, "world_writable"); strings.Join(got, " ") != "/srv/real/ww" {
		t.Errorf("world_writable = %q, want only /srv/real/ww", got)
	}
	if out["complete"] != true || out["error"] != nil {
		t.Errorf("complete %v, error %v", out["complete"], out["error"])
	}
}

// Every entry is visited exactly once, whatever the shape of the tree: a
// directory too big for one read of its entries, long names, deep nesting,
// many small directories spread over the workers. The reference is the
// standard library's walk of the same tree.
func TestWalkVisitsEverythingOnce(t *testing.T) {
	h, dir := newRoot(t, root{"etc/": ""})
	long := strings.Repeat("n", 200)
	mk := func(rel string) {
		full := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3000 {
		mk(fmt.Sprintf("big/%s-%04d", long, i))
	}
	deep := "deep"
	for i := range 120 {
		deep = path.Join(deep, fmt.Sprint(i))
	}
	mk(deep + "/leaf")
	for i := range 400 {
		mk(fmt.Sprintf("wide/%03d/x", i))
		os.Symlink("x", filepath.Join(dir, fmt.Sprintf("wide/%03d/l", i)))
	}
	want := map[string]bool{}
	filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if p != dir {
			want["/"+filepath.ToSlash(strings.TrimPrefix(p, dir+"/"))] = true
		}
		return nil
	})
	var mu sync.Mutex
	got := map[string]int{}
	complete, failed := parallelWalk(h, []string{"/"}, nil, WalkLimit, func(e walkEntry) {
		mu.Lock()
		got[e.path()]++
		mu.Unlock()
	})
	if !complete || len(failed) != 0 {
		t.Fatalf("complete %v, failed %v", complete, failed)
	}
	for p, n := range got {
		if n != 1 || !want[p] {
			t.Errorf("%s visited %d times (in the tree: %v)", p, n, want[p])
		}
	}
	for p := range want {
		if got[p] == 0 {
			t.Errorf("%s never visited", p)
		}
	}
	if len(got) != len(want) {
		t.Errorf("visited %d entries, the tree has %d", len(got), len(want))
	}
}

// Past the limit the walk says it stopped: its lists are then incomplete,
// which is an error, never "none found".
func TestWalkLimit(t *testing.T) {
	files := root{"etc/": ""}
	for i := range 50 {
		files[fmt.Sprintf("srv/%02d", i)] = "x"
	}
	h, _ := newRoot(t, files)
	defer func(old int64) { WalkLimit = old }(WalkLimit)
	WalkLimit = 10
	out, _ := collectWalk(context.Background(), h)
	if out["complete"] != false || !strings.Contains(str(out["error"]), "limit of 10 entries") {
		t.Errorf("complete %v, error %v, want the limit named", out["complete"], out["error"])
	}
}

// A list longer than the evidence keeps is an error: the entries left out
// could be exactly the ones a check would not exempt.
func TestWalkListsCut(t *testing.T) {
	h, dir := newRoot(t, root{"etc/": ""})
	for i := range 1001 {
		full := filepath.Join(dir, fmt.Sprintf("srv/%04d", i))
		os.MkdirAll(filepath.Dir(full), 0o755)
		os.WriteFile(full, nil, 0o666)
		os.Chmod(full, 0o666)
	}
	out, _ := collectWalk(context.Background(), h)
	if !strings.Contains(str(out["error"]), "world_writable") || len(out["world_writable"].([]any)) != 1000 {
		t.Errorf("error %v with %d listed, want the cut named", out["error"], len(out["world_writable"].([]any)))
	}
}

// On the live system the walk stays out of pseudo file systems mounted
// anywhere (their entries are the kernel's, not the host's files) and
// goes through bind mounts of real ones, as find -xdev does. Mounting
// needs root.
func TestWalkLiveMounts(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	dir := t.TempDir()
	for _, d := range []string{"tree/proc-here", "tree/sys-here", "tree/bound", "tree/tmpfs", "real"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	os.WriteFile(filepath.Join(dir, "real/su"), []byte("x"), 0o644)
	os.Chmod(filepath.Join(dir, "real/su"), 0o755|os.ModeSetuid)
	mount := func(args ...string) {
		if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
			t.Fatalf("mount %v: %v %s", args, err, out)
		}
		target := args[len(args)-1]
		t.Cleanup(func() { exec.Command("umount", "-l", target).Run() })
	}
	mount("-t", "proc", "proc", filepath.Join(dir, "tree/proc-here"))
	mount("-t", "sysfs", "sysfs", filepath.Join(dir, "tree/sys-here"))
	mount("--bind", filepath.Join(dir, "real"), filepath.Join(dir, "tree/bound"))
	mount("-t", "tmpfs", "tmpfs", filepath.Join(dir, "tree/tmpfs"))
	os.WriteFile(filepath.Join(dir, "tree/tmpfs/ww"), []byte("x"), 0o666)
	os.Chmod(filepath.Join(dir, "tree/tmpfs/ww"), 0o666)
	h, err := New("/")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	complete, failed := parallelWalk(h, []string{filepath.Join(dir, "tree")}, walkSkips(h), WalkLimit, func(e walkEntry) {
		mu.Lock()
		seen = append(seen, strings.TrimPrefix(e.path(), dir+"/"))
		mu.Unlock()
	})
	sort.Strings(seen)
	want := "tree/bound tree/bound/su tree/proc-here tree/sys-here tree/tmpfs tree/tmpfs/ww"
	if got := strings.Join(seen, " "); got != want || !complete || len(failed) != 0 {
		t.Errorf("visited %q (complete %v, failed %v), want %q", got, complete, failed, want)
	}
}
