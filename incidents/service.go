// Package incidents is the incident register and the exercises on the
// store: opening incidents (idempotently for tools), their timeline,
// notifications, review and closure, closed records sealed into the
// evidence ledger, exercises with their evidence, and the IR-02, IR-03,
// IR-04, IR-05, BC-02 and BC-04 signals.
package incidents

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/evidence"
	"github.com/vigil-soc/vigil/scheduler"
	"github.com/vigil-soc/vigil/store"
)

// Service is the incidents module.
type Service struct {
	Store    *store.Store
	Evidence *evidence.Service
	Now      func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// sealer is who seals closed incidents: the module itself.
var sealer = vigil.Actor{Name: "incidents", Role: vigil.RoleOwner}

// Open declares an incident. With a dedup key an open incident already
// has, nothing changes and that incident is returned, created false: a
// retrying alert does not open two.
func (s *Service) Open(ctx context.Context, x *vigil.Incident) (created bool, err error) {
	if err := x.Validate(s.now()); err != nil {
		return false, err
	}
	if x.Source == "" {
		x.Source = vigil.ActorFrom(ctx).Name
	}
	first := "Declared " + string(x.Severity) + ": " + x.Title
	if !x.DetectedAt.Equal(x.DeclaredAt) {
		first += " (detected " + x.DetectedAt.UTC().Format("2006-01-02 15:04 UTC") + ")"
	}
	return s.Store.OpenIncident(ctx, x, first)
}

// Incident reads one incident in full.
func (s *Service) Incident(ctx context.Context, id int64) (*vigil.Incident, error) {
	return s.Store.Incident(ctx, id)
}

// List is the register, filtered.
func (s *Service) List(ctx context.Context, f vigil.IncidentFilter) ([]vigil.Incident, error) {
	if f.Status != "" && f.Status != "open" && !vigil.IncidentStatus(f.Status).Valid() {
		return nil, vigil.FieldError("status", "unknown status %q (want open, declared, investigating, contained, resolved or closed)", truncate(string(f.Status), 20))
	}
	if f.Severity != "" {
		sev, err := vigil.ParseSeverity("severity", string(f.Severity))
		if err != nil {
			return nil, err
		}
		f.Severity = sev
	}
	return s.Store.Incidents(ctx, f)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// Update changes an incident's status, severity, root cause or scope.
func (s *Service) Update(ctx context.Context, id int64, p vigil.IncidentPatch) (*vigil.Incident, error) {
	return s.Store.UpdateIncident(ctx, id, p, s.now())
}

// AddEvent appends a timeline entry.
func (s *Service) AddEvent(ctx context.Context, id int64, e *vigil.IncidentEvent) error {
	return s.Store.AddIncidentEvent(ctx, id, e, s.now())
}

// AddNotification records a notification owed.
func (s *Service) AddNotification(ctx context.Context, id int64, n *vigil.IncidentNotification) error {
	return s.Store.AddNotification(ctx, id, n)
}

// NotificationSent records when a notification was sent (zero: now).
func (s *Service) NotificationSent(ctx context.Context, id, nid int64, at time.Time) (*vigil.IncidentNotification, error) {
	now := s.now()
	if at.IsZero() {
		at = now
	}
	return s.Store.MarkNotificationSent(ctx, id, nid, at, now)
}

// Review records the post-incident review with its actions.
func (s *Service) Review(ctx context.Context, id int64, r *vigil.IncidentReview, actions []vigil.ReviewAction) (*vigil.Incident, error) {
	return s.Store.AddIncidentReview(ctx, id, r, actions, s.now())
}

// ActionDone marks a review action done.
func (s *Service) ActionDone(ctx context.Context, id, aid int64) (*vigil.ReviewAction, error) {
	return s.Store.CompleteAction(ctx, id, aid)
}

// Close closes an incident and seals its record into the evidence
// ledger. The closure stands if sealing fails (the hourly job retries);
// the error then says so.
func (s *Service) Close(ctx context.Context, id int64) (*vigil.Incident, error) {
	x, err := s.Store.CloseIncident(ctx, id, s.now())
	if err != nil {
		return nil, err
	}
	if err := s.Seal(ctx); err != nil {
		return x, fmt.Errorf("%s is closed, but sealing its record into the evidence ledger failed (it will be retried): %w", x.Key, err)
	}
	return s.Store.Incident(ctx, id)
}

// Rules reads the organization's review days and exercise cadences.
func (s *Service) Rules(ctx context.Context) (vigil.IncidentRules, error) {
	return s.Store.IncidentRules(ctx)
}

// SetRules changes them.
func (s *Service) SetRules(ctx context.Context, r vigil.IncidentRules) error {
	if !vigil.ActorFrom(ctx).Role.Can(vigil.PermManage) {
		return vigil.Errorf(vigil.EFORBIDDEN, "only an admin or owner changes the incident settings")
	}
	return s.Store.SetIncidentRules(ctx, r)
}

// Exercises lists the exercises, latest first.
func (s *Service) Exercises(ctx context.Context) ([]vigil.Exercise, error) {
	return s.Store.Exercises(ctx)
}

// ExerciseFile is a file recorded with an exercise: it is sealed into the
// ledger against the exercise's control.
type ExerciseFile struct {
	Name      string
	MediaType string
	Data      []byte
}

// RecordExercise records an exercise with its evidence: items already in
// the ledger (EvidenceIDs, linked to the kind's control) and files, each
// sealed into the ledger first. A file that cannot be sealed records
// nothing.
func (s *Service) RecordExercise(ctx context.Context, e *vigil.Exercise, files []ExerciseFile) error {
	if err := e.Validate(s.now()); err != nil {
		return err
	}
	ctl := e.Kind.Control()
	for _, f := range files {
		// The first file refused (the control not adopted) stops the
		// record before anything is sealed.
		ev, err := s.Evidence.SealFile(ctx, ctl, evidence.Meta{Title: fmt.Sprintf("%s exercise on %s: %s", e.Kind, e.Date, f.Name),
			Filename: f.Name, MediaType: f.MediaType, EffectiveStart: e.Date, EffectiveEnd: e.Date, DeclaredSize: int64(len(f.Data))},
			bytes.NewReader(f.Data))
		if err != nil {
			return err
		}
		e.EvidenceIDs = append(e.EvidenceIDs, ev.ID)
	}
	if err := e.Validate(s.now()); err != nil { // sorts the items again
		return err
	}
	return s.Store.CreateExercise(ctx, e)
}

// Name is the signal source's name.
func (s *Service) Name() string { return "incidents" }

// Version changes with every change and every hour (deadlines pass with
// the clock: a notification is due at an hour, not a day).
func (s *Service) Version(ctx context.Context) (string, error) {
	head, err := s.Store.StateVersion(ctx)
	if err != nil {
		return "", err
	}
	// UTC minutes: a 72-hour deadline lapses at a minute, and local
	// hours repeat when the clocks go back.
	return s.now().UTC().Format("2006-01-02T15:04") + "/" + strconv.FormatInt(head, 10), nil
}

// Signals reports IR-02, IR-04 and IR-05 from the register and IR-03,
// BC-02 and BC-04 from the exercises.
func (s *Service) Signals(ctx context.Context) (map[string][]vigil.Signal, error) {
	rules, err := s.Store.IncidentRules(ctx)
	if err != nil {
		return nil, err
	}
	xs, err := s.Store.AllIncidents(ctx)
	if err != nil {
		return nil, err
	}
	es, err := s.Store.Exercises(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := vigil.IncidentSignals(xs, rules, now)
	for k, v := range vigil.ExerciseSignals(es, rules, now) {
		out[k] = append(out[k], v...)
	}
	return out, nil
}

// Job seals, every hour, closed incidents not sealed yet.
func (s *Service) Job() scheduler.Job {
	return scheduler.Job{Name: "seal-incidents", Every: time.Hour, Run: s.Seal}
}

// Seal seals every closed incident without a sealed record: the whole
// record (timeline, notifications, review, actions) as JSON, against
// IR-02, and IR-05 when it was reviewed. It waits while IR-02 is not
// adopted (the ledger links every item to a control). Idempotent.
func (s *Service) Seal(ctx context.Context) error {
	ctx = vigil.WithActor(ctx, sealer)
	if ok, err := s.Store.ControlExists(ctx, vigil.IncidentLogControl); err != nil || !ok {
		return err
	}
	xs, err := s.Store.Incidents(ctx, vigil.IncidentFilter{Status: vigil.IncidentClosed})
	if err != nil {
		return err
	}
	for _, x := range xs {
		if x.EvidenceID != 0 {
			continue
		}
		full, err := s.Store.Incident(ctx, x.ID)
		if err != nil {
			return err
		}
		ctls := []string{vigil.IncidentLogControl}
		if full.Review != nil {
			if ok, err := s.Store.ControlExists(ctx, vigil.PostIncidentControl); err != nil {
				return err
			} else if ok {
				ctls = append(ctls, vigil.PostIncidentControl)
			}
		}
		b, err := json.MarshalIndent(full, "", "  ")
		if err != nil {
			return err
		}
		ev, err := s.Evidence.Upload(ctx, evidence.Meta{Restricted: true, Source: vigil.SourceReview, Title: full.Key + " " + full.Title + ": closed incident record",
			Filename: strings.ToLower(full.Key) + "-record.json", MediaType: "application/json",
			EffectiveStart: vigil.Date(full.DeclaredAt.Format(time.DateOnly)), EffectiveEnd: vigil.Date(full.ClosedAt.Format(time.DateOnly)),
			Controls: ctls, DeclaredSize: int64(len(b))}, bytes.NewReader(b))
		if err != nil {
			return err
		}
		if err := s.Store.SetIncidentEvidence(ctx, x.ID, ev.ID); err != nil {
			return err
		}
	}
	return nil
}

// Resolve turns a reference, a number or a key (INC-001), into the
// incident's ID.
func (s *Service) Resolve(ctx context.Context, ref string) (int64, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
		return id, nil
	}
	if !strings.HasPrefix(strings.ToUpper(ref), "INC-") {
		return 0, vigil.FieldError("id", "an incident is named by its number or key (INC-001), not %q", truncate(ref, 20))
	}
	x, err := s.Store.IncidentByKey(ctx, ref)
	if err != nil {
		return 0, err
	}
	return x.ID, nil
}
