package main

import (
	"database/sql"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"
)

// bumpSchema records a schema version from the future, as a newer vigil
// would leave it.
func bumpSchema(t *testing.T, dir string) {
	t.Helper()
	execSQL(t, dir, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', '2030-01-01T00:00:00.000000Z')")
}

// execSQL runs a statement on a data directory's database, as an attacker
// with file access would.
func execSQL(t *testing.T, dir, stmt string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatal(err)
	}
}
