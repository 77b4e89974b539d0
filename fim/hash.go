package fim

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/vigil-soc/vigil/collect/host"
)

// Most watched files are small (half of /usr is under 2 KB), so their
// cost is the system calls around the read, not the hashing, and on a
// virtual machine each call costs microseconds. The live host's files
// are therefore opened directly (no *os.File: its registration with the
// poller and its finalizer cost three more calls and an allocation),
// without fstat (the walk's size says how much to expect) and without a
// second read to see the end when the first returned the whole file:
// open, read, close.

// mmapMin is the size from which files are mapped instead of read:
// hashing the page cache in place saves copying every byte first.
const mmapMin = 256 << 10

// mmapWindow is how much of a large file is mapped at once (a multiple of
// the page size, as mmap offsets must be). Mapped pages count in the
// process's resident memory: with two workers and 8 MiB windows they
// were 11-12 MB of a baseline scan's peak, with 2 MiB windows 1-2 MB, for
// the same CPU time (mapping costs by the page, not by the call).
const mmapWindow = 2 << 20

// hasher is one worker's state: its buffers and digest are reused for
// every file, so hashing allocates nothing per file.
type hasher struct {
	h       *host.Host
	live    bool
	buf     []byte // read buffer
	pbuf    []byte // the path, NUL-terminated for open
	s       hash.Hash
	noatime *atomic.Bool

	hashed, failed int
	bytes          int64
}

func newHasher(h *host.Host, noatime *atomic.Bool) *hasher {
	return &hasher{h: h, live: h.Live(), buf: make([]byte, 1<<20), s: sha256.New(), noatime: noatime}
}

// newNoatime says whether to open with O_NOATIME: reading a file must not
// change it, and with relatime the first read of each file in a day
// writes its inode. Only the owner or root may ask, so it starts on for
// root and goes off at the first refusal.
func newNoatime() *atomic.Bool {
	var b atomic.Bool
	b.Store(os.Geteuid() == 0)
	return &b
}

// join builds dir/name in the path buffer (which hash then uses in place).
func (w *hasher) join(dir, name string) []byte {
	w.pbuf = append(w.pbuf[:0], dir...)
	if dir != "/" {
		w.pbuf = append(w.pbuf, '/')
	}
	return append(w.pbuf, name...)
}

// hash returns the SHA-256 of the file at p, which the walk saw as a
// regular file of size bytes, and how many bytes it read.
func (w *hasher) hash(p []byte, size int64) (sum [32]byte, n int64, err error) {
	w.s.Reset()
	if !w.live {
		n, err = w.hashFile(string(p))
	} else {
		var fd int
		if fd, err = w.open(p); err != nil {
			return sum, 0, &os.PathError{Op: "open", Path: string(p), Err: err}
		}
		n, err = w.hashFd(fd, size)
		unix.Close(fd)
		if err != nil {
			err = &os.PathError{Op: "read", Path: string(p), Err: err}
		}
	}
	if err != nil {
		return sum, n, err
	}
	w.s.Sum(sum[:0])
	return sum, n, nil
}

// open opens p read-only. O_NOFOLLOW: the walk saw a file, and a symlink
// put there since must not have its target's hash recorded as the file's.
// O_NONBLOCK: nor may a FIFO put there hang the open.
func (w *hasher) open(p []byte) (int, error) {
	w.pbuf = append(append(w.pbuf[:0], p...), 0) // p may be pbuf itself (join)
	flags := unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOFOLLOW | unix.O_NONBLOCK
	for {
		f := flags
		if w.noatime.Load() {
			f |= unix.O_NOATIME
		}
		// The path is passed as the NUL-terminated bytes we already have:
		// unix.Open would copy it into a new string and then a new array.
		fd, _, errno := syscall.Syscall6(syscall.SYS_OPENAT, uintptr(atFDCWD), uintptr(unsafe.Pointer(&w.pbuf[0])), uintptr(f), 0, 0, 0)
		switch {
		case errno == 0:
			return int(fd), nil
		case errno == unix.EINTR:
			continue
		case errno == unix.EPERM && f&unix.O_NOATIME != 0:
			w.noatime.Store(false)
			continue
		}
		return -1, errno
	}
}

// hashFd hashes the open file: mapped when large, read otherwise.
func (w *hasher) hashFd(fd int, size int64) (int64, error) {
	if size >= mmapMin {
		// The size now, not the walk's: mapping past the end would fault.
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return 0, err
		}
		if st.Mode&unix.S_IFMT == unix.S_IFREG && st.Size >= mmapMin {
			n, err := w.mapped(fd, st.Size)
			if err != errNoMap {
				return n, err
			}
			w.s.Reset() // nothing was hashed: read it instead
		}
	}
	var n int64
	for {
		k, err := unix.Read(fd, w.buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		w.s.Write(w.buf[:k])
		n += int64(k)
		// A short read that brings the file to the size the walk saw is
		// its end: no need for another call to read nothing.
		if k == 0 || (k < len(w.buf) && n == size) {
			return n, nil
		}
	}
}

var errNoMap = errors.New("cannot be mapped")

// atFDCWD is a variable because the constant, negative, cannot be
// converted to a uintptr.
var atFDCWD = unix.AT_FDCWD

// mapped hashes size bytes of fd a window at a time. A file truncated
// meanwhile makes the mapped pages fault (SIGBUS), which would kill the
// process: the fault is turned into an error for this file instead.
func (w *hasher) mapped(fd int, size int64) (n int64, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	var m []byte
	defer func() {
		if m != nil {
			unix.Munmap(m)
		}
		if r := recover(); r != nil {
			err = fmt.Errorf("the file shrank while it was read (%v)", r)
		}
	}()
	for off := int64(0); off < size; off += mmapWindow {
		k := min(mmapWindow, size-off)
		if m, err = unix.Mmap(fd, off, int(k), unix.PROT_READ, unix.MAP_SHARED); err != nil {
			m = nil
			if off == 0 {
				return 0, errNoMap
			}
			return n, err
		}
		w.s.Write(m)
		unix.Munmap(m)
		m = nil
		n += k
	}
	return n, nil
}

// hashFile hashes through the host (a root other than /: os.Root keeps
// every open inside it).
func (w *hasher) hashFile(p string) (int64, error) {
	f, err := w.h.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	// A plain read loop: io.CopyBuffer would defer to os.File's WriteTo,
	// which ignores our large buffer and reads 32 KiB at a time.
	var n int64
	for {
		k, err := f.Read(w.buf)
		w.s.Write(w.buf[:k])
		n += int64(k)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
