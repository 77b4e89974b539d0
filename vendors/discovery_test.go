package vendors

import (
	"strings"
	"testing"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
)

// TestSuggestions: apps listed by a connected system that match no
// vendor are suggested; confirming one adds it as an onboarding vendor
// linked to the app, dismissing one keeps it dismissed; a member may do
// neither; VM-01 warns while any suggestion is open, and the signal's
// Version moves with a new listing (which writes no activity entry).
func TestSuggestions(t *testing.T) {
	f := newFixture(t)
	x := &vigil.Integration{Kind: "google", Name: "acme workspace", Config: []byte("{}"), Interval: 3600, Enabled: true}
	if err := f.st.CreateIntegration(f.admin, x, ""); err != nil {
		t.Fatal(err)
	}
	v := &vigil.Vendor{Name: "Slack, Inc.", OwnerID: f.adminID, Tier: vigil.TierLow, DataShared: []vigil.DataCategory{vigil.DataInternal}}
	if err := f.svc.Create(f.admin, v); err != nil {
		t.Fatal(err)
	}
	if h := f.signal(t, "VM-01"); h.State != vigil.HealthHealthy {
		t.Fatalf("no listing yet: VM-01 %s %+v", h.State, h.Signals)
	}
	ver1, _ := f.svc.Version(f.admin)
	apps := []vigil.DiscoveredApp{{AppID: "c1", Name: "Slack", Status: "granted", Users: 3}, {AppID: "c2", Name: "Notion", Status: "granted", Users: 1},
		{AppID: "c3", Name: "Figma", Status: "granted", Users: 2}}
	if err := f.st.RecordApps(f.admin, x.ID, apps, true, "", f.now); err != nil {
		t.Fatal(err)
	}
	if ver2, _ := f.svc.Version(f.admin); ver2 == ver1 {
		t.Fatalf("a listing did not move the Version (%s): VM-01 would stay cached", ver2)
	}
	sg, err := f.svc.Suggestions(f.mem)
	if err != nil {
		t.Fatal(err)
	}
	if len(sg.Suggestions) != 2 || sg.Suggestions[0].Name != "Figma" || sg.Suggestions[1].Name != "Notion" || len(sg.Sources) != 1 || !sg.Sources[0].Complete {
		t.Fatalf("suggestions (Slack matches Slack, Inc.): %+v", sg)
	}
	h := f.signal(t, "VM-01")
	if h.State != vigil.HealthAtRisk || !strings.Contains(reasons(h), "untracked vendors: 2 apps") {
		t.Fatalf("VM-01 with two untracked apps: %s %s", h.State, reasons(h))
	}
	notion, figma := sg.Suggestions[1].ID, sg.Suggestions[0].ID
	if _, err := f.svc.Confirm(f.mem, notion, api.ConfirmSuggestionRequest{}); vigil.ErrorCode(err) != vigil.EFORBIDDEN {
		t.Fatalf("a member confirmed: %v", err)
	}
	if _, err := f.svc.Dismiss(f.mem, figma); vigil.ErrorCode(err) != vigil.EFORBIDDEN {
		t.Fatalf("a member dismissed: %v", err)
	}
	c, err := f.svc.Confirm(f.admin, notion, api.ConfirmSuggestionRequest{Service: "Wiki"})
	if err != nil || c.Vendor.Name != "Notion" || c.Vendor.Status != vigil.VendorOnboarding || c.Vendor.Service != "Wiki" || c.App.VendorID != c.Vendor.ID {
		t.Fatalf("confirm: %+v %v", c, err)
	}
	// The vendor may be renamed later: the link, not the name, keeps the
	// app from being suggested again.
	if _, err := f.svc.Update(f.admin, c.Vendor.ID, vigil.Vendor{Name: "Notion Labs (docs)", Status: vigil.VendorOnboarding}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Dismiss(f.admin, figma); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Dismiss(f.admin, figma); vigil.ErrorCode(err) != vigil.ECONFLICT {
		t.Fatalf("dismissed twice: %v", err)
	}
	// Slack matches a vendor: it cannot be confirmed as a second one.
	all, _ := f.st.DiscoveredApps(f.admin)
	for _, a := range all {
		if a.Name == "Slack" {
			if _, err := f.svc.Confirm(f.admin, a.ID, api.ConfirmSuggestionRequest{Name: "Slack two"}); vigil.ErrorCode(err) != vigil.ECONFLICT || !strings.Contains(err.Error(), "matches vendor Slack, Inc.") {
				t.Fatalf("confirming a matched app: %v", err)
			}
		}
	}
	if err := f.st.RecordApps(f.admin, x.ID, apps, true, "", f.now); err != nil {
		t.Fatal(err)
	}
	if sg, _ := f.svc.Suggestions(f.admin); len(sg.Suggestions) != 0 {
		t.Fatalf("suggested again after a decision: %+v", sg.Suggestions)
	}
	if h := f.signal(t, "VM-01"); strings.Contains(reasons(h), "untracked") {
		t.Fatalf("VM-01 after every app was decided: %s %s", h.State, reasons(h))
	}
}

func reasons(h vigil.Health) string {
	var rs []string
	for _, s := range h.Signals {
		rs = append(rs, string(s.Status)+": "+s.Reason)
	}
	return strings.Join(rs, "; ")
}
