package ledger

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"
)

func TestEncryptRoundTrip(t *testing.T) {
	key, _ := NewDataKey()
	for _, size := range []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 3*chunkSize + 17} {
		plain := make([]byte, size)
		rand.Read(plain)
		sum := sha256.Sum256(plain)
		var enc bytes.Buffer
		s, err := Encrypt(&enc, bytes.NewReader(plain), key, 0)
		if err != nil {
			t.Fatal(err)
		}
		if s.SHA256 != hex.EncodeToString(sum[:]) || s.Size != int64(size) || s.Stored != int64(enc.Len()) {
			t.Fatalf("size %d: sealed %+v", size, s)
		}
		r, err := Decrypt(bytes.NewReader(enc.Bytes()), key, s.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("size %d: round trip failed: %v", size, err)
		}
	}
}

func TestDecryptDetectsTampering(t *testing.T) {
	key, _ := NewDataKey()
	plain := make([]byte, 2*chunkSize+100)
	rand.Read(plain)
	var enc bytes.Buffer
	s, _ := Encrypt(&enc, bytes.NewReader(plain), key, 0)
	ct := enc.Bytes()
	other, _ := NewDataKey()
	chunk0 := 12 + 4 + chunkSize + 16
	cases := map[string]func() ([]byte, []byte, string){
		"flipped byte":   func() ([]byte, []byte, string) { c := bytes.Clone(ct); c[100] ^= 1; return c, key, s.SHA256 },
		"truncated":      func() ([]byte, []byte, string) { return ct[:len(ct)-10], key, s.SHA256 },
		"last chunk cut": func() ([]byte, []byte, string) { return ct[:chunk0*2], key, s.SHA256 },
		"extra bytes":    func() ([]byte, []byte, string) { return append(bytes.Clone(ct), 0), key, s.SHA256 },
		"wrong key":      func() ([]byte, []byte, string) { return ct, other, s.SHA256 },
		"wrong address":  func() ([]byte, []byte, string) { return ct, key, hex.EncodeToString(make([]byte, 32)) },
		"bad header":     func() ([]byte, []byte, string) { c := bytes.Clone(ct); c[0] = 'X'; return c, key, s.SHA256 },
		"chunks swapped": func() ([]byte, []byte, string) {
			c := bytes.Clone(ct[:12])
			c = append(c, ct[12+chunk0:12+2*chunk0]...)
			c = append(c, ct[12:12+chunk0]...)
			return append(c, ct[12+2*chunk0:]...), key, s.SHA256
		},
	}
	for name, mk := range cases {
		c, k, want := mk()
		r, err := Decrypt(bytes.NewReader(c), k, want)
		if err == nil {
			_, err = io.ReadAll(r)
		}
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

func TestEncryptLimit(t *testing.T) {
	key, _ := NewDataKey()
	_, err := Encrypt(io.Discard, bytes.NewReader(make([]byte, 1000)), key, 999)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := Encrypt(io.Discard, bytes.NewReader(make([]byte, 1000)), key, 1000); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
}

// A source that is cut off (io.ErrUnexpectedEOF, as a truncated request
// body reports) is an error, not the end of the file.
func TestEncryptRefusesTruncatedSource(t *testing.T) {
	key, _ := NewDataKey()
	src := io.MultiReader(bytes.NewReader(make([]byte, 1000)), errReader{io.ErrUnexpectedEOF})
	if _, err := Encrypt(io.Discard, src, key, 0); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated source: %v", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
