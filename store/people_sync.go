package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
)

// Personnel register sources: an HR system or a directory lists people,
// and SyncPeople keeps the register from that listing. Role changes
// (HR-08) are recorded here whichever path changed a title or department.

// SyncPeople keeps the register from one full listing of a source's
// people (source is "<kind>:<integration name>"). People are matched by
// email. A person the source created takes every field it provides, an
// empty value clearing (a field provides when the listing fills it in
// for anyone: a directory never gives dates, so a leaver's end date
// recorded by hand stays); a person another source, a CSV import or a
// hand created takes only the values this source fills in, so a listing
// that lacks titles does not wipe the register's. Nobody is ever deleted: a
// leaver who drops off the listing keeps their row and end date, and one
// this source made that it stops listing with no end date is reported in
// Unlisted, with nothing recorded. Invalid people are skipped and named.
// A changed title or department is recorded as a role change, except on
// the integration's first sync: that listing is the baseline (a register
// seeded from a CSV names roles in its own words), and the differences
// are only counted. One activity entry summarizes the sync.
func (s *Store) SyncPeople(ctx context.Context, integrationID int64, source string, people []vigil.Person, at time.Time) (*vigil.PeopleSync, error) {
	res := &vigil.PeopleSync{Source: source, Listed: len(people)}
	if len(people) > vigil.MaxPeople {
		return nil, vigil.Errorf(vigil.EINVALID, "%s lists %d people, more than the register holds (%d)", source, len(people), vigil.MaxPeople)
	}
	// Validate outside the transaction; a bad row is named by its place in
	// the listing (the source's own order) and whatever names it.
	valid := make([]vigil.Person, 0, len(people))
	typed := make([]bool, 0, len(people))
	seen := map[string]bool{}
	for i, p := range people {
		p.Aliases = append([]string(nil), p.Aliases...)
		hasType := p.Type != ""
		if err := p.Validate(); err != nil {
			res.Skipped = append(res.Skipped, vigil.SkippedPerson{Ref: listed(i, &p), Field: vigil.ErrorField(err), Message: vigil.ErrorMessage(err)})
			continue
		}
		if seen[p.Email] {
			res.Skipped = append(res.Skipped, vigil.SkippedPerson{Ref: listed(i, &p), Field: "email", Message: "listed twice; the first listing counts"})
			continue
		}
		seen[p.Email] = true
		valid = append(valid, p)
		typed = append(typed, hasType)
	}
	provides := map[string]bool{}
	for _, p := range valid {
		for f, v := range map[string]string{"name": p.Name, "title": p.Title, "department": p.Department, "manager_email": p.ManagerEmail,
			"location": p.Location, "start_date": string(p.Start), "end_date": string(p.End)} {
			provides[f] = provides[f] || v != ""
		}
	}
	err := s.write(ctx, func(t *wtx) error {
		var synced int
		if err := t.queryRow(ctx, "SELECT count(*) FROM people_syncs WHERE integration_id = ?", integrationID).Scan(&synced); err != nil {
			return internal("read people sync", err)
		}
		baseline := synced == 0
		rs, err := t.query(ctx, personSelect)
		if err != nil {
			return internal("list people", err)
		}
		existing, err := scanRows(rs, "list people", "scan person", scanPerson)
		if err != nil {
			return err
		}
		byEmail := make(map[string]*vigil.Person, len(existing))
		for i := range existing {
			byEmail[existing[i].Email] = &existing[i]
		}
		for i := range valid {
			p := valid[i]
			old := byEmail[p.Email]
			if old == nil {
				p.Source, p.InScope = source, true
				if err := t.insertPerson(ctx, &p); err != nil {
					return internal("create person", err)
				}
				res.Created++
				continue
			}
			next := mergeSourced(old, &p, typed[i], old.Source == source, provides)
			if err := next.Validate(); err != nil {
				// The merge of a valid listing into a valid row can still
				// clash (a start date after the row's end date).
				res.Skipped = append(res.Skipped, vigil.SkippedPerson{Ref: p.Email, Field: vigil.ErrorField(err), Message: vigil.ErrorMessage(err)})
				continue
			}
			if old.Same(&next) {
				res.Unchanged++
				continue
			}
			if err := t.updatePerson(ctx, &next); err != nil {
				return internal("update person", err)
			}
			res.Updated++
			if baseline {
				if vigil.RoleChangeOf(old, &next, source, at) != nil {
					res.Baseline++
				}
				continue
			}
			changed, err := t.noteRoleChange(ctx, old, &next, source, at)
			if err != nil {
				return err
			}
			if changed {
				res.RoleChanges++
			}
		}
		for _, p := range existing {
			if p.Source == source && p.End == "" && !seen[p.Email] {
				res.Unlisted = append(res.Unlisted, p.Email)
			}
		}
		slices.Sort(res.Unlisted)
		if _, err := t.exec(ctx, "DELETE FROM people_syncs WHERE integration_id = ?", integrationID); err != nil {
			return internal("record people sync", err)
		}
		if _, err := t.exec(ctx, "INSERT INTO people_syncs (integration_id, source, synced_at, listed) VALUES (?, ?, ?, ?)",
			integrationID, source, t.d.ts(at), len(people)); err != nil {
			return internal("record people sync", err)
		}
		return t.log(ctx, "people.sync", "integration", strconv.FormatInt(integrationID, 10), nil,
			map[string]any{"source": source, "listed": len(people), "created": res.Created, "updated": res.Updated, "unchanged": res.Unchanged,
				"role_changes": res.RoleChanges, "baseline_differences": res.Baseline, "skipped": len(res.Skipped), "unlisted": len(res.Unlisted)})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// listed names the i-th person of a listing for a message.
func listed(i int, p *vigil.Person) string {
	who := p.Email
	if who == "" {
		who = p.Name
	}
	if who == "" {
		return fmt.Sprintf("#%d", i+1)
	}
	return fmt.Sprintf("#%d %s", i+1, who)
}

// mergeSourced lays what a source says of a person over their row. owned:
// the row is the source's own, and takes every field as given; otherwise
// only the fields the source fills in. Scope, aliases and the record's
// source are the register's: no HR system or directory says them.
func mergeSourced(old, p *vigil.Person, typed, owned bool, provides map[string]bool) vigil.Person {
	next := *old
	next.Aliases = append([]string(nil), old.Aliases...)
	set := func(field string, dst *string, v string) {
		if v != "" || owned && provides[field] {
			*dst = v
		}
	}
	set("name", &next.Name, p.Name)
	set("title", &next.Title, p.Title)
	set("department", &next.Department, p.Department)
	set("manager_email", &next.ManagerEmail, p.ManagerEmail)
	set("location", &next.Location, p.Location)
	start, end := string(next.Start), string(next.End)
	set("start_date", &start, string(p.Start))
	set("end_date", &end, string(p.End))
	next.Start, next.End = vigil.Date(start), vigil.Date(end)
	if typed {
		next.Type = p.Type
	}
	return next
}

// noteRoleChange records a role change when next's title or department
// differs from old's (vigil.RoleChangeOf). Every path that changes a
// person's record inside a transaction may call it: the sync does, and
// the CSV import's confirmation does with source "csv".
func (t *wtx) noteRoleChange(ctx context.Context, old, next *vigil.Person, source string, at time.Time) (bool, error) {
	c := vigil.RoleChangeOf(old, next, source, at)
	if c == nil {
		return false, nil
	}
	if _, err := t.exec(ctx, `INSERT INTO role_changes (person_id, old_title, new_title, old_department, new_department, detected_at, source)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, c.PersonID, c.OldTitle, c.NewTitle, c.OldDepartment, c.NewDepartment, t.d.ts(at), source); err != nil {
		return false, internal("record role change", err)
	}
	return true, nil
}

const roleChangeSelect = `SELECT r.id, r.person_id, p.email, p.name, r.old_title, r.new_title, r.old_department, r.new_department,
	r.detected_at, r.source, r.reviewed_at, r.reviewed_by, r.review_comment FROM role_changes r JOIN people p ON p.id = r.person_id`

func scanRoleChange(r scanner) (vigil.RoleChange, error) {
	var c vigil.RoleChange
	var detected, reviewed dbTime
	err := r.Scan(&c.ID, &c.PersonID, &c.Email, &c.Name, &c.OldTitle, &c.NewTitle, &c.OldDepartment, &c.NewDepartment,
		&detected, &c.Source, &reviewed, &c.ReviewedBy, &c.Comment)
	c.DetectedAt, c.ReviewedAt = detected.T, reviewed.ptr()
	return c, err
}

// RoleChanges lists role changes, newest first: one person's, or
// everyone's with personID 0.
func (s *Store) RoleChanges(ctx context.Context, personID int64) ([]vigil.RoleChange, error) {
	q, args := roleChangeSelect, []any{}
	if personID != 0 {
		q += " WHERE r.person_id = ?"
		args = append(args, personID)
	}
	rows, err := s.query(ctx, q+" ORDER BY r.detected_at DESC, r.id DESC", args...)
	if err != nil {
		return nil, internal("list role changes", err)
	}
	return scanRows(rows, "list role changes", "scan role change", scanRoleChange)
}

// ReviewRoleChange records, as the actor, that the access of the person
// whose role changed was checked. A change is reviewed once.
func (s *Store) ReviewRoleChange(ctx context.Context, personID, changeID int64, comment string) (*vigil.RoleChange, error) {
	comment = strings.TrimSpace(comment)
	switch {
	case comment == "":
		return nil, vigil.FieldError("comment", "say what was checked (the access removed, kept or granted)")
	case len(comment) > vigil.MaxReviewComment:
		return nil, vigil.FieldError("comment", "the comment is longer than %d characters", vigil.MaxReviewComment)
	}
	var out vigil.RoleChange
	err := s.write(ctx, func(t *wtx) error {
		c, err := scanRoleChange(t.queryRow(ctx, roleChangeSelect+" WHERE r.id = ? AND r.person_id = ?", changeID, personID))
		if errors.Is(err, sql.ErrNoRows) {
			return vigil.NotFound("role change", fmt.Sprintf("%d of person %d", changeID, personID))
		} else if err != nil {
			return internal("read role change", err)
		}
		if err := c.MayReview(t.actor); err != nil {
			return err
		}
		if c.ReviewedAt != nil {
			return vigil.Errorf(vigil.ECONFLICT, "role change %d was already reviewed by %s at %s", changeID, c.ReviewedBy, c.ReviewedAt.UTC().Format(time.RFC3339))
		}
		var reviewer any
		if t.actor.UserID != 0 {
			reviewer = t.actor.UserID
		}
		if _, err := t.exec(ctx, "UPDATE role_changes SET reviewed_at = ?, reviewed_by = ?, reviewer_id = ?, review_comment = ? WHERE id = ?",
			t.d.ts(t.now), t.actor.Name, reviewer, comment, changeID); err != nil {
			return internal("review role change", err)
		}
		now := t.now
		c.ReviewedAt, c.ReviewedBy, c.Comment = &now, t.actor.Name, comment
		out = c
		return t.log(ctx, "role_change.review", "person", strconv.FormatInt(personID, 10), nil, c)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// RoleChangeSources counts what could have detected a role change: the
// integrations that synced people and the CSV imports applied.
func (s *Store) RoleChangeSources(ctx context.Context) (int, error) {
	var syncs, imports int
	if err := s.queryRow(ctx, "SELECT count(*) FROM people_syncs").Scan(&syncs); err != nil {
		return 0, internal("count people syncs", err)
	}
	if err := s.queryRow(ctx, "SELECT count(*) FROM people_imports WHERE applied_at IS NOT NULL").Scan(&imports); err != nil {
		return 0, internal("count people imports", err)
	}
	return syncs + imports, nil
}

// PeopleSyncs gives, per integration, when it last synced people.
func (s *Store) PeopleSyncs(ctx context.Context) (map[int64]time.Time, error) {
	return s.timesByID(ctx, "SELECT integration_id, synced_at FROM people_syncs", "list people syncs")
}
