package ledger

import (
	"encoding/json"
	"fmt"
	"time"
)

// Record kinds.
const (
	KindEvidence  = "evidence"
	KindReview    = "review"
	KindTombstone = "tombstone"
)

// Record is the canonical form of a log entry. Its JSON encoding (fields in
// this order, times in UTC with microseconds) is what the leaf hash covers;
// the exact bytes are stored and exported, so verifiers never re-encode.
type Record struct {
	V    int    `json:"v"`
	Kind string `json:"kind"`

	// evidence
	Source         string   `json:"source,omitempty"`
	Title          string   `json:"title,omitempty"`
	Statement      string   `json:"statement,omitempty"`
	URL            string   `json:"url,omitempty"`
	SHA256         string   `json:"sha256,omitempty"`
	Size           int64    `json:"size,omitempty"`
	MediaType      string   `json:"media_type,omitempty"`
	Filename       string   `json:"filename,omitempty"`
	CollectedAt    string   `json:"collected_at,omitempty"`
	EffectiveStart string   `json:"effective_start,omitempty"`
	EffectiveEnd   string   `json:"effective_end,omitempty"`
	Controls       []string `json:"controls,omitempty"`
	Requests       []int64  `json:"requests,omitempty"`
	Submitter      string   `json:"submitter,omitempty"`
	SubmitterID    int64    `json:"submitter_id,omitempty"`
	Redactions     int      `json:"redactions,omitempty"`

	// review and tombstone: the entry they speak about
	Entry  *uint64 `json:"entry,omitempty"`
	State  string  `json:"state,omitempty"`
	Reason string  `json:"reason,omitempty"`
	By     string  `json:"by,omitempty"`
	At     string  `json:"at,omitempty"`
}

// TimeFormat is how records write times.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// FormatTime writes t as records do.
func FormatTime(t time.Time) string { return t.UTC().Truncate(time.Microsecond).Format(TimeFormat) }

// Marshal returns the record's canonical bytes.
func (r *Record) Marshal() ([]byte, error) {
	r.V = 1
	return json.Marshal(r)
}

// ParseRecord decodes a record's bytes.
func ParseRecord(b []byte) (*Record, error) {
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("record is not valid JSON: %w", err)
	}
	if r.V != 1 {
		return nil, fmt.Errorf("record version %d is not known", r.V)
	}
	return &r, nil
}
