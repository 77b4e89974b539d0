// Package ledger is Vigil's evidence ledger: encrypted, content-addressed
// blobs; an RFC 6962 Merkle log of evidence records; checkpoints signed in the
// C2SP signed-note format; inclusion and consistency proofs; and the
// verification of all of it, online against the store or offline against an
// exported bundle.
package ledger

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
)

// Blobs are stored encrypted in a streaming format of our own, so that a
// 2 GB upload never sits in memory and any truncation or edit is detected:
//
//	"VGB1" | 8-byte random nonce prefix | chunks
//	chunk: 4-byte big-endian ciphertext length | AES-256-GCM ciphertext
//
// Chunk i is sealed with nonce = prefix || uint32(i) and additional data
// "vigil-blob" || byte(final), so chunks cannot be reordered, dropped or
// appended, and the last chunk is marked. Each blob has its own random data
// key; the data key is wrapped by the master key and kept in the database.
const (
	blobMagic = "VGB1"
	chunkSize = 64 << 10
)

// ErrCorrupt is returned when stored bytes fail to decrypt or to hash to
// their address.
var ErrCorrupt = errors.New("ledger: blob is corrupt")

// NewDataKey returns a random 32-byte data key.
func NewDataKey() ([]byte, error) {
	k := make([]byte, 32)
	_, err := rand.Read(k)
	return k, err
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func chunkAD(final bool) []byte {
	if final {
		return []byte("vigil-blob\x01")
	}
	return []byte("vigil-blob\x00")
}

// Sealed is the result of encrypting a stream.
type Sealed struct {
	SHA256 string // hex SHA-256 of the plaintext: the blob's address
	Size   int64  // plaintext bytes
	Stored int64  // ciphertext bytes written
}

// Encrypt reads plaintext from r until EOF, writes the encrypted form to w
// and returns the plaintext's hash and size. At most limit plaintext bytes
// are accepted (0: no limit); beyond that it fails with ErrTooLarge.
func Encrypt(w io.Writer, r io.Reader, key []byte, limit int64) (*Sealed, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	prefix := make([]byte, 8)
	if _, err := rand.Read(prefix); err != nil {
		return nil, err
	}
	cw := &countWriter{w: w}
	if _, err := cw.Write(append([]byte(blobMagic), prefix...)); err != nil {
		return nil, err
	}
	h := sha256.New()
	// Read one chunk ahead so the final chunk is known when sealed.
	bufs := chunkPool.Get().(*[3][]byte)
	defer chunkPool.Put(bufs)
	cur, next := bufs[0], bufs[1]
	n, err := Fill(r, cur)
	if err != nil {
		return nil, err
	}
	var size int64
	nonce := make([]byte, 12)
	copy(nonce, prefix)
	out := bufs[2][:0]
	for i := uint32(0); ; i++ {
		m := 0
		var rerr error
		if n == chunkSize {
			m, rerr = Fill(r, next)
			if rerr != nil {
				return nil, rerr
			}
		}
		final := m == 0
		size += int64(n)
		if limit > 0 && size > limit {
			return nil, ErrTooLarge
		}
		h.Write(cur[:n])
		binary.BigEndian.PutUint32(nonce[8:], i)
		out = aead.Seal(out[:0], nonce, cur[:n], chunkAD(final))
		var lenb [4]byte
		binary.BigEndian.PutUint32(lenb[:], uint32(len(out)))
		if _, err := cw.Write(lenb[:]); err != nil {
			return nil, err
		}
		if _, err := cw.Write(out); err != nil {
			return nil, err
		}
		if final {
			break
		}
		if i == ^uint32(0) {
			return nil, ErrTooLarge
		}
		cur, next, n = next, cur, m
	}
	return &Sealed{SHA256: hex.EncodeToString(h.Sum(nil)), Size: size, Stored: cw.n}, nil
}

// chunkPool reuses the three chunk buffers an encryption needs, which would
// otherwise be most of the garbage of a small upload.
var chunkPool = sync.Pool{New: func() any {
	return &[3][]byte{make([]byte, chunkSize), make([]byte, chunkSize), make([]byte, 0, chunkSize+16)}
}}

// Fill reads into buf until it is full or the source ends. Only io.EOF
// from the source is an end: any other error, io.ErrUnexpectedEOF from a
// cut-off request body included, is returned, so a truncated upload is
// never taken for a complete one (io.ReadFull would blur the two).
func Fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// ErrTooLarge is returned when a stream exceeds its limit.
var ErrTooLarge = errors.New("ledger: too large")

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Decrypt returns a reader of the plaintext of an encrypted blob. Reading it
// to the end verifies every chunk, the end of the stream, and that the
// plaintext hashes to wantSHA256; any failure is ErrCorrupt.
func Decrypt(r io.Reader, key []byte, wantSHA256 string) (io.Reader, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	head := make([]byte, 12)
	if _, err := io.ReadFull(r, head); err != nil || string(head[:4]) != blobMagic {
		return nil, fmt.Errorf("%w: bad header", ErrCorrupt)
	}
	d := &decrypter{r: r, aead: aead, h: sha256.New(), want: wantSHA256, nonce: make([]byte, 12)}
	copy(d.nonce, head[4:])
	return d, nil
}

type decrypter struct {
	r     io.Reader
	aead  cipher.AEAD
	h     hash.Hash
	want  string
	nonce []byte
	i     uint32
	buf   []byte // plaintext not yet returned
	ct    []byte
	pt    []byte
	done  bool
	err   error
}

func (d *decrypter) Read(p []byte) (int, error) {
	for len(d.buf) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		if d.done {
			return 0, io.EOF
		}
		d.err = d.next()
	}
	n := copy(p, d.buf)
	d.buf = d.buf[n:]
	return n, nil
}

func (d *decrypter) next() error {
	var lenb [4]byte
	if _, err := io.ReadFull(d.r, lenb[:]); err != nil {
		return fmt.Errorf("%w: truncated after chunk %d", ErrCorrupt, d.i)
	}
	l := binary.BigEndian.Uint32(lenb[:])
	if l > chunkSize+uint32(d.aead.Overhead()) {
		return fmt.Errorf("%w: chunk %d has an impossible length", ErrCorrupt, d.i)
	}
	if cap(d.ct) < int(l) {
		d.ct = make([]byte, l)
	}
	ct := d.ct[:l]
	if _, err := io.ReadFull(d.r, ct); err != nil {
		return fmt.Errorf("%w: chunk %d is truncated", ErrCorrupt, d.i)
	}
	binary.BigEndian.PutUint32(d.nonce[8:], d.i)
	// Decrypt into its own buffer: a failed Open clears its output, which
	// must not be the ciphertext needed for the second try.
	pt, err := d.aead.Open(d.pt[:0], d.nonce, ct, chunkAD(false))
	final := false
	if err != nil {
		pt, err = d.aead.Open(d.pt[:0], d.nonce, ct, chunkAD(true))
		final = true
	}
	d.pt = pt
	if err != nil {
		return fmt.Errorf("%w: chunk %d fails authentication", ErrCorrupt, d.i)
	}
	d.h.Write(pt)
	d.buf = pt
	d.i++
	if final {
		var extra [1]byte
		if n, _ := d.r.Read(extra[:]); n != 0 {
			return fmt.Errorf("%w: data after the final chunk", ErrCorrupt)
		}
		if got := hex.EncodeToString(d.h.Sum(nil)); d.want != "" && got != d.want {
			return fmt.Errorf("%w: content hashes to %s, not %s", ErrCorrupt, got, d.want)
		}
		d.done = true
	}
	return nil
}
