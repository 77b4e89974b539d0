package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in order. File names are
// NNNN_name.sql; the number is the schema version.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %s is not named NNNN_name.sql", e.Name())
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// LatestVersion is the schema version this binary expects.
func LatestVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// SchemaVersion returns the database's schema version (0 when empty).
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var exists int
	if err := s.r.QueryRowContext(ctx, s.d.hasTable).Scan(&exists); err != nil {
		return 0, fmt.Errorf("cannot read schema version from %s: %w", s.where, err)
	}
	if exists == 0 {
		return 0, nil
	}
	var v int
	if err := s.r.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("cannot read schema version from %s: %w", s.where, err)
	}
	return v, nil
}

// Migrate applies pending migrations, each in its own transaction. It refuses
// a database whose schema is newer than this binary: running an old binary
// on it could corrupt data it does not understand. On PostgreSQL an advisory
// lock keeps replicas that start together from migrating twice.
func (s *Store) Migrate(ctx context.Context) (applied int, err error) {
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	latest := ms[len(ms)-1].version
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("cannot connect to %s: %w", s.where, err)
	}
	defer conn.Close()
	if s.d.migrateLock != "" {
		if _, err := conn.ExecContext(ctx, s.d.migrateLock); err != nil {
			return 0, fmt.Errorf("cannot lock %s for migration: %w", s.where, err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), s.d.migrateUnlock)
	}
	if _, err := conn.ExecContext(ctx, s.d.types.Replace("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at {{time}} NOT NULL)")); err != nil {
		return 0, fmt.Errorf("cannot create schema_migrations in %s: %w", s.where, err)
	}
	var current int
	if err := conn.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&current); err != nil {
		return 0, fmt.Errorf("cannot read schema version from %s: %w", s.where, err)
	}
	if current > latest {
		return 0, fmt.Errorf("database %s has schema version %d, newer than this vigil binary supports (%d); run a newer vigil", s.where, current, latest)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return applied, err
		}
		if _, err := tx.ExecContext(ctx, s.d.types.Replace(m.sql)); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("migration %04d_%s failed on %s: %w", m.version, m.name, s.where, err)
		}
		if _, err := tx.ExecContext(ctx, s.d.rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"), m.version, m.name, s.d.ts(now())); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return applied, fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
		}
		applied++
	}
	return applied, nil
}
