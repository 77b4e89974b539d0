package vigil

// ControlFilter selects controls. Zero fields match everything.
type ControlFilter struct {
	Status    ControlStatus
	OwnerID   int64 // -1 selects controls without an owner
	Domain    string
	Criterion string
	Search    string // in ID, title and description, case-insensitive
	After     string // cursor: controls with an ID after this
	Limit     int    // 0 for all
}

// ControlPatch changes some of a control's fields; nil fields stay.
type ControlPatch struct {
	Title         *string        `json:"title"`
	Description   *string        `json:"description"`
	OwnerID       *int64         `json:"owner_id"` // 0 clears the owner
	Frequency     *Frequency     `json:"frequency"`
	Evidence      *string        `json:"evidence"`
	Status        *ControlStatus `json:"status"`
	Justification *string        `json:"justification"`
	Criteria      *[]string      `json:"criteria"`
}

// Apply returns c changed by the patch, sharing nothing with c. Leaving
// not-applicable drops the justification unless a new one was sent (which
// Validate then rejects).
func (p ControlPatch) Apply(c *Control) Control {
	after := *c
	after.Criteria = append([]string(nil), c.Criteria...)
	set(&after.Title, p.Title)
	set(&after.Description, p.Description)
	set(&after.Evidence, p.Evidence)
	set(&after.Justification, p.Justification)
	set(&after.OwnerID, p.OwnerID)
	set(&after.Frequency, p.Frequency)
	if p.Status != nil {
		after.Status = *p.Status
		if after.Status != StatusNotApplicable && p.Justification == nil {
			after.Justification = ""
		}
	}
	if p.Criteria != nil {
		after.Criteria = append([]string(nil), *p.Criteria...)
	}
	return after
}

// RequestPatch changes some of a request's fields; nil fields stay. The
// schedule (frequency and start) is not patchable: periods already judged
// would move under the evidence that answered them. Retire the request
// and make another instead.
type RequestPatch struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
	GraceDays   *int    `json:"grace_days"`
	AssigneeID  *int64  `json:"assignee_id"` // 0: whoever owns the control
}

// Apply changes r by the patch. It refuses a negative assignee; whether a
// named assignee exists and may be one is for the store to check.
func (p *RequestPatch) Apply(r *EvidenceRequest) error {
	set(&r.Title, p.Title)
	set(&r.Description, p.Description)
	set(&r.GraceDays, p.GraceDays)
	if p.AssigneeID != nil {
		if *p.AssigneeID < 0 {
			return FieldError("assignee_id", "assignee_id must be a user id, or 0 for the control's owner")
		}
		r.AssigneeID = *p.AssigneeID
	}
	return nil
}

// set copies *src to *dst when a patch gives src.
func set[T any](dst, src *T) {
	if src != nil {
		*dst = *src
	}
}
