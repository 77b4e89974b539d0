package store

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
)

// querier is what reads need: the read pool or a write transaction.
type querier interface {
	query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	queryRow(ctx context.Context, q string, args ...any) *sql.Row
}

const controlCols = "c.id, c.title, c.description, c.domain, COALESCE(c.owner_id, 0), COALESCE(u.name, ''), u.disabled, u.role, c.frequency, c.evidence, c.status, c.justification, c.custom, c.automatable, c.how_automated, c.created_at, c.updated_at"

func scanControl(r scanner) (*vigil.Control, error) {
	var c vigil.Control
	var cr, up dbTime
	var disabled sql.NullBool
	var role sql.NullString
	if err := r.Scan(&c.ID, &c.Title, &c.Description, &c.Domain, &c.OwnerID, &c.OwnerName, &disabled, &role, &c.Frequency, &c.Evidence,
		&c.Status, &c.Justification, &c.Custom, &c.Automatable, &c.HowAutomated, &cr, &up); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = cr.T, up.T
	c.OwnerDisabled, c.OwnerRole = disabled.Bool, vigil.Role(role.String)
	c.Criteria = []string{}
	return &c, nil
}

// controlQuery is a filter, or one control by its ID.
type controlQuery struct {
	vigil.ControlFilter
	id string // exactly this control
}

// ListControls returns controls in ID order with their criteria.
func (s *Store) ListControls(ctx context.Context, f vigil.ControlFilter) ([]vigil.Control, error) {
	return listControls(ctx, s, s.d, controlQuery{ControlFilter: f})
}

func listControls(ctx context.Context, q querier, d *dialect, f controlQuery) ([]vigil.Control, error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) { where, args = append(where, cond), append(args, a...) }
	if f.Status != "" {
		add("c.status = ?", f.Status)
	}
	switch {
	case f.OwnerID == -1:
		add("c.owner_id IS NULL")
	case f.OwnerID > 0:
		add("c.owner_id = ?", f.OwnerID)
	}
	if f.Domain != "" {
		add("c.domain = ?", f.Domain)
	}
	if f.Criterion != "" {
		add("c.id IN (SELECT control_id FROM control_criteria WHERE criterion_id = ?)", f.Criterion)
	}
	if f.Search != "" {
		p := "%" + escapeLike(f.Search) + "%"
		add("(c.id "+d.like+" ? ESCAPE '\\' OR c.title "+d.like+" ? ESCAPE '\\' OR c.description "+d.like+" ? ESCAPE '\\')", p, p, p)
	}
	if f.id != "" {
		add("c.id = ?", f.id)
	}
	if f.After != "" {
		add("c.id > ?", f.After)
	}
	sqlq := "SELECT " + controlCols + " FROM controls c LEFT JOIN users u ON u.id = c.owner_id"
	if len(where) > 0 {
		sqlq += " WHERE " + strings.Join(where, " AND ")
	}
	sqlq += " ORDER BY c.id"
	if f.Limit > 0 {
		sqlq += " LIMIT " + strconv.Itoa(f.Limit)
	}
	rows, err := q.query(ctx, sqlq, args...)
	if err != nil {
		return nil, internal("list controls", err)
	}
	out := []vigil.Control{}
	idx := map[string]int{}
	for rows.Next() {
		c, err := scanControl(rows)
		if err != nil {
			rows.Close()
			return nil, internal("scan control", err)
		}
		idx[c.ID] = len(out)
		out = append(out, *c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, internal("list controls", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	// One query for every mapping when the page is large, an IN list when
	// it is small: either way no query per control.
	mq, margs := "SELECT control_id, criterion_id FROM control_criteria ORDER BY control_id, criterion_id", []any(nil)
	if len(out) <= 200 {
		ph := strings.Repeat("?,", len(out))
		mq = "SELECT control_id, criterion_id FROM control_criteria WHERE control_id IN (" + ph[:len(ph)-1] + ") ORDER BY control_id, criterion_id"
		for _, c := range out {
			margs = append(margs, c.ID)
		}
	}
	mrows, err := q.query(ctx, mq, margs...)
	if err != nil {
		return nil, internal("list control criteria", err)
	}
	defer mrows.Close()
	for mrows.Next() {
		var cid, crit string
		if err := mrows.Scan(&cid, &crit); err != nil {
			return nil, internal("scan control criteria", err)
		}
		if i, ok := idx[cid]; ok {
			out[i].Criteria = append(out[i].Criteria, crit)
		}
	}
	// Sorted here rather than trusting the database's collation, so that
	// comparisons with validated (Go-sorted) lists are exact.
	for i := range out {
		slices.Sort(out[i].Criteria)
	}
	return out, internal2("list control criteria", mrows.Err())
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ControlExists reports whether a control exists, in one small query.
func (s *Store) ControlExists(ctx context.Context, id string) (bool, error) {
	var n int
	if err := s.queryRow(ctx, "SELECT count(*) FROM controls WHERE id = ?", id).Scan(&n); err != nil {
		return false, internal("read control", err)
	}
	return n > 0, nil
}

// AdoptedControls keeps, in order, the ids of controls the organization
// has adopted.
func (s *Store) AdoptedControls(ctx context.Context, ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		ok, err := s.ControlExists(ctx, id)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, id)
		}
	}
	return out, nil
}

// Control returns one control.
func (s *Store) Control(ctx context.Context, id string) (*vigil.Control, error) {
	return getControl(ctx, s, s.d, id)
}

func getControl(ctx context.Context, q querier, d *dialect, id string) (*vigil.Control, error) {
	// One rule for every route: control IDs are matched whatever their case.
	id = vigil.CanonicalControlID(id)
	cs, err := listControls(ctx, q, d, controlQuery{id: id})
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, vigil.NotFound("control", id)
	}
	return &cs[0], nil
}

// checkOwner verifies that a user may own controls: active, with a role
// that can edit its own controls.
func (t *wtx) checkOwner(ctx context.Context, field string, id int64) (string, error) {
	if id == 0 {
		return "", nil
	}
	var name string
	var role vigil.Role
	var disabled bool
	err := t.queryRow(ctx, "SELECT name, role, disabled FROM users WHERE id = ?", id).Scan(&name, &role, &disabled)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", vigil.FieldError(field, "user %d does not exist", id)
	case err != nil:
		return "", internal("read owner", err)
	case disabled:
		return "", vigil.FieldError(field, "user %d is disabled and cannot own anything", id)
	case !role.Can(vigil.PermEditOwnControl):
		return "", vigil.FieldError(field, "user %d has the %s role, which cannot own controls (needs member or above)", id, role)
	}
	return name, nil
}

func (t *wtx) insertControl(ctx context.Context, c *vigil.Control) error {
	var owner any
	if c.OwnerID != 0 {
		owner = c.OwnerID
	}
	_, err := t.exec(ctx, `INSERT INTO controls (id, title, description, domain, owner_id, frequency, evidence, status, justification, custom, automatable, how_automated, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Title, c.Description, c.Domain, owner, c.Frequency, c.Evidence, c.Status, c.Justification, c.Custom, c.Automatable, c.HowAutomated, t.d.ts(t.now), t.d.ts(t.now))
	if isUnique(err) {
		return &vigil.Error{Code: vigil.ECONFLICT, Field: "id", Message: "control " + c.ID + " already exists"}
	}
	if err != nil {
		return internal("create control", err)
	}
	c.CreatedAt, c.UpdatedAt = t.now, t.now
	return t.setCriteria(ctx, c.ID, c.Criteria)
}

func (t *wtx) setCriteria(ctx context.Context, id string, criteria []string) error {
	if _, err := t.exec(ctx, "DELETE FROM control_criteria WHERE control_id = ?", id); err != nil {
		return internal("replace control criteria", err)
	}
	for _, crit := range criteria {
		if _, err := t.exec(ctx, "INSERT INTO control_criteria (control_id, criterion_id) VALUES (?, ?)", id, crit); err != nil {
			return internal("map control", err)
		}
	}
	return nil
}

// CreateControl adds a control. The control must already be validated.
func (s *Store) CreateControl(ctx context.Context, c *vigil.Control) error {
	return s.write(ctx, func(t *wtx) error {
		name, err := t.checkOwner(ctx, "owner_id", c.OwnerID)
		if err != nil {
			return err
		}
		c.OwnerName = name
		if err := vigil.CheckTransition(&vigil.Control{}, c); err != nil {
			return err
		}
		if err := t.insertControl(ctx, c); err != nil {
			return err
		}
		return t.log(ctx, "control.create", "control", c.ID, nil, c)
	})
}

// AdoptControls adds library controls, skipping those already present, in
// one transaction. The controls must already be validated.
func (s *Store) AdoptControls(ctx context.Context, cs []vigil.Control) (*vigil.AdoptResult, error) {
	res := &vigil.AdoptResult{Adopted: []string{}, Skipped: []string{}}
	err := s.write(ctx, func(t *wtx) error {
		existing := map[string]bool{}
		rows, err := t.query(ctx, "SELECT id FROM controls")
		if err != nil {
			return internal("list controls", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return internal("scan control", err)
			}
			existing[id] = true
		}
		rows.Close()
		owners := map[int64]string{}
		for i := range cs {
			c := &cs[i]
			if existing[c.ID] {
				res.Skipped = append(res.Skipped, c.ID)
				continue
			}
			if name, ok := owners[c.OwnerID]; ok {
				c.OwnerName = name
			} else {
				if c.OwnerName, err = t.checkOwner(ctx, "owner_id", c.OwnerID); err != nil {
					return err
				}
				owners[c.OwnerID] = c.OwnerName
			}
			if err := t.insertControl(ctx, c); err != nil {
				return err
			}
			if err := t.log(ctx, "control.adopt", "control", c.ID, nil, c); err != nil {
				return err
			}
			res.Adopted = append(res.Adopted, c.ID)
			// The path to healthy starts on the day of adoption: the
			// evidence the library expects, on its schedule.
			if req, ok := vigil.LibraryRequest(c, vigil.Date(t.now.UTC().Format(time.DateOnly))); ok {
				if err := req.Validate(); err != nil {
					return err
				}
				if err := t.insertRequest(ctx, &req); err != nil {
					return err
				}
				res.Requests++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// UpdateControl applies a patch in one transaction. validate checks the
// result (catalog rules); check may refuse the change (permission rules).
func (s *Store) UpdateControl(ctx context.Context, id string, p vigil.ControlPatch, validate func(*vigil.Control) error, check func(before, after *vigil.Control) error) (*vigil.Control, error) {
	var out *vigil.Control
	err := s.write(ctx, func(t *wtx) error {
		var err error
		out, _, err = t.updateControl(ctx, id, p, validate, check)
		return err
	})
	return out, err
}

// MaxBulkControls bounds one bulk change: a page of the controls list.
const MaxBulkControls = 1000

// ControlFailure is one control a bulk change was refused for.
type ControlFailure struct {
	ControlID string `json:"control_id"`
	Field     string `json:"field,omitempty"`
	Message   string `json:"message"`
}

// BulkError refuses a bulk change: it names every control that could not
// take it. It unwraps to a *vigil.Error summing them up (the code and field
// of the first), so that the API and the CLI answer with one message.
type BulkError struct {
	Failures []ControlFailure
	summary  *vigil.Error
}

func (e *BulkError) Error() string { return e.summary.Error() }
func (e *BulkError) Unwrap() error { return e.summary }

// UpdateControls applies one patch to several controls in one transaction,
// each through exactly the rules of UpdateControl, with one activity entry
// per control it changes. It is all or nothing: if any control refuses the
// patch, none is changed and the error names each one that refused.
// Controls the patch would not change are left alone and returned in
// unchanged.
func (s *Store) UpdateControls(ctx context.Context, ids []string, p vigil.ControlPatch, validate func(*vigil.Control) error, check func(before, after *vigil.Control) error) (out []vigil.Control, unchanged []string, err error) {
	var uniq []string
	for _, id := range ids {
		if !slices.Contains(uniq, id) {
			uniq = append(uniq, id)
		}
	}
	switch {
	case len(uniq) == 0:
		return nil, nil, vigil.FieldError("ids", "choose at least one control")
	case len(uniq) > MaxBulkControls:
		return nil, nil, vigil.FieldError("ids", "%d controls in one change; at most %d", len(uniq), MaxBulkControls)
	}
	err = s.write(ctx, func(t *wtx) error {
		out, unchanged = make([]vigil.Control, 0, len(uniq)), []string{}
		var fails []ControlFailure
		var first *vigil.Error
		for _, id := range uniq {
			c, changed, err := t.updateControl(ctx, id, p, validate, check)
			var ve *vigil.Error
			if err != nil && (!errors.As(err, &ve) || ve.Code == vigil.EINTERNAL || ve.Code == vigil.EUNAVAILABLE) {
				return err // not the control's fault: nothing to report per control
			}
			if err != nil {
				// The rest are still checked (the transaction is rolled
				// back anyway) so that one answer names every problem.
				if first == nil {
					first = ve
				}
				fails = append(fails, ControlFailure{ControlID: id, Field: ve.Field, Message: ve.Message})
				continue
			}
			if !changed {
				unchanged = append(unchanged, id)
			}
			out = append(out, *c)
		}
		if len(fails) > 0 {
			return bulkError(fails, first, len(uniq))
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, unchanged, nil
}

// FailureGroup is one reason a bulk change was refused, with the controls
// it refused for: a hundred controls refused for one reason read as one
// line, not a hundred.
type FailureGroup struct {
	Field   string   `json:"field,omitempty"`
	Message string   `json:"message"` // names the controls
	IDs     []string `json:"ids"`
}

// Groups gathers the failures by reason, in the order they came.
func (e *BulkError) Groups() []FailureGroup {
	const mark = "\x00"
	var out []FailureGroup
	tmpl := map[string]int{}
	var keys []string
	for _, f := range e.Failures {
		// Most rules' messages name the control; with its ID taken out,
		// the same rule gives the same message for every control.
		m := strings.ReplaceAll(f.Message, f.ControlID, mark)
		key := f.Field + "\x01" + m
		i, ok := tmpl[key]
		if !ok {
			i = len(out)
			tmpl[key] = i
			keys = append(keys, m)
			out = append(out, FailureGroup{Field: f.Field})
		}
		out[i].IDs = append(out[i].IDs, f.ControlID)
	}
	for i := range out {
		ids := namedIDs(out[i].IDs)
		if strings.Contains(keys[i], mark) {
			out[i].Message = strings.ReplaceAll(keys[i], mark, ids)
		} else {
			out[i].Message = ids + ": " + keys[i]
		}
	}
	return out
}

// namedIDs lists control IDs for a message, the first ten of them.
func namedIDs(ids []string) string {
	if len(ids) <= 10 {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:10], ", ") + " and " + strconv.Itoa(len(ids)-10) + " more"
}

func bulkError(fails []ControlFailure, first *vigil.Error, total int) *BulkError {
	e := &BulkError{Failures: fails}
	var parts []string
	for _, g := range e.Groups() {
		parts = append(parts, g.Message)
	}
	head := "no control was changed: " + strconv.Itoa(len(fails)) + " of " + strconv.Itoa(total) + " cannot take this change: "
	if total == 1 {
		head = "no control was changed: "
	}
	e.summary = &vigil.Error{Code: first.Code, Field: first.Field, Message: head + strings.Join(parts, "; ")}
	return e
}

// updateControl applies a patch to one control inside a write: the one
// path single and bulk changes share. changed is false when the patch
// leaves the control as it was (then nothing is written or logged).
func (t *wtx) updateControl(ctx context.Context, id string, p vigil.ControlPatch, validate func(*vigil.Control) error, check func(before, after *vigil.Control) error) (out *vigil.Control, changed bool, err error) {
	before, err := getControl(ctx, t, t.d, id)
	if err != nil {
		return nil, false, err
	}
	after := p.Apply(before)
	if err := validate(&after); err != nil {
		return nil, false, err
	}
	if after.OwnerID != before.OwnerID {
		name, err := t.checkOwner(ctx, "owner_id", after.OwnerID)
		if err != nil {
			return nil, false, err
		}
		// checkOwner vouched for the new owner: active, able to own.
		after.OwnerName, after.OwnerDisabled, after.OwnerRole = name, false, ""
	}
	if err := vigil.CheckTransition(before, &after); err != nil {
		return nil, false, err
	}
	if check != nil {
		if err := check(before, &after); err != nil {
			return nil, false, err
		}
	}
	if reflect.DeepEqual(*before, after) {
		// Nothing changed: no write, no activity entry.
		return before, false, nil
	}
	var owner any
	if after.OwnerID != 0 {
		owner = after.OwnerID
	}
	after.UpdatedAt = t.now
	if _, err := t.exec(ctx, `UPDATE controls SET title = ?, description = ?, owner_id = ?, frequency = ?, evidence = ?, status = ?, justification = ?, updated_at = ? WHERE id = ?`,
		after.Title, after.Description, owner, after.Frequency, after.Evidence, after.Status, after.Justification, t.d.ts(t.now), id); err != nil {
		return nil, false, internal("update control", err)
	}
	if p.Criteria != nil {
		if err := t.setCriteria(ctx, id, after.Criteria); err != nil {
			return nil, false, err
		}
	}
	return &after, true, t.log(ctx, "control.update", "control", id, before, &after)
}

// DeleteControl removes a control and its mappings.
func (s *Store) DeleteControl(ctx context.Context, id string) error {
	return s.write(ctx, func(t *wtx) error {
		before, err := getControl(ctx, t, t.d, id)
		if err != nil {
			return err
		}
		if _, err := t.exec(ctx, "DELETE FROM controls WHERE id = ?", id); err != nil {
			if isForeignKey(err) {
				return vigil.Errorf(vigil.ECONFLICT, "control %s has evidence requests and cannot be deleted; mark it not applicable instead", id)
			}
			return internal("delete control", err)
		}
		return t.log(ctx, "control.delete", "control", id, before, nil)
	})
}
