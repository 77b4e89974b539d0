// Package secret encrypts small secrets at rest (TOTP seeds, the single
// sign-on client secret, the data keys of evidence blobs) with AES-256-GCM
// under master keys that live outside the database: a key file in the data
// directory, or the VIGIL_SECRET_KEY environment variable when several
// replicas share one PostgreSQL database. A keyring holds several keys: the
// first seals, all open, so keys can be rotated without downtime.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

type key struct {
	id   string // first 4 bytes of SHA-256 of the key, hex
	raw  []byte
	aead cipher.AEAD
}

// Box seals and opens secrets. The zero value is unusable; use New or Load.
type Box struct {
	keys []key // keys[0] seals
}

func newKey(raw []byte) (key, error) {
	if len(raw) != 32 {
		return key{}, fmt.Errorf("secret key must be 32 bytes, got %d", len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return key{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return key{}, err
	}
	sum := sha256.Sum256(raw)
	return key{id: hex.EncodeToString(sum[:4]), raw: raw, aead: aead}, nil
}

// New returns a box for 32-byte keys, the first of which seals.
func New(keys ...[]byte) (*Box, error) {
	if len(keys) == 0 {
		return nil, errors.New("no secret key")
	}
	b := &Box{}
	for _, raw := range keys {
		k, err := newKey(raw)
		if err != nil {
			return nil, err
		}
		b.keys = append(b.keys, k)
	}
	return b, nil
}

// KeyFile is the keyring's file name in the data directory: one base64 key
// a line, the first one sealing.
const KeyFile = "secret.key"

func parseKeys(text, where string) (*Box, error) {
	var raws [][]byte
	for _, line := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == ',' }) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(line)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("%s is damaged: want 32-byte keys in base64", where)
		}
		raws = append(raws, raw)
	}
	return New(raws...)
}

// Load returns the box for envKey (VIGIL_SECRET_KEY: base64 keys separated
// by commas, the first sealing) if set, or for the key file in dataDir,
// creating it (mode 0600) on first use.
func Load(dataDir, envKey string) (*Box, error) {
	if envKey != "" {
		b, err := parseKeys(envKey, "VIGIL_SECRET_KEY")
		if err != nil {
			return nil, errors.New("VIGIL_SECRET_KEY must be 32-byte keys in base64, separated by commas (openssl rand -base64 32)")
		}
		return b, nil
	}
	path := filepath.Join(dataDir, KeyFile)
	text, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, err
		}
		if err := writeKeys(path, [][]byte{raw}, true); err != nil {
			return nil, err
		}
		return New(raw)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read secret key %s: %w", path, err)
	}
	return parseKeys(string(text), "secret key "+path)
}

func writeKeys(path string, raws [][]byte, exclusive bool) error {
	var b strings.Builder
	for _, raw := range raws {
		b.WriteString(base64.StdEncoding.EncodeToString(raw) + "\n")
	}
	if exclusive {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("cannot create secret key %s: %w", path, err)
		}
		_, werr := f.WriteString(b.String())
		if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
			return fmt.Errorf("cannot write secret key %s: %w", path, err)
		}
		return nil
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return err
	}
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	err = f.Sync()
	f.Close()
	if err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Rotate adds a new sealing key in front of the keyring file and returns
// the new box; existing values still open, and Reseal moves them to the
// new key.
func Rotate(dataDir string) (*Box, error) {
	old, err := Load(dataDir, "")
	if err != nil {
		return nil, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	raws := [][]byte{raw}
	for _, k := range old.keys {
		raws = append(raws, k.raw)
	}
	if err := writeKeys(filepath.Join(dataDir, KeyFile), raws, false); err != nil {
		return nil, err
	}
	return New(raws...)
}

// DropOld rewrites the keyring file with only the sealing key, once every
// value has been resealed.
func DropOld(dataDir string) error {
	b, err := Load(dataDir, "")
	if err != nil {
		return err
	}
	return writeKeys(filepath.Join(dataDir, KeyFile), [][]byte{b.keys[0].raw}, false)
}

// KeyID names the sealing key (a hash prefix, not the key).
func (b *Box) KeyID() string { return b.keys[0].id }

// Seal encrypts plaintext with the sealing key, binding it to context (for
// example "totp:42") so that a sealed value copied to another row does not
// open there.
func (b *Box) Seal(plaintext, context string) (string, error) {
	k := b.keys[0]
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	ct := k.aead.Seal(nonce, nonce, []byte(plaintext), []byte(context))
	return "v2:" + k.id + ":" + base64.RawStdEncoding.EncodeToString(ct), nil
}

// ErrOpen is returned for a value that does not decrypt under this keyring
// and context.
var ErrOpen = errors.New("secret: cannot decrypt (wrong key, or value moved or altered)")

// Open decrypts a value made by Seal with the same context, under whichever
// key of the ring sealed it.
func (b *Box) Open(sealed, context string) (string, error) {
	var candidates []key
	var raw string
	switch {
	case strings.HasPrefix(sealed, "v2:"):
		id, rest, ok := strings.Cut(sealed[3:], ":")
		if !ok {
			return "", ErrOpen
		}
		for _, k := range b.keys {
			if k.id == id {
				candidates = append(candidates, k)
			}
		}
		raw = rest
	case strings.HasPrefix(sealed, "v1:"): // before keyrings: try every key
		candidates, raw = b.keys, sealed[3:]
	default:
		return "", ErrOpen
	}
	ct, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil {
		return "", ErrOpen
	}
	for _, k := range candidates {
		if len(ct) < k.aead.NonceSize() {
			continue
		}
		if pt, err := k.aead.Open(nil, ct[:k.aead.NonceSize()], ct[k.aead.NonceSize():], []byte(context)); err == nil {
			return string(pt), nil
		}
	}
	return "", ErrOpen
}

// Reseal opens a value and seals it again under the sealing key.
func (b *Box) Reseal(sealed, context string) (string, error) {
	pt, err := b.Open(sealed, context)
	if err != nil {
		return "", err
	}
	return b.Seal(pt, context)
}
