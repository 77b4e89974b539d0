package ledger

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is a signed statement of the log's size and root, in the C2SP
// tlog-checkpoint format: origin, size and base64 root, one per line.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
	Time   time.Time // when it was signed: an extension line "time ..."
}

// Body returns the checkpoint's text, which the signature covers.
func (c Checkpoint) Body() string {
	b := c.Origin + "\n" + strconv.FormatUint(c.Size, 10) + "\n" + base64.StdEncoding.EncodeToString(c.Root) + "\n"
	if !c.Time.IsZero() {
		b += "time " + c.Time.UTC().Format(time.RFC3339) + "\n"
	}
	return b
}

// ParseCheckpoint parses a checkpoint body.
func ParseCheckpoint(body string) (*Checkpoint, error) {
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	if len(lines) < 3 {
		return nil, errors.New("checkpoint: want origin, size and root lines")
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: size %q is not a number", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != 32 {
		return nil, errors.New("checkpoint: root is not a base64 SHA-256 hash")
	}
	cp := &Checkpoint{Origin: lines[0], Size: size, Root: root}
	for _, l := range lines[3:] {
		if v, ok := strings.CutPrefix(l, "time "); ok {
			if t, err := time.Parse(time.RFC3339, v); err == nil {
				cp.Time = t
			}
		}
	}
	return cp, nil
}

// GenerateKey makes an Ed25519 signing key for the log, in the signed-note
// encodings: the private key (keep secret) and the verifier key (publish).
func GenerateKey(name string) (skey, vkey string, err error) {
	return note.GenerateKey(rand.Reader, name)
}

// Sign signs a checkpoint with a private signed-note key.
func Sign(c Checkpoint, skey string) (string, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return "", fmt.Errorf("checkpoint signing key: %w", err)
	}
	b, err := note.Sign(&note.Note{Text: c.Body()}, s)
	return string(b), err
}

// OpenCheckpoint verifies a signed checkpoint with a verifier key and
// returns what it states.
func OpenCheckpoint(signed, vkey string) (*Checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("verifier key: %w", err)
	}
	n, err := note.Open([]byte(signed), note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("checkpoint signature: %w", err)
	}
	return ParseCheckpoint(n.Text)
}
