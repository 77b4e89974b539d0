package vendors

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
)

// The columns of a vendor list. Only name is required; the rest may be
// absent (VM-01 then names what each vendor lacks).
var csvColumns = []string{"name", "service", "purpose", "owner_email", "data_shared", "tier", "subservice", "subprocessor", "location", "contract_start", "contract_end", "status"}

// parseCSV reads a vendor list, naming every bad row by line and column;
// owners are resolved by email against known.
func parseCSV(data []byte, owners map[string]int64) ([]vigil.Vendor, []int, []vigil.RowError, error) {
	if len(data) > vigil.MaxVendorCSV {
		return nil, nil, nil, vigil.FieldError("file", "the file is larger than %d bytes", vigil.MaxVendorCSV)
	}
	if !utf8.Valid(data) {
		return nil, nil, nil, vigil.FieldError("file", "the file is not UTF-8 text")
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return nil, nil, nil, vigil.FieldError("file", "the file has no header row (want columns such as %s)", strings.Join(csvColumns, ","))
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(h))
		known := false
		for _, c := range csvColumns {
			known = known || c == h
		}
		if !known {
			return nil, nil, nil, vigil.FieldError("file", "line 1: unknown column %q (known: %s)", clip(h), strings.Join(csvColumns, ", "))
		}
		col[h] = i
	}
	if _, ok := col["name"]; !ok {
		return nil, nil, nil, vigil.FieldError("file", "line 1: the name column is required")
	}
	var vs []vigil.Vendor
	var lines []int
	var bad []vigil.RowError
	seen := map[string]int{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad = append(bad, vigil.RowError{Line: pe.Line, Message: pe.Err.Error()})
				continue
			}
			return nil, nil, nil, vigil.FieldError("file", "%v", err)
		}
		if len(vs)+len(bad) >= vigil.MaxVendorCSVRows {
			return nil, nil, nil, vigil.FieldError("file", "the file has more than %d rows", vigil.MaxVendorCSVRows)
		}
		get := func(c string) string {
			if i, ok := col[c]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		v := vigil.Vendor{Name: get("name"), Service: get("service"), Purpose: get("purpose"), Tier: vigil.VendorTier(strings.ToLower(get("tier"))),
			Location: get("location"), ContractStart: vigil.Date(get("contract_start")), ContractEnd: vigil.Date(get("contract_end")), Status: vigil.VendorStatus(strings.ToLower(get("status")))}
		rowErr := func(column, msg string) { bad = append(bad, vigil.RowError{Line: line, Column: column, Message: msg}) }
		flag := func(c string) (bool, bool) {
			switch strings.ToLower(get(c)) {
			case "", "no", "n", "false", "0":
				return false, true
			case "yes", "y", "true", "1":
				return true, true
			}
			rowErr(c, c+" must be yes or no, got "+clip(get(c)))
			return false, false
		}
		var ok1, ok2 bool
		if v.Subservice, ok1 = flag("subservice"); !ok1 {
			continue
		}
		if v.Subprocessor, ok2 = flag("subprocessor"); !ok2 {
			continue
		}
		for _, c := range strings.FieldsFunc(get("data_shared"), func(r rune) bool { return r == ';' || r == '|' }) {
			v.DataShared = append(v.DataShared, vigil.DataCategory(strings.TrimSpace(c)))
		}
		if e := get("owner_email"); e != "" {
			id, ok := owners[strings.ToLower(e)]
			if !ok {
				rowErr("owner_email", "no active user has the email "+clip(e))
				continue
			}
			v.OwnerID = id
		}
		if err := v.Validate(); err != nil {
			rowErr(vigil.ErrorField(err), vigil.ErrorMessage(err))
			continue
		}
		key := strings.ToLower(v.Name)
		if first, dup := seen[key]; dup {
			rowErr("name", "the file names "+clip(v.Name)+" twice (first on line "+strconv.Itoa(first)+")")
			continue
		}
		seen[key] = line
		vs = append(vs, v)
		lines = append(lines, line)
	}
	return vs, lines, bad, nil
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// Import previews a vendor list and, when confirm is the SHA-256 of this
// very file and no row is bad, imports every vendor in one transaction.
// Without confirm nothing is written: the preview names each bad row by
// line and column, and each vendor already in the inventory.
func (s *Service) Import(ctx context.Context, data []byte, confirm string) (*api.VendorImport, error) {
	if err := mayManage(ctx, "imports vendors"); err != nil {
		return nil, err
	}
	us, err := s.Store.ListUsers(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	owners := map[string]int64{}
	for _, u := range us {
		if !u.Disabled && u.Role.Can(vigil.PermEditOwnControl) {
			owners[strings.ToLower(u.Email)] = u.ID
		}
	}
	vs, lines, bad, err := parseCSV(data, owners)
	if err != nil {
		return nil, err
	}
	existing, err := s.Store.Vendors(ctx)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, v := range existing {
		have[strings.ToLower(v.Name)] = true
	}
	sum := sha256.Sum256(data)
	out := &api.VendorImport{SHA256: hex.EncodeToString(sum[:]), Errors: bad, Vendors: []api.ImportedVendor{}}
	var ok []vigil.Vendor
	for i, v := range vs {
		if have[strings.ToLower(v.Name)] {
			out.Errors = append(out.Errors, vigil.RowError{Line: lines[i], Column: "name", Message: v.Name + " is already in the inventory"})
			continue
		}
		ok = append(ok, v)
		out.Vendors = append(out.Vendors, api.ImportedVendor{Line: lines[i], Name: v.Name, Tier: v.Tier, Gaps: v.InventoryGaps()})
	}
	if out.Errors == nil {
		out.Errors = []vigil.RowError{}
	}
	if confirm == "" {
		return out, nil
	}
	switch {
	case confirm != out.SHA256:
		return nil, vigil.FieldError("confirm", "confirm names another file than this one (its SHA-256 is %s): preview this file first", out.SHA256)
	case len(out.Errors) > 0:
		return nil, vigil.FieldError("file", "%d rows are bad (the first on line %d: %s); nothing was imported", len(out.Errors), out.Errors[0].Line, out.Errors[0].Message)
	case len(ok) == 0:
		return nil, vigil.FieldError("file", "the file lists no vendor")
	}
	if err := s.Store.ImportVendors(ctx, ok); err != nil {
		return nil, err
	}
	out.Imported = len(ok)
	return out, nil
}
