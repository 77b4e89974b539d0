package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/evidence"
	"github.com/vigil-soc/vigil/scheduler"
	"github.com/vigil-soc/vigil/store"
)

// ManifestPrefix starts the file name of each day's input manifest.
const ManifestPrefix = "monitoring-inputs-"

// manifestGrace is how long after midnight (UTC) a day is taken as
// finished: a report received just before midnight may still be being
// stored.
const manifestGrace = 10 * time.Minute

// Manifest is one day's record of what every judgement was made from: for
// each host, the SHA-256 of each normalized collector input its reports
// named, when, and how often. The inputs are kept by that hash, so once
// the manifest is sealed in the evidence ledger anyone can check that a
// stored input is the one a day's results were judged on.
type Manifest struct {
	Date   vigil.Date       `json:"date"`
	From   time.Time        `json:"received_from"`
	To     time.Time        `json:"received_to"`
	Hosts  int              `json:"hosts"`
	Inputs []store.InputUse `json:"inputs"`
}

// InputManifestJob seals, for each finished day (UTC) not sealed yet, the
// manifest of the inputs received that day into the evidence ledger,
// linked to the adopted controls that host checks test. Days without any
// input are not sealed; nothing is sealed until a control is adopted.
//
// backfill bounds how many missed days one run looks back: give one day
// less than the run retention, since runs that changed nothing are
// deleted after it and an older day could not be told in full.
func (s *Service) InputManifestJob(ev *evidence.Service, backfill int) scheduler.Job {
	return scheduler.Job{Name: "seal-monitoring-inputs", Every: time.Hour, Run: func(ctx context.Context) error {
		_, err := s.SealManifests(ctx, ev, backfill)
		return err
	}}
}

// SealManifests seals the manifests of the finished days not sealed yet,
// looking back at most backfill days, and returns how many it sealed.
func (s *Service) SealManifests(ctx context.Context, ev *evidence.Service, backfill int) (int, error) {
	if s.Checks == nil {
		return 0, nil
	}
	controls, err := s.Store.AdoptedControls(ctx, s.Checks.ControlsFor("host."))
	if err != nil || len(controls) == 0 {
		return 0, err
	}
	today := s.now().UTC().Add(-manifestGrace).Truncate(24 * time.Hour)
	day := today.AddDate(0, 0, -max(backfill, 1))
	last, err := s.Store.LastSealedDay(ctx, ManifestPrefix)
	if err != nil {
		return 0, err
	}
	if t, err := time.Parse(time.DateOnly, string(last)); err == nil && !t.Before(day) {
		day = t.AddDate(0, 0, 1)
	}
	n := 0
	for ; day.Before(today); day = day.AddDate(0, 0, 1) {
		uses, err := s.Store.InputsReceived(ctx, day, day.AddDate(0, 0, 1))
		if err != nil {
			return n, err
		}
		if len(uses) == 0 {
			continue
		}
		d := vigil.Date(day.Format(time.DateOnly))
		m := Manifest{Date: d, From: day, To: day.AddDate(0, 0, 1), Inputs: uses}
		hosts := map[int64]bool{}
		for _, u := range uses {
			hosts[u.AgentID] = true
		}
		m.Hosts = len(hosts)
		data, err := json.MarshalIndent(m, "", " ")
		if err != nil {
			return n, err
		}
		actx := vigil.WithActor(ctx, vigil.Actor{Name: "monitoring", Role: vigil.RoleOwner})
		if _, err := ev.Upload(actx, evidence.Meta{Source: vigil.SourceCollector, Filename: ManifestPrefix + string(d) + ".json",
			Title:          fmt.Sprintf("Monitoring inputs of %s: %d inputs from %d hosts", d, len(m.Inputs), m.Hosts),
			EffectiveStart: d, EffectiveEnd: d, Controls: controls, DeclaredSize: int64(len(data))}, bytes.NewReader(data)); err != nil {
			return n, fmt.Errorf("sealing the inputs of %s: %w", d, err)
		}
		n++
	}
	return n, nil
}
