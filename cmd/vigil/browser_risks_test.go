package main

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil/auth"
)

// TestBrowserRisks walks the risk register in Chromium, with no
// JavaScript doing the work: Olive starts the register from the library,
// follows a heat map cell to its risks, scores one and links a control
// (a residual score above the inherent one refused beside its field),
// accepts the fraud risk naming Mia as approver (naming herself, the
// owner, is refused; the owner gets no approve button); Mia approves;
// Olive runs and signs the annual assessment (sealed; the ledger
// verifies) and RA-01, implemented and owned, is healthy on it.
func TestBrowserRisks(t *testing.T) {
	w, setupLink := startBrowser(t)
	w.open(setupLink)
	w.fill("#org", "Acme Cloud")
	w.fill("#name", "Olive Owner")
	w.fill("#email", "olive@acme.test")
	w.fill("#password", "olive's long password")
	w.submit("create owner", `form[action="/setup"] button[type=submit]`)
	secret := w.enrolTOTP()
	w.open("/controls")
	w.submit("adopt all", `button[name=all]`)
	mia := w.invite("mia@acme.test", "Mia Member", "member")

	w.open("/risks")
	if !strings.Contains(w.text("#risks"), "The register is empty") {
		t.Fatalf("a new register: %s", w.text("#risks"))
	}
	w.open("/risks/library")
	if n := w.count("#library li"); n < 40 {
		t.Fatalf("the library has %d risks", n)
	}
	for _, id := range []string{"LR-01", "LR-18", "LR-23"} {
		w.click(`#lib-` + id + ` input[name=ids]`)
	}
	w.fill("#l-owner", "1")
	w.shot("110-risks-library")
	w.submit("add from the library", `form[action="/risks/library"] button[type=submit]`)
	if w.location() != "/risks" || !strings.Contains(w.text(".flash"), "3 risks are in the register") || w.count("#risks tbody tr[id^=risk-]") != 3 {
		t.Fatalf("after adding at %s: %s", w.location(), w.text("main"))
	}
	w.noInjection("risks")
	w.shot("111-risks-register")
	// LR-18 (invoice fraud) and LR-23 (unreviewed change) are 3×4: their
	// inherent cell counts two and links to them alone.
	if w.count(`#heat-inherent a[data-l="3"][data-i="4"][data-count="2"]`) != 1 || w.count(`#heat-inherent a[data-l="4"][data-i="4"][data-count="1"]`) != 1 {
		t.Fatalf("the inherent heat map: %s", w.text("#heat-inherent"))
	}
	w.submit("the 3×4 cell", `#heat-inherent a[data-l="3"][data-i="4"]`)
	if !strings.Contains(w.location(), "likelihood=3") || w.count("#risks tbody tr[id^=risk-]") != 2 || strings.Contains(w.text("#risks"), "RISK-001") {
		t.Fatalf("the cell's risks at %s: %s", w.location(), w.text("#risks"))
	}

	// Score RISK-001 and link it to one more control.
	w.open("/risks/1")
	if w.text("#controls") != "AC-02, AC-03, HR-02" {
		t.Fatalf("RISK-001 not linked to the adopted controls: %s", w.text("#controls"))
	}
	w.fill("#s-residual_likelihood", "5")
	w.fill("#s-residual_impact", "2")
	w.submit("a residual above the inherent", `#score button[type=submit]`)
	if !strings.Contains(w.text(".field-error"), "above the inherent likelihood") {
		t.Fatalf("residual 5 over inherent 4: %s", w.text("main"))
	}
	w.shot("112-risks-score-error")
	w.fill("#s-residual_likelihood", "2")
	w.fill("#s-residual_impact", "3")
	w.fill("#s-treatment", "mitigate")
	w.fill("#s-plan", "SSO with phishing-resistant MFA everywhere")
	w.fill("#s-review", time.Now().AddDate(0, 3, 0).Format("2006-01-02"))
	w.click(`#score input[name=controls][value="IR-01"]`)
	w.fill("#q-f", "0.5")
	w.fill("#q-loss_low", "10000")
	w.fill("#q-loss_likely", "50000")
	w.fill("#q-loss_high", "400000")
	w.submit("score", `#score button[type=submit]`)
	if q := w.text("#quant"); !strings.Contains(q, "expected annual loss") || w.count("#lec polyline") != 1 {
		t.Fatalf("the quantitative view: %s", w.text("#facts"))
	}
	if !strings.Contains(w.text("#residual"), "= 6") || !strings.Contains(w.text("#controls"), "AC-02, AC-03, HR-02, IR-01") {
		t.Fatalf("after scoring: %s", w.text("#facts"))
	}
	w.shot("113-risks-scored")

	// Accept RISK-002: the owner as approver is refused; Mia is named.
	w.open("/risks/2")
	exp := time.Now().AddDate(0, 6, 0).Format("2006-01-02")
	w.fill("#a-approver", "1")
	w.fill("#a-expires", exp)
	w.submit("the owner as approver", `#accept button[type=submit]`)
	if !strings.Contains(w.text(".field-error"), "someone other than the risk's owner") {
		t.Fatalf("the owner as approver: %s", w.text("main"))
	}
	w.fill("#a-approver", "2")
	w.fill("#a-expires", exp)
	w.fill("#a-note", "Payments over $5k already need two people; the rest is insured.")
	w.submit("request the acceptance", `#accept button[type=submit]`)
	if !strings.Contains(w.text("#acceptance"), "pending") || w.count(`form[action="/risks/2/approve"]`) != 0 {
		t.Fatalf("the owner's view of a pending acceptance: %s", w.text("main"))
	}
	w.shot("114-risks-acceptance-pending")

	// Mia approves.
	w.accept(mia, "mia@acme.test", "mia's long password")
	w.open("/risks/2")
	w.submit("approve", `form[action="/risks/2/approve"] button[type=submit]`)
	if !strings.Contains(w.text("#acceptance"), "approved") || !strings.Contains(w.text(".flash"), "You approved") {
		t.Fatalf("after Mia's approval: %s", w.text("main"))
	}
	w.shot("115-risks-acceptance-approved")

	// Olive runs and signs the assessment.
	w.signOut()
	w.signIn("olive@acme.test", "olive's long password")
	code, _ := auth.TOTPCode(secret, time.Now().Add(30*time.Second))
	w.fill("#code", code)
	w.submit("code", `form[action="/login/mfa"] button[type=submit]`)
	w.open("/risks/assessments")
	if !strings.Contains(w.text("#current"), "No current signed assessment") {
		t.Fatalf("before any assessment: %s", w.text("#current"))
	}
	w.fill("#r-method", "Workshop with each risk owner; scored on the 5 × 5 scale")
	w.fill("#r-parts", "Olive Owner\nMia Member")
	w.submit("run", `#run button[type=submit]`)
	if !strings.Contains(w.location(), "/risks/assessments/1") || !strings.Contains(w.text("#signoff"), "not signed") || w.count("#register tbody tr") != 3 {
		t.Fatalf("after running at %s: %s", w.location(), w.text("main"))
	}
	w.submit("sign", `#sign button[type=submit]`)
	if !strings.Contains(w.text("#signoff"), "signed") || !strings.Contains(w.text(".flash"), "sealed into the evidence ledger") {
		t.Fatalf("after signing: %s", w.text("main"))
	}
	w.shot("116-risks-assessment-signed")
	w.open("/evidence?verify=1")
	if !strings.Contains(w.text(".flash"), "Verified") {
		t.Fatalf("the ledger does not verify: %s", w.text("main"))
	}
	w.open("/risks/assessments")
	if !strings.Contains(w.text("#current"), "RA-") || w.count("#trend tbody tr") != 1 {
		t.Fatalf("the assessments: %s", w.text("main"))
	}
	w.shot("117-risks-assessments")
	w.open("/risks/plan")
	w.shot("118-risks-plan")

	// RA-01, implemented and owned, is healthy on the signed assessment.
	w.open("/controls/RA-01")
	w.fill("#status", "implemented")
	w.fill("#owner_id", "1")
	w.submit("save RA-01", `form[action="/controls/RA-01"] button[type=submit]`)
	w.open("/controls/RA-01")
	main := w.text("main")
	if !strings.Contains(main, "signed by Olive Owner") || w.count(".h-healthy") == 0 {
		t.Fatalf("RA-01 is not healthy on the assessment: %s", main)
	}
	w.shot("119-risks-ra01-healthy")

	// Import a register: a formula and an unknown owner refused by line
	// and column, nothing written; then the clean file, confirmed.
	w.open("/risks/import")
	w.fill("#i-csv", "title,owner_email,likelihood,impact,category\nVendor outage,nobody@acme.test,3,3,vendor\n=SUM(A1),,2,2,security\n")
	w.submit("preview a bad file", `#preview-form button[type=submit]`)
	if errs := w.text("#import-errors"); !strings.Contains(errs, "line 2, column owner_email") || !strings.Contains(errs, "line 3, column title") || w.count("#confirm") != 0 {
		t.Fatalf("a bad import: %s", w.text("main"))
	}
	w.shot("120-risks-import-errors")
	w.fill("#i-csv", "title,owner_email,likelihood,impact,category\nVendor outage,mia@acme.test,3,3,vendor\n")
	w.submit("preview", `#preview-form button[type=submit]`)
	if w.count("#preview tbody tr") != 1 {
		t.Fatalf("the preview: %s", w.text("main"))
	}
	w.submit("confirm", `#confirm button[type=submit]`)
	if !strings.Contains(w.text(".flash"), "Imported 1 risks: RISK-004") {
		t.Fatalf("after the import: %s", w.text("main"))
	}
}
