package vigil

import (
	"fmt"
	"mime"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
)

// EvidenceSource says how an evidence item came to be.
type EvidenceSource string

// The evidence sources.
const (
	SourceUpload      EvidenceSource = "upload"      // a person uploaded a file
	SourceLink        EvidenceSource = "link"        // a person recorded a URL
	SourceAttestation EvidenceSource = "attestation" // a person stated a fact
	SourceCollector   EvidenceSource = "collector"   // an automated collector and check
	SourceReview      EvidenceSource = "review"      // a review record
)

// Evidence is one immutable evidence item. Its canonical record, hash
// included, is a leaf of the evidence ledger's Merkle log.
type Evidence struct {
	ID             int64          `json:"id"`
	LogIndex       uint64         `json:"log_index"`
	Source         EvidenceSource `json:"source"`
	Title          string         `json:"title"`
	Statement      string         `json:"statement,omitempty"` // attestations
	URL            string         `json:"url,omitempty"`       // links
	SHA256         string         `json:"sha256,omitempty"`    // of the bytes, when there are any
	Size           int64          `json:"size"`
	MediaType      string         `json:"media_type,omitempty"`
	Filename       string         `json:"filename,omitempty"`
	CollectedAt    time.Time      `json:"collected_at"`
	EffectiveStart Date           `json:"effective_start"`
	EffectiveEnd   Date           `json:"effective_end"`
	Controls       []string       `json:"controls"`
	Requests       []int64        `json:"requests"`
	SubmitterID    int64          `json:"submitter_id,omitempty"`
	Submitter      string         `json:"submitter"`
	Redactions     int            `json:"redactions,omitempty"`
	Review         string         `json:"review"` // pending, accepted, rejected
	ReviewReason   string         `json:"review_reason,omitempty"`
	PurgedAt       *time.Time     `json:"purged_at,omitempty"`
	// Restricted items hold personal data: only roles that read people
	// records see them (Actor.MaySeeEvidence).
	Restricted bool `json:"restricted,omitempty"`
}

// MaySeeEvidence reports whether the actor may list, read or export an
// item: a restricted one (personal data) only with read_people.
func (a Actor) MaySeeEvidence(e *Evidence) bool {
	return !e.Restricted || a.Role.Can(PermReadPeople)
}

// Review states.
const (
	ReviewPending  = "pending"
	ReviewAccepted = "accepted"
	ReviewRejected = "rejected"
)

// MediaTypes are the types evidence may have. Anything else is refused:
// an auditor must be able to open what they are given.
var MediaTypes = []string{
	"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml",
	"text/plain", "text/csv", "text/markdown", "text/html", "application/json", "application/x-ndjson",
	"application/xml", "text/xml", "application/zip", "application/gzip", "application/x-tar", "message/rfc822",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
	"application/msword", "application/vnd.ms-excel", "video/mp4", "video/webm",
}

// ParseMediaType normalizes a declared media type and checks it is allowed.
func ParseMediaType(s string) (string, error) {
	mt, _, err := mime.ParseMediaType(s)
	if err != nil || !slices.Contains(MediaTypes, mt) {
		return "", FieldError("media_type", "media type %q is not accepted for evidence (PDF, images, text, CSV, JSON, office documents, archives, mail, video)", s)
	}
	return mt, nil
}

// MediaTypeFor guesses the media type of a file name.
func MediaTypeFor(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".md":
		return "text/markdown"
	case ".csv":
		return "text/csv"
	case ".json":
		return "application/json"
	case ".ndjson", ".jsonl":
		return "application/x-ndjson"
	case ".txt", ".log":
		return "text/plain"
	case ".eml":
		return "message/rfc822"
	case ".tgz", ".gz":
		return "application/gzip"
	}
	if mt := mime.TypeByExtension(path.Ext(name)); mt != "" {
		mt, _, _ = mime.ParseMediaType(mt)
		return mt
	}
	return ""
}

// CheckFilename refuses names that could escape a directory or confuse a
// terminal or a log: separators, dot segments and control characters.
func CheckFilename(name string) error {
	switch {
	case name == "":
		return FieldError("filename", "a file name is required")
	case len(name) > 255:
		return FieldError("filename", "file name is longer than 255 bytes")
	case name == "." || name == ".." || strings.ContainsAny(name, `/\`):
		return FieldError("filename", "file name %q must not contain a path", name)
	}
	for _, r := range name {
		// Bidirectional overrides make a name display as another
		// ("invoice\u202efdp.exe" shows as "invoiceexe.pdf").
		if unicode.IsControl(r) || r == unicode.ReplacementChar || unicode.Is(unicode.Bidi_Control, r) {
			return FieldError("filename", "file name contains a control or invalid character")
		}
	}
	return nil
}

// CheckPeriod validates the days an evidence item speaks for; an empty end
// means a single day.
func CheckPeriod(start, end Date) (Date, Date, error) {
	if start == "" {
		return "", "", FieldError("effective_start", "the effective date is required (the day the evidence speaks for)")
	}
	if _, err := ParseDate("effective_start", string(start)); err != nil {
		return "", "", err
	}
	if end == "" {
		end = start
	}
	if _, err := ParseDate("effective_end", string(end)); err != nil {
		return "", "", err
	}
	if end < start {
		return "", "", FieldError("effective_end", "effective_end is before effective_start")
	}
	return start, end, nil
}

// CheckReviewer enforces separation of duties on evidence: when the
// organization requires independent review (the default), the person who
// submitted an item cannot accept or reject it. Items Vigil collected
// itself (no submitting user) may be reviewed by anyone who may review.
func CheckReviewer(e *Evidence, reviewer Actor, independent bool) error {
	if independent && e.SubmitterID != 0 && reviewer.UserID == e.SubmitterID {
		return Errorf(EFORBIDDEN, "you submitted evidence %d, so another reviewer must accept or reject it (separation of duties; an owner can change this in the settings)", e.ID)
	}
	return nil
}

// EvidenceSettings are the organization's rules for evidence.
type EvidenceSettings struct {
	// IndependentReview requires a reviewer other than the submitter.
	IndependentReview bool `json:"independent_review"`
}

// Checkpoint is a signed checkpoint as kept.
type Checkpoint struct {
	Size      uint64    `json:"size"`
	Root      string    `json:"root"` // hex
	Note      string    `json:"note"` // the signed note
	CreatedAt time.Time `json:"created_at"`
}

// InclusionProof is an inclusion proof of one entry in a checkpoint.
type InclusionProof struct {
	Entry      uint64   `json:"entry"`
	LeafHash   string   `json:"leaf_hash"`
	TreeSize   uint64   `json:"tree_size"`
	Hashes     []string `json:"hashes"`
	Checkpoint string   `json:"checkpoint"` // the signed note
}

// LedgerProblem is one failed check, named precisely.
type LedgerProblem struct {
	Check   string `json:"check"`   // entries, leaves, checkpoint, evidence, blob
	Subject string `json:"subject"` // e.g. "entry 12", "evidence 7", "checkpoint 40"
	Detail  string `json:"detail"`
}

// LedgerReport is the outcome of a verification.
type LedgerReport struct {
	Entries     uint64          `json:"entries"`
	Checkpoints int             `json:"checkpoints"`
	Items       int             `json:"items"`
	Blobs       int             `json:"blobs"`
	BlobBytes   int64           `json:"blob_bytes"`
	Orphans     []string        `json:"orphans,omitempty"` // stored objects no row refers to
	Problems    []LedgerProblem `json:"problems"`
	OK          bool            `json:"ok"`
	Took        time.Duration   `json:"took_ns"`
}

// Fail records a problem the verification found.
func (r *LedgerReport) Fail(check, subject, format string, args ...any) {
	r.Problems = append(r.Problems, LedgerProblem{Check: check, Subject: subject, Detail: fmt.Sprintf(format, args...)})
}

// EvidenceFilter selects evidence. Zero fields match everything.
type EvidenceFilter struct {
	// Open leaves out restricted items (for actors who may not see them).
	Open    bool
	Control string
	Request int64
	Before  int64 // cursor: IDs below this
	Limit   int
}
