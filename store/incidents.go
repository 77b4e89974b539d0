package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
)

// Incidents and exercises. The rules (validation, forward-only status,
// when an incident may close) are the domain's (incident.go); the store
// reads and writes rows, calling them inside its transactions so they
// see the row as it is, with each change's activity entry.

const incidentCols = `i.id, i.incident_key, i.title, i.summary, i.severity, i.status, i.detected_at, i.declared_at, i.resolved_at, i.closed_at,
	i.customers, i.data, i.root_cause, i.dedup_key, i.source, COALESCE(i.created_by, 0), COALESCE(i.evidence_id, 0),
	i.review_summary, i.review_completed_at, COALESCE(i.reviewer_id, 0)`

func scanIncident(r scanner) (vigil.Incident, error) {
	var x vigil.Incident
	var sev, st string
	var det, dec, res, clo, rev dbTime
	var revSummary sql.NullString
	var reviewer int64
	err := r.Scan(&x.ID, &x.Key, &x.Title, &x.Summary, &sev, &st, &det, &dec, &res, &clo, &x.Customers, &x.Data, &x.RootCause,
		&x.DedupKey, &x.Source, &x.CreatedBy, &x.EvidenceID, &revSummary, &rev, &reviewer)
	x.Severity, x.Status = vigil.Severity(sev), vigil.IncidentStatus(st)
	x.DetectedAt, x.DeclaredAt, x.ResolvedAt, x.ClosedAt = det.T, dec.T, res.T, clo.T
	if revSummary.Valid {
		x.Review = &vigil.IncidentReview{Summary: revSummary.String, CompletedAt: rev.T, ReviewerID: reviewer}
	}
	x.Systems, x.Events, x.Notifications, x.Actions = []int64{}, []vigil.IncidentEvent{}, []vigil.IncidentNotification{}, []vigil.ReviewAction{}
	return x, err
}

func incidentLog(x *vigil.Incident) map[string]any {
	return map[string]any{"key": x.Key, "title": x.Title, "severity": x.Severity, "status": x.Status, "detected_at": x.DetectedAt,
		"declared_at": x.DeclaredAt, "systems": x.Systems, "customers": x.Customers, "data": x.Data, "root_cause": x.RootCause, "dedup_key": x.DedupKey}
}

// OpenIncident stores a validated incident (x.Validate) with its first
// timeline entry, giving it the next key. With a dedup key that an
// incident not yet closed has, nothing is written and that incident is
// returned with created false.
func (s *Store) OpenIncident(ctx context.Context, x *vigil.Incident, first string) (created bool, err error) {
	err = s.write(ctx, func(t *wtx) error {
		if x.DedupKey != "" {
			var id int64
			err := t.queryRow(ctx, "SELECT id FROM incidents WHERE dedup_key = ? AND status <> 'closed'", x.DedupKey).Scan(&id)
			if err == nil {
				got, err := loadIncident(ctx, t, id, "")
				if err != nil {
					return err
				}
				*x = *got
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return internal("read incident", err)
			}
		}
		if err := t.checkSystems(ctx, x.Systems); err != nil {
			return err
		}
		var n int64
		if err := t.queryRow(ctx, "SELECT count(*) FROM incidents").Scan(&n); err != nil {
			return internal("count incidents", err)
		}
		x.Key, x.CreatedBy = fmt.Sprintf("INC-%03d", n+1), t.actor.UserID
		// What is returned is what is stored: times at the store's precision.
		x.DetectedAt, x.DeclaredAt = x.DetectedAt.UTC().Truncate(time.Microsecond), x.DeclaredAt.UTC().Truncate(time.Microsecond)
		if err := t.queryRow(ctx, `INSERT INTO incidents (incident_key, title, summary, severity, status, detected_at, declared_at, customers, data, root_cause, dedup_key, source, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, x.Key, x.Title, x.Summary, string(x.Severity), string(x.Status),
			t.d.ts(x.DetectedAt), t.d.ts(x.DeclaredAt), x.Customers, x.Data, x.RootCause, x.DedupKey, x.Source, ownerArg(x.CreatedBy)).Scan(&x.ID); err != nil {
			if isUnique(err) {
				return vigil.FieldError("dedup_key", "an open incident already has dedup key %q", x.DedupKey)
			}
			return internal("open incident", err)
		}
		if err := t.setSystems(ctx, x.ID, x.Systems); err != nil {
			return err
		}
		e := vigil.IncidentEvent{IncidentID: x.ID, At: x.DeclaredAt, Text: first, Generated: true}
		if err := t.addEvent(ctx, &e); err != nil {
			return err
		}
		x.Events = []vigil.IncidentEvent{e}
		created = true
		return t.log(ctx, "incident.open", "incident", x.Key, nil, incidentLog(x))
	})
	return created, err
}

func (t *wtx) checkSystems(ctx context.Context, ids []int64) error {
	for _, id := range ids {
		var n int
		if err := t.queryRow(ctx, "SELECT count(*) FROM systems WHERE id = ?", id).Scan(&n); err != nil {
			return internal("read systems", err)
		}
		if n == 0 {
			return vigil.FieldError("systems", "system %d does not exist (see the scope's systems)", id)
		}
	}
	return nil
}

func (t *wtx) setSystems(ctx context.Context, id int64, ids []int64) error {
	if _, err := t.exec(ctx, "DELETE FROM incident_systems WHERE incident_id = ?", id); err != nil {
		return internal("set incident systems", err)
	}
	for _, sid := range ids {
		if _, err := t.exec(ctx, "INSERT INTO incident_systems (incident_id, system_id) VALUES (?, ?)", id, sid); err != nil {
			return internal("set incident systems", err)
		}
	}
	return nil
}

func (t *wtx) addEvent(ctx context.Context, e *vigil.IncidentEvent) error {
	e.AuthorID, e.Author = t.actor.UserID, t.actor.Name
	if e.Author == "" {
		e.Author = "system"
	}
	if err := t.queryRow(ctx, "INSERT INTO incident_events (incident_id, at, author_id, author, text, generated, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
		e.IncidentID, t.d.ts(e.At), ownerArg(e.AuthorID), e.Author, e.Text, e.Generated, t.d.ts(t.now)).Scan(&e.ID); err != nil {
		return internal("add timeline entry", err)
	}
	return nil
}

// loadIncident reads one incident with its timeline, systems,
// notifications and actions; lock is the dialect's FOR UPDATE in a write.
func loadIncident(ctx context.Context, q querier, id int64, lock string) (*vigil.Incident, error) {
	x, err := scanIncident(q.queryRow(ctx, "SELECT "+incidentCols+" FROM incidents i WHERE i.id = ?"+lock, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("incident", id)
	}
	if err != nil {
		return nil, internal("read incident", err)
	}
	xs := []vigil.Incident{x}
	if err := loadChildren(ctx, q, xs, "WHERE incident_id = ?", id); err != nil {
		return nil, err
	}
	return &xs[0], nil
}

// loadChildren fills the incidents' systems, timeline, notifications and
// actions: four queries whatever the number of incidents.
func loadChildren(ctx context.Context, q querier, xs []vigil.Incident, where string, args ...any) error {
	at := make(map[int64]*vigil.Incident, len(xs))
	for i := range xs {
		at[xs[i].ID] = &xs[i]
	}
	each := func(op, sqlText string, scan func(scanner) (int64, error)) error {
		rows, err := q.query(ctx, sqlText, args...)
		if err != nil {
			return internal(op, err)
		}
		defer rows.Close()
		for rows.Next() {
			if _, err := scan(rows); err != nil {
				return internal(op, err)
			}
		}
		return internal2(op, rows.Err())
	}
	w := strings.ReplaceAll(where, "incident_id", "x.incident_id")
	if err := each("read incident systems", "SELECT x.incident_id, x.system_id FROM incident_systems x "+w+" ORDER BY x.incident_id, x.system_id", func(r scanner) (int64, error) {
		var id, sid int64
		if err := r.Scan(&id, &sid); err != nil {
			return 0, err
		}
		if x := at[id]; x != nil {
			x.Systems = append(x.Systems, sid)
		}
		return id, nil
	}); err != nil {
		return err
	}
	if err := each("read timeline", "SELECT x.id, x.incident_id, x.at, COALESCE(x.author_id, 0), x.author, x.text, x.generated FROM incident_events x "+w+" ORDER BY x.incident_id, x.at, x.id", func(r scanner) (int64, error) {
		var e vigil.IncidentEvent
		var t dbTime
		if err := r.Scan(&e.ID, &e.IncidentID, &t, &e.AuthorID, &e.Author, &e.Text, &e.Generated); err != nil {
			return 0, err
		}
		e.At = t.T
		if x := at[e.IncidentID]; x != nil {
			x.Events = append(x.Events, e)
		}
		return e.IncidentID, nil
	}); err != nil {
		return err
	}
	if err := each("read notifications", "SELECT x.id, x.incident_id, x.audience, x.due_at, x.sent_at, x.note FROM incident_notifications x "+w+" ORDER BY x.incident_id, x.id", func(r scanner) (int64, error) {
		var n vigil.IncidentNotification
		var due, sent dbTime
		if err := r.Scan(&n.ID, &n.IncidentID, &n.Audience, &due, &sent, &n.Note); err != nil {
			return 0, err
		}
		n.DueAt, n.SentAt = due.T, sent.T
		if x := at[n.IncidentID]; x != nil {
			x.Notifications = append(x.Notifications, n)
		}
		return n.IncidentID, nil
	}); err != nil {
		return err
	}
	return each("read review actions", "SELECT x.id, x.incident_id, x.title, x.owner_id, COALESCE(u.name, ''), x.due, x.done_at FROM incident_actions x LEFT JOIN users u ON u.id = x.owner_id "+w+" ORDER BY x.incident_id, x.id", func(r scanner) (int64, error) {
		var a vigil.ReviewAction
		var due string
		var done dbTime
		if err := r.Scan(&a.ID, &a.IncidentID, &a.Title, &a.OwnerID, &a.OwnerName, &due, &done); err != nil {
			return 0, err
		}
		a.Due, a.DoneAt = vigil.Date(due), done.T
		if x := at[a.IncidentID]; x != nil {
			x.Actions = append(x.Actions, a)
		}
		return a.IncidentID, nil
	})
}

// Incident reads one incident in full.
func (s *Store) Incident(ctx context.Context, id int64) (*vigil.Incident, error) {
	return loadIncident(ctx, s, id, "")
}

// IncidentByKey reads one incident, by its key (INC-001), in full.
func (s *Store) IncidentByKey(ctx context.Context, key string) (*vigil.Incident, error) {
	var id int64
	err := s.queryRow(ctx, "SELECT id FROM incidents WHERE incident_key = ?", strings.ToUpper(strings.TrimSpace(key))).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("incident", key)
	}
	if err != nil {
		return nil, internal("read incident", err)
	}
	return loadIncident(ctx, s, id, "")
}

// Incidents lists the register, newest first, filtered: the incidents
// alone, without their timelines (the list page and the API's list).
func (s *Store) Incidents(ctx context.Context, f vigil.IncidentFilter) ([]vigil.Incident, error) {
	q, args := "SELECT "+incidentCols+" FROM incidents i WHERE 1 = 1", []any{}
	switch f.Status {
	case "":
	case "open":
		q += " AND i.status IN ('declared', 'investigating', 'contained')"
	default:
		q, args = q+" AND i.status = ?", append(args, string(f.Status))
	}
	if f.Severity != "" {
		q, args = q+" AND i.severity = ?", append(args, string(f.Severity))
	}
	if v := strings.TrimSpace(f.Query); v != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(v) + "%"
		q, args = q+" AND (i.incident_key "+s.d.like+" ? ESCAPE '\\' OR i.title "+s.d.like+" ? ESCAPE '\\')", append(args, like, like)
	}
	q += " ORDER BY i.id DESC"
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
	}
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, internal("list incidents", err)
	}
	return scanRows(rows, "list incidents", "scan incident", scanIncident)
}

// AllIncidents reads every incident in full, oldest first: what the
// signals and the sealing job need.
func (s *Store) AllIncidents(ctx context.Context) ([]vigil.Incident, error) {
	rows, err := s.query(ctx, "SELECT "+incidentCols+" FROM incidents i ORDER BY i.id")
	if err != nil {
		return nil, internal("list incidents", err)
	}
	xs, err := scanRows(rows, "list incidents", "scan incident", scanIncident)
	if err != nil {
		return nil, err
	}
	if err := loadChildren(ctx, s, xs, ""); err != nil {
		return nil, err
	}
	return xs, nil
}

// changeIncident runs change on the incident read under the write lock,
// then writes its row and the activity entry.
func (s *Store) changeIncident(ctx context.Context, id int64, action string, change func(t *wtx, x *vigil.Incident) (any, error)) (*vigil.Incident, error) {
	var out *vigil.Incident
	err := s.write(ctx, func(t *wtx) error {
		x, err := loadIncident(ctx, t, id, t.d.forUpdate)
		if err != nil {
			return err
		}
		before := incidentLog(x)
		detail, err := change(t, x)
		if err != nil {
			return err
		}
		var rev, revAt any
		var revBy any
		if x.Review != nil {
			rev, revAt, revBy = x.Review.Summary, t.d.ts(x.Review.CompletedAt), ownerArg(x.Review.ReviewerID)
		}
		tsOrNil := func(v time.Time) any {
			if v.IsZero() {
				return nil
			}
			return t.d.ts(v)
		}
		if _, err := t.exec(ctx, `UPDATE incidents SET title = ?, summary = ?, severity = ?, status = ?, resolved_at = ?, closed_at = ?, customers = ?, data = ?,
			root_cause = ?, review_summary = ?, review_completed_at = ?, reviewer_id = ? WHERE id = ?`, x.Title, x.Summary, string(x.Severity), string(x.Status),
			tsOrNil(x.ResolvedAt), tsOrNil(x.ClosedAt), x.Customers, x.Data, x.RootCause, rev, revAt, revBy, x.ID); err != nil {
			return internal("update incident", err)
		}
		after := incidentLog(x)
		if detail != nil {
			after["change"] = detail
		}
		out = x
		return t.log(ctx, action, "incident", x.Key, before, after)
	})
	return out, err
}

// UpdateIncident applies a patch (vigil.IncidentPatch.Apply) at now.
func (s *Store) UpdateIncident(ctx context.Context, id int64, p vigil.IncidentPatch, now time.Time) (*vigil.Incident, error) {
	return s.changeIncident(ctx, id, "incident.update", func(t *wtx, x *vigil.Incident) (any, error) {
		from := x.Status
		if err := p.Apply(x, now); err != nil {
			return nil, err
		}
		if p.Systems != nil {
			if err := t.checkSystems(ctx, x.Systems); err != nil {
				return nil, err
			}
			if err := t.setSystems(ctx, x.ID, x.Systems); err != nil {
				return nil, err
			}
		}
		if x.Status != from {
			// A status change is part of the timeline too.
			e := vigil.IncidentEvent{IncidentID: x.ID, At: now, Text: "Status: " + string(from) + " → " + string(x.Status), Generated: true}
			if err := t.addEvent(ctx, &e); err != nil {
				return nil, err
			}
			x.Events = append(x.Events, e)
		}
		return nil, nil
	})
}

// AddIncidentEvent appends a timeline entry (vigil.IncidentEvent.Validate).
func (s *Store) AddIncidentEvent(ctx context.Context, id int64, e *vigil.IncidentEvent, now time.Time) error {
	_, err := s.changeIncident(ctx, id, "incident.event", func(t *wtx, x *vigil.Incident) (any, error) {
		e.IncidentID = x.ID
		if err := e.Validate(x, now); err != nil {
			return nil, err
		}
		if err := t.addEvent(ctx, e); err != nil {
			return nil, err
		}
		return map[string]any{"event": e.ID, "at": e.At, "text": e.Text}, nil
	})
	return err
}

// AddNotification records a notification owed.
func (s *Store) AddNotification(ctx context.Context, id int64, n *vigil.IncidentNotification) error {
	_, err := s.changeIncident(ctx, id, "incident.notification", func(t *wtx, x *vigil.Incident) (any, error) {
		n.IncidentID = x.ID
		if err := n.Validate(x); err != nil {
			return nil, err
		}
		if err := t.queryRow(ctx, "INSERT INTO incident_notifications (incident_id, audience, due_at, note) VALUES (?, ?, ?, ?) RETURNING id",
			x.ID, n.Audience, t.d.ts(n.DueAt), n.Note).Scan(&n.ID); err != nil {
			return nil, internal("add notification", err)
		}
		return map[string]any{"notification": n.ID, "audience": n.Audience, "due_at": n.DueAt}, nil
	})
	return err
}

// MarkNotificationSent records when a notification was sent, with a
// timeline entry.
func (s *Store) MarkNotificationSent(ctx context.Context, id, nid int64, at, now time.Time) (*vigil.IncidentNotification, error) {
	var out *vigil.IncidentNotification
	_, err := s.changeIncident(ctx, id, "incident.notification_sent", func(t *wtx, x *vigil.Incident) (any, error) {
		for i := range x.Notifications {
			n := &x.Notifications[i]
			if n.ID != nid {
				continue
			}
			if x.Status == vigil.IncidentClosed {
				return nil, vigil.Errorf(vigil.ECONFLICT, "%s is closed", x.Key)
			}
			if err := n.CheckSent(x, at, now); err != nil {
				return nil, err
			}
			n.SentAt = at
			if _, err := t.exec(ctx, "UPDATE incident_notifications SET sent_at = ? WHERE id = ?", t.d.ts(at), nid); err != nil {
				return nil, internal("mark notification sent", err)
			}
			e := vigil.IncidentEvent{IncidentID: x.ID, At: at, Text: "Notification to " + n.Audience + " sent", Generated: true}
			if err := t.addEvent(ctx, &e); err != nil {
				return nil, err
			}
			out = n
			return map[string]any{"notification": nid, "sent_at": at}, nil
		}
		return nil, vigil.NotFound("notification", nid)
	})
	return out, err
}

// AddIncidentReview records the post-incident review with its actions.
func (s *Store) AddIncidentReview(ctx context.Context, id int64, r *vigil.IncidentReview, actions []vigil.ReviewAction, now time.Time) (*vigil.Incident, error) {
	return s.changeIncident(ctx, id, "incident.review", func(t *wtx, x *vigil.Incident) (any, error) {
		if err := r.Validate(x, now); err != nil {
			return nil, err
		}
		r.ReviewerID = t.actor.UserID
		x.Review = r
		for i := range actions {
			a := &actions[i]
			if err := a.Validate(); err != nil {
				return nil, err
			}
			err := t.queryRow(ctx, "SELECT name FROM users WHERE id = ?", a.OwnerID).Scan(&a.OwnerName)
			if errors.Is(err, sql.ErrNoRows) {
				return nil, vigil.FieldError("actions", "the owner of action %q, user %d, does not exist", a.Title, a.OwnerID)
			}
			if err != nil {
				return nil, internal("read user", err)
			}
			a.IncidentID = x.ID
			if err := t.queryRow(ctx, "INSERT INTO incident_actions (incident_id, title, owner_id, due) VALUES (?, ?, ?, ?) RETURNING id",
				x.ID, a.Title, a.OwnerID, string(a.Due)).Scan(&a.ID); err != nil {
				return nil, internal("add review action", err)
			}
			x.Actions = append(x.Actions, *a)
		}
		e := vigil.IncidentEvent{IncidentID: x.ID, At: r.CompletedAt, Text: fmt.Sprintf("Post-incident review completed (%d actions)", len(actions)), Generated: true}
		if err := t.addEvent(ctx, &e); err != nil {
			return nil, err
		}
		x.Events = append(x.Events, e)
		return map[string]any{"review": r.Summary, "actions": len(actions)}, nil
	})
}

// CompleteAction marks a review action done.
func (s *Store) CompleteAction(ctx context.Context, id, aid int64) (*vigil.ReviewAction, error) {
	var out *vigil.ReviewAction
	_, err := s.changeIncident(ctx, id, "incident.action_done", func(t *wtx, x *vigil.Incident) (any, error) {
		for i := range x.Actions {
			a := &x.Actions[i]
			if a.ID != aid {
				continue
			}
			if !a.DoneAt.IsZero() {
				return nil, vigil.Errorf(vigil.ECONFLICT, "action %q is already done", a.Title)
			}
			a.DoneAt = t.now
			if _, err := t.exec(ctx, "UPDATE incident_actions SET done_at = ? WHERE id = ?", t.d.ts(t.now), aid); err != nil {
				return nil, internal("complete action", err)
			}
			out = a
			return map[string]any{"action": aid, "done": true}, nil
		}
		return nil, vigil.NotFound("action", aid)
	})
	return out, err
}

// CloseIncident closes an incident that may close (vigil.Incident.MayClose).
func (s *Store) CloseIncident(ctx context.Context, id int64, now time.Time) (*vigil.Incident, error) {
	return s.changeIncident(ctx, id, "incident.close", func(t *wtx, x *vigil.Incident) (any, error) {
		if err := x.MayClose(); err != nil {
			return nil, err
		}
		e := vigil.IncidentEvent{IncidentID: x.ID, At: now, Text: "Closed", Generated: true}
		if err := t.addEvent(ctx, &e); err != nil {
			return nil, err
		}
		x.Events = append(x.Events, e)
		x.Status, x.ClosedAt = vigil.IncidentClosed, now
		return nil, nil
	})
}

// SetIncidentEvidence records the sealed record of a closed incident.
func (s *Store) SetIncidentEvidence(ctx context.Context, id, evidenceID int64) error {
	return s.write(ctx, func(t *wtx) error {
		res, err := t.exec(ctx, "UPDATE incidents SET evidence_id = ? WHERE id = ? AND evidence_id IS NULL AND status = 'closed'", evidenceID, id)
		if err != nil {
			return internal("seal incident", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return vigil.Errorf(vigil.ECONFLICT, "incident %d is not closed or already sealed", id)
		}
		return t.log(ctx, "incident.seal", "incident", strconv.FormatInt(id, 10), nil, map[string]any{"evidence_id": evidenceID})
	})
}

// IncidentRules reads the organization's settings (the defaults until
// they are set).
func (s *Store) IncidentRules(ctx context.Context) (vigil.IncidentRules, error) {
	r := vigil.DefaultIncidentRules
	err := s.queryRow(ctx, "SELECT review_days, tabletop_months, dr_months, restore_months FROM incident_rules WHERE id = 1").
		Scan(&r.ReviewDays, &r.TabletopMonths, &r.DRMonths, &r.RestoreMonths)
	if errors.Is(err, sql.ErrNoRows) {
		return vigil.DefaultIncidentRules, nil
	}
	if err != nil {
		return r, internal("read incident rules", err)
	}
	return r, nil
}

// SetIncidentRules validates and stores the settings.
func (s *Store) SetIncidentRules(ctx context.Context, r vigil.IncidentRules) error {
	if err := r.Validate(); err != nil {
		return err
	}
	return s.write(ctx, func(t *wtx) error {
		if _, err := t.exec(ctx, "DELETE FROM incident_rules WHERE id = 1"); err != nil {
			return internal("set incident rules", err)
		}
		if _, err := t.exec(ctx, "INSERT INTO incident_rules (id, review_days, tabletop_months, dr_months, restore_months) VALUES (1, ?, ?, ?, ?)",
			r.ReviewDays, r.TabletopMonths, r.DRMonths, r.RestoreMonths); err != nil {
			return internal("set incident rules", err)
		}
		return t.log(ctx, "incident.rules", "incident_rules", "1", nil, r)
	})
}

// CreateExercise stores a validated exercise (vigil.Exercise.Validate)
// with its evidence items, which must exist and be linked to the kind's
// control.
func (s *Store) CreateExercise(ctx context.Context, e *vigil.Exercise) error {
	return s.write(ctx, func(t *wtx) error {
		ctl := e.Kind.Control()
		for _, id := range e.EvidenceIDs {
			var n int
			if err := t.queryRow(ctx, "SELECT count(*) FROM evidence WHERE id = ?", id).Scan(&n); err != nil {
				return internal("read evidence", err)
			}
			if n == 0 {
				return vigil.FieldError("evidence_ids", "evidence item %d does not exist", id)
			}
			// The item must be about the exercise's day, and still held:
			// last year's restore log does not show this year's test.
			var from, to string
			var purged bool
			if err := t.queryRow(ctx, "SELECT effective_start, effective_end, purged_at IS NOT NULL FROM evidence WHERE id = ?", id).Scan(&from, &to, &purged); err != nil {
				return internal("read evidence", err)
			}
			if purged {
				return vigil.FieldError("evidence_ids", "evidence item %d was purged", id)
			}
			if string(e.Date) < from || string(e.Date) > to {
				return vigil.FieldError("evidence_ids", "evidence item %d covers %s to %s, not the exercise's day %s", id, from, to, e.Date)
			}
			if err := t.queryRow(ctx, "SELECT count(*) FROM evidence_controls WHERE evidence_id = ? AND control_id = ?", id, ctl).Scan(&n); err != nil {
				return internal("read evidence", err)
			}
			if n == 0 {
				return vigil.FieldError("evidence_ids", "evidence item %d is not linked to %s, the control a %s exercise shows", id, ctl, e.Kind)
			}
		}
		var n int64
		if err := t.queryRow(ctx, "SELECT count(*) FROM exercises").Scan(&n); err != nil {
			return internal("count exercises", err)
		}
		e.Key, e.CreatedAt, e.CreatedBy = fmt.Sprintf("EX-%03d", n+1), t.now, t.actor.UserID
		if err := t.queryRow(ctx, `INSERT INTO exercises (exercise_key, kind, scenario, day, participants, tested, results, outcome, findings, actions, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, e.Key, string(e.Kind), e.Scenario, string(e.Date), e.Participants, e.Tested, e.Results,
			string(e.Outcome), e.Findings, e.Actions, t.d.ts(t.now), ownerArg(e.CreatedBy)).Scan(&e.ID); err != nil {
			return internal("record exercise", err)
		}
		for _, id := range e.EvidenceIDs {
			if _, err := t.exec(ctx, "INSERT INTO exercise_evidence (exercise_id, evidence_id) VALUES (?, ?)", e.ID, id); err != nil {
				return internal("record exercise evidence", err)
			}
		}
		return t.log(ctx, "exercise.record", "exercise", e.Key, nil, map[string]any{"kind": e.Kind, "date": e.Date, "outcome": e.Outcome, "scenario": e.Scenario, "evidence": e.EvidenceIDs})
	})
}

// Exercises lists every exercise, latest first, with its evidence.
func (s *Store) Exercises(ctx context.Context) ([]vigil.Exercise, error) {
	rows, err := s.query(ctx, `SELECT id, exercise_key, kind, scenario, day, participants, tested, results, outcome, findings, actions, created_at, COALESCE(created_by, 0)
		FROM exercises ORDER BY day DESC, id DESC`)
	if err != nil {
		return nil, internal("list exercises", err)
	}
	es, err := scanRows(rows, "list exercises", "scan exercise", func(r scanner) (vigil.Exercise, error) {
		var e vigil.Exercise
		var kind, d, out string
		var at dbTime
		err := r.Scan(&e.ID, &e.Key, &kind, &e.Scenario, &d, &e.Participants, &e.Tested, &e.Results, &out, &e.Findings, &e.Actions, &at, &e.CreatedBy)
		e.Kind, e.Date, e.Outcome, e.CreatedAt, e.EvidenceIDs = vigil.ExerciseKind(kind), vigil.Date(d), vigil.ExerciseOutcome(out), at.T, []int64{}
		return e, err
	})
	if err != nil {
		return nil, err
	}
	at := map[int64]*vigil.Exercise{}
	for i := range es {
		at[es[i].ID] = &es[i]
	}
	// Evidence purged since, or rejected on review, no longer backs the
	// exercise: the signal must not count it.
	rows, err = s.query(ctx, `SELECT ee.exercise_id, ee.evidence_id FROM exercise_evidence ee JOIN evidence e ON e.id = ee.evidence_id
		WHERE e.purged_at IS NULL AND COALESCE((SELECT r.state FROM evidence_reviews r WHERE r.evidence_id = e.id ORDER BY r.id DESC LIMIT 1), '') <> 'rejected'
		ORDER BY ee.exercise_id, ee.evidence_id`)
	if err != nil {
		return nil, internal("list exercise evidence", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, ev int64
		if err := rows.Scan(&id, &ev); err != nil {
			return nil, internal("scan exercise evidence", err)
		}
		if e := at[id]; e != nil {
			e.EvidenceIDs = append(e.EvidenceIDs, ev)
		}
	}
	return es, internal2("list exercise evidence", rows.Err())
}
