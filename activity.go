package vigil

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
)

// Activity is one entry of the activity log: who changed what, when, and the
// state before and after. Entries are hash-chained: each Hash covers the
// entry and the previous entry's hash, so an edited, inserted or removed row
// breaks the chain at that row.
type Activity struct {
	Seq        int64           `json:"seq"`
	At         time.Time       `json:"at"`
	ActorID    int64           `json:"actor_id,omitempty"`
	ActorName  string          `json:"actor"`
	Action     string          `json:"action"`      // e.g. control.update
	EntityType string          `json:"entity_type"` // e.g. control
	EntityID   string          `json:"entity_id"`
	Before     json.RawMessage `json:"before,omitempty"`
	After      json.RawMessage `json:"after,omitempty"`
	PrevHash   string          `json:"prev_hash"`
	Hash       string          `json:"hash"`
}

// GenesisHash is the PrevHash of the first entry.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// ComputeHash returns the entry's chained hash. Fields are length-prefixed so
// that no two different entries share an encoding.
func (a *Activity) ComputeHash() string {
	h := sha256.New()
	put := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	put("vigil-activity-v1")
	put(a.PrevHash)
	put(strconv.FormatInt(a.Seq, 10))
	put(a.At.UTC().Format(time.RFC3339Nano))
	put(strconv.FormatInt(a.ActorID, 10))
	put(a.ActorName)
	put(a.Action)
	put(a.EntityType)
	put(a.EntityID)
	put(string(a.Before))
	put(string(a.After))
	return hex.EncodeToString(h.Sum(nil))
}

// ChainBreak describes the first place where the activity chain fails.
type ChainBreak struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

// ChainVerifier checks activity entries in sequence order, one at a time, so
// that a long log never sits in memory.
type ChainVerifier struct {
	next     int64
	prevHash string
	Checked  int64
	Break    *ChainBreak
}

// NewChainVerifier starts a verification at the first entry.
func NewChainVerifier() *ChainVerifier { return &ChainVerifier{next: 1, prevHash: GenesisHash} }

// Add checks the next entry. It returns false once a break has been found.
func (v *ChainVerifier) Add(a *Activity) bool {
	if v.Break != nil {
		return false
	}
	switch {
	case a.Seq > v.next:
		v.Break = &ChainBreak{Seq: v.next, Reason: "entry " + strconv.FormatInt(v.next, 10) + " is missing (deleted)"}
	case a.Seq < v.next:
		v.Break = &ChainBreak{Seq: a.Seq, Reason: "entry " + strconv.FormatInt(a.Seq, 10) + " appears twice or out of order"}
	case a.PrevHash != v.prevHash:
		// The previous entry matches its own hash but not the link to it:
		// most likely it was edited and its hash recomputed.
		prev := strconv.FormatInt(a.Seq-1, 10)
		v.Break = &ChainBreak{Seq: a.Seq - 1, Reason: "entry " + prev + " was changed and its hash recomputed (entry " + strconv.FormatInt(a.Seq, 10) + " no longer links to it), or that link was edited"}
	case a.ComputeHash() != a.Hash:
		v.Break = &ChainBreak{Seq: a.Seq, Reason: "entry " + strconv.FormatInt(a.Seq, 10) + " was edited (its content no longer matches its hash)"}
	}
	if v.Break != nil {
		return false
	}
	v.Checked++
	v.next = a.Seq + 1
	v.prevHash = a.Hash
	return true
}

// Finish checks the end of the log against the recorded head (the last
// sequence number and hash written), which catches removal of the newest
// entries.
func (v *ChainVerifier) Finish(headSeq int64, headHash string) *ChainBreak {
	if v.Break != nil {
		return v.Break
	}
	last := v.next - 1
	switch {
	case headSeq > last:
		v.Break = &ChainBreak{Seq: last + 1, Reason: "entries " + strconv.FormatInt(last+1, 10) + " to " + strconv.FormatInt(headSeq, 10) + " are missing (deleted from the end)"}
	case headSeq < last:
		v.Break = &ChainBreak{Seq: headSeq + 1, Reason: "the log continues past its recorded head at entry " + strconv.FormatInt(headSeq, 10)}
	case last > 0 && headHash != v.prevHash:
		v.Break = &ChainBreak{Seq: last, Reason: "entry " + strconv.FormatInt(last, 10) + " does not match the recorded head hash"}
	}
	return v.Break
}

// ChainVerification is the outcome of checking the activity chain.
type ChainVerification struct {
	Checked int64       `json:"checked"`
	HeadSeq int64       `json:"head_seq"`
	OK      bool        `json:"ok"`
	Break   *ChainBreak `json:"break,omitempty"`
}

// ActivityFilter selects activity entries. Zero fields match everything.
type ActivityFilter struct {
	ActorID    int64
	Action     string // exact, or a prefix ending in "." (control.)
	EntityType string
	EntityID   string
	Before     int64 // cursor: entries with seq below this
	Limit      int
}
