package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/vigil-soc/vigil"
)

// Policies: the rules of a policy's life are the domain's (policy.go); the
// store loads a policy with its newest and published versions inside the
// write transaction, lets the caller apply a rule, and writes back what it
// changed with one activity entry.

const policySelect = `SELECT p.id, p.policy_key, p.title, p.template_id, p.owner_id, COALESCE(u.name, ''), p.approvers, p.quorum,
	p.review_months, p.controls, p.criteria, p.created_at, p.retired_at, p.last_reviewed_at, p.review_round
	FROM policies p LEFT JOIN users u ON u.id = p.owner_id`

const versionSelect = `SELECT policy_id, number, state, body, sha256, change_summary, material, editors, COALESCE(created_by, 0),
	created_at, submitted_at, approved_at, published_at, effective, retired_at FROM policy_versions`

func scanPolicy(r scanner) (*vigil.Policy, error) {
	var p vigil.Policy
	var approvers, controls, criteria string
	var created, retired, reviewed dbTime
	if err := r.Scan(&p.ID, &p.Key, &p.Title, &p.TemplateID, &p.OwnerID, &p.OwnerName, &approvers, &p.Quorum,
		&p.ReviewMonths, &controls, &criteria, &created, &retired, &reviewed, &p.ReviewRound); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		s   string
		dst any
	}{{approvers, &p.Approvers}, {controls, &p.Controls}, {criteria, &p.Criteria}} {
		if err := json.Unmarshal([]byte(f.s), f.dst); err != nil {
			return nil, fmt.Errorf("policy %d: %w", p.ID, err)
		}
	}
	p.CreatedAt, p.RetiredAt, p.LastReviewedAt = created.T, retired.ptr(), reviewed.ptr()
	return &p, nil
}

func scanVersion(r scanner) (*vigil.PolicyVersion, error) {
	var v vigil.PolicyVersion
	var state, editors string
	var created, submitted, approved, published, retired dbTime
	if err := r.Scan(&v.PolicyID, &v.Number, &state, &v.Body, &v.SHA256, &v.ChangeSummary, &v.Material, &editors, &v.CreatedBy,
		&created, &submitted, &approved, &published, &v.Effective, &retired); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(editors), &v.Editors); err != nil {
		return nil, fmt.Errorf("policy %d version %d: %w", v.PolicyID, v.Number, err)
	}
	v.State = vigil.PolicyState(state)
	v.CreatedAt, v.SubmittedAt, v.ApprovedAt, v.PublishedAt, v.RetiredAt = created.T, submitted.ptr(), approved.ptr(), published.ptr(), retired.ptr()
	v.Approvals = []vigil.PolicyApproval{}
	return &v, nil
}

// reader is what both a write transaction and the store read through.
type reader interface {
	queryRow(ctx context.Context, q string, args ...any) *sql.Row
	query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// loadPolicy reads a policy with its published and newest versions and
// their approvals.
func loadPolicy(ctx context.Context, r reader, id int64) (*vigil.Policy, error) {
	p, err := scanPolicy(r.queryRow(ctx, policySelect+" WHERE p.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("policy", id)
	}
	if err != nil {
		return nil, internal("read policy", err)
	}
	if p.Latest, err = loadVersion(ctx, r, versionSelect+" WHERE policy_id = ? ORDER BY number DESC LIMIT 1", id); err != nil {
		return nil, err
	}
	if p.Published, err = loadVersion(ctx, r, versionSelect+" WHERE policy_id = ? AND state = 'published'", id); err != nil {
		return nil, err
	}
	if p.Published != nil && p.Latest != nil && p.Published.Number == p.Latest.Number {
		p.Published = p.Latest // one value, so a rule changing one changes both
	}
	return p, nil
}

// loadVersion reads one version (nil when the query finds none) with its
// approvals.
func loadVersion(ctx context.Context, r reader, q string, args ...any) (*vigil.PolicyVersion, error) {
	v, err := scanVersion(r.queryRow(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, internal("read policy version", err)
	}
	rows, err := r.query(ctx, `SELECT a.user_id, COALESCE(u.name, ''), a.review, a.at, a.comment FROM policy_approvals a
		LEFT JOIN users u ON u.id = a.user_id WHERE a.policy_id = ? AND a.number = ? ORDER BY a.review, a.at, a.user_id`, v.PolicyID, v.Number)
	if err != nil {
		return nil, internal("read policy approvals", err)
	}
	v.Approvals, err = scanRows(rows, "read policy approvals", "scan policy approval", func(r scanner) (vigil.PolicyApproval, error) {
		var a vigil.PolicyApproval
		var at dbTime
		err := r.Scan(&a.UserID, &a.Name, &a.Review, &at, &a.Comment)
		a.At = at.T
		return a, err
	})
	return v, err
}

// policyApprover reports whether a user may approve policies: active and
// in a role that writes.
func policyApprover(ctx context.Context, t *wtx) func(int64) bool {
	return func(id int64) bool {
		var role string
		var disabled bool
		if err := t.queryRow(ctx, "SELECT role, disabled FROM users WHERE id = ?", id).Scan(&role, &disabled); err != nil {
			return false
		}
		r := vigil.Role(role)
		return !disabled && (r.Can(vigil.PermManage) || r.Can(vigil.PermEditOwnControl))
	}
}

// policyLog is what the activity log keeps of a policy: its settings and,
// for each version it shows, the state and the hash of the text (the text
// itself is in the version, fixed once submitted).
func policyLog(p *vigil.Policy) map[string]any {
	m := map[string]any{"key": p.Key, "title": p.Title, "owner_id": p.OwnerID, "approvers": p.Approvers, "quorum": p.Quorum,
		"review_months": p.ReviewMonths, "controls": p.Controls}
	if p.RetiredAt != nil {
		m["retired_at"] = *p.RetiredAt
	}
	if p.LastReviewedAt != nil {
		m["last_reviewed_at"] = *p.LastReviewedAt
	}
	for name, v := range map[string]*vigil.PolicyVersion{"latest": p.Latest, "published": p.Published} {
		if v != nil {
			a := map[string]any{"number": v.Number, "state": v.State, "sha256": v.SHA256}
			var by []int64
			for _, ap := range v.Approvals {
				by = append(by, ap.UserID)
			}
			if len(by) > 0 {
				a["approved_by"] = by
			}
			m[name] = a
		}
	}
	return m
}

// CreatePolicy stores a new policy (its settings checked here, against the
// users as they are in this transaction) with its first version as a
// draft written by the actor.
func (s *Store) CreatePolicy(ctx context.Context, p *vigil.Policy, body string) error {
	return s.write(ctx, func(t *wtx) error {
		if err := p.Validate(policyApprover(ctx, t)); err != nil {
			return err
		}
		if !policyApprover(ctx, t)(p.OwnerID) {
			return vigil.FieldError("owner_id", "user %d cannot own a policy (unknown, disabled, or a role that writes nothing)", p.OwnerID)
		}
		var n int64
		if err := t.queryRow(ctx, "SELECT count(*) FROM policies").Scan(&n); err != nil {
			return internal("count policies", err)
		}
		p.Key, p.CreatedAt, p.ReviewRound = fmt.Sprintf("POL-%03d", n+1), t.now, 1
		p.RetiredAt, p.LastReviewedAt = nil, nil
		approvers, _ := json.Marshal(p.Approvers)
		controls, _ := json.Marshal(nonNil(p.Controls))
		criteria, _ := json.Marshal(nonNil(p.Criteria))
		if err := t.queryRow(ctx, `INSERT INTO policies (policy_key, title, template_id, owner_id, approvers, quorum, review_months, controls, criteria, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, p.Key, p.Title, p.TemplateID, p.OwnerID, string(approvers), p.Quorum,
			p.ReviewMonths, string(controls), string(criteria), t.d.ts(t.now)).Scan(&p.ID); err != nil {
			return internal("create policy", err)
		}
		v := &vigil.PolicyVersion{PolicyID: p.ID, Number: 1, State: vigil.PolicyDraft, CreatedBy: t.actor.UserID, CreatedAt: t.now, Material: true}
		if err := v.Edit(t.actor.UserID, body, "first version"); err != nil {
			return err
		}
		if err := t.insertVersion(ctx, v); err != nil {
			return err
		}
		p.Latest, p.Published = v, nil
		return t.log(ctx, "policy.create", "policy", strconv.FormatInt(p.ID, 10), nil, policyLog(p))
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (t *wtx) insertVersion(ctx context.Context, v *vigil.PolicyVersion) error {
	editors, _ := json.Marshal(v.Editors)
	var by any
	if v.CreatedBy != 0 {
		by = v.CreatedBy
	}
	_, err := t.exec(ctx, `INSERT INTO policy_versions (policy_id, number, state, body, sha256, change_summary, material, editors, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, v.PolicyID, v.Number, string(v.State), v.Body, v.SHA256, v.ChangeSummary, v.Material,
		string(editors), by, t.d.ts(v.CreatedAt))
	return internal2("add policy version", err)
}

// PolicyChange is a rule applied to a policy inside the transaction that
// writes it: it may change the policy's settings, its newest version (or
// set a new one, numbered next), and the published version.
type PolicyChange func(p *vigil.Policy, now time.Time) error

// ChangePolicy loads policy id in a write transaction, applies change and
// writes back whatever it changed, logged as action. Writes are
// serialised, so two approvals at once are counted one after the other
// and a quorum is never reached twice.
func (s *Store) ChangePolicy(ctx context.Context, id int64, action string, change PolicyChange) (*vigil.Policy, error) {
	var out *vigil.Policy
	err := s.write(ctx, func(t *wtx) error {
		p, err := loadPolicy(ctx, t, id)
		if err != nil {
			return err
		}
		before := policyLog(p)
		prevLatest := 0
		if p.Latest != nil {
			prevLatest = p.Latest.Number
		}
		prevPublished := p.Published
		if err := change(p, t.now); err != nil {
			return err
		}
		if err := p.Validate(policyApprover(ctx, t)); err != nil {
			return err
		}
		approvers, _ := json.Marshal(p.Approvers)
		controls, _ := json.Marshal(nonNil(p.Controls))
		if _, err := t.exec(ctx, `UPDATE policies SET title = ?, owner_id = ?, approvers = ?, quorum = ?, review_months = ?, controls = ?,
			retired_at = ?, last_reviewed_at = ?, review_round = ? WHERE id = ?`, p.Title, p.OwnerID, string(approvers), p.Quorum, p.ReviewMonths,
			string(controls), t.d.tsp(p.RetiredAt), t.d.tsp(p.LastReviewedAt), p.ReviewRound, id); err != nil {
			return internal("update policy", err)
		}
		seen := map[int]bool{}
		for _, v := range []*vigil.PolicyVersion{p.Latest, p.Published, prevPublished} {
			if v == nil || seen[v.Number] {
				continue
			}
			seen[v.Number] = true
			if v.PolicyID != id {
				return vigil.Errorf(vigil.EINTERNAL, "policy %d: a version of policy %d", id, v.PolicyID)
			}
			if v.Number > prevLatest {
				if v.Number != prevLatest+1 {
					return vigil.Errorf(vigil.EINTERNAL, "policy %d: version %d after %d", id, v.Number, prevLatest)
				}
				if err := t.insertVersion(ctx, v); err != nil {
					return err
				}
			}
			if err := t.updateVersion(ctx, v); err != nil {
				return err
			}
		}
		out = p
		after := policyLog(p)
		if reflect.DeepEqual(before, after) {
			return nil // nothing changed that the log keeps: nothing to record
		}
		return t.log(ctx, action, "policy", strconv.FormatInt(id, 10), before, after)
	})
	return out, err
}

// updateVersion writes a version's state and, while it is a draft, its
// text; its approvals are replaced by the ones it holds.
func (t *wtx) updateVersion(ctx context.Context, v *vigil.PolicyVersion) error {
	editors, _ := json.Marshal(v.Editors)
	// The text of a version past draft is never rewritten, whatever the
	// caller holds: the WHERE keeps it.
	if _, err := t.exec(ctx, `UPDATE policy_versions SET body = ?, sha256 = ?, change_summary = ?, editors = ?
		WHERE policy_id = ? AND number = ? AND state = 'draft'`, v.Body, v.SHA256, v.ChangeSummary, string(editors), v.PolicyID, v.Number); err != nil {
		return internal("update policy version", err)
	}
	if _, err := t.exec(ctx, `UPDATE policy_versions SET state = ?, material = ?, submitted_at = ?, approved_at = ?, published_at = ?, effective = ?, retired_at = ?
		WHERE policy_id = ? AND number = ?`, string(v.State), v.Material, t.d.tsp(v.SubmittedAt), t.d.tsp(v.ApprovedAt), t.d.tsp(v.PublishedAt),
		v.Effective, t.d.tsp(v.RetiredAt), v.PolicyID, v.Number); err != nil {
		return internal("update policy version", err)
	}
	if _, err := t.exec(ctx, "DELETE FROM policy_approvals WHERE policy_id = ? AND number = ?", v.PolicyID, v.Number); err != nil {
		return internal("update policy approvals", err)
	}
	for _, a := range v.Approvals {
		if _, err := t.exec(ctx, "INSERT INTO policy_approvals (policy_id, number, user_id, review, at, comment) VALUES (?, ?, ?, ?, ?, ?)",
			v.PolicyID, v.Number, a.UserID, a.Review, t.d.ts(a.At), a.Comment); err != nil {
			return internal("add policy approval", err)
		}
	}
	return nil
}

// Policy reads one policy with its published and newest versions.
func (s *Store) Policy(ctx context.Context, id int64) (*vigil.Policy, error) {
	return loadPolicy(ctx, s, id)
}

// Policies lists every policy by key, with their published and newest
// versions.
func (s *Store) Policies(ctx context.Context) ([]vigil.Policy, error) {
	rows, err := s.query(ctx, "SELECT id FROM policies ORDER BY id")
	if err != nil {
		return nil, internal("list policies", err)
	}
	ids, err := scanRows(rows, "list policies", "scan policy id", func(r scanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	if err != nil {
		return nil, err
	}
	out := make([]vigil.Policy, 0, len(ids))
	for _, id := range ids {
		p, err := loadPolicy(ctx, s, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, nil
}

// PolicyVersion reads one version of a policy with its approvals.
func (s *Store) PolicyVersion(ctx context.Context, id int64, number int) (*vigil.PolicyVersion, error) {
	v, err := loadVersion(ctx, s, versionSelect+" WHERE policy_id = ? AND number = ?", id, number)
	if err == nil && v == nil {
		return nil, vigil.NotFound("policy version", fmt.Sprintf("%d/%d", id, number))
	}
	return v, err
}

// PolicySeal is the evidence item a publication (review 0) or a completed
// review round was sealed as.
type PolicySeal struct {
	PolicyID   int64
	Number     int
	Review     int
	EvidenceID int64
}

// PolicySeals lists every seal.
func (s *Store) PolicySeals(ctx context.Context) ([]PolicySeal, error) {
	rows, err := s.query(ctx, "SELECT policy_id, number, review, evidence_id FROM policy_seals ORDER BY policy_id, number, review")
	if err != nil {
		return nil, internal("list policy seals", err)
	}
	return scanRows(rows, "list policy seals", "scan policy seal", func(r scanner) (PolicySeal, error) {
		var x PolicySeal
		return x, r.Scan(&x.PolicyID, &x.Number, &x.Review, &x.EvidenceID)
	})
}

// AddPolicySeal records the evidence item a publication or review was
// sealed as; a second seal of the same one is refused.
func (s *Store) AddPolicySeal(ctx context.Context, x PolicySeal) error {
	return s.write(ctx, func(t *wtx) error {
		var n int
		if err := t.queryRow(ctx, "SELECT count(*) FROM policy_seals WHERE policy_id = ? AND number = ? AND review = ?", x.PolicyID, x.Number, x.Review).Scan(&n); err != nil {
			return internal("read policy seal", err)
		}
		if n > 0 {
			return vigil.Errorf(vigil.ECONFLICT, "policy %d version %d review %d is already sealed", x.PolicyID, x.Number, x.Review)
		}
		if _, err := t.exec(ctx, "INSERT INTO policy_seals (policy_id, number, review, evidence_id) VALUES (?, ?, ?, ?)", x.PolicyID, x.Number, x.Review, x.EvidenceID); err != nil {
			return internal("add policy seal", err)
		}
		return t.log(ctx, "policy.seal", "policy", strconv.FormatInt(x.PolicyID, 10), nil,
			map[string]any{"version": x.Number, "review": x.Review, "evidence_id": x.EvidenceID})
	})
}
