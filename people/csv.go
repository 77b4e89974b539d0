package people

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/vigil-soc/vigil"
)

// rowString says where a row error is and what.
func rowString(e vigil.RowError) string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d", e.Line)
		if e.Column != "" {
			fmt.Fprintf(&b, ", column %s", e.Column)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Columns are the register's CSV columns; email and name are required.
var Columns = []string{"email", "name", "title", "department", "manager_email", "location", "employment_type", "start_date", "end_date", "in_scope", "aliases"}

// columnNames maps the spellings HR exports use to our columns.
var columnNames = map[string]string{
	"work_email": "email", "e-mail": "email", "mail": "email",
	"full_name": "name", "display_name": "name",
	"job_title": "title",
	"manager":   "manager_email", "manager_e-mail": "manager_email",
	"employment": "employment_type", "type": "employment_type",
	"start": "start_date", "hire_date": "start_date",
	"end": "end_date", "termination_date": "end_date",
}

// maxErrors bounds the list of row errors: past it a file is clearly not
// what was meant, and the answer would otherwise grow with the file.
const maxErrors = 200

// ParseCSV reads a register export. It returns the rows, or the errors
// of every bad row (naming its line and column), never some of each:
// nothing is imported from a file with any bad row.
func ParseCSV(data []byte) ([]vigil.Person, []vigil.RowError) {
	fail := func(msg string, args ...any) ([]vigil.Person, []vigil.RowError) {
		return nil, []vigil.RowError{{Message: fmt.Sprintf(msg, args...)}}
	}
	if len(data) > vigil.MaxPeopleCSV {
		return fail("the file is larger than %d MiB", vigil.MaxPeopleCSV>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(data)) == 0 {
		return fail("the file is empty")
	}
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return fail("the file is UTF-16; save it as CSV UTF-8")
	}
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:firstInvalid(data)], []byte{'\n'})
		return nil, []vigil.RowError{{Line: line, Message: "the text is not UTF-8 (a spreadsheet's \"CSV UTF-8\" export is); nothing was read"}}
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return fail("the header cannot be read: %v", err)
	}
	col := map[string]int{}
	var errs []vigil.RowError
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		name = strings.ReplaceAll(name, " ", "_")
		if c, ok := columnNames[name]; ok {
			name = c
		}
		switch {
		case !slices.Contains(Columns, name):
			errs = append(errs, vigil.RowError{Line: 1, Column: h, Message: fmt.Sprintf("unknown column %q (the columns are %s)", h, strings.Join(Columns, ", "))})
		case col[name] != 0:
			errs = append(errs, vigil.RowError{Line: 1, Column: h, Message: fmt.Sprintf("column %s is given twice", name)})
		default:
			col[name] = i + 1
		}
	}
	for _, need := range []string{"email", "name"} {
		if col[need] == 0 {
			errs = append(errs, vigil.RowError{Line: 1, Message: fmt.Sprintf("the header has no %s column", need)})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	var out []vigil.Person
	firstLine := map[string]int{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// FieldPos is only defined for a record read: the error
			// names the line.
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			errs = append(errs, vigil.RowError{Line: line, Message: "not valid CSV: " + err.Error()})
			break // a broken quote makes every later line unreliable
		}
		line, _ := r.FieldPos(0)
		if len(out)+len(errs) >= vigil.MaxPeople {
			return fail("more than %d rows", vigil.MaxPeople)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		p, rowErrs := parseRow(rec, col, line)
		if len(rowErrs) == 0 {
			if first, dup := firstLine[p.Email]; dup {
				rowErrs = append(rowErrs, vigil.RowError{Line: line, Column: "email", Email: p.Email, Message: fmt.Sprintf("%s is also on line %d", p.Email, first)})
			} else {
				firstLine[p.Email] = line
			}
		}
		errs = append(errs, rowErrs...)
		if len(errs) >= maxErrors {
			errs = append(errs[:maxErrors], vigil.RowError{Message: fmt.Sprintf("more than %d errors; the rest of the file was not checked", maxErrors)})
			return nil, errs
		}
		if len(rowErrs) == 0 {
			out = append(out, p)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(out) == 0 {
		return fail("the file has a header but no rows")
	}
	return out, nil
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

func parseRow(rec []string, col map[string]int, line int) (vigil.Person, []vigil.RowError) {
	get := func(name string) string {
		if i := col[name]; i > 0 && i <= len(rec) {
			return rec[i-1]
		}
		return ""
	}
	var errs []vigil.RowError
	bad := func(c, msg string, args ...any) {
		errs = append(errs, vigil.RowError{Line: line, Column: c, Email: strings.ToLower(strings.TrimSpace(get("email"))), Message: fmt.Sprintf(msg, args...)})
	}
	if len(rec) > len(col) && strings.TrimSpace(strings.Join(rec[len(col):], "")) != "" {
		bad("", "%d cells, but the header has %d columns", len(rec), len(col))
	}
	for _, c := range Columns {
		v := get(c)
		// A cell a spreadsheet would run as a formula when the register
		// is exported again (CSV injection) is refused, not stripped:
		// the person who made the file should see what it held.
		if t := strings.TrimLeft(v, " "); t != "" && strings.ContainsRune("=+-@\t\r", rune(t[0])) {
			bad(c, "%q starts with %q and would be run as a formula by a spreadsheet; remove the character", clip(v), t[:1])
		}
		if strings.ContainsAny(v, "\x00\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069") {
			bad(c, "contains control or direction-override characters")
		}
	}
	p := vigil.Person{Email: get("email"), Name: get("name"), Title: get("title"), Department: get("department"), ManagerEmail: get("manager_email"),
		Location: get("location"), Type: vigil.EmploymentType(strings.ToLower(strings.TrimSpace(get("employment_type")))),
		Start: vigil.Date(strings.TrimSpace(get("start_date"))), End: vigil.Date(strings.TrimSpace(get("end_date"))), InScope: true, Source: "csv"}
	switch strings.ToLower(strings.TrimSpace(get("in_scope"))) {
	case "", "yes", "y", "true", "1":
	case "no", "n", "false", "0":
		p.InScope = false
	default:
		bad("in_scope", "%q is not yes or no", clip(get("in_scope")))
	}
	if a := strings.TrimSpace(get("aliases")); a != "" {
		p.Aliases = strings.FieldsFunc(a, func(r rune) bool { return r == ';' || r == ' ' })
	}
	if len(errs) > 0 {
		return p, errs
	}
	if err := p.Validate(); err != nil {
		var e *vigil.Error
		if errors.As(err, &e) {
			bad(e.Field, "%s", e.Message)
		} else {
			bad("", "%v", err)
		}
	}
	return p, errs
}

func clip(s string) string {
	if len(s) > 40 {
		for i := 40; i > 0; i-- {
			if utf8.RuneStart(s[i]) {
				return s[:i] + "…"
			}
		}
	}
	return s
}
