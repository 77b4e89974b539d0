package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserBulkEdit walks the controls list's bulk change in Chromium:
// filter to one domain, tick them all with the tick-all box, try to mark
// them implemented without an owner (refused: nothing changes, the ticks
// stay, every control is named), then set the owner and the status at once.
func TestBrowserBulkEdit(t *testing.T) {
	w, setupLink := startBrowser(t)
	w.setupOwner(setupLink)
	w.open("/controls")
	w.submit("adopt all", `button[name=all]`)

	w.open("/controls?domain=AC")
	rows := w.count(`input[type=checkbox][name=id]`)
	if rows < 5 {
		t.Fatalf("%d tick boxes on the AC list", rows)
	}
	if w.count(`input[data-select-all]:not([hidden])`) != 1 {
		t.Fatal("the tick-all box is not shown with JavaScript on")
	}
	// First two controls ticked by hand get an owner.
	w.click(`input[name=id][value=AC-01]`)
	w.click(`input[name=id][value=AC-02]`)
	if got := w.text(`[data-selected-count]`); got != "2 ticked" {
		t.Fatalf("count says %q", got)
	}
	w.fill(`#bulk select[name=owner_id]`, "1")
	w.submit("apply owner", `#bulk button[type=submit]`)
	if flash := w.text(".flash"); !strings.Contains(flash, "Updated 2 control(s): AC-01, AC-02.") {
		t.Fatalf("flash %q", flash)
	}

	// Then all of them, marked implemented: the ten without an owner
	// refuse, so none changes, AC-01 and AC-02 included.
	w.click(`input[data-select-all]`)
	if n := w.count(`input[name=id]:checked`); n != rows {
		t.Fatalf("tick-all ticked %d of %d", n, rows)
	}
	if got := w.text(`[data-selected-count]`); got != strconv.Itoa(rows)+" ticked" {
		t.Fatalf("count says %q", got)
	}
	w.shot("40-bulk-ticked")
	w.fill(`#bulk select[name=status]`, "implemented")
	w.submit("apply implemented", `#bulk button[type=submit]`)
	failures := w.text(`[data-testid=bulk-failures]`)
	if !strings.Contains(w.text(".alert[role=alert]"), "Nothing was changed") || !strings.Contains(failures, "AC-03, AC-04") || strings.Contains(failures, "AC-01") ||
		!strings.Contains(failures, "cannot be marked implemented without an owner") {
		w.shot("debug")
		t.Fatalf("refusal at %s: %s", w.location(), w.text("main"))
	}
	if n := w.count(`input[name=id]:checked`); n != rows {
		t.Fatalf("after the refusal %d of %d stay ticked", n, rows)
	}
	if n := w.count(`td .pill.s-implemented`); n != 0 {
		t.Fatalf("%d controls implemented after a refused change", n)
	}
	if n := w.count(`tr.refused`); n != rows-2 || w.count(`tr.refused input[value=AC-01]`) != 0 {
		t.Fatalf("%d refused rows marked, want %d (not AC-01)", n, rows-2)
	}
	w.shot("41-bulk-refused")
	w.do("phone", chromedp.EmulateViewport(390, 844))
	w.shot("41b-bulk-refused-phone")
	w.do("laptop", chromedp.EmulateViewport(1280, 900))

	// Owner and status in one change: all of them.
	w.fill(`#bulk select[name=owner_id]`, "1")
	w.fill(`#bulk select[name=status]`, "implemented")
	w.fill(`#bulk select[name=frequency]`, "quarterly")
	w.submit("apply owner and status", `#bulk button[type=submit]`)
	if loc := w.location(); loc != "/controls?domain=AC" {
		t.Fatalf("after the change at %s", loc)
	}
	if flash := w.text(".flash"); !strings.Contains(flash, "Updated "+strconv.Itoa(rows)+" control(s): AC-01, AC-02") || strings.Contains(flash, "already") {
		t.Fatalf("flash %q", flash)
	}
	if n := w.count(`td .pill.s-implemented`); n != rows {
		t.Fatalf("%d of %d implemented", n, rows)
	}
	w.shot("42-bulk-applied")
	w.open("/controls/AC-03")
	if body := w.text("main"); !strings.Contains(body, "quarterly") || !strings.Contains(body, "Olive Owner") {
		t.Fatalf("AC-03 after the bulk change: %s", body)
	}
	if w.dialogs.Load() != 0 {
		t.Fatal("a dialog opened during the walk")
	}
}
