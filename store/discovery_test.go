package store

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
)

// TestDiscoveredApps: listings kept per integration (first seen kept, a
// partial listing removes nothing, a complete one marks the missing app
// gone), and confirm and dismiss each decided once, with their activity
// entries in the same transaction; a refused vendor leaves the app open.
func TestDiscoveredApps(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		owner, _, _ := exceptionUsers(t, s)
		x := &vigil.Integration{Kind: "okta", Name: "acme okta", Config: []byte("{}"), Interval: 3600, Enabled: true}
		if err := s.CreateIntegration(owner, x, ""); err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		get := func() map[string]vigil.DiscoveredApp {
			t.Helper()
			as, err := s.DiscoveredApps(owner)
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]vigil.DiscoveredApp{}
			for _, a := range as {
				m[a.AppID] = a
			}
			return m
		}
		app := func(id, name string) vigil.DiscoveredApp {
			return vigil.DiscoveredApp{AppID: id, Name: name, Status: "ACTIVE", Scopes: []string{"openid"}, Users: 2}
		}
		if err := s.RecordApps(owner, x.ID, []vigil.DiscoveredApp{app("a1", "Slack"), app("a2", "Notion"), app("a3", "Figma")}, true, "", t0); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordApps(owner, x.ID, []vigil.DiscoveredApp{app("a1", "Slack")}, false, "apps of 3 users not readable", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		m := get()
		if len(m) != 3 || !m["a2"].Present || !m["a1"].FirstSeen.Equal(t0) || !m["a1"].LastSeen.Equal(t0.Add(time.Hour)) || m["a1"].System != "acme okta" || m["a1"].Users != 2 || m["a1"].Scopes[0] != "openid" {
			t.Fatalf("after a partial listing: %+v", m)
		}
		cs, err := s.AppCollections(owner)
		if err != nil || len(cs) != 1 || cs[0].Complete || cs[0].Unreadable != "apps of 3 users not readable" || cs[0].Apps != 1 || !cs[0].CollectedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("listing: %+v %v", cs, err)
		}
		v1, _ := s.DiscoveryVersion(owner)
		if err := s.RecordApps(owner, x.ID, []vigil.DiscoveredApp{app("a1", "Slack"), app("a2", "Notion")}, true, "", t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if v2, _ := s.DiscoveryVersion(owner); v2 == v1 {
			t.Errorf("the discovery version did not move with a listing: %s", v2)
		}
		m = get()
		if m["a3"].Present || !m["a2"].Present {
			t.Fatalf("after a complete listing without Figma: %+v", m)
		}

		// Confirm: the vendor and the link, both logged.
		v := &vigil.Vendor{Name: "Notion", Status: vigil.VendorOnboarding}
		a, err := s.ConfirmApp(owner, m["a2"].ID, v)
		if err != nil || v.ID == 0 || a.VendorID != v.ID {
			t.Fatalf("confirm: %+v %+v %v", a, v, err)
		}
		if got := get()["a2"]; got.VendorID != v.ID {
			t.Fatalf("the app is not linked: %+v", got)
		}
		if _, err := s.ConfirmApp(owner, m["a2"].ID, &vigil.Vendor{Name: "Notion 2"}); vigil.ErrorCode(err) != vigil.ECONFLICT {
			t.Fatalf("confirmed twice: %v", err)
		}
		// A vendor the inventory refuses (the name taken) leaves the app
		// undecided and writes nothing.
		if _, err := s.ConfirmApp(owner, m["a1"].ID, &vigil.Vendor{Name: "notion"}); err == nil || !strings.Contains(err.Error(), "already in the inventory") {
			t.Fatalf("a taken name: %v", err)
		}
		if got := get()["a1"]; got.VendorID != 0 {
			t.Fatalf("a refused confirm linked the app: %+v", got)
		}
		// Dismiss: who and when, once.
		d, err := s.DismissApp(owner, m["a1"].ID)
		if err != nil || d.DismissedBy != "owner@example.com" || d.DismissedAt == nil {
			t.Fatalf("dismiss: %+v %v", d, err)
		}
		if got := get()["a1"]; got.DismissedBy != "owner@example.com" || got.DismissedAt == nil {
			t.Fatalf("dismissal not kept: %+v", got)
		}
		if _, err := s.DismissApp(owner, m["a1"].ID); vigil.ErrorCode(err) != vigil.ECONFLICT || !strings.Contains(err.Error(), "already dismissed") {
			t.Fatalf("dismissed twice: %v", err)
		}
		if _, err := s.DismissApp(owner, 9999); vigil.ErrorCode(err) != vigil.ENOTFOUND {
			t.Fatalf("no such app: %v", err)
		}
		// A later listing keeps the decisions.
		if err := s.RecordApps(owner, x.ID, []vigil.DiscoveredApp{app("a1", "Slack"), app("a2", "Notion")}, true, "", t0.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if m := get(); m["a1"].DismissedAt == nil || m["a2"].VendorID != v.ID {
			t.Fatalf("a later listing dropped a decision: %+v", m)
		}
		acts, err := s.ListActivity(owner, vigil.ActivityFilter{Action: "vendor.", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range acts {
			got = append(got, a.Action)
		}
		if strings.Join(got, ",") != "vendor.suggestion.dismiss,vendor.suggestion.confirm,vendor.create" {
			t.Fatalf("activity: %v", got)
		}
	})
}
