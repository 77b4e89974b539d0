package people_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/internal/evidencetest"
	"github.com/vigil-soc/vigil/internal/pgtest"
	"github.com/vigil-soc/vigil/people"
	"github.com/vigil-soc/vigil/store"
)

// TestSealHR: each month's onboarding log and background-check roster
// are sealed into the ledger against HR-06 and HR-01, again only when
// they change, and not at all for a control not adopted; on both engines.
func TestSealHR(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			cfg := store.Config{DataDir: t.TempDir()}
			if engine == "postgres" {
				cfg = store.Config{DatabaseURL: pgtest.Database(t)}
			}
			st, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if _, err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			sys := vigil.WithActor(ctx, vigil.Actor{Name: "setup", Role: vigil.RoleOwner})
			u := &vigil.User{Email: "hr@acme.test", Name: "HR", Role: vigil.RoleAdmin}
			if err := st.CreateUser(sys, u, ""); err != nil {
				t.Fatal(err)
			}
			admin := vigil.WithActor(ctx, vigil.Actor{UserID: u.ID, Name: u.Email, Role: u.Role})
			svc := &people.Service{Store: st, Evidence: evidencetest.New(t, st)}
			now := time.Now().UTC()
			p := &vigil.Person{Email: "ann@acme.test", Name: "Ann", Start: vigil.Date(now.AddDate(0, 0, -2).Format(time.DateOnly)), InScope: true}
			if err := svc.Create(admin, p); err != nil {
				t.Fatal(err)
			}
			count := func(ctl string) int {
				t.Helper()
				evs, err := st.ListEvidence(admin, vigil.EvidenceFilter{Control: ctl, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				return len(evs)
			}
			adopt := func(id string) {
				c := vigil.Control{ID: id, Title: id}
				c.Validate(func(string) bool { return true })
				if err := st.CreateControl(admin, &c); err != nil {
					t.Fatal(err)
				}
			}
			adopt("HR-06")
			if err := svc.SealHR(ctx); err != nil {
				t.Fatal(err)
			}
			if count("HR-06") != 1 {
				t.Fatalf("onboarding log sealed: %d", count("HR-06"))
			}
			if err := svc.SealHR(ctx); err != nil || count("HR-06") != 1 {
				t.Fatalf("sealed again with nothing changed: %d %v", count("HR-06"), err)
			}
			// HR-01 adopted: the check's report is one item, the roster another;
			// the onboarding log changed, so it is sealed again.
			adopt("HR-01")
			b := &vigil.BackgroundCheck{PersonID: p.ID, CompletedOn: p.Start, Provider: "Checkr", Result: vigil.BackgroundClear}
			if err := svc.RecordBackgroundCheck(admin, b, people.FileMeta{Filename: "r.pdf", Size: -1}, strings.NewReader("%PDF-1.4 report")); err != nil {
				t.Fatal(err)
			}
			if err := svc.SealHR(ctx); err != nil {
				t.Fatal(err)
			}
			if count("HR-01") != 2 || count("HR-06") != 2 {
				t.Fatalf("after the check: HR-01 %d, HR-06 %d", count("HR-01"), count("HR-06"))
			}
			// What is left for Ann's "My tasks": not the check, MFA unknown.
			due, err := svc.OnboardingDue(admin, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[vigil.OnboardingKind]vigil.OnboardingState{}
			for _, it := range due {
				kinds[it.Kind] = it.State
			}
			if _, ok := kinds[vigil.OnboardBackground]; ok || kinds[vigil.OnboardMFA] != vigil.OnboardUnknown || kinds[vigil.OnboardConfidentiality] != vigil.OnboardOverdue {
				t.Fatalf("onboarding due: %+v", due)
			}
			// A check without its report is refused and seals nothing.
			if err := svc.RecordBackgroundCheck(admin, &vigil.BackgroundCheck{PersonID: p.ID, CompletedOn: p.Start, Provider: "x", Result: vigil.BackgroundClear},
				people.FileMeta{}, nil); vigil.ErrorField(err) != "file" || count("HR-01") != 2 {
				t.Fatalf("no file: %v, %d items", err, count("HR-01"))
			}
		})
	}
}
