package people

import (
	"context"
	"fmt"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/store"
)

// RoleChanges is role changes (HR-08): a person's title or department
// changed in the register (by an HR system, a directory or a CSV import)
// and their access must be checked within vigil.RoleChangeReviewDays. It
// is a signal source of its own, beside Service.
type RoleChanges struct {
	Store *store.Store
	Now   func() time.Time
	// Lookback is how far back reviewed changes count when no audit
	// window is set (default a year); unreviewed ones always count.
	Lookback time.Duration
}

func (r *RoleChanges) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// List returns role changes, newest first: one person's, or everyone's
// with personID 0.
func (r *RoleChanges) List(ctx context.Context, personID int64) ([]vigil.RoleChange, error) {
	if personID != 0 {
		if _, err := r.Store.Person(ctx, personID); err != nil {
			return nil, err
		}
	}
	out, err := r.Store.RoleChanges(ctx, personID)
	if out == nil {
		out = []vigil.RoleChange{}
	}
	return out, err
}

// Review records that the access of the person whose role changed was
// checked, with what was done.
func (r *RoleChanges) Review(ctx context.Context, personID, changeID int64, comment string) (*vigil.RoleChange, error) {
	return r.Store.ReviewRoleChange(ctx, personID, changeID, comment)
}

// Name is the signal source's name.
func (r *RoleChanges) Name() string { return "role changes" }

// Version moves with every recorded change (a sync, an import, a review
// all write the activity log) and every hour, as deadlines pass.
func (r *RoleChanges) Version(ctx context.Context) (string, error) {
	head, err := r.Store.StateVersion(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s/%d", r.now().UTC().Format("2006-01-02T15"), head), nil
}

// Signals reports HR-08 (vigil.RoleChangeSignals) since the audit
// window's start, or over the lookback without one.
func (r *RoleChanges) Signals(ctx context.Context) (map[string][]vigil.Signal, error) {
	now := r.now()
	look := r.Lookback
	if look <= 0 {
		look = 365 * 24 * time.Hour
	}
	from := now.Add(-look)
	if sc, err := r.Store.Scope(ctx); err == nil && sc.WindowStart != "" && sc.WindowStart.Time().Before(now) {
		from = sc.WindowStart.Time()
	} else if err != nil && vigil.ErrorCode(err) != vigil.ENOTFOUND {
		return nil, err
	}
	sources, err := r.Store.RoleChangeSources(ctx)
	if err != nil {
		return nil, err
	}
	changes, err := r.Store.RoleChanges(ctx, 0)
	if err != nil {
		return nil, err
	}
	return map[string][]vigil.Signal{vigil.RoleChangeControl: vigil.RoleChangeSignals(changes, sources, from, now)}, nil
}
