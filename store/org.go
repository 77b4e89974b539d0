package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/vigil-soc/vigil"
)

// Organization returns the organization profile, ENOTFOUND before setup.
func (s *Store) Organization(ctx context.Context) (*vigil.Organization, error) {
	return getOrg(ctx, s.queryRow)
}

func getOrg(ctx context.Context, qr func(context.Context, string, ...any) *sql.Row) (*vigil.Organization, error) {
	var o vigil.Organization
	var c, u dbTime
	err := qr(ctx, "SELECT name, legal_name, website, description, created_at, updated_at FROM organization WHERE id = 1").
		Scan(&o.Name, &o.LegalName, &o.Website, &o.Description, &c, &u)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.Errorf(vigil.ENOTFOUND, "the organization has not been set up yet")
	}
	if err != nil {
		return nil, internal("read organization", err)
	}
	o.CreatedAt, o.UpdatedAt = c.T, u.T
	return &o, nil
}

// UpdateOrganization replaces the profile.
func (s *Store) UpdateOrganization(ctx context.Context, o *vigil.Organization) error {
	if err := o.Validate(); err != nil {
		return err
	}
	return s.write(ctx, func(t *wtx) error {
		before, err := getOrg(ctx, t.queryRow)
		if err != nil {
			return err
		}
		if _, err := t.exec(ctx, "UPDATE organization SET name = ?, legal_name = ?, website = ?, description = ?, updated_at = ? WHERE id = 1",
			o.Name, o.LegalName, o.Website, o.Description, t.d.ts(t.now)); err != nil {
			return internal("update organization", err)
		}
		o.CreatedAt, o.UpdatedAt = before.CreatedAt, t.now
		return t.log(ctx, "organization.update", "organization", "1", before, o)
	})
}

// Scope returns the categories in scope and the audit target.
func (s *Store) Scope(ctx context.Context) (*vigil.Scope, error) {
	return getScope(ctx, s.queryRow)
}

func getScope(ctx context.Context, qr func(context.Context, string, ...any) *sql.Row) (*vigil.Scope, error) {
	var sc vigil.Scope
	var cats string
	var u dbTime
	err := qr(ctx, "SELECT categories, audit_type, as_of, window_start, window_end, scope_updated_at FROM organization WHERE id = 1").
		Scan(&cats, &sc.AuditType, &sc.AsOf, &sc.WindowStart, &sc.WindowEnd, &u)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.Errorf(vigil.ENOTFOUND, "the organization has not been set up yet")
	}
	if err != nil {
		return nil, internal("read scope", err)
	}
	sc.UpdatedAt = u.T
	for _, c := range strings.Split(cats, ",") {
		if c != "" {
			sc.Categories = append(sc.Categories, vigil.Category(c))
		}
	}
	return &sc, nil
}

// UpdateScope replaces the scope.
func (s *Store) UpdateScope(ctx context.Context, sc *vigil.Scope) error {
	if err := sc.Validate(); err != nil {
		return err
	}
	return s.write(ctx, func(t *wtx) error {
		before, err := getScope(ctx, t.queryRow)
		if err != nil {
			return err
		}
		cats := make([]string, len(sc.Categories))
		for i, c := range sc.Categories {
			cats[i] = string(c)
		}
		if _, err := t.exec(ctx, "UPDATE organization SET categories = ?, audit_type = ?, as_of = ?, window_start = ?, window_end = ?, scope_updated_at = ? WHERE id = 1",
			strings.Join(cats, ","), sc.AuditType, sc.AsOf, sc.WindowStart, sc.WindowEnd, t.d.ts(t.now)); err != nil {
			return internal("update scope", err)
		}
		sc.UpdatedAt = t.now
		return t.log(ctx, "scope.update", "scope", "1", before, sc)
	})
}

// EvidenceSettings returns the organization's evidence rules. Before setup
// they are the defaults: independent review on.
func (s *Store) EvidenceSettings(ctx context.Context) (*vigil.EvidenceSettings, error) {
	return getEvidenceSettings(ctx, s.queryRow)
}

func getEvidenceSettings(ctx context.Context, qr func(context.Context, string, ...any) *sql.Row) (*vigil.EvidenceSettings, error) {
	var e vigil.EvidenceSettings
	err := qr(ctx, "SELECT evidence_independent_review FROM organization WHERE id = 1").Scan(&e.IndependentReview)
	if errors.Is(err, sql.ErrNoRows) {
		return &vigil.EvidenceSettings{IndependentReview: true}, nil
	}
	if err != nil {
		return nil, internal("read evidence settings", err)
	}
	return &e, nil
}

// UpdateEvidenceSettings replaces the evidence rules, logged with the
// previous values: turning independent review off weakens a control, and
// an auditor will ask when and by whom.
func (s *Store) UpdateEvidenceSettings(ctx context.Context, e *vigil.EvidenceSettings) error {
	return s.write(ctx, func(t *wtx) error {
		before, err := getEvidenceSettings(ctx, t.queryRow)
		if err != nil {
			return err
		}
		res, err := t.exec(ctx, "UPDATE organization SET evidence_independent_review = ? WHERE id = 1", e.IndependentReview)
		if err != nil {
			return internal("update evidence settings", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return vigil.Errorf(vigil.ENOTFOUND, "the organization has not been set up yet")
		}
		if *before == *e {
			return nil
		}
		return t.log(ctx, "settings.evidence_update", "organization", "1", before, e)
	})
}
