package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/auth"
	"github.com/vigil-soc/vigil/vendors"
)

// TestBrowserVendors walks the vendor module in Chromium: the owner adds
// a critical vendor (a missing name refused beside its field), sends a
// questionnaire link; the vendor, in a browser of its own with no
// account, answers it with an attachment; the link then refuses a second
// use exactly as it refuses an expired one; the owner sees the score,
// reviews the answers, adds the vendor's SOC 2 report with a
// complementary control, reviews it and maps the control; VM-02 and
// VM-03, implemented and owned, turn healthy on those records.
func TestBrowserVendors(t *testing.T) {
	var console bytes.Buffer
	m := &Main{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Console: &console, PasswordParams: fastHash}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	w := newWalker(t, m.URL)
	w.setupOwner(regexp.MustCompile(`http://\S+/setup\?token=\S+`).FindString(console.String()))
	w.open("/controls")
	w.submit("adopt all", `button[name=all]`)
	for _, ctl := range []string{"VM-02", "VM-03"} {
		w.open("/controls/" + ctl)
		w.fill("#status", "implemented")
		w.fill("#owner_id", "1")
		w.submit("save "+ctl, `form[action="/controls/`+ctl+`"] button[type=submit]`)
	}

	w.open("/vendors")
	if !strings.Contains(w.text("#vendors"), "No vendor yet") {
		t.Fatalf("a new inventory: %s", w.text("#vendors"))
	}
	w.fill("#v-tier", "critical")
	w.submit("add without a name", `form[action="/vendors"] button[type=submit]`)
	if !strings.Contains(w.text(".field-error"), "name is required") || w.text("#v-tier") == "" {
		t.Fatalf("a vendor without a name: %s", w.text("main"))
	}
	w.shot("140-vendors-name-required")
	w.fill("#v-name", "Payroll Cloud")
	w.fill("#v-service", "payroll")
	w.fill("#v-purpose", "Runs payroll for every employee")
	w.fill("#v-owner", "1")
	w.fill("#v-tier", "critical")
	w.click(`form[action="/vendors"] input[name=data_shared][value=personal_data]`)
	w.click(`form[action="/vendors"] input[name=subprocessor]`)
	w.fill("#v-location", "EU (Frankfurt)")
	w.fill("#v-status", "active")
	w.submit("add the vendor", `form[action="/vendors"] button[type=submit]`)
	if w.location() != "/vendors/1" || !strings.Contains(w.text(".flash"), "VND-001") {
		t.Fatalf("after adding, at %s: %s", w.location(), w.text("main"))
	}
	if !strings.Contains(w.text("#summary"), "never reviewed") {
		t.Fatalf("a new critical vendor: %s", w.text("#summary"))
	}

	// The link, made once.
	w.fill("#q-contact", "security@payroll.test")
	w.submit("make the link", `form[action="/vendors/1/questionnaires"] button[type=submit]`)
	link := w.text("#link-url")
	if !strings.HasPrefix(link, m.URL+"/q/vq_") {
		t.Fatalf("the link: %q", link)
	}
	w.shot("141-vendor-link")

	// The vendor: its own browser, no account.
	v := newWalker(t, m.URL)
	v.open(link)
	if !strings.Contains(v.text("h1"), "Acme Cloud") || v.count("nav") != 0 || v.count(`a[href^="/vendors"]`) != 0 {
		t.Fatalf("the vendor's page: %s", v.text("body"))
	}
	for _, q := range vendors.Templates["baseline"].Questions {
		a := q.Expected
		if q.ID == "B11" {
			a = "no" // patches take 45 days: one answer off
		}
		v.click(`input[name="q-` + q.ID + `"][value="` + a + `"]`)
	}
	v.fill(`input[name="c-B11"]`, "Critical patches within 45 days; moving to 30 this quarter.")
	att := filepath.Join(t.TempDir(), "pentest-summary.pdf")
	if err := os.WriteFile(att, []byte("%PDF-1.4 penetration test summary"), 0o600); err != nil {
		t.Fatal(err)
	}
	v.do("attach", chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{att}))
	v.shot("142-vendor-questionnaire")
	v.submit("send the answers", `#questionnaire button[type=submit]`)
	if !strings.Contains(v.text("#done"), "received by Acme Cloud") {
		t.Fatalf("after sending: %s", v.text("main"))
	}
	v.shot("143-vendor-questionnaire-sent")
	// Used: refused. Expired: refused the same way.
	v.open(link)
	used := v.text("main")
	if !strings.Contains(used, "not valid") || v.count("#questionnaire") != 0 {
		t.Fatalf("a used link: %s", used)
	}
	v.shot("144-vendor-link-used")
	secret, hash, _ := auth.NewSecret(vendors.LinkPrefix)
	old := &vigil.Questionnaire{VendorID: 1, Template: "baseline", Contact: "security@payroll.test", ExpiresAt: time.Now().Add(-time.Minute)}
	if err := m.Store.CreateQuestionnaire(vigil.WithActor(context.Background(), vigil.SystemActor), old, hash); err != nil {
		t.Fatal(err)
	}
	v.open("/q/" + secret)
	if expired := v.text("main"); expired != used {
		t.Fatalf("an expired link answers differently from a used one:\n%s\n%s", expired, used)
	}

	// The owner: the score, the review.
	w.open("/vendors/1")
	if !strings.Contains(w.text("#q-1"), "93%") {
		t.Fatalf("the round: %s", w.text("#questionnaires"))
	}
	w.submit("open the round", `#q-1 a`)
	if !strings.Contains(w.text("#score"), "93%") || w.count(`#answers tr[data-match=false]`) != 1 || !strings.Contains(w.text("#attachments"), "pentest-summary.pdf") {
		t.Fatalf("the answers: %s", w.text("main"))
	}
	w.noInjection("questionnaire")
	w.shot("145-vendor-answers")
	w.fill("#r-conclusion", "acceptable_with_conditions")
	w.fill("#r-note", "Patch window to reach 30 days by next review.")
	w.submit("review", `form[action="/questionnaires/1/review"] button[type=submit]`)
	if !strings.Contains(w.text(".flash"), "score 93%") {
		t.Fatalf("after the review: %s", w.text("main"))
	}

	// The SOC 2 report, its complementary control unmapped, then mapped.
	report := filepath.Join(t.TempDir(), "payroll-soc2.pdf")
	if err := os.WriteFile(report, []byte("%PDF-1.4 SOC 2 Type II report"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.fill("#d-kind", "soc2_report")
	w.fill("#d-title", "SOC 2 Type II 2026")
	w.fill("#d-type", "type2")
	w.fill("#d-opinion", "unqualified")
	w.fill("#d-pend", time.Now().AddDate(0, -2, 0).Format(time.DateOnly))
	w.fill("#d-cuecs", "Customers review their users' access to payroll quarterly.")
	w.do("choose the report", chromedp.SetUploadFiles(chromedp.CSS("#d-file"), []string{report}))
	w.submit("add the report", `form[action="/vendors/1/documents"] button[type=submit]`)
	if !strings.Contains(w.text(".flash"), "sealed as evidence") || !strings.Contains(w.text("#doc-table"), "unmapped") {
		t.Fatalf("after the report: %s", w.text("main"))
	}
	w.submit("review the report", `form[action="/vendor-documents/1/review"] button[type=submit]`)
	w.open("/controls/VM-03")
	if !strings.Contains(w.text("main"), "mapped to no control") || w.count(".h-failing") == 0 {
		t.Fatalf("VM-03 with an unmapped CUEC: %s", w.text("main"))
	}
	w.shot("146-vendor-vm03-unmapped")
	w.open("/vendors/1")
	w.fill(`#cuec-1 input[name=controls]`, "AC-04")
	w.submit("map", `#cuec-1 button[type=submit]`)
	if strings.Contains(w.text("#doc-table"), "unmapped") {
		t.Fatalf("after mapping: %s", w.text("#doc-table"))
	}
	w.noInjection("vendor")
	w.shot("147-vendor-page")
	for _, ctl := range []string{"VM-02", "VM-03"} {
		w.open("/controls/" + ctl)
		if w.count(".h-healthy") == 0 || w.count(".h-failing") != 0 {
			t.Fatalf("%s is not healthy: %s", ctl, w.text("main"))
		}
	}
	w.shot("148-vendor-vm03-healthy")
	w.open("/vendors")
	if !strings.Contains(w.text("#vendor-1"), "reviewed") || !strings.Contains(w.text("#subprocessors"), "EU (Frankfurt)") {
		t.Fatalf("the inventory: %s", w.text("main"))
	}
	w.shot("149-vendors-list")

	// Markup typed anywhere, by the owner or by the vendor, stays text.
	w.fillForm(`form[action="/vendors"]`)
	w.noInjection("vendors form")
	w.open("/vendors/2")
	w.noInjection("vendor with markup")
	w.fill("#q-contact", "x@evil.test")
	w.fill("#q-message", xss)
	w.submit("make a link", `form[action="/vendors/2/questionnaires"] button[type=submit]`)
	link = w.text("#link-url")
	v.open(link)
	v.noInjection("the link's page")
	for _, q := range vendors.Templates["baseline"].Questions {
		v.click(`input[name="q-` + q.ID + `"][value="yes"]`)
		v.fill(`input[name="c-`+q.ID+`"]`, xss)
	}
	v.submit("send", `#questionnaire button[type=submit]`)
	v.noInjection("sent")
	w.open("/questionnaires/3")
	w.noInjection("answers with markup")
	if !strings.Contains(w.text("#answers"), "<script>") {
		t.Fatalf("the comments are not shown as text: %s", w.text("#answers"))
	}

	// A vendor list: a bad row named by its line, nothing imported; the
	// corrected file previewed, then confirmed.
	list := filepath.Join(t.TempDir(), "vendors.csv")
	os.WriteFile(list, []byte("name,tier,data_shared\nMailer,medium,internal\nPayco,urgent,\n"), 0o600)
	w.open("/vendors")
	w.do("choose the list", chromedp.SetUploadFiles(chromedp.CSS("#i-file"), []string{list}))
	w.submit("preview", `form[action="/vendors/import"] button[type=submit]`)
	if !strings.Contains(w.text("#import-errors"), "3") || !strings.Contains(w.text("#import-errors"), "tier") || w.count(`form[action="/vendors/import/confirm"]`) != 0 {
		t.Fatalf("the preview of a bad list: %s", w.text("main"))
	}
	w.shotOf("9a-vendors-import-bad", "#preview")
	os.WriteFile(list, []byte("name,tier,data_shared\r\nMailer,medium,internal\r\nPayco,,\r\n"), 0o600)
	w.do("choose the list", chromedp.SetUploadFiles(chromedp.CSS("#i-file"), []string{list}))
	w.submit("preview", `form[action="/vendors/import"] button[type=submit]`)
	if !strings.Contains(w.text("#import-rows"), "no owner, no tier, no data shared recorded") {
		t.Fatalf("the preview: %s", w.text("main"))
	}
	w.submit("import", `form[action="/vendors/import/confirm"] button[type=submit]`)
	if !strings.Contains(w.text(".flash"), "Imported 2 vendors") || !strings.Contains(w.text("#vendors"), "Payco") {
		t.Fatalf("after the import: %s", w.text("main"))
	}
}
