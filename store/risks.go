package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/vigil-soc/vigil"
)

// The risk register and the risk assessments. The rules (scores on the
// scale, acceptance, who approves) are the domain's (risk.go); the store
// writes rows, their control links and activity entries.

const riskSelect = `SELECT r.id, r.risk_key, r.library_id, r.title, r.description, r.category, r.asset, r.threat, r.vulnerability,
	COALESCE(r.owner_id, 0), COALESCE(o.name, ''), COALESCE(o.disabled, {{false}}), r.likelihood, r.impact, r.residual_likelihood, r.residual_impact,
	r.treatment, r.treatment_plan, r.review_date, COALESCE(r.approver_id, 0), COALESCE(a.name, ''), r.acceptance_expires, r.acceptance_note,
	r.accepted_at, r.created_at, r.updated_at, r.quant_frequency, r.loss_low, r.loss_likely, r.loss_high
	FROM risks r LEFT JOIN users o ON o.id = r.owner_id LEFT JOIN users a ON a.id = r.approver_id`

func scanRisk(r scanner) (vigil.Risk, error) {
	var x vigil.Risk
	var cat, treat, review, exp string
	var accepted, created, updated dbTime
	var q vigil.LossEstimate
	err := r.Scan(&x.ID, &x.Key, &x.LibraryID, &x.Title, &x.Description, &cat, &x.Asset, &x.Threat, &x.Vulnerability,
		&x.OwnerID, &x.OwnerName, &x.OwnerDisabled, &x.Likelihood, &x.Impact, &x.ResidualLikelihood, &x.ResidualImpact,
		&treat, &x.TreatmentPlan, &review, &x.ApproverID, &x.ApproverName, &exp, &x.AcceptanceNote, &accepted, &created, &updated,
		&q.Frequency, &q.LossLow, &q.LossLikely, &q.LossHigh)
	if q.Frequency > 0 {
		x.Quant = &q
	}
	x.Category, x.Treatment, x.ReviewDate, x.AcceptanceExpires = vigil.RiskCategory(cat), vigil.RiskTreatment(treat), vigil.Date(review), vigil.Date(exp)
	x.AcceptedAt, x.CreatedAt, x.UpdatedAt, x.Controls = accepted.ptr(), created.T, updated.T, []string{}
	return x, err
}

// checkRiskRefs turns the owner, approver and controls a risk names into
// errors naming the field when they do not exist.
func (t *wtx) checkRiskRefs(ctx context.Context, r *vigil.Risk) error {
	for _, u := range []struct {
		field string
		id    int64
	}{{"owner_id", r.OwnerID}, {"approver_id", r.ApproverID}} {
		if u.id == 0 {
			continue
		}
		var disabled bool
		if err := t.queryRow(ctx, "SELECT disabled FROM users WHERE id = ?", u.id).Scan(&disabled); errors.Is(err, sql.ErrNoRows) {
			return vigil.FieldError(u.field, "user %d does not exist", u.id)
		} else if err != nil {
			return internal("read user", err)
		}
		if disabled {
			return vigil.FieldError(u.field, "user %d is disabled", u.id)
		}
	}
	for _, c := range r.Controls {
		var n int
		if err := t.queryRow(ctx, "SELECT count(*) FROM controls WHERE id = ?", c).Scan(&n); err != nil {
			return internal("read control", err)
		}
		if n == 0 {
			return vigil.FieldError("controls", "control %s is not one of the organization's controls: adopt it first", c)
		}
	}
	return nil
}

func (t *wtx) setRiskControls(ctx context.Context, id int64, ctls []string) error {
	if _, err := t.exec(ctx, "DELETE FROM risk_controls WHERE risk_id = ?", id); err != nil {
		return internal("unlink controls", err)
	}
	for _, c := range ctls {
		if _, err := t.exec(ctx, "INSERT INTO risk_controls (risk_id, control_id) VALUES (?, ?)", id, c); err != nil {
			return internal("link control", err)
		}
	}
	return nil
}

// quantOf is the estimate as stored: zeros for none.
func quantOf(r *vigil.Risk) vigil.LossEstimate {
	if r.Quant == nil {
		return vigil.LossEstimate{}
	}
	return *r.Quant
}

func riskLog(r *vigil.Risk) map[string]any {
	return map[string]any{"key": r.Key, "title": r.Title, "category": r.Category, "owner_id": r.OwnerID, "likelihood": r.Likelihood, "impact": r.Impact,
		"residual_likelihood": r.ResidualLikelihood, "residual_impact": r.ResidualImpact, "treatment": r.Treatment, "review_date": r.ReviewDate,
		"controls": r.Controls, "approver_id": r.ApproverID, "acceptance_expires": r.AcceptanceExpires, "accepted": r.AcceptedAt != nil, "quant": r.Quant}
}

// CreateRisks validates and stores risks in one transaction, each with the
// next key (RISK-001, ...): all of them, or none.
func (s *Store) CreateRisks(ctx context.Context, rs []*vigil.Risk) error {
	for i, r := range rs {
		if err := r.Validate(vigil.DefaultRiskScale); err != nil {
			if len(rs) > 1 {
				return vigil.FieldError(vigil.ErrorField(err), "risk %d (%s): %s", i+1, r.Title, vigil.ErrorMessage(err))
			}
			return err
		}
		if r.Treatment == vigil.TreatAccept {
			return vigil.FieldError("treatment", "a risk is accepted through an acceptance request, which names its approver and expiry")
		}
	}
	return s.write(ctx, func(t *wtx) error {
		var n int64
		if err := t.queryRow(ctx, "SELECT count(*) FROM risks").Scan(&n); err != nil {
			return internal("count risks", err)
		}
		for _, r := range rs {
			if err := t.checkRiskRefs(ctx, r); err != nil {
				return err
			}
			n++
			r.Key, r.CreatedAt, r.UpdatedAt = fmt.Sprintf("RISK-%03d", n), t.now, t.now
			q := quantOf(r)
			if err := t.queryRow(ctx, `INSERT INTO risks (risk_key, library_id, title, description, category, asset, threat, vulnerability, owner_id,
				likelihood, impact, residual_likelihood, residual_impact, treatment, treatment_plan, review_date, created_at, updated_at,
				quant_frequency, loss_low, loss_likely, loss_high)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, r.Key, r.LibraryID, r.Title, r.Description, string(r.Category),
				r.Asset, r.Threat, r.Vulnerability, nullID(r.OwnerID), r.Likelihood, r.Impact, r.ResidualLikelihood, r.ResidualImpact,
				string(r.Treatment), r.TreatmentPlan, string(r.ReviewDate), t.d.ts(t.now), t.d.ts(t.now), q.Frequency, q.LossLow, q.LossLikely, q.LossHigh).Scan(&r.ID); err != nil {
				return internal("create risk", err)
			}
			if err := t.setRiskControls(ctx, r.ID, r.Controls); err != nil {
				return err
			}
			if err := t.log(ctx, "risk.create", "risk", r.Key, nil, riskLog(r)); err != nil {
				return err
			}
		}
		return nil
	})
}

// riskControls maps risk IDs to their linked controls (all risks when id 0).
func riskControls(ctx context.Context, q func(context.Context, string, ...any) (*sql.Rows, error), id int64) (map[int64][]string, error) {
	sq, args := "SELECT risk_id, control_id FROM risk_controls", []any{}
	if id != 0 {
		sq, args = sq+" WHERE risk_id = ?", append(args, id)
	}
	rows, err := q(ctx, sq+" ORDER BY risk_id, control_id", args...)
	if err != nil {
		return nil, internal("list risk controls", err)
	}
	defer rows.Close()
	out := map[int64][]string{}
	for rows.Next() {
		var rid int64
		var c string
		if err := rows.Scan(&rid, &c); err != nil {
			return nil, internal("scan risk control", err)
		}
		out[rid] = append(out[rid], c)
	}
	return out, internal2("list risk controls", rows.Err())
}

// Risk reads one risk with its controls.
func (s *Store) Risk(ctx context.Context, id int64) (*vigil.Risk, error) {
	r, err := scanRisk(s.queryRow(ctx, s.d.types.Replace(riskSelect)+" WHERE r.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("risk", id)
	}
	if err != nil {
		return nil, internal("read risk", err)
	}
	cs, err := riskControls(ctx, s.query, id)
	if err != nil {
		return nil, err
	}
	if len(cs[id]) > 0 {
		r.Controls = cs[id]
	}
	return &r, nil
}

// Risks lists the register by key, each risk with its controls.
func (s *Store) Risks(ctx context.Context) ([]vigil.Risk, error) {
	rows, err := s.query(ctx, s.d.types.Replace(riskSelect)+" ORDER BY r.id")
	if err != nil {
		return nil, internal("list risks", err)
	}
	rs, err := scanRows(rows, "list risks", "scan risk", scanRisk)
	if err != nil {
		return nil, err
	}
	cs, err := riskControls(ctx, s.query, 0)
	if err != nil {
		return nil, err
	}
	for i := range rs {
		if c := cs[rs[i].ID]; len(c) > 0 {
			rs[i].Controls = c
		}
	}
	return rs, nil
}

// UpdateRisk changes one risk: change, a domain function, gets the risk
// as locked in the transaction and changes it (applying and validating
// the patch, or approving), so the rules see what is written.
func (s *Store) UpdateRisk(ctx context.Context, id int64, action string, change func(r *vigil.Risk, now time.Time) error) (*vigil.Risk, error) {
	var out *vigil.Risk
	err := s.write(ctx, func(t *wtx) error {
		// Writers are serialised (store.write), so the row read here is the
		// row written.
		r, err := scanRisk(t.queryRow(ctx, t.d.types.Replace(riskSelect)+" WHERE r.id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return vigil.NotFound("risk", id)
		}
		if err != nil {
			return internal("read risk", err)
		}
		cs, err := riskControls(ctx, t.query, id)
		if err != nil {
			return err
		}
		if len(cs[id]) > 0 {
			r.Controls = cs[id]
		}
		before := riskLog(&r)
		after := r
		after.Controls = append([]string{}, r.Controls...)
		if err := change(&after, t.now); err != nil {
			return err
		}
		if err := t.checkRiskRefs(ctx, &after); err != nil {
			return err
		}
		after.UpdatedAt = t.now
		q := quantOf(&after)
		if _, err := t.exec(ctx, `UPDATE risks SET title = ?, description = ?, category = ?, asset = ?, threat = ?, vulnerability = ?, owner_id = ?,
			likelihood = ?, impact = ?, residual_likelihood = ?, residual_impact = ?, treatment = ?, treatment_plan = ?, review_date = ?,
			approver_id = ?, acceptance_expires = ?, acceptance_note = ?, accepted_at = ?, updated_at = ?,
			quant_frequency = ?, loss_low = ?, loss_likely = ?, loss_high = ? WHERE id = ?`,
			after.Title, after.Description, string(after.Category), after.Asset, after.Threat, after.Vulnerability, nullID(after.OwnerID),
			after.Likelihood, after.Impact, after.ResidualLikelihood, after.ResidualImpact, string(after.Treatment), after.TreatmentPlan,
			string(after.ReviewDate), nullID(after.ApproverID), string(after.AcceptanceExpires), after.AcceptanceNote, t.d.tsp(after.AcceptedAt),
			t.d.ts(t.now), q.Frequency, q.LossLow, q.LossLikely, q.LossHigh, id); err != nil {
			return internal("update risk", err)
		}
		if err := t.setRiskControls(ctx, id, after.Controls); err != nil {
			return err
		}
		out = &after
		return t.log(ctx, action, "risk", r.Key, before, riskLog(&after))
	})
	if err != nil {
		return nil, err
	}
	// Names of a new owner or approver.
	return s.Risk(ctx, out.ID)
}

const assessmentCols = `a.id, a.assessment_key, a.performed_on, a.method, a.participants, a.months, a.next_due, a.register, COALESCE(a.created_by, 0),
	a.created_at, COALESCE(a.signed_by, 0), COALESCE(u.name, ''), a.signed_at, COALESCE(a.evidence_id, 0)`

func scanAssessment(r scanner) (vigil.RiskAssessment, error) {
	var a vigil.RiskAssessment
	var on, due, parts, reg string
	var created, signed dbTime
	if err := r.Scan(&a.ID, &a.Key, &on, &a.Method, &parts, &a.Months, &due, &reg, &a.CreatedBy, &created, &a.SignedBy, &a.SignedByName, &signed, &a.EvidenceID); err != nil {
		return a, err
	}
	a.PerformedOn, a.NextDue, a.CreatedAt, a.SignedAt = vigil.Date(on), vigil.Date(due), created.T, signed.ptr()
	if err := json.Unmarshal([]byte(parts), &a.Participants); err != nil {
		return a, err
	}
	return a, json.Unmarshal([]byte(reg), &a.Register)
}

// AddRiskAssessment stores an assessment (validated by the caller, its
// register snapshot taken) with the next key of its year: RA-2026-1.
func (s *Store) AddRiskAssessment(ctx context.Context, a *vigil.RiskAssessment) error {
	parts, _ := json.Marshal(a.Participants)
	reg, err := json.Marshal(a.Register)
	if err != nil {
		return internal("encode register", err)
	}
	return s.write(ctx, func(t *wtx) error {
		year := string(a.PerformedOn)[:4]
		var n int
		if err := t.queryRow(ctx, "SELECT count(*) FROM risk_assessments WHERE assessment_key LIKE ?", "RA-"+year+"-%").Scan(&n); err != nil {
			return internal("count assessments", err)
		}
		a.Key, a.CreatedAt, a.CreatedBy = fmt.Sprintf("RA-%s-%d", year, n+1), t.now, t.actor.UserID
		if err := t.queryRow(ctx, `INSERT INTO risk_assessments (assessment_key, performed_on, method, participants, months, next_due, register, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, a.Key, string(a.PerformedOn), a.Method, string(parts), a.Months, string(a.NextDue),
			string(reg), nullID(a.CreatedBy), t.d.ts(t.now)).Scan(&a.ID); err != nil {
			return internal("add risk assessment", err)
		}
		return t.log(ctx, "risk.assessment.run", "risk_assessment", a.Key, nil,
			map[string]any{"performed_on": a.PerformedOn, "method": a.Method, "participants": a.Participants, "risks": len(a.Register), "next_due": a.NextDue})
	})
}

// RiskAssessment reads one assessment.
func (s *Store) RiskAssessment(ctx context.Context, id int64) (*vigil.RiskAssessment, error) {
	a, err := scanAssessment(s.queryRow(ctx, "SELECT "+assessmentCols+" FROM risk_assessments a LEFT JOIN users u ON u.id = a.signed_by WHERE a.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("risk assessment", id)
	}
	if err != nil {
		return nil, internal("read risk assessment", err)
	}
	return &a, nil
}

// RiskAssessments lists every assessment, oldest first.
func (s *Store) RiskAssessments(ctx context.Context) ([]vigil.RiskAssessment, error) {
	rows, err := s.query(ctx, "SELECT "+assessmentCols+" FROM risk_assessments a LEFT JOIN users u ON u.id = a.signed_by ORDER BY a.performed_on, a.id")
	if err != nil {
		return nil, internal("list risk assessments", err)
	}
	return scanRows(rows, "list risk assessments", "scan risk assessment", scanAssessment)
}

// SignRiskAssessment records the sign-off of an unsigned assessment and
// the ledger item it was sealed into.
func (s *Store) SignRiskAssessment(ctx context.Context, id int64, at time.Time, evidenceID int64) error {
	return s.write(ctx, func(t *wtx) error {
		if t.actor.UserID == 0 {
			return vigil.Errorf(vigil.EFORBIDDEN, "an assessment is signed by a person")
		}
		res, err := t.exec(ctx, "UPDATE risk_assessments SET signed_by = ?, signed_at = ?, evidence_id = ? WHERE id = ? AND signed_at IS NULL",
			t.actor.UserID, t.d.ts(at), evidenceID, id)
		if err != nil {
			if isForeignKey(err) {
				return vigil.FieldError("evidence_id", "evidence item %d does not exist", evidenceID)
			}
			return internal("sign risk assessment", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return vigil.Errorf(vigil.ECONFLICT, "risk assessment %d does not exist or is already signed", id)
		}
		return t.log(ctx, "risk.assessment.sign", "risk_assessment", strconv.FormatInt(id, 10), nil, map[string]any{"evidence_id": evidenceID, "signed_at": at})
	})
}
