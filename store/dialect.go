package store

import (
	"database/sql"
	"strconv"
	"strings"
	"time"
)

// dialect is the little that differs between SQLite and PostgreSQL: bind
// parameters, a few column types, time values, row locking,
// case-insensitive matching, how writers and snapshots are isolated and a
// few engine-specific statements. The engine is decided once, when the
// store opens; the rest of the package asks the dialect, never its name.
type dialect struct {
	name      string // sqlite or postgres
	types     *strings.Replacer
	forUpdate string
	like      string
	// numbered: placeholders are $1, $2 ... rather than ?.
	numbered bool
	// textTime: times are stored as fixed-width text (timeLayout).
	textTime bool
	// hasTable counts the tables named schema_migrations.
	hasTable string
	// migrateLock and migrateUnlock hold other replicas off while one
	// migrates (none needed where one process owns the file).
	migrateLock, migrateUnlock string
	// writeLock, run first in every write, serialises writers as SQLite's
	// single writer connection does. It reads the activity head (seq,
	// hash), the row it locks.
	writeLock string
	// driverPrepares: the driver prepares each statement text once per
	// connection and keeps it (pgx's statement cache), and every statement
	// is a round trip. Write transactions then run their statements as
	// text, and a multi-row insert is one statement of all its rows: fewer
	// round trips are what counts. Without it (SQLite: no round trips, but
	// the driver parses every statement it is given), the store keeps write
	// statements prepared across transactions, and multi-row inserts go in
	// power-of-two chunks whose few texts stay prepared.
	driverPrepares bool
	// snapshot is what a read transaction needs to see one consistent state.
	snapshot *sql.TxOptions
	// heartbeatRuns names check_runs so that a scan of heartbeats uses
	// their own index.
	heartbeatRuns string
}

var sqliteDialect = &dialect{
	name: "sqlite",
	types: strings.NewReplacer("{{serial}}", "INTEGER PRIMARY KEY AUTOINCREMENT", "{{time}}", "TEXT",
		"{{bool}}", "INTEGER", "{{false}}", "0", "{{true}}", "1"),
	like:          "LIKE", // case-insensitive for ASCII in SQLite
	textTime:      true,
	hasTable:      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
	heartbeatRuns: "check_runs INDEXED BY check_runs_heartbeat",
	// WAL readers always see one consistent state.
}

var postgresDialect = &dialect{
	name: "postgres",
	types: strings.NewReplacer("{{serial}}", "BIGSERIAL PRIMARY KEY", "{{time}}", "TIMESTAMPTZ",
		"{{bool}}", "BOOLEAN", "{{false}}", "FALSE", "{{true}}", "TRUE"),
	forUpdate: " FOR UPDATE",
	like:      "ILIKE",
	numbered:  true,
	hasTable:  "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'",
	// 0x76696769 is "vigi": an arbitrary, fixed lock key.
	migrateLock:   "SELECT pg_advisory_lock(1986618217)",
	migrateUnlock: "SELECT pg_advisory_unlock(1986618217)",
	// Every write first locks the activity head, so a transaction's reads
	// (the "before" of its change, the rules it checks) cannot go stale
	// under a concurrent writer, and seq order is time order.
	writeLock:      "SELECT seq, hash FROM activity_head WHERE id = 1 FOR UPDATE",
	driverPrepares: true,
	snapshot:       &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
	heartbeatRuns:  "check_runs",
}

// rebind turns ? placeholders into $1, $2 ... for PostgreSQL. Queries in this
// package never contain a literal question mark.
func (d *dialect) rebind(q string) string {
	if !d.numbered || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// timeLayout is how SQLite stores times: fixed width, so text order is time
// order, and microsecond precision like PostgreSQL's, so that a value reads
// back identical on both engines (the activity hash depends on it).
const timeLayout = "2006-01-02T15:04:05.000000Z"

// ts converts a time to a query argument.
func (d *dialect) ts(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if d.textTime {
		return t.Format(timeLayout)
	}
	return t
}

// tsp converts an optional time to a query argument.
func (d *dialect) tsp(t *time.Time) any {
	if t == nil {
		return nil
	}
	return d.ts(*t)
}

// dbTime scans a time from either engine.
type dbTime struct {
	T     time.Time
	Valid bool
}

func (t *dbTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		t.Valid = false
		return nil
	case time.Time:
		t.T, t.Valid = x.UTC(), true
		return nil
	case string:
		return t.parse(x)
	case []byte:
		return t.parse(string(x))
	}
	return &scanError{v}
}

func (t *dbTime) parse(s string) error {
	p, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	t.T, t.Valid = p.UTC(), true
	return nil
}

func (t dbTime) ptr() *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.T
	return &v
}

type scanError struct{ v any }

func (e *scanError) Error() string { return "store: cannot scan a time from this value" }

// now returns the current time at the precision both engines store.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
