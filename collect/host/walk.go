package host

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// WalkLimit bounds host.walk: a scan must finish even on a host with
// millions of files; past it the result says the walk was incomplete.
var WalkLimit int64 = 2_000_000

// skipFS are filesystem types the walk does not enter: pseudo, network and
// read-only image filesystems, whose files are not the host's own state.
var skipFS = map[string]bool{
	"proc": true, "sysfs": true, "devtmpfs": true, "devpts": true, "cgroup": true, "cgroup2": true,
	"securityfs": true, "debugfs": true, "tracefs": true, "pstore": true, "bpf": true, "mqueue": true,
	"hugetlbfs": true, "fusectl": true, "configfs": true, "autofs": true, "binfmt_misc": true,
	"nfs": true, "nfs4": true, "cifs": true, "smb3": true, "sshfs": true, "squashfs": true,
	"efivarfs": true, "nsfs": true, "rpc_pipefs": true, "9p": true, "virtiofs": true,
}

// walkSkips lists the directories the walk must not enter.
// containerStorage holds container images and layers: their files belong
// to the images (with the images' own users), not to the host, and are
// judged by image scanning, not host hardening.
var containerStorage = []string{"/var/lib/docker", "/var/lib/containerd", "/var/lib/containers", "/var/lib/kubelet/pods", "/snap"}

func walkSkips(h *Host) map[string]bool {
	skip := map[string]bool{"/proc": true, "/sys": true, "/dev": true, "/run": true}
	for _, d := range containerStorage {
		skip[d] = true
	}
	if h.live {
		if data, err := os.ReadFile("/proc/self/mounts"); err == nil {
			for _, l := range lines(data, "") {
				f := strings.Fields(l)
				if len(f) >= 3 && (skipFS[f[2]] || strings.HasPrefix(f[2], "fuse.")) && f[1] != "/" {
					skip[unescapeMount(f[1])] = true
				}
			}
		}
	}
	return skip
}

// walkEntry is one entry seen by parallelWalk. Stat is reused by the
// worker after visit returns: copy what you keep.
type walkEntry struct {
	dir, name string
	st        *unix.Stat_t
}

func (e walkEntry) path() string { return path.Join(e.dir, e.name) }

// parallelWalk visits every entry under roots (not following symlinks)
// with several workers, skipping the directories in skip. Each directory
// is opened once and its entries are stat'ed relative to it (fstatat),
// which saves building a path and a FileInfo for every file. visit must be
// safe for concurrent use. It returns false when it stopped at limit, and
// the directories it could not read.
func parallelWalk(h *Host, roots []string, skip map[string]bool, limit int64, visit func(walkEntry)) (bool, []string) {
	var (
		seen    atomic.Int64
		stopped atomic.Bool
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		queue   []string
		active  int
		failed  []string
	)
	for _, r := range roots {
		if fi, err := h.Lstat(r); err == nil && fi.IsDir() {
			queue = append(queue, r)
		}
	}
	push := func(d string) {
		mu.Lock()
		queue = append(queue, d)
		mu.Unlock()
		cond.Signal()
	}
	fail := func(msg string) {
		mu.Lock()
		failed = append(failed, msg)
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for range max(2, runtime.NumCPU()*2) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var st unix.Stat_t
			mu.Lock()
			for {
				for len(queue) == 0 && active > 0 {
					cond.Wait()
				}
				if len(queue) == 0 {
					mu.Unlock()
					cond.Broadcast()
					return
				}
				d := queue[len(queue)-1]
				queue = queue[:len(queue)-1]
				active++
				mu.Unlock()
				walkDir(h, d, skip, limit, &seen, &stopped, &st, visit, push, fail)
				mu.Lock()
				active--
				if active == 0 && len(queue) == 0 {
					cond.Broadcast()
				}
			}
		}()
	}
	wg.Wait()
	sort.Strings(failed)
	return !stopped.Load(), failed
}

func walkDir(h *Host, d string, skip map[string]bool, limit int64, seen *atomic.Int64, stopped *atomic.Bool,
	st *unix.Stat_t, visit func(walkEntry), push func(string), fail func(string)) {
	if stopped.Load() {
		return
	}
	f, err := h.Open(d)
	if err != nil {
		fail(readErr(d, err))
		return
	}
	defer f.Close()
	fd := int(f.Fd())
	for {
		names, err := f.Readdirnames(1024)
		for _, n := range names {
			if seen.Add(1) > limit {
				stopped.Store(true)
				return
			}
			if err := unix.Fstatat(fd, n, st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				if err != unix.ENOENT {
					fail(readErr(path.Join(d, n), err))
				}
				continue
			}
			visit(walkEntry{d, n, st})
			if st.Mode&unix.S_IFMT == unix.S_IFDIR {
				if p := path.Join(d, n); !skip[p] {
					push(p)
				}
			}
		}
		if err != nil {
			if err != io.EOF {
				fail(readErr(d, err))
			}
			return
		}
	}
}

func collectWalk(_ context.Context, h *Host) (map[string]any, error) {
	id, usersErr, groupsErr := hostIDsErr(h)
	var mu sync.Mutex
	wwf, sticky, unowned, ungrouped, suid := []any{}, []any{}, []any{}, []any{}, []any{}
	const maxList = 1000 // each list is evidence, not a dump
	truncated := map[string]bool{}
	appendMax := func(l *[]any, name string, v map[string]any) {
		if len(*l) < maxList {
			*l = append(*l, v)
		} else {
			truncated[name] = true
		}
	}
	complete, failed := parallelWalk(h, []string{"/"}, walkSkips(h), WalkLimit, func(e walkEntry) {
		typ, perm := e.st.Mode&unix.S_IFMT, e.st.Mode&0o7777
		if typ == unix.S_IFLNK {
			return
		}
		_, knownUser := id.users[int(e.st.Uid)]
		_, knownGroup := id.groups[int(e.st.Gid)]
		ww := perm&0o002 != 0
		setid := typ == unix.S_IFREG && perm&0o6000 != 0
		if !ww && !setid && (knownUser || len(id.users) == 0) && (knownGroup || len(id.groups) == 0) {
			return // the common case: nothing to record, no allocation
		}
		p := e.path()
		mu.Lock()
		defer mu.Unlock()
		if ww {
			if typ == unix.S_IFDIR {
				if perm&0o1000 == 0 {
					appendMax(&sticky, "sticky_missing", map[string]any{"id": p})
				}
			} else if typ == unix.S_IFREG {
				appendMax(&wwf, "world_writable", map[string]any{"id": p})
			}
		}
		if !knownUser && len(id.users) > 0 {
			appendMax(&unowned, "unowned", map[string]any{"id": p, "uid": int(e.st.Uid)})
		}
		if !knownGroup && len(id.groups) > 0 {
			appendMax(&ungrouped, "ungrouped", map[string]any{"id": p, "gid": int(e.st.Gid)})
		}
		if setid {
			appendMax(&suid, "suid", map[string]any{"id": p, "mode": int(perm)})
		}
	})
	out := map[string]any{"world_writable": wwf, "sticky_missing": sticky, "unowned": unowned,
		"ungrouped": ungrouped, "suid": suid, "complete": complete, "unreadable": toAny(failed)}
	// Without the host's users (groups) no file can be told unowned
	// (ungrouped): those lists are then empty, which must not read as "none".
	if usersErr != "" {
		out["unowned_error"] = "owners cannot be checked: " + usersErr
	}
	if groupsErr != "" {
		out["ungrouped_error"] = "groups cannot be checked: " + groupsErr
	}
	var cut []string
	for name := range truncated {
		cut = append(cut, name)
	}
	sort.Strings(cut)
	switch {
	case !complete:
		out["error"] = fmt.Sprintf("the walk stopped after the limit of %d entries; its lists are incomplete", WalkLimit)
	case len(cut) > 0:
		// A cut list may have left out exactly the entry a check would
		// not exempt: judge nothing rather than a sample.
		out["error"] = fmt.Sprintf("more than %d entries found for %s; the lists were cut, so they cannot be judged (look for what fills them)", maxList, strings.Join(cut, ", "))
	case len(failed) > 0:
		// What is in a directory we could not read is unknown, and unknown
		// is not "none found".
		shown := failed
		if len(shown) > 5 {
			shown = shown[:5]
		}
		out["error"] = fmt.Sprintf("%d directories could not be read, so their files were not checked: %s", len(failed), strings.Join(shown, "; "))
	}
	for _, l := range [][]any{wwf, sticky, unowned, ungrouped, suid} {
		sortByID(l)
	}
	return out, nil
}

func sortByID(l []any) {
	sort.Slice(l, func(i, j int) bool {
		return l[i].(map[string]any)["id"].(string) < l[j].(map[string]any)["id"].(string)
	})
}

// unescapeMount decodes the octal escapes of /proc/mounts (\040 = space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var n int
			if _, err := fmtSscanf(s[i+1:i+4], "%o", &n); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
