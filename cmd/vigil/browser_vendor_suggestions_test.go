package main

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
)

// TestBrowserVendorSuggestions walks the suggestions on the Vendors
// page in Chromium: a Google Workspace listing (one user's grants not
// readable, said beside the system) suggests the apps matching no vendor,
// an app name with markup stays text; VM-01 warns of untracked vendors;
// the owner confirms one (it becomes an onboarding vendor and opens) and
// dismisses the other; nothing is suggested any more and VM-01 no longer
// warns.
func TestBrowserVendorSuggestions(t *testing.T) {
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

	// The records a Google Workspace run leaves (the collection itself is
	// TestGoogleTokens' and TestVendorSuggestionsCLI's).
	sys := vigil.WithActor(context.Background(), vigil.SystemActor)
	if err := m.Store.CreateVendor(sys, &vigil.Vendor{Name: "Slack, Inc.", OwnerID: 1, Tier: vigil.TierLow, DataShared: []vigil.DataCategory{vigil.DataInternal}}); err != nil {
		t.Fatal(err)
	}
	x := &vigil.Integration{Kind: "google", Name: "acme workspace", Config: []byte(`{"subject":"admin@acme.test"}`), Interval: 3600}
	if err := m.Store.CreateIntegration(sys, x, ""); err != nil {
		t.Fatal(err)
	}
	apps := []vigil.DiscoveredApp{
		{AppID: "123-slack.apps.googleusercontent.com", Name: "Slack", Status: "granted", Users: 12, Scopes: []string{"openid"}},
		{AppID: "456-notion.apps.googleusercontent.com", Name: "Notion", Status: "granted", Users: 7,
			Scopes: []string{"openid", "https://www.googleapis.com/auth/drive.readonly", "https://www.googleapis.com/auth/calendar", "https://www.googleapis.com/auth/userinfo.email"}},
		{AppID: "789-figma.apps.googleusercontent.com", Name: `Figma ` + xss, Status: "granted", Users: 3, Scopes: []string{"openid"}},
	}
	if err := m.Store.RecordApps(sys, x.ID, apps, false, "OAuth grants of 1 user not readable (bob@acme.test): OAuth grants of bob@acme.test: the credential lacks a permission (403): Not Authorized to access this resource/api", time.Now()); err != nil {
		t.Fatal(err)
	}

	w.open("/vendors")
	list := w.text("#suggestion-list")
	if !strings.Contains(list, "Notion") || !strings.Contains(list, "Figma") || strings.Contains(list, "Slack") || !strings.Contains(list, "and 1 more") {
		t.Fatalf("suggestions: %s", list)
	}
	if src := w.text("#app-sources"); !strings.Contains(src, "acme workspace") || !strings.Contains(src, "not all readable") || !strings.Contains(src, "bob@acme.test") {
		t.Fatalf("the listing's state: %s", src)
	}
	w.noInjection("the suggestions")
	w.shot("151-vendor-suggestions")
	w.open("/controls/VM-01")
	if !strings.Contains(w.text("main"), "untracked vendors") {
		t.Fatalf("VM-01 with two suggestions: %s", w.text("main"))
	}

	rows, err := m.Store.DiscoveredApps(sys)
	if err != nil {
		t.Fatal(err)
	}
	row := map[string]string{}
	for _, a := range rows {
		row[strings.Fields(a.Name)[0]] = fmt.Sprintf("#suggestion-%d", a.ID)
	}
	w.open("/vendors")
	w.submit("confirm Notion", row["Notion"]+` form[action$="/confirm"] button`)
	if loc := w.location(); loc != "/vendors/2" || !strings.Contains(w.text(".flash"), "VND-002 Notion") {
		t.Fatalf("after confirming, at %s: %s", loc, w.text("main"))
	}
	if s := w.text("main"); !strings.Contains(s, "onboarding") {
		t.Fatalf("the confirmed vendor: %s", s)
	}
	w.shot("152-vendor-suggestion-confirmed")

	w.open("/vendors")
	if n := w.count(`#suggestion-list form[action$="/dismiss"]`); n != 1 {
		t.Fatalf("one suggestion left, %d dismiss forms", n)
	}
	w.submit("dismiss Figma", row["Figma"]+` form[action$="/dismiss"] button`)
	if !strings.Contains(w.text(".flash"), "was dismissed") || !strings.Contains(w.text("#suggestion-list"), "No suggestion") {
		t.Fatalf("after dismissing: %s", w.text("main"))
	}
	w.noInjection("the dismissal")
	w.shot("153-vendor-suggestions-decided")
	w.open("/controls/VM-01")
	if strings.Contains(w.text("main"), "untracked vendors") {
		t.Fatalf("VM-01 after every app was decided: %s", w.text("main"))
	}
}
