package fim

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// The database file is the magic, then one gzip stream holding a header
// (taken, root, watched paths), the entries sorted by path and an end
// record with their count. Entries are streamed, never held together:
// building writes them in order, and the diff and fast mode read two
// files side by side. Paths are front-coded (the length shared with the
// previous path, then the rest), which is what makes a sorted file small.
//
// A file that stops early has no end record and fails gzip's length and
// CRC-32 check; a corrupted one fails the CRC-32, the decoding or the
// order check. Either is an error naming the file, never a short
// database: fewer entries would make every missing file look removed,
// or, read as the baseline, every file look added. (An unkeyed checksum
// cannot stop someone who can rewrite the file from recomputing it; CRC-32
// is there to catch accidents, which is all a checksum can do.)
const magic = "VGLFIM\x00\x02" // format version 2; version 1 was a gob map

const (
	tagEntry = 1
	tagEnd   = 0
)

// Entry types, as stored.
const (
	typFile uint8 = iota
	typDir
	typSymlink
	typOther
)

var typeNames = [...]string{typFile: "file", typDir: "dir", typSymlink: "symlink", typOther: "other"}

func typeOf(name string) uint8 {
	for i, n := range typeNames {
		if n == name {
			return uint8(i)
		}
	}
	return typOther
}

// Flag bits beside the type in an entry's first byte.
const (
	flagSum    = 1 << 2
	flagTarget = 1 << 3
	flagErr    = 1 << 4
	typeMask   = 3
)

// maxField bounds a decoded path, target or error: anything longer is a
// corrupted length. (PATH_MAX is 4096, but the walk, relative to each
// directory, can go deeper than any path a system call would take.)
const maxField = 1 << 20

// rec is one entry as the codec and the merges handle it: byte slices
// that are reused from one entry to the next, so that streaming a
// database allocates nothing per entry.
type rec struct {
	path           []byte
	typ            uint8
	mode, uid, gid uint32
	size           int64
	mtime, ctime   int64
	ino, dev       uint64
	sum            [32]byte
	hasSum         bool
	target, err    []byte
}

// copyFrom makes r an independent copy of o, reusing r's buffers.
func (r *rec) copyFrom(o *rec) {
	path, target, err := r.path, r.target, r.err
	*r = *o
	r.path = append(path[:0], o.path...)
	r.target = append(target[:0], o.target...)
	r.err = append(err[:0], o.err...)
}

func (r *rec) entry() *Entry {
	e := &Entry{Path: string(r.path), Type: typeNames[r.typ&typeMask], Mode: r.mode, UID: r.uid, GID: r.gid, Size: r.size,
		MTime: r.mtime, CTime: r.ctime, Inode: r.ino, Dev: r.dev, Target: string(r.target), Err: string(r.err)}
	if r.hasSum {
		e.SHA256 = fmt.Sprintf("%x", r.sum[:])
	}
	return e
}

// sameStat: a file whose size, times, inode and owner are unchanged is
// taken to have the same content. ctime cannot be set from user space, so
// a content change that restores mtime still shows in ctime.
func sameStat(a, b *rec) bool {
	return a.size == b.size && a.mtime == b.mtime && a.ctime == b.ctime && a.ino == b.ino &&
		a.dev == b.dev && a.mode == b.mode && a.uid == b.uid && a.gid == b.gid
}

// encoder writes entries in the order given, which must be increasing:
// an entry out of order is an error at the end, not a database that
// fails to load later.
type encoder struct {
	w    *bufio.Writer
	prev []byte
	n    uint64
	buf  []byte
	err  error
}

func newEncoder(w io.Writer) *encoder {
	return &encoder{w: bufio.NewWriterSize(w, 64<<10)}
}

func (e *encoder) header(taken time.Time, root string, paths []string) {
	b := binary.AppendVarint(e.buf[:0], taken.UnixNano())
	b = appendBytes(b, []byte(root))
	b = binary.AppendUvarint(b, uint64(len(paths)))
	for _, p := range paths {
		b = appendBytes(b, []byte(p))
	}
	e.w.Write(b)
	e.buf = b
}

func appendBytes(b, s []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func (e *encoder) put(r *rec) {
	if e.n > 0 && bytes.Compare(r.path, e.prev) <= 0 && e.err == nil {
		e.err = fmt.Errorf("internal error: %q written after %q", r.path, e.prev)
	}
	shared := 0
	for shared < len(r.path) && shared < len(e.prev) && r.path[shared] == e.prev[shared] {
		shared++
	}
	b := append(e.buf[:0], tagEntry)
	b = binary.AppendUvarint(b, uint64(shared))
	b = appendBytes(b, r.path[shared:])
	flags := r.typ & typeMask
	if r.hasSum {
		flags |= flagSum
	}
	if len(r.target) > 0 {
		flags |= flagTarget
	}
	if len(r.err) > 0 {
		flags |= flagErr
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(r.mode))
	b = binary.AppendUvarint(b, uint64(r.uid))
	b = binary.AppendUvarint(b, uint64(r.gid))
	b = binary.AppendVarint(b, r.size)
	b = binary.AppendVarint(b, r.mtime)
	b = binary.AppendVarint(b, r.ctime)
	b = binary.AppendUvarint(b, r.ino)
	b = binary.AppendUvarint(b, r.dev)
	if r.hasSum {
		b = append(b, r.sum[:]...)
	}
	if len(r.target) > 0 {
		b = appendBytes(b, r.target)
	}
	if len(r.err) > 0 {
		b = appendBytes(b, r.err)
	}
	e.w.Write(b)
	e.buf = b
	e.prev = append(e.prev[:0], r.path...)
	e.n++
}

// end writes the end record and flushes.
func (e *encoder) end() error {
	b := binary.AppendUvarint(append(e.buf[:0], tagEnd), e.n)
	e.w.Write(b)
	if err := e.w.Flush(); err != nil {
		return err
	}
	return e.err
}

// decoder reads what an encoder wrote, checking order and lengths as it
// goes: whatever does not decode is an error, never an early end.
type decoder struct {
	r    *bufio.Reader
	prev []byte
	n    uint64
	done bool
}

var errCorrupt = errors.New("corrupted")

func (d *decoder) uvarint() uint64 {
	v, err := binary.ReadUvarint(d.r)
	if err != nil {
		panic(decodeErr{err})
	}
	return v
}

func (d *decoder) varint() int64 {
	v, err := binary.ReadVarint(d.r)
	if err != nil {
		panic(decodeErr{err})
	}
	return v
}

func (d *decoder) bytes(buf []byte) []byte {
	n := d.uvarint()
	if n > maxField {
		panic(decodeErr{fmt.Errorf("%w: a field of %d bytes", errCorrupt, n)})
	}
	buf = append(buf[:0], make([]byte, n)...)
	if _, err := io.ReadFull(d.r, buf); err != nil {
		panic(decodeErr{err})
	}
	return buf
}

// decodeErr carries a decoding error out of the helpers above, so that
// next reads as a list of fields rather than a ladder of ifs.
type decodeErr struct{ err error }

func (d *decoder) header() (taken time.Time, root string, paths []string, err error) {
	defer catch(&err)
	taken = time.Unix(0, d.varint()).UTC()
	root = string(d.bytes(nil))
	n := d.uvarint()
	if n > maxField {
		return taken, root, nil, fmt.Errorf("%w: %d watched paths", errCorrupt, n)
	}
	for range n {
		paths = append(paths, string(d.bytes(nil)))
	}
	return taken, root, paths, nil
}

func catch(err *error) {
	if r := recover(); r != nil {
		de, ok := r.(decodeErr)
		if !ok {
			panic(r)
		}
		if de.err == io.EOF {
			de.err = io.ErrUnexpectedEOF
		}
		*err = de.err
	}
}

// next decodes the following entry into r (reusing its buffers); at the
// end record it checks the count and returns false.
func (d *decoder) next(r *rec) (ok bool, err error) {
	if d.done {
		return false, nil
	}
	defer catch(&err)
	tag, err := d.r.ReadByte()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return false, err
	}
	switch tag {
	case tagEnd:
		if n := d.uvarint(); n != d.n {
			return false, fmt.Errorf("%w: %d entries where the end record says %d", errCorrupt, d.n, n)
		}
		d.done = true
		return false, nil
	case tagEntry:
	default:
		return false, fmt.Errorf("%w: record type %d", errCorrupt, tag)
	}
	// The path is front-coded against the previous one, which the decoder
	// keeps (r may be a different record at each call).
	shared := d.uvarint()
	if shared > uint64(len(d.prev)) {
		return false, fmt.Errorf("%w: entry %d shares %d bytes of a %d-byte path", errCorrupt, d.n, shared, len(d.prev))
	}
	rest := d.uvarint()
	if rest > maxField {
		return false, fmt.Errorf("%w: a path of %d bytes", errCorrupt, rest)
	}
	r.path = append(append(r.path[:0], d.prev[:shared]...), make([]byte, rest)...)
	if _, err := io.ReadFull(d.r, r.path[shared:]); err != nil {
		panic(decodeErr{err})
	}
	// Strictly increasing: the merges rely on it, and a file out of order
	// is not one this package wrote.
	if d.n > 0 && bytes.Compare(r.path, d.prev) <= 0 {
		return false, fmt.Errorf("%w: %q is out of order", errCorrupt, r.path)
	}
	d.prev = append(d.prev[:0], r.path...)
	flags, err := d.r.ReadByte()
	if err != nil {
		panic(decodeErr{err})
	}
	if flags&^(typeMask|flagSum|flagTarget|flagErr) != 0 {
		return false, fmt.Errorf("%w: entry flags %#x", errCorrupt, flags)
	}
	r.typ = flags & typeMask
	r.mode = uint32(d.uvarint())
	r.uid = uint32(d.uvarint())
	r.gid = uint32(d.uvarint())
	r.size = d.varint()
	r.mtime = d.varint()
	r.ctime = d.varint()
	r.ino = d.uvarint()
	r.dev = d.uvarint()
	r.hasSum = flags&flagSum != 0
	if r.hasSum {
		if _, err := io.ReadFull(d.r, r.sum[:]); err != nil {
			panic(decodeErr{err})
		}
	} else {
		r.sum = [32]byte{}
	}
	r.target, r.err = r.target[:0], r.err[:0]
	if flags&flagTarget != 0 {
		r.target = d.bytes(r.target)
	}
	if flags&flagErr != 0 {
		r.err = d.bytes(r.err)
	}
	d.n++
	return true, nil
}

// dbReader streams the entries of a database file, checking at the end
// that nothing follows the end record and that gzip's CRC-32 and length
// match.
type dbReader struct {
	name string
	zr   *gzip.Reader  // nil for a raw stream
	br   *bufio.Reader // under the gzip stream: to see what follows it
	dec  decoder
}

// openRaw reads an uncompressed stream (header, entries, end record): a
// database being built or compared, not saved, is kept so in its
// temporary file, which saves compressing what is read once and thrown
// away (a drift check's database); Save compresses it.
func openRaw(name string, r io.Reader) (*dbReader, error) {
	d := &dbReader{name: name, dec: decoder{r: bufio.NewReaderSize(r, 64<<10)}}
	if _, _, _, err := d.dec.header(); err != nil {
		return nil, d.wrap(err)
	}
	return d, nil
}

func openDB(name string, r io.Reader) (*dbReader, time.Time, string, []string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var m [len(magic)]byte
	if _, err := io.ReadFull(br, m[:]); err != nil || string(m[:]) != magic {
		if err == nil && m[0] == 0x1f && m[1] == 0x8b {
			return nil, time.Time{}, "", nil, errOldFormat
		}
		return nil, time.Time{}, "", nil, fmt.Errorf("%s is not a Vigil file integrity database", name)
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, time.Time{}, "", nil, fmt.Errorf("%s is truncated or corrupted: %v", name, err)
	}
	zr.Multistream(false)
	d := &dbReader{name: name, zr: zr, br: br, dec: decoder{r: bufio.NewReaderSize(zr, 64<<10)}}
	taken, root, paths, err := d.dec.header()
	if err != nil {
		return nil, time.Time{}, "", nil, d.wrap(err)
	}
	return d, taken, root, paths, nil
}

var errOldFormat = errors.New("version 1 (gob)")

func (d *dbReader) wrap(err error) error {
	return fmt.Errorf("%s is truncated or corrupted: %v", d.name, err)
}

func (d *dbReader) next(r *rec) (bool, error) {
	ok, err := d.dec.next(r)
	if err != nil {
		return false, d.wrap(err)
	}
	if !ok && d.zr == nil {
		if _, err := d.dec.r.ReadByte(); err != io.EOF {
			return false, d.wrap(errors.New("data after the end record"))
		}
	}
	if !ok && d.zr != nil {
		// Reading to the end of the gzip stream is what checks its CRC-32.
		if n, err := io.Copy(io.Discard, d.dec.r); err != nil || n > 0 {
			if err == nil {
				err = fmt.Errorf("%d bytes after the end record", n)
			}
			return false, d.wrap(err)
		}
		if _, err := d.br.ReadByte(); err != io.EOF {
			return false, d.wrap(errors.New("data after the end of the database"))
		}
	}
	return ok, nil
}

// writeRaw encodes a whole database to w, uncompressed: the header, the
// entries (each calls put for every one, in order) and the end record.
func writeRaw(w io.Writer, taken time.Time, root string, paths []string, each func(put func(*rec)) error) (uint64, error) {
	enc := newEncoder(w)
	enc.header(taken, root, paths)
	err := each(enc.put)
	if err == nil {
		err = enc.end()
	}
	return enc.n, err
}

// compress writes the database file for a raw stream: the magic, then the
// stream gzip'd.
func compress(w io.Writer, raw io.Reader) error {
	if _, err := io.WriteString(w, magic); err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	aw := newAsyncWriter(zw)
	_, err := io.Copy(aw, raw)
	if cerr := aw.Close(); err == nil {
		err = cerr
	}
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	return err
}

// asyncWriter passes what is written to w from another goroutine, a
// buffer at a time: compressing a database then overlaps with reading
// it, which would otherwise take turns on one core while the others
// idle. Write errors come back from Close.
type asyncWriter struct {
	full, free chan []byte
	buf        []byte
	done       chan error
}

func newAsyncWriter(w io.Writer) *asyncWriter {
	const n, size = 3, 256 << 10
	a := &asyncWriter{full: make(chan []byte, n), free: make(chan []byte, n), done: make(chan error, 1)}
	for range n - 1 {
		a.free <- make([]byte, 0, size)
	}
	a.buf = make([]byte, 0, size)
	go func() {
		var err error
		for b := range a.full {
			if err == nil {
				_, err = w.Write(b)
			}
			a.free <- b[:0]
		}
		a.done <- err
	}()
	return a
}

func (a *asyncWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := copy(a.buf[len(a.buf):cap(a.buf)], p)
		a.buf, p = a.buf[:len(a.buf)+k], p[k:]
		if len(a.buf) == cap(a.buf) {
			a.full <- a.buf
			a.buf = <-a.free
		}
	}
	return n, nil
}

// Close writes what is left and waits for it.
func (a *asyncWriter) Close() error {
	if len(a.buf) > 0 {
		a.full <- a.buf
	}
	close(a.full)
	return <-a.done
}

// tempFile makes an unlinked file in dir: it needs no cleaning up, even
// after a crash, and goes when it is closed.
func tempFile(dir, pattern string) (*os.File, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// cmpJoined compares the path pa+na with pb+nb byte-wise without joining
// them (the build keeps each entry's directory once, not in every entry).
func cmpJoined(pa, na, pb, nb []byte) int {
	if len(pa) > len(pb) {
		return -cmpJoined(pb, nb, pa, na)
	}
	if c := bytes.Compare(pa, pb[:len(pa)]); c != 0 {
		return c
	}
	// pa is a prefix of pb: compare na with the rest of pb, then nb.
	rest := pb[len(pa):]
	if len(na) <= len(rest) {
		if c := bytes.Compare(na, rest[:len(na)]); c != 0 {
			return c
		}
		if len(na) == len(rest) && len(nb) == 0 {
			return 0
		}
		return -1
	}
	if c := bytes.Compare(na[:len(rest)], rest); c != 0 {
		return c
	}
	return bytes.Compare(na[len(rest):], nb)
}
