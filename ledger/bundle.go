package ledger

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// BundleFormat names the export format.
const BundleFormat = "vigil-evidence-bundle/1"

// Manifest is a bundle's manifest.json.
type Manifest struct {
	Format      string         `json:"format"`
	Origin      string         `json:"origin"`
	VerifierKey string         `json:"verifier_key"`
	Checkpoint  string         `json:"checkpoint"` // the signed note every proof is against
	Checkpoints []BundleCP     `json:"checkpoints"`
	Items       []BundleItem   `json:"items"`
	Created     string         `json:"created"`
	Filter      map[string]any `json:"filter,omitempty"`
}

// BundleCP is an earlier checkpoint with a consistency proof to the next.
type BundleCP struct {
	Note        string   `json:"note"`
	Consistency []string `json:"consistency_to_next"`
}

// BundleItem is one log entry in a bundle.
type BundleItem struct {
	Entry  uint64   `json:"entry"`
	Record string   `json:"record"` // the exact logged bytes
	Proof  []string `json:"inclusion_proof"`
	Blob   string   `json:"blob,omitempty"` // path in the zip of the item's bytes
}

// Bundle limits keep a hostile zip from exhausting memory or disk.
const (
	maxBundleFiles    = 200000
	maxManifestBytes  = 512 << 20
	maxCompressRatio  = 200
	minRatioCheckSize = 1 << 20
)

// BundleProblem is one failed check of a bundle.
type BundleProblem struct {
	Subject string `json:"subject"` // "bundle", "checkpoint N", "entry N"
	Check   string `json:"check"`
	Detail  string `json:"detail"`
}

// BundleReport is the result of verifying a bundle.
type BundleReport struct {
	Items       int             `json:"items"`
	Blobs       int             `json:"blobs"`
	BlobBytes   int64           `json:"blob_bytes"`
	Checkpoints int             `json:"checkpoints"`
	TreeSize    uint64          `json:"tree_size"`
	KeySource   string          `json:"key_source"`
	Problems    []BundleProblem `json:"problems"`
	OK          bool            `json:"ok"`
}

func (r *BundleReport) fail(subject, check, format string, args ...any) {
	r.Problems = append(r.Problems, BundleProblem{Subject: subject, Check: check, Detail: fmt.Sprintf(format, args...)})
}

// VerifyBundle checks an exported bundle offline, trusting nothing but the
// verifier key: trustedKey if given, else the bundle's own (reported, so the
// user compares it with the published key). Every record must hash to a
// leaf proven in the signed checkpoint, every blob must hash to its
// record's address, and every earlier checkpoint must be consistent with
// the later ones. It returns an error only when the bundle cannot be read
// at all; each failed check is a problem in the report.
func VerifyBundle(ra io.ReaderAt, size int64, trustedKey string) (*BundleReport, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, fmt.Errorf("bundle is not a readable zip file: %w", err)
	}
	if len(zr.File) > maxBundleFiles {
		return nil, fmt.Errorf("bundle has %d files, more than the %d allowed", len(zr.File), maxBundleFiles)
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		if strings.Contains(f.Name, "..") || strings.HasPrefix(f.Name, "/") || strings.ContainsAny(f.Name, "\\\x00") {
			return nil, fmt.Errorf("bundle file name %q is not allowed", f.Name)
		}
		// A small file that claims to expand enormously is a zip bomb.
		if f.UncompressedSize64 > minRatioCheckSize && f.CompressedSize64 > 0 && f.UncompressedSize64/f.CompressedSize64 > maxCompressRatio {
			return nil, fmt.Errorf("bundle file %s expands %d times: refused as a zip bomb", f.Name, f.UncompressedSize64/f.CompressedSize64)
		}
		if _, dup := files[f.Name]; dup {
			// Different tools would show different copies: refuse.
			return nil, fmt.Errorf("bundle holds %s twice", f.Name)
		}
		files[f.Name] = f
	}
	mf, ok := files["manifest.json"]
	if !ok {
		return nil, fmt.Errorf("bundle has no manifest.json")
	}
	if mf.UncompressedSize64 > maxManifestBytes {
		return nil, fmt.Errorf("manifest.json is %d bytes, over the limit", mf.UncompressedSize64)
	}
	raw, err := readLimited(mf, maxManifestBytes)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("manifest.json is not valid JSON: %w", err)
	}
	if m.Format != BundleFormat {
		return nil, fmt.Errorf("bundle format %q is not %s", m.Format, BundleFormat)
	}
	rep := &BundleReport{Problems: []BundleProblem{}, KeySource: "the key given"}
	key := trustedKey
	if key == "" {
		key = m.VerifierKey
		rep.KeySource = "the bundle's own key (compare it with the key the organization publishes): " + m.VerifierKey
	} else if m.VerifierKey != trustedKey {
		rep.fail("bundle", "key", "the bundle names a different verifier key than the one given")
	}
	cp, err := OpenCheckpoint(m.Checkpoint, key)
	if err != nil {
		rep.fail("bundle", "checkpoint", "the checkpoint does not verify: %v", err)
		return rep, nil
	}
	if cp.Origin != m.Origin {
		rep.fail("bundle", "checkpoint", "checkpoint origin %q is not the bundle's %q", cp.Origin, m.Origin)
	}
	rep.TreeSize = cp.Size
	// Earlier checkpoints: each signed, each consistent with the next (the
	// last with the bundle's checkpoint).
	rep.Checkpoints = len(m.Checkpoints)
	for i, c := range m.Checkpoints {
		old, err := OpenCheckpoint(c.Note, key)
		if err != nil {
			rep.fail(fmt.Sprintf("checkpoint %d", i), "signature", "does not verify: %v", err)
			continue
		}
		next := cp
		if i+1 < len(m.Checkpoints) {
			if n, err := OpenCheckpoint(m.Checkpoints[i+1].Note, key); err == nil {
				next = n
			}
		}
		p, err := unhexAll(c.Consistency)
		if err == nil {
			err = VerifyConsistency(old.Size, next.Size, p, old.Root, next.Root)
		}
		if err != nil {
			rep.fail(fmt.Sprintf("checkpoint %d", old.Size), "consistency", "is not a prefix of checkpoint %d: history was rewritten (%v)", next.Size, err)
		}
	}
	seen := map[uint64]bool{}
	// Entries whose bytes a proven tombstone says were purged.
	purged := map[uint64]bool{}
	for _, it := range m.Items {
		if rec, err := ParseRecord([]byte(it.Record)); err == nil && rec.Kind == KindTombstone && rec.Entry != nil {
			if p, err := unhexAll(it.Proof); err == nil && VerifyInclusion(it.Entry, cp.Size, LeafHash([]byte(it.Record)), p, cp.Root) == nil {
				purged[*rec.Entry] = true
			}
		}
	}
	for _, it := range m.Items {
		subject := fmt.Sprintf("entry %d", it.Entry)
		if seen[it.Entry] {
			rep.fail(subject, "manifest", "appears twice")
			continue
		}
		seen[it.Entry] = true
		rep.Items++
		leaf := LeafHash([]byte(it.Record))
		p, err := unhexAll(it.Proof)
		if err == nil {
			err = VerifyInclusion(it.Entry, cp.Size, leaf, p, cp.Root)
		}
		if err != nil {
			rep.fail(subject, "inclusion", "is not in the signed log as it stands: the record was changed or the proof is wrong (%v)", err)
		}
		rec, err := ParseRecord([]byte(it.Record))
		if err != nil {
			rep.fail(subject, "record", "%v", err)
			continue
		}
		if it.Blob == "" {
			if rec.SHA256 != "" && rec.Kind == KindEvidence && !purged[it.Entry] {
				rep.fail(subject, "blob", "the record names bytes (sha256 %s) but the bundle has none, and no tombstone says they were purged", rec.SHA256)
			}
			continue
		}
		f, ok := files[it.Blob]
		if !ok {
			rep.fail(subject, "blob", "%s is missing from the bundle", it.Blob)
			continue
		}
		sum, n, err := hashFile(f, rec.Size)
		switch {
		case err != nil:
			rep.fail(subject, "blob", "%s cannot be read: %v", it.Blob, err)
		case n != rec.Size:
			rep.fail(subject, "blob", "%s holds %d bytes, the record says %d", it.Blob, n, rec.Size)
		case sum != rec.SHA256:
			rep.fail(subject, "blob", "%s hashes to %s, the record says %s: the file was changed", it.Blob, sum, rec.SHA256)
		default:
			rep.Blobs++
			rep.BlobBytes += n
		}
	}
	rep.OK = len(rep.Problems) == 0
	return rep, nil
}

func readLimited(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s is damaged: %w", f.Name, err)
	}
	if n > limit {
		return nil, fmt.Errorf("%s is larger than its limit", f.Name)
	}
	return buf.Bytes(), nil
}

// hashFile hashes a file's contents, reading at most want+1 bytes whatever
// its header claims.
func hashFile(f *zip.File, want int64) (string, int64, error) {
	rc, err := f.Open()
	if err != nil {
		return "", 0, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(rc, want+1))
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func unhexAll(in []string) ([][]byte, error) {
	out := make([][]byte, len(in))
	for i, s := range in {
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("proof hash %d is not hex", i)
		}
		out[i] = b
	}
	return out, nil
}

// BundleWriter builds a bundle.
type BundleWriter struct {
	zw *zip.Writer
	m  Manifest
}

// NewBundleWriter starts a bundle on w.
func NewBundleWriter(w io.Writer, m Manifest) *BundleWriter {
	m.Format = BundleFormat
	return &BundleWriter{zw: zip.NewWriter(w), m: m}
}

// AddBlob writes an item's bytes under blobs/ and returns their path.
func (b *BundleWriter) AddBlob(sha string, r io.Reader) (string, error) {
	name := "blobs/" + sha
	// Stored, not compressed: evidence is mostly compressed already, and
	// a verifier can then read any file's bytes straight from the archive.
	w, err := b.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
	if err != nil {
		return "", err
	}
	_, err = io.Copy(w, r)
	return name, err
}

// AddItem adds an entry to the manifest.
func (b *BundleWriter) AddItem(it BundleItem) { b.m.Items = append(b.m.Items, it) }

// Close writes the manifest and the verifier key and finishes the zip.
func (b *BundleWriter) Close(_ context.Context) error {
	mj, err := json.MarshalIndent(b.m, "", " ")
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{"manifest.json": mj, "verifier.key": []byte(b.m.VerifierKey + "\n"),
		"README.txt": []byte(bundleReadme)} {
		w, err := b.zw.Create(name)
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
	return b.zw.Close()
}

const bundleReadme = `Vigil evidence bundle

manifest.json lists log entries, each with its exact record, an inclusion
proof against the signed checkpoint, and (for files) the path of its bytes
under blobs/. verifier.key is the Ed25519 signed-note key that signed the
checkpoints; compare it with the key the organization publishes.

Check everything offline with:

    vigil verify bundle.zip --key "$(cat published.key)"
`
