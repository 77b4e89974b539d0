// Package evidence runs the evidence ledger on top of the store: it
// ingests uploads into encrypted blobs, appends their records to the Merkle
// log with group commits, signs checkpoints, reviews and purges items,
// turns evidence requests into control-health signals, and verifies the
// live store.
package evidence

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/ledger"
	"github.com/vigil-soc/vigil/secret"
	"github.com/vigil-soc/vigil/store"
)

// Service is the evidence ledger of one installation.
type Service struct {
	Store       *store.Store
	Blobs       ledger.BlobStore
	Staging     string      // where uploads are staged before they go to Blobs
	Box         *secret.Box // wraps each blob's data key
	SigningKey  string      // signed-note private key for checkpoints
	VerifierKey string      // its public half
	Origin      string      // the checkpoints' origin line
	MaxUpload   int64       // bytes; 0 for no limit
	Now         func() time.Time

	once  sync.Once
	queue chan *pending
}

// DefaultMaxUpload bounds one evidence file.
const DefaultMaxUpload = 4 << 30

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Meta describes an item being added.
type Meta struct {
	Source         vigil.EvidenceSource
	Title          string
	Statement      string
	URL            string
	MediaType      string
	Filename       string
	EffectiveStart vigil.Date
	EffectiveEnd   vigil.Date
	Controls       []string
	Requests       []int64
	DeclaredSHA256 string // optional: the upload must hash to this
	DeclaredSize   int64  // optional (-1 unknown): the upload must have this size
	Redact         bool   // redact secrets before sealing (collected text)
	Restricted     bool   // personal data: only read_people roles see it
}

func (s *Service) checkMeta(ctx context.Context, m *Meta) error {
	m.Title = strings.TrimSpace(m.Title)
	if m.Title == "" {
		m.Title = m.Filename
	}
	switch {
	case m.Title == "":
		return vigil.FieldError("title", "a title is required")
	case len(m.Title) > 300:
		return vigil.FieldError("title", "title is longer than 300 characters")
	case len(m.Statement) > 20000:
		return vigil.FieldError("statement", "statement is longer than 20000 characters")
	}
	var err error
	if m.EffectiveStart, m.EffectiveEnd, err = vigil.CheckPeriod(m.EffectiveStart, m.EffectiveEnd); err != nil {
		return err
	}
	for i := range m.Controls {
		m.Controls[i] = vigil.CanonicalControlID(m.Controls[i])
	}
	slices.Sort(m.Controls)
	m.Controls = slices.Compact(m.Controls)
	for _, c := range m.Controls {
		if ok, err := s.Store.ControlExists(ctx, c); err != nil {
			return err
		} else if !ok {
			return vigil.FieldError("controls", "control %s does not exist", c)
		}
	}
	slices.Sort(m.Requests)
	m.Requests = slices.Compact(m.Requests)
	for _, id := range m.Requests {
		r, err := s.Store.Request(ctx, id)
		if err != nil {
			return vigil.FieldError("requests", "evidence request %d does not exist", id)
		}
		if !slices.Contains(m.Controls, r.ControlID) {
			m.Controls = append(m.Controls, r.ControlID)
			slices.Sort(m.Controls)
		}
	}
	if len(m.Controls) == 0 {
		return vigil.FieldError("controls", "link the evidence to at least one control")
	}
	return nil
}

// sniffable are types whose first bytes identify them: a declared type
// that the bytes contradict is refused.
var sniffable = map[string]string{
	"application/pdf": "application/pdf", "image/png": "image/png", "image/jpeg": "image/jpeg",
	"image/gif": "image/gif", "image/webp": "image/webp", "application/zip": "application/zip",
	"application/gzip": "application/x-gzip",
}

// Upload adds a file. The bytes are streamed: hashed and encrypted to a
// staging file on the way in, never held in memory.
func (s *Service) Upload(ctx context.Context, m Meta, r io.Reader) (*vigil.Evidence, error) {
	if m.Source == "" {
		m.Source = vigil.SourceUpload
	}
	if err := vigil.CheckFilename(m.Filename); err != nil {
		return nil, err
	}
	if m.MediaType == "" {
		m.MediaType = vigil.MediaTypeFor(m.Filename)
	}
	mt, err := vigil.ParseMediaType(m.MediaType)
	if err != nil {
		return nil, err
	}
	m.MediaType = mt
	if m.DeclaredSHA256 != "" {
		m.DeclaredSHA256 = strings.ToLower(m.DeclaredSHA256)
		if len(m.DeclaredSHA256) != 64 {
			return nil, vigil.FieldError("sha256", "declared sha256 must be 64 hex digits")
		}
	}
	if err := s.checkMeta(ctx, &m); err != nil {
		return nil, err
	}
	limit := s.MaxUpload
	if limit == 0 {
		limit = DefaultMaxUpload
	}
	if m.DeclaredSize > limit {
		return nil, vigil.Errorf(vigil.ETOOLARGE, "file is %d bytes, over the limit of %d", m.DeclaredSize, limit)
	}
	var redactor *Redactor
	if m.Redact {
		// Collected text is redacted as it streams, a window at a time, so
		// memory does not grow with its size.
		redactor = NewRedactor(r)
		r = redactor
		m.DeclaredSHA256, m.DeclaredSize = "", -1 // the bytes sealed are not the bytes sent
	}
	dataKey, err := ledger.NewDataKey()
	if err != nil {
		return nil, err
	}
	// Read up to InlineMax+1 bytes: a file that ends within it is sealed in
	// memory and kept in the database; a larger one streams to a staging
	// file and then to the blob store.
	fb := firstPool.Get().(*[]byte)
	defer firstPool.Put(fb)
	n, rerr := ledger.Fill(r, *fb)
	first := (*fb)[:n]
	var sealed *ledger.Sealed
	var inline []byte
	staged := ""
	switch {
	case rerr == nil && n <= InlineMax:
		var buf bytes.Buffer
		sealed, err = ledger.Encrypt(&buf, bytes.NewReader(first), dataKey, limit)
		inline = buf.Bytes()
	case rerr != nil:
		return nil, vigil.Errorf(vigil.EINVALID, "upload was interrupted or could not be read: %v", rerr)
	default: // more than InlineMax bytes: stream the rest
		tmp, terr := os.CreateTemp(s.Staging, "upload-*")
		if terr != nil {
			return nil, fmt.Errorf("stage upload: %w", terr)
		}
		staged = tmp.Name()
		defer os.Remove(staged) // a no-op once the blob store has moved it
		sealed, err = ledger.Encrypt(tmp, io.MultiReader(bytes.NewReader(first), r), dataKey, limit)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
	}
	switch {
	case errors.Is(err, ledger.ErrTooLarge):
		return nil, vigil.Errorf(vigil.ETOOLARGE, "file is over the limit of %d bytes", limit)
	case err != nil:
		return nil, vigil.Errorf(vigil.EINVALID, "upload was interrupted or could not be read: %v", err)
	case sealed.Size == 0:
		return nil, vigil.Errorf(vigil.EINVALID, "file is empty")
	case m.DeclaredSize >= 0 && m.DeclaredSize != 0 && sealed.Size != m.DeclaredSize:
		return nil, vigil.Errorf(vigil.EINVALID, "file is %d bytes but %d were declared: the upload was truncated or changed", sealed.Size, m.DeclaredSize)
	case m.DeclaredSHA256 != "" && sealed.SHA256 != m.DeclaredSHA256:
		return nil, vigil.Errorf(vigil.EINVALID, "file hashes to sha256 %s, not the declared %s", sealed.SHA256, m.DeclaredSHA256)
	}
	if want, ok := sniffable[m.MediaType]; ok {
		if got := http.DetectContentType(first); got != want {
			return nil, vigil.FieldError("media_type", "the file's bytes are %s, not the declared %s", got, m.MediaType)
		}
	}
	blob, err := s.putBlob(ctx, sealed, dataKey, staged, inline)
	if err != nil {
		return nil, err
	}
	redactions := 0
	if redactor != nil {
		redactions = redactor.Count()
	}
	return s.add(ctx, m, blob, redactions)
}

// InlineMax is the largest blob kept in the database rather than the blob
// store.
const InlineMax = 64 << 10

var firstPool = sync.Pool{New: func() any { b := make([]byte, InlineMax+1); return &b }}

// putBlob stores a blob unless the same bytes are already stored; small
// blobs (inline) go into the database row. Those are not looked up first:
// the row's insert keeps a row already there for the same bytes
// (store.AddEvidence), so a lookup would only cost every upload a query to
// spare the rare duplicate the sealing of its key.
func (s *Service) putBlob(ctx context.Context, sealed *ledger.Sealed, dataKey []byte, staged string, inline []byte) (*store.BlobInfo, error) {
	if inline == nil {
		if existing, err := s.Store.Blob(ctx, sealed.SHA256); err == nil && existing.WrappedKey != "" {
			if existing.Inline != nil {
				return existing, nil
			}
			if ok, err := s.Blobs.Exists(ctx, existing.Object); err == nil && ok {
				return existing, nil // deduplicated: the staged copy is dropped
			}
		}
	}
	wrapped, err := s.Box.Seal(hex.EncodeToString(dataKey), blobContext(sealed.SHA256))
	if err != nil {
		return nil, err
	}
	if inline != nil {
		return &store.BlobInfo{SHA256: sealed.SHA256, Size: sealed.Size, StoredSize: sealed.Stored, WrappedKey: wrapped, Inline: inline}, nil
	}
	// The object gets a name of its own: two uploads of the same bytes at
	// once each store their own copy under their own key, and the row keeps
	// whichever commits first; the other copy is an orphan. Objects are
	// never overwritten. The object is durable before its row is committed;
	// a crash between the two leaves an orphan that CollectGarbage removes.
	suffix := make([]byte, 8)
	if _, err := rand.Read(suffix); err != nil {
		return nil, err
	}
	object := sealed.SHA256 + "." + hex.EncodeToString(suffix)
	if err := s.Blobs.Put(ctx, object, staged); err != nil {
		return nil, fmt.Errorf("store blob in %s: %w", s.Blobs.Where(), err)
	}
	return &store.BlobInfo{SHA256: sealed.SHA256, Size: sealed.Size, StoredSize: sealed.Stored, WrappedKey: wrapped, Object: object}, nil
}

func blobContext(sha string) string { return "blob:" + sha }

// Attest records a statement a person makes, signed by their account
// (the submitter in the record, within the log).
func (s *Service) Attest(ctx context.Context, m Meta) (*vigil.Evidence, error) {
	m.Source = vigil.SourceAttestation
	m.Statement = strings.TrimSpace(m.Statement)
	if m.Statement == "" {
		return nil, vigil.FieldError("statement", "an attestation needs a statement")
	}
	if m.Title == "" {
		m.Title, _, _ = strings.Cut(m.Statement, "\n")
		if len(m.Title) > 100 {
			m.Title = m.Title[:100] + "..."
		}
	}
	if err := s.checkMeta(ctx, &m); err != nil {
		return nil, err
	}
	return s.add(ctx, m, nil, 0)
}

// Link records a URL as evidence.
func (s *Service) Link(ctx context.Context, m Meta) (*vigil.Evidence, error) {
	m.Source = vigil.SourceLink
	if !strings.HasPrefix(m.URL, "https://") && !strings.HasPrefix(m.URL, "http://") || len(m.URL) > 2000 || strings.ContainsAny(m.URL, " \n\r\t") {
		return nil, vigil.FieldError("url", "link must be an http(s) URL without spaces")
	}
	if m.Title == "" {
		m.Title = m.URL
	}
	if err := s.checkMeta(ctx, &m); err != nil {
		return nil, err
	}
	return s.add(ctx, m, nil, 0)
}

func (s *Service) add(ctx context.Context, m Meta, blob *store.BlobInfo, redactions int) (*vigil.Evidence, error) {
	a := vigil.ActorFrom(ctx)
	e := &vigil.Evidence{Source: m.Source, Title: m.Title, Statement: m.Statement, URL: m.URL, MediaType: m.MediaType, Filename: m.Filename,
		CollectedAt: s.now().UTC().Truncate(time.Microsecond), EffectiveStart: m.EffectiveStart, EffectiveEnd: m.EffectiveEnd,
		Controls: m.Controls, Requests: m.Requests, SubmitterID: a.UserID, Submitter: a.Name, Redactions: redactions, Restricted: m.Restricted}
	if m.Requests == nil {
		e.Requests = []int64{}
	}
	if blob != nil {
		e.SHA256, e.Size = blob.SHA256, blob.Size
	}
	rec, err := RecordOf(e).Marshal()
	if err != nil {
		return nil, err
	}
	if err := s.commit(ctx, &store.NewEvidence{Item: *e, Record: rec, Blob: blob}, e); err != nil {
		return nil, err
	}
	e.Review = vigil.ReviewPending
	return e, nil
}

// RecordOf is an item's canonical log record.
func RecordOf(e *vigil.Evidence) *ledger.Record {
	return &ledger.Record{Kind: ledger.KindEvidence, Source: string(e.Source), Title: e.Title, Statement: e.Statement, URL: e.URL,
		SHA256: e.SHA256, Size: e.Size, MediaType: e.MediaType, Filename: e.Filename, CollectedAt: ledger.FormatTime(e.CollectedAt),
		EffectiveStart: string(e.EffectiveStart), EffectiveEnd: string(e.EffectiveEnd), Controls: e.Controls, Requests: e.Requests,
		Submitter: e.Submitter, SubmitterID: e.SubmitterID, Redactions: e.Redactions}
}

// Open returns the plaintext of an item's bytes; reading it to the end
// verifies it.
func (s *Service) Open(ctx context.Context, e *vigil.Evidence) (io.ReadCloser, error) {
	if e.SHA256 == "" {
		return nil, vigil.Errorf(vigil.ENOTFOUND, "evidence %d has no file", e.ID)
	}
	if e.PurgedAt != nil {
		return nil, vigil.Errorf(vigil.ENOTFOUND, "evidence %d was purged on %s", e.ID, e.PurgedAt.Format(time.DateOnly))
	}
	info, err := s.Store.Blob(ctx, e.SHA256)
	if err != nil {
		return nil, err
	}
	hexKey, err := s.Box.Open(info.WrappedKey, blobContext(e.SHA256))
	if err != nil {
		return nil, fmt.Errorf("unwrap key of blob %s: %w", e.SHA256, err)
	}
	key, err := hex.DecodeString(hexKey)
	if err != nil {
		return nil, err
	}
	var f io.ReadCloser
	if info.Inline != nil {
		f = io.NopCloser(bytes.NewReader(info.Inline))
	} else if f, err = s.Blobs.Get(ctx, info.Object); err != nil {
		return nil, fmt.Errorf("blob %s: %w", e.SHA256, err)
	}
	r, err := ledger.Decrypt(f, key, e.SHA256)
	if err != nil {
		f.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{r, f}, nil
}

// Review appends an accept or reject to the log. The reviewer must not be
// the submitter while the organization requires independent review.
func (s *Service) Review(ctx context.Context, id int64, state, reason string) error {
	reason = strings.TrimSpace(reason)
	switch {
	case state != vigil.ReviewAccepted && state != vigil.ReviewRejected:
		return vigil.FieldError("state", "review state must be accepted or rejected")
	case state == vigil.ReviewRejected && reason == "":
		return vigil.FieldError("reason", "a rejection needs a reason")
	case len(reason) > 5000:
		return vigil.FieldError("reason", "reason is longer than 5000 characters")
	}
	e, err := s.Store.Evidence(ctx, id)
	if err != nil {
		return err
	}
	settings, err := s.Store.EvidenceSettings(ctx)
	if err != nil {
		return err
	}
	if err := vigil.CheckReviewer(e, vigil.ActorFrom(ctx), settings.IndependentReview); err != nil {
		return err
	}
	idx := e.LogIndex
	rec, err := (&ledger.Record{Kind: ledger.KindReview, Entry: &idx, State: state, Reason: reason,
		By: vigil.ActorFrom(ctx).Name, At: ledger.FormatTime(s.now())}).Marshal()
	if err != nil {
		return err
	}
	_, err = s.Store.AddReview(ctx, id, state, reason, rec)
	return err
}

// ProbeWrite stores and deletes a small object, through the staging
// directory as uploads do: a server whose blob store or staging directory
// cannot be written cannot take evidence, and must not say it is ready.
func (s *Service) ProbeWrite(ctx context.Context) error {
	f, err := os.CreateTemp(s.Staging, "probe-*")
	if err != nil {
		return fmt.Errorf("staging directory: %w", err)
	}
	path := f.Name()
	defer os.Remove(path)
	_, werr := f.WriteString("vigil readiness probe\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("staging directory: %w", werr)
	}
	// A blob address (the hash of the probe's text) with a random suffix,
	// as every copy has: never the name of real evidence.
	sum := sha256.Sum256([]byte("vigil readiness probe\n"))
	var suffix [8]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return err
	}
	name := hex.EncodeToString(sum[:]) + "." + hex.EncodeToString(suffix[:])
	if err := s.Blobs.Put(ctx, name, path); err != nil {
		return fmt.Errorf("blob store %s: %w", s.Blobs.Where(), err)
	}
	if err := s.Blobs.Delete(ctx, name); err != nil {
		return fmt.Errorf("blob store %s: %w", s.Blobs.Where(), err)
	}
	return nil
}
