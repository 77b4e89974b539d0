package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil/internal/pgtest"
)

// TestIncidentsCLI: an incident's life from the command line on both
// engines (opened twice with one dedup key, a timeline entry, a
// notification owed and sent, resolved with its root cause, reviewed
// with an action, closed and sealed), bad input named, and a restore test
// recorded with its file.
func TestIncidentsCLI(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dir := t.TempDir()
			m := &Main{DataDir: dir}
			if engine == "postgres" {
				pg, err := pgtest.Start()
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(pg.Stop)
				if m.DatabaseURL, err = pg.NewDatabase(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			m, setupTok := startMain(t, m)
			env := map[string]string{"VIGIL_SERVER": m.URL}
			code, out, errs := cli(t, env, "correct horse battery\n", "setup", "--token", setupTok, "--org", "Acme", "--email", "me@acme.test", "--name", "Me")
			if code != 0 {
				t.Fatalf("setup: %s", errs)
			}
			env["VIGIL_TOKEN"] = strings.TrimSpace(out)
			run := func(want int, args ...string) (string, string) {
				t.Helper()
				code, out, errs := cli(t, env, "", args...)
				if code != want {
					t.Fatalf("vigil %s: exit %d, want %d; %s %s", strings.Join(args, " "), code, want, out, errs)
				}
				return out, errs
			}
			run(0, "controls", "adopt", "IR-02", "IR-05", "BC-02")
			if _, errs := run(1, "incidents", "open", "--title", "x", "--severity", "SEV5"); !strings.Contains(errs, "severity") {
				t.Fatalf("an unknown severity: %s", errs)
			}
			if _, errs := run(1, "incidents", "open", "--title", "x", "--severity", "SEV1", "--detected-at", "2026-01-02T10:00:00Z", "--declared-at", "2026-01-02T09:00:00Z"); !strings.Contains(errs, "before detection") {
				t.Fatalf("declared before detected: %s", errs)
			}
			if _, errs := run(2, "incidents", "open", "--title", "x"); !strings.Contains(errs, "Usage") {
				t.Fatalf("no severity: %s", errs)
			}
			open := []string{"incidents", "open", "--title", "Login errors", "--severity", "SEV2", "--dedup-key", "alert-7", "--source", "grafana"}
			if out, _ := run(0, open...); !strings.Contains(out, "declared INC-001") {
				t.Fatalf("open: %s", out)
			}
			if out, _ := run(0, open...); !strings.Contains(out, "already open") {
				t.Fatalf("a retried alert: %s", out)
			}
			run(0, "incidents", "event", "INC-001", "--text", "Restarted the auth service")
			out, _ = run(0, "incidents", "notify", "INC-001", "--audience", "customers", "--due-hours", "24")
			if !strings.Contains(out, "notification 1 to customers owed by") {
				t.Fatalf("notify: %s", out)
			}
			if _, errs := run(1, "incidents", "notify", "1", "--sent", "1", "--at", "2020-01-01T00:00:00Z"); !strings.Contains(errs, "before the incident") {
				t.Fatalf("sent before the incident: %s", errs)
			}
			if out, _ := run(0, "incidents", "notify", "1", "--sent", "1"); !strings.Contains(out, "on time") {
				t.Fatalf("sent: %s", out)
			}
			if _, errs := run(1, "incidents", "update", "1", "--status", "resolved"); !strings.Contains(errs, "root cause") {
				t.Fatalf("resolved without root cause: %s", errs)
			}
			run(0, "incidents", "update", "1", "--status", "resolved", "--root-cause", "A certificate expired.")
			if _, errs := run(1, "incidents", "close", "1"); !strings.Contains(errs, "review") {
				t.Fatalf("closing a SEV2 without its review: %s", errs)
			}
			due := time.Now().UTC().AddDate(0, 0, 30).Format("2006-01-02")
			run(0, "incidents", "review", "1", "--summary", "Certificates now renew automatically.", "--action", "Alert 14 days before expiry", "--owner", "me@acme.test", "--due", due)
			if out, _ := run(0, "incidents", "close", "INC-001"); !strings.Contains(out, "record sealed as evidence") {
				t.Fatalf("close: %s", out)
			}
			out, _ = run(0, "incidents", "show", "INC-001")
			for _, want := range []string{"SEV2, closed", "Restarted the auth service", "Notification to customers sent", "root cause: A certificate expired.", "Alert 14 days before expiry", "sealed record: evidence"} {
				if !strings.Contains(out, want) {
					t.Fatalf("show lacks %q:\n%s", want, out)
				}
			}
			if out, _ := run(0, "incidents", "list", "--status", "closed"); !strings.Contains(out, "INC-001") {
				t.Fatalf("list: %s", out)
			}

			report := filepath.Join(dir, "restore-report.txt")
			if err := os.WriteFile(report, []byte("Restored db-prod snapshot to staging in 38 minutes; row counts match."), 0o600); err != nil {
				t.Fatal(err)
			}
			today := time.Now().UTC().Format("2006-01-02")
			rec := []string{"exercises", "record", "--kind", "restore", "--scenario", "Restore db-prod", "--date", today, "--participants", "Ops",
				"--tested", "Nightly snapshot", "--results", "Restored", "--outcome", "passed", "--file", report}
			if _, errs := run(1, append(rec[:2:2], "--kind", "fire", "--scenario", "x")...); !strings.Contains(errs, "kind") {
				t.Fatalf("an unknown kind: %s", errs)
			}
			if out, _ := run(0, rec...); !strings.Contains(out, "recorded EX-001") || !strings.Contains(out, "1 evidence items") {
				t.Fatalf("record: %s", out)
			}
			if out, _ := run(0, "exercises", "list"); !strings.Contains(out, "BC-02") || !strings.Contains(out, "passed") {
				t.Fatalf("exercises list: %s", out)
			}
			if out, _ := run(0, "controls", "show", "BC-02"); !strings.Contains(out, "EX-001") {
				t.Fatalf("BC-02 does not show the restore test: %s", out)
			}
		})
	}
}
