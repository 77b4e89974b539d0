package vigil

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestNormalizeVendorName(t *testing.T) {
	for in, want := range map[string]string{"Slack, Inc.": "slack", "slack": "slack", "Zoom Video Communications": "zoomvideocommunications",
		"Notion Labs Inc": "notionlabs", "Box": "box", "App": "app", "GitHub.com": "github", "  ": ""} {
		if got := NormalizeVendorName(in); got != want {
			t.Errorf("NormalizeVendorName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAppSuggestions: an app is suggested only while it is listed, in
// use, matches no vendor by name or service, is linked to none and was
// not dismissed.
func TestAppSuggestions(t *testing.T) {
	now := time.Now()
	vs := []Vendor{{ID: 1, Name: "Slack, Inc."}, {ID: 2, Name: "Atlassian", Service: "Jira"}}
	apps := []DiscoveredApp{
		{ID: 1, Name: "Slack", Present: true},                          // name match
		{ID: 2, Name: "jira", Present: true},                           // service match
		{ID: 3, Name: "Notion", Present: true},                         // suggestion
		{ID: 4, Name: "Old CRM", Present: false},                       // gone
		{ID: 5, Name: "Figma", Present: true, DismissedAt: &now},       // dismissed
		{ID: 6, Name: "Zeta Tool", Present: true, VendorID: 2},         // linked
		{ID: 7, Name: "Legacy SSO", Present: true, Status: "INACTIVE"}, // not in use
		{ID: 8, Name: "Asana", Present: true, Status: "ACTIVE"},        // suggestion
	}
	got := AppSuggestions(apps, vs)
	var names []string
	for _, a := range got {
		names = append(names, a.Name)
	}
	if strings.Join(names, ",") != "Asana,Notion" {
		t.Fatalf("suggestions: %v", names)
	}
	if apps[5].MatchedVendor != "Atlassian" || apps[0].MatchedVendor != "Slack, Inc." {
		t.Errorf("matches: %+v", apps)
	}
}

// TestVendorSignalsUntracked: apps nobody reviewed turn VM-01's pass
// into a warning naming them; apps all matched, dismissed or none listed
// leave VM-01 as it was.
func TestVendorSignalsUntracked(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	r := compliant(now)
	r.Apps = []DiscoveredApp{{ID: 1, Name: "Cloudy", Present: true, System: "okta"}, {ID: 2, Name: "Notion", Present: true, System: "acme workspace"}}
	st, why := vendorStatusOf(t, VendorSignals(r, now), "VM-01")
	if st != SignalWarn || !strings.Contains(why, "untracked vendors") || !strings.Contains(why, "Notion (acme workspace)") || strings.Contains(why, "Cloudy (") {
		t.Fatalf("an unreviewed app: VM-01 %s (%s), want a warning naming Notion only", st, why)
	}
	// The look-alikes: every app matched or decided.
	dismissed := now
	r.Apps[1].DismissedAt = &dismissed
	if st, why := vendorStatusOf(t, VendorSignals(r, now), "VM-01"); st != SignalOK {
		t.Fatalf("every app matched or dismissed: VM-01 %s (%s)", st, why)
	}
	r.Apps = nil
	if st, why := vendorStatusOf(t, VendorSignals(r, now), "VM-01"); st != SignalOK || strings.Contains(why, "untracked") {
		t.Fatalf("no system lists apps: VM-01 %s (%s)", st, why)
	}
	// A failing inventory stays failing, with the warning beside it.
	r = compliant(now)
	r.Vendors[0].OwnerID = 0
	r.Apps = []DiscoveredApp{{ID: 2, Name: "Notion", Present: true, System: "okta"}}
	if st, why := vendorStatusOf(t, VendorSignals(r, now), "VM-01"); st != SignalFail || !strings.Contains(why, "untracked") {
		t.Fatalf("incomplete inventory and an app: VM-01 %s (%s)", st, why)
	}
	// An empty inventory stays unknown, never a pass, and names the apps.
	if st, why := vendorStatusOf(t, VendorSignals(VendorRecords{Apps: r.Apps}, now), "VM-01"); st != SignalUnknown || !strings.Contains(why, "Notion") {
		t.Fatalf("no vendor, an app: VM-01 %s (%s)", st, why)
	}
}

// BenchmarkAppSuggestions matches 5,000 listed apps against 2,000 vendors
// (VM-01 and the Vendors page do this on every read).
func BenchmarkAppSuggestions(b *testing.B) {
	vs := make([]Vendor, 2000)
	for i := range vs {
		vs[i] = Vendor{ID: int64(i + 1), Name: fmt.Sprintf("Vendor %d, Inc.", i), Service: fmt.Sprintf("service %d", i)}
	}
	apps := make([]DiscoveredApp, 5000)
	for i := range apps {
		apps[i] = DiscoveredApp{ID: int64(i + 1), Name: fmt.Sprintf("vendor %d", i), Present: true}
	}
	b.ResetTimer()
	for b.Loop() {
		if n := len(AppSuggestions(apps, vs)); n != 3000 {
			b.Fatalf("%d suggestions", n)
		}
	}
}

// TestDiscoveredAppClean: a name an external system gives with line
// breaks or past the vendor name's limit still confirms into a valid
// vendor.
func TestDiscoveredAppClean(t *testing.T) {
	a := DiscoveredApp{AppID: "x", Name: "Evil\r\nApp  " + strings.Repeat("é", 300), Scopes: make([]string, 150)}
	a.Clean()
	v := Vendor{Name: a.Name}
	if err := v.Validate(); err != nil || strings.ContainsAny(a.Name, "\r\n") || len(a.Scopes) != 101 {
		t.Fatalf("cleaned %q (%d scopes): %v", a.Name, len(a.Scopes), err)
	}
	b := DiscoveredApp{AppID: "123.apps.googleusercontent.com"}
	if b.Clean(); b.Name != b.AppID {
		t.Fatalf("no name: %q", b.Name)
	}
}
