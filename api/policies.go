package api

import "github.com/vigil-soc/vigil"

// PolicyRequest creates a policy: its settings and the text of its first
// draft.
type PolicyRequest struct {
	Title        string   `json:"title"`
	OwnerID      int64    `json:"owner_id"`
	Approvers    []int64  `json:"approvers"`
	Quorum       int      `json:"quorum,omitempty"`        // default 1
	ReviewMonths int      `json:"review_months,omitempty"` // default 12
	Controls     []string `json:"controls,omitempty"`
	Body         string   `json:"body"` // Markdown
}

// PolicyTextRequest is a draft's new text.
type PolicyTextRequest struct {
	Body          string `json:"body"`
	ChangeSummary string `json:"change_summary,omitempty"`
}

// PolicyCommentRequest carries an approver's comment, or the reason a
// version is sent back.
type PolicyCommentRequest struct {
	Comment string `json:"comment,omitempty"`
}

// PolicyPublishRequest publishes the approved version.
type PolicyPublishRequest struct {
	EffectiveDate string `json:"effective_date,omitempty"` // YYYY-MM-DD, default today
	// Material: everyone in scope must acknowledge this version (default
	// true; the first version always is).
	Material *bool `json:"material,omitempty"`
}

// PolicyView is a policy with its review state now.
type PolicyView struct {
	vigil.Policy
	ReviewState string `json:"review_state"` // unpublished, current, due_soon, overdue, retired
	ReviewDue   string `json:"review_due,omitempty"`
}

// PolicyReviewAnswer is a "no changes" review approval and whether it
// completed the review.
type PolicyReviewAnswer struct {
	PolicyView
	Completed bool `json:"completed"`
}

// PolicyAdoptRequest makes a policy from a library template.
type PolicyAdoptRequest struct {
	Template     string  `json:"template"`
	Title        string  `json:"title,omitempty"` // default: the template's
	OwnerID      int64   `json:"owner_id"`
	Approvers    []int64 `json:"approvers"`
	Quorum       int     `json:"quorum,omitempty"`
	ReviewMonths int     `json:"review_months,omitempty"`
}

// PolicyTemplate is one template of the library, its placeholders unfilled.
type PolicyTemplate struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Summary  string   `json:"summary"`
	Category string   `json:"category"`
	Version  int      `json:"version"`
	Controls []string `json:"controls"`
	Criteria []string `json:"criteria"`
	Body     string   `json:"body"`
}

// PolicySettingsRequest changes a policy's settings; absent fields stay.
type PolicySettingsRequest struct {
	Title        *string   `json:"title,omitempty"`
	OwnerID      *int64    `json:"owner_id,omitempty"`
	Approvers    *[]int64  `json:"approvers,omitempty"`
	Quorum       *int      `json:"quorum,omitempty"`
	ReviewMonths *int      `json:"review_months,omitempty"`
	Controls     *[]string `json:"controls,omitempty"`
}

// PolicyDiff is a word-level comparison of two versions of a policy.
type PolicyDiff struct {
	From    int            `json:"from"`
	To      int            `json:"to"`
	Changes []PolicyChange `json:"changes"`
}

// PolicyChange is one run of a diff: equal, insert (only in To) or delete
// (only in From).
type PolicyChange struct {
	Op   string `json:"op"`
	Text string `json:"text"`
}

// PolicyUpload is a policy made from an existing document: the draft, and
// what the document became (its text, or a ledger item for a PDF or DOCX).
type PolicyUpload struct {
	Policy     PolicyView `json:"policy"`
	Kind       string     `json:"kind"` // markdown, text, html, pdf, docx
	EvidenceID int64      `json:"evidence_id,omitempty"`
	SHA256     string     `json:"sha256"`
}
