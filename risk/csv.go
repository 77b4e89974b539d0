package risk

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vigil-soc/vigil"
)

// Columns are the register import's CSV columns; title, likelihood and
// impact are required. Controls are separated by ; or ,.
var Columns = []string{"title", "description", "category", "asset", "threat", "vulnerability", "owner_email", "likelihood", "impact",
	"residual_likelihood", "residual_impact", "treatment", "treatment_plan", "review_date", "controls"}

// columnNames maps spellings other registers use to our columns.
var columnNames = map[string]string{
	"risk": "title", "name": "title", "risk_title": "title",
	"owner": "owner_email", "risk_owner": "owner_email",
	"probability": "likelihood", "inherent_likelihood": "likelihood",
	"severity": "impact", "consequence": "impact", "inherent_impact": "impact",
	"system": "asset", "asset_or_system": "asset",
	"review": "review_date", "next_review": "review_date",
	"plan": "treatment_plan", "linked_controls": "controls",
}

// maxRows and maxErrors bound an import and its answer.
const maxRows, maxErrors = 5000, 200

// ImportRow is one parsed row: its line, the risk, and the owner's email
// the service resolves to a user.
type ImportRow struct {
	Line       int
	Risk       vigil.Risk
	OwnerEmail string
}

func fail(msg string, args ...any) ([]ImportRow, []vigil.RowError) {
	return nil, []vigil.RowError{{Message: fmt.Sprintf(msg, args...)}}
}

// ParseCSV reads a risk register export: its good rows and the errors of
// every bad row (line and column), so that the references of the good
// ones can be checked too; nothing is imported while any error stands.
func ParseCSV(data []byte) ([]ImportRow, []vigil.RowError) {
	if len(data) > vigil.MaxRiskCSV {
		return fail("the file is larger than %d KiB", vigil.MaxRiskCSV>>10)
	}
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return fail("the file is UTF-16; save it as CSV UTF-8")
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(data)) == 0 {
		return fail("the file is empty")
	}
	if !utf8.Valid(data) {
		i := 0
		for i < len(data) {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return nil, []vigil.RowError{{Line: 1 + bytes.Count(data[:i], []byte{'\n'}), Message: "the text is not UTF-8 (a spreadsheet's \"CSV UTF-8\" export is); nothing was read"}}
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
		name := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(h)), " ", "_")
		if c, ok := columnNames[name]; ok {
			name = c
		}
		switch {
		case !slices.Contains(Columns, name):
			errs = append(errs, vigil.RowError{Line: 1, Column: h, Message: fmt.Sprintf("unknown column %q (the columns are %s)", clip(h), strings.Join(Columns, ", "))})
		case col[name] != 0:
			errs = append(errs, vigil.RowError{Line: 1, Column: h, Message: fmt.Sprintf("column %s is given twice", name)})
		default:
			col[name] = i + 1
		}
	}
	for _, need := range []string{"title", "likelihood", "impact"} {
		if col[need] == 0 {
			errs = append(errs, vigil.RowError{Line: 1, Message: fmt.Sprintf("the header has no %s column", need)})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	var out []ImportRow
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// FieldPos is only valid after a record was read.
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			errs = append(errs, vigil.RowError{Line: line, Message: "not valid CSV: " + err.Error()})
			break // a broken quote makes every later line unreliable
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(out)+len(errs) >= maxRows {
			return fail("more than %d rows", maxRows)
		}
		row, rowErrs := parseRow(rec, col, line)
		errs = append(errs, rowErrs...)
		if len(errs) >= maxErrors {
			return nil, append(errs[:maxErrors], vigil.RowError{Message: fmt.Sprintf("more than %d errors; the rest of the file was not checked", maxErrors)})
		}
		if len(rowErrs) == 0 {
			out = append(out, row)
		}
	}
	if len(out) == 0 && len(errs) == 0 {
		return fail("the file has a header but no rows")
	}
	return out, errs
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func parseRow(rec []string, col map[string]int, line int) (ImportRow, []vigil.RowError) {
	var errs []vigil.RowError
	bad := func(column, msg string, args ...any) {
		errs = append(errs, vigil.RowError{Line: line, Column: column, Message: fmt.Sprintf(msg, args...)})
	}
	get := func(name string) string {
		i := col[name]
		if i == 0 || i > len(rec) {
			return ""
		}
		v := strings.TrimSpace(rec[i-1])
		// A cell a spreadsheet would run as a formula when the register is
		// exported again: refused, not stored.
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			bad(name, "%q looks like a spreadsheet formula; remove the leading %q", clip(v), v[:1])
			return ""
		}
		return v
	}
	num := func(name string) int {
		v := get(name)
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			bad(name, "%s must be a whole number on the 1 to 5 scale, got %q", name, clip(v))
		}
		return n
	}
	x := ImportRow{Line: line, OwnerEmail: strings.ToLower(get("owner_email"))}
	r := &x.Risk
	r.Title, r.Description, r.Category, r.Asset = get("title"), get("description"), vigil.RiskCategory(strings.ToLower(get("category"))), get("asset")
	r.Threat, r.Vulnerability, r.TreatmentPlan = get("threat"), get("vulnerability"), get("treatment_plan")
	r.Likelihood, r.Impact, r.ResidualLikelihood, r.ResidualImpact = num("likelihood"), num("impact"), num("residual_likelihood"), num("residual_impact")
	r.Treatment, r.ReviewDate = vigil.RiskTreatment(strings.ToLower(get("treatment"))), vigil.Date(get("review_date"))
	for _, c := range strings.FieldsFunc(get("controls"), func(r rune) bool { return r == ';' || r == ',' }) {
		r.Controls = append(r.Controls, strings.ToUpper(strings.TrimSpace(c)))
	}
	if len(errs) > 0 {
		return x, errs
	}
	if r.Treatment == vigil.TreatAccept {
		bad("treatment", "an accepted risk needs its approver and expiry: import it with another treatment (or none) and accept it in Vigil")
		return x, errs
	}
	if err := r.Validate(vigil.DefaultRiskScale); err != nil {
		bad(vigil.ErrorField(err), "%s", vigil.ErrorMessage(err))
	}
	return x, errs
}
