package evidence

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/ledger"
)

// KeyFile holds the checkpoint signing key in the data directory.
const KeyFile = "ledger.key"

// LoadKey returns the checkpoint signing key: envKey (VIGIL_LEDGER_KEY, a
// signed-note private key) when set, else the key file in dataDir, made on
// first start. It returns the private key, the verifier key and the log's
// origin line.
func LoadKey(dataDir, envKey string) (skey, vkey, origin string, err error) {
	skey = strings.TrimSpace(envKey)
	if skey == "" {
		path := filepath.Join(dataDir, KeyFile)
		b, rerr := os.ReadFile(path)
		switch {
		case errors.Is(rerr, fs.ErrNotExist):
			if skey, _, err = ledger.GenerateKey("vigil-ledger"); err != nil {
				return "", "", "", err
			}
			if err := os.MkdirAll(dataDir, 0o700); err != nil {
				return "", "", "", err
			}
			if err := writeKeyFile(path, skey); err != nil {
				return "", "", "", fmt.Errorf("cannot write ledger key %s: %w", path, err)
			}
		case rerr != nil:
			return "", "", "", fmt.Errorf("cannot read ledger key %s: %w", path, rerr)
		default:
			skey = strings.TrimSpace(string(b))
		}
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return "", "", "", fmt.Errorf("ledger key is not a signed-note private key: %w", err)
	}
	if vkey = verifierOf(skey, signer); vkey == "" {
		return "", "", "", errors.New("ledger key is not an Ed25519 signed-note key")
	}
	origin = fmt.Sprintf("vigil/evidence/%08x", signer.KeyHash())
	return skey, vkey, origin, nil
}

// writeKeyFile writes the key durably: a temporary file, fsync, rename, so
// a crash never leaves a half key behind (which would stop every start).
func writeKeyFile(path, skey string) error {
	tmp := path + ".new"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.WriteString(skey + "\n")
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// verifierOf derives the public verifier key from a private signed-note
// key, "PRIVATE+KEY+name+hash+base64(0x01 || seed)".
func verifierOf(skey string, s note.Signer) string {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return ""
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return ""
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vk, err := note.NewEd25519VerifierKey(s.Name(), pub)
	if err != nil {
		return ""
	}
	return vk
}

// Checkpoint signs and stores a checkpoint of the log as it is now, unless
// the latest one already covers it; it returns the checkpoint.
func (s *Service) Checkpoint(ctx context.Context) (*vigil.Checkpoint, error) {
	size, err := s.Store.LedgerSize(ctx)
	if err != nil {
		return nil, err
	}
	cps, err := s.Store.Checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	root, err := ledger.Root(ctx, s.Store.LedgerNodes(), size)
	if err != nil {
		return nil, err
	}
	if n := len(cps); n > 0 && cps[n-1].Size == size && cps[n-1].Root == hex.EncodeToString(root) {
		return &cps[n-1], nil
	}
	// Sign only a log that extends what was signed before: a shrunk or
	// rewritten history must not get a fresh signature to hide behind.
	if n := len(cps); n > 0 {
		prev, err := ledger.OpenCheckpoint(cps[n-1].Note, s.VerifierKey)
		if err != nil {
			return nil, fmt.Errorf("refusing to sign: the latest checkpoint does not verify with the ledger key: %w", err)
		}
		if size < prev.Size {
			return nil, fmt.Errorf("refusing to sign: the log holds %d entries, fewer than the %d already signed", size, prev.Size)
		}
		p, err := ledger.ConsistencyProof(ctx, s.Store.LedgerNodes(), prev.Size, size)
		if err == nil {
			err = ledger.VerifyConsistency(prev.Size, size, p, prev.Root, root)
		}
		if err != nil {
			return nil, fmt.Errorf("refusing to sign: the log is not an extension of checkpoint %d: %w", prev.Size, err)
		}
	}
	signed, err := ledger.Sign(ledger.Checkpoint{Origin: s.Origin, Size: size, Root: root, Time: s.now()}, s.SigningKey)
	if err != nil {
		return nil, err
	}
	c := vigil.Checkpoint{Size: size, Root: hex.EncodeToString(root), Note: signed}
	if err := s.Store.SaveCheckpoint(ctx, c); err != nil {
		return nil, err
	}
	return &c, nil
}

// InclusionProof proves an entry is in the latest checkpoint (made now if
// the entry is newer than every checkpoint).
func (s *Service) InclusionProof(ctx context.Context, entry uint64) (*vigil.InclusionProof, error) {
	e, err := s.Store.LedgerEntry(ctx, entry)
	if err != nil {
		return nil, err
	}
	cp, err := s.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	p, err := ledger.InclusionProof(ctx, s.Store.LedgerNodes(), entry, cp.Size)
	if err != nil {
		return nil, err
	}
	return &vigil.InclusionProof{Entry: entry, LeafHash: hex.EncodeToString(ledger.LeafHash(e.Record)), TreeSize: cp.Size, Hashes: hexAll(p), Checkpoint: cp.Note}, nil
}

// ConsistencyProof proves the checkpoint of size1 is a prefix of size2.
func (s *Service) ConsistencyProof(ctx context.Context, size1, size2 uint64) ([]string, error) {
	p, err := ledger.ConsistencyProof(ctx, s.Store.LedgerNodes(), size1, size2)
	if err != nil {
		return nil, err
	}
	return hexAll(p), nil
}

func hexAll(p [][]byte) []string {
	out := make([]string, len(p))
	for i, h := range p {
		out[i] = hex.EncodeToString(h)
	}
	return out
}
