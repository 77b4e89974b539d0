package store

import (
	"strconv"
	"strings"
	"time"
)

// dialect is the little that differs between SQLite and PostgreSQL: bind
// parameters, a few column types, row locking and case-insensitive matching.
type dialect struct {
	name      string // sqlite or postgres
	types     *strings.Replacer
	forUpdate string
	like      string
}

var sqliteDialect = &dialect{
	name: "sqlite",
	types: strings.NewReplacer("{{serial}}", "INTEGER PRIMARY KEY AUTOINCREMENT", "{{time}}", "TEXT",
		"{{bool}}", "INTEGER", "{{false}}", "0", "{{true}}", "1"),
	like: "LIKE", // case-insensitive for ASCII in SQLite
}

var postgresDialect = &dialect{
	name: "postgres",
	types: strings.NewReplacer("{{serial}}", "BIGSERIAL PRIMARY KEY", "{{time}}", "TIMESTAMPTZ",
		"{{bool}}", "BOOLEAN", "{{false}}", "FALSE", "{{true}}", "TRUE"),
	forUpdate: " FOR UPDATE",
	like:      "ILIKE",
}

// rebind turns ? placeholders into $1, $2 ... for PostgreSQL. Queries in this
// package never contain a literal question mark.
func (d *dialect) rebind(q string) string {
	if d.name != "postgres" || !strings.Contains(q, "?") {
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
	if d.name == "sqlite" {
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
