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

// The personnel register, the accounts connected systems list, and
// acknowledgements of policies. Imports are staged (people_imports) so
// that a confirmation applies exactly the file that was previewed.

const personSelect = `SELECT id, email, name, title, department, manager_email, location, employment, start_date, end_date,
	in_scope, aliases, source, created_at, updated_at FROM people`

func scanPerson(r scanner) (vigil.Person, error) {
	var p vigil.Person
	var typ, start, end, aliases string
	var created, updated dbTime
	if err := r.Scan(&p.ID, &p.Email, &p.Name, &p.Title, &p.Department, &p.ManagerEmail, &p.Location, &typ, &start, &end,
		&p.InScope, &aliases, &p.Source, &created, &updated); err != nil {
		return p, err
	}
	p.Type, p.Start, p.End, p.CreatedAt, p.UpdatedAt = vigil.EmploymentType(typ), vigil.Date(start), vigil.Date(end), created.T, updated.T
	if err := json.Unmarshal([]byte(aliases), &p.Aliases); err != nil {
		return p, fmt.Errorf("person %d aliases: %w", p.ID, err)
	}
	return p, nil
}

// People lists the register by email.
func (s *Store) People(ctx context.Context) ([]vigil.Person, error) {
	rows, err := s.query(ctx, personSelect+" ORDER BY email")
	if err != nil {
		return nil, internal("list people", err)
	}
	return scanRows(rows, "list people", "scan person", scanPerson)
}

// Person reads one person.
func (s *Store) Person(ctx context.Context, id int64) (*vigil.Person, error) {
	p, err := scanPerson(s.queryRow(ctx, personSelect+" WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("person", strconv.FormatInt(id, 10))
	}
	if err != nil {
		return nil, internal("read person", err)
	}
	return &p, nil
}

// PersonByEmail reads the person with this email, or nil.
func (s *Store) PersonByEmail(ctx context.Context, email string) (*vigil.Person, error) {
	p, err := scanPerson(s.queryRow(ctx, personSelect+" WHERE email = ?", email))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, internal("read person", err)
	}
	return &p, nil
}

func (t *wtx) insertPerson(ctx context.Context, p *vigil.Person) error {
	aliases, _ := json.Marshal(p.Aliases)
	return t.queryRow(ctx, `INSERT INTO people (email, name, title, department, manager_email, location, employment, start_date, end_date,
		in_scope, aliases, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		p.Email, p.Name, p.Title, p.Department, p.ManagerEmail, p.Location, string(p.Type), string(p.Start), string(p.End),
		p.InScope, string(aliases), p.Source, t.d.ts(t.now), t.d.ts(t.now)).Scan(&p.ID)
}

func (t *wtx) updatePerson(ctx context.Context, p *vigil.Person) error {
	aliases, _ := json.Marshal(p.Aliases)
	_, err := t.exec(ctx, `UPDATE people SET name = ?, title = ?, department = ?, manager_email = ?, location = ?, employment = ?,
		start_date = ?, end_date = ?, in_scope = ?, aliases = ?, source = ?, updated_at = ? WHERE id = ?`,
		p.Name, p.Title, p.Department, p.ManagerEmail, p.Location, string(p.Type), string(p.Start), string(p.End),
		p.InScope, string(aliases), p.Source, t.d.ts(t.now), p.ID)
	return err
}

// CreatePerson adds one person by hand.
func (s *Store) CreatePerson(ctx context.Context, p *vigil.Person) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.write(ctx, func(t *wtx) error {
		var n int
		if err := t.queryRow(ctx, "SELECT count(*) FROM people WHERE email = ?", p.Email).Scan(&n); err != nil {
			return internal("read person", err)
		}
		if n > 0 {
			return &vigil.Error{Code: vigil.ECONFLICT, Field: "email", Message: p.Email + " is already in the register"}
		}
		p.CreatedAt, p.UpdatedAt = t.now, t.now
		if err := t.insertPerson(ctx, p); err != nil {
			return internal("create person", err)
		}
		return t.log(ctx, "person.create", "person", strconv.FormatInt(p.ID, 10), nil, p)
	})
}

// UpdatePerson changes one person through fn, inside the transaction.
func (s *Store) UpdatePerson(ctx context.Context, id int64, fn func(*vigil.Person) error) (*vigil.Person, error) {
	var out *vigil.Person
	err := s.write(ctx, func(t *wtx) error {
		before, err := scanPerson(t.queryRow(ctx, personSelect+" WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return vigil.NotFound("person", strconv.FormatInt(id, 10))
		} else if err != nil {
			return internal("read person", err)
		}
		p := before
		p.Aliases = append([]string(nil), before.Aliases...)
		if err := fn(&p); err != nil {
			return err
		}
		if err := p.Validate(); err != nil {
			return err
		}
		if p.Email != before.Email {
			return vigil.FieldError("email", "a person's email is their key and does not change; add the new one as an alias")
		}
		out = &p
		if p.Same(&before) {
			return nil
		}
		p.UpdatedAt = t.now
		if err := t.updatePerson(ctx, &p); err != nil {
			return internal("update person", err)
		}
		// A title or department changed by hand is a role change too.
		if _, err := t.noteRoleChange(ctx, &before, &p, "manual", t.now); err != nil {
			return err
		}
		return t.log(ctx, "person.update", "person", strconv.FormatInt(id, 10), before, p)
	})
	return out, err
}

// StagePeopleImport keeps a file until its preview is confirmed.
func (s *Store) StagePeopleImport(ctx context.Context, sha, content string) (int64, error) {
	var id int64
	err := s.write(ctx, func(t *wtx) error {
		// Unconfirmed files older than a day are of no use: drop them.
		if _, err := t.exec(ctx, "DELETE FROM people_imports WHERE applied_at IS NULL AND created_at < ?", t.d.ts(t.now.Add(-24*time.Hour))); err != nil {
			return internal("expire imports", err)
		}
		return t.queryRow(ctx, "INSERT INTO people_imports (sha256, content, created_by, created_at) VALUES (?, ?, ?, ?) RETURNING id",
			sha, content, t.actor.UserID, t.d.ts(t.now)).Scan(&id)
	})
	return id, err
}

// StagedImport is a staged file.
type StagedImport struct {
	ID        int64
	SHA256    string
	Content   string
	CreatedBy int64
	Applied   bool
}

// PeopleImport reads a staged file.
func (s *Store) PeopleImport(ctx context.Context, id int64) (*StagedImport, error) {
	var x StagedImport
	var applied dbTime
	err := s.queryRow(ctx, "SELECT id, sha256, content, created_by, applied_at FROM people_imports WHERE id = ?", id).
		Scan(&x.ID, &x.SHA256, &x.Content, &x.CreatedBy, &applied)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("people import", strconv.FormatInt(id, 10))
	}
	if err != nil {
		return nil, internal("read import", err)
	}
	x.Applied = applied.Valid
	return &x, nil
}

// ApplyPeopleImport writes the rows of a staged file in one transaction:
// a person is created or updated by email; people not in the file are left
// as they are. The import is marked applied, so it cannot be applied
// twice, and the activity log gets one entry naming the file's hash.
func (s *Store) ApplyPeopleImport(ctx context.Context, id int64, sha string, rows []vigil.Person) (vigil.ImportCounts, error) {
	var c vigil.ImportCounts
	err := s.write(ctx, func(t *wtx) error {
		var got string
		var applied dbTime
		if err := t.queryRow(ctx, "SELECT sha256, applied_at FROM people_imports WHERE id = ?"+t.d.forUpdate, id).Scan(&got, &applied); errors.Is(err, sql.ErrNoRows) {
			return vigil.NotFound("people import", strconv.FormatInt(id, 10))
		} else if err != nil {
			return internal("read import", err)
		}
		switch {
		case applied.Valid:
			return vigil.Errorf(vigil.ECONFLICT, "import %d was already applied at %s", id, applied.T.Format(time.RFC3339))
		case got != sha:
			return vigil.FieldError("sha256", "import %d is not the file previewed (its SHA-256 differs)", id)
		}
		rs, err := t.query(ctx, personSelect)
		if err != nil {
			return internal("list people", err)
		}
		existing, err := scanRows(rs, "list people", "scan person", scanPerson)
		if err != nil {
			return err
		}
		if len(existing)+len(rows) > vigil.MaxPeople*2 {
			return vigil.Errorf(vigil.EINVALID, "the register would hold more than %d people", vigil.MaxPeople)
		}
		byEmail := make(map[string]*vigil.Person, len(existing))
		for i := range existing {
			byEmail[existing[i].Email] = &existing[i]
		}
		var inserts []vigil.Person
		for i := range rows {
			p := rows[i]
			old := byEmail[p.Email]
			switch {
			case old == nil:
				inserts = append(inserts, p)
			case old.Same(&p):
				c.Unchanged++
			default:
				p.ID = old.ID
				if err := t.updatePerson(ctx, &p); err != nil {
					return internal("update person", err)
				}
				if _, err := t.noteRoleChange(ctx, old, &p, "csv", t.now); err != nil {
					return err
				}
				c.Updated++
			}
		}
		if err := t.insertRows(ctx, `INSERT INTO people (email, name, title, department, manager_email, location, employment, start_date, end_date,
			in_scope, aliases, source, created_at, updated_at) VALUES `, 14, len(inserts), func(i int) []any {
			p := &inserts[i]
			aliases, _ := json.Marshal(p.Aliases)
			return []any{p.Email, p.Name, p.Title, p.Department, p.ManagerEmail, p.Location, string(p.Type), string(p.Start), string(p.End),
				p.InScope, string(aliases), p.Source, t.d.ts(t.now), t.d.ts(t.now)}
		}); err != nil {
			return internal("insert people", err)
		}
		c.Created = len(inserts)
		if _, err := t.exec(ctx, "UPDATE people_imports SET applied_at = ? WHERE id = ?", t.d.ts(t.now), id); err != nil {
			return internal("mark import", err)
		}
		return t.log(ctx, "people.import", "people_import", strconv.FormatInt(id, 10), nil,
			map[string]any{"sha256": sha, "rows": len(rows), "created": c.Created, "updated": c.Updated, "unchanged": c.Unchanged})
	})
	return c, err
}

// ReplaceAccounts records one full collection of an integration's
// accounts: listed accounts are updated (an account seen disabled, or
// gone, keeps the first time it was seen so), accounts no longer listed
// are marked gone. A partial or failed collection must not come here:
// an account missing from it would read as removed. The listing ran from
// started to finished: an account seen active was so at started at the
// earliest, and one seen disabled or gone is dated finished, the latest it
// can have happened, so that neither bound flatters a deadline.
func (s *Store) ReplaceAccounts(ctx context.Context, integrationID int64, accounts []vigil.Account, started, finished time.Time) error {
	at := finished
	return s.write(ctx, func(t *wtx) error {
		rs, err := t.query(ctx, accountSelect+" WHERE a.integration_id = ?", integrationID)
		if err != nil {
			return internal("list accounts", err)
		}
		old, err := scanRows(rs, "list accounts", "scan account", scanAccount)
		if err != nil {
			return err
		}
		prev := make(map[string]*vigil.Account, len(old))
		for i := range old {
			prev[old[i].ExternalID] = &old[i]
		}
		seen := make(map[string]bool, len(accounts))
		next := make([]vigil.Account, 0, len(accounts)+len(old))
		for _, a := range accounts {
			if seen[a.ExternalID] {
				continue // listed twice: the first listing counts
			}
			seen[a.ExternalID] = true
			a.IntegrationID, a.Present, a.SeenAt = integrationID, true, at
			if p := prev[a.ExternalID]; p != nil {
				// A disabled account keeps when it was first seen so.
				a.LastActiveSeen, a.InactiveSince = p.LastActiveSeen, p.InactiveSince
			}
			switch a.State {
			case vigil.AccountActive:
				a.LastActiveSeen, a.InactiveSince = &started, nil
			case vigil.AccountDisabled:
				if a.InactiveSince == nil {
					a.InactiveSince = &at
				}
			}
			next = append(next, a)
		}
		for _, p := range old {
			if seen[p.ExternalID] {
				continue
			}
			if p.Present {
				p.Present = false
				if p.InactiveSince == nil {
					p.InactiveSince = &at
				}
			}
			next = append(next, p)
		}
		if _, err := t.exec(ctx, "DELETE FROM accounts WHERE integration_id = ?", integrationID); err != nil {
			return internal("replace accounts", err)
		}
		if err := t.insertRows(ctx, `INSERT INTO accounts (integration_id, external_id, username, email, state, state_reason, privileged, present,
			last_active_seen, inactive_since, seen_at, mfa) VALUES `, 12, len(next), func(i int) []any {
			a := &next[i]
			var mfa any
			if a.MFA != nil {
				mfa = *a.MFA
			}
			return []any{integrationID, a.ExternalID, a.Username, a.Email, string(a.State), a.StateReason, a.Privileged, a.Present,
				t.d.tsp(a.LastActiveSeen), t.d.tsp(a.InactiveSince), t.d.ts(a.SeenAt), mfa}
		}); err != nil {
			return internal("insert accounts", err)
		}
		if _, err := t.exec(ctx, "DELETE FROM account_collections WHERE integration_id = ?", integrationID); err != nil {
			return internal("record collection", err)
		}
		_, err = t.exec(ctx, "INSERT INTO account_collections (integration_id, collected_at, accounts) VALUES (?, ?, ?)", integrationID, t.d.ts(started), len(accounts))
		if err != nil {
			return internal("record collection", err)
		}
		return nil
	})
}

const accountSelect = `SELECT a.integration_id, COALESCE(i.name, ''), COALESCE(i.kind, ''), a.external_id, a.username, a.email, a.state,
	a.state_reason, a.privileged, a.present, a.last_active_seen, a.inactive_since, a.seen_at, a.mfa
	FROM accounts a LEFT JOIN integrations i ON i.id = a.integration_id`

func scanAccount(r scanner) (vigil.Account, error) {
	var a vigil.Account
	var state string
	var last, inactive, seen dbTime
	var mfa sql.NullBool
	err := r.Scan(&a.IntegrationID, &a.System, &a.Kind, &a.ExternalID, &a.Username, &a.Email, &state, &a.StateReason, &a.Privileged,
		&a.Present, &last, &inactive, &seen, &mfa)
	if mfa.Valid {
		a.MFA = &mfa.Bool
	}
	a.State, a.LastActiveSeen, a.InactiveSince, a.SeenAt = vigil.AccountState(state), last.ptr(), inactive.ptr(), seen.T
	return a, err
}

// Accounts lists every account every integration listed.
func (s *Store) Accounts(ctx context.Context) ([]vigil.Account, error) {
	rows, err := s.query(ctx, accountSelect+" ORDER BY a.integration_id, a.external_id")
	if err != nil {
		return nil, internal("list accounts", err)
	}
	return scanRows(rows, "list accounts", "scan account", scanAccount)
}

// AccountCollections gives, per integration, when its accounts were last
// collected in full.
func (s *Store) AccountCollections(ctx context.Context) (map[int64]time.Time, error) {
	return s.timesByID(ctx, "SELECT integration_id, collected_at FROM account_collections", "list account collections")
}

// timesByID reads a query of (id, time) rows into a map.
func (s *Store) timesByID(ctx context.Context, q, op string) (map[int64]time.Time, error) {
	rows, err := s.query(ctx, q)
	if err != nil {
		return nil, internal(op, err)
	}
	type row struct {
		id int64
		at dbTime
	}
	rs, err := scanRows(rows, op, "scan "+op, func(r scanner) (row, error) {
		var x row
		return x, r.Scan(&x.id, &x.at)
	})
	out := make(map[int64]time.Time, len(rs))
	for _, x := range rs {
		out[x.id] = x.at.T
	}
	return out, err
}

// AccountLinks lists the manual matches.
func (s *Store) AccountLinks(ctx context.Context) ([]vigil.AccountLink, error) {
	rows, err := s.query(ctx, "SELECT integration_id, external_id, COALESCE(person_id, 0), linked_by, linked_at FROM account_links")
	if err != nil {
		return nil, internal("list account links", err)
	}
	return scanRows(rows, "list account links", "scan account link", func(r scanner) (vigil.AccountLink, error) {
		var l vigil.AccountLink
		var at dbTime
		err := r.Scan(&l.IntegrationID, &l.ExternalID, &l.PersonID, &l.By, &at)
		l.At = at.T
		return l, err
	})
}

// SetAccountLink matches an account to a person by hand (PersonID 0: to
// nobody); the account must have been collected.
func (s *Store) SetAccountLink(ctx context.Context, l vigil.AccountLink) error {
	return s.write(ctx, func(t *wtx) error {
		var n int
		if err := t.queryRow(ctx, "SELECT count(*) FROM accounts WHERE integration_id = ? AND external_id = ?", l.IntegrationID, l.ExternalID).Scan(&n); err != nil {
			return internal("read account", err)
		}
		if n == 0 {
			return vigil.NotFound("account", fmt.Sprintf("%d/%s", l.IntegrationID, l.ExternalID))
		}
		var person any
		if l.PersonID != 0 {
			if err := t.queryRow(ctx, "SELECT count(*) FROM people WHERE id = ?", l.PersonID).Scan(&n); err != nil {
				return internal("read person", err)
			}
			if n == 0 {
				return vigil.FieldError("person_id", "no person %d", l.PersonID)
			}
			person = l.PersonID
		}
		if _, err := t.exec(ctx, "DELETE FROM account_links WHERE integration_id = ? AND external_id = ?", l.IntegrationID, l.ExternalID); err != nil {
			return internal("link account", err)
		}
		if _, err := t.exec(ctx, "INSERT INTO account_links (integration_id, external_id, person_id, linked_by, linked_at) VALUES (?, ?, ?, ?, ?)",
			l.IntegrationID, l.ExternalID, person, t.actor.Name, t.d.ts(t.now)); err != nil {
			return internal("link account", err)
		}
		return t.log(ctx, "account.link", "account", fmt.Sprintf("%d/%s", l.IntegrationID, l.ExternalID), nil, map[string]any{"person_id": l.PersonID})
	})
}

// AckRequirements lists, per policy in force, the version everyone must
// have acknowledged (vigil.AckRequirement).
func (s *Store) AckRequirements(ctx context.Context) ([]vigil.AckRequirement, error) {
	return ackRequirements(ctx, s, 0)
}

func ackRequirements(ctx context.Context, r reader, policyID int64) ([]vigil.AckRequirement, error) {
	q := `SELECT p.id, p.policy_key, p.title, cur.number, cur.sha256,
		COALESCE((SELECT MAX(m.number) FROM policy_versions m WHERE m.policy_id = p.id AND m.published_at IS NOT NULL AND m.material AND m.number <= cur.number), cur.number)
		FROM policies p JOIN policy_versions cur ON cur.policy_id = p.id AND cur.state = 'published'
		WHERE p.retired_at IS NULL`
	args := []any{}
	if policyID != 0 {
		q += " AND p.id = ?"
		args = append(args, policyID)
	}
	rows, err := r.query(ctx, q+" ORDER BY p.id", args...)
	if err != nil {
		return nil, internal("list acknowledgement requirements", err)
	}
	reqs, err := scanRows(rows, "list acknowledgement requirements", "scan requirement", func(r scanner) (vigil.AckRequirement, error) {
		var x vigil.AckRequirement
		return x, r.Scan(&x.PolicyID, &x.Key, &x.Title, &x.Current, &x.SHA256, &x.Number)
	})
	if err != nil {
		return nil, err
	}
	for i := range reqs {
		var at dbTime
		if err := r.queryRow(ctx, "SELECT published_at FROM policy_versions WHERE policy_id = ? AND number = ?", reqs[i].PolicyID, reqs[i].Number).Scan(&at); err != nil {
			return nil, internal("read publication", err)
		}
		reqs[i].Since = at.T
	}
	return reqs, nil
}

// AddPolicyAck records an acknowledgement of a policy's version in force
// by the actor, as email; check judges it against the requirement read
// in the same transaction (vigil.CheckAck). Acknowledging the same
// version twice keeps the first.
func (s *Store) AddPolicyAck(ctx context.Context, policyID int64, email string, check func(*vigil.AckRequirement) (*vigil.PolicyAck, error)) (*vigil.PolicyAck, error) {
	var out *vigil.PolicyAck
	err := s.write(ctx, func(t *wtx) error {
		reqs, err := ackRequirements(ctx, t, policyID)
		if err != nil {
			return err
		}
		if len(reqs) == 0 {
			return vigil.Errorf(vigil.ECONFLICT, "policy %d has no version in force to acknowledge", policyID)
		}
		a, err := check(&reqs[0])
		if err != nil {
			return err
		}
		var n int
		if err := t.queryRow(ctx, "SELECT count(*) FROM policy_acks WHERE policy_id = ? AND email = ? AND number = ?", policyID, email, a.Number).Scan(&n); err != nil {
			return internal("read acknowledgement", err)
		}
		if n > 0 {
			out, err = scanAck(t.queryRow(ctx, ackSelect+" WHERE policy_id = ? AND email = ? AND number = ?", policyID, email, a.Number))
			if err != nil {
				return internal("read acknowledgement", err)
			}
			return nil
		}
		a.PolicyID, a.Email, a.UserID, a.At = policyID, email, t.actor.UserID, t.now
		if _, err := t.exec(ctx, "INSERT INTO policy_acks (policy_id, number, email, user_id, at, sha256) VALUES (?, ?, ?, ?, ?, ?)",
			a.PolicyID, a.Number, a.Email, a.UserID, t.d.ts(a.At), a.SHA256); err != nil {
			return internal("record acknowledgement", err)
		}
		out = a
		return t.log(ctx, "policy.acknowledge", "policy", strconv.FormatInt(policyID, 10), nil, a)
	})
	return out, err
}

const ackSelect = "SELECT policy_id, number, email, user_id, at, sha256 FROM policy_acks"

func scanAck(r scanner) (*vigil.PolicyAck, error) {
	var a vigil.PolicyAck
	var at dbTime
	err := r.Scan(&a.PolicyID, &a.Number, &a.Email, &a.UserID, &at, &a.SHA256)
	a.At = at.T
	return &a, err
}

// AcksSince lists the acknowledgements recorded after the one numbered
// since (0: all), in the order they were recorded, with the newest id.
// Acknowledgements are never edited or deleted, so a reader that keeps
// what it read needs only the rest; a newest id below since means the
// table was replaced (a restore) and the reader must start again.
func (s *Store) AcksSince(ctx context.Context, since int64) (acks []vigil.PolicyAck, newest int64, err error) {
	if err := s.queryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM policy_acks").Scan(&newest); err != nil {
		return nil, 0, internal("read acknowledgements", err)
	}
	if newest <= since {
		return nil, newest, nil
	}
	rows, err := s.query(ctx, ackSelect+" WHERE id > ? AND id <= ? ORDER BY id", since, newest)
	if err != nil {
		return nil, 0, internal("list acknowledgements", err)
	}
	acks, err = scanRows(rows, "list acknowledgements", "scan acknowledgement", func(r scanner) (vigil.PolicyAck, error) {
		a, err := scanAck(r)
		return *a, err
	})
	return acks, newest, err
}

// AckKey is a policy and a person's email.
type AckKey struct {
	PolicyID int64
	Email    string
}

// PolicyAcks lists every acknowledgement of one policy, newest first.
func (s *Store) PolicyAcks(ctx context.Context, policyID int64) ([]vigil.PolicyAck, error) {
	rows, err := s.query(ctx, ackSelect+" WHERE policy_id = ? ORDER BY at DESC, email", policyID)
	if err != nil {
		return nil, internal("list acknowledgements", err)
	}
	return scanRows(rows, "list acknowledgements", "scan acknowledgement", func(r scanner) (vigil.PolicyAck, error) {
		a, err := scanAck(r)
		return *a, err
	})
}

// PeopleSeal is a roster or log the personnel module sealed.
type PeopleSeal struct {
	Subject    string
	Day        string
	SHA256     string
	EvidenceID int64
}

// LastPeopleSeal is the latest seal of a subject, or nil.
func (s *Store) LastPeopleSeal(ctx context.Context, subject string) (*PeopleSeal, error) {
	var x PeopleSeal
	err := s.queryRow(ctx, "SELECT subject, day, sha256, evidence_id FROM people_seals WHERE subject = ? ORDER BY id DESC LIMIT 1", subject).
		Scan(&x.Subject, &x.Day, &x.SHA256, &x.EvidenceID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, internal("read people seal", err)
	}
	return &x, nil
}

// AddPeopleSeal records a sealed roster or log.
func (s *Store) AddPeopleSeal(ctx context.Context, x PeopleSeal) error {
	return s.write(ctx, func(t *wtx) error {
		if _, err := t.exec(ctx, "INSERT INTO people_seals (subject, day, sha256, evidence_id, sealed_at) VALUES (?, ?, ?, ?, ?)",
			x.Subject, x.Day, x.SHA256, x.EvidenceID, t.d.ts(t.now)); err != nil {
			return internal("add people seal", err)
		}
		return t.log(ctx, "people.seal", "people_seal", x.Subject, nil, map[string]any{"day": x.Day, "sha256": x.SHA256, "evidence_id": x.EvidenceID})
	})
}
