package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"

	"github.com/vigil-soc/vigil"
)

// HR records: background checks, performance review attestations and
// signed confidentiality agreements. Rows are only inserted, never
// updated or deleted: a correction is a newer record, and the history is
// what an auditor reads.

func (t *wtx) personExists(ctx context.Context, id int64) error {
	var n int
	if err := t.queryRow(ctx, "SELECT count(*) FROM people WHERE id = ?", id).Scan(&n); err != nil {
		return internal("read person", err)
	}
	if n == 0 {
		return vigil.NotFound("person", strconv.FormatInt(id, 10))
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// AddBackgroundCheck records a completed background check.
func (s *Store) AddBackgroundCheck(ctx context.Context, b *vigil.BackgroundCheck) error {
	return s.write(ctx, func(t *wtx) error {
		if err := t.personExists(ctx, b.PersonID); err != nil {
			return err
		}
		b.At = t.now
		if err := t.queryRow(ctx, `INSERT INTO background_checks (person_id, completed_on, provider, result, evidence_id, note, recorded_by, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, b.PersonID, string(b.CompletedOn), b.Provider, string(b.Result), b.EvidenceID, b.Note,
			nullID(b.RecordedBy), t.d.ts(t.now)).Scan(&b.ID); err != nil {
			if isForeignKey(err) {
				return vigil.FieldError("evidence_id", "evidence item %d does not exist", b.EvidenceID)
			}
			return internal("add background check", err)
		}
		return t.log(ctx, "person.background_check", "person", strconv.FormatInt(b.PersonID, 10), nil, b)
	})
}

// BackgroundChecks lists background checks, of one person when personID
// is not 0, oldest first.
func (s *Store) BackgroundChecks(ctx context.Context, personID int64) ([]vigil.BackgroundCheck, error) {
	q := `SELECT id, person_id, completed_on, provider, result, evidence_id, note, COALESCE(recorded_by, 0), recorded_at FROM background_checks`
	var args []any
	if personID != 0 {
		q, args = q+" WHERE person_id = ?", append(args, personID)
	}
	rows, err := s.query(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, internal("list background checks", err)
	}
	return scanRows(rows, "list background checks", "scan background check", func(r scanner) (vigil.BackgroundCheck, error) {
		var b vigil.BackgroundCheck
		var on, res string
		var at dbTime
		err := r.Scan(&b.ID, &b.PersonID, &on, &b.Provider, &res, &b.EvidenceID, &b.Note, &b.RecordedBy, &at)
		b.CompletedOn, b.Result, b.At = vigil.Date(on), vigil.BackgroundResult(res), at.T
		return b, err
	})
}

// AddPerformanceReview records a review attestation. may is the domain's
// rule on who may attest it, called on the person as read in the
// transaction (a manager changed meanwhile is seen).
func (s *Store) AddPerformanceReview(ctx context.Context, r *vigil.PerformanceReview, may func(*vigil.Person) error) error {
	return s.write(ctx, func(t *wtx) error {
		p, err := scanPerson(t.queryRow(ctx, personSelect+" WHERE id = ?", r.PersonID))
		if errors.Is(err, sql.ErrNoRows) {
			return vigil.NotFound("person", strconv.FormatInt(r.PersonID, 10))
		} else if err != nil {
			return internal("read person", err)
		}
		if err := may(&p); err != nil {
			return err
		}
		r.At = t.now
		if err := t.queryRow(ctx, `INSERT INTO performance_reviews (person_id, period, completed_on, evidence_id, note, attested_by, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, r.PersonID, r.Period, string(r.CompletedOn), nullID(r.EvidenceID), r.Note, r.AttestedBy,
			t.d.ts(t.now)).Scan(&r.ID); err != nil {
			if isForeignKey(err) {
				return vigil.FieldError("evidence_id", "evidence item %d does not exist", r.EvidenceID)
			}
			return internal("add performance review", err)
		}
		return t.log(ctx, "person.performance_review", "person", strconv.FormatInt(r.PersonID, 10), nil, r)
	})
}

// PerformanceReviews lists review attestations, of one person when
// personID is not 0, oldest first.
func (s *Store) PerformanceReviews(ctx context.Context, personID int64) ([]vigil.PerformanceReview, error) {
	q := `SELECT r.id, r.person_id, r.period, r.completed_on, COALESCE(r.evidence_id, 0), r.note, r.attested_by, COALESCE(u.email, ''), r.recorded_at
		FROM performance_reviews r LEFT JOIN users u ON u.id = r.attested_by`
	var args []any
	if personID != 0 {
		q, args = q+" WHERE r.person_id = ?", append(args, personID)
	}
	rows, err := s.query(ctx, q+" ORDER BY r.id", args...)
	if err != nil {
		return nil, internal("list performance reviews", err)
	}
	return scanRows(rows, "list performance reviews", "scan performance review", func(sc scanner) (vigil.PerformanceReview, error) {
		var r vigil.PerformanceReview
		var on string
		var at dbTime
		err := sc.Scan(&r.ID, &r.PersonID, &r.Period, &on, &r.EvidenceID, &r.Note, &r.AttestedBy, &r.Attester, &at)
		r.CompletedOn, r.At = vigil.Date(on), at.T
		return r, err
	})
}

// AddConfidentialityAgreement records an agreement signed outside Vigil,
// with the signed document as evidence.
func (s *Store) AddConfidentialityAgreement(ctx context.Context, c *vigil.ConfidentialityAgreement) error {
	return s.write(ctx, func(t *wtx) error {
		if err := t.personExists(ctx, c.PersonID); err != nil {
			return err
		}
		c.At = t.now
		if err := t.queryRow(ctx, `INSERT INTO confidentiality_agreements (person_id, signed_at, document, sha256, evidence_id, recorded_by, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.PersonID, t.d.ts(c.SignedAt), c.Document, c.SHA256, c.EvidenceID, nullID(c.RecordedBy),
			t.d.ts(t.now)).Scan(&c.ID); err != nil {
			if isForeignKey(err) {
				return vigil.FieldError("evidence_id", "evidence item %d does not exist", c.EvidenceID)
			}
			return internal("add confidentiality agreement", err)
		}
		return t.log(ctx, "person.confidentiality_agreement", "person", strconv.FormatInt(c.PersonID, 10), nil, c)
	})
}

// ConfidentialityAgreements lists agreements signed outside Vigil, of one
// person when personID is not 0, oldest first.
func (s *Store) ConfidentialityAgreements(ctx context.Context, personID int64) ([]vigil.ConfidentialityAgreement, error) {
	q := `SELECT c.id, c.person_id, COALESCE(p.email, ''), c.signed_at, c.document, c.sha256, c.evidence_id, COALESCE(c.recorded_by, 0), c.recorded_at
		FROM confidentiality_agreements c LEFT JOIN people p ON p.id = c.person_id`
	var args []any
	if personID != 0 {
		q, args = q+" WHERE c.person_id = ?", append(args, personID)
	}
	rows, err := s.query(ctx, q+" ORDER BY c.id", args...)
	if err != nil {
		return nil, internal("list confidentiality agreements", err)
	}
	return scanRows(rows, "list confidentiality agreements", "scan confidentiality agreement", func(r scanner) (vigil.ConfidentialityAgreement, error) {
		var c vigil.ConfidentialityAgreement
		var signed, at dbTime
		err := r.Scan(&c.ID, &c.PersonID, &c.Email, &signed, &c.Document, &c.SHA256, &c.EvidenceID, &c.RecordedBy, &at)
		c.SignedAt, c.At, c.Method = signed.T, at.T, vigil.AgreementUpload
		return c, err
	})
}

// ConfidentialityPolicy is the policy people sign in Vigil as their
// confidentiality agreement (0: none designated).
func (s *Store) ConfidentialityPolicy(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	err := s.queryRow(ctx, "SELECT confidentiality_policy_id FROM hr_settings WHERE id = 1").Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, internal("read HR settings", err)
	}
	return id.Int64, nil
}

// SetConfidentialityPolicy designates the policy people sign as their
// confidentiality agreement (0: none).
func (s *Store) SetConfidentialityPolicy(ctx context.Context, policyID int64) error {
	return s.write(ctx, func(t *wtx) error {
		if policyID != 0 {
			var n int
			if err := t.queryRow(ctx, "SELECT count(*) FROM policies WHERE id = ?", policyID).Scan(&n); err != nil {
				return internal("read policy", err)
			}
			if n == 0 {
				return vigil.FieldError("policy_id", "policy %d does not exist", policyID)
			}
		}
		var before sql.NullInt64
		err := t.queryRow(ctx, "SELECT confidentiality_policy_id FROM hr_settings WHERE id = 1").Scan(&before)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return internal("read HR settings", err)
		}
		actor := vigil.ActorFrom(ctx)
		if _, err := t.exec(ctx, "DELETE FROM hr_settings WHERE id = 1"); err != nil {
			return internal("write HR settings", err)
		}
		if _, err := t.exec(ctx, "INSERT INTO hr_settings (id, confidentiality_policy_id, updated_by, updated_at) VALUES (1, ?, ?, ?)",
			nullID(policyID), nullID(actor.UserID), t.d.ts(t.now)); err != nil {
			return internal("write HR settings", err)
		}
		return t.log(ctx, "hr.confidentiality_policy", "hr_settings", "1", map[string]any{"policy_id": before.Int64}, map[string]any{"policy_id": policyID})
	})
}

// HRSeal is a month's HR record as last sealed.
type HRSeal struct {
	Kind       string // onboarding, background_checks
	Month      string // YYYY-MM
	SHA256     string
	EvidenceID int64
}

// LastHRSeal is the latest seal of kind for month (nil if none).
func (s *Store) LastHRSeal(ctx context.Context, kind, month string) (*HRSeal, error) {
	x := HRSeal{Kind: kind, Month: month}
	err := s.queryRow(ctx, "SELECT sha256, evidence_id FROM hr_seals WHERE kind = ? AND month = ? ORDER BY id DESC LIMIT 1", kind, month).
		Scan(&x.SHA256, &x.EvidenceID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, internal("read HR seal", err)
	}
	return &x, nil
}

// AddHRSeal records a sealed HR record.
func (s *Store) AddHRSeal(ctx context.Context, x HRSeal) error {
	return s.write(ctx, func(t *wtx) error {
		if _, err := t.exec(ctx, "INSERT INTO hr_seals (kind, month, sha256, evidence_id, sealed_at) VALUES (?, ?, ?, ?, ?)",
			x.Kind, x.Month, x.SHA256, x.EvidenceID, t.d.ts(t.now)); err != nil {
			return internal("add HR seal", err)
		}
		return t.log(ctx, "hr.seal", "hr_seal", x.Kind+"/"+x.Month, nil, map[string]any{"sha256": x.SHA256, "evidence_id": x.EvidenceID})
	})
}
