// Package secret encrypts small secrets at rest (TOTP seeds, the single
// sign-on client secret) with AES-256-GCM under a master key that lives
// outside the database: a key file in the data directory, or the
// VIGIL_SECRET_KEY environment variable when several replicas share one
// PostgreSQL database.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Box seals and opens secrets. The zero value is unusable; use New or Load.
type Box struct {
	aead cipher.AEAD
}

// New returns a box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("secret key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// KeyFile is the key's file name in the data directory.
const KeyFile = "secret.key"

// Load returns the box for envKey (base64, from VIGIL_SECRET_KEY) if set, or
// for the key file in dataDir, creating it (mode 0600) on first use.
func Load(dataDir, envKey string) (*Box, error) {
	if envKey != "" {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(envKey))
		if err != nil || len(key) != 32 {
			return nil, errors.New("VIGIL_SECRET_KEY must be 32 bytes in base64 (openssl rand -base64 32)")
		}
		return New(key)
	}
	path := filepath.Join(dataDir, KeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("cannot create secret key %s: %w", path, err)
		}
		_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
		if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
			return nil, fmt.Errorf("cannot write secret key %s: %w", path, err)
		}
		return New(key)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read secret key %s: %w", path, err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("secret key %s is damaged: want 32 bytes in base64", path)
	}
	return New(key)
}

// Seal encrypts plaintext, binding it to context (for example "totp:42") so
// that a sealed value copied to another row does not open there.
func (b *Box) Seal(plaintext, context string) (string, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	ct := b.aead.Seal(nonce, nonce, []byte(plaintext), []byte(context))
	return "v1:" + base64.RawStdEncoding.EncodeToString(ct), nil
}

// ErrOpen is returned for a value that does not decrypt under this key and
// context.
var ErrOpen = errors.New("secret: cannot decrypt (wrong key, or value moved or altered)")

// Open decrypts a value made by Seal with the same context.
func (b *Box) Open(sealed, context string) (string, error) {
	raw, ok := strings.CutPrefix(sealed, "v1:")
	if !ok {
		return "", ErrOpen
	}
	ct, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil || len(ct) < b.aead.NonceSize() {
		return "", ErrOpen
	}
	pt, err := b.aead.Open(nil, ct[:b.aead.NonceSize()], ct[b.aead.NonceSize():], []byte(context))
	if err != nil {
		return "", ErrOpen
	}
	return string(pt), nil
}
