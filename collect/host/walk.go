package host

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
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

// walkEntry is one entry seen by parallelWalk. The name and the stat are
// the worker's buffers, reused after visit returns: copy what you keep
// (path and Name make copies).
type walkEntry struct {
	dir  string
	name []byte
	st   *unix.Stat_t
}

// Name is the entry's name, copied.
func (e walkEntry) Name() string { return string(e.name) }

func (e walkEntry) path() string { return joinName(e.dir, e.name) }

// joinName is path.Join for a clean directory and a name without slashes,
// without Join's cleaning pass (it is called for every directory walked).
func joinName(dir string, name []byte) string {
	if dir == "/" {
		return "/" + string(name)
	}
	return dir + "/" + string(name)
}

// walkWorkers is how many goroutines walk: one per processor. The walk is
// system calls on cached metadata, so more workers than processors only
// add hand-offs between them; fewer leave a processor idle.
var walkWorkers = func() int { return runtime.GOMAXPROCS(0) }

// direntBuf is the size of each worker's buffer for directory entries:
// large directories are read in a few getdents calls rather than one per
// 8 KiB (os.File's buffer).
const direntBuf = 64 << 10

// walker is the state parallelWalk's workers share. Each worker walks
// depth first on its own, opening each subdirectory relative to its
// parent's open descriptor (one name for the kernel to look up, where an
// absolute path costs a lookup per component: as much kernel work as all
// the stats on a tree of deep package paths). It touches the shared queue
// only when it runs dry, or to hand the rest of a directory's
// subdirectories to a worker that has run dry: hand-offs between
// goroutines, not the system calls, were what kept two processors from
// walking faster than one.
type walker struct {
	h     *Host
	skip  map[string]bool
	limit int64
	visit func(walkEntry)

	seen    atomic.Int64
	stopped atomic.Bool
	hungry  atomic.Int32 // workers waiting for directories

	mu      sync.Mutex
	cond    *sync.Cond
	shared  []string
	idle    int
	workers int
	failed  []string
}

// maxDepth bounds how deep a worker recurses holding its ancestors'
// descriptors open; deeper directories are queued by path instead (a path
// too long to open is then an error for that directory, as it always was).
const maxDepth = 64

// parallelWalk visits every entry under roots (not following symlinks)
// with one worker per processor, skipping the directories in skip. Each
// directory is opened once, relative to its parent; its entries are read
// into a reused buffer and stat'ed relative to it (fstatat), so the common
// entry costs one system call and no allocation. visit must be safe for
// concurrent use. It returns false when it stopped at limit, and the
// directories it could not read.
func parallelWalk(h *Host, roots []string, skip map[string]bool, limit int64, visit func(walkEntry)) (bool, []string) {
	w := &walker{h: h, skip: skip, limit: limit, visit: visit, workers: max(1, walkWorkers())}
	w.cond = sync.NewCond(&w.mu)
	for _, r := range roots {
		if fi, err := h.Lstat(r); err == nil && fi.IsDir() {
			w.shared = append(w.shared, r)
		}
	}
	var wg sync.WaitGroup
	for range w.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, direntBuf)
			var st unix.Stat_t
			for {
				d, ok := w.take()
				if !ok {
					return
				}
				if w.stopped.Load() {
					continue
				}
				fd, done, err := w.openDir(d)
				if err != nil {
					w.fail(readErr(d, err))
					continue
				}
				w.walkDir(fd, d, 0, buf, &st)
				done()
			}
		}()
	}
	wg.Wait()
	sort.Strings(w.failed)
	return !w.stopped.Load(), w.failed
}

// take waits for a directory from the shared queue; false means every
// worker is idle and the queue is empty: the walk is over.
func (w *walker) take() (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.idle++
	w.hungry.Add(1)
	for len(w.shared) == 0 && w.idle < w.workers {
		w.cond.Wait()
	}
	if len(w.shared) == 0 {
		w.cond.Broadcast()
		return "", false
	}
	w.idle--
	w.hungry.Add(-1)
	d := w.shared[len(w.shared)-1]
	w.shared = w.shared[:len(w.shared)-1]
	return d, true
}

// give queues directories for any worker.
func (w *walker) give(dirs []string) {
	w.mu.Lock()
	w.shared = append(w.shared, dirs...)
	w.mu.Unlock()
	w.cond.Broadcast()
}

func (w *walker) fail(msg string) {
	w.mu.Lock()
	w.failed = append(w.failed, msg)
	w.mu.Unlock()
}

// openDir opens a directory by its path, for a walk's roots and the
// directories handed between workers. On the live system that is a bare
// open(2): os.Open would also register the descriptor with the poller
// and set its flags, four more system calls. A scanned image goes through
// os.Root, which keeps symlinks from leading out of it.
func (w *walker) openDir(d string) (int, func(), error) {
	if w.h.live {
		fd, err := openAt(unix.AT_FDCWD, d)
		if err != nil {
			return -1, nil, err
		}
		return fd, func() { unix.Close(fd) }, nil
	}
	f, err := w.h.Open(d)
	if err != nil {
		return -1, nil, err
	}
	return int(f.Fd()), func() { f.Close() }, nil
}

// openAt opens name, a directory, relative to dirfd. O_NOFOLLOW refuses a
// directory swapped for a symlink since it was stat'ed; with a single
// name, never "..", it cannot lead out of a scanned image either.
func openAt(dirfd int, name string) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// walkDir visits the entries of d (open as fd), then walks its
// subdirectories depth first, handing the rest of them to the shared
// queue when another worker is idle.
func (w *walker) walkDir(fd int, d string, depth int, buf []byte, st *unix.Stat_t) {
	var subdirs []string // names
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			w.fail(readErr(d, err))
			return
		}
		if n == 0 {
			break
		}
		if w.stopped.Load() {
			return
		}
		read := 0
		for off := 0; off < n; {
			// struct linux_dirent64: ino u64, off s64, reclen u16,
			// type u8, then the name, NUL-terminated and padded.
			reclen := int(binary.NativeEndian.Uint16(buf[off+16:]))
			name := buf[off+19 : off+reclen]
			off += reclen
			i := bytes.IndexByte(name, 0)
			if i < 0 {
				w.fail(d + ": a directory entry without its terminating NUL")
				continue
			}
			if isDot(name[:i]) {
				continue
			}
			read++
			if err := fstatat(fd, name[:i+1], st); err != nil {
				if err != unix.ENOENT { // gone since it was listed
					w.fail(readErr(joinName(d, name[:i]), err))
				}
				continue
			}
			w.visit(walkEntry{d, name[:i], st})
			if st.Mode&unix.S_IFMT == unix.S_IFDIR {
				subdirs = append(subdirs, string(name[:i]))
			}
		}
		// Counted a whole read at once: one atomic add per entry, on a
		// counter every worker shares, costs more than the limit's
		// precision is worth (a walk may pass it by one read).
		if w.seen.Add(int64(read)) > w.limit {
			w.stopped.Store(true)
			return
		}
	}
	for k, name := range subdirs {
		if w.stopped.Load() {
			return
		}
		if w.hungry.Load() > 0 && k+1 < len(subdirs) || depth >= maxDepth {
			var rest []string
			for _, n := range subdirs[k:] {
				if p := joinName(d, []byte(n)); !w.skip[p] {
					rest = append(rest, p)
				}
			}
			w.give(rest)
			return
		}
		p := joinName(d, []byte(name))
		if w.skip[p] {
			continue
		}
		cfd, err := openAt(fd, name)
		if err != nil {
			w.fail(readErr(p, err))
			continue
		}
		w.walkDir(cfd, p, depth+1, buf, st)
		unix.Close(cfd)
	}
}

func isDot(name []byte) bool {
	return len(name) == 1 && name[0] == '.' || len(name) == 2 && name[0] == '.' && name[1] == '.'
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
