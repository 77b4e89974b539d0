package vendors

import (
	"context"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
)

// Suggestions are the apps connected systems listed that match no vendor
// and nobody has decided about, with each system's last listing.
func (s *Service) Suggestions(ctx context.Context) (*api.VendorSuggestions, error) {
	apps, err := s.Store.DiscoveredApps(ctx)
	if err != nil {
		return nil, err
	}
	vs, err := s.Store.Vendors(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := s.Store.AppCollections(ctx)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		cs = []vigil.AppCollection{}
	}
	return &api.VendorSuggestions{Suggestions: vigil.AppSuggestions(apps, vs), Sources: cs}, nil
}

// Confirm adds a suggested app to the inventory as a vendor being
// onboarded, linked to the app so that it is not suggested again. An app
// that now matches a vendor by name is no suggestion any more.
func (s *Service) Confirm(ctx context.Context, id int64, req api.ConfirmSuggestionRequest) (*api.ConfirmedSuggestion, error) {
	if err := mayManage(ctx, "confirms a suggested vendor"); err != nil {
		return nil, err
	}
	a, err := s.suggestion(ctx, id)
	if err != nil {
		return nil, err
	}
	v := vigil.Vendor{Name: req.Name, Service: req.Service, OwnerID: req.OwnerID, Status: vigil.VendorOnboarding}
	if v.Name == "" {
		v.Name = a.Name
	}
	app, err := s.Store.ConfirmApp(ctx, id, &v)
	if err != nil {
		return nil, err
	}
	return &api.ConfirmedSuggestion{Vendor: v, App: *app}, nil
}

// Dismiss records that a suggested app is no vendor to track; it stays
// dismissed.
func (s *Service) Dismiss(ctx context.Context, id int64) (*vigil.DiscoveredApp, error) {
	if err := mayManage(ctx, "dismisses a suggested vendor"); err != nil {
		return nil, err
	}
	if _, err := s.suggestion(ctx, id); err != nil {
		return nil, err
	}
	return s.Store.DismissApp(ctx, id)
}

// suggestion reads an app and refuses one that is not awaiting a
// decision (decided already, matched to a vendor, no longer listed).
func (s *Service) suggestion(ctx context.Context, id int64) (*vigil.DiscoveredApp, error) {
	a, err := s.Store.DiscoveredApp(ctx, id)
	if err != nil {
		return nil, err
	}
	vs, err := s.Store.Vendors(ctx)
	if err != nil {
		return nil, err
	}
	one := []vigil.DiscoveredApp{*a}
	vigil.MatchApps(one, vs)
	switch {
	case a.VendorID != 0:
		return nil, vigil.Errorf(vigil.ECONFLICT, "%s was already confirmed as vendor %s", a.Name, one[0].MatchedVendor)
	case a.DismissedAt != nil:
		return nil, vigil.Errorf(vigil.ECONFLICT, "%s was already dismissed by %s", a.Name, a.DismissedBy)
	case one[0].MatchedVendor != "":
		return nil, vigil.Errorf(vigil.ECONFLICT, "%s already matches vendor %s", a.Name, one[0].MatchedVendor)
	case !a.Present:
		return nil, vigil.Errorf(vigil.ECONFLICT, "%s is no longer listed by %s", a.Name, a.System)
	case !a.Suggestion():
		return nil, vigil.Errorf(vigil.ECONFLICT, "%s is %s in %s: not in use, so not suggested", a.Name, a.Status, a.System)
	}
	return a, nil
}
