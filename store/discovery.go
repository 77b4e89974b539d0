package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/vigil-soc/vigil"
)

// Vendor discovery: the apps each integration listed, and what someone
// decided about each. Which apps are suggestions is the domain's rule
// (vigil.AppSuggestions); the store keeps rows and activity entries.

const appSelect = `SELECT a.id, a.integration_id, COALESCE(i.name, ''), COALESCE(i.kind, ''), a.app_id, a.name, a.status, a.users, a.scopes, a.present,
	a.first_seen, a.last_seen, COALESCE(a.vendor_id, 0), a.dismissed_by, a.dismissed_at
	FROM discovered_apps a LEFT JOIN integrations i ON i.id = a.integration_id`

func scanApp(r scanner) (vigil.DiscoveredApp, error) {
	var a vigil.DiscoveredApp
	var scopes string
	var first, last, dismissed dbTime
	if err := r.Scan(&a.ID, &a.IntegrationID, &a.System, &a.Kind, &a.AppID, &a.Name, &a.Status, &a.Users, &scopes, &a.Present,
		&first, &last, &a.VendorID, &a.DismissedBy, &dismissed); err != nil {
		return a, err
	}
	a.FirstSeen, a.LastSeen, a.DismissedAt = first.T, last.T, dismissed.ptr()
	if err := json.Unmarshal([]byte(scopes), &a.Scopes); err != nil {
		return a, fmt.Errorf("app %d scopes: %w", a.ID, err)
	}
	return a, nil
}

// RecordApps keeps one listing of an integration's apps at at: listed
// apps are added or updated (first seen kept), and, when the listing was
// complete, apps it no longer shows are marked not present. A partial
// listing removes nothing: an app missing from it may still be there.
// What could not be read is kept beside the listing.
func (s *Store) RecordApps(ctx context.Context, integrationID int64, apps []vigil.DiscoveredApp, complete bool, unreadable string, at time.Time) error {
	return s.write(ctx, func(t *wtx) error {
		rs, err := t.query(ctx, appSelect+" WHERE a.integration_id = ?", integrationID)
		if err != nil {
			return internal("list apps", err)
		}
		old, err := scanRows(rs, "list apps", "scan app", scanApp)
		if err != nil {
			return err
		}
		prev := map[string]bool{}
		for _, a := range old {
			prev[a.AppID] = true
		}
		seen := map[string]bool{}
		for _, a := range apps {
			a.Clean()
			if seen[a.AppID] || a.AppID == "" {
				continue
			}
			seen[a.AppID] = true
			if a.Scopes == nil {
				a.Scopes = []string{}
			}
			if prev[a.AppID] {
				_, err = t.exec(ctx, `UPDATE discovered_apps SET name = ?, status = ?, users = ?, scopes = ?, present = ?, last_seen = ?
					WHERE integration_id = ? AND app_id = ?`, a.Name, a.Status, a.Users, jsonText(a.Scopes), true, t.d.ts(at), integrationID, a.AppID)
			} else {
				_, err = t.exec(ctx, `INSERT INTO discovered_apps (integration_id, app_id, name, status, users, scopes, present, first_seen, last_seen)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, integrationID, a.AppID, a.Name, a.Status, a.Users, jsonText(a.Scopes), true, t.d.ts(at), t.d.ts(at))
			}
			if err != nil {
				return internal("record app", err)
			}
		}
		if complete {
			for _, a := range old {
				if !seen[a.AppID] && a.Present {
					if _, err := t.exec(ctx, "UPDATE discovered_apps SET present = ? WHERE id = ?", false, a.ID); err != nil {
						return internal("record app gone", err)
					}
				}
			}
		}
		if _, err := t.exec(ctx, "DELETE FROM app_collections WHERE integration_id = ?", integrationID); err != nil {
			return internal("record app listing", err)
		}
		if _, err := t.exec(ctx, "INSERT INTO app_collections (integration_id, collected_at, apps, complete, unreadable) VALUES (?, ?, ?, ?, ?)",
			integrationID, t.d.ts(at), len(seen), complete, unreadable); err != nil {
			return internal("record app listing", err)
		}
		return nil
	})
}

// DiscoveredApps lists every app every integration listed.
func (s *Store) DiscoveredApps(ctx context.Context) ([]vigil.DiscoveredApp, error) {
	rs, err := s.query(ctx, appSelect+" ORDER BY a.id")
	if err != nil {
		return nil, internal("list apps", err)
	}
	return scanRows(rs, "list apps", "scan app", scanApp)
}

// DiscoveredApp reads one app.
func (s *Store) DiscoveredApp(ctx context.Context, id int64) (*vigil.DiscoveredApp, error) {
	a, err := scanApp(s.queryRow(ctx, appSelect+" WHERE a.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("app", id)
	}
	if err != nil {
		return nil, internal("read app", err)
	}
	return &a, nil
}

// AppCollections lists each integration's last listing of apps.
func (s *Store) AppCollections(ctx context.Context) ([]vigil.AppCollection, error) {
	rs, err := s.query(ctx, `SELECT c.integration_id, COALESCE(i.name, ''), COALESCE(i.kind, ''), c.collected_at, c.apps, c.complete, c.unreadable
		FROM app_collections c LEFT JOIN integrations i ON i.id = c.integration_id ORDER BY c.integration_id`)
	if err != nil {
		return nil, internal("list app listings", err)
	}
	return scanRows(rs, "list app listings", "scan app listing", func(r scanner) (vigil.AppCollection, error) {
		var c vigil.AppCollection
		var at dbTime
		err := r.Scan(&c.IntegrationID, &c.System, &c.Kind, &at, &c.Apps, &c.Complete, &c.Unreadable)
		c.CollectedAt = at.T
		return c, err
	})
}

// DiscoveryVersion changes whenever a listing is recorded: listings
// write no activity entry, so the vendor signals' version needs it.
func (s *Store) DiscoveryVersion(ctx context.Context) (string, error) {
	var n int64
	var at dbTime
	if err := s.queryRow(ctx, "SELECT count(*), max(collected_at) FROM app_collections").Scan(&n, &at); err != nil {
		return "", internal("read discovery version", err)
	}
	return fmt.Sprintf("%d@%d", n, at.T.UnixNano()), nil
}

// openSuggestion reads an app for a decision inside t: one decided
// already is a conflict.
func (t *wtx) openSuggestion(ctx context.Context, id int64) (*vigil.DiscoveredApp, error) {
	a, err := scanApp(t.queryRow(ctx, appSelect+" WHERE a.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("app", id)
	}
	if err != nil {
		return nil, internal("read app", err)
	}
	switch {
	case a.VendorID != 0:
		return nil, vigil.Errorf(vigil.ECONFLICT, "%s was already confirmed as a vendor", a.Name)
	case a.DismissedAt != nil:
		return nil, vigil.Errorf(vigil.ECONFLICT, "%s was already dismissed by %s", a.Name, a.DismissedBy)
	}
	return &a, nil
}

func appLog(a *vigil.DiscoveredApp) map[string]any {
	return map[string]any{"integration_id": a.IntegrationID, "system": a.System, "app_id": a.AppID, "name": a.Name, "vendor_id": a.VendorID, "dismissed_by": a.DismissedBy}
}

// ConfirmApp adds v to the inventory and links the app to it, with both
// activity entries, in one transaction.
func (s *Store) ConfirmApp(ctx context.Context, id int64, v *vigil.Vendor) (*vigil.DiscoveredApp, error) {
	if err := v.Validate(); err != nil {
		return nil, err
	}
	var out *vigil.DiscoveredApp
	err := s.write(ctx, func(t *wtx) error {
		a, err := t.openSuggestion(ctx, id)
		if err != nil {
			return err
		}
		before := appLog(a)
		if err := t.insertVendor(ctx, v); err != nil {
			return err
		}
		if _, err := t.exec(ctx, "UPDATE discovered_apps SET vendor_id = ? WHERE id = ?", v.ID, id); err != nil {
			return internal("link app", err)
		}
		a.VendorID = v.ID
		out = a
		return t.log(ctx, "vendor.suggestion.confirm", "discovered_app", strconv.FormatInt(id, 10), before, appLog(a))
	})
	return out, err
}

// DismissApp records that the app is no vendor to track, by whom and
// when, with its activity entry.
func (s *Store) DismissApp(ctx context.Context, id int64) (*vigil.DiscoveredApp, error) {
	var out *vigil.DiscoveredApp
	err := s.write(ctx, func(t *wtx) error {
		a, err := t.openSuggestion(ctx, id)
		if err != nil {
			return err
		}
		before := appLog(a)
		who := t.actor.Name
		if who == "" {
			who = "unknown"
		}
		if _, err := t.exec(ctx, "UPDATE discovered_apps SET dismissed_by = ?, dismissed_at = ? WHERE id = ?", who, t.d.ts(t.now), id); err != nil {
			return internal("dismiss app", err)
		}
		at := t.now
		a.DismissedBy, a.DismissedAt = who, &at
		out = a
		return t.log(ctx, "vendor.suggestion.dismiss", "discovered_app", strconv.FormatInt(id, 10), before, appLog(a))
	})
	return out, err
}
