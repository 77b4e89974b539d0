// Package fim is Vigil's file integrity monitoring: a database of the
// watched files' SHA-256, mode, owner, size and times, built by hashing in
// parallel on every core, and a fast mode that re-hashes only the files
// whose stat changed since the last database.
package fim

import (
	"compress/gzip"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigil-soc/vigil/collect/host"
)

// DefaultPaths are watched when none are configured.
var DefaultPaths = []string{"/etc", "/usr/bin", "/usr/sbin", "/boot"}

// Entry is one file's recorded state.
type Entry struct {
	Path   string
	Type   string // file, dir, symlink, other
	Mode   uint32 // permission bits with setuid, setgid, sticky
	UID    uint32
	GID    uint32
	Size   int64
	MTime  int64 // ns
	CTime  int64 // ns
	Inode  uint64
	Dev    uint64
	SHA256 string // hex, regular files only
	Target string // symlink target
	Err    string // why the file could not be hashed
}

// DB is a set of entries by path.
type DB struct {
	Taken   time.Time
	Root    string
	Paths   []string
	Entries map[string]*Entry
}

// Stats describe one build.
type Stats struct {
	Files       int
	Hashed      int   // files read and hashed
	Reused      int   // hashes taken from the previous database (fast mode)
	Bytes       int64 // bytes hashed
	Unreadable  int
	Duration    time.Duration
	Incomplete  bool
	Unreachable []string // directories that could not be listed
}

// Options for Build.
type Options struct {
	Paths []string
	// Previous enables fast mode: files whose stat is unchanged keep their
	// previous hash instead of being read again.
	Previous *DB
	Workers  int
	// Limit bounds the number of entries (default 5,000,000).
	Limit int64
}

type job struct{ e *Entry }

// Build walks the watched paths of h and records every entry.
func Build(h *host.Host, o Options) (*DB, Stats) {
	start := time.Now()
	if len(o.Paths) == 0 {
		o.Paths = DefaultPaths
	}
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.Limit <= 0 {
		o.Limit = 5_000_000
	}
	db := &DB{Taken: start.UTC(), Root: h.Root(), Paths: o.Paths, Entries: map[string]*Entry{}}
	var (
		mu    sync.Mutex
		stats Stats
		jobs  = make(chan job, 1024)
		wg    sync.WaitGroup
		bytes int64
	)
	noatime := newNoatime()
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newHasher(h, noatime)
			for j := range jobs {
				sum, n, err := w.hash([]byte(j.e.Path), j.e.Size)
				if err != nil {
					j.e.Err = err.Error()
					w.failed++
					continue
				}
				j.e.SHA256 = hex.EncodeToString(sum[:])
				w.bytes += n
				w.hashed++
			}
			mu.Lock()
			bytes += w.bytes
			stats.Hashed += w.hashed
			stats.Unreadable += w.failed
			mu.Unlock()
		}()
	}
	var roots []string
	for _, p := range o.Paths {
		if fi, err := h.Lstat(p); err == nil {
			e := entryOf(p, fi)
			if fi.Mode()&fs.ModeSymlink != 0 {
				e.Target, _ = h.Readlink(p)
			}
			db.Entries[p] = e
			if fi.IsDir() {
				roots = append(roots, p)
			} else if fi.Mode().IsRegular() {
				jobs <- job{e}
			}
		}
	}
	complete, unreachable := h.Walk(roots, nil, o.Limit, func(dir, name string, st *unix.Stat_t) {
		p := path.Join(dir, name)
		e := entryFromStat(p, st)
		if e.Type == "symlink" {
			e.Target, _ = h.Readlink(p)
		}
		reuse := false
		if o.Previous != nil && e.Type == "file" {
			if old := o.Previous.Entries[p]; old != nil && old.SHA256 != "" && sameStat(old, e) {
				e.SHA256 = old.SHA256
				reuse = true
			}
		}
		mu.Lock()
		db.Entries[p] = e
		if reuse {
			stats.Reused++
		}
		mu.Unlock()
		if e.Type == "file" && !reuse {
			jobs <- job{e}
		}
	})
	close(jobs)
	wg.Wait()
	stats.Files, stats.Bytes, stats.Duration = len(db.Entries), bytes, time.Since(start)
	stats.Incomplete, stats.Unreachable = !complete, unreachable
	return db, stats
}

// sameStat: a file whose size, times, inode and owner are unchanged is
// taken to have the same content. ctime cannot be set from user space, so
// a content change that restores mtime still shows in ctime.
func sameStat(a, b *Entry) bool {
	return a.Size == b.Size && a.MTime == b.MTime && a.CTime == b.CTime && a.Inode == b.Inode &&
		a.Dev == b.Dev && a.Mode == b.Mode && a.UID == b.UID && a.GID == b.GID
}

// entryOf describes a path from its FileInfo (the watched roots).
func entryOf(p string, fi fs.FileInfo) *Entry {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return entryFromStat(p, &unix.Stat_t{Mode: st.Mode, Uid: st.Uid, Gid: st.Gid, Size: st.Size,
			Mtim: unix.Timespec(st.Mtim), Ctim: unix.Timespec(st.Ctim), Ino: st.Ino, Dev: st.Dev})
	}
	return &Entry{Path: p, Type: "other", Err: "no stat information"}
}

func entryFromStat(p string, st *unix.Stat_t) *Entry {
	e := &Entry{Path: p, Mode: st.Mode & 0o7777, UID: st.Uid, GID: st.Gid, Size: st.Size,
		MTime: st.Mtim.Sec*1e9 + st.Mtim.Nsec, CTime: st.Ctim.Sec*1e9 + st.Ctim.Nsec, Inode: st.Ino, Dev: st.Dev}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		e.Type = "file"
	case unix.S_IFDIR:
		// Directory sizes and times churn with every file in them.
		e.Type, e.Size, e.MTime, e.CTime = "dir", 0, 0, 0
	case unix.S_IFLNK:
		e.Type = "symlink"
	default:
		e.Type = "other"
	}
	return e
}

// Change is one difference between two databases.
type Change struct {
	Path   string            `json:"path"`
	Kind   string            `json:"kind"` // added, removed, modified
	Fields map[string][2]any `json:"fields,omitempty"`
}

// Diff lists what changed from old to cur, sorted by path.
func Diff(old, cur *DB) []Change {
	var out []Change
	for p, e := range cur.Entries {
		o, ok := old.Entries[p]
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
		if len(f) > 0 {
			if o.Type == "file" && e.Type == "file" && o.MTime != e.MTime {
				f["mtime"] = [2]any{time.Unix(0, o.MTime).UTC().Format(time.RFC3339), time.Unix(0, e.MTime).UTC().Format(time.RFC3339)}
			}
			out = append(out, Change{Path: p, Kind: "modified", Fields: f})
		}
	}
	for p := range old.Entries {
		if _, ok := cur.Entries[p]; !ok {
			out = append(out, Change{Path: p, Kind: "removed"})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Save writes db gzip-compressed to path, atomically.
func (db *DB) Save(path string) error {
	return WriteGzip(path, func(w io.Writer) error { return gob.NewEncoder(w).Encode(db) })
}

// WriteGzip writes what encode produces, gzip'd, to path: through a
// temporary file that is synced and renamed, so a crash never leaves half a
// file where a whole one was.
func WriteGzip(path string, encode func(io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	err = encode(zw)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// ReadGzip decodes the gzip'd file at path (as WriteGzip writes it); a
// file that is not gzip or does not decode is "not a Vigil <what>".
func ReadGzip(path, what string, decode func(io.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s is not a Vigil %s: %v", path, what, err)
	}
	if err := decode(zr); err != nil {
		return fmt.Errorf("%s is not a Vigil %s: %v", path, what, err)
	}
	return nil
}

// Load reads a database written by Save.
func Load(path string) (*DB, error) {
	var db DB
	if err := ReadGzip(path, "file integrity database", func(r io.Reader) error { return gob.NewDecoder(r).Decode(&db) }); err != nil {
		return nil, err
	}
	return &db, nil
}
