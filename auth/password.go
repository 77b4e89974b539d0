// Package auth holds Vigil's credentials: argon2id password hashes, API token
// and setup-token secrets. It stores nothing itself.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	KeyLen  uint32
}

// DefaultParams follow OWASP's password storage guidance for argon2id
// (46 MiB, 1 pass, 1 lane): about 50 ms on one core.
var DefaultParams = Params{Memory: 46 * 1024, Time: 1, Threads: 1, KeyLen: 32}

// HashPassword returns the PHC-formatted argon2id hash of password.
func HashPassword(password string, p Params) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrBadHash is returned for a stored hash that cannot be parsed.
var ErrBadHash = errors.New("auth: stored password hash is not argon2id")

// VerifyPassword reports whether password matches the PHC hash, comparing in
// constant time. Parameters come from the hash, so raising DefaultParams
// does not lock anyone out.
func VerifyPassword(password, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false, ErrBadHash
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, ErrBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, ErrBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || p.Memory == 0 || p.Time == 0 || p.Threads == 0 {
		return false, ErrBadHash
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// TokenPrefix starts every API token, so secret scanners can recognise one.
const TokenPrefix = "vgl_"

// SetupPrefix starts every setup token.
const SetupPrefix = "vgs_"

// SessionPrefix starts every session cookie value.
const SessionPrefix = "vss_"

// ResetPrefix starts every password-reset token.
const ResetPrefix = "vgr_"

// NewSecret returns a random secret with the given prefix (256 bits of
// entropy) and the hash to store for it.
func NewSecret(prefix string) (secret, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	secret = prefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashSecret(secret), nil
}

// HashSecret hashes a high-entropy secret for storage. A fast hash is right
// here: the secret is random, so there is nothing to brute-force.
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// DisplayPrefix is the part of a secret safe to show to recognise it.
func DisplayPrefix(secret string) string {
	if len(secret) < 12 {
		return secret
	}
	return secret[:12]
}
