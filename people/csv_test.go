package people

import (
	"strings"
	"testing"
)

func TestParseCSV(t *testing.T) {
	good := "\ufeffEmail,Full Name,Job Title,Department,Manager,Employment,Hire Date,Termination Date,In Scope,Aliases\n" +
		"ann@example.com,Ann Lee,Engineer,Eng,bob@example.com,employee,2024-01-02,,yes,annie;a.lee\n" +
		"\n" +
		"bob@example.com,\"Bob, Jr.\",CTO,Eng,,contractor,2023-05-01,2026-03-01,no,\n"
	rows, errs := ParseCSV([]byte(good))
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if len(rows) != 2 || rows[0].Email != "ann@example.com" || rows[0].ManagerEmail != "bob@example.com" || len(rows[0].Aliases) != 2 ||
		rows[1].Name != "Bob, Jr." || rows[1].InScope || rows[1].End != "2026-03-01" || rows[1].Type != "contractor" {
		t.Fatalf("rows: %+v", rows)
	}

	for name, tc := range map[string]struct {
		csv  string
		want []string // substrings of the errors, in order
	}{
		"latin-1":         {"email,name\nann@example.com,Jos\xe9\n", []string{"line 2: the text is not UTF-8"}},
		"utf-16":          {"\xff\xfee\x00", []string{"UTF-16"}},
		"no email column": {"mail_address,name\nann@example.com,Ann\n", []string{"unknown column", "no email column"}},
		"duplicate":       {"email,name\nann@example.com,Ann\nbob@example.com,Bob\nANN@example.com,Ann again\n", []string{"line 4, column email: ann@example.com is also on line 2"}},
		"dates":           {"email,name,start_date,end_date\nann@example.com,Ann,2025-05-01,2025-04-01\n", []string{"line 2, column end_date: end date 2025-04-01 is before start date 2025-05-01"}},
		"formula":         {"email,name,title\nann@example.com,Ann,\"=HYPERLINK(\"\"http://x\"\")\"\nbob@example.com,@SUM(A1),CTO\n", []string{"line 2, column title", "formula", "line 3, column name"}},
		"bad date":        {"email,name,start_date\nann@example.com,Ann,01/02/2025\n", []string{"line 2, column start_date"}},
		"bad email":       {"email,name\nnot-an-email,Ann\n", []string{"line 2, column email"}},
		"in scope":        {"email,name,in_scope\nann@example.com,Ann,maybe\n", []string{"line 2, column in_scope: \"maybe\" is not yes or no"}},
		"broken quote":    {"email,name\nann@example.com,\"Ann\nbob@example.com,Bob\n", []string{"not valid CSV"}},
		// A quote opened in the first field of the first row: the reader
		// has no record to place, which used to panic.
		"broken first field": {"email,name\n\"a@b,x\n", []string{"line 2", "not valid CSV"}},
		"extra cells":        {"email,name\nann@example.com,Ann,oops\n", []string{"line 2: 3 cells, but the header has 2 columns"}},
		"header only":        {"email,name\n", []string{"no rows"}},
		"empty":              {"", []string{"empty"}},
		"twice":              {"email,name,mail\na@b.co,A,a@b.co\n", []string{"column email is given twice"}},
		"bidi":               {"email,name\nann@example.com,Ann\u202e\n", []string{"direction-override"}},
	} {
		rows, errs := ParseCSV([]byte(tc.csv))
		if len(rows) != 0 {
			t.Errorf("%s: %d rows returned with errors", name, len(rows))
		}
		var all []string
		for _, e := range errs {
			all = append(all, rowString(e))
		}
		text := strings.Join(all, "\n")
		at := 0
		for _, w := range tc.want {
			i := strings.Index(text[at:], w)
			if i < 0 {
				t.Errorf("%s: %q not in\n%s", name, w, text)
				break
			}
			at += i
		}
	}
}

func TestParseCSVBounds(t *testing.T) {
	var b strings.Builder
	b.WriteString("email,name,title\n")
	for i := range 300 {
		b.WriteString("u")
		b.WriteString(strings.Repeat("x", i%5))
		b.WriteString("@example.com,User,=evil\n")
	}
	_, errs := ParseCSV([]byte(b.String()))
	if len(errs) != maxErrors+1 || !strings.Contains(errs[maxErrors].Message, "more than") {
		t.Fatalf("%d errors, last %v", len(errs), errs[len(errs)-1])
	}
}
