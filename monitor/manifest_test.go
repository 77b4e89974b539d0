package monitor_test

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/internal/evidencetest"
	"github.com/vigil-soc/vigil/monitor"
)

// TestInputManifest: each finished day's inputs are sealed once, as one
// evidence item linked to the adopted controls host checks test, listing
// every host's input hashes; nothing is sealed before a control is adopted
// or for a day without inputs, and the ledger verifies afterwards.
func TestInputManifest(t *testing.T) {
	engines(t, func(t *testing.T, svc *monitor.Service, clk *clock) {
		ctx := context.Background()
		ev := evidencetest.New(t, svc.Store)
		today := clk.Now().UTC().Truncate(24 * time.Hour)
		web, _ := enrol(t, svc, "web-1")
		db, _ := enrol(t, svc, "db-1")
		r := validReport(t)
		r.ScannedAt = clk.Now().Add(-2 * time.Minute)
		if err := svc.Ingest(ctx, web, r); err != nil {
			t.Fatal(err)
		}
		r2 := validReport(t)
		r2.Host.Hostname, r2.ScannedAt = "db-1", clk.Now().Add(-time.Minute)
		r2.InputSHA256, r2.Input = strings.Repeat("ab", 32), "" // named, bytes not sent
		if err := svc.Ingest(ctx, db, r2); err != nil {
			t.Fatal(err)
		}
		// Today is not finished: nothing to seal yet.
		if n, err := svc.SealManifests(ctx, ev, 29); err != nil || n != 0 {
			t.Fatalf("sealed %d, %v before the day ended", n, err)
		}
		// Tomorrow, but no control adopted: nothing to link the evidence to.
		clk.Set(today.AddDate(0, 0, 1).Add(time.Hour))
		if n, err := svc.SealManifests(ctx, ev, 29); err != nil || n != 0 {
			t.Fatalf("sealed %d, %v with no control adopted", n, err)
		}
		if _, err := svc.Store.AdoptControls(adminCtx, []vigil.Control{{ID: "AC-11", Title: "Control AC-11", Criteria: []string{"CC6.1"}, Status: vigil.StatusNotStarted}}); err != nil {
			t.Fatal(err)
		}
		if n, err := svc.SealManifests(ctx, ev, 29); err != nil || n != 1 {
			t.Fatalf("sealed %d, %v; want yesterday's manifest", n, err)
		}
		if n, err := svc.SealManifests(ctx, ev, 29); err != nil || n != 0 {
			t.Fatalf("sealed %d again, %v", n, err)
		}
		items, err := svc.Store.ListEvidence(ctx, vigil.EvidenceFilter{Control: "AC-11"})
		if err != nil || len(items) != 1 {
			t.Fatalf("evidence %v, %v", items, err)
		}
		it := items[0]
		day := vigil.Date(today.Format(time.DateOnly))
		if it.Filename != monitor.ManifestPrefix+string(day)+".json" || it.EffectiveStart != day || it.Source != vigil.SourceCollector {
			t.Fatalf("item %+v", it)
		}
		rc, err := ev.Open(ctx, &it)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		var m monitor.Manifest
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		if m.Date != day || m.Hosts != 2 || len(m.Inputs) != 2 {
			t.Fatalf("manifest %s", data)
		}
		for _, in := range m.Inputs {
			switch in.Hostname {
			case "web-1":
				if in.SHA256 != r.InputSHA256 || !in.Stored || in.Runs != 1 {
					t.Errorf("web-1: %+v", in)
				}
			case "db-1":
				if in.SHA256 != r2.InputSHA256 || in.Stored {
					t.Errorf("db-1: %+v", in)
				}
			default:
				t.Errorf("unexpected %+v", in)
			}
		}
		// Days later with no reports in between: the empty days are not
		// sealed, and the ledger still verifies.
		clk.Set(today.AddDate(0, 0, 4))
		if n, err := svc.SealManifests(ctx, ev, 29); err != nil || n != 0 {
			t.Fatalf("sealed %d, %v for days without inputs", n, err)
		}
		if rep, err := ev.Verify(ctx, true); err != nil || !rep.OK {
			t.Fatalf("ledger after sealing: %+v, %v", rep, err)
		}
	})
}
