package api

import "github.com/vigil-soc/vigil"

// VendorRequest adds or changes a vendor (on change, every field is
// replaced).
type VendorRequest struct {
	Name          string               `json:"name"`
	Service       string               `json:"service,omitempty"`
	Purpose       string               `json:"purpose,omitempty"`
	OwnerID       int64                `json:"owner_id,omitempty"`
	DataShared    []vigil.DataCategory `json:"data_shared,omitempty"`
	Tier          vigil.VendorTier     `json:"tier,omitempty"`
	Subservice    bool                 `json:"subservice,omitempty"`
	Subprocessor  bool                 `json:"subprocessor,omitempty"`
	Location      string               `json:"location,omitempty"`
	ContractStart vigil.Date           `json:"contract_start,omitempty"`
	ContractEnd   vigil.Date           `json:"contract_end,omitempty"`
	Status        vigil.VendorStatus   `json:"status,omitempty"`
}

// VendorRow is a vendor as the inventory lists it: its review against
// the tier's cadence and its documents' worst expiry state.
type VendorRow struct {
	vigil.Vendor
	Review vigil.VendorReview `json:"review"`
	// Expiry is the worst state among the latest document of each kind:
	// expired, expiring, current, or no_expiry (also when none is on file).
	Expiry    vigil.ExpiryState `json:"expiry"`
	Documents int               `json:"documents"`
}

// DocumentView is a document with its expiry state today.
type DocumentView struct {
	vigil.VendorDocument
	Expiry     vigil.ExpiryState `json:"expiry"`
	ValidUntil vigil.Date        `json:"valid_until,omitempty"`
}

// VendorDetail is a vendor with its documents, questionnaire rounds and
// review state.
type VendorDetail struct {
	VendorRow
	DocumentList   []DocumentView        `json:"document_list"`
	Questionnaires []vigil.Questionnaire `json:"questionnaires"`
}

// QuestionnaireRequest sends a questionnaire round by link. ThreadID
// names the thread of a follow-up round.
type QuestionnaireRequest struct {
	Template string `json:"template"` // baseline or extended
	Contact  string `json:"contact"`
	Days     int    `json:"days,omitempty"` // link life, default 14
	Message  string `json:"message,omitempty"`
	ThreadID int64  `json:"thread_id,omitempty"`
}

// QuestionnaireSent is a round just sent: the link is shown once.
type QuestionnaireSent struct {
	vigil.Questionnaire
	Link string `json:"link"`
}

// VendorReviewRequest records a reviewer's conclusion.
type VendorReviewRequest struct {
	Conclusion vigil.Conclusion `json:"conclusion"`
	Note       string           `json:"note,omitempty"`
}

// CUECRequest maps a complementary user entity control to controls.
type CUECRequest struct {
	Controls []string `json:"controls"`
}

// VendorImport is the preview of a vendor list (nothing imported) or,
// confirmed by the file's SHA-256, its import.
type VendorImport struct {
	SHA256   string           `json:"sha256"`
	Vendors  []ImportedVendor `json:"vendors"`
	Errors   []vigil.RowError `json:"errors"`
	Imported int              `json:"imported"`
}

// ImportedVendor is one good row of a vendor list.
type ImportedVendor struct {
	Line int              `json:"line"`
	Name string           `json:"name"`
	Tier vigil.VendorTier `json:"tier,omitempty"`
	Gaps []string         `json:"gaps,omitempty"` // what VM-01 will name
}

// VendorSuggestions are the third-party apps connected systems listed
// that match no vendor and await a decision, with each system's last
// listing (what it could not read).
type VendorSuggestions struct {
	Suggestions []vigil.DiscoveredApp `json:"suggestions"`
	Sources     []vigil.AppCollection `json:"sources"`
}

// ConfirmSuggestionRequest adds the app as a vendor (status onboarding);
// name defaults to the app's.
type ConfirmSuggestionRequest struct {
	Name    string `json:"name,omitempty"`
	Service string `json:"service,omitempty"`
	OwnerID int64  `json:"owner_id,omitempty"`
}

// ConfirmedSuggestion is the vendor a suggestion became and the app.
type ConfirmedSuggestion struct {
	Vendor vigil.Vendor        `json:"vendor"`
	App    vigil.DiscoveredApp `json:"app"`
}
