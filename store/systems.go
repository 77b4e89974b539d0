package store

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"strconv"

	"github.com/vigil-soc/vigil"
)

const systemCols = "s.id, s.name, s.kind, COALESCE(s.owner_id, 0), COALESCE(u.name, ''), s.classification, s.environment, s.description, s.created_at, s.updated_at"

func scanSystem(r scanner) (*vigil.System, error) {
	var x vigil.System
	var c, u dbTime
	if err := r.Scan(&x.ID, &x.Name, &x.Kind, &x.OwnerID, &x.OwnerName, &x.Classification, &x.Environment, &x.Description, &c, &u); err != nil {
		return nil, err
	}
	x.CreatedAt, x.UpdatedAt = c.T, u.T
	return &x, nil
}

func getSystem(ctx context.Context, q querier, id int64) (*vigil.System, error) {
	x, err := scanSystem(q.queryRow(ctx, "SELECT "+systemCols+" FROM systems s LEFT JOIN users u ON u.id = s.owner_id WHERE s.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("system", id)
	}
	if err != nil {
		return nil, internal("read system", err)
	}
	return x, nil
}

// System returns one system.
func (s *Store) System(ctx context.Context, id int64) (*vigil.System, error) {
	return getSystem(ctx, s, id)
}

// ListSystems returns systems in ID order after the cursor ID.
func (s *Store) ListSystems(ctx context.Context, after int64, limit int) ([]vigil.System, error) {
	q := "SELECT " + systemCols + " FROM systems s LEFT JOIN users u ON u.id = s.owner_id WHERE s.id > ? ORDER BY s.id"
	if limit > 0 {
		q += " LIMIT " + strconv.Itoa(limit)
	}
	rows, err := s.query(ctx, q, after)
	if err != nil {
		return nil, internal("list systems", err)
	}
	return scanRows(rows, "list systems", "scan system", deref(scanSystem))
}

// ownerArg converts an owner ID to a nullable argument.
func ownerArg(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// CreateSystem adds a system to the inventory.
func (s *Store) CreateSystem(ctx context.Context, x *vigil.System) error {
	if err := x.Validate(); err != nil {
		return err
	}
	return s.write(ctx, func(t *wtx) error {
		name, err := t.checkOwner(ctx, "owner_id", x.OwnerID)
		if err != nil {
			return err
		}
		x.OwnerName = name
		err = t.queryRow(ctx, "INSERT INTO systems (name, kind, owner_id, classification, environment, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
			x.Name, x.Kind, ownerArg(x.OwnerID), x.Classification, x.Environment, x.Description, t.d.ts(t.now), t.d.ts(t.now)).Scan(&x.ID)
		if isUnique(err) {
			return &vigil.Error{Code: vigil.ECONFLICT, Field: "name", Message: "a system named " + x.Name + " already exists"}
		}
		if err != nil {
			return internal("create system", err)
		}
		x.CreatedAt, x.UpdatedAt = t.now, t.now
		return t.log(ctx, "system.create", "system", strconv.FormatInt(x.ID, 10), nil, x)
	})
}

// UpdateSystem applies a patch.
func (s *Store) UpdateSystem(ctx context.Context, id int64, p vigil.SystemPatch) (*vigil.System, error) {
	var out *vigil.System
	err := s.write(ctx, func(t *wtx) error {
		before, err := getSystem(ctx, t, id)
		if err != nil {
			return err
		}
		after := p.Apply(before)
		if err := after.Validate(); err != nil {
			return err
		}
		if after.OwnerID != before.OwnerID {
			if after.OwnerName, err = t.checkOwner(ctx, "owner_id", after.OwnerID); err != nil {
				return err
			}
		}
		if reflect.DeepEqual(*before, after) {
			out = before
			return nil
		}
		after.UpdatedAt = t.now
		_, err = t.exec(ctx, "UPDATE systems SET name = ?, kind = ?, owner_id = ?, classification = ?, environment = ?, description = ?, updated_at = ? WHERE id = ?",
			after.Name, after.Kind, ownerArg(after.OwnerID), after.Classification, after.Environment, after.Description, t.d.ts(t.now), id)
		if isUnique(err) {
			return &vigil.Error{Code: vigil.ECONFLICT, Field: "name", Message: "a system named " + after.Name + " already exists"}
		}
		if err != nil {
			return internal("update system", err)
		}
		out = &after
		return t.log(ctx, "system.update", "system", strconv.FormatInt(id, 10), before, &after)
	})
	return out, err
}

// DeleteSystem removes a system from the inventory.
func (s *Store) DeleteSystem(ctx context.Context, id int64) error {
	return s.write(ctx, func(t *wtx) error {
		before, err := getSystem(ctx, t, id)
		if err != nil {
			return err
		}
		if _, err := t.exec(ctx, "DELETE FROM systems WHERE id = ?", id); err != nil {
			return internal("delete system", err)
		}
		return t.log(ctx, "system.delete", "system", strconv.FormatInt(id, 10), before, nil)
	})
}
