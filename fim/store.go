package fim

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"slices"
	"sync"

	"golang.org/x/sys/unix"
)

// The walk visits entries in no order and from several goroutines; the
// database wants them sorted by path. store keeps what the walk sees as
// compact records (a directory's path once, each entry's name, its stat
// as varints, room for its hash) in large byte chunks: no pointer per
// entry for the collector to trace, a fraction of a map of *Entry. When
// the records outgrow half the memory budget they are sorted and spilled
// to an unlinked temporary file as a run, so a tree of millions of files
// takes the same memory as a small one; the runs and the last records
// are then merged into one sorted stream.

// chunkSize is the unit records are kept in (and recycled by), smaller
// when the budget is (tests spill a few hundred entries at a time): at
// least twice the largest record (a 255-byte name, a 4 KiB link target).
const (
	chunkSize    = 1 << 20
	minChunkSize = 16 << 10
)

// Offsets in a record: [sum 32][flags 1][dir 4][name length 2][name]
// [mode uid gid size mtime ctime ino dev as varints][target length, target].
const (
	recSum   = 0
	recFlags = 32
	recDir   = 33
	recName  = 37
	recHead  = 39
)

// gen is one generation of records: what is sorted and spilled together.
// Each has its own table of directories, so that it too is bounded by the
// budget however many directories the tree has.
type gen struct {
	chunks [][]byte
	used   int      // bytes used in the last chunk
	refs   []uint64 // chunk<<32 | offset, one per record
	dirs   map[string]uint32
	prefix [][]byte // by directory id: its path with a trailing slash
	extra  int      // bytes of the directory table and refs
	// pending counts the hashes still to be written into these records:
	// a generation is sorted only when it is whole.
	pending sync.WaitGroup
	mu      sync.Mutex
	errs    map[uint64]string // why a record's file could not be hashed
}

func newGen() *gen { return &gen{dirs: map[string]uint32{}} }

func (g *gen) rec(ref uint64) []byte { return g.chunks[ref>>32][uint32(ref):] }

func (g *gen) setErr(ref uint64, err string) {
	g.mu.Lock()
	if g.errs == nil {
		g.errs = map[uint64]string{}
	}
	g.errs[ref] = err
	g.mu.Unlock()
}

type run struct {
	f    *os.File
	size int64
}

type store struct {
	tempDir string
	genMax  int  // chunk bytes after which a generation is spilled
	chunkSz int  // bytes per chunk
	hashed  bool // files are hashed as they are added (full mode)

	mu  sync.Mutex // the walk's: the current generation
	cur *gen

	// The spiller's, apart from mu: a walker holds mu while it hands a
	// full generation over, and the spiller must be able to finish the
	// one before.
	smu  sync.Mutex
	free [][]byte // chunks of spilled generations, for reuse
	err  error    // the first spill that failed
	runs []run

	spills chan *gen
	wg     sync.WaitGroup
}

func newStore(tempDir string, memory int64, hashed bool) *store {
	genMax := int(max(memory/2, minChunkSize))
	s := &store{tempDir: tempDir, genMax: genMax, chunkSz: min(genMax, chunkSize), hashed: hashed,
		cur: newGen(), spills: make(chan *gen)}
	s.wg.Add(1)
	go s.spiller()
	return s
}

// add records an entry; for a file in full mode it returns where its hash
// goes: the caller hashes it, writes the sum there and calls g.pending.Done.
func (s *store) add(dir, name string, st *unix.Stat_t, target string) (g *gen, ref uint64, rec []byte) {
	var fix [8 * binary.MaxVarintLen64]byte
	v := binary.AppendUvarint(fix[:0], uint64(st.Mode&0o7777))
	v = binary.AppendUvarint(v, uint64(st.Uid))
	v = binary.AppendUvarint(v, uint64(st.Gid))
	typ := typOther
	size, mtime, ctime := st.Size, st.Mtim.Sec*1e9+st.Mtim.Nsec, st.Ctim.Sec*1e9+st.Ctim.Nsec
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		typ = typFile
	case unix.S_IFDIR:
		// Directory sizes and times churn with every file in them.
		typ, size, mtime, ctime = typDir, 0, 0, 0
	case unix.S_IFLNK:
		typ = typSymlink
	}
	v = binary.AppendVarint(v, size)
	v = binary.AppendVarint(v, mtime)
	v = binary.AppendVarint(v, ctime)
	v = binary.AppendUvarint(v, st.Ino)
	v = binary.AppendUvarint(v, uint64(st.Dev))
	flags := typ
	n := recHead + len(name) + len(v)
	if target != "" {
		flags |= flagTarget
		n += binary.MaxVarintLen64 + len(target)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	g = s.cur
	if len(g.chunks) == 0 || g.used+n > s.chunkSz {
		if len(g.chunks)*s.chunkSz+g.extra >= s.genMax {
			// Full: the spiller sorts it and writes it out once its
			// hashes are in. Handing it over under mu holds the walk
			// while the spiller is still busy with the one before, so
			// there are never more than two generations: the one being
			// spilled and this one, and the next reuses the chunks of
			// the first.
			s.spills <- g
			g = newGen()
			s.cur = g
		}
		g.chunks = append(g.chunks, s.chunk())
		g.used = 0
	}
	id, ok := g.dirs[dir]
	if !ok {
		id = uint32(len(g.prefix))
		g.dirs[dir] = id
		p := []byte(dir)
		if dir != "/" {
			p = append(p, '/')
		}
		g.prefix = append(g.prefix, p)
		g.extra += 2*len(dir) + 64 // the key, the prefix, the map's own
	}
	ci := len(g.chunks) - 1
	ref = uint64(ci)<<32 | uint64(g.used)
	c := g.chunks[ci][g.used:]
	clear(c[:recSum+32])
	c[recFlags] = flags
	binary.LittleEndian.PutUint32(c[recDir:], id)
	binary.LittleEndian.PutUint16(c[recName:], uint16(len(name)))
	k := recHead + copy(c[recHead:], name)
	k += copy(c[k:], v)
	if target != "" {
		k += copy(c[k:], appendBytes(fix[:0], []byte(target)))
	}
	g.used += k
	g.refs = append(g.refs, ref)
	g.extra += 8
	hash := s.hashed && typ == typFile
	if hash {
		// The spiller waits for this before sorting the generation; the
		// caller queues the hash once mu is released.
		g.pending.Add(1)
	}
	if !hash {
		return nil, 0, nil
	}
	return g, ref, g.chunks[ci][uint32(ref):]
}

func (s *store) chunk() []byte {
	s.smu.Lock()
	defer s.smu.Unlock()
	if n := len(s.free); n > 0 {
		c := s.free[n-1]
		s.free = s.free[:n-1]
		return c
	}
	return make([]byte, s.chunkSz)
}

// spiller sorts each full generation and writes it as a run.
func (s *store) spiller() {
	defer s.wg.Done()
	for g := range s.spills {
		g.pending.Wait()
		err := s.writeRun(g)
		s.smu.Lock()
		if err != nil && s.err == nil {
			s.err = err
		}
		s.free = append(s.free, g.chunks...)
		s.smu.Unlock()
	}
}

func (s *store) writeRun(g *gen) error {
	f, err := tempFile(s.tempDir, "vigil-fim-run-*")
	if err != nil {
		return err
	}
	sortGen(g)
	enc := newEncoder(f)
	var r rec
	var last []byte
	for i, ref := range g.refs {
		g.decode(ref, s.hashed, &r)
		// Overlapping watched paths visit some entries twice.
		if i > 0 && bytes.Equal(r.path, last) {
			continue
		}
		enc.put(&r)
		last = append(last[:0], r.path...)
	}
	if err := enc.end(); err != nil {
		f.Close()
		return err
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		f.Close()
		return err
	}
	s.smu.Lock()
	s.runs = append(s.runs, run{f, size})
	s.smu.Unlock()
	return nil
}

func sortGen(g *gen) {
	slices.SortFunc(g.refs, func(a, b uint64) int {
		ra, rb := g.rec(a), g.rec(b)
		da, db := binary.LittleEndian.Uint32(ra[recDir:]), binary.LittleEndian.Uint32(rb[recDir:])
		na := ra[recHead : recHead+int(binary.LittleEndian.Uint16(ra[recName:]))]
		nb := rb[recHead : recHead+int(binary.LittleEndian.Uint16(rb[recName:]))]
		if da == db {
			return bytes.Compare(na, nb)
		}
		return cmpJoined(g.prefix[da], na, g.prefix[db], nb)
	})
}

// decode expands the record at ref into r. In full mode a file without
// an error was hashed; in fast mode hashes come later.
func (g *gen) decode(ref uint64, hashed bool, r *rec) {
	c := g.rec(ref)
	flags := c[recFlags]
	nl := int(binary.LittleEndian.Uint16(c[recName:]))
	r.path = append(append(r.path[:0], g.prefix[binary.LittleEndian.Uint32(c[recDir:])]...), c[recHead:recHead+nl]...)
	r.typ = flags & typeMask
	v := c[recHead+nl:]
	uv := func() uint64 { x, k := binary.Uvarint(v); v = v[k:]; return x }
	sv := func() int64 { x, k := binary.Varint(v); v = v[k:]; return x }
	r.mode, r.uid, r.gid = uint32(uv()), uint32(uv()), uint32(uv())
	r.size, r.mtime, r.ctime = sv(), sv(), sv()
	r.ino, r.dev = uv(), uv()
	r.target, r.err = r.target[:0], r.err[:0]
	if flags&flagTarget != 0 {
		n := int(uv())
		r.target = append(r.target, v[:n]...)
	}
	r.hasSum = false
	if g.errs != nil {
		if e, ok := g.errs[ref]; ok {
			r.err = append(r.err, e...)
		}
	}
	if hashed && r.typ == typFile && len(r.err) == 0 {
		copy(r.sum[:], c[recSum:recSum+32])
		r.hasSum = true
	}
}

// sortLast sorts the generation still in memory: once the walk is over,
// while the last hashes are still being written (into other bytes of the
// records than the sort reads).
func (s *store) sortLast() { sortGen(s.cur) }

// finish waits for the spills and returns the entries, sorted, merged
// and without duplicates (overlapping watched paths visit some twice).
// The caller has called sortLast and waited for every hash.
func (s *store) finish() (*merger, error) {
	close(s.spills)
	s.wg.Wait()
	if s.err != nil {
		s.closeRuns()
		return nil, s.err
	}
	var srcs []source
	for _, r := range s.runs {
		srcs = append(srcs, &decoder{r: bufio.NewReaderSize(io.NewSectionReader(r.f, 0, r.size), 64<<10)})
	}
	srcs = append(srcs, &genIter{g: s.cur, hashed: s.hashed})
	return newMerger(srcs), nil
}

func (s *store) closeRuns() {
	for _, r := range s.runs {
		r.f.Close()
	}
	s.runs = nil
}

// source is a sorted stream of entries.
type source interface {
	next(r *rec) (bool, error)
}

type genIter struct {
	g      *gen
	hashed bool
	i      int
}

func (it *genIter) next(r *rec) (bool, error) {
	if it.i == len(it.g.refs) {
		return false, nil
	}
	it.g.decode(it.g.refs[it.i], it.hashed, r)
	it.i++
	return true, nil
}

// merger merges sorted sources into one, dropping repeated paths.
type merger struct {
	srcs []source
	head []rec
	ok   []bool
	last []byte
	n    int
	init bool
}

func newMerger(srcs []source) *merger {
	return &merger{srcs: srcs, head: make([]rec, len(srcs)), ok: make([]bool, len(srcs))}
}

func (m *merger) next(r *rec) (bool, error) {
	if !m.init {
		m.init = true
		for i, s := range m.srcs {
			ok, err := s.next(&m.head[i])
			if err != nil {
				return false, err
			}
			m.ok[i] = ok
		}
	}
	for {
		best := -1
		for i := range m.srcs {
			if m.ok[i] && (best < 0 || bytes.Compare(m.head[i].path, m.head[best].path) < 0) {
				best = i
			}
		}
		if best < 0 {
			return false, nil
		}
		dup := m.n > 0 && bytes.Equal(m.head[best].path, m.last)
		if !dup {
			r.copyFrom(&m.head[best])
			m.last = append(m.last[:0], r.path...)
			m.n++
		}
		ok, err := m.srcs[best].next(&m.head[best])
		if err != nil {
			return false, err
		}
		m.ok[best] = ok
		if !dup {
			return true, nil
		}
	}
}
