package vigil

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Discovery: connected systems that expose the third-party apps people
// use (Okta's app integrations, Google Workspace's OAuth grants) list
// them; an app that matches no vendor in the inventory is a suggestion
// someone confirms (it becomes a vendor) or dismisses.

// MaxTokenUsers bounds the Google Workspace token reads: one call per
// user, for the users the directory listing already returned, up to this
// many; past it the listing is partial and says so.
const MaxTokenUsers = 500

// DiscoveredApp is one third-party app a connected system exposes.
type DiscoveredApp struct {
	ID            int64  `json:"id"`
	IntegrationID int64  `json:"integration_id"`
	System        string `json:"system"` // the integration's name
	Kind          string `json:"kind"`   // okta, google
	AppID         string `json:"app_id"` // Okta app id, Google OAuth client id
	Name          string `json:"name"`
	// Status is the system's own word (Okta ACTIVE or INACTIVE; Google
	// grants are "granted").
	Status string `json:"status,omitempty"`
	// Users is how many users hold a grant (Google); 0 when not told.
	Users  int      `json:"users,omitempty"`
	Scopes []string `json:"scopes,omitempty"`
	// Present is false once a full listing no longer shows the app.
	Present   bool      `json:"present"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// VendorID links the app to the vendor it was confirmed as.
	VendorID      int64      `json:"vendor_id,omitempty"`
	DismissedBy   string     `json:"dismissed_by,omitempty"`
	DismissedAt   *time.Time `json:"dismissed_at,omitempty"`
	MatchedVendor string     `json:"matched_vendor,omitempty"` // set on a listing: the vendor it matches by name
}

// Clean bounds what an external system said before it is kept: a name
// is one line of at most MaxVendorNameLen characters (so that confirming
// it makes a valid vendor), an id at most 500 bytes, at most 100 scopes.
func (a *DiscoveredApp) Clean() {
	a.Name = clipText(strings.Join(strings.Fields(strings.ToValidUTF8(a.Name, "")), " "), MaxVendorNameLen-len("…"))
	a.AppID = clipText(strings.ToValidUTF8(a.AppID, ""), 500)
	a.Status = clipText(strings.ToValidUTF8(a.Status, ""), 40)
	a.Scopes = slices.Clone(a.Scopes)
	if len(a.Scopes) > 100 {
		a.Scopes = append(a.Scopes[:100:100], fmt.Sprintf("and %d more", len(a.Scopes)-100))
	}
	for i, s := range a.Scopes {
		a.Scopes[i] = clipText(strings.ToValidUTF8(s, ""), 300)
	}
	if a.Name == "" {
		a.Name = a.AppID
	}
}

// AppCollection is the last listing of apps from one integration.
type AppCollection struct {
	IntegrationID int64     `json:"integration_id"`
	System        string    `json:"system"`
	Kind          string    `json:"kind"`
	CollectedAt   time.Time `json:"collected_at"`
	Apps          int       `json:"apps"`
	// Complete says every app was read; Unreadable says what was not
	// (a permission not granted, users past the cap). A listing that
	// read nothing is not "no apps".
	Complete   bool   `json:"complete"`
	Unreadable string `json:"unreadable,omitempty"`
}

// Readable reports whether the listing read any apps at all.
func (c *AppCollection) Readable() bool { return c.Complete || c.Apps > 0 }

// vendorSuffixes are words a product or company name carries that do not
// tell vendors apart.
var vendorSuffixes = []string{"inc", "llc", "ltd", "limited", "gmbh", "corp", "corporation", "co", "company", "hq", "app", "apps", "io", "com"}

// NormalizeVendorName is the key apps and vendors are matched on: lower
// case, letters and digits only, without trailing company suffixes
// ("Slack Technologies, Inc." and "slack" do not match; "Slack, Inc."
// and "Slack" do).
func NormalizeVendorName(s string) string {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for len(words) > 1 && slices.Contains(vendorSuffixes, words[len(words)-1]) {
		words = words[:len(words)-1]
	}
	return strings.Join(words, "")
}

// MatchApps sets each app's MatchedVendor: the vendor it is linked to,
// else the first whose name or service normalizes to the app's name.
func MatchApps(apps []DiscoveredApp, vendors []Vendor) {
	byID := map[int64]string{}
	byKey := map[string]string{}
	for _, v := range vendors {
		byID[v.ID] = v.Name
		for _, k := range []string{NormalizeVendorName(v.Name), NormalizeVendorName(v.Service)} {
			if _, ok := byKey[k]; k != "" && !ok {
				byKey[k] = v.Name
			}
		}
	}
	for i := range apps {
		a := &apps[i]
		a.MatchedVendor = ""
		if a.VendorID != 0 {
			a.MatchedVendor = byID[a.VendorID]
			continue
		}
		if k := NormalizeVendorName(a.Name); k != "" {
			a.MatchedVendor = byKey[k]
		}
	}
}

// Suggestion reports whether the app awaits someone's review: still
// listed, in use (an Okta app set INACTIVE signs nobody in; it is kept,
// and suggested again if reactivated), matching no vendor, linked to
// none, not dismissed. MatchApps must have run.
func (a *DiscoveredApp) Suggestion() bool {
	return a.Present && a.Status != "INACTIVE" && a.VendorID == 0 && a.MatchedVendor == "" && a.DismissedAt == nil
}

// AppSuggestions are the apps awaiting review, by name.
func AppSuggestions(apps []DiscoveredApp, vendors []Vendor) []DiscoveredApp {
	MatchApps(apps, vendors)
	out := []DiscoveredApp{}
	for _, a := range apps {
		if a.Suggestion() {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b DiscoveredApp) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	return out
}

// untrackedSignal is VM-01's warning about apps from connected systems
// that nobody has reviewed, or nil when there are none.
func untrackedSignal(r VendorRecords, sig sigFunc) *Signal {
	if len(r.Apps) == 0 {
		return nil
	}
	sugg := AppSuggestions(slices.Clone(r.Apps), r.Vendors)
	if len(sugg) == 0 {
		return nil
	}
	var names []string
	for i, a := range sugg {
		if i == 5 {
			names = append(names, fmt.Sprintf("and %d more", len(sugg)-5))
			break
		}
		names = append(names, fmt.Sprintf("%s (%s)", a.Name, a.System))
	}
	s := sig(VendorInventoryControl, SignalWarn, false, "untracked vendors: %d apps from connected systems match no vendor and await confirmation or dismissal: %s",
		len(sugg), strings.Join(names, ", "))
	return &s
}
