// Package fim is Vigil's file integrity monitoring: a database of the
// watched files' SHA-256, mode, owner, size and times, built by hashing in
// parallel on every core, and a fast mode that re-hashes only the files
// whose stat changed since the last database.
//
// A database is a file of entries sorted by path (format.go), never a map
// in memory: building spills sorted runs past a memory budget and merges
// them (store.go), and the diff and fast mode stream two databases side
// by side.
package fim

import (
	"bytes"
	"compress/gzip"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"slices"
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

// DB is a database of entries sorted by path, kept in a file: the one it
// was loaded from, or for a new one an unlinked temporary file, not
// compressed (Save compresses it). Its entries are read by streaming
// (Each, Diff), so a DB costs no memory per entry.
type DB struct {
	Taken time.Time
	Root  string
	Paths []string

	name string // for errors
	f    *os.File
	size int64
	raw  bool // f holds the stream uncompressed, without the magic
	n    int
}

// Len is the number of entries.
func (db *DB) Len() int { return db.n }

// Close releases the database's file (a new database's goes with it).
func (db *DB) Close() error {
	if db == nil || db.f == nil {
		return nil
	}
	err := db.f.Close()
	db.f = nil
	return err
}

func (db *DB) open() (*dbReader, error) {
	if db.f == nil {
		return nil, fmt.Errorf("%s is closed", db.name)
	}
	r := io.NewSectionReader(db.f, 0, db.size)
	if db.raw {
		return openRaw(db.name, r)
	}
	d, _, _, _, err := openDB(db.name, r)
	return d, err
}

// Each calls fn with every entry in path order; it stops at the first
// error, fn's or the database's.
func (db *DB) Each(fn func(*Entry) error) error {
	d, err := db.open()
	if err != nil {
		return err
	}
	var r rec
	for {
		ok, err := d.next(&r)
		if err != nil || !ok {
			return err
		}
		if err := fn(r.entry()); err != nil {
			return err
		}
	}
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
	// TempDir holds the new database and the sorted runs spilled while
	// building, all unlinked (default os.TempDir()).
	TempDir string
	// Memory bounds the entries held in memory while building (default
	// 16 MiB, about 200,000 entries); past it they are spilled to TempDir.
	Memory int64
}

// DefaultMemory is the default of Options.Memory.
const DefaultMemory = 16 << 20

// Build walks the watched paths of h and records every entry. It fails
// only when the database cannot be written (TempDir) or, in fast mode,
// the previous one cannot be read; files that cannot be read are entries
// with Err, directories that cannot be listed are in Stats.Unreachable.
func Build(h *host.Host, o Options) (*DB, Stats, error) {
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
	if o.Memory <= 0 {
		o.Memory = DefaultMemory
	}
	var (
		stats Stats
		tally hashTally
	)
	// Full mode hashes while the walk goes on, into the records in place;
	// fast mode must first see the entries in order beside the previous
	// database, so it hashes what changed after the walk.
	full := o.Previous == nil
	st := newStore(o.TempDir, o.Memory, full)
	jobs := make(chan hashJob, 1024)
	var wg sync.WaitGroup
	if full {
		noatime := newNoatime()
		for range o.Workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w := newHasher(h, noatime)
				for j := range jobs {
					sum, n, err := w.hash(w.join(j.dir, j.name), j.size)
					if err != nil {
						j.g.setErr(j.ref, err.Error())
						w.failed++
					} else {
						copy(j.rec[recSum:recSum+32], sum[:])
						w.bytes += n
						w.hashed++
					}
					j.g.pending.Done()
				}
				tally.add(w)
			}()
		}
	}
	add := func(dir, name string, st0 *unix.Stat_t, size int64) {
		var target string
		if st0.Mode&unix.S_IFMT == unix.S_IFLNK {
			// An unreadable link target is an empty one: the entry then
			// differs from one recorded with its target.
			target, _ = h.Readlink(path.Join(dir, name))
		}
		g, ref, r := st.add(dir, name, st0, target)
		if g != nil {
			jobs <- hashJob{g: g, ref: ref, rec: r, dir: dir, name: name, size: size}
		}
	}
	var roots []string
	for _, p := range o.Paths {
		p = path.Clean("/" + p)
		fi, err := h.Lstat(p)
		if err != nil {
			continue // a watched path that does not exist is no entry
		}
		sys, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			continue
		}
		ust := unix.Stat_t{Mode: sys.Mode, Uid: sys.Uid, Gid: sys.Gid, Size: sys.Size,
			Mtim: unix.Timespec(sys.Mtim), Ctim: unix.Timespec(sys.Ctim), Ino: sys.Ino, Dev: sys.Dev}
		if p == "/" {
			add("/", "", &ust, ust.Size)
		} else {
			add(path.Dir(p), path.Base(p), &ust, ust.Size)
		}
		if fi.IsDir() {
			roots = append(roots, p)
		}
	}
	complete, unreachable := h.Walk(roots, nil, o.Limit, func(dir, name string, st0 *unix.Stat_t) {
		add(dir, name, st0, st0.Size)
	})
	close(jobs)
	st.sortLast()
	wg.Wait()
	stats.Incomplete, stats.Unreachable = !complete, unreachable

	entries, err := st.finish()
	if err != nil {
		return nil, stats, fmt.Errorf("file integrity: spilling entries to %s: %w", tempDirName(o.TempDir), err)
	}
	defer st.closeRuns()
	f, err := tempFile(o.TempDir, "vigil-fim-*")
	if err != nil {
		return nil, stats, fmt.Errorf("file integrity: %w", err)
	}
	db := &DB{Taken: start.UTC(), Root: h.Root(), Paths: o.Paths, name: "the new file integrity database", f: f, raw: true}
	var n uint64
	if full {
		n, err = writeRaw(f, db.Taken, db.Root, db.Paths, func(put func(*rec)) error {
			var r rec
			for {
				ok, err := entries.next(&r)
				if err != nil || !ok {
					return err
				}
				put(&r)
			}
		})
	} else {
		var prev *dbReader
		if prev, err = o.Previous.open(); err == nil {
			n, err = writeRaw(f, db.Taken, db.Root, db.Paths, func(put func(*rec)) error {
				return rehash(h, o.Workers, entries, prev, put, &tally)
			})
		}
	}
	if err == nil {
		db.size, err = f.Seek(0, io.SeekCurrent)
	}
	if err != nil {
		f.Close()
		return nil, stats, fmt.Errorf("file integrity: %w", err)
	}
	db.n = int(n)
	stats.Files, stats.Hashed, stats.Reused, stats.Bytes, stats.Unreadable = db.n, tally.hashed, tally.reused, tally.bytes, tally.failed
	stats.Duration = time.Since(start)
	return db, stats, nil
}

func tempDirName(d string) string {
	if d == "" {
		return os.TempDir()
	}
	return d
}

type hashJob struct {
	g         *gen
	ref       uint64
	rec       []byte
	dir, name string
	size      int64
}

// hashTally sums the workers' counts.
type hashTally struct {
	mu                     sync.Mutex
	hashed, reused, failed int
	bytes                  int64
}

func (t *hashTally) add(w *hasher) {
	t.mu.Lock()
	t.hashed += w.hashed
	t.failed += w.failed
	t.bytes += w.bytes
	t.mu.Unlock()
}

// rehash is fast mode's second half: it walks the new entries in path
// order beside the previous database, keeps the hash of each file whose
// stat is unchanged and has the others hashed by workers, and passes
// every entry to put in order. The workers take their entries from a
// window of slots, so that hashing runs in parallel and put still gets
// each entry in its place.
func rehash(h *host.Host, workers int, cur source, prev *dbReader, put func(*rec), tally *hashTally) error {
	type slot struct {
		r    rec
		hash bool
		done chan struct{}
	}
	const window = 1024
	ring := make([]slot, window)
	for i := range ring {
		ring[i].done = make(chan struct{}, 1)
	}
	jobs := make(chan *slot, window)
	var wg sync.WaitGroup
	noatime := newNoatime()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newHasher(h, noatime)
			for s := range jobs {
				sum, n, err := w.hash(s.r.path, s.r.size)
				if err != nil {
					s.r.err = append(s.r.err[:0], err.Error()...)
					w.failed++
				} else {
					s.r.sum, s.r.hasSum = sum, true
					w.bytes += n
					w.hashed++
				}
				s.done <- struct{}{}
			}
			tally.add(w)
		}()
	}
	emit := func(s *slot) {
		if s.hash {
			<-s.done
		}
		put(&s.r)
	}
	var (
		old     rec
		oldOK   bool
		err     error
		n, sent int // entries read, entries passed to put
		reused  int
	)
	oldOK, err = prev.next(&old)
	for err == nil {
		if n-sent == window {
			emit(&ring[sent%window])
			sent++
		}
		s := &ring[n%window]
		var ok bool
		if ok, err = cur.next(&s.r); err != nil || !ok {
			break
		}
		s.hash = false
		n++
		if s.r.typ != typFile {
			continue
		}
		for oldOK && bytes.Compare(old.path, s.r.path) < 0 {
			if oldOK, err = prev.next(&old); err != nil {
				break
			}
		}
		switch {
		case err != nil:
		case oldOK && bytes.Equal(old.path, s.r.path) && old.typ == typFile && old.hasSum && len(old.err) == 0 && sameStat(&old, &s.r):
			s.r.sum, s.r.hasSum = old.sum, true
			reused++
		default:
			s.hash = true
			jobs <- s
		}
	}
	// Whatever happened, the slots still out are waited for: the workers
	// write into them.
	for ; sent < n; sent++ {
		s := &ring[sent%window]
		if err == nil {
			emit(s)
		} else if s.hash {
			<-s.done
		}
	}
	close(jobs)
	wg.Wait()
	tally.mu.Lock()
	tally.reused += reused
	tally.mu.Unlock()
	return err
}

// Change is one difference between two databases.
type Change struct {
	Path   string            `json:"path"`
	Kind   string            `json:"kind"` // added, removed, modified
	Fields map[string][2]any `json:"fields,omitempty"`
}

// Diff lists what changed from old to cur, sorted by path: a merge of the
// two sorted databases, holding one entry of each at a time. An entry
// whose file cannot be read now is always reported (field "error"):
// what cannot be read cannot be shown unchanged. A database that cannot
// be read to its end is an error, never a shorter diff.
func Diff(old, cur *DB) ([]Change, error) {
	a, err := old.open()
	if err != nil {
		return nil, err
	}
	b, err := cur.open()
	if err != nil {
		return nil, err
	}
	var (
		out        []Change
		ra, rb     rec
		okA, okB   bool
		errA, errB error
	)
	okA, errA = a.next(&ra)
	okB, errB = b.next(&rb)
	for errA == nil && errB == nil && (okA || okB) {
		c := 0
		switch {
		case !okA:
			c = 1
		case !okB:
			c = -1
		default:
			c = bytes.Compare(ra.path, rb.path)
		}
		switch {
		case c < 0:
			out = append(out, Change{Path: string(ra.path), Kind: "removed"})
			okA, errA = a.next(&ra)
		case c > 0:
			out = append(out, Change{Path: string(rb.path), Kind: "added"})
			okB, errB = b.next(&rb)
		default:
			if f := fieldsChanged(&ra, &rb); f != nil {
				out = append(out, Change{Path: string(rb.path), Kind: "modified", Fields: f})
			}
			okA, errA = a.next(&ra)
			okB, errB = b.next(&rb)
		}
	}
	if err := errors.Join(errA, errB); err != nil {
		return nil, err
	}
	return out, nil
}

// fieldsChanged names what differs between two entries of one path, with
// the values a Change has always carried (hex hashes, octal modes), or
// nil when nothing does.
func fieldsChanged(o, e *rec) map[string][2]any {
	var f map[string][2]any
	set := func(name string, a, b any) {
		if f == nil {
			f = map[string][2]any{}
		}
		f[name] = [2]any{a, b}
	}
	if o.typ != e.typ {
		set("type", typeNames[o.typ], typeNames[e.typ])
	}
	if o.hasSum != e.hasSum || o.sum != e.sum {
		set("sha256", hexSum(o), hexSum(e))
	}
	if o.mode != e.mode {
		set("mode", fmt.Sprintf("%04o", o.mode), fmt.Sprintf("%04o", e.mode))
	}
	if o.uid != e.uid {
		set("uid", o.uid, e.uid)
	}
	if o.gid != e.gid {
		set("gid", o.gid, e.gid)
	}
	if o.size != e.size {
		set("size", o.size, e.size)
	}
	if !bytes.Equal(o.target, e.target) {
		set("target", string(o.target), string(e.target))
	}
	if len(e.err) > 0 || !bytes.Equal(o.err, e.err) {
		set("error", string(o.err), string(e.err))
	}
	if f != nil && o.typ == typFile && e.typ == typFile && o.mtime != e.mtime {
		f["mtime"] = [2]any{time.Unix(0, o.mtime).UTC().Format(time.RFC3339), time.Unix(0, e.mtime).UTC().Format(time.RFC3339)}
	}
	return f
}

func hexSum(r *rec) string {
	if !r.hasSum {
		return ""
	}
	return fmt.Sprintf("%x", r.sum[:])
}

// Save writes the database to path, atomically.
func (db *DB) Save(path string) error {
	if db.f == nil {
		return fmt.Errorf("%s is closed", db.name)
	}
	return writeAtomic(path, func(w io.Writer) error {
		r := io.NewSectionReader(db.f, 0, db.size)
		if db.raw {
			return compress(w, r)
		}
		_, err := io.Copy(w, r)
		return err
	})
}

// Load opens a database written by Save and reads it through once, so
// that a truncated or corrupted file is an error now rather than halfway
// through a diff. A database of the first format (a gob map) is
// converted, in a temporary file: recording a new baseline replaces it.
func Load(path string) (*DB, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	db := &DB{name: path, f: f, size: fi.Size()}
	d, taken, root, paths, err := openDB(path, io.NewSectionReader(f, 0, db.size))
	if errors.Is(err, errOldFormat) {
		f.Close()
		return loadGob(path)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	db.Taken, db.Root, db.Paths = taken, root, paths
	var r rec
	for {
		ok, err := d.next(&r)
		if err != nil {
			f.Close()
			return nil, err
		}
		if !ok {
			break
		}
		db.n++
	}
	return db, nil
}

// loadGob reads a database of the first format (a gob map of every
// entry: as much memory as before, once) into a new one.
func loadGob(path string) (*DB, error) {
	var old struct {
		Taken   time.Time
		Root    string
		Paths   []string
		Entries map[string]*Entry
	}
	if err := ReadGzip(path, "file integrity database", func(r io.Reader) error { return gob.NewDecoder(r).Decode(&old) }); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(old.Entries))
	for k := range old.Entries {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	f, err := tempFile("", "vigil-fim-*")
	if err != nil {
		return nil, err
	}
	n, err := writeRaw(f, old.Taken, old.Root, old.Paths, func(put func(*rec)) error {
		var r rec
		for _, k := range keys {
			if err := r.fromEntry(k, old.Entries[k]); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			put(&r)
		}
		return nil
	})
	var size int64
	if err == nil {
		size, err = f.Seek(0, io.SeekCurrent)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &DB{Taken: old.Taken, Root: old.Root, Paths: old.Paths, name: path, f: f, size: size, raw: true, n: int(n)}, nil
}

func (r *rec) fromEntry(p string, e *Entry) error {
	*r = rec{path: append(r.path[:0], p...), target: append(r.target[:0], e.Target...), err: append(r.err[:0], e.Err...),
		typ: typeOf(e.Type), mode: e.Mode, uid: e.UID, gid: e.GID, size: e.Size, mtime: e.MTime, ctime: e.CTime, ino: e.Inode, dev: e.Dev}
	if e.SHA256 != "" {
		if len(e.SHA256) != 2*len(r.sum) {
			return fmt.Errorf("entry %s has the hash %q", p, e.SHA256)
		}
		if _, err := hex.Decode(r.sum[:], []byte(e.SHA256)); err != nil {
			return fmt.Errorf("entry %s has the hash %q", p, e.SHA256)
		}
		r.hasSum = true
	}
	return nil
}

// writeAtomic writes what write produces to path through a temporary file
// that is synced and renamed, so a crash never leaves half a file where
// a whole one was.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	err = write(f)
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

// WriteGzip writes what encode produces, gzip'd, to path, atomically.
func WriteGzip(path string, encode func(io.Writer) error) error {
	return writeAtomic(path, func(w io.Writer) error {
		zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		err := encode(zw)
		if cerr := zw.Close(); err == nil {
			err = cerr
		}
		return err
	})
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
