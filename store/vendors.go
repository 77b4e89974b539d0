package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
)

// Vendors: the inventory, due-diligence documents and their CUECs, and
// questionnaire rounds. The rules (validation, expiry, scoring, signals)
// are the domain's (vendor.go); the store writes rows and their activity
// entries, each in one transaction.

const vendorSelect = `SELECT v.id, v.vendor_key, v.name, v.service, v.purpose, COALESCE(v.owner_id, 0), COALESCE(u.name, ''), v.data_shared, v.tier,
	v.subservice, v.subprocessor, v.location, v.contract_start, v.contract_end, v.status, v.created_at, v.updated_at
	FROM vendors v LEFT JOIN users u ON u.id = v.owner_id`

func scanVendor(r scanner) (vigil.Vendor, error) {
	var v vigil.Vendor
	var data, tier, start, end, status string
	var created, updated dbTime
	if err := r.Scan(&v.ID, &v.Key, &v.Name, &v.Service, &v.Purpose, &v.OwnerID, &v.OwnerName, &data, &tier,
		&v.Subservice, &v.Subprocessor, &v.Location, &start, &end, &status, &created, &updated); err != nil {
		return v, err
	}
	v.Tier, v.ContractStart, v.ContractEnd, v.Status = vigil.VendorTier(tier), vigil.Date(start), vigil.Date(end), vigil.VendorStatus(status)
	v.CreatedAt, v.UpdatedAt = created.T, updated.T
	if err := json.Unmarshal([]byte(data), &v.DataShared); err != nil {
		return v, fmt.Errorf("vendor %d data shared: %w", v.ID, err)
	}
	return v, nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func vendorLog(v *vigil.Vendor) map[string]any {
	return map[string]any{"key": v.Key, "name": v.Name, "service": v.Service, "owner_id": v.OwnerID, "data_shared": v.DataShared, "tier": v.Tier,
		"subservice": v.Subservice, "subprocessor": v.Subprocessor, "location": v.Location, "contract_start": v.ContractStart, "contract_end": v.ContractEnd, "status": v.Status}
}

// insertVendor stores a validated vendor inside t.
func (t *wtx) insertVendor(ctx context.Context, v *vigil.Vendor) error {
	if _, err := t.checkOwner(ctx, "owner_id", v.OwnerID); err != nil {
		return err
	}
	var n int64
	if err := t.queryRow(ctx, "SELECT count(*) FROM vendors").Scan(&n); err != nil {
		return internal("count vendors", err)
	}
	v.Key, v.CreatedAt, v.UpdatedAt = fmt.Sprintf("VND-%03d", n+1), t.now, t.now
	if v.DataShared == nil {
		v.DataShared = []vigil.DataCategory{}
	}
	err := t.queryRow(ctx, `INSERT INTO vendors (vendor_key, name, name_key, service, purpose, owner_id, data_shared, tier, subservice, subprocessor, location,
		contract_start, contract_end, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		v.Key, v.Name, strings.ToLower(v.Name), v.Service, v.Purpose, nullID(v.OwnerID), jsonText(v.DataShared), string(v.Tier), v.Subservice, v.Subprocessor,
		v.Location, string(v.ContractStart), string(v.ContractEnd), string(v.Status), t.d.ts(t.now), t.d.ts(t.now)).Scan(&v.ID)
	if isUnique(err) {
		return vigil.FieldError("name", "vendor %q is already in the inventory", v.Name)
	}
	if err != nil {
		return internal("create vendor", err)
	}
	return t.log(ctx, "vendor.create", "vendor", strconv.FormatInt(v.ID, 10), nil, vendorLog(v))
}

// CreateVendor validates and stores a vendor, giving it the next key.
func (s *Store) CreateVendor(ctx context.Context, v *vigil.Vendor) error {
	if err := v.Validate(); err != nil {
		return err
	}
	return s.write(ctx, func(t *wtx) error { return t.insertVendor(ctx, v) })
}

// ImportVendors stores every vendor of an import in one transaction: all
// of them, or none.
func (s *Store) ImportVendors(ctx context.Context, vs []vigil.Vendor) error {
	for i := range vs {
		if err := vs[i].Validate(); err != nil {
			return err
		}
	}
	return s.write(ctx, func(t *wtx) error {
		for i := range vs {
			if err := t.insertVendor(ctx, &vs[i]); err != nil {
				return fmt.Errorf("row of %s: %w", vs[i].Name, err)
			}
		}
		return nil
	})
}

// UpdateVendor applies change to the vendor as read in the transaction,
// validates and stores it.
func (s *Store) UpdateVendor(ctx context.Context, id int64, change func(*vigil.Vendor) error) (*vigil.Vendor, error) {
	var out *vigil.Vendor
	err := s.write(ctx, func(t *wtx) error {
		v, err := scanVendor(t.queryRow(ctx, vendorSelect+" WHERE v.id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return vigil.NotFound("vendor", id)
		}
		if err != nil {
			return internal("read vendor", err)
		}
		before := vendorLog(&v)
		if err := change(&v); err != nil {
			return err
		}
		if err := v.Validate(); err != nil {
			return err
		}
		if _, err := t.checkOwner(ctx, "owner_id", v.OwnerID); err != nil {
			return err
		}
		v.UpdatedAt = t.now
		_, err = t.exec(ctx, `UPDATE vendors SET name = ?, name_key = ?, service = ?, purpose = ?, owner_id = ?, data_shared = ?, tier = ?, subservice = ?,
			subprocessor = ?, location = ?, contract_start = ?, contract_end = ?, status = ?, updated_at = ? WHERE id = ?`,
			v.Name, strings.ToLower(v.Name), v.Service, v.Purpose, nullID(v.OwnerID), jsonText(v.DataShared), string(v.Tier), v.Subservice, v.Subprocessor,
			v.Location, string(v.ContractStart), string(v.ContractEnd), string(v.Status), t.d.ts(t.now), id)
		if isUnique(err) {
			return vigil.FieldError("name", "vendor %q is already in the inventory", v.Name)
		}
		if err != nil {
			return internal("update vendor", err)
		}
		out = &v
		return t.log(ctx, "vendor.update", "vendor", strconv.FormatInt(id, 10), before, vendorLog(&v))
	})
	return out, err
}

// Vendor reads one vendor.
func (s *Store) Vendor(ctx context.Context, id int64) (*vigil.Vendor, error) {
	v, err := scanVendor(s.queryRow(ctx, vendorSelect+" WHERE v.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("vendor", id)
	}
	if err != nil {
		return nil, internal("read vendor", err)
	}
	return &v, nil
}

// Vendors lists the inventory by name.
func (s *Store) Vendors(ctx context.Context) ([]vigil.Vendor, error) {
	rows, err := s.query(ctx, vendorSelect+" ORDER BY v.name_key")
	if err != nil {
		return nil, internal("list vendors", err)
	}
	return scanRows(rows, "list vendors", "scan vendor", scanVendor)
}

const docSelect = `SELECT d.id, d.vendor_id, d.kind, d.title, d.evidence_id, d.period_start, d.period_end, d.expires, d.report_type, d.opinion, d.exceptions,
	d.subservice_orgs, d.conclusion, d.review_note, COALESCE(d.reviewer_id, 0), COALESCE(u.name, ''), d.reviewed_at, d.created_at
	FROM vendor_documents d LEFT JOIN users u ON u.id = d.reviewer_id`

func scanDoc(r scanner) (vigil.VendorDocument, error) {
	var d vigil.VendorDocument
	var kind, ps, pe, exp, orgs, concl string
	var reviewed, created dbTime
	if err := r.Scan(&d.ID, &d.VendorID, &kind, &d.Title, &d.EvidenceID, &ps, &pe, &exp, &d.ReportType, &d.Opinion, &d.Exceptions,
		&orgs, &concl, &d.ReviewNote, &d.ReviewerID, &d.ReviewerName, &reviewed, &created); err != nil {
		return d, err
	}
	d.Kind, d.PeriodStart, d.PeriodEnd, d.Expires, d.Conclusion = vigil.DocKind(kind), vigil.Date(ps), vigil.Date(pe), vigil.Date(exp), vigil.Conclusion(concl)
	d.ReviewedAt, d.CreatedAt = reviewed.ptr(), created.T
	if err := json.Unmarshal([]byte(orgs), &d.SubserviceOrgs); err != nil {
		return d, fmt.Errorf("document %d subservice organizations: %w", d.ID, err)
	}
	return d, nil
}

// AddVendorDocument stores a document (its bytes already sealed as
// d.EvidenceID) with its CUECs.
func (s *Store) AddVendorDocument(ctx context.Context, d *vigil.VendorDocument) error {
	if err := d.Validate(); err != nil {
		return err
	}
	return s.write(ctx, func(t *wtx) error {
		var n int
		if err := t.queryRow(ctx, "SELECT count(*) FROM vendors WHERE id = ?", d.VendorID).Scan(&n); err != nil {
			return internal("read vendor", err)
		}
		if n == 0 {
			return vigil.NotFound("vendor", d.VendorID)
		}
		if d.SubserviceOrgs == nil {
			d.SubserviceOrgs = []string{}
		}
		d.CreatedAt = t.now
		if err := t.queryRow(ctx, `INSERT INTO vendor_documents (vendor_id, kind, title, evidence_id, period_start, period_end, expires, report_type, opinion,
			exceptions, subservice_orgs, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			d.VendorID, string(d.Kind), d.Title, d.EvidenceID, string(d.PeriodStart), string(d.PeriodEnd), string(d.Expires), d.ReportType, d.Opinion,
			d.Exceptions, jsonText(d.SubserviceOrgs), t.d.ts(t.now)).Scan(&d.ID); err != nil {
			return internal("add vendor document", err)
		}
		for i := range d.CUECs {
			c := &d.CUECs[i]
			c.DocumentID = d.ID
			if c.Controls == nil {
				c.Controls = []string{}
			}
			if err := t.checkControls(ctx, c.Controls); err != nil {
				return err
			}
			if err := t.queryRow(ctx, "INSERT INTO vendor_cuecs (document_id, text, controls) VALUES (?, ?, ?) RETURNING id", d.ID, c.Text, jsonText(c.Controls)).Scan(&c.ID); err != nil {
				return internal("add cuec", err)
			}
		}
		return t.log(ctx, "vendor.document.add", "vendor", strconv.FormatInt(d.VendorID, 10), nil,
			map[string]any{"document": d.ID, "kind": d.Kind, "title": d.Title, "evidence_id": d.EvidenceID, "cuecs": len(d.CUECs)})
	})
}

func (t *wtx) checkControls(ctx context.Context, ids []string) error {
	for _, id := range ids {
		var n int
		if err := t.queryRow(ctx, "SELECT count(*) FROM controls WHERE id = ?", id).Scan(&n); err != nil {
			return internal("read control", err)
		}
		if n == 0 {
			return vigil.FieldError("controls", "control %s does not exist", id)
		}
	}
	return nil
}

// ReviewVendorDocument records the reviewer's conclusion, once.
func (s *Store) ReviewVendorDocument(ctx context.Context, id int64, c vigil.Conclusion, note string) (*vigil.VendorDocument, error) {
	var out *vigil.VendorDocument
	err := s.write(ctx, func(t *wtx) error {
		d, err := scanDoc(t.queryRow(ctx, docSelect+" WHERE d.id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return vigil.NotFound("document", id)
		}
		if err != nil {
			return internal("read document", err)
		}
		if d.ReviewedAt != nil {
			return vigil.Errorf(vigil.ECONFLICT, "document %d was already reviewed on %s (%s); add the document again to review it anew", id, d.ReviewedAt.Format(time.DateOnly), d.Conclusion)
		}
		if _, err := t.exec(ctx, "UPDATE vendor_documents SET conclusion = ?, review_note = ?, reviewer_id = ?, reviewed_at = ? WHERE id = ?",
			string(c), note, nullID(t.actor.UserID), t.d.ts(t.now), id); err != nil {
			return internal("review document", err)
		}
		if d, err = scanDoc(t.queryRow(ctx, docSelect+" WHERE d.id = ?", id)); err != nil {
			return internal("read document", err)
		}
		out = &d
		return t.log(ctx, "vendor.document.review", "vendor", strconv.FormatInt(d.VendorID, 10), nil,
			map[string]any{"document": id, "conclusion": c, "note": note})
	})
	return out, err
}

// MapCUEC sets the controls that satisfy a CUEC (none: a gap again).
func (s *Store) MapCUEC(ctx context.Context, id int64, controls []string) error {
	if controls == nil {
		controls = []string{}
	}
	return s.write(ctx, func(t *wtx) error {
		var doc int64
		var before string
		err := t.queryRow(ctx, "SELECT document_id, controls FROM vendor_cuecs WHERE id = ?", id).Scan(&doc, &before)
		if errors.Is(err, sql.ErrNoRows) {
			return vigil.NotFound("complementary user entity control", id)
		}
		if err != nil {
			return internal("read cuec", err)
		}
		if err := t.checkControls(ctx, controls); err != nil {
			return err
		}
		if _, err := t.exec(ctx, "UPDATE vendor_cuecs SET controls = ? WHERE id = ?", jsonText(controls), id); err != nil {
			return internal("map cuec", err)
		}
		return t.log(ctx, "vendor.cuec.map", "vendor_document", strconv.FormatInt(doc, 10), map[string]any{"cuec": id, "controls": json.RawMessage(before)},
			map[string]any{"cuec": id, "controls": controls})
	})
}

// VendorDocuments lists the documents of a vendor (0: of every vendor),
// oldest first, each with its CUECs.
func (s *Store) VendorDocuments(ctx context.Context, vendorID int64) ([]vigil.VendorDocument, error) {
	q, args := docSelect+" ORDER BY d.id", []any{}
	if vendorID != 0 {
		q, args = docSelect+" WHERE d.vendor_id = ? ORDER BY d.id", []any{vendorID}
	}
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, internal("list documents", err)
	}
	docs, err := scanRows(rows, "list documents", "scan document", scanDoc)
	if err != nil || len(docs) == 0 {
		return docs, err
	}
	cq, cargs := "SELECT c.id, c.document_id, c.text, c.controls FROM vendor_cuecs c ORDER BY c.id", []any{}
	if vendorID != 0 {
		cq, cargs = "SELECT c.id, c.document_id, c.text, c.controls FROM vendor_cuecs c JOIN vendor_documents d ON d.id = c.document_id WHERE d.vendor_id = ? ORDER BY c.id", []any{vendorID}
	}
	crows, err := s.query(ctx, cq, cargs...)
	if err != nil {
		return nil, internal("list cuecs", err)
	}
	cs, err := scanRows(crows, "list cuecs", "scan cuec", func(r scanner) (vigil.CUEC, error) {
		var c vigil.CUEC
		var ctls string
		if err := r.Scan(&c.ID, &c.DocumentID, &c.Text, &ctls); err != nil {
			return c, err
		}
		return c, json.Unmarshal([]byte(ctls), &c.Controls)
	})
	if err != nil {
		return nil, err
	}
	at := make(map[int64]int, len(docs))
	for i := range docs {
		at[docs[i].ID] = i
	}
	for _, c := range cs {
		if i, ok := at[c.DocumentID]; ok {
			docs[i].CUECs = append(docs[i].CUECs, c)
		}
	}
	return docs, nil
}

const questionnaireSelect = `SELECT q.id, q.vendor_id, v.name, q.thread_id, q.round, q.template, q.contact, q.message, q.expires_at, q.created_at, q.submitted_at,
	q.answers, q.attachments, q.score, COALESCE(q.evidence_id, 0), q.conclusion, q.review_note, COALESCE(q.reviewer_id, 0), COALESCE(u.name, ''), q.reviewed_at
	FROM vendor_questionnaires q JOIN vendors v ON v.id = q.vendor_id LEFT JOIN users u ON u.id = q.reviewer_id`

func scanQuestionnaire(r scanner) (vigil.Questionnaire, error) {
	var q vigil.Questionnaire
	var answers, atts, concl string
	var expires, created, submitted, reviewed dbTime
	if err := r.Scan(&q.ID, &q.VendorID, &q.VendorName, &q.ThreadID, &q.Round, &q.Template, &q.Contact, &q.Message, &expires, &created, &submitted,
		&answers, &atts, &q.Score, &q.EvidenceID, &concl, &q.ReviewNote, &q.ReviewerID, &q.ReviewerName, &reviewed); err != nil {
		return q, err
	}
	q.ExpiresAt, q.CreatedAt, q.SubmittedAt, q.ReviewedAt, q.Conclusion = expires.T, created.T, submitted.ptr(), reviewed.ptr(), vigil.Conclusion(concl)
	if err := json.Unmarshal([]byte(answers), &q.Answers); err != nil {
		return q, err
	}
	return q, json.Unmarshal([]byte(atts), &q.Attachments)
}

// CreateQuestionnaire stores a round whose link's secret hashes to
// tokenHash. A round without a thread starts one; a follow-up names the
// thread, which must be the same vendor's.
func (s *Store) CreateQuestionnaire(ctx context.Context, q *vigil.Questionnaire, tokenHash string) error {
	return s.write(ctx, func(t *wtx) error {
		var status string
		if err := t.queryRow(ctx, "SELECT status FROM vendors WHERE id = ?", q.VendorID).Scan(&status); errors.Is(err, sql.ErrNoRows) {
			return vigil.NotFound("vendor", q.VendorID)
		} else if err != nil {
			return internal("read vendor", err)
		}
		if status == string(vigil.VendorOffboarded) {
			return vigil.Errorf(vigil.ECONFLICT, "the vendor is offboarded")
		}
		q.Round = 1
		if q.ThreadID != 0 {
			var vendor int64
			var last int
			err := t.queryRow(ctx, "SELECT vendor_id, (SELECT max(round) FROM vendor_questionnaires WHERE thread_id = ?) FROM vendor_questionnaires WHERE id = ? AND thread_id = id",
				q.ThreadID, q.ThreadID).Scan(&vendor, &last)
			if errors.Is(err, sql.ErrNoRows) || err == nil && vendor != q.VendorID {
				return vigil.FieldError("thread_id", "questionnaire thread %d is not one of this vendor's", q.ThreadID)
			}
			if err != nil {
				return internal("read thread", err)
			}
			q.Round = last + 1
		}
		q.CreatedAt = t.now
		if err := t.queryRow(ctx, `INSERT INTO vendor_questionnaires (vendor_id, thread_id, round, template, contact, message, token_hash, expires_at, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, q.VendorID, q.ThreadID, q.Round, q.Template, q.Contact, q.Message, tokenHash,
			t.d.ts(q.ExpiresAt), t.d.ts(t.now), nullID(t.actor.UserID)).Scan(&q.ID); err != nil {
			return internal("create questionnaire", err)
		}
		if q.ThreadID == 0 {
			q.ThreadID = q.ID
			if _, err := t.exec(ctx, "UPDATE vendor_questionnaires SET thread_id = id WHERE id = ?", q.ID); err != nil {
				return internal("start thread", err)
			}
		}
		return t.log(ctx, "vendor.questionnaire.send", "vendor", strconv.FormatInt(q.VendorID, 10), nil,
			map[string]any{"questionnaire": q.ID, "thread": q.ThreadID, "round": q.Round, "template": q.Template, "contact": q.Contact, "expires_at": q.ExpiresAt})
	})
}

// Questionnaire reads one round.
func (s *Store) Questionnaire(ctx context.Context, id int64) (*vigil.Questionnaire, error) {
	q, err := scanQuestionnaire(s.queryRow(ctx, questionnaireSelect+" WHERE q.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("questionnaire", id)
	}
	if err != nil {
		return nil, internal("read questionnaire", err)
	}
	return &q, nil
}

// ErrLinkRefused is the one answer to a questionnaire link that is
// unknown, expired or used: which of them is not told.
var ErrLinkRefused = vigil.Errorf(vigil.ENOTFOUND, "this link is not valid: it may have expired or already been used; ask whoever sent it for a new one")

// OpenQuestionnaire reads the round a link opens: unused, unexpired, its
// vendor not offboarded. Anything else is ErrLinkRefused.
func (s *Store) OpenQuestionnaire(ctx context.Context, tokenHash string, now time.Time) (*vigil.Questionnaire, error) {
	q, err := scanQuestionnaire(s.queryRow(ctx, questionnaireSelect+" WHERE q.token_hash = ? AND v.status <> 'offboarded'", tokenHash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrLinkRefused
	}
	if err != nil {
		return nil, internal("read questionnaire", err)
	}
	if q.SubmittedAt != nil || !now.Before(q.ExpiresAt) {
		return nil, ErrLinkRefused
	}
	return &q, nil
}

// SubmitQuestionnaire stores a vendor's answers and uses up the link, in
// one statement that succeeds only while the link is live: two submissions
// at once cannot both count.
func (s *Store) SubmitQuestionnaire(ctx context.Context, tokenHash string, q *vigil.Questionnaire) error {
	return s.write(ctx, func(t *wtx) error {
		res, err := t.exec(ctx, `UPDATE vendor_questionnaires SET submitted_at = ?, answers = ?, attachments = ?, score = ?, evidence_id = ?
			WHERE token_hash = ? AND submitted_at IS NULL AND expires_at > ?`,
			t.d.ts(t.now), jsonText(q.Answers), jsonText(q.Attachments), q.Score, nullID(q.EvidenceID), tokenHash, t.d.ts(t.now))
		if err != nil {
			return internal("submit questionnaire", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return internal("submit questionnaire", err)
		} else if n != 1 {
			return ErrLinkRefused
		}
		now := t.now
		q.SubmittedAt = &now
		return t.log(ctx, "vendor.questionnaire.answer", "vendor", strconv.FormatInt(q.VendorID, 10), nil,
			map[string]any{"questionnaire": q.ID, "score": q.Score, "attachments": len(q.Attachments), "evidence_id": q.EvidenceID})
	})
}

// ReviewQuestionnaire records the reviewer's conclusion on an answered
// round, once.
func (s *Store) ReviewQuestionnaire(ctx context.Context, id int64, c vigil.Conclusion, note string) (*vigil.Questionnaire, error) {
	var out *vigil.Questionnaire
	err := s.write(ctx, func(t *wtx) error {
		q, err := scanQuestionnaire(t.queryRow(ctx, questionnaireSelect+" WHERE q.id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return vigil.NotFound("questionnaire", id)
		}
		if err != nil {
			return internal("read questionnaire", err)
		}
		switch {
		case q.SubmittedAt == nil:
			return vigil.Errorf(vigil.ECONFLICT, "questionnaire %d has not been answered yet", id)
		case q.ReviewedAt != nil:
			return vigil.Errorf(vigil.ECONFLICT, "questionnaire %d was already reviewed (%s); send a follow-up round to ask more", id, q.Conclusion)
		}
		if _, err := t.exec(ctx, "UPDATE vendor_questionnaires SET conclusion = ?, review_note = ?, reviewer_id = ?, reviewed_at = ? WHERE id = ?",
			string(c), note, nullID(t.actor.UserID), t.d.ts(t.now), id); err != nil {
			return internal("review questionnaire", err)
		}
		if q, err = scanQuestionnaire(t.queryRow(ctx, questionnaireSelect+" WHERE q.id = ?", id)); err != nil {
			return internal("read questionnaire", err)
		}
		out = &q
		return t.log(ctx, "vendor.questionnaire.review", "vendor", strconv.FormatInt(q.VendorID, 10), nil,
			map[string]any{"questionnaire": id, "conclusion": c, "score": q.Score, "note": note})
	})
	return out, err
}

// Questionnaires lists the rounds sent to a vendor (0: to every vendor),
// oldest first.
func (s *Store) Questionnaires(ctx context.Context, vendorID int64) ([]vigil.Questionnaire, error) {
	q, args := questionnaireSelect+" ORDER BY q.id", []any{}
	if vendorID != 0 {
		q, args = questionnaireSelect+" WHERE q.vendor_id = ? ORDER BY q.id", []any{vendorID}
	}
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, internal("list questionnaires", err)
	}
	return scanRows(rows, "list questionnaires", "scan questionnaire", scanQuestionnaire)
}

// VendorDocumentsBrief lists every vendor's documents with only what
// expiry and review states need (no CUECs, no text): the inventory list
// reads thousands at a time.
func (s *Store) VendorDocumentsBrief(ctx context.Context) ([]vigil.VendorDocument, error) {
	rows, err := s.query(ctx, "SELECT id, vendor_id, kind, period_end, expires, conclusion, reviewed_at FROM vendor_documents")
	if err != nil {
		return nil, internal("list documents", err)
	}
	return scanRows(rows, "list documents", "scan document", func(r scanner) (vigil.VendorDocument, error) {
		var d vigil.VendorDocument
		var kind, pe, exp, concl string
		var reviewed dbTime
		err := r.Scan(&d.ID, &d.VendorID, &kind, &pe, &exp, &concl, &reviewed)
		d.Kind, d.PeriodEnd, d.Expires, d.Conclusion, d.ReviewedAt = vigil.DocKind(kind), vigil.Date(pe), vigil.Date(exp), vigil.Conclusion(concl), reviewed.ptr()
		return d, err
	})
}

// QuestionnairesBrief lists every round with only its state's times and
// conclusion (no answers).
func (s *Store) QuestionnairesBrief(ctx context.Context) ([]vigil.Questionnaire, error) {
	rows, err := s.query(ctx, "SELECT id, vendor_id, expires_at, submitted_at, conclusion, reviewed_at FROM vendor_questionnaires")
	if err != nil {
		return nil, internal("list questionnaires", err)
	}
	return scanRows(rows, "list questionnaires", "scan questionnaire", func(r scanner) (vigil.Questionnaire, error) {
		var q vigil.Questionnaire
		var concl string
		var expires, submitted, reviewed dbTime
		err := r.Scan(&q.ID, &q.VendorID, &expires, &submitted, &concl, &reviewed)
		q.ExpiresAt, q.SubmittedAt, q.Conclusion, q.ReviewedAt = expires.T, submitted.ptr(), vigil.Conclusion(concl), reviewed.ptr()
		return q, err
	})
}
