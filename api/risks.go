package api

import "github.com/vigil-soc/vigil"

// RiskRequest adds a risk to the register. Likelihood and impact are on
// the scale (1 to 5); residual scores are optional (0: not scored yet).
// A risk is accepted through an AcceptanceRequest, not here.
type RiskRequest struct {
	Title              string              `json:"title"`
	Description        string              `json:"description,omitempty"`
	Category           vigil.RiskCategory  `json:"category,omitempty"` // default security
	Asset              string              `json:"asset,omitempty"`
	Threat             string              `json:"threat,omitempty"`
	Vulnerability      string              `json:"vulnerability,omitempty"`
	OwnerID            int64               `json:"owner_id,omitempty"`
	Likelihood         int                 `json:"likelihood"`
	Impact             int                 `json:"impact"`
	ResidualLikelihood int                 `json:"residual_likelihood,omitempty"`
	ResidualImpact     int                 `json:"residual_impact,omitempty"`
	Treatment          vigil.RiskTreatment `json:"treatment,omitempty"`
	TreatmentPlan      string              `json:"treatment_plan,omitempty"`
	ReviewDate         vigil.Date          `json:"review_date,omitempty"`
	Controls           []string            `json:"controls,omitempty"`
}

// RiskLibraryRequest starts register entries from library risks.
type RiskLibraryRequest struct {
	IDs     []string `json:"ids"`                // library ids, e.g. LR-18
	OwnerID int64    `json:"owner_id,omitempty"` // who owns them (0: nobody yet)
}

// RiskLibrary is Vigil's library of common risks and the scale.
type RiskLibrary struct {
	Items []vigil.LibraryRisk `json:"items"`
	Scale vigil.RiskScale     `json:"scale"`
}

// AcceptanceRequest accepts a risk, pending the approval of someone other
// than its owner, until an expiry.
type AcceptanceRequest struct {
	ApproverID int64      `json:"approver_id"`
	Expires    vigil.Date `json:"acceptance_expires"`
	Note       string     `json:"note,omitempty"`
}

// RiskAssessmentRequest runs the annual risk assessment: the register as
// it stands is recorded with the participants and the method.
type RiskAssessmentRequest struct {
	PerformedOn  vigil.Date `json:"performed_on,omitempty"` // default today
	Method       string     `json:"method"`
	Participants []string   `json:"participants"`
	Months       int        `json:"months,omitempty"` // until the next is due; default 12
}

// RiskAssessments lists the assessments with the trend between them.
type RiskAssessments struct {
	Items []vigil.RiskAssessment  `json:"items"`
	Trend []vigil.AssessmentTrend `json:"trend"`
}
