package server_test

import (
	"bytes"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/vendors"
)

// linkForm sends the questionnaire link's multipart form: the page's
// token, the answers, the files.
func (b *browser) linkForm(path, token string, answers map[string]string, files map[string][]byte) (int, string) {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", token)
	for k, v := range answers {
		mw.WriteField(k, v)
	}
	for name, data := range files {
		fw, _ := mw.CreateFormFile("files", name)
		fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.abs(path), &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", b.base)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	b.last = string(body)
	return resp.StatusCode, b.last
}

var formTokenRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func expectedAnswers(tpl string) map[string]string {
	m := map[string]string{}
	for _, q := range vendors.Templates[tpl].Questions {
		m["q-"+q.ID] = q.Expected
	}
	return m
}

// TestVendorsAPI: a vendor added (bad input named by field), a report
// with a CUEC uploaded and reviewed, the CUEC mapped, a questionnaire
// answered through its public link and reviewed; the list shows the
// review state, the subprocessor list derives from the inventory, and
// VM-02/VM-03 turn healthy only once everything is on record.
func TestVendorsAPI(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"VM-01", "VM-02", "VM-03", "VM-04", "AC-04"}, "owner_id": e.users["admin"]}, 200, nil)
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"name": ""}, "name"},
			{map[string]any{"name": "X", "tier": "urgent"}, "tier"},
			{map[string]any{"name": "X", "data_shared": []string{"secrets"}}, "data_shared"},
			{map[string]any{"name": "X", "owner_id": 99999}, "owner_id"},
			{map[string]any{"name": "X", "contract_end": "tomorrow"}, "contract_end"},
		} {
			b := e.do("admin", "POST", "/api/v1/vendors", tc.body, 400, nil)
			if _, _, field := apiError(t, b); field != tc.field {
				t.Errorf("%v: field %q, want %q (%s)", tc.body, field, tc.field, b)
			}
		}
		e.do("member", "POST", "/api/v1/vendors", map[string]any{"name": "Cloudy"}, 403, nil)
		var v vigil.Vendor
		e.do("admin", "POST", "/api/v1/vendors", map[string]any{"name": "Cloudy", "service": "hosting", "owner_id": e.users["admin"], "tier": "critical",
			"data_shared": []string{"personal_data"}, "subprocessor": true, "location": "EU", "status": "active"}, 201, &v)
		for _, ctl := range []string{"VM-02", "VM-03"} {
			e.do("admin", "PATCH", "/api/v1/controls/"+ctl, map[string]any{"status": "implemented"}, 200, nil)
		}
		health := func(ctl string) string {
			var c api.ControlDetail
			e.do("viewer", "GET", "/api/v1/controls/"+ctl, nil, 200, &c)
			if c.Health.State != vigil.HealthHealthy {
				t.Logf("%s: %+v", ctl, c.Health.Signals)
			}
			return string(c.Health.State)
		}
		if h := health("VM-02"); h != "failing" {
			t.Fatalf("VM-02 before due diligence: %s", h)
		}

		// A SOC 2 report with a CUEC, uploaded raw with details in the query.
		status, b := e.raw("admin", "POST", "/api/v1/vendors/1/documents?filename=soc2.pdf&kind=soc2_report&report_type=type9&opinion=unqualified&period_end=2026-10-01",
			strings.NewReader("%PDF-1.4 report"), map[string]string{"Content-Type": "application/pdf"})
		if _, _, field := apiError(t, b); status != 400 || field != "report_type" {
			t.Fatalf("a bad report type: %d %s", status, b)
		}
		var doc vigil.VendorDocument
		status, b = e.raw("admin", "POST", "/api/v1/vendors/1/documents?filename=soc2.pdf&kind=soc2_report&report_type=type2&opinion=unqualified&period_end=2026-10-01&cuec=Customers+review+access",
			strings.NewReader("%PDF-1.4 report"), map[string]string{"Content-Type": "application/pdf"})
		if status != 201 {
			t.Fatalf("upload: %d %s", status, b)
		}
		decodeJSON(t, b, &doc)
		e.do("admin", "POST", "/api/v1/vendor-documents/1/review", map[string]any{"conclusion": "acceptable", "note": "clean"}, 200, nil)
		e.do("admin", "POST", "/api/v1/vendor-documents/1/review", map[string]any{"conclusion": "acceptable"}, 409, nil)
		if h := health("VM-03"); h != "failing" {
			t.Fatalf("VM-03 with an unmapped CUEC: %s", h)
		}
		e.do("admin", "PUT", "/api/v1/vendor-cuecs/1", map[string]any{"controls": []string{"AC-04"}}, 204, nil)
		if h := health("VM-03"); h != "healthy" {
			t.Fatalf("VM-03 mapped and reviewed: %s", h)
		}

		// The questionnaire, answered through its link without an account.
		var sent api.QuestionnaireSent
		e.do("admin", "POST", "/api/v1/vendors/1/questionnaires", map[string]any{"template": "baseline", "contact": "sec@cloudy.test"}, 201, &sent)
		if !strings.Contains(sent.Link, "/q/vq_") {
			t.Fatalf("link %q", sent.Link)
		}
		path := sent.Link[strings.Index(sent.Link, "/q/"):]
		br := e.browser()
		if st, body := br.get(path); st != 200 || !strings.Contains(body, "Cloudy") {
			t.Fatalf("the link's page: %d %.300s", st, body)
		}
		tok := html.UnescapeString(formTokenRe.FindStringSubmatch(br.last)[1])
		// A token from another browser is refused.
		other := e.browser()
		other.get(path)
		if st, _ := other.linkForm(path, tok, expectedAnswers("baseline"), nil); st != 403 {
			t.Fatalf("another browser's token: %d", st)
		}
		// An unanswered question is named, nothing stored.
		partial := expectedAnswers("baseline")
		delete(partial, "q-B07")
		if st, body := br.linkForm(path, tok, partial, nil); st != 400 || !strings.Contains(body, "question B07 needs an answer") {
			t.Fatalf("a missing answer: %d %.500s", st, body)
		}
		if st, body := br.linkForm(path, tok, expectedAnswers("baseline"), map[string][]byte{"policy.pdf": []byte("%PDF-1.4 policy")}); st != 200 || !strings.Contains(body, "Thank you") {
			t.Fatalf("answering: %d %.500s", st, body)
		}
		// Used, unknown and made-up links all get the same answer.
		var refusals []string
		for _, p := range []string{path, "/q/vq_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "/q/nothing"} {
			st, body := e.browser().get(p)
			if st != 404 {
				t.Fatalf("%s: %d", p, st)
			}
			refusals = append(refusals, body[strings.Index(body, "<main"):])
		}
		if refusals[0] != refusals[1] || refusals[1] != refusals[2] {
			t.Fatalf("refusals differ:\n%s\n%s\n%s", refusals[0], refusals[1], refusals[2])
		}
		var det api.VendorDetail
		e.do("viewer", "GET", "/api/v1/vendors/1", nil, 200, &det)
		if len(det.Questionnaires) != 1 || det.Questionnaires[0].Score != 100 || len(det.Questionnaires[0].Attachments) != 1 || len(det.DocumentList) != 1 || len(det.DocumentList[0].CUECs) != 1 {
			t.Fatalf("the vendor: %+v", det)
		}
		if h := health("VM-02"); h != "healthy" {
			// The report review already counts as due diligence.
			t.Fatalf("VM-02 after the report's review: %s", h)
		}
		e.do("admin", "POST", "/api/v1/questionnaires/1/review", map[string]any{"conclusion": "maybe"}, 400, nil)
		e.do("member", "POST", "/api/v1/questionnaires/1/review", map[string]any{"conclusion": "acceptable"}, 403, nil)
		e.do("admin", "POST", "/api/v1/questionnaires/1/review", map[string]any{"conclusion": "acceptable"}, 200, nil)

		var list api.Page[api.VendorRow]
		e.do("viewer", "GET", "/api/v1/vendors", nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0].Review.State != "current" {
			t.Fatalf("the list: %+v", list.Items)
		}
		var subs api.Page[vigil.Subprocessor]
		e.do("viewer", "GET", "/api/v1/subprocessors", nil, 200, &subs)
		if len(subs.Items) != 1 || subs.Items[0].Name != "Cloudy" || subs.Items[0].Location != "EU" {
			t.Fatalf("subprocessors: %+v", subs.Items)
		}
	})
}

// TestVendorLinkLimits: the link's page is limited per link, and a
// limited link says so without telling whether it exists.
func TestVendorLinkLimits(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"VM-02"}, "owner_id": e.users["admin"]}, 200, nil)
	e.do("admin", "POST", "/api/v1/vendors", map[string]any{"name": "Cloudy"}, 201, nil)
	var sent api.QuestionnaireSent
	e.do("admin", "POST", "/api/v1/vendors/1/questionnaires", map[string]any{"template": "extended", "contact": "sec@cloudy.test"}, 201, &sent)
	path := sent.Link[strings.Index(sent.Link, "/q/"):]
	br := e.browser()
	st, body := br.get(path)
	if st != 200 || strings.Count(body, `type="radio" name="q-`) != 40*3 {
		t.Fatalf("the extended questionnaire: %d", st)
	}
	if !strings.Contains(body, "Security questionnaire from Acme") || strings.Contains(body, `href="/vendors`) || strings.Contains(body, "sec@cloudy.test") {
		t.Fatalf("the page shows more than the questionnaire: %.2000s", body)
	}
	for i := 0; i < 25; i++ {
		st, _ = br.get(path)
	}
	if st != 429 {
		t.Fatalf("the 26th look at one link: %d, want 429", st)
	}
	// Too many files are refused before they are stored.
	br2 := e.browser()
	e.do("admin", "POST", "/api/v1/vendors/1/questionnaires", map[string]any{"template": "baseline", "contact": "sec@cloudy.test"}, 201, &sent)
	path = sent.Link[strings.Index(sent.Link, "/q/"):]
	br2.get(path)
	tok := html.UnescapeString(formTokenRe.FindStringSubmatch(br2.last)[1])
	files := map[string][]byte{"a.txt": []byte("a"), "b.txt": []byte("b"), "c.txt": []byte("c"), "d.txt": []byte("d")}
	if st, body := br2.linkForm(path, tok, expectedAnswers("baseline"), files); st != 400 || !strings.Contains(body, "at most 3 files") {
		t.Fatalf("four files: %d %.300s", st, body)
	}
	big := map[string][]byte{"big.bin": bytes.Repeat([]byte("x"), vigil.MaxAttachmentBytes+1)}
	if st, body := br2.linkForm(path, tok, expectedAnswers("baseline"), big); st != 400 || !strings.Contains(body, "larger than") {
		t.Fatalf("a file too large: %d %.300s", st, body)
	}
	var det api.VendorDetail
	e.do("admin", "GET", "/api/v1/vendors/1", nil, 200, &det)
	for _, q := range det.Questionnaires {
		if q.SubmittedAt != nil {
			t.Fatalf("a refused submission was stored: %+v", q)
		}
	}
}
