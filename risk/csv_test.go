package risk

import (
	"strings"
	"testing"
)

// TestParseCSV: a clean export (other registers' column names, a BOM,
// controls split by ; or ,) is read; each kind of bad file or row is
// refused naming its line and column, and nothing is returned with it.
func TestParseCSV(t *testing.T) {
	good := "\xef\xbb\xbfRisk,Owner,Probability,Severity,Category,Controls,Review date\n" +
		"Phished credentials,Ada@acme.test,4,4,security,AC-02;ac-03,2027-01-01\n" +
		"\n" +
		"\"Invoice fraud, by email\",,3,4,Fraud,\"GV-11, HR-02\",\n"
	rows, errs := ParseCSV([]byte(good))
	if len(errs) != 0 || len(rows) != 2 {
		t.Fatalf("a clean file: %v %+v", errs, rows)
	}
	if r := rows[0]; r.OwnerEmail != "ada@acme.test" || r.Risk.Likelihood != 4 || strings.Join(r.Risk.Controls, ",") != "AC-02,AC-03" || r.Line != 2 {
		t.Fatalf("row 1: %+v", r)
	}
	if r := rows[1]; r.Risk.Title != "Invoice fraud, by email" || r.Risk.Category != "fraud" || r.Line != 4 || len(r.Risk.Controls) != 2 {
		t.Fatalf("row 2: %+v", r)
	}
	for _, tc := range []struct {
		name, file  string
		line        int
		column, msg string
	}{
		{"formula", "title,likelihood,impact\n\"=HYPERLINK(\"\"http://x\"\")\",3,3\n", 2, "title", "formula"},
		{"formula in a number", "title,likelihood,impact\nx,+3,3\n", 2, "likelihood", "formula"},
		{"missing column", "title,likelihood\nx,3\n", 1, "", "no impact column"},
		{"unknown column", "title,likelihood,impact,colour\nx,3,3,red\n", 1, "colour", "unknown column"},
		{"latin-1", "title,likelihood,impact\nx,3,3\nCaf\xe9,3,3\n", 3, "", "not UTF-8"},
		{"utf-16", "\xff\xfet\x00i\x00", 0, "", "UTF-16"},
		{"off the scale", "title,likelihood,impact\nok,3,3\nx,3,9\n", 3, "impact", "1 to 5"},
		{"not a number", "title,likelihood,impact\nx,high,3\n", 2, "likelihood", "whole number"},
		{"accepted", "title,likelihood,impact,treatment\nx,3,3,accept\n", 2, "treatment", "approver"},
		{"residual above inherent", "title,likelihood,impact,residual_likelihood,residual_impact\nx,2,3,3,1\n", 2, "residual_likelihood", "above"},
		{"bad date", "title,likelihood,impact,review_date\nx,2,3,01/02/2027\n", 2, "review_date", "YYYY-MM-DD"},
		{"broken quote", "title,likelihood,impact\n\"x,3,3\n", 2, "", "not valid CSV"},
		{"header only", "title,likelihood,impact\n", 0, "", "no rows"},
		{"empty", "", 0, "", "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, errs := ParseCSV([]byte(tc.file))
			if len(errs) == 0 {
				t.Fatalf("accepted: %+v", rows)
			}
			e := errs[0]
			if e.Line != tc.line || e.Column != tc.column || !strings.Contains(e.Message, tc.msg) {
				t.Fatalf("got line %d column %q %q, want line %d column %q containing %q", e.Line, e.Column, e.Message, tc.line, tc.column, tc.msg)
			}
		})
	}
}
