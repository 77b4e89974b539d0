package store

import "database/sql"

// scanRows reads every row of a query with scan and closes rows: the loop
// the list functions share. op names the query and scanOp a row in errors.
// The result is never nil, so that an empty list is written as [].
func scanRows[T any](rows *sql.Rows, op, scanOp string, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, internal(scanOp, err)
		}
		out = append(out, x)
	}
	return out, internal2(op, rows.Err())
}

// deref adapts a scanner of *T to scanRows.
func deref[T any](scan func(scanner) (*T, error)) func(scanner) (T, error) {
	return func(r scanner) (T, error) {
		x, err := scan(r)
		if err != nil {
			var zero T
			return zero, err
		}
		return *x, nil
	}
}
