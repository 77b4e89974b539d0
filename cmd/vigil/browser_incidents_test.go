package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserIncidents walks an incident in Chromium from declaration to
// a sealed closure: declared with a detection time after its declaration
// (refused beside the field), then declared; timeline entries; a
// notification owed and marked sent; resolving refused without a root
// cause, then resolved with one; closing refused before the review of a
// SEV2; the review with an action; closed, its record sealed, and the
// ledger verifies. Then a restore test recorded with its report file
// makes BC-02, implemented and owned, healthy.
func TestBrowserIncidents(t *testing.T) {
	w, setupLink := startBrowser(t)
	w.setupOwner(setupLink)
	w.open("/controls")
	w.submit("adopt all", `button[name=all]`)

	w.open("/incidents")
	if !strings.Contains(w.text("#incidents"), "No incident recorded") {
		t.Fatalf("an empty register: %s", w.text("#incidents"))
	}
	w.fill("#i-title", "Customer data visible to <b>other</b> tenants")
	w.fill("#i-sev", "SEV2")
	w.fill("#i-detected", "2026-01-02T10:00")
	w.fill("#i-declared", "2026-01-02T09:00")
	w.submit("declare before detection", `#open button[type=submit]`)
	if w.count(".field-error") == 0 || !strings.Contains(w.text(".field-error"), "cannot be before detection") {
		t.Fatalf("declared before detected: %s", w.text("main"))
	}
	w.shot("90-incidents-declare-error")
	detected := time.Now().UTC().Add(-3 * time.Hour).Format("2006-01-02T15:04")
	w.fill("#i-detected", detected)
	w.fill("#i-declared", "")
	w.fill("#i-customers", "Tenants on shard 4")
	w.fill("#i-data", "Invoice PDFs")
	w.submit("declare", `#open button[type=submit]`)
	if !strings.HasPrefix(w.location(), "/incidents/1") || !strings.Contains(w.text(".flash"), "INC-001 is declared") {
		t.Fatalf("after declaring at %s: %s", w.location(), w.text("main"))
	}
	w.noInjection("incident")

	// Timeline entries.
	for _, e := range []string{"Disabled the shared cache", "Confirmed 12 tenants affected"} {
		w.fill("#e-text", e)
		w.submit("timeline entry", `#event-form button[type=submit]`)
	}
	if n := w.count("#timeline li"); n != 3 {
		t.Fatalf("%d timeline entries, want 3: %s", n, w.text("#timeline"))
	}
	// A notification owed and sent.
	w.fill("#n-aud", "affected customers")
	w.fill("#n-hours", "72")
	w.submit("notification owed", `#notify-form button[type=submit]`)
	if !strings.Contains(w.text("#notifications"), "owed") {
		t.Fatalf("the notification owed: %s", w.text("#notifications"))
	}
	w.submit("mark sent", `#notifications button[type=submit]`)
	if !strings.Contains(w.text("#notifications"), "on time") {
		t.Fatalf("the notification sent: %s", w.text("main"))
	}
	w.shot("91-incident-timeline")

	// Resolve: refused without a root cause, then with it.
	w.fill("#u-status", "resolved")
	w.submit("resolve without root cause", `#status-form button[type=submit]`)
	if !strings.Contains(w.text(".field-error"), "root cause") {
		t.Fatalf("resolved without a root cause: %s", w.text("main"))
	}
	w.fill("#u-status", "resolved")
	w.fill("#u-rc", "A cache key omitted the tenant ID after the 3.2 refactor.")
	w.submit("resolve", `#status-form button[type=submit]`)
	if !strings.Contains(w.text("#root-cause"), "tenant ID") || !strings.Contains(w.text("main"), "resolved") {
		t.Fatalf("after resolving: %s", w.text("main"))
	}
	// Closing a SEV2 before its review is refused.
	w.submit("close before review", `#close-form button[type=submit]`)
	if !strings.Contains(w.text("#close-form"), "post-incident review") {
		t.Fatalf("closing before the review: %s", w.text("main"))
	}
	w.fill("#r-summary", "Cache keys are now built by one function that requires the tenant.")
	w.fill("#r-atitle", "Add a test for cross-tenant cache keys")
	w.fill("#r-aowner", "1")
	w.fill("#r-adue", time.Now().UTC().AddDate(0, 0, 30).Format("2006-01-02"))
	w.submit("review", `#review-form button[type=submit]`)
	if !strings.Contains(w.text("#actions"), "cross-tenant") || !strings.Contains(w.text("#actions"), "Olive Owner") {
		t.Fatalf("the review's action: %s", w.text("main"))
	}
	w.shot("92-incident-review")
	w.submit("close", `#close-form button[type=submit]`)
	if !strings.Contains(w.text(".flash"), "sealed as evidence item") || w.count("#sealed a") != 1 {
		t.Fatalf("after closing: %s", w.text("main"))
	}
	w.shotOf("93-incident-closed", "#main")
	w.open("/incidents")
	if !strings.Contains(w.text("#inc-1"), "closed") {
		t.Fatalf("the register: %s", w.text("#incidents"))
	}
	w.shot("94-incidents-register")
	w.open("/evidence?verify=1")
	if !strings.Contains(w.text("main"), "Verified:") || !strings.Contains(w.text("main"), "INC-001") {
		t.Fatalf("the ledger after sealing: %s", w.text("main"))
	}

	// A restore test with its report makes BC-02 healthy.
	w.open("/controls/BC-02")
	w.fill("#status", "implemented")
	w.fill("#owner_id", "1")
	w.submit("save BC-02", `form[action="/controls/BC-02"] button[type=submit]`)
	w.open("/controls/BC-02")
	if !strings.Contains(w.text("main"), "Health failing") || !strings.Contains(w.text("main"), "no backup restore test recorded") {
		t.Fatalf("BC-02 before any restore test: %s", w.text("main"))
	}
	report := filepath.Join(t.TempDir(), "restore-2026.txt")
	if err := os.WriteFile(report, []byte("Restored db-prod to staging: 38 minutes, checksums match."), 0o600); err != nil {
		t.Fatal(err)
	}
	w.open("/exercises")
	// The cadence is the organization's: 0 months is refused beside its
	// field; quarterly (the catalog's) is kept.
	w.fill("#s-rs", "0")
	w.submit("restore every 0 months", `form[action="/exercises/rules"] button[type=submit]`)
	if w.count("#rules .field-error") == 0 || !strings.Contains(w.text("#rules .field-error"), "restore months must be 1 to 36") {
		t.Fatalf("restore every 0 months: %s", w.text("main"))
	}
	w.fill("#s-rs", "3")
	w.submit("restore every 3 months", `form[action="/exercises/rules"] button[type=submit]`)
	if !strings.Contains(w.text(".flash"), "Saved") {
		t.Fatalf("saving the cadences: %s", w.text("main"))
	}
	w.fill("#x-kind", "restore")
	w.fill("#x-scenario", "Restore the production database from last night's snapshot")
	w.fill("#x-part", "Olive Owner, on-call engineer")
	w.fill("#x-tested", "Snapshot restore into staging, application smoke test")
	w.fill("#x-results", "Restored in 38 minutes; row counts and checksums match")
	w.do("choose the report", chromedp.SetUploadFiles(chromedp.CSS("#x-file"), []string{report}))
	w.submit("record", `form[action="/exercises"] button[type=submit]`)
	if !strings.Contains(w.text(".flash"), "EX-001 is recorded with its evidence") || w.count("#EX-001 a[href^='/evidence/']") != 1 {
		t.Fatalf("after recording: %s", w.text("main"))
	}
	w.shot("95-exercises")
	w.open("/controls/BC-02")
	if !strings.Contains(w.text("main"), "Health healthy") || !strings.Contains(w.text("main"), "EX-001") {
		t.Fatalf("BC-02 is not healthy on the restore test: %s", w.text("main"))
	}
	w.shot("96-bc02-healthy")
}
