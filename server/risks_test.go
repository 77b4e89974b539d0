package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
)

// riskSignal is the risks source's signal on a control, read through the API.
func riskSignal(t *testing.T, e *env, ctl string) vigil.Signal {
	t.Helper()
	var d api.ControlDetail
	e.do("admin", "GET", "/api/v1/controls/"+ctl, nil, 200, &d)
	for _, s := range d.Health.Signals {
		if s.Source == "risks" {
			return s
		}
	}
	t.Fatalf("%s has no risks signal: %+v", ctl, d.Health.Signals)
	return vigil.Signal{}
}

// TestRisksAPI walks the register over HTTP on both engines: started from
// the library (linked to adopted controls only), bad input refused naming
// the field, scored, accepted with an approver the owner cannot replace,
// then assessed and signed: one ledger item, the ledger verifies, and
// RA-01 to RA-03 go from unknown to operating.
func TestRisksAPI(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"RA-01", "RA-02", "RA-03", "AC-03"}, "owner_id": e.users["admin"]}, 200, nil)
		for _, ctl := range []string{"RA-01", "RA-02", "RA-03"} {
			if s := riskSignal(t, e, ctl); s.Status != vigil.SignalUnknown {
				t.Fatalf("%s with an empty register: %+v", ctl, s)
			}
		}
		var lib api.RiskLibrary
		e.do("viewer", "GET", "/api/v1/risks/library", nil, 200, &lib)
		if len(lib.Items) < 40 || len(lib.Scale.Likelihood) != 5 || lib.Scale.Impact[4].Definition == "" {
			t.Fatalf("library: %d risks, scale %+v", len(lib.Items), lib.Scale)
		}
		e.do("member", "POST", "/api/v1/risks/library", map[string]any{"ids": []string{"LR-01"}}, 403, nil)
		var added api.Page[vigil.Risk]
		e.do("admin", "POST", "/api/v1/risks/library", map[string]any{"ids": []string{"LR-01", "LR-18"}, "owner_id": e.users["admin"]}, 201, &added)
		if len(added.Items) != 2 || added.Items[0].Key != "RISK-001" || strings.Join(added.Items[0].Controls, ",") != "AC-03" || added.Items[1].Category != vigil.RiskFraud {
			t.Fatalf("from the library (LR-01 suggests AC-02, AC-03, HR-02; only AC-03 is adopted): %+v", added.Items)
		}
		b := e.do("admin", "POST", "/api/v1/risks/library", map[string]any{"ids": []string{"LR-02", "LR-01"}}, 400, nil)
		if _, msg, field := apiError(t, b); field != "ids" || !strings.Contains(msg, "already in the register") {
			t.Fatalf("a library risk twice: %s", b)
		}
		var page api.Page[vigil.Risk]
		if e.do("admin", "GET", "/api/v1/risks", nil, 200, &page); len(page.Items) != 2 {
			t.Fatalf("the refused batch wrote something: %d risks", len(page.Items))
		}
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"title": "x", "likelihood": 6, "impact": 3}, "likelihood"},
			{map[string]any{"title": "x", "likelihood": 3, "impact": 0}, "impact"},
			{map[string]any{"title": "", "likelihood": 3, "impact": 3}, "title"},
			{map[string]any{"title": "x", "likelihood": 3, "impact": 3, "controls": []string{"NS-01"}}, "controls"},
			{map[string]any{"title": "x", "likelihood": 3, "impact": 3, "treatment": "accept"}, "treatment"},
			{map[string]any{"title": "x", "likelihood": 3, "impact": 3, "review_date": "tomorrow"}, "review_date"},
		} {
			b := e.do("admin", "POST", "/api/v1/risks", tc.body, 400, nil)
			if _, _, field := apiError(t, b); field != tc.field {
				t.Errorf("%v: %s, want field %s", tc.body, b, tc.field)
			}
		}
		id1, id2 := added.Items[0].ID, added.Items[1].ID
		review := time.Now().AddDate(0, 3, 0).Format(time.DateOnly)
		var r vigil.Risk
		e.do("admin", "PATCH", fmt.Sprintf("/api/v1/risks/%d", id1), map[string]any{"residual_likelihood": 2, "residual_impact": 3, "treatment": "mitigate", "review_date": review}, 200, &r)
		if r.ResidualScore() != 6 || r.Treatment != vigil.TreatMitigate {
			t.Fatalf("scored: %+v", r)
		}
		b = e.do("admin", "PATCH", fmt.Sprintf("/api/v1/risks/%d", id1), map[string]any{"review_date": "2020-01-01"}, 400, nil)
		if _, _, field := apiError(t, b); field != "review_date" {
			t.Fatalf("a review date in the past: %s", b)
		}
		// The quantitative view: an estimate, simulated the same way twice.
		b = e.do("admin", "PATCH", fmt.Sprintf("/api/v1/risks/%d", id1), map[string]any{"quant": map[string]any{"frequency": 0.5, "loss_low": 9000, "loss_likely": 5000, "loss_high": 90000}}, 400, nil)
		if _, _, field := apiError(t, b); field != "loss_likely" {
			t.Fatalf("most likely below low: %s", b)
		}
		e.do("admin", "PATCH", fmt.Sprintf("/api/v1/risks/%d", id1), map[string]any{"quant": map[string]any{"frequency": 0.5, "loss_low": 5000, "loss_likely": 20000, "loss_high": 300000}}, 200, &r)
		var sim1, sim2 vigil.Simulation
		e.do("viewer", "GET", fmt.Sprintf("/api/v1/risks/%d/simulation", id1), nil, 200, &sim1)
		e.do("viewer", "GET", fmt.Sprintf("/api/v1/risks/%d/simulation", id1), nil, 200, &sim2)
		if sim1.Draws != vigil.SimulationDraws || sim1.ExpectedAnnualLoss <= 0 || sim1.ExpectedAnnualLoss != sim2.ExpectedAnnualLoss || len(sim1.Curve) == 0 {
			t.Fatalf("simulation: %+v / %+v", sim1, sim2)
		}
		e.do("viewer", "GET", fmt.Sprintf("/api/v1/risks/%d/simulation", id2), nil, 409, nil)
		// The heat map and its cell as a filter.
		var h vigil.HeatMap
		e.do("viewer", "GET", "/api/v1/risks/heatmap?residual=true", nil, 200, &h)
		if h.Counts[1][2] != 1 || h.Unscored != 1 {
			t.Fatalf("residual heat map: %+v", h)
		}
		e.do("viewer", "GET", "/api/v1/risks?likelihood=2&impact=3&residual=true", nil, 200, &page)
		if len(page.Items) != 1 || page.Items[0].ID != id1 {
			t.Fatalf("the residual cell 2×3: %+v", page.Items)
		}

		// Accept RISK-002 (owned by the admin): the owner cannot approve, the member can.
		acc := fmt.Sprintf("/api/v1/risks/%d/acceptance", id2)
		exp := time.Now().AddDate(0, 6, 0).Format(time.DateOnly)
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"acceptance_expires": exp}, "approver_id"},
			{map[string]any{"approver_id": e.users["admin"], "acceptance_expires": exp}, "approver_id"},
			{map[string]any{"approver_id": e.users["member"], "acceptance_expires": "2020-01-01"}, "acceptance_expires"},
			{map[string]any{"approver_id": e.users["member"]}, "acceptance_expires"},
		} {
			b := e.do("admin", "POST", acc, tc.body, 400, nil)
			if _, _, field := apiError(t, b); field != tc.field {
				t.Errorf("%v: %s, want field %s", tc.body, b, tc.field)
			}
		}
		e.do("admin", "POST", acc, map[string]any{"approver_id": e.users["member"], "acceptance_expires": exp, "note": "cost exceeds loss"}, 200, &r)
		if r.AcceptanceAt(time.Now()) != vigil.AcceptancePending {
			t.Fatalf("requested: %+v", r)
		}
		if s := riskSignal(t, e, "RA-03"); s.Status != vigil.SignalFail || !strings.Contains(s.Reason, "RISK-002 (no review date, acceptance awaits approval)") {
			t.Fatalf("RA-03 with a pending acceptance: %+v", s)
		}
		b = e.do("admin", "POST", acc+"/approve", nil, 403, nil)
		if _, msg, _ := apiError(t, b); !strings.Contains(msg, "owner") {
			t.Fatalf("the owner approves: %s", b)
		}
		e.do("owner", "POST", acc+"/approve", nil, 403, nil)
		e.do("member", "POST", acc+"/approve", nil, 200, &r)
		if r.AcceptanceAt(time.Now()) != vigil.AcceptanceApproved {
			t.Fatalf("approved: %+v", r)
		}
		e.do("admin", "PATCH", fmt.Sprintf("/api/v1/risks/%d", id2), map[string]any{"review_date": review}, 200, &r)
		if s := riskSignal(t, e, "RA-03"); s.Status != vigil.SignalOK || !s.Operating {
			t.Fatalf("RA-03 with each risk owned, treated and reviewed: %+v", s)
		}

		// The assessment: run, signed, sealed; the ledger verifies.
		b = e.do("admin", "POST", "/api/v1/risk-assessments", map[string]any{"participants": []string{"Ada"}}, 400, nil)
		if _, _, field := apiError(t, b); field != "method" {
			t.Fatalf("no method: %s", b)
		}
		var a vigil.RiskAssessment
		e.do("admin", "POST", "/api/v1/risk-assessments", map[string]any{"method": "workshop with each owner, 5 × 5 scale", "participants": []string{"Ada Admin", "Mia Member"}}, 201, &a)
		if len(a.Register) != 2 || a.SignedAt != nil {
			t.Fatalf("run: %+v", a)
		}
		if s := riskSignal(t, e, "RA-01"); s.Status != vigil.SignalUnknown {
			t.Fatalf("RA-01 before the sign-off: %+v", s)
		}
		e.do("member", "POST", fmt.Sprintf("/api/v1/risk-assessments/%d/sign", a.ID), nil, 403, nil)
		e.do("admin", "POST", fmt.Sprintf("/api/v1/risk-assessments/%d/sign", a.ID), nil, 200, &a)
		if a.SignedAt == nil || a.EvidenceID == 0 {
			t.Fatalf("signed: %+v", a)
		}
		b = e.do("admin", "POST", fmt.Sprintf("/api/v1/risk-assessments/%d/sign", a.ID), nil, 409, nil)
		if _, msg, _ := apiError(t, b); !strings.Contains(msg, "already signed") {
			t.Fatalf("signed twice: %s", b)
		}
		var ev vigil.Evidence
		e.do("auditor", "GET", fmt.Sprintf("/api/v1/evidence/%d", a.EvidenceID), nil, 200, &ev)
		if !strings.Contains(strings.Join(ev.Controls, ","), "RA-01") {
			t.Fatalf("the sealed item: %+v", ev)
		}
		var rep vigil.LedgerReport
		e.do("auditor", "GET", "/api/v1/ledger/verify?blobs=true", nil, 200, &rep)
		if !rep.OK {
			t.Fatalf("the ledger does not verify: %+v", rep)
		}
		for _, ctl := range []string{"RA-01", "RA-02"} {
			if s := riskSignal(t, e, ctl); s.Status != vigil.SignalOK || !s.Operating {
				t.Fatalf("%s after the signed assessment: %+v", ctl, s)
			}
		}
		var list api.RiskAssessments
		e.do("viewer", "GET", "/api/v1/risk-assessments", nil, 200, &list)
		if len(list.Items) != 1 || len(list.Trend) != 1 || list.Trend[0].Risks != 2 {
			t.Fatalf("assessments: %+v", list)
		}
		// The register the service keeps between changes follows a
		// change elsewhere: the owner renamed.
		e.do("admin", "GET", "/api/v1/risks", nil, 200, &page)
		e.do("owner", "PATCH", fmt.Sprintf("/api/v1/users/%d", e.users["admin"]), map[string]any{"name": "Ada Renamed"}, 200, nil)
		e.do("admin", "GET", "/api/v1/risks", nil, 200, &page)
		if page.Items[0].OwnerName != "Ada Renamed" {
			t.Fatalf("a stale register after renaming its owner: %+v", page.Items[0])
		}
	})
}

// TestRiskImportAPI: a register export previewed (a bad row named by line
// and column, nothing written), then a clean one imported only when its
// preview's SHA-256 is named, all its risks at once.
func TestRiskImportAPI(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"AC-03"}, "owner_id": e.users["admin"]}, 200, nil)
		csvHdr := map[string]string{"Content-Type": "text/csv"}
		send := func(who, q, body string) (int, vigil.RiskImport, []byte) {
			st, b := e.raw(who, "POST", "/api/v1/risks/import"+q, strings.NewReader(body), csvHdr)
			var res vigil.RiskImport
			_ = json.Unmarshal(b, &res)
			return st, res, b
		}
		var u vigil.User
		e.do("admin", "GET", fmt.Sprintf("/api/v1/users/%d", e.users["member"]), nil, 200, &u)
		bad := "title,owner_email,likelihood,impact,controls\nPhished credentials," + u.Email + ",4,4,AC-03\nLeaked key,nobody@acme.test,3,4,NS-01\n\"=cmd|' /C calc'!A0\",,2,2,\n"
		st, res, b := send("admin", "", bad)
		if st != 200 || res.Imported || len(res.Errors) != 3 {
			t.Fatalf("a bad file: %d %s", st, b)
		}
		for i, want := range []struct {
			line   int
			column string
		}{{3, "owner_email"}, {3, "controls"}, {4, "title"}} {
			if e := res.Errors[i]; e.Line != want.line || e.Column != want.column {
				t.Errorf("error %d: %+v, want line %d column %s", i, e, want.line, want.column)
			}
		}
		if st, _, _ := send("member", "", bad); st != 403 {
			t.Fatalf("a member imports: %d", st)
		}
		good := fmt.Sprintf("title,owner_email,likelihood,impact,controls,category\nPhished credentials,%s,4,4,AC-03,security\nInvoice fraud,,3,4,,fraud\n", u.Email)
		st, res, b = send("admin", "", good)
		if st != 200 || len(res.Errors) != 0 || len(res.Rows) != 2 || res.Imported || res.SHA256 == "" {
			t.Fatalf("a clean preview: %d %s", st, b)
		}
		var page api.Page[vigil.Risk]
		if e.do("admin", "GET", "/api/v1/risks", nil, 200, &page); len(page.Items) != 0 {
			t.Fatalf("a preview wrote %d risks", len(page.Items))
		}
		if st, _, b := send("admin", "?confirm="+strings.Repeat("0", 64), good); st != 400 || !strings.Contains(string(b), "not the one previewed") {
			t.Fatalf("confirming another file: %d %s", st, b)
		}
		st, res, b = send("admin", "?confirm="+res.SHA256, good)
		if st != 200 || !res.Imported || strings.Join(res.Keys, ",") != "RISK-001,RISK-002" {
			t.Fatalf("the import: %d %s", st, b)
		}
		e.do("admin", "GET", "/api/v1/risks", nil, 200, &page)
		if len(page.Items) != 2 || page.Items[0].OwnerID != e.users["member"] || page.Items[1].Category != vigil.RiskFraud {
			t.Fatalf("imported: %+v", page.Items)
		}
	})
}
